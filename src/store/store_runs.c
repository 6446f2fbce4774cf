/* Checklist snapshots (content-addressed) and runs: ids, nonces, the genesis
 * of each run's chain, and creating a run together with its first event. */
#include "store_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "countersign/clock.h"
#include "countersign/util.h"

#define RUN_ID_CHARS 10
#define RUN_NONCE_BYTES 32
#define RUN_ID_ATTEMPTS 8

/* Lowercase Crockford base32: no i, l, o or u, so an id read aloud or copied
 * by hand is not mistyped. 10 characters carry 50 random bits. */
static const char run_id_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

enum store_status store_put_checklist(struct store *st, const char *text, size_t len,
	char sha[EVENT_HASH_HEX])
{
	assert(st && (text || len == 0) && sha);
	event_sha256_hex(text, len, sha);
	sqlite3_stmt *stmt = store_prepare(st, "INSERT OR IGNORE INTO checklists (sha256, text) VALUES (?1, ?2)");
	if (!stmt)
		return STORE_FAILED;
	sqlite3_bind_text(stmt, 1, sha, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, text, (int)len, SQLITE_STATIC);
	enum store_status s = STORE_OK;
	if (len > INT32_MAX) {
		store_set_err(st, "cannot store a checklist of %zu bytes", len);
		s = STORE_FAILED;
	} else if (sqlite3_step(stmt) != SQLITE_DONE) {
		s = store_db_fail(st, "cannot store the checklist snapshot");
	}
	sqlite3_finalize(stmt);
	return s;
}

char *store_get_checklist(struct store *st, const char *sha, size_t *len)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT text FROM checklists WHERE sha256 = ?1");
	if (!stmt)
		return NULL;
	store_bind_text(stmt, 1, sha);
	char *text = NULL;
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		text = store_column_dup(stmt, 0);
		if (len)
			*len = (size_t)sqlite3_column_bytes(stmt, 0);
	} else if (rc == SQLITE_DONE) {
		store_set_err(st, "no checklist snapshot %s", sha);
	} else {
		store_db_fail(st, "cannot read the checklist snapshot");
	}
	sqlite3_finalize(stmt);
	return text;
}

void store_run_row_clear(struct store_run_row *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->checklist_id);
	free(r->checklist_sha);
	free(r->title);
	free(r->path);
	free(r->ended);
	memset(r, 0, sizeof(*r));
}

void store_run_row_array_free(struct store_run_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		store_run_row_clear(&rows[i]);
	free(rows);
}

static void hash_field(crypto_hash_sha256_state *h, const char *s)
{
	if (s)
		crypto_hash_sha256_update(h, (const unsigned char *)s, strlen(s));
	crypto_hash_sha256_update(h, (const unsigned char *)"", 1);
}

void store_run_genesis(const struct store_run_row *run, char out[EVENT_HASH_HEX])
{
	/* The nonce is hashed as a C string: it must end within its buffer. */
	assert(run && out && memchr(run->nonce, '\0', sizeof(run->nonce)));
	char started[24];
	snprintf(started, sizeof(started), "%" PRId64, run->started_us);
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	hash_field(&h, run->id);
	hash_field(&h, run->checklist_sha);
	hash_field(&h, started);
	hash_field(&h, run->nonce);
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h, digest);
	sodium_bin2hex(out, EVENT_HASH_HEX, digest, sizeof(digest));
}

/* The columns RUN_SELECT gives, in order. */
static void fill_run(sqlite3_stmt *stmt, struct store_run_row *r)
{
	r->id = store_column_dup(stmt, 0);
	r->checklist_id = store_column_dup(stmt, 1);
	r->checklist_sha = store_column_dup(stmt, 2);
	r->title = store_column_dup(stmt, 3);
	r->path = store_column_dup(stmt, 4);
	r->started_us = sqlite3_column_int64(stmt, 5);
	snprintf(r->nonce, sizeof(r->nonce), "%s", store_column_text(stmt, 6));
	const char *state = (const char *)sqlite3_column_text(stmt, 7);
	if (state && strcmp(state, "completed") == 0) {
		r->state = "completed";
		r->ended = xstrdup(EV_RUN_COMPLETED);
	} else if (state && strcmp(state, "aborted") == 0) {
		r->state = "aborted";
		r->ended = xstrdup(EV_RUN_ABORTED);
	} else {
		r->state = "open";
	}
	r->ended_us = sqlite3_column_int64(stmt, 8);
	r->events = sqlite3_column_int64(stmt, 9);
	r->last_us = sqlite3_column_int64(stmt, 10);
	snprintf(r->head, sizeof(r->head), "%s", store_column_text(stmt, 11));
}

