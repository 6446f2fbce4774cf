/* Unit tests for store_verify: an untouched record passes, and each way of
 * altering it behind the store's back (triggers dropped, SQL run directly on
 * the file) is caught and reported at the right event; a chain that holds
 * a seq twice is not loaded. */
#include "test_verify_scene.h"

#include <sodium.h>

#define N_EVENTS 10

static const char out_health[] = "HTTP/1.1 200 OK\n{\"status\":\"green\"}\n";
static const char out_roll[] = "deployment \"noa\" successfully rolled out\n";
static const char out_pods[] = "noa-7d9f 1/1 Running\n";

/* One database for one case: engineers alice and bob, and a run of ten events. */
struct scene {
	char *path;
	struct store *st;
	struct store_run_row run;
	char hash[N_EVENTS + 1][EVENT_HASH_HEX]; /* by seq */
	char e_health[EVENT_HASH_HEX], e_roll[EVENT_HASH_HEX], e_pods[EVENT_HASH_HEX];
	struct sign_key *alice, *bob;
};

static void scene_append(struct scene *sc, const char *actor, const char *kind, const char *target,
	const char *payload, struct store_evidence *evidence, size_t n_evidence)
{
	struct event ev = fixture_event(actor, kind, target, payload);
	ev.signers[0] = strcmp(actor, "alice") == 0 ? sc->alice : sc->bob;
	ev.signer_names[0] = actor;
	if (store_append(sc->st, sc->run.id, &ev, 1, evidence, n_evidence) != STORE_OK) {
		fprintf(stderr, "store_append: %s\n", store_error(sc->st));
		exit(1);
	}
	memcpy(sc->hash[ev.seq], ev.hash, EVENT_HASH_HEX);
	event_clear(&ev);
}

static void scene_open(struct scene *sc, const char *tmp, const char *name)
{
	memset(sc, 0, sizeof(*sc));
	sc->path = xasprintf("%s/%s.db", tmp, name);
	sc->st = fixture_open(sc->path);
	sc->alice = fixture_engineer(sc->st, "alice", "Alice Smith", "alice-pin-1", true);
	sc->bob = fixture_engineer(sc->st, "bob", "Bob Brown", "bob-pin-1", true);
	vscene_signed_run(sc->st, sc->alice, &sc->run, name);
	struct event *first = NULL;
	size_t n = 0;
	store_load_events(sc->st, sc->run.id, 0, &first, &n);
	memcpy(sc->hash[1], first[0].hash, EVENT_HASH_HEX);
	event_array_free(first, n);

	event_sha256_hex(out_health, sizeof(out_health) - 1, sc->e_health);
	event_sha256_hex(out_roll, sizeof(out_roll) - 1, sc->e_roll);
	event_sha256_hex(out_pods, sizeof(out_pods) - 1, sc->e_pods);
	struct store_evidence health = {.bytes = out_health, .len = sizeof(out_health) - 1};
	struct store_evidence roll[] = {
		{.bytes = out_roll, .len = sizeof(out_roll) - 1},
		{.bytes = out_pods, .len = sizeof(out_pods) - 1},
	};
	char *p4 = xasprintf("{\"verdict\":\"pass\",\"message\":\"200\",\"evidence\":\"%s\"}", sc->e_health);
	char *p7 = xasprintf("{\"verdict\":\"pass\",\"evidence\":[\"%s\",\"%s\"]}", sc->e_roll, sc->e_pods);
	scene_append(sc, "alice", EV_CHECK_STARTED, "pre/ping", "{\"attempt\":1}", NULL, 0);           /* 2 */
	scene_append(sc, "alice", EV_CHECK_FINISHED, "pre/ping", "{\"verdict\":\"pass\"}", NULL, 0);   /* 3 */
	scene_append(sc, "alice", EV_CHECK_FINISHED, "pre/health", p4, &health, 1);                   /* 4 */
	scene_append(sc, "alice", EV_ATTESTED, "pre/backup", "{\"verdict\":\"pass\"}", NULL, 0);       /* 5 */
	scene_append(sc, "alice", EV_SIGNED, "pre", "{\"meaning\":\"approve\",\"digest\":\"d1\"}", NULL, 0); /* 6 */
	scene_append(sc, "bob", EV_CHECK_FINISHED, "deploy/roll", p7, roll, 2);                       /* 7 */
	scene_append(sc, "bob", EV_SIGNED, "pre", "{\"meaning\":\"approve\",\"digest\":\"d1\"}", NULL, 0); /* 8 */
	scene_append(sc, "bob", EV_NOTE, "deploy", "{\"text\":\"canary looks fine\"}", NULL, 0);      /* 9 */
	scene_append(sc, "alice", EV_RUN_COMPLETED, "", "{}", NULL, 0);                               /* 10 */
	free(p4);
	free(p7);
}

