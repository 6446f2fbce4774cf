/* Unit tests for the store: where the database lives, the modes it is created
 * with, migrations, checklist snapshots, engineers, runs, appending events
 * with evidence, and the append-only triggers. */
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

#include <sodium.h>

#include "countersign/clock.h"

static bool contains(const char *s, const char *part)
{
	return s && strstr(s, part) != NULL;
}

static void test_default_path(void)
{
	unsetenv("COUNTERSIGN_DB");
	unsetenv("XDG_DATA_HOME");
	setenv("HOME", "/home/ops", 1);
	char *p = store_default_path(NULL);
	CHECK_STR(p, "/home/ops/.local/share/countersign/countersign.db");
	free(p);
	setenv("XDG_DATA_HOME", "relative/ignored", 1);
	p = store_default_path("");
	CHECK_STR(p, "/home/ops/.local/share/countersign/countersign.db");
	free(p);
	setenv("XDG_DATA_HOME", "/data", 1);
	p = store_default_path(NULL);
	CHECK_STR(p, "/data/countersign/countersign.db");
	free(p);
	setenv("COUNTERSIGN_DB", "/srv/cs.db", 1);
	p = store_default_path(NULL);
	CHECK_STR(p, "/srv/cs.db");
	free(p);
	p = store_default_path("flag.db");
	CHECK_STR(p, "flag.db");
	free(p);
	unsetenv("COUNTERSIGN_DB");
	unsetenv("XDG_DATA_HOME");
}

static void test_open_modes(const char *tmp)
{
	if (fixture_skip_sqlite_file("the modes of a new SQLite file, its folders and its -wal file"))
		return;
	/* A permissive umask must not leak into the modes. */
	mode_t old = umask(0);
	char *dir = xasprintf("%s/a/b", tmp);
	char *path = xasprintf("%s/countersign.db", dir);
	struct store *st = fixture_open(path);
	umask(old);
	struct stat sb;
	CHECK(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 07777) == 0700);
	char *a = xasprintf("%s/a", tmp);
	CHECK(stat(a, &sb) == 0 && (sb.st_mode & 07777) == 0700);
	CHECK(stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 07777) == 0600);
	char sha[EVENT_HASH_HEX];
	CHECK(store_put_checklist(st, "{}", 2, sha) == STORE_OK);
	char *wal = xasprintf("%s-wal", path);
	CHECK(stat(wal, &sb) == 0 && (sb.st_mode & 07777) == 0600);
	struct db *db = fixture_sql_open(path);
	char *mode = fixture_sql_text(db, "PRAGMA journal_mode");
	CHECK_STR(mode, "wal");
	free(mode);
	fixture_sql_close(db);
	store_close(st);
	free(wal);
	free(a);
	free(path);
	free(dir);
}

static void test_open_errors(const char *tmp)
{
	char *file = xasprintf("%s/plain-file", tmp);
	FILE *f = fopen(file, "w");
	fputs("this is not a database, it is a text file long enough to have a header of sorts\n", f);
	fclose(f);

	char *under = xasprintf("%s/sub/cs.db", file);
	char *err = NULL;
	CHECK(store_open(under, &err) == NULL);
	CHECK(contains(err, "cannot create"));
	CHECK(contains(err, "is not a directory"));
	free(err);

	err = NULL;
	CHECK(store_open(file, &err) == NULL);
	CHECK(contains(err, file));
	CHECK(contains(err, "not a database"));
	free(err);

	err = NULL;
	CHECK(store_open(tmp, &err) == NULL);
	CHECK(contains(err, "cannot open"));
	CHECK(contains(err, "it is a folder, not a database file"));
	free(err);

	/* A FIFO would block opening it forever: refused at once, in every mode. */
	char *fifo = xasprintf("%s/fifo", tmp);
	CHECK(mkfifo(fifo, 0600) == 0);
	for (int mode = STORE_CREATE; mode <= STORE_READ_ONLY; mode++) {
		err = NULL;
		CHECK(store_open_mode(fifo, (enum store_mode)mode, &err) == NULL);
		CHECK(contains(err, "it is a FIFO, not a database file"));
		free(err);
	}
	unlink(fifo);
	free(fifo);

	if (geteuid() != 0) {
		/* Root passes permission checks, so this only means something otherwise. */
		char *locked = xasprintf("%s/locked", tmp);
		mkdir(locked, 0500);
		char *inside = xasprintf("%s/x/cs.db", locked);
		err = NULL;
		CHECK(store_open(inside, &err) == NULL);
		char *want = xasprintf("cannot create %s/x: %s", locked, strerror(EACCES));
		CHECK_STR(err, want);
		free(want);
		free(err);
		free(inside);
		chmod(locked, 0700);
		free(locked);
	}
	free(under);
	free(file);
}

