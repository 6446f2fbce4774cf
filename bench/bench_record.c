/* Builds the reviewer's benchmark record: RUNS finished runs of 100 events
 * each (by default 10,000 runs, one million events) of a seven-section
 * checklist, by twenty engineers, one run an hour, every event chained,
 * hashed and signed as the store does it (keys derived at the minimum PIN
 * cost; each sign-off names the section's digest as the engine computes
 * it), every run registered and its end recorded in the registry chain, so
 * that `verify` passes on it. Schema and triggers come from store_open;
 * the rows go in through SQLite directly, in large transactions without
 * fsync, which is what makes a million events take a minute instead of
 * hours.
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

#include <cjson/cJSON.h>
#include <sodium.h>
#include <sqlite3.h>

#include "countersign/checklist.h"
#include "countersign/clock.h"
#include "countersign/diag.h"
#include "countersign/engine.h"
#include "countersign/pin.h"
#include "countersign/sign.h"
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
		/* A record from before runs were registered and signed is built again. */
		if (sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM run_index WHERE state = 'completed'), "
				"(SELECT user_version FROM pragma_user_version), "
				"(SELECT count(*) FROM events WHERE chain = 'registry' AND kind = 'run_ended')", -1, &stmt,
				NULL) == SQLITE_OK &&
			sqlite3_step(stmt) == SQLITE_ROW)
			ok = sqlite3_column_int64(stmt, 0) == runs && sqlite3_column_int(stmt, 1) == store_schema_version() &&
				sqlite3_column_int64(stmt, 2) == runs;
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

/* Where a chain stands while it is written. */
struct chain {
	const char *name;
	int64_t seq;
	char prev[EVENT_HASH_HEX];
};

struct writer {
	sqlite3 *db;
	sqlite3_stmt *event, *run;
	struct chain reg;                 /* the registry chain, opened by store_open */
	struct sign_key *keys[ENGINEERS]; /* engineer(i)'s key */
	struct sign_params params[ENGINEERS];
	const struct checklist *cl;
	struct engine *eng;               /* the run being written, folded */
};

static const char *engineer(int i)
{
	static char names[ENGINEERS][8];
	snprintf(names[i % ENGINEERS], sizeof(names[0]), "eng%02d", i % ENGINEERS + 1);
	return names[i % ENGINEERS];
}

/* The key of engineer ACTOR ("engNN"), or NULL for system. */
static const struct sign_key *key_of(const struct writer *w, const char *actor)
{
	int n = 0;
	return sscanf(actor, "eng%d", &n) == 1 && n >= 1 && n <= ENGINEERS ? w->keys[n - 1] : NULL;
}

/* Appends an event to chain C, signed by SIGNER as BY when not NULL, and
 * folds it into the run being written. Returns its hash in HASH when not
 * NULL. */