static void scene_close(struct scene *sc)
{
	store_close(sc->st);
	store_run_row_clear(&sc->run);
	sign_key_destroy(sc->alice);
	sign_key_destroy(sc->bob);
	free(sc->path);
}

/* SQL with each "{run}" replaced by the run id. */
static char *with_run(const char *sql, const char *run_id)
{
	struct strbuf sb = {0};
	const char *p;
	while ((p = strstr(sql, "{run}"))) {
		strbuf_add(&sb, sql, (size_t)(p - sql));
		strbuf_addstr(&sb, run_id);
		sql = p + 5;
	}
	strbuf_addstr(&sb, sql);
	return strbuf_detach(&sb);
}

/* Runs SQLITE_SQL (PG_SQL on PostgreSQL, NULL: the same) on the record
 * with the guard triggers off (fixture_guards_off), as someone with write
 * access to the database could. */
static void tamper2(struct scene *sc, const char *sqlite_sql, const char *pg_sql)
{
	struct db *db = fixture_sql_open(sc->path);
	fixture_guards_off(db);
	char *text = with_run(fixture_sql_pg(db) && pg_sql ? pg_sql : sqlite_sql, sc->run.id);
	CHECK(fixture_sql(db, text, NULL) == DB_OK);
	CHECK(db_changes(db) > 0);
	free(text);
	fixture_sql_close(db);
}

static void tamper(struct scene *sc, const char *sql)
{
	tamper2(sc, sql, NULL);
}

/* Verifies and expects a failure at BAD_SEQ of CHAIN whose message holds WHY. */
static void expect_fail(struct scene *sc, const char *run_id, const char *anchor, const char *chain,
	int64_t bad_seq, const char *why, int line)
{
	struct store_verify_result r;
	enum store_status s = store_verify(sc->st, run_id, anchor, &r);
	bool good = s == STORE_OK && !r.ok && r.bad_seq == bad_seq && r.why && strstr(r.why, why) &&
		((!chain && !r.chain) || (chain && r.chain && strcmp(chain, r.chain) == 0));
	if (good) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "%s:%d: verify: status %d ok %d chain %s bad_seq %lld why \"%s\"\n"
			"  want: chain %s bad_seq %lld why containing \"%s\"\n", __FILE__, line, (int)s, (int)r.ok,
			r.chain ? r.chain : "(null)", (long long)r.bad_seq, r.why ? r.why : "(null)",
			chain ? chain : "(null)", (long long)bad_seq, why);
	}
	store_verify_result_clear(&r);
}

static void expect_ok(struct scene *sc, const char *run_id, const char *anchor, int64_t events, int line)
{
	struct store_verify_result r;
	enum store_status s = store_verify(sc->st, run_id, anchor, &r);
	if (s == STORE_OK && r.ok && r.events == events && !r.why) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "%s:%d: verify: status %d ok %d events %lld why \"%s\", want ok with %lld events\n",
			__FILE__, line, (int)s, (int)r.ok, (long long)r.events, r.why ? r.why : "(null)",
			(long long)events);
	}
	store_verify_result_clear(&r);
}