/* The query of DB's schema version. */
static const char *version_sql(struct db *db)
{
	return fixture_sql_pg(db) ? "SELECT value FROM meta WHERE name = 'schema_version'" : "PRAGMA user_version";
}

/* The query of how many objects (tables, indexes, triggers...) DB's schema holds. */
static const char *objects_sql(struct db *db)
{
	return fixture_sql_pg(db) ? "SELECT (SELECT count(*) FROM pg_catalog.pg_class "
		"WHERE relnamespace = current_schema()::regnamespace) + (SELECT count(*) FROM pg_catalog.pg_trigger AS t "
		"JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid WHERE c.relnamespace = current_schema()::regnamespace "
		"AND NOT t.tgisinternal) + (SELECT count(*) FROM pg_catalog.pg_proc "
		"WHERE pronamespace = current_schema()::regnamespace)"
		: "SELECT count(*) FROM sqlite_schema";
}

static void test_migrations(const char *tmp)
{
	char *path = xasprintf("%s/migrate.db", tmp);
	struct store *st = fixture_open(path);
	CHECK(store_schema_version() >= 1);
	char sha[EVENT_HASH_HEX];
	CHECK(store_put_checklist(st, "{\"id\":1}", 8, sha) == STORE_OK);
	store_close(st);

	struct db *db = fixture_sql_open(path);
	CHECK(fixture_sql_int(db, version_sql(db)) == store_schema_version());
	long long objects = fixture_sql_int(db, objects_sql(db));
	CHECK(objects > 0);
	fixture_sql_close(db);

	/* Reopening applies nothing twice and keeps the data. */
	st = fixture_open(path);
	size_t len = 0;
	char *text = store_get_checklist(st, sha, &len);
	CHECK_STR(text, "{\"id\":1}");
	CHECK(len == 8);
	free(text);
	store_close(st);
	db = fixture_sql_open(path);
	CHECK(fixture_sql_int(db, version_sql(db)) == store_schema_version());
	CHECK(fixture_sql_int(db, objects_sql(db)) == objects);

	/* A database from a newer countersign is refused, and left as it is. */
	char *sql = xasprintf(fixture_sql_pg(db) ? "UPDATE meta SET value = %d WHERE name = 'schema_version'"
		: "PRAGMA user_version = %d", store_schema_version() + 1);
	CHECK(fixture_sql(db, sql, NULL) == DB_OK);
	free(sql);
	fixture_sql_close(db);
	char *err = NULL;
	CHECK(store_open(fixture_location(path), &err) == NULL);
	CHECK(contains(err, "newer"));
	CHECK(contains(err, fixture_location(path)));
	free(err);
	db = fixture_sql_open(path);
	CHECK(fixture_sql_int(db, version_sql(db)) == store_schema_version() + 1);
	fixture_sql_close(db);
	free(path);
}

