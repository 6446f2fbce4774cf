/* Verification of the tables the chains do not hash: each checklist
 * snapshot against its SHA-256, each run's row against its run_started
 * event, and the engineers table against the engineers chain (full names,
 * keys, roles, and the PIN hashes of engineers from before signatures). */
#include "store_verify_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

bool verify_snapshot(struct verifier *v, const struct store_run_row *run)
{
	if (strvec_find(&v->snapshots_ok, run->checklist_sha) >= 0)
		return true;
	struct db_stmt *stmt = verify_prepare(v, "SELECT text FROM checklists WHERE sha256 = ?1",
		"cannot read the checklist snapshots");
	if (!stmt)
		return false;
	db_bind_text(stmt, 1, run->checklist_sha);
	enum db_rc rc = db_step(stmt);
	bool ok = false;
	if (rc == DB_DONE) {
		verify_fail(v, 0, "the checklist snapshot %.*s... of run %s is missing (it was removed)", VERIFY_SHORT_HASH,
			run->checklist_sha, run->id);
	} else if (rc != DB_ROW) {
		verify_db_fail(v, rc, "cannot read the checklist snapshots");
	} else {
		char got[EVENT_HASH_HEX];
		size_t len = 0;
		const void *text = db_column_blob(stmt, 0, &len);
		event_sha256_hex(text, len, got);
		ok = strcmp(got, run->checklist_sha) == 0;
		if (ok)
			strvec_push(&v->snapshots_ok, run->checklist_sha);
		else
			verify_fail(v, 0, "the checklist snapshot %.*s... of run %s does not match its SHA-256 (its text "
				"was altered)", VERIFY_SHORT_HASH, run->checklist_sha, run->id);
	}
	db_finalize(stmt);
	return ok;
}

bool verify_other_snapshots(struct verifier *v)
{
	struct db_stmt *stmt = verify_prepare(v, "SELECT sha256, text FROM checklists ORDER BY sha256",
		"cannot read the checklist snapshots");
	if (!stmt)
		return false;
	v->chain = NULL;
	bool ok = true;
	enum db_rc rc = DB_DONE;
	while (ok && (rc = db_step(stmt)) == DB_ROW) {
		const char *sha = store_col_str(stmt, 0);
		if (strvec_find(&v->snapshots_ok, sha) >= 0)
			continue;
		char got[EVENT_HASH_HEX];
		size_t len = 0;
		const void *text = db_column_blob(stmt, 1, &len);
		event_sha256_hex(text, len, got);
		if (strcmp(got, sha) != 0)
			ok = verify_fail(v, 0, "the checklist snapshot %.*s..., which no run uses, does not match its SHA-256 "
				"(its text was altered)", VERIFY_SHORT_HASH, sha);
	}
	if (ok && rc != DB_DONE)
		ok = verify_db_fail(v, rc, "cannot read the checklist snapshots");
	db_finalize(stmt);
	return ok;
}

/* One field of the row against run_started's payload P. A run recorded
 * before signatures (LEGACY) may lack the field: older versions did not
 * record it. */
static bool started_field(struct verifier *v, const struct store_run_row *run, const cJSON *p, bool legacy,
	const char *field, const char *label, const char *row_value)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(p, field);
	if (!cJSON_IsString(f))
		return legacy || verify_fail(v, 1, "event 1 (run_started): does not say the run's %s, which its row "
			"says is \"%s\" (the record was altered)", label, row_value);
	if (strcmp(f->valuestring, row_value) == 0)
		return true;
	return verify_fail(v, 0, "the row of run %s says %s \"%s\", its run_started event says \"%s\" (the row was "
		"edited)", run->id, label, row_value, f->valuestring);
}

/* The engineers chain's head run_started P names (engineers_head, signed
 * with it) against the engineers chain, checked already: a run started
 * after a key rotation, a role removal or a registration fails when that
 * event was cut off the end of the engineers chain, or rewritten. */
static bool check_engineers_head(struct verifier *v, const struct store_run_row *run, const cJSON *p)
{
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(p, "engineers_head");
	if (!at)
		return true; /* started before run_started named it */
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(at, "seq");
	const cJSON *hash = cJSON_GetObjectItemCaseSensitive(at, "hash");
	if (!cJSON_IsNumber(seq) || !cJSON_IsString(hash))
		return verify_fail(v, 1, "event 1 (run_started): its engineers_head is malformed (the record was altered)");
	struct db_stmt *stmt = verify_prepare(v, "SELECT hash FROM events WHERE chain = ?1 AND seq = ?2",
		"cannot read the engineers chain");
	if (!stmt)
		return false;
	db_bind_text(stmt, 1, EVENT_CHAIN_ENGINEERS);
	db_bind_int64(stmt, 2, (int64_t)seq->valuedouble);
	enum db_rc rc = db_step(stmt);
	bool ok = rc == DB_ROW && strcmp(store_col_str(stmt, 0), hash->valuestring) == 0;
	if (rc != DB_ROW && rc != DB_DONE)
		verify_db_fail(v, rc, "cannot read the engineers chain");
	else if (!ok)
		verify_fail(v, 1, "event 1 (run_started): run %s started when the engineers chain ended at its event %" PRId64
			" (hash %.*s...), which the engineers chain %s: events were removed from its end or rewritten (the "
			"record was altered)", run->id, (int64_t)seq->valuedouble, VERIFY_SHORT_HASH, hash->valuestring,
			rc == DB_ROW ? "holds with another hash" : "no longer has");
	db_finalize(stmt);
	return ok;
}

