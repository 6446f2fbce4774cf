/* Appending events to a chain, loading them back, and evidence blobs. */
#include "store_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/clock.h"
#include "countersign/util.h"

bool store_payload_evidence(const char *payload, store_evidence_fn fn, void *user, const char **why)
{
	*why = NULL;
	cJSON *root = cJSON_Parse(payload);
	bool ok = false;
	if (!cJSON_IsObject(root)) {
		*why = "its payload is not a JSON object";
		goto cleanup;
	}
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(root, "evidence");
	if (!ev) {
		ok = true;
		goto cleanup;
	}
	if (cJSON_IsString(ev)) {
		ok = fn(ev->valuestring, user);
		goto cleanup;
	}
	if (!cJSON_IsArray(ev)) {
		*why = "its \"evidence\" field is neither a hash nor a list of hashes";
		goto cleanup;
	}
	const cJSON *item;
	cJSON_ArrayForEach(item, ev) {
		if (!cJSON_IsString(item)) {
			*why = "its \"evidence\" list holds something other than a hash";
			goto cleanup;
		}
	}
	ok = true;
	cJSON_ArrayForEach(item, ev) {
		if (!fn(item->valuestring, user)) {
			ok = false;
			break;
		}
	}
cleanup:
	cJSON_Delete(root);
	return ok;
}

struct evidence_check {
	struct store *st;
	sqlite3_stmt *exists;
	int64_t seq;
	enum store_status status;
};

/* An event may only name evidence that is stored (by this append or earlier),
 * so that verification never finds a reference dangling by mistake. */
static bool evidence_stored(const char *sha, void *user)
{
	struct evidence_check *c = user;
	if (!store_is_sha_hex(sha)) {
		store_set_err(c->st, "event %" PRId64 " names evidence \"%s\", which is not a SHA-256 in lowercase hex",
			c->seq, sha);
		return false;
	}
	sqlite3_reset(c->exists);
	sqlite3_bind_text(c->exists, 1, sha, -1, SQLITE_STATIC);
	int rc = sqlite3_step(c->exists);
	if (rc == SQLITE_ROW)
		return true;
	if (rc == SQLITE_DONE)
		store_set_err(c->st, "event %" PRId64 " names evidence %s, which is not stored", c->seq, sha);
	else
		c->status = store_db_fail(c->st, "cannot look up evidence");
	return false;
}

static enum store_status put_evidence(struct store *st, struct store_evidence *evidence, size_t n)
{
	if (n == 0)
		return STORE_OK;
	sqlite3_stmt *stmt = store_prepare(st, "INSERT OR IGNORE INTO evidence (sha256, bytes) VALUES (?1, ?2)");
	if (!stmt)
		return STORE_FAILED;
	enum store_status s = STORE_OK;
	for (size_t i = 0; i < n && s == STORE_OK; i++) {
		event_sha256_hex(evidence[i].bytes, evidence[i].len, evidence[i].sha);
		if (evidence[i].len > INT_MAX) {
			store_set_err(st, "cannot store evidence of %zu bytes", evidence[i].len);
			s = STORE_FAILED;
			break;
		}
		sqlite3_reset(stmt);
		sqlite3_bind_text(stmt, 1, evidence[i].sha, -1, SQLITE_STATIC);
		/* A zero-length blob must still be a blob, not NULL. */
		sqlite3_bind_blob(stmt, 2, evidence[i].len ? evidence[i].bytes : "", (int)evidence[i].len,
			SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			s = store_db_fail(st, "cannot store evidence");
	}
	sqlite3_finalize(stmt);
	return s;
}

/* The chain's last seq and hash, or 0 and the genesis when it is empty. */
static enum store_status chain_head(struct store *st, const char *chain, int64_t *seq,
	char hash[EVENT_HASH_HEX])
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT seq, hash FROM events WHERE chain = ?1 ORDER BY seq DESC LIMIT 1");
	if (!stmt)
		return STORE_FAILED;
	store_bind_text(stmt, 1, chain);
	int rc = sqlite3_step(stmt);
	enum store_status s = STORE_OK;
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(stmt, 0);
		snprintf(hash, EVENT_HASH_HEX, "%s", store_column_text(stmt, 1));
	} else if (rc != SQLITE_DONE) {
		s = store_db_fail(st, "cannot read the head of the chain");
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return s;
	*seq = 0;
	return store_chain_genesis(st, chain, hash);
}

