/* Builds the reviewer's benchmark record: RUNS finished runs of 100 events
 * each (by default 10,000 runs, one million events) of a seven-section
 * checklist, by twenty engineers, one run an hour, every event chained and
 * hashed as the store does it. Schema and triggers come from store_open (so
 * the derived run table is written by its own trigger); the rows go in
 * through SQLite directly, in large transactions without fsync, which is
 * what makes a million events take seconds instead of an hour.
 *
 *   bench_record PATH [RUNS]
 *
 * An existing PATH of the current schema holding RUNS runs is kept as it is
 * (the build folder caches it); otherwise it is built afresh and renamed
 * into place when complete. Prints the engineer whose events the audit
 * benchmark selects. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "countersign/clock.h"
#include "countersign/store.h"
#include "countersign/util.h"
#include "store/store_internal.h" /* the derived table's defining queries */

#define SECTIONS 7
#define CHECKS 6           /* command items per section: started + finished */
#define ENGINEERS 20
#define RUNS_PER_TXN 500
#define BASE_US 1735689600000000LL /* 2025-01-01 00:00:00 UTC */
#define HOUR_US 3600000000LL
#define STEP_US 10000000LL         /* ten seconds between events */

static void die(const char *what, const char *why)
{
	fprintf(stderr, "bench_record: %s: %s\n", what, why);
	exit(1);
}

static double now_s(void)
{
	return (double)clock_mono_us() / 1e6;
}

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		die(sql, err ? err : sqlite3_errmsg(db));
}

/* True when PATH already holds RUNS runs in the current schema. */
static bool cached(const char *path, long runs)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return false;
	sqlite3 *db = NULL;
	bool ok = false;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_stmt *stmt = NULL;
		if (sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM run_index WHERE state = 'completed'), "
				"(SELECT user_version FROM pragma_user_version)", -1, &stmt, NULL) == SQLITE_OK &&
			sqlite3_step(stmt) == SQLITE_ROW)
			ok = sqlite3_column_int64(stmt, 0) == runs && sqlite3_column_int(stmt, 1) == store_schema_version();
		sqlite3_finalize(stmt);
	}
	sqlite3_close(db);
	return ok;
}

/* The checklist every run follows: SECTIONS sections of CHECKS commands. */
static char *checklist_text(void)
{
	struct strbuf sb = {0};
	strbuf_addstr(&sb, "{\"countersign\": 1, \"id\": \"noa-server-deploy\", \"title\": \"NOA Server Deployment\", "
		"\"sections\": [");
	for (int s = 0; s < SECTIONS; s++) {
		strbuf_addf(&sb, "%s{\"id\": \"s%d\", \"title\": \"Section %d\", \"items\": [", s ? ", " : "", s + 1, s + 1);
		for (int i = 0; i < CHECKS; i++)
			strbuf_addf(&sb, "%s{\"id\": \"c%d\", \"title\": \"Check %d\", \"kind\": \"command\", \"run\": \"true\"}",
				i ? ", " : "", i + 1, i + 1);
		strbuf_addstr(&sb, "]}");
	}
	strbuf_addstr(&sb, "]}");
	return strbuf_detach(&sb);
}

struct writer {
	sqlite3 *db;
	sqlite3_stmt *event, *run;
	const char *chain;
	int64_t seq;
	char prev[EVENT_HASH_HEX];
};

static void put(struct writer *w, int64_t time_us, const char *actor, const char *kind, const char *target,
	const char *payload)
{
	struct event ev = {.seq = ++w->seq, .time_us = time_us, .actor = (char *)actor, .os_user = (char *)actor,
		.host = "deploy-01.example.net", .tty = "/dev/pts/3", .kind = (char *)kind, .target = (char *)target,
		.payload = (char *)payload};
	memcpy(ev.prev, w->prev, sizeof(ev.prev));
	if (!event_compute_hash(&ev, ev.hash))
		die("hash", "malformed prev");
	sqlite3_stmt *st = w->event;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, w->chain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ev.seq);
	sqlite3_bind_int64(st, 3, time_us);
	sqlite3_bind_text(st, 4, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ev.host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, ev.tty, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, payload, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, ev.prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, ev.hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		die("insert event", sqlite3_errmsg(w->db));
	memcpy(w->prev, ev.hash, sizeof(w->prev));
}

static const char *engineer(int i)
{
	static char names[ENGINEERS][8];
	snprintf(names[i % ENGINEERS], sizeof(names[0]), "eng%02d", i % ENGINEERS + 1);
	return names[i % ENGINEERS];
}

