/* Checklist snapshots (content-addressed) and runs: ids, nonces, the genesis
 * of each run's chain, and creating a run together with its first event. */
#include "store_internal.h"
#include "store_run_rows.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "countersign/clock.h"
#include "countersign/sha256.h"
#include "countersign/utf8.h"
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
	if (len > INT32_MAX) {
		store_set_err(st, "cannot store a checklist of %zu bytes", len);
		return STORE_FAILED;
	}
	/* The text is stored as text: NUL ends it, so a checklist holding one
	 * would be stored cut short under the hash of all its bytes. */
	if (len && memchr(text, '\0', len)) {
		store_set_err(st, "cannot store the checklist snapshot: it holds a NUL byte");
		return STORE_FAILED;
	}
	size_t bad = utf8_invalid_at(text ? text : "", len);
	if (bad < len) {
		store_set_err(st, "cannot store the checklist snapshot: it is not valid UTF-8 (byte offset %zu); "
			"the record holds only UTF-8 text", bad);
		return STORE_REFUSED;
	}
	struct db_stmt *stmt = store_stmt(st, "INSERT INTO checklists (sha256, text) VALUES (?1, ?2) "
		"ON CONFLICT DO NOTHING");
	if (!stmt)
		return store_last_failure(st);
	char *copy = xstrndup(text ? text : "", len);
	db_bind_text(stmt, 1, sha);
	db_bind_text(stmt, 2, copy);
	free(copy);
	enum store_status s = STORE_OK;
	enum db_rc rc = db_step(stmt);
	if (rc != DB_DONE)
		s = store_fail(st, rc, "cannot store the checklist snapshot");
	db_finalize(stmt);
	return s;
}

