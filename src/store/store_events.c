/* Appending events to a chain, loading them back, and evidence blobs. */
#include "store_internal.h"
#include "db_engine.h"

#include <sqlite3.h>

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
	struct db_stmt *exists;
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
	db_reset(c->exists);
	db_bind_text(c->exists, 1, sha);
	enum db_rc rc = db_step(c->exists);
	if (rc == DB_ROW)
		return true;
	if (rc == DB_DONE)
		store_set_err(c->st, "event %" PRId64 " names evidence %s, which is not stored", c->seq, sha);
	else
		c->status = store_fail(c->st, rc, "cannot look up evidence");
	return false;
}

static enum store_status put_evidence(struct store *st, struct store_evidence *evidence, size_t n)
{
	if (n == 0)
		return STORE_OK;
	struct db_stmt *stmt = store_stmt(st, "INSERT INTO evidence (sha256, bytes) VALUES (?1, ?2) "
		"ON CONFLICT DO NOTHING");
	if (!stmt)
		return store_last_failure(st);
	enum store_status s = STORE_OK;
	for (size_t i = 0; i < n && s == STORE_OK; i++) {
		event_sha256_hex(evidence[i].bytes, evidence[i].len, evidence[i].sha);
		if (evidence[i].len > INT_MAX) {
			store_set_err(st, "cannot store evidence of %zu bytes", evidence[i].len);
			s = STORE_FAILED;
			break;
		}
		db_reset(stmt);
		db_bind_text(stmt, 1, evidence[i].sha);
		/* A zero-length blob is still a blob, not NULL (db.h). */
		db_bind_blob(stmt, 2, evidence[i].bytes, evidence[i].len);
		enum db_rc rc = db_step(stmt);
		if (rc != DB_DONE)
			s = store_fail(st, rc, "cannot store evidence");
	}
	db_finalize(stmt);
	return s;
}

/* The chain's last seq and hash, or 0 and the genesis when it is empty. */
static enum store_status chain_head(struct store *st, const char *chain, int64_t *seq,
	char hash[EVENT_HASH_HEX])
{
	struct db_stmt *stmt = store_stmt(st,
		"SELECT seq, hash FROM events WHERE chain = ?1 ORDER BY seq DESC LIMIT 1");
	if (!stmt)
		return store_last_failure(st);
	store_bind_str(stmt, 1, chain);
	enum db_rc rc = db_step(stmt);
	enum store_status s = STORE_OK;
	if (rc == DB_ROW) {
		*seq = db_column_int64(stmt, 0);
		snprintf(hash, EVENT_HASH_HEX, "%s", store_col_str(stmt, 1));
	} else if (rc != DB_DONE) {
		s = store_fail(st, rc, "cannot read the head of the chain");
	}
	db_finalize(stmt);
	if (rc != DB_DONE)
		return s;
	*seq = 0;
	return store_chain_genesis(st, chain, hash);
}

static enum store_status insert_event(struct store *st, struct db_stmt *stmt, const char *chain,
	const struct event *ev)
{
	db_reset(stmt);
	store_bind_str(stmt, 1, chain);
	db_bind_int64(stmt, 2, ev->seq);
	db_bind_int64(stmt, 3, ev->time_us);
	store_bind_str(stmt, 4, ev->actor);
	store_bind_str(stmt, 5, ev->os_user);
	store_bind_str(stmt, 6, ev->host);
	store_bind_str(stmt, 7, ev->tty);
	store_bind_str(stmt, 8, ev->kind);
	store_bind_str(stmt, 9, ev->target);
	store_bind_str(stmt, 10, ev->payload);
	store_bind_str(stmt, 11, ev->prev);
	store_bind_str(stmt, 12, ev->hash);
	store_bind_str(stmt, 13, ev->sigs);
	enum db_rc rc = db_step(stmt);
	if (rc != DB_DONE)
		return store_fail(st, rc, "cannot append the event");
	return STORE_OK;
}

/* STORE_OK when KEY is NAME's current key in the engineers table (read
 * inside the caller's transaction with *KEY_STMT, prepared on first use);
 * else STORE_REFUSED (or a failure) with the reason set. */