static enum store_status insert_event(struct store *st, sqlite3_stmt *stmt, const char *chain,
	const struct event *ev)
{
	sqlite3_reset(stmt);
	store_bind_text(stmt, 1, chain);
	sqlite3_bind_int64(stmt, 2, ev->seq);
	sqlite3_bind_int64(stmt, 3, ev->time_us);
	store_bind_text(stmt, 4, ev->actor);
	store_bind_text(stmt, 5, ev->os_user);
	store_bind_text(stmt, 6, ev->host);
	store_bind_text(stmt, 7, ev->tty);
	store_bind_text(stmt, 8, ev->kind);
	store_bind_text(stmt, 9, ev->target);
	store_bind_text(stmt, 10, ev->payload);
	store_bind_text(stmt, 11, ev->prev);
	store_bind_text(stmt, 12, ev->hash);
	store_bind_text(stmt, 13, ev->sigs);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		return store_db_fail(st, "cannot append the event");
	return STORE_OK;
}

/* STORE_OK when KEY is NAME's current key in the engineers table (read
 * inside the caller's transaction with *KEY_STMT, prepared on first use);
 * else STORE_REFUSED (or a failure) with the reason set. */
static enum store_status signer_current(struct store *st, sqlite3_stmt **key_stmt, const char *name,
	const struct sign_key *key)
{
	if (!*key_stmt && !(*key_stmt = store_prepare(st, "SELECT public_key FROM engineers WHERE name = ?1")))
		return STORE_FAILED;
	sqlite3_reset(*key_stmt);
	store_bind_text(*key_stmt, 1, name);
	int rc = sqlite3_step(*key_stmt);
	if (rc == SQLITE_DONE) {
		store_set_err(st, "cannot sign as %s: there is no engineer %s", name, name);
		return STORE_NOT_FOUND;
	}
	if (rc != SQLITE_ROW)
		return store_db_fail(st, "cannot read the engineer's key");
	const char *current = store_column_text(*key_stmt, 0);
	if (!current[0]) {
		store_set_err(st, "%s has no signing key yet; enter the PIN of %s again", name, name);
		return STORE_REFUSED;
	}
	if (strcmp(current, sign_key_public(key)) != 0) {
		store_set_err(st, "the PIN of %s was changed since it was entered; enter it again", name);
		return STORE_REFUSED;
	}
	return STORE_OK;
}

/* Signs EV's hash with each of its signers, after checking, inside the
 * write transaction, that the signer's key is still its engineer's current
 * key: a PIN changed by another process since this one was entered must
 * not sign anything. KEY_STMT is prepared on first use. */
static enum store_status sign_event(struct store *st, sqlite3_stmt **key_stmt, struct event *ev)
{
	if (!ev->signers[0] && !ev->signers[1])
		return STORE_OK;
	/* The signatures are made here, for this hash: none from an earlier
	 * attempt of the same event is kept. */
	free(ev->sigs);
	ev->sigs = NULL;
	for (size_t i = 0; i < 2; i++) {
		const struct sign_key *key = ev->signers[i];
		const char *name = ev->signer_names[i];
		if (!key)
			continue;
		assert(name && name[0]);
		/* A rotation is signed by the key it replaces (current, checked)
		 * and by the key it brings, which is current only once it is
		 * recorded (store_set_key checks it against the payload). */
		bool introduced = i == 1 && strcmp(ev->kind, EV_KEY_ROTATED) == 0;
		enum store_status s = introduced ? STORE_OK : signer_current(st, key_stmt, name, key);
		if (s != STORE_OK)
			return s;
		char *sigs = sign_entries_add(ev->sigs, name, key, ev->hash);
		if (!sigs) {
			store_set_err(st, "cannot sign event %" PRId64 " as %s", ev->seq, name);
			return STORE_FAILED;
		}
		free(ev->sigs);
		ev->sigs = sigs;
	}
	return STORE_OK;
}

static bool ends_run(const struct event *ev)
{
	return ev->kind && (strcmp(ev->kind, EV_RUN_COMPLETED) == 0 || strcmp(ev->kind, EV_RUN_ABORTED) == 0);
}

