/* Helpers shared by the store tests: a temporary folder, events built from
 * literals, a run with a few events, and direct SQL on the record (either
 * engine: COUNTERSIGN_TEST_ENGINE=pg puts it on PostgreSQL). */
#ifndef COUNTERSIGN_TEST_STORE_FIXTURE_H
#define COUNTERSIGN_TEST_STORE_FIXTURE_H

#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <assert.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../check.h"
#include "countersign/pin.h"
#include "countersign/sign.h"
#include "countersign/store.h"
#include "countersign/util.h"
#include "store/db.h"
#include "store/db_engine.h"

static inline char *fixture_tmpdir(void)
{
	char tmpl[] = "/tmp/cs-store-test-XXXXXX";
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		exit(1);
	}
	return xstrdup(tmpl);
}

static inline int fixture_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void fixture_rm_rf(char *dir)
{
	nftw(dir, fixture_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* True when COUNTERSIGN_TEST_ENGINE=pg: the record the fixtures open is a
 * PostgreSQL database in the cluster of COUNTERSIGN_TEST_PG (tests/pg/with_pg). */
static inline bool fixture_on_pg(void)
{
	const char *engine = getenv("COUNTERSIGN_TEST_ENGINE");
	return engine && strcmp(engine, "pg") == 0;
}

/* The record's location for the file PATH: PATH itself on SQLite; on
 * PostgreSQL an empty database made for PATH the first time it is asked
 * for (the same one after that). Owned by the fixture; valid until exit. */
static inline const char *fixture_location(const char *path)
{
	if (!fixture_on_pg())
		return path;
	static char *paths[64], *locations[64];
	static size_t n;
	for (size_t i = 0; i < n; i++)
		if (strcmp(paths[i], path) == 0)
			return locations[i];
	const char *conn = getenv("COUNTERSIGN_TEST_PG");
	if (!conn || n == sizeof paths / sizeof paths[0]) {
		fprintf(stderr, "COUNTERSIGN_TEST_ENGINE=pg needs COUNTERSIGN_TEST_PG (run under tests/pg/with_pg)\n");
		exit(1);
	}
	char *name = xasprintf("u%ld_%zu", (long)getpid(), n);
	struct db *db = NULL;
	char *err = NULL, *sql = xasprintf("CREATE DATABASE %s", name);
	if (db_open(conn, DB_OPEN_READ_WRITE, &db, &err) != DB_OK || db_exec(db, sql) != DB_OK) {
		fprintf(stderr, "%s: %s\n", sql, db ? db_error(db) : err);
		exit(1);
	}
	db_close(db);
	free(sql);
	paths[n] = xstrdup(path);
	locations[n] = xasprintf("%s dbname=%s", conn, name);
	free(name);
	return locations[n++];
}

/* The store of the record for PATH (fixture_location): exits on failure. */
static inline struct store *fixture_open(const char *path)
{
	char *err = NULL;
	const char *location = fixture_location(path);
	struct store *st = store_open(location, &err);
	if (!st) {
		fprintf(stderr, "store_open(%s): %s\n", location, err ? err : "(no message)");
		free(err);
		exit(1);
	}
	return st;
}

/* True (after saying "skip (SQLite file): WHAT") when the record is on
 * PostgreSQL, for a case that is about SQLite files themselves. */
static inline bool fixture_skip_sqlite_file(const char *what)
{
	if (!fixture_on_pg())
		return false;
	printf("skip (SQLite file): %s\n", what);
	fflush(stdout);
	return true;
}

/* The connection fixture_guards_off turned run_index_append on for (one
 * at a time), so that fixture_sql_close turns it back. */
static struct db *fixture_always_db;

/* A second connection to the record of PATH (fixture_location), for what
 * the store refuses to do. Exits on failure; close with fixture_sql_close.
 * A SQLite file is opened as the sqlite3 tool would (created when missing,
 * its journal mode left as it is) rather than as the store opens it. */
static inline struct db *fixture_sql_open(const char *path)
{
	const char *location = fixture_location(path);
	struct db *db = NULL;
	char *err = NULL;
	if (!fixture_on_pg()) {
		sqlite3 *handle = NULL;
		if (sqlite3_open(path, &handle) != SQLITE_OK) {
			fprintf(stderr, "sqlite3_open(%s): %s\n", path, sqlite3_errmsg(handle));
			exit(1);
		}
		sqlite3_busy_timeout(handle, 10000);
		return db_sqlite_adopt(handle, path);
	}
	if (db_open(location, DB_OPEN_READ_WRITE, &db, &err) != DB_OK) {
		fprintf(stderr, "db_open(%s): %s\n", location, err ? err : "?");
		exit(1);
	}
	return db;
}

/* True when DB is a PostgreSQL connection. */
static inline bool fixture_sql_pg(struct db *db)
{
	return db_engine(db) == DB_POSTGRES;
}

/* Runs SQL (one or more statements); returns the engine's verdict (the
 * message goes to *MSG, malloc'd, when asked; else a failure is printed). */
static inline enum db_rc fixture_sql(struct db *db, const char *sql, char **msg)
{
	enum db_rc rc = db_exec(db, sql);
	if (msg)
		*msg = xstrdup(rc == DB_OK ? "" : db_error(db));
	else if (rc != DB_OK)
		fprintf(stderr, "%s: %s\n", sql, db_error(db));
	return rc;
}

/* fixture_sql with SQLITE_SQL on SQLite, PG_SQL on PostgreSQL. */
static inline enum db_rc fixture_sql2(struct db *db, const char *sqlite_sql, const char *pg_sql, char **msg)
{
	return fixture_sql(db, fixture_sql_pg(db) ? pg_sql : sqlite_sql, msg);
}

/* Closes DB (a fixture_sql_open connection), first giving run_index_append
 * back its usual firing when fixture_guards_off changed it. */
static inline void fixture_sql_close(struct db *db)
{
	if (db && db == fixture_always_db) {
		/* Fails only when the tampering dropped the events table with
		 * its triggers: nothing is left to turn back. */
		fixture_always_db = NULL;
		db_exec(db, "ALTER TABLE events ENABLE TRIGGER run_index_append");
	}
	db_close(db);
}

/* Turns the guard triggers off for what DB does next, as the record's
 * owner could. SQLite: every trigger but run_index_append (which keeps the
 * derived run table) is dropped from the file. PostgreSQL: DB's session
 * runs with session_replication_role = replica, which fires no ordinary
 * trigger and leaves the catalog as verify expects it (a dropped guard is
 * something verify names there); run_index_append fires ALWAYS until
 * fixture_sql_close, so that forged events are counted as on SQLite. */
static inline void fixture_guards_off(struct db *db)
{
	if (fixture_sql_pg(db)) {
		assert(!fixture_always_db || fixture_always_db == db);
		if (fixture_sql(db, "SET session_replication_role = replica; "
				"ALTER TABLE events ENABLE ALWAYS TRIGGER run_index_append", NULL) != DB_OK)
			exit(1);
		fixture_always_db = db;
		return;
	}
	struct db_stmt *stmt = NULL;
	char *names[32];
	size_t n = 0;
	if (db_prepare(db, "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name <> 'run_index_append'",
			&stmt) != DB_OK)
		exit(1);
	while (n < 32 && db_step(stmt) == DB_ROW)
		names[n++] = xstrdup(db_column_text(stmt, 0));
	db_finalize(stmt);
	for (size_t i = 0; i < n; i++) {
		char *sql = xasprintf("DROP TRIGGER %s", names[i]);
		if (fixture_sql(db, sql, NULL) != DB_OK)
			exit(1);
		free(sql);
		free(names[i]);
	}
}

/* An event whose strings are malloc'd copies (clear it with event_clear). */
static inline struct event fixture_event(const char *actor, const char *kind, const char *target,
	const char *payload)
{
	struct event ev = {0};
	ev.actor = xstrdup(actor);
	ev.os_user = xstrdup("ops");
	ev.host = xstrdup("deploy-01");
	ev.tty = xstrdup("/dev/pts/3");
	ev.kind = xstrdup(kind);
	ev.target = xstrdup(target);
	ev.payload = payload ? xstrdup(payload) : NULL;
	return ev;
}

/* The keys the fixtures sign with, by engineer name: each engineer
 * fixture_engineer registered. Destroyed at exit. */
#define FIXTURE_MAX_KEYS 32
struct fixture_keyring {
	char *names[FIXTURE_MAX_KEYS];
	struct sign_key *keys[FIXTURE_MAX_KEYS];
	size_t n;
};

static inline struct fixture_keyring *fixture_ring(void)
{
	static struct fixture_keyring ring;
	return &ring;
}

static inline void fixture_ring_clear(void)
{
	struct fixture_keyring *r = fixture_ring();
	for (size_t i = 0; i < r->n; i++) {
		free(r->names[i]);
		sign_key_destroy(r->keys[i]);
	}
	r->n = 0;
}

/* Keeps K (taken over) as NAME's key for the fixtures to sign with,
 * replacing the one kept before. */
static inline void fixture_keep_key(const char *name, struct sign_key *k)
{
	struct fixture_keyring *r = fixture_ring();
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->names[i], name) == 0) {
			sign_key_destroy(r->keys[i]);
			r->keys[i] = k;
			return;
		}
	}
	if (r->n == FIXTURE_MAX_KEYS) {
		fprintf(stderr, "fixture_keep_key: more than %d keys\n", FIXTURE_MAX_KEYS);
		exit(1);
	}
	if (r->n == 0)
		atexit(fixture_ring_clear);
	r->names[r->n] = xstrdup(name);
	r->keys[r->n++] = k;
}

