/* Shared by the verification tests of signatures, rows, the registry and
 * checkpoints: a record whose engineers have keys (derived at libsodium's
 * minimum cost) and sign what they record, and the tools of someone who can
 * write the database (a SQLite file or a PostgreSQL database they own):
 * guard triggers off, events inserted with a correctly computed hash,
 * chains re-hashed from an event on. */
#ifndef COUNTERSIGN_TEST_VERIFY_SCENE_H
#define COUNTERSIGN_TEST_VERIFY_SCENE_H

#include "fixture.h"

#include <inttypes.h>
#include <sodium.h>

#include "countersign/clock.h"

/* One section whose gate needs no signature: it passes once ping passes. */
static const char scene_checklist[] = "{\"countersign\": 1, \"id\": \"noa\", \"title\": \"NOA\", \"sections\": "
	"[{\"id\": \"pre\", \"title\": \"Pre\", \"signoffs\": 0, \"items\": [{\"id\": \"ping\", \"title\": \"Ping\", "
	"\"kind\": \"command\", \"run\": \"echo all good\"}]}]}";

struct vscene {
	char *path;
	struct store *st;
	struct store_run_row run;
	struct sign_key *alice, *bob;
};

static inline const struct sign_key *vscene_key(struct vscene *sc, const char *actor)
{
	return strcmp(actor, "alice") == 0 ? sc->alice : strcmp(actor, "bob") == 0 ? sc->bob : NULL;
}

/* Appends one event to CHAIN by ACTOR, signed with ACTOR's key (when alice
 * or bob) and, when SECOND is set, also by SECOND. Returns its seq. */
static inline int64_t vscene_append2(struct vscene *sc, const char *chain, const char *actor, const char *second,
	const char *kind, const char *target, const char *payload)
{
	struct event ev = fixture_event(actor, kind, target, payload);
	ev.signers[0] = vscene_key(sc, actor);
	ev.signer_names[0] = ev.signers[0] ? actor : NULL;
	if (second) {
		ev.signers[1] = vscene_key(sc, second);
		ev.signer_names[1] = second;
	}
	if (store_append(sc->st, chain, &ev, 1, NULL, 0) != STORE_OK) {
		fprintf(stderr, "store_append(%s %s): %s\n", actor, kind, store_error(sc->st));
		exit(1);
	}
	int64_t seq = ev.seq;
	event_clear(&ev);
	return seq;
}

static inline int64_t vscene_append(struct vscene *sc, const char *actor, const char *kind, const char *target,
	const char *payload)
{
	return vscene_append2(sc, sc->run.id, actor, NULL, kind, target, payload);
}

/* Starts a run titled TITLE in ST by alice (whose key is ALICE), signed,
 * its run_started as the program records it. */
static inline void vscene_signed_run(struct store *st, const struct sign_key *alice, struct store_run_row *run,
	const char *title)
{
	char sha[EVENT_HASH_HEX];
	if (store_put_checklist(st, scene_checklist, sizeof(scene_checklist) - 1, sha) != STORE_OK) {
		fprintf(stderr, "store_put_checklist: %s\n", store_error(st));
		exit(1);
	}
	memset(run, 0, sizeof(*run));
	run->checklist_id = xstrdup("noa");
	run->checklist_sha = xstrdup(sha);
	run->title = xstrdup(title);
	run->path = xstrdup("/srv/checklists/noa.json");
	char *payload = xasprintf("{\"checklist\":\"noa\",\"sha256\":\"%s\",\"title\":\"%s\",\"variables\":{},"
		"\"window_ms\":0,\"path\":\"/srv/checklists/noa.json\"}", sha, title);
	struct event first = fixture_event("alice", EV_RUN_STARTED, "", payload);
	free(payload);
	first.signers[0] = alice;
	first.signer_names[0] = "alice";
	if (store_create_run(st, run, &first) != STORE_OK) {
		fprintf(stderr, "store_create_run: %s\n", store_error(st));
		exit(1);
	}
	event_clear(&first);
}

static inline void vscene_run(struct vscene *sc, struct store_run_row *run, const char *title)
{
	vscene_signed_run(sc->st, sc->alice, run, title);
}

/* A record with engineers alice and bob (keys kept) and a run of seven
 * events, completed. */