/* Run R: started, SECTIONS x (CHECKS checks and two signatures), completed. */
static void one_run(struct writer *w, long r, const char *sha)
{
	char id[16], started[24];
	snprintf(id, sizeof(id), "b%09ld", r);
	struct store_run_row run = {.id = id, .checklist_id = "noa-server-deploy", .checklist_sha = (char *)sha,
		.title = "NOA Server Deployment", .path = "checklists/noa-server-deploy.json",
		.started_us = BASE_US + (int64_t)r * HOUR_US};
	unsigned char nonce[32];
	randombytes_buf(nonce, sizeof(nonce));
	sodium_bin2hex(run.nonce, sizeof(run.nonce), nonce, sizeof(nonce));
	snprintf(started, sizeof(started), "%" PRId64, run.started_us);
	sqlite3_reset(w->run);
	sqlite3_bind_text(w->run, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(w->run, 2, run.checklist_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(w->run, 3, sha, -1, SQLITE_STATIC);
	sqlite3_bind_text(w->run, 4, run.title, -1, SQLITE_STATIC);
	sqlite3_bind_text(w->run, 5, run.path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w->run, 6, run.started_us);
	sqlite3_bind_text(w->run, 7, run.nonce, -1, SQLITE_STATIC);
	if (sqlite3_step(w->run) != SQLITE_DONE)
		die("insert run", sqlite3_errmsg(w->db));
	w->chain = id;
	w->seq = 0;
	store_run_genesis(&run, w->prev);
	const char *op = engineer((int)r), *second = engineer((int)r + 7);
	int64_t t = run.started_us;
	char payload[256], target[16];
	snprintf(payload, sizeof(payload), "{\"checklist\":\"noa-server-deploy\",\"sha256\":\"%s\",\"title\":\"%s\","
		"\"variables\":{\"VERSION\":\"v1.%ld.0\"},\"window_ms\":0,\"path\":\"%s\"}", sha, run.title, r, run.path);
	put(w, t, op, EV_RUN_STARTED, "", payload);
	for (int s = 1; s <= SECTIONS; s++) {
		for (int c = 1; c <= CHECKS; c++) {
			snprintf(target, sizeof(target), "s%d/c%d", s, c);
			snprintf(payload, sizeof(payload), "{\"command\":\"true\",\"pid\":%ld,\"host\":\"deploy-01.example.net\","
				"\"attempt\":1}", 1000 + r % 30000);
			put(w, t += STEP_US, op, EV_CHECK_STARTED, target, payload);
			put(w, t += STEP_US, op, EV_CHECK_FINISHED, target, "{\"verdict\":\"pass\",\"message\":\"exit status 0\","
				"\"exit_status\":0,\"bytes\":0,\"duration_ms\":4}");
		}
		snprintf(target, sizeof(target), "s%d", s);
		snprintf(payload, sizeof(payload), "{\"meaning\":\"approve\",\"digest\":\"%.64s\"}", w->prev);
		put(w, t += STEP_US, op, EV_SIGNED, target, payload);
		put(w, t += STEP_US, second, EV_SIGNED, target, payload);
	}
	put(w, t + STEP_US, "system", EV_RUN_COMPLETED, "", "{}");
}

/* The engineers chain: each engineer registered, one wrong PIN each. */
static void engineers(struct writer *w)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(w->db, "INSERT INTO engineers (name, full_name, pin_hash, created_us) "
			"VALUES (?1, ?2, '$argon2id$v=19$m=8,t=1,p=1$bench$bench', ?3)", -1, &st, NULL) != SQLITE_OK)
		die("prepare", sqlite3_errmsg(w->db));
	w->chain = EVENT_CHAIN_ENGINEERS;
	w->seq = 0;
	static const char tag[] = "countersign-engineers-v1";
	event_sha256_hex(tag, sizeof(tag) - 1, w->prev);
	for (int i = 0; i < ENGINEERS; i++) {
		char full[64], payload[96];
		snprintf(full, sizeof(full), "Engineer %d", i + 1);
		snprintf(payload, sizeof(payload), "{\"full_name\":\"%s\"}", full);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, engineer(i), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, full, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, BASE_US - HOUR_US + i);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("insert engineer", sqlite3_errmsg(w->db));
		put(w, BASE_US - HOUR_US + i, "system", EV_ENGINEER_ADDED, engineer(i), payload);
	}
	sqlite3_finalize(st);
	for (int i = 0; i < ENGINEERS; i++)
		put(w, BASE_US + (int64_t)i * 97 * HOUR_US + 5, engineer(i), EV_PIN_FAILED, engineer(i),
			"{\"command\":\"sign\"}");
}