/* NAME's kept key when it is NAME's current key in ST (a record where NAME
 * has another key, or none, gets unsigned events), with the kept name in
 * *KEPT (valid as long as the key). */
static inline const struct sign_key *fixture_signer(struct store *st, const char *name, const char **kept)
{
	struct fixture_keyring *r = fixture_ring();
	for (size_t i = 0; name && i < r->n; i++) {
		if (strcmp(r->names[i], name) != 0)
			continue;
		struct store_engineer e;
		bool current = store_get_engineer(st, name, &e) == STORE_OK &&
			strcmp(e.public_key, sign_key_public(r->keys[i])) == 0;
		store_engineer_clear(&e);
		if (!current)
			return NULL;
		*kept = r->names[i];
		return r->keys[i];
	}
	return NULL;
}

/* Has each of EVS[0..N) that must be signed in CHAIN signed as the program
 * signs it: by its actor and, for an override, by the other engineer it
 * names, each with their kept key. */
static inline void fixture_sign(struct store *st, const char *chain, struct event *evs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct event *ev = &evs[i];
		if (ev->signers[0] || !event_needs_signature(chain, ev))
			continue;
		ev->signers[0] = fixture_signer(st, ev->actor, &ev->signer_names[0]);
		if (!ev->kind || strcmp(ev->kind, EV_OVERRIDE) != 0 || !ev->payload)
			continue;
		cJSON *p = cJSON_Parse(ev->payload);
		const cJSON *who;
		cJSON_ArrayForEach(who, cJSON_GetObjectItemCaseSensitive(p, "engineers")) {
			if (cJSON_IsString(who) && strcmp(who->valuestring, ev->actor) != 0 && !ev->signers[1])
				ev->signers[1] = fixture_signer(st, who->valuestring, &ev->signer_names[1]);
		}
		cJSON_Delete(p);
	}
}