static void test_checklists(struct store *st, const char *path)
{
	static const char text[] = "{\"countersign\": 1, \"id\": \"release\"}";
	char sha1[EVENT_HASH_HEX], sha2[EVENT_HASH_HEX], want[EVENT_HASH_HEX];
	event_sha256_hex(text, sizeof(text) - 1, want);
	CHECK(store_put_checklist(st, text, sizeof(text) - 1, sha1) == STORE_OK);
	CHECK(store_put_checklist(st, text, sizeof(text) - 1, sha2) == STORE_OK);
	CHECK_STR(sha1, want);
	CHECK_STR(sha2, want);
	struct db *db = fixture_sql_open(path);
	char *sql = xasprintf("SELECT count(*) FROM checklists WHERE sha256 = '%s'", want);
	CHECK(fixture_sql_int(db, sql) == 1);
	free(sql);
	fixture_sql_close(db);
	size_t len = 0;
	char *got = store_get_checklist(st, want, &len);
	CHECK_STR(got, text);
	CHECK(len == sizeof(text) - 1);
	free(got);
	CHECK(store_get_checklist(st, "0000000000000000000000000000000000000000000000000000000000000000", NULL) ==
		NULL);
}

/* An engineer to register: NAME with a key PIN derives (returned, for the
 * caller to destroy), its public half and parameters in *E. */
static struct sign_key *engineer_with_key(struct store_engineer *e, const char *name, const char *full_name,
	const char *pin)
{
	memset(e, 0, sizeof(*e));
	e->name = (char *)name;
	e->full_name = (char *)full_name;
	struct sign_key *k = fixture_key(pin, &e->key);
	snprintf(e->public_key, sizeof(e->public_key), "%s", sign_key_public(k));
	return k;
}