static void test_untouched(const char *tmp)
{
	struct scene sc;
	scene_open(&sc, tmp, "untouched");
	expect_ok(&sc, sc.run.id, NULL, N_EVENTS, __LINE__);
	/* Everything: the engineers chain, the registry chain (opened, the
	 * run registered and ended) and the run. */
	expect_ok(&sc, NULL, NULL, 2 + 3 + N_EVENTS, __LINE__);
	expect_ok(&sc, sc.run.id, sc.hash[N_EVENTS], N_EVENTS, __LINE__);
	expect_ok(&sc, sc.run.id, sc.hash[5], N_EVENTS, __LINE__);
	expect_ok(&sc, EVENT_CHAIN_ENGINEERS, NULL, 2, __LINE__);
	struct store_verify_result r;
	CHECK(store_verify(sc.st, sc.run.id, NULL, &r) == STORE_OK);
	CHECK_STR(r.head, sc.hash[N_EVENTS]);
	store_verify_result_clear(&r);
	CHECK(store_verify(sc.st, "nosuchrun0", NULL, &r) == STORE_NOT_FOUND);
	CHECK(!r.ok);
	store_verify_result_clear(&r);
	expect_fail(&sc, sc.run.id, "not-a-hash", sc.run.id, 0, "is not a SHA-256 hash", __LINE__);

	/* Another run's head is no anchor for this one. */
	struct store_run_row other;
	vscene_signed_run(sc.st, sc.alice, &other, "other");
	struct event *evs = NULL;
	size_t n = 0;
	store_load_events(sc.st, other.id, 0, &evs, &n);
	expect_fail(&sc, sc.run.id, evs[0].hash, sc.run.id, 0, "is not in the chain", __LINE__);
	expect_ok(&sc, NULL, evs[0].hash, 2 + 4 + N_EVENTS + 1, __LINE__);
	event_array_free(evs, n);
	store_run_row_clear(&other);
	scene_close(&sc);
}

static void test_changed_payload(const char *tmp)
{
	struct scene sc;
	scene_open(&sc, tmp, "payload");
	tamper(&sc, "UPDATE events SET payload = '{\"meaning\":\"reject\",\"digest\":\"d1\"}' "
		"WHERE chain = '{run}' AND seq = 6");
	expect_fail(&sc, sc.run.id, NULL, sc.run.id, 6,
		"event 6 (signed by alice): hash does not match its contents (the record was altered)", __LINE__);
	expect_fail(&sc, NULL, NULL, sc.run.id, 6, "hash does not match", __LINE__);
	scene_close(&sc);
}

static void test_changed_actor(const char *tmp)
{
	struct scene sc;
	scene_open(&sc, tmp, "actor");
	tamper(&sc, "UPDATE events SET actor = 'carol' WHERE chain = '{run}' AND seq = 8");
	expect_fail(&sc, sc.run.id, NULL, sc.run.id, 8, "event 8 (signed by carol): hash does not match", __LINE__);
	scene_close(&sc);
}

static void test_deleted_middle(const char *tmp)
{
	struct scene sc;
	scene_open(&sc, tmp, "deleted");
	tamper(&sc, "DELETE FROM events WHERE chain = '{run}' AND seq = 5");
	expect_fail(&sc, sc.run.id, NULL, sc.run.id, 5, "event 5 is missing (events jump from 4 to 6)", __LINE__);
	/* The run still loads, gap and all, so that it can be shown and reported on. */
	struct event *evs = NULL;
	size_t n = 0;
	CHECK(store_load_events(sc.st, sc.run.id, 0, &evs, &n) == STORE_OK && n == N_EVENTS - 1);
	event_array_free(evs, n);
	scene_close(&sc);

	scene_open(&sc, tmp, "deleted-first");
	tamper(&sc, "DELETE FROM events WHERE chain = '{run}' AND seq IN (1, 2)");
	expect_fail(&sc, sc.run.id, NULL, sc.run.id, 1, "event 1 is missing (the chain starts at event 3)", __LINE__);
	scene_close(&sc);

	scene_open(&sc, tmp, "deleted-all");
	tamper(&sc, "DELETE FROM events WHERE chain = '{run}'");
	expect_fail(&sc, sc.run.id, NULL, sc.run.id, 1, "event 1 is missing", __LINE__);
	scene_close(&sc);
}