#define RUN_COLUMNS "id, checklist_id, checklist_sha, title, path, started_us, nonce"
/* A run with its row of the derived run table (none: a run whose first
 * event is being appended). */
#define RUN_SELECT "SELECT r.id, r.checklist_id, r.checklist_sha, r.title, r.path, r.started_us, r.nonce, " \
	"x.state, x.ended_us, x.events, x.last_us, x.head FROM runs AS r LEFT JOIN run_index AS x ON x.run = r.id"

enum store_status store_get_run(struct store *st, const char *id, struct store_run_row *out)
{
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *stmt = store_prepare(st, RUN_SELECT " WHERE r.id = ?1");
	if (!stmt)
		return STORE_FAILED;
	store_bind_text(stmt, 1, id);
	enum store_status s = STORE_OK;
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		fill_run(stmt, out);
	} else if (rc == SQLITE_DONE) {
		store_set_err(st, "no run %s", id ? id : "");
		s = STORE_NOT_FOUND;
	} else {
		s = store_db_fail(st, "cannot read the run");
	}
	sqlite3_finalize(stmt);
	return s;
}

enum store_status store_list_runs(struct store *st, struct store_run_row **out, size_t *n)
{
	return store_list_runs_filtered(st, NULL, out, n);
}

static bool state_known(const char *state)
{
	return strcmp(state, "open") == 0 || strcmp(state, "completed") == 0 || strcmp(state, "aborted") == 0;
}

/* Binds VALUE to the named parameter NAME when the statement has it. */
static void bind_named_text(sqlite3_stmt *stmt, const char *name, const char *value)
{
	int idx = sqlite3_bind_parameter_index(stmt, name);
	if (idx > 0)
		sqlite3_bind_text(stmt, idx, value, -1, SQLITE_STATIC);
}

static void bind_named_int64(sqlite3_stmt *stmt, const char *name, int64_t value)
{
	int idx = sqlite3_bind_parameter_index(stmt, name);
	if (idx > 0)
		sqlite3_bind_int64(stmt, idx, value);
}

/* Only the conditions asked for are in the query, so that SQLite picks the
 * index that serves them (a "?1 IS NULL OR" condition would defeat it). */
static char *filter_sql(const struct store_run_filter *f)
{
	struct strbuf sb = {0};
	strbuf_addstr(&sb, RUN_SELECT " WHERE 1");
	if (f && f->checklist)
		strbuf_addstr(&sb, " AND r.checklist_id = :checklist");
	if (f && f->state)
		strbuf_addstr(&sb, " AND x.state = :state");
	if (f && f->engineer)
		strbuf_addstr(&sb, " AND r.id IN (SELECT run FROM run_actors WHERE actor = :engineer)");
	if (f && f->since_us)
		strbuf_addstr(&sb, " AND r.started_us >= :since");
	if (f && f->until_us)
		strbuf_addstr(&sb, " AND r.started_us < :until");
	strbuf_addstr(&sb, " ORDER BY r.started_us DESC, r.id");
	return strbuf_detach(&sb);
}

enum store_status store_list_runs_filtered(struct store *st, const struct store_run_filter *f, struct store_run_row **out,
	size_t *n)
{
	*out = NULL;
	*n = 0;
	if (f && f->state && !state_known(f->state)) {
		store_set_err(st, "no run state \"%s\" (one of open, completed, aborted)", f->state);
		return STORE_NOT_FOUND;
	}
	char *sql = filter_sql(f);
	sqlite3_stmt *stmt = store_prepare(st, sql);
	free(sql);
	if (!stmt)
		return STORE_FAILED;
	if (f) {
		bind_named_text(stmt, ":checklist", f->checklist);
		bind_named_text(stmt, ":state", f->state);
		bind_named_text(stmt, ":engineer", f->engineer);
		bind_named_int64(stmt, ":since", f->since_us);
		bind_named_int64(stmt, ":until", f->until_us);
	}
	struct store_run_row *rows = NULL;
	size_t count = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			rows = xreallocarray(rows, cap, sizeof(*rows));
		}
		memset(&rows[count], 0, sizeof(rows[count]));
		fill_run(stmt, &rows[count++]);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		store_run_row_array_free(rows, count);
		return store_db_fail(st, "cannot list runs");
	}
	*out = rows;
	*n = count;
	return STORE_OK;
}

