/* Unit tests of verify on a record from before signatures (schema version
 * 3: engineers with PIN hashes only, unsigned events): read-only it verifies
 * as before, counting its engineers' events unsigned and saying what it
 * could not check; brought up to date, the registry says what predates
 * signatures, an engineer's enrolment and what they sign afterwards verify,
 * and a legacy engineer's PIN hash replaced by another's, or an unsigned
 * event recorded since, fails. */
#include "test_verify_scene.h"

#define RUN_ID "k3v9q2m7xd"

struct writer {
	struct db *db;
	char prev[EVENT_HASH_HEX];
	int64_t seq, time_us;
};

/* Appends an unsigned event to CHAIN the way a version 3 countersign did. */
static void put(struct writer *w, const char *chain, const char *actor, const char *kind, const char *target,
	const char *payload)
{
	struct event ev = vscene_event(actor, kind, target, payload);
	ev.seq = ++w->seq;
	ev.time_us = w->time_us += 1000000;
	memcpy(ev.prev, w->prev, sizeof(ev.prev));
	CHECK(event_compute_hash(&ev, ev.hash));
	struct db_stmt *stmt = NULL;
	CHECK(db_prepare(w->db, "INSERT INTO events (chain, seq, time_us, actor, os_user, host, tty, kind, target, "
		"payload, prev, hash) VALUES (?, ?, ?, ?, 'ops', 'deploy-01', '/dev/pts/3', ?, ?, ?, ?, ?)", &stmt) == DB_OK);
	db_bind_text(stmt, 1, chain);
	db_bind_int64(stmt, 2, ev.seq);
	db_bind_int64(stmt, 3, ev.time_us);
	const char *text[] = {actor, kind, target, payload, ev.prev, ev.hash};
	for (int i = 0; i < 6; i++)
		db_bind_text(stmt, 4 + i, text[i]);
	CHECK(db_step(stmt) == DB_DONE);
	db_finalize(stmt);
	memcpy(w->prev, ev.hash, sizeof(w->prev));
}

/* A version 3 record: alice, bob and carol registered with PIN hashes, and
 * run RUN_ID of four events, completed. */
static void make_legacy(const char *path)
{
	store_close(fixture_open(path));
	CHECK(fixture_make_version_3(path));
	struct writer w = {.db = fixture_sql_open(path), .time_us = clock_wall_us() - 3600000000LL};
	event_sha256_hex("countersign-engineers-v1", 24, w.prev);
	static const char *const names[] = {"alice", "bob", "carol"};
	for (size_t i = 0; i < 3; i++) {
		char *sql = xasprintf("INSERT INTO engineers (name, full_name, pin_hash, created_us) VALUES "
			"('%s', '%s', '$argon2id$v=19$m=8,t=1,p=1$%s$hash', 1)", names[i], names[i], names[i]);
		CHECK(fixture_sql(w.db, sql, NULL) == DB_OK);
		free(sql);
		char *payload = xasprintf("{\"full_name\":\"%s\"}", names[i]);
		put(&w, EVENT_CHAIN_ENGINEERS, "system", EV_ENGINEER_ADDED, names[i], payload);
		free(payload);
	}
	char sha[EVENT_HASH_HEX];
	event_sha256_hex(scene_checklist, sizeof(scene_checklist) - 1, sha);
	struct store_run_row run = {.id = RUN_ID, .checklist_sha = sha, .started_us = w.time_us};
	memset(run.nonce, 'a', 64);
	/* The checklist's text holds no quote to escape. */
	char *sql = xasprintf("INSERT INTO checklists (sha256, text) VALUES ('%s', '%s'); "
		"INSERT INTO runs (id, checklist_id, checklist_sha, title, path, started_us, nonce) VALUES "
		"('%s', 'noa', '%s', 'Legacy', 'noa.json', %lld, '%s')", sha, scene_checklist, RUN_ID, sha,
		(long long)run.started_us, run.nonce);
	CHECK(fixture_sql(w.db, sql, NULL) == DB_OK);
	free(sql);
	w.seq = 0;
	store_run_genesis(&run, w.prev);
	put(&w, RUN_ID, "alice", EV_RUN_STARTED, "", "{\"checklist\":\"noa\",\"title\":\"Legacy\",\"variables\":{}}");
	put(&w, RUN_ID, "bob", EV_NOTE, "", "{\"text\":\"before signatures\"}");
	put(&w, RUN_ID, "system", EV_RUN_COMPLETED, "", "{}");
	put(&w, RUN_ID, "alice", EV_NOTE, "", "{\"text\":\"afterwards\"}");
	fixture_sql_close(w.db);
}

