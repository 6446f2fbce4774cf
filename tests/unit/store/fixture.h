/* Helpers shared by the store tests: a temporary folder, events built from
 * literals, a run with a few events, and direct SQL on the database file. */
#ifndef COUNTERSIGN_TEST_STORE_FIXTURE_H
#define COUNTERSIGN_TEST_STORE_FIXTURE_H

#define _XOPEN_SOURCE 700
#include <ftw.h>
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

/* Registers NAME in ST (the file PATH) as an engineer registered before
 * keys (schema 3) was: a row with the PIN hash of PIN and an unsigned
 * engineer_added {full_name} by "system" at TIME_US. */
static inline void fixture_legacy_engineer(struct store *st, const char *path, const char *name,
	const char *full_name, const char *pin, int64_t time_us)
{
	if (fixture_on_pg()) {
		printf("skip (SQLite file): the rest of this test writes a legacy row with SQLite directly\n");
		exit(77);
	}
	pin_set_cost(PIN_COST_MIN);
	char *hash = pin_hash(pin);
	sqlite3 *db = NULL;
	char *sql = sqlite3_mprintf("INSERT INTO engineers (name, full_name, pin_hash, created_us) "
		"VALUES (%Q, %Q, %Q, %lld)", name, full_name, hash, (long long)time_us);
	if (!hash || sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "legacy engineer %s: %s\n", name, db ? sqlite3_errmsg(db) : "no PIN hash");
		exit(1);
	}
	sqlite3_free(sql);
	sqlite3_close(db);
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

/* A second connection straight to the file, for what the store refuses to do.
 * On PostgreSQL the test is about the SQLite file: it says so and exits 77
 * (skipped). */
static inline sqlite3 *fixture_sql_open(const char *path)
{
	if (fixture_on_pg()) {
		printf("skip (SQLite file): the rest of this test changes %s with SQLite directly\n", path);
		exit(77);
	}
	sqlite3 *db = NULL;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "sqlite3_open(%s): %s\n", path, sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_busy_timeout(db, 10000);
	return db;
}

/* Runs SQL; returns SQLite's result code (the message goes to *MSG, malloc'd, when asked). */
static inline int fixture_sql(sqlite3 *db, const char *sql, char **msg)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	if (msg)
		*msg = xstrdup(err ? err : "");
	else if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", sql, err ? err : "?");
	sqlite3_free(err);
	return rc;
}

/* What schema version 4 left of a database of this schema, as SQL: no
 * roles column, and the trigger that guards names as migration 1 made it. */
#define FIXTURE_BACK_TO_VERSION_4 \
	"ALTER TABLE engineers DROP COLUMN roles;\n" \
	"DROP TRIGGER engineers_no_rename;\n" \
	"CREATE TRIGGER engineers_no_rename BEFORE UPDATE OF name, full_name, created_us ON engineers\n" \
	"  BEGIN SELECT RAISE(ABORT, 'only an engineer''s PIN can be changed'); END;\n"

/* Turns a database of this schema into what schema version 4 left (its
 * engineers must hold no roles). */
static inline void fixture_make_version_4(const char *path)
{
	sqlite3 *db = fixture_sql_open(path);
	int rc = fixture_sql(db, "BEGIN;\n" FIXTURE_BACK_TO_VERSION_4 "PRAGMA user_version = 4;\nCOMMIT;\n", NULL);
	if (rc != SQLITE_OK)
		exit(1);
	sqlite3_close(db);
}

/* Turns a database of this schema into what schema version 3 left: no
 * registry chain, no signatures, no key columns, and the derived run
 * table's trigger as migration 3 made it. */
static inline void fixture_make_version_3(const char *path)
{
	sqlite3 *db = fixture_sql_open(path);
	int rc = fixture_sql(db,
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
	if (rc != SQLITE_OK)
		exit(1);
	sqlite3_close(db);
}

/* The first column of the first row of SQL as an integer (-1 when none). */
static inline long long fixture_sql_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

#endif