static void test_engineers(struct store *st)
{
	struct event origin = fixture_event("system", "", "", NULL);
	origin.time_us = 1700000000000000;
	struct store_engineer bob, alice, again;
	struct sign_key *kb = engineer_with_key(&bob, "bob", "Bob Brown", "bob-pin-1");
	struct sign_key *ka = engineer_with_key(&alice, "alice", "Alice \"Al\" Smith", "alice-pin-1");
	struct sign_key *kx = engineer_with_key(&again, "alice", "Another Alice", "alice-pin-2");
	/* Registering takes a key: the engineer_added event is signed by it. */
	CHECK(store_add_engineer(st, &bob, &origin, NULL) == STORE_FAILED);
	CHECK(store_add_engineer(st, &bob, &origin, ka) == STORE_FAILED);
	CHECK(store_add_engineer(st, &bob, &origin, kb) == STORE_OK);
	CHECK(store_add_engineer(st, &alice, &origin, ka) == STORE_OK);
	CHECK(store_add_engineer(st, &again, &origin, kx) == STORE_CONFLICT);
	CHECK(contains(store_error(st), "alice"));

	struct store_engineer got;
	CHECK(store_get_engineer(st, "alice", &got) == STORE_OK);
	CHECK_STR(got.full_name, "Alice \"Al\" Smith");
	CHECK_STR(got.pin_hash, "");
	CHECK_STR(got.public_key, sign_key_public(ka));
	CHECK_STR(got.key.salt, alice.key.salt);
	CHECK(got.key.ops == alice.key.ops && got.key.mem == alice.key.mem);
	CHECK(got.created_us == origin.time_us);
	store_engineer_clear(&got);
	CHECK(store_get_engineer(st, "carol", &got) == STORE_NOT_FOUND);
	store_engineer_clear(&got);

	struct store_engineer *list = NULL;
	size_t n = 0;
	CHECK(store_list_engineers(st, &list, &n) == STORE_OK);
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(list[0].name, "alice");
		CHECK_STR(list[1].name, "bob");
		CHECK_STR(list[1].public_key, sign_key_public(kb));
	}
	for (size_t i = 0; i < n; i++)
		store_engineer_clear(&list[i]);
	free(list);

	/* Every change is an event of the engineers chain. */
	struct event *evs = NULL;
	CHECK(store_load_events(st, EVENT_CHAIN_ENGINEERS, 0, &evs, &n) == STORE_OK);
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(evs[0].kind, EV_ENGINEER_ADDED);
		CHECK_STR(evs[0].target, "bob");
		CHECK_STR(evs[0].actor, "system");
		CHECK_STR(evs[0].host, "deploy-01");
		CHECK(evs[0].time_us == origin.time_us);
		/* The heads name the registry's last event by seq and hash. */
		struct event *reg = NULL;
		size_t n_reg = 0;
		CHECK(store_load_events(st, EVENT_CHAIN_REGISTRY, 0, &reg, &n_reg) == STORE_OK && n_reg == 1);
		char *want = xasprintf("{\"full_name\":\"Alice \\\"Al\\\" Smith\",\"key\":{\"public\":\"%s\","
			"\"salt\":\"%s\",\"ops\":%llu,\"mem\":%llu},\"heads\":{\"registry\":1,\"registry_head\":\"%s\","
			"\"runs\":{}}}", sign_key_public(ka), alice.key.salt, (unsigned long long)alice.key.ops,
			(unsigned long long)alice.key.mem, n_reg == 1 ? reg[0].hash : "");
		CHECK_STR(evs[1].payload, want);
		free(want);
		event_array_free(reg, n_reg);
		CHECK(evs[1].seq == 2);
		CHECK_STR(evs[1].prev, evs[0].hash);
		char genesis[EVENT_HASH_HEX];
		event_sha256_hex("countersign-engineers-v1", 24, genesis);
		CHECK_STR(evs[0].prev, genesis);
		/* Signed by the new engineer's own key, over the event's hash. */
		struct sign_entry *sigs = NULL;
		size_t n_sigs = 0;
		CHECK(sign_entries_parse(evs[1].sigs, &sigs, &n_sigs, NULL));
		CHECK(n_sigs == 1);
		if (n_sigs == 1) {
			CHECK_STR(sigs[0].by, "alice");
			CHECK_STR(sigs[0].key, sign_key_public(ka));
			CHECK(sign_verify(sigs[0].key, evs[1].hash, sigs[0].sig));
		}
		sign_entries_free(sigs, n_sigs);
	}
	event_array_free(evs, n);
	/* What alice and bob record from here on is signed with these keys. */
	fixture_keep_key("alice", ka);
	fixture_keep_key("bob", kb);
	sign_key_destroy(kx);
	event_clear(&origin);
}

static void test_pin_failures(struct store *st)
{
	const int64_t minute = 60 * 1000000LL, t = 1700000000000000LL;
	const int64_t times[] = {t - 20 * minute, t - 10 * minute, t - 5 * minute, t};
	for (size_t i = 0; i < 4; i++) {
		struct event ev = fixture_event("bob", EV_PIN_FAILED, "bob", "{\"command\":\"sign\"}");
		ev.time_us = times[i];
		CHECK(store_append(st, EVENT_CHAIN_ENGINEERS, &ev, 1, NULL, 0) == STORE_OK);
		event_clear(&ev);
	}
	struct event other = fixture_event("alice", EV_PIN_FAILED, "alice", "{\"command\":\"sign\"}");
	other.time_us = t;
	CHECK(store_append(st, EVENT_CHAIN_ENGINEERS, &other, 1, NULL, 0) == STORE_OK);
	event_clear(&other);

	int count = -1;
	int64_t oldest = -1;
	CHECK(store_count_pin_failures(st, "bob", t - 15 * minute, &count, &oldest) == STORE_OK);
	CHECK(count == 3);
	CHECK(oldest == t - 10 * minute);
	CHECK(store_count_pin_failures(st, "bob", t + 1, &count, NULL) == STORE_OK);
	CHECK(count == 0);
	CHECK(store_count_pin_failures(st, "alice", 0, &count, &oldest) == STORE_OK);
	CHECK(count == 1 && oldest == t);
	CHECK(store_count_pin_failures(st, "carol", 0, &count, &oldest) == STORE_OK);
	CHECK(count == 0);
}

