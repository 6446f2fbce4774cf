/* The record's identity and checkpoints of it: the size and head of the
 * registry, the engineers chain and runs' chains, read in one transaction
 * (checkpoint.h has the text format). */
#include "store_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "countersign/clock.h"
#include "countersign/util.h"

/* The record id of registry_opened, inside the caller's transaction. */
static enum store_status read_record_id(struct store *st, char out[CHECKPOINT_RECORD_HEX])
{
	out[0] = '\0';
	if (st->schema < STORE_SCHEMA_SIGNED) {
		store_set_err(st, "%s predates the registry chain (schema version %d): it has no record id until a "
			"command that records brings it up to date", st->path, st->schema);
		return STORE_NOT_FOUND;
	}
	struct db_stmt *stmt = store_stmt(st, "SELECT kind, payload FROM events WHERE chain = ?1 AND seq = 1");
	if (!stmt)
		return store_last_failure(st);
	db_bind_text(stmt, 1, EVENT_CHAIN_REGISTRY);
	enum db_rc rc = db_step(stmt);
	enum store_status s = STORE_OK;
	if (rc == DB_ROW && strcmp(store_col_str(stmt, 0), EV_REGISTRY_OPENED) == 0) {
		cJSON *p = cJSON_Parse(store_col_str(stmt, 1));
		const cJSON *rec = cJSON_GetObjectItemCaseSensitive(p, "record");
		if (cJSON_IsString(rec) && strlen(rec->valuestring) == CHECKPOINT_RECORD_HEX - 1 &&
			strspn(rec->valuestring, "0123456789abcdef") == CHECKPOINT_RECORD_HEX - 1)
			memcpy(out, rec->valuestring, CHECKPOINT_RECORD_HEX);
		cJSON_Delete(p);
	} else if (rc != DB_ROW && rc != DB_DONE) {
		s = store_fail(st, rc, "cannot read the registry chain");
	}
	db_finalize(stmt);
	if (s == STORE_OK && !out[0]) {
		store_set_err(st, "the registry chain of %s does not begin with its registry_opened event naming the "
			"record (run countersign verify)", st->path);
		s = STORE_FAILED;
	}
	return s;
}

enum store_status store_record_id(struct store *st, char out[CHECKPOINT_RECORD_HEX])
{
	assert(st && out);
	enum store_status s = store_begin(st, false, "cannot start reading the record");
	if (s != STORE_OK)
		return s;
	s = read_record_id(st, out);
	store_rollback(st);
	return s;
}

/* True when S is printable ASCII without spaces: a word of the checkpoint
 * text. */
static bool one_word(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return false;
	return s[0] != '\0';
}

/* Adds CHAIN's size and head to CP; an empty chain is left out unless
 * REQUIRED. */
static enum store_status add_chain(struct store *st, struct db_stmt *head, const char *chain, bool required,
	struct checkpoint *cp)
{
	db_reset(head);
	store_bind_str(head, 1, chain);
	enum db_rc rc = db_step(head);
	if (rc == DB_ROW) {
		/* A checkpoint names what verify can later find again: a doctored
		 * last event is reported, not copied into it. */
		int64_t seq = db_column_int64(head, 0);
		const char *hash = store_col_str(head, 1);
		if (!one_word(chain)) {
			store_set_err(st, "the chain \"%s\" cannot be named in a checkpoint: its run id is not one word "
				"(the record was altered; run countersign verify)", chain);
			return STORE_FAILED;
		}
		if (seq < 1 || !store_is_sha_hex(hash)) {
			store_set_err(st, "the last event of chain %s (event %" PRId64 ") holds no valid hash (the record "
				"was altered; run countersign verify)", chain, seq);
			return STORE_FAILED;
		}
		checkpoint_add(cp, chain, seq, hash);
		return STORE_OK;
	}
	if (rc != DB_DONE)
		return store_fail(st, rc, "cannot read the head of a chain");
	if (!required)
		return STORE_OK;
	store_set_err(st, "the chain %s of %s holds no event (run countersign verify)", chain, st->path);
	return STORE_FAILED;
}

/* The run's chain, or every open run's, as they started. */
static enum store_status add_runs(struct store *st, struct db_stmt *head, const char *run_id, struct checkpoint *cp)
{
	if (run_id) {
		struct store_run_row run;
		enum store_status s = store_get_run(st, run_id, &run);
		store_run_row_clear(&run);
		return s == STORE_OK ? add_chain(st, head, run_id, true, cp) : s;
	}
	struct db_stmt *open = store_stmt(st, "SELECT r.id FROM runs AS r JOIN run_index AS x ON x.run = r.id "
		"WHERE x.state = 'open' ORDER BY r.started_us, r.id");
	if (!open)
		return store_last_failure(st);
	enum store_status s = STORE_OK;
	enum db_rc rc = DB_DONE;
	while (s == STORE_OK && (rc = db_step(open)) == DB_ROW)
		s = add_chain(st, head, store_col_str(open, 0), false, cp);
	if (s == STORE_OK && rc != DB_DONE)
		s = store_fail(st, rc, "cannot list the open runs");
	db_finalize(open);
	return s;
}

/* This host's name as a checkpoint's origin: one word (checkpoint.h). */
static char *host_name(void)
{
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			*p = '-';
	return xstrdup(host[0] ? host : "unknown");
}

enum store_status store_checkpoint(struct store *st, const char *run_id, struct checkpoint *out)
{
	assert(st && out);
	memset(out, 0, sizeof(*out));
	/* One read transaction: every chain as of one moment. */
	enum store_status s = store_begin(st, false, "cannot start reading the record");
	if (s != STORE_OK)
		return s;
	struct db_stmt *head = NULL;
	s = read_record_id(st, out->record);
	if (s == STORE_OK && !(head = store_stmt(st,
			"SELECT seq, hash FROM events WHERE chain = ?1 ORDER BY seq DESC LIMIT 1")))
		s = store_last_failure(st);
	if (s == STORE_OK)
		s = add_chain(st, head, EVENT_CHAIN_REGISTRY, true, out);
	if (s == STORE_OK)
		s = add_chain(st, head, EVENT_CHAIN_ENGINEERS, false, out);
	if (s == STORE_OK)
		s = add_runs(st, head, run_id, out);
	db_finalize(head);
	store_rollback(st);
	if (s != STORE_OK) {
		checkpoint_clear(out);
		return s;
	}
	out->host = host_name();
	out->time_us = clock_wall_us();
	return STORE_OK;
}
