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
