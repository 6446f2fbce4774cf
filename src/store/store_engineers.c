/* The engineer registry: rows in `engineers`, each change mirrored by an
 * event of the "engineers" chain in the same transaction. */
#include "store_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/clock.h"
#include "countersign/util.h"

void store_engineer_clear(struct store_engineer *e)
{
	if (!e)
		return;
	free(e->name);
	free(e->full_name);
	free(e->pin_hash);
	store_roles_free(e->roles, e->n_roles);
	memset(e, 0, sizeof(*e));
}

bool store_engineer_has_role(const struct store_engineer *e, const char *role)
{
	for (size_t i = 0; e && role && i < e->n_roles; i++)
		if (strcmp(e->roles[i], role) == 0)
			return true;
	return false;
}

/* An event of the engineers chain that borrows ORIGIN's identity fields;
 * only the payload is owned (free it after the append). Its time, unless
 * ORIGIN gives one, is assigned inside the write transaction, so that
 * commit order and time order agree. */
static struct event engineers_event(const struct event *origin, const char *kind, const char *name,
	char *payload)
{
	struct event ev = {0};
	if (origin) {
		ev.time_us = origin->time_us;
		ev.actor = origin->actor;
		ev.os_user = origin->os_user;
		ev.host = origin->host;
		ev.tty = origin->tty;
	}
	ev.kind = (char *)kind;
	ev.target = (char *)name;
	ev.payload = payload;
	return ev;
}


/* A payload of the engineers chain, built inside the caller's transaction:
 * {full_name} when FULL_NAME is not NULL, the key {public, salt, ops, mem},
 * and the heads (store_add_heads) when the key arrives, so that verify can tell
 * what was recorded before it. Malloc'd JSON text into *OUT. */
static enum store_status key_payload(struct store *st, const char *full_name, const char *public_hex,
	const struct sign_params *p, char **out)
{
	*out = NULL;
	cJSON *obj = cJSON_CreateObject();
	if (full_name)
		cJSON_AddStringToObject(obj, "full_name", full_name);
	cJSON_AddItemToObject(obj, "key", sign_key_to_json(public_hex, p));
	enum store_status s = store_add_heads(st, obj);
	char *text = s == STORE_OK ? cJSON_PrintUnformatted(obj) : NULL;
	cJSON_Delete(obj);
	if (s != STORE_OK)
		return s;
	if (!text)
		abort(); /* cJSON fails only when out of memory */
	*out = xstrdup(text);
	cJSON_free(text);
	return STORE_OK;
}

/* Whether KEY may sign as the holder of PUBLIC_HEX under P: a key that
 * matches, and parameters that pass sign_params_valid. */
static bool key_usable(struct store *st, const char *what, const struct sign_key *key, const char *public_hex,
	const struct sign_params *p)
{
	const char *why = NULL;
	if (!key || !public_hex || !p) {
		store_set_err(st, "%s: no signing key given", what);
		return false;
	}
	if (strcmp(sign_key_public(key), public_hex) != 0) {
		store_set_err(st, "%s: the signing key is not the one its public key names", what);
		return false;
	}
	if (!sign_params_valid(p, &why)) {
		store_set_err(st, "%s: %s", what, why);
		return false;
	}
	return true;
}

/* STORE_CONFLICT when NAME has a row or was ever registered in the chain. */
static enum store_status name_free(struct store *st, const char *name)
{
	struct db_stmt *stmt = store_stmt(st,
		"SELECT 1 FROM engineers WHERE name = ?1 UNION ALL "
		"SELECT 1 FROM events WHERE chain = ?2 AND kind = ?3 AND target = ?1 LIMIT 1");
	if (!stmt)
		return store_last_failure(st);
	store_bind_str(stmt, 1, name);
	db_bind_text(stmt, 2, EVENT_CHAIN_ENGINEERS);
	db_bind_text(stmt, 3, EV_ENGINEER_ADDED);
	enum db_rc rc = db_step(stmt);
	enum store_status s = STORE_OK;
	if (rc == DB_ROW) {
		store_set_err(st, "engineer name %s is already taken (names are never reused)", name);
		s = STORE_CONFLICT;
	} else if (rc != DB_DONE) {
		s = store_fail(st, rc, "cannot look up the engineer");
	}
	db_finalize(stmt);
	return s;
}