bool verify_run_started(struct verifier *v, const struct store_run_row *run)
{
	bool legacy = !v->signatures || v->unsigned_through >= 1;
	if (!v->first_kind || strcmp(v->first_kind, EV_RUN_STARTED) != 0)
		return legacy || verify_fail(v, 1, "event 1 (%s): a run's first event is run_started (the record was "
			"altered)", v->first_kind ? v->first_kind : "none");
	cJSON *p = cJSON_Parse(v->first_payload);
	bool ok = started_field(v, run, p, legacy, "checklist", "checklist", run->checklist_id) &&
		started_field(v, run, p, legacy, "sha256", "checklist snapshot", run->checklist_sha) &&
		started_field(v, run, p, legacy, "title", "title", run->title) &&
		started_field(v, run, p, legacy, "path", "path", run->path) &&
		(!v->signatures || check_engineers_head(v, run, p));
	cJSON_Delete(p);
	return ok;
}

static const struct verify_key *current_key(const struct verify_engineer *e)
{
	return e->n_keys && e->keys[e->n_keys - 1].until_seq == 0 ? &e->keys[e->n_keys - 1] : NULL;
}

#define ROWS_DIFFER "the engineers table disagrees with the engineers chain: "

/* A legacy engineer's PIN hash against what registry_opened recorded. */
static bool check_legacy_pin(struct verifier *v, const char *name, const char *pin_hash)
{
	if (!v->signatures)
		return true;
	const cJSON *want = cJSON_GetObjectItemCaseSensitive(v->reg.legacy_pins, name);
	char got[EVENT_HASH_HEX];
	event_sha256_hex(pin_hash, strlen(pin_hash), got);
	if (cJSON_IsString(want) && strcmp(want->valuestring, got) == 0)
		return true;
	return verify_fail(v, 0, ROWS_DIFFER "%s's PIN hash is not the one recorded when signatures began (the table "
		"was edited)", name);
}

/* The row in STMT against engineer E of the chain. */
static bool check_row(struct verifier *v, struct db_stmt *stmt, const struct verify_engineer *e)
{
	const char *name = e->name;
	const char *full_name = store_col_str(stmt, 1), *pin_hash = store_col_str(stmt, 2);
	const char *pub = store_col_str(stmt, 3), *salt = store_col_str(stmt, 4);
	const struct verify_key *k = current_key(e);
	if (strcmp(full_name, e->full_name) != 0)
		return verify_fail(v, 0, ROWS_DIFFER "%s's full name is \"%s\", the chain says \"%s\" (the table was "
			"edited)", name, full_name, e->full_name);
	if (!k && pub[0])
		return verify_fail(v, 0, ROWS_DIFFER "%s has a public key, the chain gives %s none (the table was edited)",
			name, name);
	if (!k)
		return check_legacy_pin(v, name, pin_hash) && verify_roles_row(v, e, store_col_str(stmt, 7));
	if (strcmp(pub, k->pub) != 0)
		return verify_fail(v, 0, ROWS_DIFFER "%s's public key is not the one the chain gives %s (the table was "
			"edited)", name, name);
	if (strcmp(salt, k->params.salt) != 0 || (uint64_t)db_column_int64(stmt, 5) != k->params.ops ||
		(uint64_t)db_column_int64(stmt, 6) != k->params.mem)
		return verify_fail(v, 0, ROWS_DIFFER "%s's key parameters (salt, cost) are not the ones the chain gives "
			"%s (the table was edited)", name, name);
	if (pin_hash[0])
		return verify_fail(v, 0, ROWS_DIFFER "%s has a PIN hash beside a key (the table was edited)", name);
	return verify_roles_row(v, e, store_col_str(stmt, 7));
}

bool verify_engineer_rows(struct verifier *v)
{
	char *sql = xasprintf("SELECT name, full_name, pin_hash, %s, %s FROM engineers ORDER BY name",
		v->signatures ? "public_key, key_salt, key_ops, key_mem" : "'', '', 0, 0",
		v->st->schema >= STORE_SCHEMA_ROLES ? "roles" : "'[]'");
	struct db_stmt *stmt = verify_prepare(v, sql, "cannot read the engineers");
	free(sql);
	if (!stmt)
		return false;
	v->chain = EVENT_CHAIN_ENGINEERS;
	bool *seen = xcalloc(v->n_engineers + 1, sizeof(*seen));
	bool ok = true;
	enum db_rc rc = DB_DONE;
	while (ok && (rc = db_step(stmt)) == DB_ROW) {
		const char *name = store_col_str(stmt, 0);
		struct verify_engineer *e = verify_engineer_find(v, name);
		if (!e)
			ok = verify_fail(v, 0, ROWS_DIFFER "it lists %s, whom the chain never registered (the table was "
				"edited)", name);
		else
			ok = check_row(v, stmt, e);
		if (ok)
			seen[e - v->engineers] = true;
	}
	if (ok && rc != DB_DONE)
		ok = verify_db_fail(v, rc, "cannot read the engineers");
	for (size_t i = 0; ok && i < v->n_engineers; i++)
		if (!seen[i])
			ok = verify_fail(v, 0, ROWS_DIFFER "the chain registers %s, the table has no row for %s (the row "
				"was removed)", v->engineers[i].name, v->engineers[i].name);
	free(seen);
	db_finalize(stmt);
	return ok;
}