static void put_as(struct writer *w, struct chain *c, int64_t time_us, const char *actor, const char *kind,
	const char *target, const char *payload, const char *by, const struct sign_key *signer, char *hash)
{
	struct event ev = {.seq = ++c->seq, .time_us = time_us, .actor = (char *)actor, .os_user = (char *)actor,
		.host = "deploy-01.example.net", .tty = "/dev/pts/3", .kind = (char *)kind, .target = (char *)target,
		.payload = (char *)payload};
	memcpy(ev.prev, c->prev, sizeof(ev.prev));
	if (!event_compute_hash(&ev, ev.hash))
		die("hash", "malformed prev");
	char *sigs = signer ? sign_entries_add(NULL, by, signer, ev.hash) : NULL;
	sqlite3_stmt *st = w->event;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
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
	sqlite3_bind_text(st, 13, sigs ? sigs : "", -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		die("insert event", sqlite3_errmsg(w->db));
	free(sigs);
	if (w->eng && c != &w->reg)
		engine_apply(w->eng, &ev);
	memcpy(c->prev, ev.hash, sizeof(c->prev));
	if (hash)
		memcpy(hash, ev.hash, EVENT_HASH_HEX);
}

/* An event signed by its actor (when an engineer). */
static void put(struct writer *w, struct chain *c, int64_t time_us, const char *actor, const char *kind,
	const char *target, const char *payload)
{
	put_as(w, c, time_us, actor, kind, target, payload, actor, key_of(w, actor), NULL);
}

/* Run R: started, SECTIONS x (CHECKS checks and two signatures), completed;
 * registered, and its end recorded, in the registry chain. */
static void one_run(struct writer *w, long r, const char *sha)
{
	char id[16];
	snprintf(id, sizeof(id), "b%09ld", r);
	struct store_run_row run = {.id = id, .checklist_id = "noa-server-deploy", .checklist_sha = (char *)sha,
		.title = "NOA Server Deployment", .path = "checklists/noa-server-deploy.json",
		.started_us = BASE_US + (int64_t)r * HOUR_US};
	unsigned char nonce[32];
	randombytes_buf(nonce, sizeof(nonce));
	sodium_bin2hex(run.nonce, sizeof(run.nonce), nonce, sizeof(nonce));
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
	char *registered = store_run_registered_payload(&run);
	put(w, &w->reg, run.started_us, "system", EV_RUN_REGISTERED, id, registered);
	free(registered);
	struct chain c = {.name = id};
	store_run_genesis(&run, c.prev);
	w->eng = engine_create(w->cl);
	const char *op = engineer((int)r), *second = engineer((int)r + 7);
	int64_t t = run.started_us;
	char payload[256], target[16];
	snprintf(payload, sizeof(payload), "{\"checklist\":\"noa-server-deploy\",\"sha256\":\"%s\",\"title\":\"%s\","
		"\"variables\":{\"VERSION\":\"v1.%ld.0\"},\"window_ms\":0,\"path\":\"%s\"}", sha, run.title, r, run.path);
	put(w, &c, t, op, EV_RUN_STARTED, "", payload);
	for (int s = 1; s <= SECTIONS; s++) {
		for (int k = 1; k <= CHECKS; k++) {
			snprintf(target, sizeof(target), "s%d/c%d", s, k);
			snprintf(payload, sizeof(payload), "{\"command\":\"true\",\"pid\":%ld,\"host\":\"deploy-01.example.net\","
				"\"attempt\":1}", 1000 + r % 30000);
			put(w, &c, t += STEP_US, op, EV_CHECK_STARTED, target, payload);
			put(w, &c, t += STEP_US, op, EV_CHECK_FINISHED, target, "{\"verdict\":\"pass\",\"message\":"
				"\"exit status 0\",\"exit_status\":0,\"bytes\":0,\"duration_ms\":4}");
		}
		/* Both sign what the engine says the section's evidence is. */
		engine_refresh(w->eng, t);
		snprintf(target, sizeof(target), "s%d", s);
		snprintf(payload, sizeof(payload), "{\"meaning\":\"approve\",\"digest\":\"%.64s\"}",
			engine_section(w->eng, (size_t)s - 1)->digest);
		put(w, &c, t += STEP_US, op, EV_SIGNED, target, payload);
		put(w, &c, t += STEP_US, second, EV_SIGNED, target, payload);
	}
	char head[EVENT_HASH_HEX];
	put_as(w, &c, t + STEP_US, "system", EV_RUN_COMPLETED, "", "{}", NULL, NULL, head);
	engine_destroy(w->eng);
	w->eng = NULL;
	snprintf(payload, sizeof(payload), "{\"kind\":\"run_completed\",\"events\":%" PRId64 ",\"head\":\"%s\"}", c.seq,
		head);
	put(w, &w->reg, t + STEP_US, "system", EV_RUN_ENDED, id, payload);
}

/* The engineers chain: each engineer registered with a key (signed by it),
 * one wrong PIN each. */
static void engineers(struct writer *w)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(w->db, "INSERT INTO engineers (name, full_name, pin_hash, created_us, public_key, "
			"key_salt, key_ops, key_mem) VALUES (?1, ?2, '', ?3, ?4, ?5, ?6, ?7)", -1, &st, NULL) != SQLITE_OK)
		die("prepare", sqlite3_errmsg(w->db));
	struct chain c = {.name = EVENT_CHAIN_ENGINEERS};
	static const char tag[] = "countersign-engineers-v1";
	event_sha256_hex(tag, sizeof(tag) - 1, c.prev);
	pin_set_cost(PIN_COST_MIN);
	for (int i = 0; i < ENGINEERS; i++) {
		char full[64], pin[16];
		snprintf(full, sizeof(full), "Engineer %d", i + 1);
		snprintf(pin, sizeof(pin), "pin-%s", engineer(i));
		sign_params_new(&w->params[i]);
		const char *why = NULL;
		if (!(w->keys[i] = sign_key_derive(pin, &w->params[i], &why)))
			die("key", why);
		const char *pub = sign_key_public(w->keys[i]);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, engineer(i), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, full, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, BASE_US - HOUR_US + i);
		sqlite3_bind_text(st, 4, pub, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, w->params[i].salt, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)w->params[i].ops);
		sqlite3_bind_int64(st, 7, (sqlite3_int64)w->params[i].mem);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("insert engineer", sqlite3_errmsg(w->db));
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "full_name", full);
		cJSON_AddItemToObject(p, "key", sign_key_to_json(pub, &w->params[i]));
		char *payload = cJSON_PrintUnformatted(p);
		cJSON_Delete(p);
		put_as(w, &c, BASE_US - HOUR_US + i, engineer(i), EV_ENGINEER_ADDED, engineer(i), payload, engineer(i),
			w->keys[i], NULL);
		cJSON_free(payload);
	}
	sqlite3_finalize(st);
	for (int i = 0; i < ENGINEERS; i++)
		put_as(w, &c, BASE_US + (int64_t)i * 97 * HOUR_US + 5, engineer(i), EV_PIN_FAILED, engineer(i),
			"{\"command\":\"sign\"}", NULL, NULL, NULL);
}