static bool is_run_id(const char *id)
{
	if (!id || strlen(id) != 10)
		return false;
	for (const char *p = id; *p; p++)
		if (!strchr("0123456789abcdefghjkmnpqrstvwxyz", *p))
			return false;
	return true;
}

static void test_runs(struct store *st)
{
	struct store_run_row a, b;
	fixture_run(st, &a, "first");
	CHECK(is_run_id(a.id));
	CHECK(strlen(a.nonce) == 64 && strspn(a.nonce, "0123456789abcdef") == 64);
	CHECK(a.started_us > 0);
	fixture_run(st, &b, "second");
	CHECK(strcmp(a.id, b.id) != 0);
	CHECK(strcmp(a.nonce, b.nonce) != 0);

	struct store_run_row got;
	CHECK(store_get_run(st, a.id, &got) == STORE_OK);
	CHECK_STR(got.title, "first");
	CHECK_STR(got.checklist_id, "noa");
	CHECK_STR(got.checklist_sha, a.checklist_sha);
	CHECK_STR(got.path, "checklists/noa-server-deploy.json");
	CHECK_STR(got.nonce, a.nonce);
	CHECK(got.started_us == a.started_us);
	store_run_row_clear(&got);
	CHECK(store_get_run(st, "nosuchrun0", &got) == STORE_NOT_FOUND);
	store_run_row_clear(&got);

	struct store_run_row *runs = NULL;
	size_t n = 0;
	CHECK(store_list_runs(st, &runs, &n) == STORE_OK);
	CHECK(n >= 2);
	for (size_t i = 1; i < n; i++)
		CHECK(runs[i - 1].started_us >= runs[i].started_us);
	for (size_t i = 0; i < n; i++)
		store_run_row_clear(&runs[i]);
	free(runs);

	/* Event 1 hangs off the run's genesis. */
	struct event *evs = NULL;
	CHECK(store_load_events(st, a.id, 0, &evs, &n) == STORE_OK);
	CHECK(n == 1);
	if (n == 1) {
		char genesis[EVENT_HASH_HEX], hash[EVENT_HASH_HEX];
		store_run_genesis(&a, genesis);
		CHECK(evs[0].seq == 1);
		CHECK_STR(evs[0].kind, EV_RUN_STARTED);
		CHECK_STR(evs[0].prev, genesis);
		CHECK(event_compute_hash(&evs[0], hash));
		CHECK_STR(evs[0].hash, hash);
	}
	event_array_free(evs, n);

	/* A run needs its checklist snapshot. */
	struct store_run_row c = {.checklist_id = "x", .checklist_sha = "ffff", .title = "t", .path = "p"};
	struct event first = fixture_event("alice", EV_RUN_STARTED, "", "{}");
	CHECK(store_create_run(st, &c, &first) == STORE_NOT_FOUND);
	event_clear(&first);
	store_run_row_clear(&a);
	store_run_row_clear(&b);
}