/* The key PIN derives at libsodium's minimum cost under fresh parameters
 * (into *P when not NULL); free it with sign_key_destroy. */
static inline struct sign_key *fixture_key(const char *pin, struct sign_params *p)
{
	pin_set_cost(PIN_COST_MIN);
	struct sign_params params;
	sign_params_new(&params);
	const char *why = NULL;
	struct sign_key *k = sign_key_derive(pin, &params, &why);
	if (!k) {
		fprintf(stderr, "sign_key_derive: %s\n", why ? why : "?");
		exit(1);
	}
	if (p)
		*p = params;
	return k;
}

/* Registers NAME in ST with the key PIN derives, by "system" at TIME_US (0:
 * when it is recorded), and keeps a
 * copy of the key for the fixtures to sign NAME's events with. The salt is
 * made from NAME and PIN, so that NAME registered in several records with
 * one PIN has one key. Returns the key (the caller destroys it) when KEEP,
 * else NULL. */
static inline struct sign_key *fixture_engineer_at(struct store *st, const char *name, const char *full_name,
	const char *pin, bool keep, int64_t time_us)
{
	pin_set_cost(PIN_COST_MIN);
	struct store_engineer e = {.name = (char *)name, .full_name = (char *)full_name};
	sign_params_new(&e.key);
	char *seed = xasprintf("%s\n%s", name, pin);
	char digest[EVENT_HASH_HEX];
	event_sha256_hex(seed, strlen(seed), digest);
	free(seed);
	snprintf(e.key.salt, sizeof(e.key.salt), "%.32s", digest);
	struct sign_key *k = sign_key_derive(pin, &e.key, NULL), *kept = sign_key_derive(pin, &e.key, NULL);
	if (!k || !kept) {
		fprintf(stderr, "sign_key_derive failed\n");
		exit(1);
	}
	snprintf(e.public_key, sizeof(e.public_key), "%s", sign_key_public(k));
	struct event origin = fixture_event("system", "", "", NULL);
	origin.time_us = time_us;
	if (store_add_engineer(st, &e, &origin, k) != STORE_OK) {
		fprintf(stderr, "store_add_engineer(%s): %s\n", name, store_error(st));
		exit(1);
	}
	event_clear(&origin);
	fixture_keep_key(name, kept);
	if (keep)
		return k;
	sign_key_destroy(k);
	return NULL;
}