static enum store_status insert_engineer(struct store *st, const struct store_engineer *e, int64_t created_us)
{
	struct db_stmt *stmt = store_stmt(st, "INSERT INTO engineers (name, full_name, pin_hash, created_us, "
		"public_key, key_salt, key_ops, key_mem) VALUES (?1, ?2, '', ?3, ?4, ?5, ?6, ?7)");
	if (!stmt)
		return store_last_failure(st);
	store_bind_str(stmt, 1, e->name);
	store_bind_str(stmt, 2, e->full_name);
	db_bind_int64(stmt, 3, created_us);
	store_bind_str(stmt, 4, e->public_key);
	store_bind_str(stmt, 5, e->key.salt);
	db_bind_int64(stmt, 6, (int64_t)e->key.ops);
	db_bind_int64(stmt, 7, (int64_t)e->key.mem);
	enum store_status s = STORE_OK;
	enum db_rc rc = db_step(stmt);
	if (rc != DB_DONE)
		s = store_fail(st, rc, "cannot add the engineer");
	db_finalize(stmt);
	return s;
}

enum store_status store_add_engineer(struct store *st, const struct store_engineer *e,
	const struct event *origin, const struct sign_key *key)
{
	assert(st && e);
	if (!e->name || !e->name[0]) {
		store_set_err(st, "cannot add an engineer without a name");
		return STORE_FAILED;
	}
	if (!key_usable(st, "cannot add the engineer", key, e->public_key, &e->key))
		return STORE_FAILED;
	/* Nothing that is not UTF-8 goes to the server (store_append_locked). */
	char *bad = event_text_invalid("full name", e->full_name, false);
	if (!bad)
		bad = event_text_invalid("name", e->name, false);
	if (bad) {
		store_set_err(st, "cannot add the engineer: the %s; the record holds only UTF-8 text", bad);
		free(bad);
		return STORE_REFUSED;
	}
	struct event ev = engineers_event(origin, EV_ENGINEER_ADDED, e->name, NULL);
	ev.signers[0] = key;
	ev.signer_names[0] = e->name;
	enum store_status s = store_begin(st, true, "cannot add the engineer");
	if (s != STORE_OK)
		goto cleanup;
	if (ev.time_us == 0)
		ev.time_us = clock_wall_us();
	s = name_free(st, e->name);
	if (s == STORE_OK)
		s = key_payload(st, e->full_name ? e->full_name : "", e->public_key, &e->key, &ev.payload);
	if (s == STORE_OK)
		s = insert_engineer(st, e, e->created_us ? e->created_us : ev.time_us);
	if (s == STORE_OK)
		s = store_append_locked(st, EVENT_CHAIN_ENGINEERS, &ev, 1, NULL, 0);
	if (s == STORE_OK)
		s = store_commit(st, "cannot commit the new engineer");
	else
		store_rollback(st);
cleanup:
	free(ev.sigs);
	free(ev.payload);
	return s;
}

enum store_status store_engineer_column(struct store *st, const char *name, const char *column, char **out)
{
	*out = NULL;
	char *sql = xasprintf("SELECT %s FROM engineers WHERE name = ?1", column);
	struct db_stmt *stmt = store_stmt(st, sql);
	free(sql);
	if (!stmt)
		return store_last_failure(st);
	store_bind_str(stmt, 1, name);
	enum store_status s = STORE_OK;
	enum db_rc rc = db_step(stmt);
	if (rc == DB_ROW) {
		*out = store_col_dup(stmt, 0);
	} else if (rc == DB_DONE) {
		store_set_err(st, "no engineer %s", name);
		s = STORE_NOT_FOUND;
	} else {
		s = store_fail(st, rc, "cannot read the engineer");
	}
	db_finalize(stmt);
	return s;
}

