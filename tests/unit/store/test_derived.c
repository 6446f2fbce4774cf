/* Unit tests for the derived run table (schema version 3) and the reviewer's
 * reads: the migration fills it from a version 2 database, the trigger keeps
 * it with every append, a read-only connection reads a version 2 database
 * through views, verify catches an edited row, and the run filters and the
 * audit query select what they say. */
#include "fixture.h"

#include <time.h>

#include <sodium.h>

#include "countersign/pin.h"

static const int64_t minute = 60 * 1000000LL;
static const int64_t t0 = 1750000000000000LL; /* 2025-06-15 15:06:40 UTC: before any migration a test makes */

struct scene {
	char *path;
	struct store *st;
	struct store_run_row done, aborted, open, other; /* other: another checklist */
};

/* Registers NAME with a key, or when LEGACY as before keys (so that the
 * record can be made one of an older schema). */
static void add_engineer(struct scene *sc, const char *name, bool legacy)
{
	if (legacy)
		fixture_legacy_engineer(sc->st, sc->path, name, name, "pin-of-engineer", t0 - 60 * minute);
	else
		fixture_engineer_at(sc->st, name, name, "pin-of-engineer", false, t0 - 60 * minute);
}

/* Starts a run of checklist CL_ID at START by ACTOR. */
static void start_run(struct store *st, struct store_run_row *run, const char *cl_id, const char *title, int64_t start,
	const char *actor)
{
	char *text = xasprintf("{\"countersign\": 1, \"id\": \"%s\", \"title\": \"T\", \"sections\": []}", cl_id);
	char sha[EVENT_HASH_HEX];
	CHECK(store_put_checklist(st, text, strlen(text), sha) == STORE_OK);
	free(text);
	memset(run, 0, sizeof(*run));
	run->checklist_id = xstrdup(cl_id);
	run->checklist_sha = xstrdup(sha);
	run->title = xstrdup(title);
	run->path = xstrdup("x.json");
	run->started_us = start;
	char *payload = fixture_run_started_payload(run);
	struct event first = fixture_event(actor, EV_RUN_STARTED, "", payload);
	free(payload);
	first.time_us = start;
	fixture_sign(st, "run", &first, 1);
	if (store_create_run(st, run, &first) != STORE_OK) {
		fprintf(stderr, "store_create_run: %s\n", store_error(st));
		exit(1);
	}
	event_clear(&first);
}

/* Appends one event at AT; its hash goes to HASH when not NULL. */
static void add(struct store *st, const char *chain, const char *actor, const char *kind, const char *target,
	const char *payload, int64_t at, char *hash)
{
	struct event ev = fixture_event(actor, kind, target, payload);
	ev.time_us = at;
	fixture_sign(st, chain, &ev, 1);
	if (store_append(st, chain, &ev, 1, NULL, 0) != STORE_OK) {
		fprintf(stderr, "store_append: %s\n", store_error(st));
		exit(1);
	}
	if (hash)
		memcpy(hash, ev.hash, EVENT_HASH_HEX);
	event_clear(&ev);
}

/* Four runs: "done" (alice and bob, completed, then a notify_failed),
 * "aborted" (carol), "open" (alice), and "other" of another checklist
 * (bob, open). Each starts an hour after the one before. */