/* Registers NAME in ST (the record of PATH) as an engineer registered
 * before keys (schema 3) was: a row with the PIN hash of PIN and an
 * unsigned engineer_added {full_name} by "system" at TIME_US. */
static inline void fixture_legacy_engineer(struct store *st, const char *path, const char *name,
	const char *full_name, const char *pin, int64_t time_us)
{
	pin_set_cost(PIN_COST_MIN);
	char *hash = pin_hash(pin);
	struct db *db = fixture_sql_open(path);
	struct db_stmt *stmt = NULL;
	if (!hash || db_prepare(db, "INSERT INTO engineers (name, full_name, pin_hash, created_us) "
			"VALUES (?, ?, ?, ?)", &stmt) != DB_OK) {
		fprintf(stderr, "legacy engineer %s: %s\n", name, hash ? db_error(db) : "no PIN hash");
		exit(1);
	}
	db_bind_text(stmt, 1, name);
	db_bind_text(stmt, 2, full_name);
	db_bind_text(stmt, 3, hash);
	db_bind_int64(stmt, 4, time_us);
	if (db_step(stmt) != DB_DONE) {
		fprintf(stderr, "legacy engineer %s: %s\n", name, db_error(db));
		exit(1);
	}
	db_finalize(stmt);
	fixture_sql_close(db);
	free(hash);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "full_name", full_name);
	char *payload = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	struct event ev = fixture_event("system", EV_ENGINEER_ADDED, name, payload);
	cJSON_free(payload);
	ev.time_us = time_us;
	if (store_append(st, EVENT_CHAIN_ENGINEERS, &ev, 1, NULL, 0) != STORE_OK) {
		fprintf(stderr, "legacy engineer %s: %s\n", name, store_error(st));
		exit(1);
	}
	event_clear(&ev);
}

/* Gives NAME, an engineer registered before keys, the key PIN derives
 * (key_enrolled, signed by it), and keeps it for the fixtures to sign
 * with. */