/* NAME's current public key into CURRENT ("" for none); STORE_NOT_FOUND for
 * an unknown NAME. Inside the caller's transaction. */
static enum store_status current_key(struct store *st, const char *name, char current[SIGN_KEY_HEX])
{
	char *key = NULL;
	enum store_status s = store_engineer_column(st, name, "public_key", &key);
	if (s == STORE_OK)
		snprintf(current, SIGN_KEY_HEX, "%s", key);
	free(key);
	return s;
}

static enum store_status update_key(struct store *st, const char *name, const char *public_hex,
	const struct sign_params *p)
{
	struct db_stmt *stmt = store_stmt(st, "UPDATE engineers SET pin_hash = '', public_key = ?2, key_salt = ?3, "
		"key_ops = ?4, key_mem = ?5 WHERE name = ?1");
	if (!stmt)
		return store_last_failure(st);
	store_bind_str(stmt, 1, name);
	store_bind_str(stmt, 2, public_hex);
	store_bind_str(stmt, 3, p->salt);
	db_bind_int64(stmt, 4, (int64_t)p->ops);
	db_bind_int64(stmt, 5, (int64_t)p->mem);
	enum store_status s = STORE_OK;
	enum db_rc rc = db_step(stmt);
	if (rc != DB_DONE)
		s = store_fail(st, rc, "cannot record the engineer's key");
	db_finalize(stmt);
	return s;
}

/* What a key event says of the record when it happens: the registry
 * chain's length and the hash of its last event, and the last seq of every
 * open run. The hash fixes the registry up to there under the key event's
 * signatures: an unsigned registry event cannot be moved in front of it, as
 * if a run had ended before a rotation. Verify then refuses
 * a replaced key's signature on anything recorded after its rotation (a
 * leaked old PIN signs nothing new, whatever time it claims), and an
 * engineer's unsigned event recorded after their key arrived. A JSON
 * object added to OBJ as "heads". Inside the caller's transaction. */
enum store_status store_add_heads(struct store *st, struct cJSON *obj)
{
	struct db_stmt *reg = store_stmt(st, "SELECT seq, hash FROM events WHERE chain = ?1 ORDER BY seq DESC LIMIT 1");
	struct db_stmt *open = reg ? store_stmt(st,
		"SELECT run, last_seq FROM run_index WHERE state = 'open' ORDER BY run") : NULL;
	enum store_status s = STORE_OK;
	if (!reg || !open) {
		s = store_last_failure(st);
		goto cleanup;
	}
	cJSON *heads = cJSON_AddObjectToObject(obj, "heads");
	db_bind_text(reg, 1, EVENT_CHAIN_REGISTRY);
	enum db_rc rc = db_step(reg);
	if (rc != DB_ROW && rc != DB_DONE) {
		s = store_fail(st, rc, "cannot read the registry chain");
		goto cleanup;
	}
	cJSON_AddNumberToObject(heads, "registry", rc == DB_ROW ? (double)db_column_int64(reg, 0) : 0);
	if (rc == DB_ROW)
		cJSON_AddStringToObject(heads, "registry_head", store_col_str(reg, 1));
	cJSON *runs = cJSON_AddObjectToObject(heads, "runs");
	while ((rc = db_step(open)) == DB_ROW)
		cJSON_AddNumberToObject(runs, store_col_str(open, 0), (double)db_column_int64(open, 1));
	if (rc != DB_DONE)
		s = store_fail(st, rc, "cannot read the open runs");
cleanup:
	db_finalize(reg);
	db_finalize(open);
	return s;
}

/* The checks and writes of store_set_key, inside its transaction. The row
 * changes first when enrolling (the new key signs, and must be current),
 * after the event when rotating (the old key signs first). */