static void test_append(struct store *st, const char *path)
{
	struct store_run_row run;
	fixture_run(st, &run, "append");
	static const char out1[] = "deploy ok\n", out2[] = "health: green\n";
	struct store_evidence ev_bytes[] = {
		{.bytes = out1, .len = sizeof(out1) - 1},
		{.bytes = out2, .len = sizeof(out2) - 1},
		{.bytes = out1, .len = sizeof(out1) - 1}, /* the same bytes twice: stored once */
		{.bytes = "", .len = 0},
	};
	char sha1[EVENT_HASH_HEX], sha2[EVENT_HASH_HEX], sha_empty[EVENT_HASH_HEX];
	event_sha256_hex(out1, sizeof(out1) - 1, sha1);
	event_sha256_hex(out2, sizeof(out2) - 1, sha2);
	event_sha256_hex("", 0, sha_empty);
	char *p1 = xasprintf("{\"verdict\":\"pass\",\"evidence\":\"%s\"}", sha1);
	char *p2 = xasprintf("{\"verdict\":\"pass\",\"evidence\":[\"%s\",\"%s\"]}", sha2, sha_empty);
	struct event evs[3] = {
		fixture_event("alice", EV_CHECK_FINISHED, "pre/ping", p1),
		fixture_event("alice", EV_CHECK_FINISHED, "pre/health", p2),
		fixture_event("bob", EV_RUN_COMPLETED, "", NULL),
	};
	evs[1].time_us = 42;
	fixture_sign(st, run.id, evs, 3);
	CHECK(store_append(st, run.id, evs, 3, ev_bytes, 4) == STORE_OK);
	CHECK_STR(ev_bytes[0].sha, sha1);
	CHECK_STR(ev_bytes[1].sha, sha2);
	CHECK(evs[0].seq == 2 && evs[1].seq == 3 && evs[2].seq == 4);
	CHECK(evs[0].time_us > 0);
	CHECK(evs[1].time_us == 42);
	CHECK_STR(evs[1].prev, evs[0].hash);
	CHECK_STR(evs[2].payload, "{}");

	struct event *loaded = NULL;
	size_t n = 0;
	CHECK(store_load_events(st, run.id, 2, &loaded, &n) == STORE_OK);
	CHECK(n == 2);
	if (n == 2) {
		CHECK(loaded[0].seq == 3);
		CHECK_STR(loaded[0].payload, p2);
		CHECK_STR(loaded[0].hash, evs[1].hash);
		CHECK_STR(loaded[0].tty, "/dev/pts/3");
		CHECK(loaded[0].time_us == 42);
		CHECK_STR(loaded[1].actor, "bob");
	}
	event_array_free(loaded, n);
	for (size_t i = 0; i < 3; i++)
		event_clear(&evs[i]);

	size_t len = 0;
	char *bytes = store_get_evidence(st, sha2, &len);
	CHECK(bytes && len == sizeof(out2) - 1 && memcmp(bytes, out2, len) == 0);
	free(bytes);
	bytes = store_get_evidence(st, sha_empty, &len);
	CHECK(bytes && len == 0);
	free(bytes);
	CHECK(store_get_evidence(st, "0123", &len) == NULL);
	struct db *db = fixture_sql_open(path);
	CHECK(fixture_sql_int(db, "SELECT count(*) FROM evidence") == 3);
	fixture_sql_close(db);

	/* Refused appends leave the chain as it was. */
	char *p3 = xasprintf("{\"evidence\":\"%s\"}", "ab54d286d8b4a4d2f1e5bf10bd6c4d6a0c4fa7eda6e2e3b5c3e6e3a1a0b0c0d0");
	struct event bad = fixture_event("alice", EV_CHECK_FINISHED, "pre/ping", p3);
	CHECK(store_append(st, run.id, &bad, 1, NULL, 0) == STORE_FAILED);
	CHECK(contains(store_error(st), "not stored"));
	event_clear(&bad);
	bad = fixture_event("alice", EV_NOTE, "", "[\"not an object\"]");
	CHECK(store_append(st, run.id, &bad, 1, NULL, 0) == STORE_FAILED);
	CHECK(contains(store_error(st), "not a JSON object"));
	event_clear(&bad);
	bad = fixture_event("alice", EV_NOTE, "", "{\"evidence\":42}");
	CHECK(store_append(st, run.id, &bad, 1, NULL, 0) == STORE_FAILED);
	event_clear(&bad);
	bad = fixture_event("alice", EV_NOTE, "", "{\"text\":\"hi\"}");
	CHECK(store_append(st, "nosuchrun0", &bad, 1, NULL, 0) == STORE_NOT_FOUND);
	event_clear(&bad);
	CHECK(store_load_events(st, "nosuchrun0", 0, &loaded, &n) == STORE_NOT_FOUND);
	CHECK(store_load_events(st, run.id, 0, &loaded, &n) == STORE_OK);
	CHECK(n == 4);
	event_array_free(loaded, n);

	struct store_verify_result vr;
	CHECK(store_verify(st, run.id, NULL, &vr) == STORE_OK);
	CHECK(vr.ok);
	CHECK(vr.events == 4);
	store_verify_result_clear(&vr);
	free(p1);
	free(p2);
	free(p3);
	store_run_row_clear(&run);
}