static inline void fixture_enrol(struct store *st, const char *name, const char *pin)
{
	struct sign_params p;
	struct sign_key *k = fixture_key(pin, &p);
	struct event origin = fixture_event(name, "", "", NULL);
	if (store_set_key(st, name, EV_KEY_ENROLLED, k, &p, NULL, &origin) != STORE_OK) {
		fprintf(stderr, "store_set_key(%s): %s\n", name, store_error(st));
		exit(1);
	}
	event_clear(&origin);
	fixture_keep_key(name, k);
}

/* fixture_engineer_at, registered now. */
static inline struct sign_key *fixture_engineer(struct store *st, const char *name, const char *full_name,
	const char *pin, bool keep)
{
	return fixture_engineer_at(st, name, full_name, pin, keep, 0);
}

/* Appends one event, signed as fixture_sign signs it; returns its hash
 * through HASH when not NULL. */
static inline enum store_status fixture_append(struct store *st, const char *chain, const char *actor,
	const char *kind, const char *target, const char *payload, char *hash)
{
	struct event ev = fixture_event(actor, kind, target, payload);
	fixture_sign(st, chain, &ev, 1);
	enum store_status s = store_append(st, chain, &ev, 1, NULL, 0);
	if (hash)
		memcpy(hash, ev.hash, EVENT_HASH_HEX);
	event_clear(&ev);
	return s;
}

/* The run_started payload of RUN as the program records it: what its row
 * says (malloc'd JSON text). */
static inline char *fixture_run_started_payload(const struct store_run_row *run)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "checklist", run->checklist_id);
	cJSON_AddStringToObject(p, "sha256", run->checklist_sha);
	cJSON_AddStringToObject(p, "title", run->title);
	cJSON_AddObjectToObject(p, "variables");
	cJSON_AddNumberToObject(p, "window_ms", 0);
	cJSON_AddStringToObject(p, "path", run->path);
	char *text = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	char *out = xstrdup(text);
	cJSON_free(text);
	return out;
}

/* Stores a checklist and starts a run of it by alice (signed as
 * fixture_sign signs), its run_started saying what the row says; the run's
 * id is malloc'd into RUN. */
static inline void fixture_run(struct store *st, struct store_run_row *run, const char *title)
{
	static const char text[] = "{\"countersign\": 1, \"id\": \"noa\", \"title\": \"NOA\", \"sections\": []}";
	char sha[EVENT_HASH_HEX];
	if (store_put_checklist(st, text, sizeof(text) - 1, sha) != STORE_OK) {
		fprintf(stderr, "store_put_checklist: %s\n", store_error(st));
		exit(1);
	}
	memset(run, 0, sizeof(*run));
	run->checklist_id = xstrdup("noa");
	run->checklist_sha = xstrdup(sha);
	run->title = xstrdup(title);
	run->path = xstrdup("checklists/noa-server-deploy.json");
	char *payload = fixture_run_started_payload(run);
	struct event first = fixture_event("alice", EV_RUN_STARTED, "", payload);
	free(payload);
	fixture_sign(st, "run", &first, 1);
	if (store_create_run(st, run, &first) != STORE_OK) {
		fprintf(stderr, "store_create_run: %s\n", store_error(st));
		exit(1);
	}
	event_clear(&first);
}

/* What schema version 4 left of a database of this schema, as SQL: no
 * roles column, and the trigger that guards names as migration 1 made it. */
#define FIXTURE_BACK_TO_VERSION_4 \
	"ALTER TABLE engineers DROP COLUMN roles;\n" \
	"DROP TRIGGER engineers_no_rename;\n" \
	"CREATE TRIGGER engineers_no_rename BEFORE UPDATE OF name, full_name, created_us ON engineers\n" \
	"  BEGIN SELECT RAISE(ABORT, 'only an engineer''s PIN can be changed'); END;\n"

/* Turns a database of this schema into what schema version 4 left (its
 * engineers must hold no roles). A PostgreSQL record starts at version 5
 * and never had an older one: on PostgreSQL this says "skip (SQLite
 * file)" and returns false, and the caller skips the case. */