static enum store_status set_key_locked(struct store *st, const char *name, bool enrol, const struct sign_key *key,
	const struct sign_params *p, const struct sign_key *old_key, struct event *ev)
{
	char current[SIGN_KEY_HEX] = "";
	enum store_status s = current_key(st, name, current);
	if (s != STORE_OK)
		return s;
	if (enrol && current[0]) {
		store_set_err(st, "%s already has a signing key (another process recorded it first)", name);
		return STORE_REFUSED;
	}
	if (!enrol && (!current[0] || strcmp(current, sign_key_public(old_key)) != 0)) {
		store_set_err(st, current[0] ? "the PIN of %s was changed since it was entered; enter it again"
			: "%s has no signing key to replace yet; enter the PIN of %s again", name, name);
		return STORE_REFUSED;
	}
	s = key_payload(st, NULL, sign_key_public(key), p, &ev->payload);
	if (s != STORE_OK)
		return s;
	if (enrol)
		s = update_key(st, name, sign_key_public(key), p);
	if (s == STORE_OK)
		s = store_append_locked(st, EVENT_CHAIN_ENGINEERS, ev, 1, NULL, 0);
	if (s == STORE_OK && !enrol)
		s = update_key(st, name, sign_key_public(key), p);
	return s;
}

enum store_status store_set_key(struct store *st, const char *name, const char *kind, const struct sign_key *key,
	const struct sign_params *p, const struct sign_key *old_key, const struct event *origin)
{
	assert(st && name && kind);
	bool enrol = strcmp(kind, EV_KEY_ENROLLED) == 0;
	if (!enrol && strcmp(kind, EV_KEY_ROTATED) != 0) {
		store_set_err(st, "cannot record a key as %s (%s or %s)", kind, EV_KEY_ENROLLED, EV_KEY_ROTATED);
		return STORE_FAILED;
	}
	const char *why = NULL;
	if (!key || !p || (!enrol && !old_key) || !sign_params_valid(p, &why)) {
		store_set_err(st, "cannot record the engineer's key: %s", why ? why : "no key given");
		return STORE_FAILED;
	}
	if (!key_usable(st, "cannot record the engineer's key", key, sign_key_public(key), p))
		return STORE_FAILED;
	/* Enrolling, the new key signs; rotating, the old one (checked against
	 * the row inside the transaction) and the new one, so that neither PIN
	 * alone can make a rotation. */
	struct event ev = engineers_event(origin, kind, name, NULL);
	ev.signers[0] = enrol ? key : old_key;
	ev.signer_names[0] = name;
	if (!enrol) {
		ev.signers[1] = key;
		ev.signer_names[1] = name;
	}
	enum store_status s = store_begin(st, true, "cannot record the engineer's key");
	if (s == STORE_OK) {
		if (ev.time_us == 0)
			ev.time_us = clock_wall_us();
		s = set_key_locked(st, name, enrol, key, p, old_key, &ev);
		if (s == STORE_OK)
			s = store_commit(st, "cannot commit the engineer's key");
		else
			store_rollback(st);
	}
	free(ev.sigs);
	free(ev.payload);
	return s;
}

/* Copies column COL into DST of SIZE bytes; an overlong value (an edited
 * row) becomes "invalid" rather than its prefix, which would pass for a
 * well-formed key or salt and make the right PIN look wrong. */
static void copy_key_field(struct db_stmt *stmt, int col, char *dst, size_t size)
{
	const char *text = store_col_str(stmt, col);
	snprintf(dst, size, "%s", strlen(text) < size ? text : "invalid");
}