/* Whether A's data version moves from BEFORE: at once on SQLite (it has
 * no descriptor to wait on); on PostgreSQL, whose NOTIFY reaches A's
 * socket a moment after the other connection's commit, within 5 seconds. */
static bool data_version_moves(struct store *a, int64_t before)
{
	int64_t deadline = clock_mono_us() + 5000000;
	while (store_data_version(a) == before) {
		int fd = store_notify_fd(a);
		int64_t left_ms = (deadline - clock_mono_us()) / 1000;
		if (fd < 0 || left_ms <= 0)
			return false;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		poll(&p, 1, (int)left_ms);
	}
	return true;
}

static void test_data_version(const char *path)
{
	struct store *a = fixture_open(path), *b = fixture_open(path);
	int64_t before = store_data_version(a);
	CHECK(before >= 0);
	CHECK(fixture_append(b, EVENT_CHAIN_ENGINEERS, "bob", EV_PIN_FAILED, "bob", "{}", NULL) == STORE_OK);
	CHECK(data_version_moves(a, before));
	store_close(b);
	store_close(a);
}

static void expect_refused(struct db *db, const char *sql)
{
	char *msg = NULL;
	enum db_rc rc = fixture_sql(db, sql, &msg);
	CHECK(rc == DB_CONSTRAINT);
	if (!contains(msg, "append-only"))
		fprintf(stderr, "%s: %s\n", sql, msg);
	CHECK(contains(msg, "append-only"));
	free(msg);
}

static void test_triggers(const char *path)
{
	struct db *db = fixture_sql_open(path);
	long long events = fixture_sql_int(db, "SELECT count(*) FROM events");
	long long evidence = fixture_sql_int(db, "SELECT count(*) FROM evidence");
	CHECK(events > 0 && evidence > 0);
	expect_refused(db, "UPDATE events SET payload = '{\"verdict\":\"pass\"}' WHERE seq = 2");
	expect_refused(db, "DELETE FROM events WHERE seq = 2");
	expect_refused(db, "DELETE FROM events");
	expect_refused(db, fixture_sql_pg(db) ? "UPDATE evidence SET bytes = '\\x00'::bytea"
		: "UPDATE evidence SET bytes = x'00'");
	expect_refused(db, "DELETE FROM evidence");
	CHECK(fixture_sql_int(db, "SELECT count(*) FROM events") == events);
	CHECK(fixture_sql_int(db, "SELECT count(*) FROM evidence") == evidence);
	char *msg = NULL;
	CHECK(fixture_sql(db, "DELETE FROM engineers", &msg) == DB_CONSTRAINT);
	CHECK(contains(msg, "never reused"));
	free(msg);
	CHECK(fixture_sql(db, "UPDATE runs SET title = 'x'", &msg) == DB_CONSTRAINT);
	free(msg);
	fixture_sql_close(db);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char *tmp = fixture_tmpdir();
	test_default_path();
	test_open_modes(tmp);
	test_open_errors(tmp);
	test_migrations(tmp);

	char *path = xasprintf("%s/store.db", tmp);
	struct store *st = fixture_open(path);
	test_checklists(st, path);
	test_engineers(st);
	test_pin_failures(st);
	test_runs(st);
	test_append(st, path);
	store_close(st);
	test_data_version(path);
	test_triggers(path);
	free(path);
	fixture_rm_rf(tmp);
	return check_report();
}