/* Renumbering the rest after a deletion keeps seq gap-free; the links break. */
static void test_deleted_renumbered(const char *tmp)
{
	struct scene sc;
	scene_open(&sc, tmp, "renumbered");
	tamper(&sc, "DELETE FROM events WHERE chain = '{run}' AND seq = 5; "
		"UPDATE events SET seq = seq + 1000 WHERE chain = '{run}' AND seq > 5; "
		"UPDATE events SET seq = seq - 1001 WHERE chain = '{run}' AND seq > 1000");
	expect_fail(&sc, sc.run.id, NULL, sc.run.id, 5, "event 5 (signed by alice): hash does not match", __LINE__);
	scene_close(&sc);
}

static void test_swapped(const char *tmp)
{
	struct scene sc;
	scene_open(&sc, tmp, "swapped");
	tamper(&sc, "CREATE TEMP TABLE orig AS SELECT seq, payload, hash FROM events "
		"WHERE chain = '{run}' AND seq IN (3, 6); "
		"UPDATE events SET payload = (SELECT payload FROM orig WHERE orig.seq = 9 - events.seq), "
		"hash = (SELECT hash FROM orig WHERE orig.seq = 9 - events.seq) "
		"WHERE chain = '{run}' AND seq IN (3, 6)");
	expect_fail(&sc, sc.run.id, NULL, sc.run.id, 3, "event 3 (check_finished by alice): hash does not match",
		__LINE__);
	scene_close(&sc);
}

/* An altered event whose hash is recomputed still breaks the next link. */
static void test_rehashed(const char *tmp)
{
	struct scene sc;
	scene_open(&sc, tmp, "rehashed");
	struct event *evs = NULL;
	size_t n = 0;
	store_load_events(sc.st, sc.run.id, 4, &evs, &n);
	free(evs[0].payload);
	evs[0].payload = xstrdup("{\"verdict\":\"fail\"}");
	char hash[EVENT_HASH_HEX];
	event_compute_hash(&evs[0], hash);
	char *sql = xasprintf("UPDATE events SET payload = '{\"verdict\":\"fail\"}', hash = '%s' "
		"WHERE chain = '{run}' AND seq = 5", hash);
	tamper(&sc, sql);
	free(sql);
	event_array_free(evs, n);
	/* Its hash is right, but not the one alice signed. */
	expect_fail(&sc, sc.run.id, NULL, sc.run.id, 5, "event 5 (attested by alice): alice's signature does not "
		"verify (the event was forged or altered)", __LINE__);
	/* Unsigned, the next event's link is what breaks. */
	tamper(&sc, "UPDATE events SET sigs = '' WHERE chain = '{run}' AND seq = 5");
	expect_fail(&sc, sc.run.id, NULL, sc.run.id, 5, "event 5 (attested by alice): carries no signature by alice",
		__LINE__);
	scene_close(&sc);
}

static void test_evidence(const char *tmp)
{
	struct scene sc;
	scene_open(&sc, tmp, "evidence-bytes");
	char *sql = xasprintf("UPDATE evidence SET bytes = CAST('HTTP/1.1 500 Error\n' AS BLOB) "
		"WHERE sha256 = '%s'", sc.e_health);
	char *pg_sql = xasprintf("UPDATE evidence SET bytes = convert_to('HTTP/1.1 500 Error\n', 'UTF8') "
		"WHERE sha256 = '%s'", sc.e_health);
	tamper2(&sc, sql, pg_sql);
	free(pg_sql);
	free(sql);
	char *want = xasprintf("evidence %.12s... named by event 4 does not match its bytes", sc.e_health);
	expect_fail(&sc, sc.run.id, NULL, sc.run.id, 4, want, __LINE__);
	free(want);
	scene_close(&sc);

	scene_open(&sc, tmp, "evidence-gone");
	sql = xasprintf("DELETE FROM evidence WHERE sha256 = '%s'", sc.e_pods);
	tamper(&sc, sql);
	free(sql);
	want = xasprintf("evidence %.12s... named by event 7 is missing", sc.e_pods);
	expect_fail(&sc, sc.run.id, NULL, sc.run.id, 7, want, __LINE__);
	free(want);
	scene_close(&sc);
}