static void fill_engineer(struct db_stmt *stmt, struct store_engineer *e)
{
	e->name = store_col_dup(stmt, 0);
	e->full_name = store_col_dup(stmt, 1);
	e->pin_hash = store_col_dup(stmt, 2);
	e->created_us = db_column_int64(stmt, 3);
	copy_key_field(stmt, 4, e->public_key, sizeof(e->public_key));
	copy_key_field(stmt, 5, e->key.salt, sizeof(e->key.salt));
	e->key.ops = (uint64_t)db_column_int64(stmt, 6);
	e->key.mem = (uint64_t)db_column_int64(stmt, 7);
	/* An edited column that is not an array of names reads as no roles
	 * (verify says what is wrong with it). */
	if (!store_roles_parse(store_col_str(stmt, 8), &e->roles, &e->n_roles)) {
		e->roles = NULL;
		e->n_roles = 0;
	}
}

/* The columns fill_engineer reads; a database older than keys has none,
 * one older than roles no roles. */
static char *engineer_select(const struct store *st, const char *rest)
{
	return xasprintf("SELECT name, full_name, pin_hash, created_us, %s, %s FROM engineers %s",
		st->schema >= STORE_SCHEMA_SIGNED ? "public_key, key_salt, key_ops, key_mem" : "'', '', 0, 0",
		st->schema >= STORE_SCHEMA_ROLES ? "roles" : "'[]'", rest);
}

enum store_status store_get_engineer(struct store *st, const char *name, struct store_engineer *out)
{
	memset(out, 0, sizeof(*out));
	char *sql = engineer_select(st, "WHERE name = ?1");
	struct db_stmt *stmt = store_stmt(st, sql);
	free(sql);
	if (!stmt)
		return store_last_failure(st);
	store_bind_str(stmt, 1, name);
	enum store_status s = STORE_OK;
	enum db_rc rc = db_step(stmt);
	if (rc == DB_ROW) {
		fill_engineer(stmt, out);
	} else if (rc == DB_DONE) {
		store_set_err(st, "no engineer %s", name ? name : "");
		s = STORE_NOT_FOUND;
	} else {
		s = store_fail(st, rc, "cannot read the engineer");
	}
	db_finalize(stmt);
	return s;
}

enum store_status store_list_engineers(struct store *st, struct store_engineer **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	char *sql = engineer_select(st, "ORDER BY name");
	struct db_stmt *stmt = store_stmt(st, sql);
	free(sql);
	if (!stmt)
		return store_last_failure(st);
	struct store_engineer *list = NULL;
	size_t count = 0;
	enum db_rc rc;
	while ((rc = db_step(stmt)) == DB_ROW) {
		list = xreallocarray(list, count + 1, sizeof(*list));
		fill_engineer(stmt, &list[count++]);
	}
	enum store_status s = rc == DB_DONE ? STORE_OK : store_fail(st, rc, "cannot list engineers");
	db_finalize(stmt);
	if (s != STORE_OK) {
		for (size_t i = 0; i < count; i++)
			store_engineer_clear(&list[i]);
		free(list);
		return s;
	}
	*out = list;
	*n = count;
	return STORE_OK;
}

enum store_status store_count_pin_failures(struct store *st, const char *name, int64_t since_us,
	int *count, int64_t *oldest_us)
{
	*count = 0;
	if (oldest_us)
		*oldest_us = 0;
	struct db_stmt *stmt = store_stmt(st, "SELECT count(*), min(time_us) FROM events "
		"WHERE kind = ?1 AND chain = ?2 AND target = ?3 AND time_us >= ?4");
	if (!stmt)
		return store_last_failure(st);
	db_bind_text(stmt, 1, EV_PIN_FAILED);
	db_bind_text(stmt, 2, EVENT_CHAIN_ENGINEERS);
	store_bind_str(stmt, 3, name);
	db_bind_int64(stmt, 4, since_us);
	enum store_status s = STORE_OK;
	enum db_rc rc = db_step(stmt);
	if (rc == DB_ROW) {
		*count = (int)db_column_int64(stmt, 0);
		if (oldest_us)
			*oldest_us = db_column_int64(stmt, 1);
	} else {
		s = store_fail(st, rc, "cannot count PIN failures");
	}
	db_finalize(stmt);
	return s;
}

