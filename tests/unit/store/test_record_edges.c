/* Unit tests for the record's edges: a file that is some other program's
 * SQLite database is neither migrated nor switched to write-ahead logging,
 * and read-only commands say what it is (but a record that another process
 * is creating at that moment is not taken for one); an empty one is named
 * as such; verify notices the derived run table's trigger dropped or
 * replaced, says when the table fell behind the chain (rather than the
 * chain being cut), and names a row for a run that does not exist. */
#include "fixture.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <sodium.h>

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct strbuf sb = {0};
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	*len = sb.len;
	return strbuf_detach(&sb);
}

static bool exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* A database of another program, in the default rollback journal mode. */
/* On PostgreSQL: a database holding another program's table is refused,
 * read-only or not, and gets no table of countersign's. */
static void test_foreign_pg(const char *tmp)
{
	char *path = xasprintf("%s/places", tmp);
	struct db *db = fixture_sql_open(path);
	CHECK(fixture_sql(db, "CREATE TABLE moz_places (id BIGINT PRIMARY KEY, url TEXT)", NULL) == DB_OK);
	char *err = NULL;
	CHECK(store_open(fixture_location(path), &err) == NULL);
	CHECK(err && strstr(err, "is not a countersign database but some other PostgreSQL"));
	free(err);
	err = NULL;
	CHECK(store_open_mode(fixture_location(path), STORE_READ_ONLY, &err) == NULL);
	/* read-only as well: not "an empty database" */
	CHECK(err && strstr(err, "is not a countersign database but some other PostgreSQL"));
	free(err);
	CHECK(fixture_sql_int(db, "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()") == 1);
	fixture_sql_close(db);
	free(path);
}

static void test_foreign(const char *tmp)
{
	if (fixture_skip_sqlite_file("another program's SQLite file is left byte for byte as it was")) {
		test_foreign_pg(tmp);
		return;
	}
	char *path = xasprintf("%s/places.sqlite", tmp);
	struct db *db = fixture_sql_open(path);
	CHECK(fixture_sql(db, "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT); "
		"INSERT INTO moz_places (url) VALUES ('https://example.org/')", NULL) == DB_OK);
	fixture_sql_close(db);
	size_t len0 = 0, len1 = 0;
	char *before = read_all(path, &len0);

	char *err = NULL;
	CHECK(store_open(path, &err) == NULL);
	CHECK(err && strstr(err, "is not a countersign database but some other SQLite database"));
	CHECK(err && strstr(err, "check --db or COUNTERSIGN_DB"));
	free(err);
	err = NULL;
	CHECK(store_open_mode(path, STORE_READ_ONLY, &err) == NULL);
	CHECK(err && strstr(err, "is not a countersign database"));
	CHECK(err && !strstr(err, "brings it up to date"));
	free(err);

	/* Byte for byte as it was: no tables added, still not in WAL mode. */
	char *after = read_all(path, &len1);
	CHECK(before && after && len0 == len1 && memcmp(before, after, len0) == 0);
	db = fixture_sql_open(path);
	CHECK(fixture_sql_int(db, "SELECT count(*) FROM sqlite_schema") == 1);
	fixture_sql_close(db);
	char *wal = xasprintf("%s-wal", path);
	CHECK(!exists(wal));
	free(wal);
	free(before);
	free(after);

	/* One whose table has a name countersign uses is left alone too. */
	char *path2 = xasprintf("%s/other.db", tmp);
	db = fixture_sql_open(path2);
	CHECK(fixture_sql(db, "CREATE TABLE events (id)", NULL) == DB_OK);
	fixture_sql_close(db);
	err = NULL;
	CHECK(store_open(path2, &err) == NULL);
	CHECK(err && strstr(err, "is not a countersign database"));
	free(err);
	db = fixture_sql_open(path2);
	char *mode = fixture_sql_text(db, "PRAGMA journal_mode");
	CHECK_STR(mode, "delete");
	free(mode);
	fixture_sql_close(db);
	free(path2);
	free(path);
}

/* An empty file: a read-only command says so; a command that records
 * starts the record in it. */
static void test_empty(const char *tmp)
{
	char *path = xasprintf("%s/empty.db", tmp);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	char *err = NULL;
	CHECK(store_open_mode(path, STORE_READ_ONLY, &err) == NULL);
	CHECK(err && strstr(err, "nothing has been recorded in it yet"));
	free(err);
	struct store *st = fixture_open(path);
	CHECK(st != NULL);
	store_close(st);
	err = NULL;
	st = store_open_mode(fixture_location(path), STORE_READ_ONLY, &err);
	CHECK(st != NULL);
	store_close(st);
	free(err);
	free(path);
}

