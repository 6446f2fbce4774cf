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

#include "../check.h"
#include "countersign/pin.h"
#include "countersign/sign.h"
#include "countersign/store.h"
#include "countersign/util.h"

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

static inline struct store *fixture_open(const char *path)
{
	char *err = NULL;
	struct store *st = store_open(path, &err);
	if (!st) {
		fprintf(stderr, "store_open(%s): %s\n", path, err ? err : "(no message)");
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

/* Appends one event; returns its hash through HASH when not NULL. */
static inline enum store_status fixture_append(struct store *st, const char *chain, const char *actor,
	const char *kind, const char *target, const char *payload, char *hash)
{
	struct event ev = fixture_event(actor, kind, target, payload);
	enum store_status s = store_append(st, chain, &ev, 1, NULL, 0);
	if (hash)
		memcpy(hash, ev.hash, EVENT_HASH_HEX);
	event_clear(&ev);
	return s;
}

/* Stores a checklist and starts a run of it; the run's id is malloc'd into RUN. */
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
	struct event first = fixture_event("alice", EV_RUN_STARTED, "",
		"{\"checklist\":\"noa\",\"title\":\"NOA\",\"variables\":{}}");
	if (store_create_run(st, run, &first) != STORE_OK) {
		fprintf(stderr, "store_create_run: %s\n", store_error(st));
		exit(1);
	}
	event_clear(&first);
}

/* The key PIN derives under fresh parameters at libsodium's minimum cost
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

/* Registers NAME with a key derived from PIN, by "system". Returns the key
 * (the caller destroys it) when KEEP, else NULL. */
static inline struct sign_key *fixture_engineer(struct store *st, const char *name, const char *full_name,
	const char *pin, bool keep)
{
	struct store_engineer e = {.name = (char *)name, .full_name = (char *)full_name};
	struct sign_key *k = fixture_key(pin, &e.key);
	snprintf(e.public_key, sizeof(e.public_key), "%s", sign_key_public(k));
	struct event origin = fixture_event("system", "", "", NULL);
	if (store_add_engineer(st, &e, &origin, k) != STORE_OK) {
		fprintf(stderr, "store_add_engineer(%s): %s\n", name, store_error(st));
		exit(1);
	}
	event_clear(&origin);
	if (keep)
		return k;
	sign_key_destroy(k);
	return NULL;
}

/* A second connection straight to the file, for what the store refuses to do. */
static inline sqlite3 *fixture_sql_open(const char *path)
{
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

/* Turns a database of this schema into what schema version 3 left: no
 * registry chain, no signatures, no key columns, and the derived run
 * table's trigger as migration 3 made it. */
static inline void fixture_make_version_3(const char *path)
{
	sqlite3 *db = fixture_sql_open(path);
	int rc = fixture_sql(db,
		"BEGIN;\n"
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