static void new_run_id(char out[RUN_ID_CHARS + 1])
{
	unsigned char r[RUN_ID_CHARS];
	randombytes_buf(r, sizeof(r));
	for (size_t i = 0; i < RUN_ID_CHARS; i++)
		out[i] = run_id_alphabet[r[i] & 31];
	out[RUN_ID_CHARS] = '\0';
}

static enum store_status checklist_exists(struct store *st, const char *sha)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT 1 FROM checklists WHERE sha256 = ?1");
	if (!stmt)
		return STORE_FAILED;
	store_bind_text(stmt, 1, sha);
	int rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	if (rc == SQLITE_DONE) {
		store_set_err(st, "no checklist snapshot %s: store the checklist before starting a run",
			sha ? sha : "");
		return STORE_NOT_FOUND;
	}
	return store_db_fail(st, "cannot look up the checklist snapshot");
}

/* Inserts RUN under a fresh id; a taken id (one in 2^50 per existing run)
 * is simply drawn again. */
static enum store_status insert_run(struct store *st, struct store_run_row *run)
{
	sqlite3_stmt *stmt = store_prepare(st, "INSERT INTO runs (" RUN_COLUMNS ") "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (!stmt)
		return STORE_FAILED;
	enum store_status s = STORE_FAILED;
	for (int attempt = 0; attempt < RUN_ID_ATTEMPTS; attempt++) {
		char id[RUN_ID_CHARS + 1];
		new_run_id(id);
		sqlite3_reset(stmt);
		sqlite3_bind_text(stmt, 1, id, -1, SQLITE_TRANSIENT);
		store_bind_text(stmt, 2, run->checklist_id);
		store_bind_text(stmt, 3, run->checklist_sha);
		store_bind_text(stmt, 4, run->title);
		store_bind_text(stmt, 5, run->path);
		sqlite3_bind_int64(stmt, 6, run->started_us);
		sqlite3_bind_text(stmt, 7, run->nonce, -1, SQLITE_STATIC);
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_DONE) {
			free(run->id);
			run->id = xstrdup(id);
			s = STORE_OK;
			break;
		}
		if (sqlite3_extended_errcode(st->db) != SQLITE_CONSTRAINT_PRIMARYKEY) {
			s = store_db_fail(st, "cannot create the run");
			break;
		}
		store_set_err(st, "cannot create the run: no free run id after %d attempts", RUN_ID_ATTEMPTS);
	}
	sqlite3_finalize(stmt);
	return s;
}

enum store_status store_create_run(struct store *st, struct store_run_row *run, struct event *first)
{
	/* The run's chain begins with its run_started event, in the same commit. */
	assert(st && run && first && first->kind && strcmp(first->kind, EV_RUN_STARTED) == 0);
	unsigned char nonce[RUN_NONCE_BYTES];
	randombytes_buf(nonce, sizeof(nonce));
	sodium_bin2hex(run->nonce, sizeof(run->nonce), nonce, sizeof(nonce));
	if (run->started_us == 0)
		run->started_us = clock_wall_us();
	enum store_status s = store_begin(st, true, "cannot start the run");
	if (s != STORE_OK)
		return s;
	s = checklist_exists(st, run->checklist_sha);
	if (s == STORE_OK)
		s = insert_run(st, run);
	if (s == STORE_OK)
		s = store_append_locked(st, run->id, first, 1, NULL, 0);
	/* The registry records the run too, so that removing it whole (row
	 * and events) is noticed. */
	if (s == STORE_OK) {
		char *payload = store_run_registered_payload(run);
		s = store_registry_append_locked(st, EV_RUN_REGISTERED, run->id, payload, first);
		free(payload);
	}
	if (s == STORE_OK) {
		assert(first->seq == 1);
		return store_commit(st, "cannot commit the new run");
	}
	store_rollback(st);
	return s;
}

enum store_status store_chain_genesis(struct store *st, const char *chain, char out[EVENT_HASH_HEX])
{
	if (strcmp(chain, EVENT_CHAIN_ENGINEERS) == 0) {
		static const char tag[] = STORE_ENGINEERS_GENESIS_TAG;
		event_sha256_hex(tag, sizeof(tag) - 1, out);
		return STORE_OK;
	}
	if (strcmp(chain, EVENT_CHAIN_REGISTRY) == 0) {
		static const char tag[] = STORE_REGISTRY_GENESIS_TAG;
		event_sha256_hex(tag, sizeof(tag) - 1, out);
		return STORE_OK;
	}
	struct store_run_row run;
	enum store_status s = store_get_run(st, chain, &run);
	if (s == STORE_OK)
		store_run_genesis(&run, out);
	store_run_row_clear(&run);
	return s;
}