static void test_read_only(const char *tmp)
{
	char *path = xasprintf("%s/legacy-ro.db", tmp);
	make_legacy(path);
	char *err = NULL;
	struct store *st = store_open_mode(fixture_location(path), STORE_READ_ONLY, &err);
	CHECK(st != NULL);
	struct store_verify_result r;
	CHECK(store_verify(st, NULL, NULL, &r) == STORE_OK && r.ok);
	CHECK(r.n_chains == 2 && r.events == 7 && r.unsigned_events == 3);
	if (r.n_chains == 2) {
		CHECK_STR(r.chains[0].chain, "engineers");
		CHECK(r.chains[0].unsigned_events == 0); /* registered by system */
		CHECK_STR(r.chains[1].chain, RUN_ID);
		CHECK(r.chains[1].events == 4 && r.chains[1].unsigned_events == 3);
	}
	CHECK(r.why && strstr(r.why, "the record predates signatures (schema version 3)"));
	store_verify_result_clear(&r);
	CHECK(store_verify(st, RUN_ID, NULL, &r) == STORE_OK && r.ok && r.unsigned_events == 3);
	store_verify_result_clear(&r);
	store_close(st);
	free(err);
	free(path);
}

static void test_brought_up_to_date(const char *tmp)
{
	struct vscene sc = {0};
	sc.path = xasprintf("%s/legacy.db", tmp);
	make_legacy(sc.path);
	sc.st = fixture_open(sc.path);
	struct store_verify_result r;
	CHECK(store_verify(sc.st, NULL, NULL, &r) == STORE_OK && r.ok && !r.why);
	CHECK(r.n_chains == 3 && r.unsigned_events == 3);
	if (r.n_chains == 3) {
		CHECK_STR(r.chains[1].chain, "registry");
		CHECK(r.chains[1].events == 3); /* opened, the run registered and ended */
	}
	store_verify_result_clear(&r);

	/* bob enrols (his PIN checked against his hash), then signs. */
	struct sign_params p;
	sc.bob = fixture_key("bob-pin", &p);
	struct event origin = fixture_event("bob", "", "", NULL);
	/* with the clock behind bob's events from before (stepped back, or a
	 * record moved from a host whose clock ran fast): positions, not
	 * times, say those came before his key */
	origin.time_us = 1000000;
	CHECK(store_set_key(sc.st, "bob", EV_KEY_ENROLLED, sc.bob, &p, NULL, &origin) == STORE_OK);
	event_clear(&origin);
	sc.run.id = xstrdup(RUN_ID);
	vscene_append(&sc, "bob", EV_NOTE, "", "{\"text\":\"signed now\"}");
	CHECK(store_verify(sc.st, NULL, NULL, &r) == STORE_OK && r.ok && r.unsigned_events == 3);
	store_verify_result_clear(&r);

	/* Anything unsigned since the update fails. */
	struct event ev = vscene_event("carol", EV_NOTE, "", "{\"text\":\"unsigned\"}");
	vscene_forge(&sc, RUN_ID, &ev, NULL, NULL);
	EXPECT_FAIL(&sc, NULL, RUN_ID, 6, "event 6 (note by carol): carries no signature by carol");
	vscene_close(&sc);
}

/* alice has no key yet: her row's PIN hash replaced by carol's would let
 * carol's PIN enrol a key as alice. */
static void test_legacy_pin_swapped(const char *tmp)
{
	struct vscene sc = {0};
	sc.path = xasprintf("%s/legacy-swap.db", tmp);
	make_legacy(sc.path);
	sc.st = fixture_open(sc.path);
	EXPECT_OK(&sc, NULL);
	vscene_tamper(&sc, "UPDATE engineers SET pin_hash = (SELECT pin_hash FROM engineers WHERE name = 'carol') "
		"WHERE name = 'alice'");
	EXPECT_FAIL(&sc, NULL, "engineers", 0, "the engineers table disagrees with the engineers chain: alice's PIN "
		"hash is not the one recorded when signatures began (the table was edited)");
	vscene_close(&sc);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	/* Every case starts from a record of schema version 3, which only a
	 * SQLite file can be: a PostgreSQL record starts at version 5. */
	if (fixture_skip_sqlite_file("every case here is a record of schema version 3 (PostgreSQL records start at 5)"))
		return 77;
	char *tmp = fixture_tmpdir();
	test_read_only(tmp);
	test_brought_up_to_date(tmp);
	test_legacy_pin_swapped(tmp);
	fixture_rm_rf(tmp);
	return check_report();
}