static inline bool fixture_make_version_4(const char *path)
{
	if (fixture_skip_sqlite_file("a record of schema version 4 is a SQLite file (PostgreSQL records start at 5)"))
		return false;
	struct db *db = fixture_sql_open(path);
	if (fixture_sql(db, "BEGIN;\n" FIXTURE_BACK_TO_VERSION_4 "PRAGMA user_version = 4;\nCOMMIT;\n", NULL) != DB_OK)
		exit(1);
	fixture_sql_close(db);
	return true;
}

/* Turns a database of this schema into what schema version 3 left (on
 * PostgreSQL: skipped, as fixture_make_version_4): no
 * registry chain, no signatures, no key columns, and the derived run
 * table's trigger as migration 3 made it. */
static inline bool fixture_make_version_3(const char *path)
{
	if (fixture_skip_sqlite_file("a record of schema version 3 is a SQLite file (PostgreSQL records start at 5)"))
		return false;
	struct db *db = fixture_sql_open(path);
	enum db_rc rc = fixture_sql(db,
		"BEGIN;\n"
		FIXTURE_BACK_TO_VERSION_4
		"DROP TRIGGER events_no_delete;\n"
		"DELETE FROM events WHERE chain = 'registry';\n"
		"CREATE TRIGGER events_no_delete BEFORE DELETE ON events\n"
		"  BEGIN SELECT RAISE(ABORT, 'events are append-only: an event cannot be deleted'); END;\n"
		"ALTER TABLE events DROP COLUMN sigs;\n"
		"ALTER TABLE engineers DROP COLUMN public_key;\n"
		"ALTER TABLE engineers DROP COLUMN key_salt;\n"
		"ALTER TABLE engineers DROP COLUMN key_ops;\n"
		"ALTER TABLE engineers DROP COLUMN key_mem;\n"
		"DROP TRIGGER run_index_append;\n"
		"CREATE TRIGGER run_index_append AFTER INSERT ON events WHEN NEW.chain <> 'engineers'\n"
		"BEGIN\n"
		"  INSERT INTO run_index (run, state, ended_us, last_seq, head, last_us, events)\n"
		"  VALUES (NEW.chain, CASE NEW.kind WHEN 'run_completed' THEN 'completed'\n"
		"      WHEN 'run_aborted' THEN 'aborted' ELSE 'open' END,\n"
		"    CASE WHEN NEW.kind IN ('run_completed', 'run_aborted') THEN NEW.time_us END,\n"
		"    NEW.seq, NEW.hash, NEW.time_us, 1)\n"
		"  ON CONFLICT (run) DO UPDATE SET\n"
		"    state = CASE WHEN state = 'open' THEN excluded.state ELSE state END,\n"
		"    ended_us = CASE WHEN state = 'open' THEN excluded.ended_us ELSE ended_us END,\n"
		"    last_seq = excluded.last_seq, head = excluded.head, last_us = excluded.last_us,\n"
		"    events = events + 1;\n"
		"  INSERT OR IGNORE INTO run_actors (actor, run) VALUES (NEW.actor, NEW.chain);\n"
		"END;\n"
		"PRAGMA user_version = 3;\n"
		"COMMIT;\n", NULL);
	if (rc != DB_OK)
		exit(1);
	fixture_sql_close(db);
	return true;
}

/* The first column of the first row of SQL as an integer (-1 when none). */
static inline long long fixture_sql_int(struct db *db, const char *sql)
{
	struct db_stmt *stmt = NULL;
	long long v = -1;
	if (db_prepare(db, sql, &stmt) == DB_OK && db_step(stmt) == DB_ROW)
		v = db_column_int64(stmt, 0);
	else
		fprintf(stderr, "%s: %s\n", sql, db_error(db));
	db_finalize(stmt);
	return v;
}

/* The first column of the first row of SQL as malloc'd text (NULL when none). */
static inline char *fixture_sql_text(struct db *db, const char *sql)
{
	struct db_stmt *stmt = NULL;
	char *v = NULL;
	if (db_prepare(db, sql, &stmt) == DB_OK && db_step(stmt) == DB_ROW && !db_column_is_null(stmt, 0))
		v = xstrdup(db_column_text(stmt, 0));
	db_finalize(stmt);
	return v;
}

#endif