/* Many processes creating one new database at once: the first to migrate
 * commits its tables while the others look at the file, and none of them
 * may take those tables for another program's (the version and the tables
 * are read in one snapshot). */
static void test_first_open_race(const char *tmp)
{
	enum { ROUNDS = 12, OPENERS = 6 };
	int refused = 0;
	for (int round = 0; round < ROUNDS; round++) {
		char *path = xasprintf("%s/race-%d/cs.db", tmp, round);
		(void)fixture_location(path); /* made before the fork: every process opens the same one */
		int gate[2];
		if (pipe(gate) != 0) {
			perror("pipe");
			exit(1);
		}
		fflush(NULL);
		pid_t pids[OPENERS];
		for (int w = 0; w < OPENERS; w++) {
			pids[w] = fork();
			if (pids[w] == 0) {
				close(gate[1]);
				char c;
				while (read(gate[0], &c, 1) > 0)
					;
				char *err = NULL;
				struct store *st = store_open(fixture_location(path), &err);
				if (!st)
					fprintf(stderr, "opener %d of round %d: %s\n", w, round, err ? err : "?");
				int status = st ? 0 : 1;
				store_close(st);
				free(err);
				free(path);  /* the parent's copy, for valgrind's leak check of this process */
				_exit(status);
			}
		}
		close(gate[0]);
		close(gate[1]);
		for (int w = 0; w < OPENERS; w++) {
			int status = 0;
			if (pids[w] <= 0 || waitpid(pids[w], &status, 0) != pids[w] || !WIFEXITED(status) ||
				WEXITSTATUS(status) != 0)
				refused++;
		}
		free(path);
	}
	CHECK(refused == 0);
}

/* A database with one run of three events, closed; its path is returned. */
/* A run by alice and bob; their keys, or when LEGACY, engineers as they
 * were registered before keys (so that the record can be made one of an
 * older schema). */
static char *small_record_as(const char *tmp, const char *name, char **run_id, bool legacy)
{
	char *path = xasprintf("%s/%s.db", tmp, name);
	struct store *st = fixture_open(path);
	static const char *const names[] = {"alice", "bob", "carol"};
	for (size_t i = 0; i < 3; i++) {
		if (legacy)
			fixture_legacy_engineer(st, path, names[i], names[i], "pin-of-engineer", 1700000000000000LL);
		else
			fixture_engineer(st, names[i], names[i], "pin-of-engineer", false);
	}
	struct store_run_row run;
	fixture_run(st, &run, "T");
	CHECK(fixture_append(st, run.id, "alice", EV_NOTE, "", "{\"text\":\"a\"}", NULL) == STORE_OK);
	CHECK(fixture_append(st, run.id, "bob", EV_NOTE, "", "{\"text\":\"b\"}", NULL) == STORE_OK);
	*run_id = xstrdup(run.id);
	store_run_row_clear(&run);
	store_close(st);
	return path;
}

static char *small_record(const char *tmp, const char *name, char **run_id)
{
	return small_record_as(tmp, name, run_id, false);
}

/* Runs SQLITE_SQL on the record of PATH, or PG_SQL when it is on
 * PostgreSQL (NULL: the same SQL). */
static void sql_on2(const char *path, const char *sqlite_sql, const char *pg_sql)
{
	struct db *db = fixture_sql_open(path);
	CHECK(fixture_sql2(db, sqlite_sql, pg_sql ? pg_sql : sqlite_sql, NULL) == DB_OK);
	fixture_sql_close(db);
}

static void sql_on(const char *path, const char *sql)
{
	sql_on2(path, sql, NULL);
}

/* Verifies RUN (NULL: everything) and checks the verdict and its words. */
static void expect_verify(const char *path, const char *run, bool ok, const char *why, const char *not_why,
	const char *chain, int line)
{
	char *err = NULL;
	struct store *st = store_open_mode(fixture_location(path), STORE_READ_ONLY, &err);
	CHECK(st != NULL);
	if (!st) {
		fprintf(stderr, "  line %d: %s\n", line, err ? err : "?");
		free(err);
		return;
	}
	struct store_verify_result r;
	enum store_status s = store_verify(st, run, NULL, &r);
	bool good = s == STORE_OK && r.ok == ok && (!why || (r.why && strstr(r.why, why))) &&
		(!not_why || !r.why || !strstr(r.why, not_why)) &&
		(!chain || (r.chain && strcmp(r.chain, chain) == 0));
	CHECK(good);
	if (!good)
		fprintf(stderr, "  line %d: verify %s: status %d ok %d chain %s why %s\n", line, run ? run : "(all)",
			(int)s, (int)r.ok, r.chain ? r.chain : "(null)", r.why ? r.why : "(null)");
	store_verify_result_clear(&r);
	store_close(st);
}