static inline void vscene_open(struct vscene *sc, const char *tmp, const char *name)
{
	memset(sc, 0, sizeof(*sc));
	sc->path = xasprintf("%s/%s.db", tmp, name);
	sc->st = fixture_open(sc->path);
	sc->alice = fixture_engineer(sc->st, "alice", "Alice Smith", "alice-pin-1", true);
	sc->bob = fixture_engineer(sc->st, "bob", "Bob Brown", "bob-pin-1", true);
	vscene_run(sc, &sc->run, name);
	vscene_append(sc, "alice", EV_CHECK_STARTED, "pre/ping", "{\"command\":\"echo all good\"}");  /* 2 */
	vscene_append(sc, "alice", EV_CHECK_FINISHED, "pre/ping", "{\"verdict\":\"pass\"}");          /* 3 */
	vscene_append(sc, "alice", EV_SIGNED, "pre", "{\"meaning\":\"approve\",\"digest\":\"d1\"}");  /* 4 */
	vscene_append(sc, "bob", EV_SIGNED, "pre", "{\"meaning\":\"approve\",\"digest\":\"d1\"}");    /* 5 */
	vscene_append(sc, "bob", EV_NOTE, "pre", "{\"text\":\"canary looks fine\"}");                 /* 6 */
	vscene_append(sc, "alice", EV_RUN_COMPLETED, "", "{}");                                       /* 7 */
}

static inline void vscene_close(struct vscene *sc)
{
	store_close(sc->st);
	store_run_row_clear(&sc->run);
	sign_key_destroy(sc->alice);
	sign_key_destroy(sc->bob);
	free(sc->path);
}

/* A connection to the record with the guard triggers off
 * (fixture_guards_off), as its owner could. Close it with
 * fixture_sql_close. */
static inline struct db *vscene_attacker(struct vscene *sc)
{
	struct db *db = fixture_sql_open(sc->path);
	fixture_guards_off(db);
	return db;
}

/* Runs SQL as the attacker; expects it to change something. */
static inline void vscene_tamper(struct vscene *sc, const char *sql)
{
	struct db *db = vscene_attacker(sc);
	if (fixture_sql(db, sql, NULL) != DB_OK || db_changes(db) == 0) {
		fprintf(stderr, "tampering changed nothing: %s\n", sql);
		exit(1);
	}
	fixture_sql_close(db);
}

/* The hash of event SEQ of CHAIN ("" when none) into OUT. */
static inline void vscene_hash_of(struct db *db, const char *chain, int64_t seq, char out[EVENT_HASH_HEX])
{
	struct db_stmt *stmt = NULL;
	out[0] = '\0';
	CHECK(db_prepare(db, "SELECT hash FROM events WHERE chain = ?1 AND seq = ?2", &stmt) == DB_OK);
	db_bind_text(stmt, 1, chain);
	db_bind_int64(stmt, 2, seq);
	if (db_step(stmt) == DB_ROW)
		snprintf(out, EVENT_HASH_HEX, "%s", db_column_text(stmt, 0));
	db_finalize(stmt);
}

/* Inserts EV at the end of CHAIN as the attacker: seq, prev and hash
 * computed as the store does; when SIGNER, signed by it as BY (time now). */
static inline int64_t vscene_forge(struct vscene *sc, const char *chain, struct event *ev, const char *by,
	const struct sign_key *signer)
{
	struct db *db = vscene_attacker(sc);
	char *sql = xasprintf("SELECT max(seq) FROM events WHERE chain = '%s'", chain);
	ev->seq = fixture_sql_int(db, sql) + 1;
	free(sql);
	vscene_hash_of(db, chain, ev->seq - 1, ev->prev);
	if (!ev->time_us)
		ev->time_us = clock_wall_us();
	CHECK(event_compute_hash(ev, ev->hash));
	char *sigs = signer ? sign_entries_add(NULL, by, signer, ev->hash) : xstrdup("");
	struct db_stmt *stmt = NULL;
	CHECK(db_prepare(db, "INSERT INTO events (chain, seq, time_us, actor, os_user, host, tty, kind, target, "
		"payload, prev, hash, sigs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", &stmt) == DB_OK);
	db_bind_text(stmt, 1, chain);
	db_bind_int64(stmt, 2, ev->seq);
	db_bind_int64(stmt, 3, ev->time_us);
	const char *text[] = {ev->actor, ev->os_user, ev->host, ev->tty, ev->kind, ev->target, ev->payload,
		ev->prev, ev->hash, sigs};
	for (int i = 0; i < 10; i++)
		db_bind_text(stmt, 4 + i, text[i]);
	CHECK(db_step(stmt) == DB_DONE);
	db_finalize(stmt);
	free(sigs);
	fixture_sql_close(db);
	return ev->seq;
}

/* Recomputes, as the attacker, the hash of every event of CHAIN from FROM
 * on (each following from the one before), after an edit of event FROM. */