static void scene_open_as(struct scene *sc, const char *tmp, const char *name, bool legacy)
{
	memset(sc, 0, sizeof(*sc));
	sc->path = xasprintf("%s/%s.db", tmp, name);
	sc->st = fixture_open(sc->path);
	add_engineer(sc, "alice", legacy);
	add_engineer(sc, "bob", legacy);
	add_engineer(sc, "carol", legacy);
	struct store *st = sc->st;
	start_run(st, &sc->done, "noa", "done", t0, "alice");
	add(st, sc->done.id, "alice", EV_CHECK_FINISHED, "pre/ping", "{\"verdict\":\"pass\"}", t0 + minute, NULL);
	add(st, sc->done.id, "alice", EV_SIGNED, "pre", "{\"meaning\":\"approve\"}", t0 + 2 * minute, NULL);
	add(st, sc->done.id, "bob", EV_SIGNED, "pre", "{\"meaning\":\"approve\"}", t0 + 3 * minute, NULL);
	add(st, sc->done.id, "system", EV_RUN_COMPLETED, "", "{}", t0 + 4 * minute, NULL);
	add(st, sc->done.id, "system", EV_NOTIFY_FAILED, "", "{\"event\":\"run_completed\"}", t0 + 5 * minute, NULL);

	start_run(st, &sc->aborted, "noa", "aborted", t0 + 60 * minute, "carol");
	add(st, sc->aborted.id, "carol", EV_NOTE, "", "{\"text\":\"wrong window\"}", t0 + 61 * minute, NULL);
	add(st, sc->aborted.id, "carol", EV_RUN_ABORTED, "", "{\"reason\":\"wrong window\"}", t0 + 62 * minute, NULL);

	start_run(st, &sc->open, "noa", "open", t0 + 120 * minute, "alice");
	add(st, sc->open.id, "alice", EV_ATTESTED, "pre/backup", "{\"verdict\":\"pass\"}", t0 + 121 * minute, NULL);

	start_run(st, &sc->other, "tour", "other", t0 + 180 * minute, "bob");
	add(st, EVENT_CHAIN_ENGINEERS, "bob", EV_PIN_FAILED, "bob", "{\"command\":\"sign\",\"run\":\"x\"}",
		t0 + 181 * minute, NULL);
}

static void scene_open(struct scene *sc, const char *tmp, const char *name)
{
	scene_open_as(sc, tmp, name, false);
}

static void scene_close(struct scene *sc)
{
	store_close(sc->st);
	store_run_row_clear(&sc->done);
	store_run_row_clear(&sc->aborted);
	store_run_row_clear(&sc->open);
	store_run_row_clear(&sc->other);
	free(sc->path);
}

/* Runs SQL straight on the record, each "{run}" in it replaced by RUN. */
static void sql_on(const char *path, const char *sql, const char *run)
{
	struct strbuf sb = {0};
	const char *p;
	while ((p = strstr(sql, "{run}"))) {
		strbuf_add(&sb, sql, (size_t)(p - sql));
		strbuf_addstr(&sb, run ? run : "");
		sql = p + 5;
	}
	strbuf_addstr(&sb, sql);
	struct db *db = fixture_sql_open(path);
	CHECK(fixture_sql(db, sb.data, NULL) == DB_OK);
	strbuf_release(&sb);
	fixture_sql_close(db);
}

static const struct store_run_row *find(const struct store_run_row *rows, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].id, id) == 0)
			return &rows[i];
	return NULL;
}

/* The listing says what the chains say: state, end, count, head, last time. */
static void expect_derived(struct store *st, const struct scene *sc, int line)
{
	struct store_run_row *rows = NULL;
	size_t n = 0;
	int failed = check_failed;
	CHECK(store_list_runs(st, &rows, &n) == STORE_OK);
	CHECK(n == 4);
	const struct store_run_row *order[] = {&sc->other, &sc->open, &sc->aborted, &sc->done};
	for (size_t i = 0; i < n && i < 4; i++)
		CHECK_STR(rows[i].id, order[i]->id);
	const struct { const struct store_run_row *run; const char *state, *ended; int64_t ended_us, events, last_us; } want[] = {
		{&sc->done, "completed", EV_RUN_COMPLETED, t0 + 4 * minute, 6, t0 + 5 * minute},
		{&sc->aborted, "aborted", EV_RUN_ABORTED, t0 + 62 * minute, 3, t0 + 62 * minute},
		{&sc->open, "open", NULL, 0, 2, t0 + 121 * minute},
		{&sc->other, "open", NULL, 0, 1, t0 + 180 * minute},
	};
	for (size_t i = 0; i < 4; i++) {
		const struct store_run_row *r = find(rows, n, want[i].run->id);
		CHECK(r != NULL);
		if (!r)
			continue;
		CHECK_STR(r->state, want[i].state);
		CHECK(want[i].ended ? r->ended && strcmp(r->ended, want[i].ended) == 0 : r->ended == NULL);
		CHECK(r->ended_us == want[i].ended_us);
		CHECK(r->events == want[i].events);
		CHECK(r->last_us == want[i].last_us);
		struct event *evs = NULL;
		size_t ne = 0;
		CHECK(store_load_events(st, r->id, 0, &evs, &ne) == STORE_OK);
		CHECK(ne > 0 && strcmp(r->head, evs[ne - 1].hash) == 0);
		event_array_free(evs, ne);
		struct store_run_row one;
		CHECK(store_get_run(st, r->id, &one) == STORE_OK);
		CHECK_STR(one.state, want[i].state);
		CHECK(one.events == want[i].events && strcmp(one.head, r->head) == 0);
		store_run_row_clear(&one);
	}
	store_run_row_array_free(rows, n);
	if (check_failed != failed)
		fprintf(stderr, "  (from line %d)\n", line);
}