static void test_trigger(const char *tmp)
{
	char *run = NULL;
	char *path = small_record(tmp, "dropped", &run);
	expect_verify(path, run, true, NULL, NULL, NULL, __LINE__);
	/* Dropped: the table still agrees, but the next append would leave it
	 * behind, and a new run out of the listings. */
	sql_on2(path, "DROP TRIGGER run_index_append", "DROP TRIGGER run_index_append ON events");
	expect_verify(path, NULL, false, "its trigger run_index_append was dropped", NULL, NULL, __LINE__);
	expect_verify(path, run, false, "the chains verify, but the derived run table", NULL, NULL, __LINE__);
	/* An event recorded meanwhile: the disagreement names the trigger,
	 * and does not suggest the chain was cut. */
	struct store *st = fixture_open(path);
	CHECK(fixture_append(st, run, "carol", EV_NOTE, "", "{\"text\":\"c\"}", NULL) == STORE_OK);
	store_close(st);
	expect_verify(path, run, false, "it counts 3 events (the last 3), the chain has 4 (its trigger "
		"run_index_append was dropped from the schema", "removed from the end", run, __LINE__);
	free(path);
	free(run);

	/* Replaced by one that keeps the counts but not who took part. */
	path = small_record(tmp, "replaced", &run);
	sql_on2(path, "DROP TRIGGER run_index_append; CREATE TRIGGER run_index_append AFTER INSERT ON events "
		"WHEN NEW.chain <> 'engineers' BEGIN UPDATE run_index SET events = events + 1, last_seq = NEW.seq, "
		"head = NEW.hash, last_us = NEW.time_us WHERE run = NEW.chain; END",
		"CREATE FUNCTION count_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
		"UPDATE run_index SET events = events + 1, last_seq = NEW.seq, head = NEW.hash, last_us = NEW.time_us "
		"WHERE run = NEW.chain; RETURN NULL; END $$; DROP TRIGGER run_index_append ON events; "
		"CREATE TRIGGER run_index_append AFTER INSERT ON events FOR EACH ROW WHEN (NEW.chain <> 'engineers') "
		"EXECUTE FUNCTION count_only()");
	expect_verify(path, NULL, false, "replaced by one countersign did not make", NULL, NULL, __LINE__);
	free(path);
	free(run);

	/* A table behind its chain without a missing trigger: edited, not cut. */
	path = small_record(tmp, "behind", &run);
	char *sql = xasprintf("UPDATE run_index SET events = 2, last_seq = 2 WHERE run = '%s'", run);
	sql_on(path, sql);
	free(sql);
	expect_verify(path, run, false, "the chain holds events the table does not count", "removed from the end", run,
		__LINE__);
	free(path);
	free(run);

	/* A row for a run that does not exist names that run as the chain. */
	path = small_record(tmp, "ghost", &run);
	sql_on(path, "INSERT INTO run_index VALUES ('ghost00000', 'open', NULL, 1, 'x', 1, 1)");
	expect_verify(path, NULL, false, "names run ghost00000, which does not exist", NULL, "ghost00000", __LINE__);
	free(path);
	free(run);

	/* Version 2 read through views has no trigger, and needs none. */
	if (fixture_skip_sqlite_file("a record of schema version 2 (PostgreSQL records start at 5)"))
		return;
	path = small_record_as(tmp, "version2", &run, true);
	CHECK(fixture_make_version_3(path));
	sql_on(path, "DROP TRIGGER run_index_append; DROP TABLE run_index; DROP TABLE run_actors; "
		"DROP INDEX runs_by_checklist; PRAGMA user_version = 2");
	expect_verify(path, NULL, true, NULL, NULL, NULL, __LINE__);
	expect_verify(path, run, true, NULL, NULL, NULL, __LINE__);
	free(path);
	free(run);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char *tmp = fixture_tmpdir();
	test_foreign(tmp);
	test_empty(tmp);
	test_first_open_race(tmp);
	test_trigger(tmp);
	fixture_rm_rf(tmp);
	return check_report();
}