static enum store_status signer_current(struct store *st, struct db_stmt **key_stmt, const char *name,
	const struct sign_key *key)
{
	if (!*key_stmt && !(*key_stmt = store_stmt(st, "SELECT public_key FROM engineers WHERE name = ?1")))
		return store_last_failure(st);
	db_reset(*key_stmt);
	store_bind_str(*key_stmt, 1, name);
	enum db_rc rc = db_step(*key_stmt);
	if (rc == DB_DONE) {
		store_set_err(st, "cannot sign as %s: there is no engineer %s", name, name);
		return STORE_NOT_FOUND;
	}
	if (rc != DB_ROW)
		return store_fail(st, rc, "cannot read the engineer's key");
	const char *current = store_col_str(*key_stmt, 0);
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
static enum store_status sign_event(struct store *st, struct db_stmt **key_stmt, struct event *ev)
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
	assert(store_is_pg(st) || sqlite3_txn_state(db_sqlite_handle(st->conn), NULL) == SQLITE_TXN_WRITE);
	assert(chain && chain[0] && (evs || n == 0) && (evidence || n_evidence == 0));
	int64_t seq = 0;
	char prev[EVENT_HASH_HEX];
	enum store_status s = chain_head(st, chain, &seq, prev);
	if (s == STORE_OK)
		s = put_evidence(st, evidence, n_evidence);
	if (s != STORE_OK || n == 0)
		return s;
	struct db_stmt *insert = store_stmt(st, "INSERT INTO events (chain, seq, time_us, actor, os_user, host, "
		"tty, kind, target, payload, prev, hash, sigs) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
	struct db_stmt *exists = insert ? store_stmt(st, "SELECT 1 FROM evidence WHERE sha256 = ?1") : NULL;
	struct db_stmt *key_stmt = NULL;
	const struct event *ending = NULL;
	if (!insert || !exists) {
		s = store_last_failure(st);
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
		/* The last guard, the same on both engines: PostgreSQL's text
		 * columns refuse text that is not UTF-8 with the server's own
		 * error, and a SQLite record must be one that can move there. */
		char *bad = event_invalid_text(ev);
		if (bad) {
			store_set_err(st, "cannot record event %" PRId64 " (%s) of %s: its %s; the record holds only "
				"UTF-8 text", ev->seq, ev->kind ? ev->kind : "", chain, bad);
			free(bad);
			s = STORE_REFUSED;
			break;
		}
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
	db_finalize(insert);
	db_finalize(exists);
	db_finalize(key_stmt);
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

static void fill_event(struct db_stmt *stmt, struct event *ev)
{
	ev->seq = db_column_int64(stmt, 0);
	ev->time_us = db_column_int64(stmt, 1);
	ev->actor = store_col_dup(stmt, 2);
	ev->os_user = store_col_dup(stmt, 3);
	ev->host = store_col_dup(stmt, 4);
	ev->tty = store_col_dup(stmt, 5);
	ev->kind = store_col_dup(stmt, 6);
	ev->target = store_col_dup(stmt, 7);
	ev->payload = store_col_dup(stmt, 8);
	snprintf(ev->prev, sizeof(ev->prev), "%s", store_col_str(stmt, 9));
	snprintf(ev->hash, sizeof(ev->hash), "%s", store_col_str(stmt, 10));
	ev->sigs = store_col_dup(stmt, 11);
}

enum store_status store_load_events(struct store *st, const char *chain, int64_t after_seq,
	struct event **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	char *sql = xasprintf("SELECT seq, time_us, actor, os_user, host, tty, kind, target, payload, prev, hash, %s "
		"FROM events WHERE chain = ?1 AND seq > ?2 ORDER BY seq", store_sigs_column(st));
	struct db_stmt *stmt = store_stmt(st, sql);
	free(sql);
	if (!stmt)
		return store_last_failure(st);
	store_bind_str(stmt, 1, chain);
	db_bind_int64(stmt, 2, after_seq);
	struct event *evs = NULL;
	size_t count = 0, cap = 0;
	enum db_rc rc;
	int64_t twice = 0;
	while ((rc = db_step(stmt)) == DB_ROW) {
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
	db_finalize(stmt);
	if (twice) {
		event_array_free(evs, count);
		store_set_err(st, "the record of %s is damaged: it holds event %" PRId64 " twice (run countersign verify)",
			chain ? chain : "", twice);
		return STORE_FAILED;
	}
	if (rc != DB_DONE) {
		event_array_free(evs, count);
		return store_fail(st, rc, "cannot load events");
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
	struct db_stmt *stmt = store_stmt(st, "SELECT bytes FROM evidence WHERE sha256 = ?1");
	if (!stmt)
		return NULL;
	store_bind_str(stmt, 1, sha);
	void *bytes = NULL;
	enum db_rc rc = db_step(stmt);
	if (rc == DB_ROW) {
		size_t size = 0;
		const void *blob = db_column_blob(stmt, 0, &size);
		bytes = xmalloc(size + 1);
		if (size)
			memcpy(bytes, blob, size);
		((char *)bytes)[size] = '\0';
		if (len)
			*len = size;
	} else if (rc == DB_DONE) {
		store_set_err(st, "no evidence %s", sha ? sha : "");
	} else {
		store_fail(st, rc, "cannot read evidence");
	}
	db_finalize(stmt);
	return bytes;
}