/* Where store_open left the registry chain (registry_opened). */
static void registry_head(struct writer *w)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(w->db, "SELECT seq, hash FROM events WHERE chain = 'registry' ORDER BY seq DESC LIMIT 1",
			-1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW)
		die("registry", sqlite3_errmsg(w->db));
	w->reg.name = EVENT_CHAIN_REGISTRY;
	w->reg.seq = sqlite3_column_int64(q, 0);
	snprintf(w->reg.prev, sizeof(w->reg.prev), "%s", (const char *)sqlite3_column_text(q, 1));
	sqlite3_finalize(q);
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
	store_close(st);
	struct diag_list diags;
	diag_list_init(&diags, "noa-server-deploy.json");
	struct checklist *cl = checklist_load_text("noa-server-deploy.json", text, strlen(text), &diags);
	diag_list_clear(&diags);
	free(text);
	if (!cl)
		die("checklist", "does not load");

	struct writer w = {.cl = cl};
	if (sqlite3_open(path, &w.db) != SQLITE_OK)
		die(path, sqlite3_errmsg(w.db));
	/* No journal while building: a half-built file is thrown away anyway. */
	exec_sql(w.db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; "
		"PRAGMA cache_size = -262144");
	if (sqlite3_prepare_v2(w.db, "INSERT INTO events (chain, seq, time_us, actor, os_user, host, tty, kind, "
			"target, payload, prev, hash, sigs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", -1,
			&w.event, NULL) != SQLITE_OK ||
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
	registry_head(&w);
	engineers(&w);
	for (long r = 0; r < runs; r++) {
		one_run(&w, r, sha);
		if ((r + 1) % RUNS_PER_TXN == 0)
			exec_sql(w.db, "COMMIT; BEGIN");
	}
	sqlite3_finalize(w.event);
	sqlite3_finalize(w.run);
	for (int i = 0; i < ENGINEERS; i++)
		sign_key_destroy(w.keys[i]);
	checklist_destroy(cl);
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