static void expect_verified(struct store *st, const char *run, bool ok, const char *why, int line)
{
	struct store_verify_result r;
	enum store_status s = store_verify(st, run, NULL, &r);
	/* WHY is what a failure says, or the note an older record's verdict
	 * carries. */
	bool good = s == STORE_OK && r.ok == ok && (ok && !why ? !r.why : r.why && strstr(r.why, why) != NULL);
	CHECK(good);
	if (!good)
		fprintf(stderr, "  line %d: verify %s: status %d ok %d why %s\n", line, run ? run : "(all)", (int)s,
			(int)r.ok, r.why ? r.why : "(null)");
	store_verify_result_clear(&r);
}

static void test_trigger(const char *tmp)
{
	struct scene sc;
	scene_open(&sc, tmp, "trigger");
	expect_derived(sc.st, &sc, __LINE__);
	expect_verified(sc.st, NULL, true, NULL, __LINE__);
	struct db *db = fixture_sql_open(sc.path);
	/* Who recorded in which run, each once; the engineers chain is no run. */
	CHECK(fixture_sql_int(db, "SELECT count(*) FROM run_actors") == 6);
	CHECK(fixture_sql_int(db, "SELECT count(*) FROM run_index WHERE run = 'engineers'") == 0);
	/* A failed append (an unknown run) leaves no derived row behind. */
	struct event ev = fixture_event("alice", EV_NOTE, "", "{}");
	CHECK(store_append(sc.st, "nosuchrun0", &ev, 1, NULL, 0) == STORE_NOT_FOUND);
	event_clear(&ev);
	CHECK(fixture_sql_int(db, "SELECT count(*) FROM run_index") == 4);
	fixture_sql_close(db);
	scene_close(&sc);
}

/* Turns the file into what schema version 2 left: no derived table
 * (SQLite only: see fixture_make_version_3). */
static void make_version_2(const char *path)
{
	CHECK(fixture_make_version_3(path));
	sql_on(path, "DROP TRIGGER run_index_append; DROP TABLE run_index; DROP TABLE run_actors; "
		"DROP INDEX runs_by_checklist; PRAGMA user_version = 2", NULL);
}