static void test_truncated(const char *tmp)
{
	struct scene sc;
	scene_open(&sc, tmp, "truncated");
	tamper(&sc, "DELETE FROM events WHERE chain = '{run}' AND seq > 7");
	/* The registry chain remembers how the run ended. */
	expect_fail(&sc, sc.run.id, NULL, sc.run.id, 0, "the registry chain says run", __LINE__);
	expect_fail(&sc, NULL, NULL, sc.run.id, 0, "ended at its event 10 (run_completed; registry event 3), but its "
		"chain has no such end: events were removed from its end", __LINE__);
	/* With that cut from the registry too (its last event), the derived run
	 * table, written with each append, remembers the end. */
	tamper(&sc, "DELETE FROM events WHERE chain = 'registry' AND kind = 'run_ended'");
	expect_fail(&sc, sc.run.id, NULL, sc.run.id, 0, "the derived run table disagrees with the chain of run", __LINE__);
	expect_fail(&sc, sc.run.id, NULL, sc.run.id, 0, "it says the run is completed, the chain that it is open",
		__LINE__);
	expect_fail(&sc, sc.run.id, NULL, sc.run.id, 0, "events were removed from the end of the chain, whose hashes "
		"are consistent up to its event 7", __LINE__);
	expect_fail(&sc, NULL, NULL, sc.run.id, 0, "the derived run table disagrees", __LINE__);
	/* A clean cut with the derived table made to match leaves a valid,
	 * shorter chain: only an anchor reveals it. */
	tamper(&sc, "UPDATE run_index SET state = 'open', ended_us = NULL, last_seq = 7, events = 7, "
		"head = (SELECT hash FROM events WHERE chain = '{run}' AND seq = 7), "
		"last_us = (SELECT time_us FROM events WHERE chain = '{run}' AND seq = 7) WHERE run = '{run}'");
	expect_ok(&sc, sc.run.id, NULL, 7, __LINE__);
	expect_ok(&sc, sc.run.id, sc.hash[7], 7, __LINE__);
	expect_fail(&sc, sc.run.id, sc.hash[N_EVENTS], sc.run.id, 0,
		"is not in the chain of run", __LINE__);
	expect_fail(&sc, sc.run.id, sc.hash[N_EVENTS], sc.run.id, 0,
		"the run was cut short or the anchor belongs to another run", __LINE__);
	scene_close(&sc);
}

static void test_run_row(const char *tmp)
{
	struct scene sc;
	scene_open(&sc, tmp, "run-row");
	tamper(&sc, "UPDATE runs SET started_us = started_us - 3600000000 WHERE id = '{run}'");
	expect_fail(&sc, sc.run.id, NULL, sc.run.id, 1, "does not start from the chain's genesis", __LINE__);
	scene_close(&sc);

	scene_open(&sc, tmp, "run-gone");
	tamper(&sc, "DELETE FROM runs WHERE id = '{run}'");
	expect_fail(&sc, NULL, NULL, sc.run.id, 0, "was registered (registry event 2) but its row is missing (the row "
		"was removed)", __LINE__);
	scene_close(&sc);
}