char *store_get_checklist(struct store *st, const char *sha, size_t *len)
{
	struct db_stmt *stmt = store_stmt(st, "SELECT text FROM checklists WHERE sha256 = ?1");
	if (!stmt)
		return NULL;
	store_bind_str(stmt, 1, sha);
	char *text = NULL;
	enum db_rc rc = db_step(stmt);
	if (rc == DB_ROW) {
		text = store_col_dup(stmt, 0);
		if (len)
			*len = strlen(text);
	} else if (rc == DB_DONE) {
		store_set_err(st, "no checklist snapshot %s", sha);
	} else {
		store_fail(st, rc, "cannot read the checklist snapshot");
	}
	db_finalize(stmt);
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

static void hash_field(struct sha256 *h, const char *s)
{
	if (s)
		sha256_update(h, s, strlen(s));
	sha256_update(h, "", 1);
}

void store_run_genesis(const struct store_run_row *run, char out[EVENT_HASH_HEX])
{
	/* The nonce is hashed as a C string: it must end within its buffer. */
	assert(run && out && memchr(run->nonce, '\0', sizeof(run->nonce)));
	char started[24];
	snprintf(started, sizeof(started), "%" PRId64, run->started_us);
	struct sha256 *h = sha256_create();
	hash_field(h, run->id);
	hash_field(h, run->checklist_sha);
	hash_field(h, started);
	hash_field(h, run->nonce);
	sha256_final_hex(h, out);
	sha256_destroy(h);
}

void store_fill_run(struct db_stmt *stmt, struct store_run_row *r)
{
	r->id = store_col_dup(stmt, 0);
	r->checklist_id = store_col_dup(stmt, 1);
	r->checklist_sha = store_col_dup(stmt, 2);
	r->title = store_col_dup(stmt, 3);
	r->path = store_col_dup(stmt, 4);
	r->started_us = db_column_int64(stmt, 5);
	snprintf(r->nonce, sizeof(r->nonce), "%s", store_col_str(stmt, 6));
	const char *state = db_column_text(stmt, 7);
	if (state && strcmp(state, "completed") == 0) {
		r->state = "completed";
		r->ended = xstrdup(EV_RUN_COMPLETED);
	} else if (state && strcmp(state, "aborted") == 0) {
		r->state = "aborted";
		r->ended = xstrdup(EV_RUN_ABORTED);
	} else {
		r->state = "open";
	}
	/* NULL (no end, no row yet) reads as 0. */
	r->ended_us = db_column_is_null(stmt, 8) ? 0 : db_column_int64(stmt, 8);
	r->events = db_column_is_null(stmt, 9) ? 0 : db_column_int64(stmt, 9);
	r->last_us = db_column_is_null(stmt, 10) ? 0 : db_column_int64(stmt, 10);
	snprintf(r->head, sizeof(r->head), "%s", store_col_str(stmt, 11));
}

#define RUN_COLUMNS "id, checklist_id, checklist_sha, title, path, started_us, nonce"

enum store_status store_get_run(struct store *st, const char *id, struct store_run_row *out)
{
	memset(out, 0, sizeof(*out));
	struct db_stmt *stmt = store_stmt(st, STORE_RUN_SELECT " WHERE r.id = ?1");
	if (!stmt)
		return store_last_failure(st);
	store_bind_str(stmt, 1, id);
	enum store_status s = STORE_OK;
	enum db_rc rc = db_step(stmt);
	if (rc == DB_ROW) {
		store_fill_run(stmt, out);
	} else if (rc == DB_DONE) {
		store_set_err(st, "no run %s", id ? id : "");
		s = STORE_NOT_FOUND;
	} else {
		s = store_fail(st, rc, "cannot read the run");
	}
	db_finalize(stmt);
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

/* Only the conditions asked for are in the query, so that SQLite picks the
 * index that serves them (a "?1 IS NULL OR" condition would defeat it).
 * Parameters are numbered in the order bind_filter binds them. */
static char *filter_sql(const struct store_run_filter *f)
{
	struct strbuf sb = {0};
	int n = 0;
	strbuf_addstr(&sb, STORE_RUN_SELECT " WHERE 1 = 1");
	if (f && f->checklist)
		strbuf_addf(&sb, " AND r.checklist_id = ?%d", ++n);
	if (f && f->state)
		strbuf_addf(&sb, " AND x.state = ?%d", ++n);
	if (f && f->engineer)
		strbuf_addf(&sb, " AND r.id IN (SELECT run FROM run_actors WHERE actor = ?%d)", ++n);
	if (f && f->since_us)
		strbuf_addf(&sb, " AND r.started_us >= ?%d", ++n);
	if (f && f->until_us)
		strbuf_addf(&sb, " AND r.started_us < ?%d", ++n);
	strbuf_addstr(&sb, " ORDER BY r.started_us DESC, r.id");
	return strbuf_detach(&sb);
}

/* Binds F's conditions in filter_sql's order. */
static void bind_filter(struct db_stmt *stmt, const struct store_run_filter *f)
{
	int n = 0;
	if (!f)
		return;
	if (f->checklist)
		db_bind_text(stmt, ++n, f->checklist);
	if (f->state)
		db_bind_text(stmt, ++n, f->state);
	if (f->engineer)
		db_bind_text(stmt, ++n, f->engineer);
	if (f->since_us)
		db_bind_int64(stmt, ++n, f->since_us);
	if (f->until_us)
		db_bind_int64(stmt, ++n, f->until_us);
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
	struct db_stmt *stmt = store_stmt(st, sql);
	free(sql);
	if (!stmt)
		return store_last_failure(st);
	bind_filter(stmt, f);
	return store_collect_runs(st, stmt, "cannot list runs", out, n);
}

enum store_status store_collect_runs(struct store *st, struct db_stmt *stmt, const char *what,
	struct store_run_row **out, size_t *n)
{
	struct store_run_row *rows = NULL;
	size_t count = 0, cap = 0;
	enum db_rc rc;
	while ((rc = db_step(stmt)) == DB_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			rows = xreallocarray(rows, cap, sizeof(*rows));
		}
		memset(&rows[count], 0, sizeof(rows[count]));
		store_fill_run(stmt, &rows[count++]);
	}
	enum store_status s = rc == DB_DONE ? STORE_OK : store_fail(st, rc, what);
	db_finalize(stmt);
	if (s != STORE_OK) {
		store_run_row_array_free(rows, count);
		rows = NULL;
		count = 0;
	}
	*out = rows;
	*n = count;
	return s;
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
	struct db_stmt *stmt = store_stmt(st, "SELECT 1 FROM checklists WHERE sha256 = ?1");
	if (!stmt)
		return store_last_failure(st);
	store_bind_str(stmt, 1, sha);
	enum db_rc rc = db_step(stmt);
	if (rc == DB_ROW || rc == DB_DONE)
		db_finalize(stmt);
	if (rc == DB_ROW)
		return STORE_OK;
	if (rc == DB_DONE) {
		store_set_err(st, "no checklist snapshot %s: store the checklist before starting a run",
			sha ? sha : "");
		return STORE_NOT_FOUND;
	}
	enum store_status s = store_fail(st, rc, "cannot look up the checklist snapshot");
	db_finalize(stmt);
	return s;
}

/* Inserts RUN under a fresh id; a taken id (one in 2^50 per existing run)
 * is simply drawn again. The insert does nothing on a taken id rather
 * than fail: a failed statement ends a PostgreSQL transaction. */
static enum store_status insert_run(struct store *st, struct store_run_row *run)
{
	struct db_stmt *stmt = store_stmt(st, "INSERT INTO runs (" RUN_COLUMNS ") "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING");
	if (!stmt)
		return store_last_failure(st);
	enum store_status s = STORE_FAILED;
	for (int attempt = 0; attempt < RUN_ID_ATTEMPTS; attempt++) {
		char id[RUN_ID_CHARS + 1];
		new_run_id(id);
		db_reset(stmt);
		db_bind_text(stmt, 1, id);
		store_bind_str(stmt, 2, run->checklist_id);
		store_bind_str(stmt, 3, run->checklist_sha);
		store_bind_str(stmt, 4, run->title);
		store_bind_str(stmt, 5, run->path);
		db_bind_int64(stmt, 6, run->started_us);
		db_bind_text(stmt, 7, run->nonce);
		enum db_rc rc = db_step(stmt);
		if (rc != DB_DONE) {
			s = store_fail(st, rc, "cannot create the run");
			break;
		}
		if (db_changes(st->conn) == 1) {
			free(run->id);
			run->id = xstrdup(id);
			s = STORE_OK;
			break;
		}
		store_set_err(st, "cannot create the run: no free run id after %d attempts", RUN_ID_ATTEMPTS);
	}
	db_finalize(stmt);
	return s;
}

/* Adds to run_started FIRST (a JSON object's text) the engineers chain's
 * last event, "engineers_head": {"seq": N, "hash": H}, read inside the
 * run's transaction: the run's signed first event then fixes the engineers
 * chain up to there, so that a key rotation, a role removal or a
 * registration cut off the end of that chain is noticed by every run
 * started since. Nothing is added while the chain is empty. */
static enum store_status add_engineers_head(struct store *st, struct event *first)
{
	struct db_stmt *stmt = store_stmt(st, "SELECT seq, hash FROM events WHERE chain = ?1 ORDER BY seq DESC LIMIT 1");
	if (!stmt)
		return store_last_failure(st);
	store_bind_str(stmt, 1, EVENT_CHAIN_ENGINEERS);
	enum db_rc rc = db_step(stmt);
	enum store_status s = STORE_OK;
	size_t len = first->payload ? strlen(first->payload) : 0;
	if (rc == DB_ROW && len >= 2 && first->payload[len - 1] == '}') {
		char *p = xasprintf("%.*s%s\"engineers_head\":{\"seq\":%" PRId64 ",\"hash\":\"%s\"}}", (int)(len - 1),
			first->payload, len > 2 ? "," : "", db_column_int64(stmt, 0), store_col_str(stmt, 1));
		free(first->payload);
		first->payload = p;
	} else if (rc != DB_ROW && rc != DB_DONE) {
		s = store_fail(st, rc, "cannot read the engineers chain");
	}
	db_finalize(stmt);
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
	/* Nothing that is not UTF-8 goes to the server (store_append_locked). */
	char *bad = event_text_invalid("title", run->title, false);
	if (!bad)
		bad = event_text_invalid("path", run->path, false);
	if (!bad)
		bad = event_text_invalid("checklist id", run->checklist_id, false);
	if (!bad)
		bad = event_invalid_text(first);
	if (bad) {
		store_set_err(st, "cannot start the run: its %s; the record holds only UTF-8 text", bad);
		free(bad);
		return STORE_REFUSED;
	}
	enum store_status s = store_begin(st, true, "cannot start the run");
	if (s != STORE_OK)
		return s;
	/* The caller's payload comes back unchanged when nothing is recorded
	 * (a retry adds the head once). */
	char *asked = first->payload ? xstrdup(first->payload) : NULL;
	s = checklist_exists(st, run->checklist_sha);
	if (s == STORE_OK)
		s = insert_run(st, run);
	if (s == STORE_OK)
		s = add_engineers_head(st, first);
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
		s = store_commit(st, "cannot commit the new run");
	} else {
		store_rollback(st);
	}
	if (s == STORE_OK) {
		free(asked);
	} else {
		free(first->payload);
		first->payload = asked;
	}
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