/* Counts settled failures and unsettled reservations of NAME since SINCE_US;
 * runs inside the caller's write transaction. */
static enum store_status count_attempts(struct store *st, const char *name, int64_t since_us, int *count,
	int64_t *oldest_us)
{
	int failures = 0, pending = 0;
	int64_t oldest_failure = 0, oldest_pending = 0;
	enum store_status s = store_count_pin_failures(st, name, since_us, &failures, &oldest_failure);
	if (s != STORE_OK)
		return s;
	struct db_stmt *stmt = store_stmt(st, "SELECT count(*), min(time_us) FROM pin_attempts "
		"WHERE engineer = ?1 AND time_us >= ?2");
	if (!stmt)
		return store_last_failure(st);
	store_bind_str(stmt, 1, name);
	db_bind_int64(stmt, 2, since_us);
	enum db_rc rc = db_step(stmt);
	if (rc == DB_ROW) {
		pending = (int)db_column_int64(stmt, 0);
		oldest_pending = db_column_int64(stmt, 1);
	} else {
		s = store_fail(st, rc, "cannot count PIN attempts");
	}
	db_finalize(stmt);
	*count = failures + pending;
	*oldest_us = failures == 0 ? oldest_pending
		: pending == 0 || oldest_failure < oldest_pending ? oldest_failure : oldest_pending;
	return s;
}

/* Inserts a pending attempt of NAME now; its id (the ticket that settles
 * it) into *TICKET. Inside the caller's write transaction. */
static enum store_status reserve_attempt(struct store *st, const char *name, int64_t *ticket)
{
	struct db_stmt *stmt = store_stmt(st,
		"INSERT INTO pin_attempts (engineer, time_us) VALUES (?1, ?2) RETURNING id");
	if (!stmt)
		return store_last_failure(st);
	store_bind_str(stmt, 1, name);
	db_bind_int64(stmt, 2, clock_wall_us());
	enum store_status s = STORE_OK;
	enum db_rc rc = db_step(stmt);
	if (rc == DB_ROW) {
		*ticket = db_column_int64(stmt, 0);
		rc = db_step(stmt);
	}
	if (rc != DB_DONE) {
		s = store_fail(st, rc, "cannot reserve a PIN attempt");
	} else if (*ticket <= 0) {
		store_set_err(st, "cannot reserve a PIN attempt: the database gave it no id");
		s = STORE_FAILED;
	}
	db_finalize(stmt);
	return s;
}

enum store_status store_pin_reserve(struct store *st, const char *name, int64_t since_us, int max,
	int *count, int64_t *oldest_us, int64_t *ticket)
{
	assert(st && name && max > 0 && count && oldest_us && ticket);
	*count = 0;
	*oldest_us = 0;
	*ticket = 0;
	enum store_status s = store_begin(st, true, "cannot check the PIN");
	if (s != STORE_OK)
		return s;
	s = count_attempts(st, name, since_us, count, oldest_us);
	if (s == STORE_OK && *count >= max)
		s = STORE_REFUSED;
	if (s == STORE_OK) {
		s = reserve_attempt(st, name, ticket);
	}
	if (s == STORE_OK)
		return store_commit(st, "cannot reserve a PIN attempt");
	store_rollback(st);
	return s;
}

/* The EV_PIN_LOCKED event that follows FAILED when its failures since
 * SINCE_US reach MAX; *EV's payload is malloc'd (the caller frees it), its
 * other strings are FAILED's. Runs inside the caller's write transaction. */