static void test_migration(const char *tmp)
{
	if (fixture_skip_sqlite_file("migrating records of schema versions 1 and 2 (PostgreSQL records start at 5)"))
		return;
	struct scene sc;
	scene_open_as(&sc, tmp, "migrate", true);
	store_close(sc.st);
	make_version_2(sc.path);

	/* Read-only, a version 2 database is read through views. */
	char *err = NULL;
	sc.st = store_open_mode(fixture_location(sc.path), STORE_READ_ONLY, &err);
	CHECK(sc.st != NULL);
	if (!sc.st) {
		fprintf(stderr, "read-only open of a version 2 database: %s\n", err);
		free(err);
		exit(1);
	}
	expect_derived(sc.st, &sc, __LINE__);
	expect_verified(sc.st, NULL, true, "the record predates signatures", __LINE__);
	struct store_run_row *rows = NULL;
	size_t n = 0;
	struct store_run_filter by_bob = {.engineer = "bob"};
	CHECK(store_list_runs_filtered(sc.st, &by_bob, &rows, &n) == STORE_OK);
	CHECK(n == 2);
	store_run_row_array_free(rows, n);
	store_close(sc.st);
	struct db *db = fixture_sql_open(sc.path);
	CHECK(fixture_sql_int(db, "PRAGMA user_version") == 2);
	CHECK(fixture_sql_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'run_index'") == 0);
	fixture_sql_close(db);

	/* A connection that writes migrates it: the table is filled from the
	 * events, and the trigger keeps it from then on. */
	sc.st = fixture_open(sc.path);
	db = fixture_sql_open(sc.path);
	CHECK(fixture_sql_int(db, "PRAGMA user_version") == store_schema_version());
	CHECK(fixture_sql_int(db, "SELECT count(*) FROM run_actors") == 6);
	fixture_sql_close(db);
	expect_derived(sc.st, &sc, __LINE__);
	expect_verified(sc.st, NULL, true, NULL, __LINE__);
	/* bob enrols a key (his PIN entered again), then signs from now on. */
	fixture_enrol(sc.st, "bob", "pin-of-engineer");
	struct event abort_ev = fixture_event("bob", EV_RUN_ABORTED, "", "{\"reason\":\"r\"}");
	fixture_sign(sc.st, sc.open.id, &abort_ev, 1);
	CHECK(abort_ev.signers[0] != NULL);
	CHECK(store_append(sc.st, sc.open.id, &abort_ev, 1, NULL, 0) == STORE_OK);
	struct store_run_row r;
	CHECK(store_get_run(sc.st, sc.open.id, &r) == STORE_OK);
	CHECK_STR(r.state, "aborted");
	CHECK(r.events == 3 && r.ended_us == abort_ev.time_us);
	event_clear(&abort_ev);
	store_run_row_clear(&r);
	expect_verified(sc.st, NULL, true, NULL, __LINE__);
	scene_close(&sc);

	/* Version 1 (no pin_attempts either) is still refused read-only, with
	 * what to do. */
	scene_open_as(&sc, tmp, "version1", true);
	store_close(sc.st);
	make_version_2(sc.path);
	sql_on(sc.path, "DROP TABLE pin_attempts; PRAGMA user_version = 1", NULL);
	err = NULL;
	CHECK(store_open_mode(sc.path, STORE_READ_ONLY, &err) == NULL);
	CHECK(err && strstr(err, "any command that records"));
	free(err);
	sc.st = fixture_open(sc.path);
	expect_derived(sc.st, &sc, __LINE__);
	scene_close(&sc);
}

static void test_verify_edits(const char *tmp)
{
	static const struct { const char *sql, *why; } edits[] = {
		{"UPDATE run_index SET state = 'completed', ended_us = 1 WHERE run = '{run}'", "it says the run is completed, "
			"the chain that it is aborted"},
		{"UPDATE run_index SET ended_us = ended_us + 1 WHERE run = '{run}'", "it says the run ended at"},
		{"UPDATE run_index SET events = 2 WHERE run = '{run}'", "it counts 2 events (the last 3), the chain has 3"},
		{"UPDATE run_index SET head = 'ab' || substr(head, 3) WHERE run = '{run}'", "its head is ab"},
		{"UPDATE run_index SET last_us = 5 WHERE run = '{run}'", "it says the last event was at 5 us"},
		{"DELETE FROM run_index WHERE run = '{run}'", "it has no row for the run"},
		{"INSERT INTO run_actors VALUES ('mallory', '{run}')", "it names mallory among those who recorded in it"},
		{"DELETE FROM run_actors WHERE run = '{run}'", "it names 0 engineers who recorded in it, the chain 1"},
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		struct scene sc;
		char *name = xasprintf("edit%zu", i);
		scene_open(&sc, tmp, name);
		free(name);
		sql_on(sc.path, edits[i].sql, sc.aborted.id);
		expect_verified(sc.st, sc.aborted.id, false, "the derived run table disagrees with the chain of run", __LINE__);
		expect_verified(sc.st, sc.aborted.id, false, edits[i].why, __LINE__);
		expect_verified(sc.st, NULL, false, edits[i].why, __LINE__);
		expect_verified(sc.st, sc.done.id, true, NULL, __LINE__);
		scene_close(&sc);
	}
	struct scene sc;
	scene_open(&sc, tmp, "edit-orphan");
	sql_on(sc.path, "INSERT INTO run_index VALUES ('ghost00000', 'open', NULL, 1, 'x', 1, 1)", NULL);
	expect_verified(sc.st, NULL, false, "names run ghost00000, which does not exist", __LINE__);
	scene_close(&sc);
}

static size_t count_runs(struct store *st, struct store_run_filter f, const char *first)
{
	struct store_run_row *rows = NULL;
	size_t n = 0;
	if (store_list_runs_filtered(st, &f, &rows, &n) != STORE_OK) {
		fprintf(stderr, "store_list_runs_filtered: %s\n", store_error(st));
		return (size_t)-1;
	}
	if (first)
		CHECK(n > 0 && strcmp(rows[0].id, first) == 0);
	store_run_row_array_free(rows, n);
	return n;
}

static void test_run_filters(const char *tmp)
{
	struct scene sc;
	scene_open(&sc, tmp, "filters");
	struct store *st = sc.st;
	CHECK(count_runs(st, (struct store_run_filter){0}, sc.other.id) == 4);
	CHECK(count_runs(st, (struct store_run_filter){.checklist = "noa"}, sc.open.id) == 3);
	CHECK(count_runs(st, (struct store_run_filter){.checklist = "tour"}, sc.other.id) == 1);
	CHECK(count_runs(st, (struct store_run_filter){.checklist = "nosuch"}, NULL) == 0);
	CHECK(count_runs(st, (struct store_run_filter){.state = "open"}, sc.other.id) == 2);
	CHECK(count_runs(st, (struct store_run_filter){.state = "completed"}, sc.done.id) == 1);
	CHECK(count_runs(st, (struct store_run_filter){.state = "aborted"}, sc.aborted.id) == 1);
	CHECK(count_runs(st, (struct store_run_filter){.engineer = "alice"}, sc.open.id) == 2);
	CHECK(count_runs(st, (struct store_run_filter){.engineer = "bob"}, sc.other.id) == 2);
	CHECK(count_runs(st, (struct store_run_filter){.engineer = "carol"}, sc.aborted.id) == 1);
	CHECK(count_runs(st, (struct store_run_filter){.engineer = "nobody"}, NULL) == 0);
	CHECK(count_runs(st, (struct store_run_filter){.since_us = t0 + 60 * minute}, sc.other.id) == 3);
	CHECK(count_runs(st, (struct store_run_filter){.until_us = t0 + 60 * minute}, sc.done.id) == 1);
	CHECK(count_runs(st, (struct store_run_filter){.since_us = t0 + 60 * minute, .until_us = t0 + 180 * minute},
		sc.open.id) == 2);
	CHECK(count_runs(st, (struct store_run_filter){.checklist = "noa", .state = "open", .engineer = "alice"},
		sc.open.id) == 1);
	CHECK(count_runs(st, (struct store_run_filter){.checklist = "noa", .engineer = "bob", .since_us = t0,
		.until_us = t0 + 1}, sc.done.id) == 1);
	CHECK(count_runs(st, (struct store_run_filter){.state = "completed", .engineer = "carol"}, NULL) == 0);
	struct store_run_filter bad = {.state = "finished"};
	struct store_run_row *rows = NULL;
	size_t n = 0;
	CHECK(store_list_runs_filtered(st, &bad, &rows, &n) == STORE_NOT_FOUND);
	CHECK(strstr(store_error(st), "no run state \"finished\""));
	CHECK(rows == NULL && n == 0);
	CHECK(store_list_runs_filtered(st, NULL, &rows, &n) == STORE_OK && n == 4);
	store_run_row_array_free(rows, n);
	scene_close(&sc);
}

/* Audits with F; checks the count and that entries are oldest first. */
static size_t audit_count(struct store *st, struct store_audit_filter f, const char *first_kind)
{
	struct store_audit_entry *e = NULL;
	size_t n = 0;
	if (store_audit(st, &f, &e, &n) != STORE_OK) {
		fprintf(stderr, "store_audit: %s\n", store_error(st));
		return (size_t)-1;
	}
	for (size_t i = 1; i < n; i++)
		CHECK(e[i - 1].ev.time_us <= e[i].ev.time_us);
	if (first_kind)
		CHECK(n > 0 && strcmp(e[0].ev.kind, first_kind) == 0);
	store_audit_entry_array_free(e, n);
	return n;
}

static void test_audit(const char *tmp)
{
	struct scene sc;
	scene_open(&sc, tmp, "audit");
	struct store *st = sc.st;
	/* 3 engineers_added + 6 + 3 + 2 + 1 run events + 1 pin_failed */
	CHECK(audit_count(st, (struct store_audit_filter){0}, EV_ENGINEER_ADDED) == 16);
	CHECK(audit_count(st, (struct store_audit_filter){.run = sc.done.id}, EV_RUN_STARTED) == 6);
	CHECK(audit_count(st, (struct store_audit_filter){.run = EVENT_CHAIN_ENGINEERS}, EV_ENGINEER_ADDED) == 4);
	/* bob: his registration (by system), two run events, his failed PIN */
	CHECK(audit_count(st, (struct store_audit_filter){.engineer = "bob"}, EV_ENGINEER_ADDED) == 4);
	CHECK(audit_count(st, (struct store_audit_filter){.engineer = "alice"}, EV_ENGINEER_ADDED) == 6);
	CHECK(audit_count(st, (struct store_audit_filter){.engineer = "system"}, EV_ENGINEER_ADDED) == 5);
	CHECK(audit_count(st, (struct store_audit_filter){.kind = EV_SIGNED}, EV_SIGNED) == 2);
	CHECK(audit_count(st, (struct store_audit_filter){.kind = EV_PIN_FAILED}, EV_PIN_FAILED) == 1);
	CHECK(audit_count(st, (struct store_audit_filter){.since_us = t0 + 60 * minute}, EV_RUN_STARTED) == 7);
	CHECK(audit_count(st, (struct store_audit_filter){.until_us = t0}, EV_ENGINEER_ADDED) == 3);
	CHECK(audit_count(st, (struct store_audit_filter){.since_us = t0 + minute, .until_us = t0 + 4 * minute},
		EV_CHECK_FINISHED) == 3);
	CHECK(audit_count(st, (struct store_audit_filter){.run = sc.done.id, .engineer = "bob", .kind = EV_SIGNED},
		EV_SIGNED) == 1);
	CHECK(audit_count(st, (struct store_audit_filter){.engineer = "alice", .kind = EV_SIGNED, .since_us = t0,
		.until_us = t0 + 2 * minute + 1}, EV_SIGNED) == 1);
	CHECK(audit_count(st, (struct store_audit_filter){.run = sc.aborted.id, .engineer = "alice"}, NULL) == 0);
	struct store_audit_filter f = {.run = "nosuchrun0"};
	struct store_audit_entry *e = NULL;
	size_t n = 0;
	CHECK(store_audit(st, &f, &e, &n) == STORE_NOT_FOUND);
	CHECK(strstr(store_error(st), "no run nosuchrun0"));
	/* Every field comes back, with the chain it belongs to. */
	f = (struct store_audit_filter){.kind = EV_RUN_ABORTED};
	CHECK(store_audit(st, &f, &e, &n) == STORE_OK && n == 1);
	if (n == 1) {
		CHECK_STR(e[0].chain, sc.aborted.id);
		CHECK(e[0].ev.seq == 3 && e[0].ev.time_us == t0 + 62 * minute);
		CHECK_STR(e[0].ev.actor, "carol");
		CHECK_STR(e[0].ev.os_user, "ops");
		CHECK_STR(e[0].ev.tty, "/dev/pts/3");
		CHECK_STR(e[0].ev.payload, "{\"reason\":\"wrong window\"}");
		struct store_run_row r;
		CHECK(store_get_run(st, sc.aborted.id, &r) == STORE_OK);
		CHECK_STR(e[0].ev.hash, r.head);
		store_run_row_clear(&r);
	}
	store_audit_entry_array_free(e, n);
	store_audit_entry_array_free(NULL, 0);
	scene_close(&sc);
}

/* The failure that brings an engineer to the lockout is followed by
 * pin_locked, in the same transaction; the ones before it are not. */
static void test_pin_locked(const char *tmp)
{
	struct scene sc;
	scene_open(&sc, tmp, "pinlock");
	struct store *st = sc.st;
	int64_t now = (int64_t)time(NULL) * 1000000, since = now - PIN_WINDOW_US;
	for (int i = 0; i < PIN_MAX_FAILURES; i++) {
		int count = -1;
		int64_t oldest = 0, ticket = 0;
		CHECK(store_pin_reserve(st, "carol", since, PIN_MAX_FAILURES, &count, &oldest, &ticket) == STORE_OK);
		CHECK(count == i);
		char *payload = xasprintf("{\"command\":\"sign\",\"run\":\"%s\"}", sc.open.id);
		struct event ev = fixture_event("carol", EV_PIN_FAILED, "carol", payload);
		free(payload);
		bool locked = true;
		CHECK(store_pin_settle(st, ticket, &ev, since, PIN_WINDOW_US, PIN_MAX_FAILURES, &locked) == STORE_OK);
		CHECK(locked == (i == PIN_MAX_FAILURES - 1));
		event_clear(&ev);
	}
	int count = 0;
	int64_t oldest = 0, ticket = 0;
	CHECK(store_pin_reserve(st, "carol", since, PIN_MAX_FAILURES, &count, &oldest, &ticket) == STORE_REFUSED);
	struct store_audit_entry *e = NULL;
	size_t n = 0;
	struct store_audit_filter f = {.kind = EV_PIN_LOCKED};
	CHECK(store_audit(st, &f, &e, &n) == STORE_OK && n == 1);
	if (n == 1) {
		CHECK_STR(e[0].chain, EVENT_CHAIN_ENGINEERS);
		CHECK_STR(e[0].ev.target, "carol");
		CHECK_STR(e[0].ev.actor, "carol");
		char *want = xasprintf("{\"until_us\":%lld,\"failures\":%d,\"run\":\"%s\"}",
			(long long)(oldest + PIN_WINDOW_US), PIN_MAX_FAILURES, sc.open.id);
		CHECK_STR(e[0].ev.payload, want);
		free(want);
	}
	store_audit_entry_array_free(e, n);
	/* The lock follows the fifth failure directly in the chain. */
	f = (struct store_audit_filter){.run = EVENT_CHAIN_ENGINEERS, .engineer = "carol"};
	CHECK(store_audit(st, &f, &e, &n) == STORE_OK);
	CHECK(n == 1 + PIN_MAX_FAILURES + 1);
	int64_t last_failed = 0, locked_seq = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(e[i].ev.kind, EV_PIN_FAILED) == 0 && e[i].ev.seq > last_failed)
			last_failed = e[i].ev.seq;
		if (strcmp(e[i].ev.kind, EV_PIN_LOCKED) == 0)
			locked_seq = e[i].ev.seq;
	}
	CHECK(last_failed > 0 && locked_seq == last_failed + 1);
	store_audit_entry_array_free(e, n);
	/* A settled success appends nothing. */
	CHECK(store_pin_reserve(st, "alice", since, PIN_MAX_FAILURES, &count, &oldest, &ticket) == STORE_OK);
	bool locked = true;
	CHECK(store_pin_settle(st, ticket, NULL, since, PIN_WINDOW_US, PIN_MAX_FAILURES, &locked) == STORE_OK);
	CHECK(!locked);
	expect_verified(st, NULL, true, NULL, __LINE__);
	scene_close(&sc);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char *tmp = fixture_tmpdir();
	test_trigger(tmp);
	test_migration(tmp);
	test_verify_edits(tmp);
	test_run_filters(tmp);
	test_audit(tmp);
	test_pin_locked(tmp);
	fixture_rm_rf(tmp);
	return check_report();
}