enum store_status store_append_locked(struct store *st, const char *chain, struct event *evs, size_t n,
	struct store_evidence *evidence, size_t n_evidence)
{
	/* The head read below is the head only inside the caller's write
	 * transaction, which also makes the events and their evidence one
	 * commit. */
	assert(sqlite3_txn_state(st->db, NULL) == SQLITE_TXN_WRITE);
	assert(chain && chain[0] && (evs || n == 0) && (evidence || n_evidence == 0));
	int64_t seq = 0;
	char prev[EVENT_HASH_HEX];
	enum store_status s = chain_head(st, chain, &seq, prev);
	if (s == STORE_OK)
		s = put_evidence(st, evidence, n_evidence);
	if (s != STORE_OK || n == 0)
		return s;
	sqlite3_stmt *insert = store_prepare(st, "INSERT INTO events (chain, seq, time_us, actor, os_user, host, "
		"tty, kind, target, payload, prev, hash, sigs) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
	sqlite3_stmt *exists = store_prepare(st, "SELECT 1 FROM evidence WHERE sha256 = ?1");
	sqlite3_stmt *key_stmt = NULL;
	const struct event *ending = NULL;
	if (!insert || !exists) {
		s = STORE_FAILED;
		goto cleanup;
	}
	int64_t now = clock_wall_us();
	for (size_t i = 0; i < n && s == STORE_OK; i++) {
		struct event *ev = &evs[i];
		if (!ev->payload)
			ev->payload = xstrdup("{}");
		ev->seq = ++seq;
		memcpy(ev->prev, prev, sizeof(ev->prev));
		if (ev->time_us == 0)
			ev->time_us = now;
		struct evidence_check check = {st, exists, ev->seq, STORE_FAILED};
		const char *why = NULL;
		if (!store_payload_evidence(ev->payload, evidence_stored, &check, &why)) {
			if (why)
				store_set_err(st, "cannot append event %" PRId64 " (%s): %s", ev->seq,
					ev->kind ? ev->kind : "", why);
			s = check.status;
			break;
		}
		if (!event_compute_hash(ev, ev->hash)) {
			store_set_err(st, "cannot append to %s: the hash of event %" PRId64 " is malformed "
				"(run countersign verify)", chain, ev->seq - 1);
			s = STORE_FAILED;
			break;
		}
		s = sign_event(st, &key_stmt, ev);
		/* A signature claims its signer's roles: the ones held now. */
		if (s == STORE_OK && ev->signers[0])
			s = store_check_signed_roles(st, ev);
		if (s == STORE_OK)
			s = insert_event(st, insert, chain, ev);
		if (!ending && ends_run(ev))
			ending = ev;
		memcpy(prev, ev->hash, sizeof(prev));
	}
	/* A run's end is also registered, in the same commit. */
	if (s == STORE_OK && ending && !store_chain_is_registry(chain))
		s = store_registry_run_ended_locked(st, chain, ending);
cleanup:
	sqlite3_finalize(insert);
	sqlite3_finalize(exists);
	sqlite3_finalize(key_stmt);
	return s;
}

/* Starts the write transaction both ways of appending need, after
 * checking that CHAIN names one. Returns STORE_OK with the transaction
 * open, or an error (with the store's message set) and none open. */
static enum store_status begin_append(struct store *st, const char *chain)
{
	if (!chain || !chain[0]) {
		store_set_err(st, "cannot append events: no chain named");
		return STORE_FAILED;
	}
	return store_begin(st, true, "cannot start appending events");
}

enum store_status store_append(struct store *st, const char *chain, struct event *evs, size_t n,
	struct store_evidence *evidence, size_t n_evidence)
{
	enum store_status s = begin_append(st, chain);
	if (s != STORE_OK)
		return s;
	s = store_append_locked(st, chain, evs, n, evidence, n_evidence);
	if (s == STORE_OK)
		return store_commit(st, "cannot commit the events");
	store_rollback(st);
	return s;
}

enum store_status store_append_after(struct store *st, const char *chain, int64_t after_seq,
	struct event *evs, size_t n, struct store_evidence *evidence, size_t n_evidence)
{
	enum store_status s = begin_append(st, chain);
	if (s != STORE_OK)
		return s;
	int64_t seq = 0;
	char prev[EVENT_HASH_HEX];
	s = chain_head(st, chain, &seq, prev);
	if (s == STORE_OK && seq != after_seq) {
		store_set_err(st, "%s changed meanwhile (event %" PRId64 " is newer than %" PRId64 ")", chain, seq,
			after_seq);
		s = STORE_CONFLICT;
	}
	if (s == STORE_OK)
		s = store_append_locked(st, chain, evs, n, evidence, n_evidence);
	if (s == STORE_OK)
		return store_commit(st, "cannot commit the events");
	store_rollback(st);
	return s;
}

static void fill_event(sqlite3_stmt *stmt, struct event *ev)
{
	ev->seq = sqlite3_column_int64(stmt, 0);
	ev->time_us = sqlite3_column_int64(stmt, 1);
	ev->actor = store_column_dup(stmt, 2);
	ev->os_user = store_column_dup(stmt, 3);
	ev->host = store_column_dup(stmt, 4);
	ev->tty = store_column_dup(stmt, 5);
	ev->kind = store_column_dup(stmt, 6);
	ev->target = store_column_dup(stmt, 7);
	ev->payload = store_column_dup(stmt, 8);
	snprintf(ev->prev, sizeof(ev->prev), "%s", store_column_text(stmt, 9));
	snprintf(ev->hash, sizeof(ev->hash), "%s", store_column_text(stmt, 10));
	ev->sigs = store_column_dup(stmt, 11);
}

enum store_status store_load_events(struct store *st, const char *chain, int64_t after_seq,
	struct event **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	char *sql = xasprintf("SELECT seq, time_us, actor, os_user, host, tty, kind, target, payload, prev, hash, %s "
		"FROM events WHERE chain = ?1 AND seq > ?2 ORDER BY seq", store_sigs_column(st));
	sqlite3_stmt *stmt = store_prepare(st, sql);
	free(sql);
	if (!stmt)
		return STORE_FAILED;
	store_bind_text(stmt, 1, chain);
	sqlite3_bind_int64(stmt, 2, after_seq);
	struct event *evs = NULL;
	size_t count = 0, cap = 0;
	int rc;
	int64_t twice = 0;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			evs = xreallocarray(evs, cap, sizeof(*evs));
		}
		memset(&evs[count], 0, sizeof(evs[count]));
		fill_event(stmt, &evs[count++]);
		/* The primary key makes seq unique in a chain; a table rebuilt
		 * without it could hold one twice, which the engine would fold
		 * twice. */
		if (count > 1 && evs[count - 1].seq <= evs[count - 2].seq) {
			twice = evs[count - 1].seq;
			break;
		}
	}
	sqlite3_finalize(stmt);
	if (twice) {
		event_array_free(evs, count);
		store_set_err(st, "the record of %s is damaged: it holds event %" PRId64 " twice (run countersign verify)",
			chain ? chain : "", twice);
		return STORE_FAILED;
	}
	if (rc != SQLITE_DONE) {
		event_array_free(evs, count);
		return store_db_fail(st, "cannot load events");
	}
	/* An empty answer for a chain that does not exist is an unknown run. */
	if (count == 0 && chain && !store_chain_is_registry(chain)) {
		struct store_run_row run;
		enum store_status s = store_get_run(st, chain, &run);
		store_run_row_clear(&run);
		if (s != STORE_OK) {
			free(evs);
			return s;
		}
	}
	*out = evs;
	*n = count;
	return STORE_OK;
}

void *store_get_evidence(struct store *st, const char *sha, size_t *len)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT bytes FROM evidence WHERE sha256 = ?1");
	if (!stmt)
		return NULL;
	store_bind_text(stmt, 1, sha);
	void *bytes = NULL;
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		size_t size = (size_t)sqlite3_column_bytes(stmt, 0);
		const void *blob = sqlite3_column_blob(stmt, 0);
		bytes = xmalloc(size + 1);
		if (size)
			memcpy(bytes, blob, size);
		((char *)bytes)[size] = '\0';
		if (len)
			*len = size;
	} else if (rc == SQLITE_DONE) {
		store_set_err(st, "no evidence %s", sha ? sha : "");
	} else {
		store_db_fail(st, "cannot read evidence");
	}
	sqlite3_finalize(stmt);
	return bytes;
}