static enum store_status lock_event(struct store *st, const struct event *failed, int64_t since_us,
	int64_t window_us, int max, struct event *ev, bool *locked)
{
	*locked = false;
	int count = 0;
	int64_t oldest = 0;
	enum store_status s = store_count_pin_failures(st, failed->target, since_us, &count, &oldest);
	if (s != STORE_OK || count < max)
		return s;
	cJSON *p = cJSON_CreateObject();
	/* Raw: a double would round a time in microseconds. */
	char until[24];
	snprintf(until, sizeof(until), "%" PRId64, oldest + window_us);
	cJSON_AddRawToObject(p, "until_us", until);
	cJSON_AddNumberToObject(p, "failures", count);
	cJSON *failed_payload = cJSON_Parse(failed->payload ? failed->payload : "{}");
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(failed_payload, "run");
	if (cJSON_IsString(run))
		cJSON_AddStringToObject(p, "run", run->valuestring);
	cJSON_Delete(failed_payload);
	char *payload = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	if (!payload)
		abort();
	*ev = engineers_event(failed, EV_PIN_LOCKED, failed->target, payload);
	*locked = true;
	return STORE_OK;
}

/* A right PIN's settlement only removes its reservation, and its commit
 * does not wait for the disk (one fsync less in every command that asks
 * for a PIN): the next commit that waits (the check, signature... the PIN
 * was asked for), or the checkpoint when the record is closed, writes it
 * out with everything before it. Lost in a power failure, the reservation
 * stays and counts as an attempt until the window passes: never fewer
 * attempts counted than were made. SQLite sets this outside a transaction
 * (RELAX before it, then back); PostgreSQL for one transaction. A wrong
 * PIN's event waits for the disk as every event does. */
static enum store_status relax_sync(struct store *st, bool relax)
{
	if (store_is_pg(st))
		return STORE_OK;
	enum db_rc rc = db_exec(st->conn, relax ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL");
	if (rc != DB_OK && !relax) {
		/* Every later commit of this connection would not wait. */
		fprintf(stderr, "countersign: cannot restore synchronous=FULL on %s: %s\n", st->path,
			db_error(st->conn));
		abort();
	}
	return rc == DB_OK ? STORE_OK : store_fail(st, rc, "cannot settle the PIN attempt");
}

enum store_status store_pin_settle(struct store *st, int64_t ticket, struct event *failed, int64_t since_us,
	int64_t window_us, int max, bool *locked)
{
	/* A failure is counted against the engineer it names. */
	assert(st && ticket > 0 && (!failed || (failed->target && failed->target[0])));
	bool lock = false;
	struct event lock_ev = {0};
	bool relax = !failed;
	enum store_status s = relax ? relax_sync(st, true) : STORE_OK;
	if (s != STORE_OK)
		return s;
	s = store_begin(st, true, "cannot record the PIN attempt");
	if (s != STORE_OK) {
		if (relax)
			relax_sync(st, false);
		return s;
	}
	if (relax && store_is_pg(st)) {
		enum db_rc rc = db_exec(st->conn, "SET LOCAL synchronous_commit = off");
		if (rc != DB_OK)
			s = store_fail(st, rc, "cannot settle the PIN attempt");
	}
	struct db_stmt *stmt = NULL;
	if (s == STORE_OK && !(stmt = store_stmt(st, "DELETE FROM pin_attempts WHERE id = ?1")))
		s = store_last_failure(st);
	if (stmt) {
		db_bind_int64(stmt, 1, ticket);
		enum db_rc rc = db_step(stmt);
		if (rc != DB_DONE)
			s = store_fail(st, rc, "cannot settle the PIN attempt");
		db_finalize(stmt);
	}
	if (s == STORE_OK && failed)
		s = store_append_locked(st, EVENT_CHAIN_ENGINEERS, failed, 1, NULL, 0);
	if (s == STORE_OK && failed)
		s = lock_event(st, failed, since_us, window_us, max, &lock_ev, &lock);
	if (s == STORE_OK && lock)
		s = store_append_locked(st, EVENT_CHAIN_ENGINEERS, &lock_ev, 1, NULL, 0);
	if (s == STORE_OK)
		s = store_commit(st, "cannot record the PIN attempt");
	else
		store_rollback(st);
	if (relax)
		relax_sync(st, false);
	free(lock_ev.payload);
	if (locked)
		*locked = s == STORE_OK && lock;
	return s;
}