static void test_engineers_chain(const char *tmp)
{
	struct scene sc;
	scene_open(&sc, tmp, "engineers");
	tamper(&sc, "UPDATE events SET payload = '{\"full_name\":\"Mallory\"}' "
		"WHERE chain = 'engineers' AND seq = 2");
	/* One run is verified with the keys the engineers chain gives. */
	expect_fail(&sc, sc.run.id, NULL, EVENT_CHAIN_ENGINEERS, 2,
		"event 2 (engineer_added by system): hash does not match", __LINE__);
	expect_fail(&sc, NULL, NULL, EVENT_CHAIN_ENGINEERS, 2,
		"event 2 (engineer_added by system): hash does not match", __LINE__);
	scene_close(&sc);
}

/* A chain holding one seq twice (the events table rebuilt without its
 * primary key) is not handed out: the engine would fold that event twice. */
static void test_repeated_seq(const char *tmp)
{
	struct scene sc;
	scene_open(&sc, tmp, "repeated");
	tamper(&sc, "CREATE TABLE rebuilt AS SELECT * FROM events; DROP TABLE events; "
		"ALTER TABLE rebuilt RENAME TO events; "
		"INSERT INTO events SELECT * FROM events WHERE chain = '{run}' AND seq = 5");
	struct event *evs = NULL;
	size_t n = 0;
	CHECK(store_load_events(sc.st, sc.run.id, 0, &evs, &n) == STORE_FAILED && !evs && n == 0);
	CHECK(strstr(store_error(sc.st), "holds event 5 twice"));
	/* Events after it are still read as they are. */
	CHECK(store_load_events(sc.st, sc.run.id, 5, &evs, &n) == STORE_OK && n == N_EVENTS - 5);
	event_array_free(evs, n);
	scene_close(&sc);
}

/* The worked example of docs/record.md, so that the document and the code
 * cannot drift apart. */
static void test_documented_vectors(const char *tmp)
{
	static const char engineers_genesis[] = "9a80630f28e475c555fe4a72c8d4aabce9062e17ee3fe50fb2eeb5c2f520db84";
	struct scene sc;
	scene_open(&sc, tmp, "vectors");
	struct event *evs = NULL;
	size_t n = 0;
	CHECK(store_load_events(sc.st, EVENT_CHAIN_ENGINEERS, 0, &evs, &n) == STORE_OK && n == 2);
	if (n)
		CHECK_STR(evs[0].prev, engineers_genesis);
	event_array_free(evs, n);
	scene_close(&sc);

	struct event ev = {.seq = 1, .time_us = 1700000000000000, .actor = "system", .os_user = "ops",
		.host = "deploy-01", .tty = "/dev/pts/3", .kind = EV_ENGINEER_ADDED, .target = "alice",
		.payload = "{\"full_name\":\"Alice Smith\"}"};
	memcpy(ev.prev, engineers_genesis, sizeof(engineers_genesis));
	char hash[EVENT_HASH_HEX];
	CHECK(event_compute_hash(&ev, hash));
	CHECK_STR(hash, "ae820431ed1acd103644d827bfe440e333dc658e34351dc07d5a6681c4bc617b");

	char sha[65], nonce[65];
	memset(sha, 'a', 64);
	memset(nonce, '0', 64);
	sha[64] = nonce[64] = '\0';
	struct store_run_row run = {.id = "k3v9q2m7xd", .checklist_sha = sha, .started_us = 1700000000000000};
	memcpy(run.nonce, nonce, sizeof(nonce));
	store_run_genesis(&run, hash);
	CHECK_STR(hash, "12b8687c7e5d32221f01f1cb88a8cba3c5aeb630a71deaeaa2723d3fe6d18bfd");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char *tmp = fixture_tmpdir();
	test_untouched(tmp);
	test_changed_payload(tmp);
	test_changed_actor(tmp);
	test_deleted_middle(tmp);
	test_deleted_renumbered(tmp);
	test_repeated_seq(tmp);
	test_swapped(tmp);
	test_rehashed(tmp);
	test_evidence(tmp);
	test_truncated(tmp);
	test_run_row(tmp);
	test_engineers_chain(tmp);
	test_documented_vectors(tmp);
	fixture_rm_rf(tmp);
	return check_report();
}