static void build(const char *path, long runs)
{
	char *err = NULL;
	struct store *st = store_open(path, &err);
	if (!st)
		die(path, err);
	char *text = checklist_text();
	char sha[EVENT_HASH_HEX];
	if (store_put_checklist(st, text, strlen(text), sha) != STORE_OK)
		die("checklist", store_error(st));
	free(text);
	store_close(st);

	struct writer w = {0};
	if (sqlite3_open(path, &w.db) != SQLITE_OK)
		die(path, sqlite3_errmsg(w.db));
	/* No journal while building: a half-built file is thrown away anyway. */
	exec_sql(w.db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; "
		"PRAGMA cache_size = -262144");
	if (sqlite3_prepare_v2(w.db, "INSERT INTO events (chain, seq, time_us, actor, os_user, host, tty, kind, "
			"target, payload, prev, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)", -1, &w.event,
			NULL) != SQLITE_OK ||
		sqlite3_prepare_v2(w.db, "INSERT INTO runs (id, checklist_id, checklist_sha, title, path, started_us, nonce) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &w.run, NULL) != SQLITE_OK)
		die("prepare", sqlite3_errmsg(w.db));
	/* The indexes and the derived table's trigger are made again once the
	 * rows are in (sorting once is faster than keeping them row by row);
	 * the derived table is then filled as migration 3 fills it. */
	char **later = NULL;
	size_t n_later = 0;
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(w.db, "SELECT name, type, sql FROM sqlite_schema WHERE tbl_name = 'events' AND "
			"sql IS NOT NULL AND (type = 'index' OR name = 'run_index_append')", -1, &q, NULL) != SQLITE_OK)
		die("schema", sqlite3_errmsg(w.db));
	char **drops = NULL;
	while (sqlite3_step(q) == SQLITE_ROW) {
		later = xreallocarray(later, n_later + 1, sizeof(*later));
		drops = xreallocarray(drops, n_later + 1, sizeof(*drops));
		later[n_later] = xstrdup((const char *)sqlite3_column_text(q, 2));
		drops[n_later++] = xasprintf("DROP %s %s", (const char *)sqlite3_column_text(q, 1),
			(const char *)sqlite3_column_text(q, 0));
	}
	sqlite3_finalize(q);
	for (size_t i = 0; i < n_later; i++) {
		exec_sql(w.db, drops[i]);
		free(drops[i]);
	}
	free(drops);
	exec_sql(w.db, "BEGIN");
	engineers(&w);
	for (long r = 0; r < runs; r++) {
		one_run(&w, r, sha);
		if ((r + 1) % RUNS_PER_TXN == 0)
			exec_sql(w.db, "COMMIT; BEGIN");
	}
	sqlite3_finalize(w.event);
	sqlite3_finalize(w.run);
	for (size_t i = 0; i < n_later; i++) {
		exec_sql(w.db, later[i]);
		free(later[i]);
	}
	free(later);
	exec_sql(w.db, "INSERT INTO run_index (run, state, ended_us, last_seq, head, last_us, events) "
		STORE_RUN_INDEX_SELECT "; INSERT INTO run_actors (actor, run) " STORE_RUN_ACTORS_SELECT "; COMMIT");
	exec_sql(w.db, "PRAGMA locking_mode = NORMAL; PRAGMA journal_mode = WAL");
	sqlite3_close(w.db);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_record PATH [RUNS]\n");
		return 2;
	}
	long runs = argc == 3 ? strtol(argv[2], NULL, 10) : 10000;
	if (sodium_init() < 0 || runs <= 0)
		return 2;
	const char *path = argv[1];
	if (cached(path, runs)) {
		printf("record: %s (cached): %ld runs of %d events; audit engineer %s\n", path, runs,
			2 + SECTIONS * (2 * CHECKS + 2), engineer(0));
		return 0;
	}
	char *tmp = xasprintf("%s.building", path);
	const char *suffixes[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char *f = xasprintf("%s%s", tmp, suffixes[i]);
		unlink(f);
		free(f);
	}
	double t0 = now_s();
	build(tmp, runs);
	if (rename(tmp, path) != 0)
		die(path, "cannot rename the finished record into place");
	for (size_t i = 1; i < 3; i++) {
		char *f = xasprintf("%s%s", path, suffixes[i]);
		unlink(f);
		free(f);
	}
	printf("record: %s built in %.1f s: %ld runs of %d events; audit engineer %s\n", path, now_s() - t0, runs,
		2 + SECTIONS * (2 * CHECKS + 2), engineer(0));
	free(tmp);
	return 0;
}