static inline void vscene_rehash(struct vscene *sc, const char *chain, int64_t from)
{
	struct db *db = vscene_attacker(sc);
	struct db_stmt *sel = NULL, *upd = NULL;
	CHECK(db_prepare(db, "SELECT seq, time_us, actor, os_user, host, tty, kind, target, payload FROM events "
		"WHERE chain = ?1 AND seq >= ?2 ORDER BY seq", &sel) == DB_OK);
	CHECK(db_prepare(db, "UPDATE events SET prev = ?3, hash = ?4 WHERE chain = ?1 AND seq = ?2", &upd) == DB_OK);
	db_bind_text(sel, 1, chain);
	db_bind_int64(sel, 2, from);
	char prev[EVENT_HASH_HEX];
	vscene_hash_of(db, chain, from - 1, prev);
	if (from == 1) {
		const char *tag = strcmp(chain, EVENT_CHAIN_REGISTRY) == 0 ? "countersign-registry-v1"
			: "countersign-engineers-v1";
		event_sha256_hex(tag, strlen(tag), prev);
	}
	struct { int64_t seq; char prev[EVENT_HASH_HEX], hash[EVENT_HASH_HEX]; } *rows = NULL;
	size_t n = 0;
	while (db_step(sel) == DB_ROW) {
		struct event ev = {.seq = db_column_int64(sel, 0), .time_us = db_column_int64(sel, 1),
			.actor = (char *)db_column_text(sel, 2), .os_user = (char *)db_column_text(sel, 3),
			.host = (char *)db_column_text(sel, 4), .tty = (char *)db_column_text(sel, 5),
			.kind = (char *)db_column_text(sel, 6), .target = (char *)db_column_text(sel, 7),
			.payload = (char *)db_column_text(sel, 8)};
		memcpy(ev.prev, prev, sizeof(prev));
		CHECK(event_compute_hash(&ev, ev.hash));
		rows = xreallocarray(rows, n + 1, sizeof(*rows));
		rows[n].seq = ev.seq;
		memcpy(rows[n].prev, prev, sizeof(prev));
		memcpy(rows[n].hash, ev.hash, sizeof(ev.hash));
		memcpy(prev, ev.hash, sizeof(prev));
		n++;
	}
	db_finalize(sel);
	for (size_t i = 0; i < n; i++) {
		db_reset(upd);
		db_bind_text(upd, 1, chain);
		db_bind_int64(upd, 2, rows[i].seq);
		db_bind_text(upd, 3, rows[i].prev);
		db_bind_text(upd, 4, rows[i].hash);
		CHECK(db_step(upd) == DB_DONE);
	}
	db_finalize(upd);
	free(rows);
	fixture_sql_close(db);
}

/* Verifies (RUN_ID NULL: everything) and expects the record to pass. */
static inline void vscene_expect_ok(struct vscene *sc, const char *run_id, int line)
{
	struct store_verify_result r;
	enum store_status s = store_verify(sc->st, run_id, NULL, &r);
	if (s != STORE_OK || !r.ok)
		fprintf(stderr, "line %d: verify failed: chain %s, seq %" PRId64 ": %s\n", line,
			r.chain ? r.chain : "-", r.bad_seq, r.why ? r.why : store_error(sc->st));
	CHECK(s == STORE_OK && r.ok);
	store_verify_result_clear(&r);
}

/* Checks a failed verdict R: at BAD_SEQ of CHAIN, its message holding WHY. */
static inline void vscene_check_fail(const struct store_verify_result *r, enum store_status s, const char *chain,
	int64_t bad_seq, const char *why, int line)
{
	bool ok = s == STORE_OK && !r->ok && r->why && strstr(r->why, why) &&
		((!chain && !r->chain) || (chain && r->chain && strcmp(chain, r->chain) == 0)) && r->bad_seq == bad_seq;
	if (!ok)
		fprintf(stderr, "line %d: want chain %s seq %" PRId64 " \"%s\"\n  got status %d ok %d chain %s seq %"
			PRId64 " \"%s\"\n", line, chain ? chain : "-", bad_seq, why, (int)s, (int)r->ok,
			r->chain ? r->chain : "-", r->bad_seq, r->why ? r->why : "(none)");
	CHECK(ok);
}

/* Verifies and expects a failure at BAD_SEQ of CHAIN whose message holds WHY. */
static inline void vscene_expect_fail(struct vscene *sc, const char *run_id, const char *chain, int64_t bad_seq,
	const char *why, int line)
{
	struct store_verify_result r;
	enum store_status s = store_verify(sc->st, run_id, NULL, &r);
	vscene_check_fail(&r, s, chain, bad_seq, why, line);
	store_verify_result_clear(&r);
}

#define EXPECT_OK(sc, run) vscene_expect_ok(sc, run, __LINE__)
#define EXPECT_FAIL(sc, run, chain, seq, why) vscene_expect_fail(sc, run, chain, seq, why, __LINE__)

/* An event by ACTOR built on the stack's strings (not freed). */
static inline struct event vscene_event(const char *actor, const char *kind, const char *target, const char *payload)
{
	struct event ev = {.actor = (char *)actor, .os_user = (char *)"ops", .host = (char *)"deploy-01",
		.tty = (char *)"/dev/pts/3", .kind = (char *)kind, .target = (char *)target, .payload = (char *)payload};
	return ev;
}

#endif
