/* The PostgreSQL engine's own behaviour (db_pg.c), beyond what the engine
 * conformance test (test_db.c) checks on both engines: a location with a
 * password refused before connecting; '?' numbering that leaves literals
 * and comments alone; bytea both ways; a failed statement aborting its
 * transaction; a server restart or stop cutting a connection (DB_UNAVAILABLE,
 * never a silent reconnect inside a transaction) and the reconnection after
 * it; NOTIFY moving another connection's data version and waking its fd.
 *
 * Runs under tests/pg/with_pg, which provides COUNTERSIGN_TEST_PG (the
 * connection string), COUNTERSIGN_TEST_PG_DIR and COUNTERSIGN_PG_TMP (to
 * restart or stop the server). Without them only the checks that need no
 * server run. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"
#include "countersign/store.h"
#include "store/db.h"

static const char *pg_conn, *pg_dir, *pg_tmp;

/* Runs `pg_tmp CMD DIR` with its output on stderr; its exit status. */
static int run_pg_tmp(const char *cmd)
{
	pid_t pid = fork();
	if (pid == 0) {
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execl(pg_tmp, pg_tmp, cmd, pg_dir, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool refused(const char *location)
{
	struct db *db = NULL;
	char *err = NULL;
	enum db_rc rc = db_open(location, DB_OPEN_READ_WRITE, &db, &err);
	bool ok = rc == DB_ERROR && !db && err && strstr(err, "~/.pgpass") && strstr(err, "PGPASSFILE") &&
		strstr(err, "PGPASSWORD") && !strstr(err, "s3cret");
	if (!ok)
		fprintf(stderr, "%s: rc %d: %s\n", location, rc, err ? err : "(none)");
	free(err);
	db_close(db);
	return ok;
}

/* No server is needed: the password is found before connecting (the
 * socket folder below does not exist, so a connection attempt would fail
 * differently, DB_UNAVAILABLE). */
static void test_password_refused(void)
{
	CHECK(refused("postgresql://alice:s3cret@%2Fnonexistent-countersign/countersign"));
	CHECK(refused("postgres://alice:s3cret@%2Fnonexistent-countersign:5432/countersign?sslmode=require"));
	CHECK(refused("postgresql://alice@%2Fnonexistent-countersign/countersign?password=s3cret"));
	CHECK(refused("host=/nonexistent-countersign dbname=countersign password=s3cret"));
	CHECK(refused("host=/nonexistent-countersign service=prod password='s3cret'"));
}

static void test_unreachable_at_open(void)
{
	struct db *db = NULL;
	char *err = NULL;
	CHECK(db_open("host=/nonexistent-countersign-dir dbname=x", DB_OPEN_READ_WRITE, &db, &err) == DB_UNAVAILABLE);
	CHECK(!db && err && strstr(err, "PostgreSQL"));
	free(err);
}

static struct db *open_pg(enum db_open_mode mode)
{
	struct db *db = NULL;
	char *err = NULL;
	if (db_open(pg_conn, mode, &db, &err) != DB_OK) {
		fprintf(stderr, "open %s: %s\n", pg_conn, err);
		free(err);
		return NULL;
	}
	return db;
}

/* The number of rows of t_pg whose n is N (-1 on failure). */
static int64_t count_n(struct db *db, int64_t n)
{
	struct db_stmt *st = NULL;
	int64_t count = -1;
	if (db_prepare(db, "SELECT count(*) FROM t_pg WHERE n = ?", &st) == DB_OK) {
		db_bind_int64(st, 1, n);
		if (db_step(st) == DB_ROW)
			count = db_column_int64(st, 0);
	}
	db_finalize(st);
	return count;
}

static void test_statements(struct db *db)
{
	CHECK(db_exec(db, "DROP TABLE IF EXISTS t_pg; "
		"CREATE TABLE t_pg (n bigint UNIQUE, s text, b bytea)") == DB_OK);
	struct db_stmt *st = NULL;
	/* A '?' in a literal, an identifier or a comment is not a placeholder. */
	CHECK(db_prepare(db, "SELECT '?''?' AS \"q?\", ? /* ? */, ? -- ?\n, ?::bytea", &st) == DB_OK);
	db_bind_text(st, 1, "héllo");
	db_bind_int64(st, 2, INT64_MIN);
	static const unsigned char zeros[] = {0, 1, 0, 0xff, 0};
	db_bind_blob(st, 3, zeros, sizeof zeros);
	enum db_rc rc = db_step(st);
	CHECK(rc == DB_ROW);
	if (rc != DB_ROW) {
		fprintf(stderr, "%s\n", db_error(db));
		db_finalize(st);
		return;
	}
	CHECK(db_column_count(st) == 4);
	CHECK_STR(db_column_text(st, 0), "?'?");
	CHECK_STR(db_column_text(st, 1), "héllo");
	CHECK(db_column_int64(st, 2) == INT64_MIN);
	size_t len = 0;
	const void *blob = db_column_blob(st, 3, &len);
	CHECK(blob && len == sizeof zeros && memcmp(blob, zeros, len) == 0);
	CHECK(db_step(st) == DB_DONE);
	db_finalize(st);

	/* '?NNN' is parameter NNN, used as often as it appears; a bare '?'
	 * after it is the next number (as SQLite numbers them). */
	CHECK(db_prepare(db, "SELECT ?2, ?1, ?2, ?, '?9'", &st) == DB_OK);
	db_bind_text(st, 1, "a");
	db_bind_text(st, 2, "b");
	db_bind_int64(st, 3, 42);
	rc = db_step(st);
	CHECK(rc == DB_ROW);
	if (rc == DB_ROW) {
		CHECK(db_column_count(st) == 5);
		CHECK_STR(db_column_text(st, 0), "b");
		CHECK_STR(db_column_text(st, 1), "a");
		CHECK_STR(db_column_text(st, 2), "b");
		CHECK(db_column_int64(st, 3) == 42);
		CHECK_STR(db_column_text(st, 4), "?9");
	} else {
		fprintf(stderr, "%s\n", db_error(db));
	}
	db_finalize(st);

	/* An empty blob is not NULL; NULL is. */
	CHECK(db_prepare(db, "INSERT INTO t_pg (n, s, b) VALUES (?, ?, ?) RETURNING n", &st) == DB_OK);
	db_bind_int64(st, 1, 1);
	db_bind_null(st, 2);
	db_bind_blob(st, 3, "", 0);
	CHECK(db_step(st) == DB_ROW && db_column_int64(st, 0) == 1);
	CHECK(db_step(st) == DB_DONE);
	CHECK(db_changes(db) == 1);
	db_finalize(st);
	CHECK(db_prepare(db, "SELECT s, b FROM t_pg WHERE n = 1", &st) == DB_OK);
	CHECK(db_step(st) == DB_ROW);
	CHECK(db_column_is_null(st, 0) && !db_column_text(st, 0));
	CHECK(!db_column_is_null(st, 1) && db_column_blob(st, 1, &len) && len == 0);
	db_finalize(st);
}

/* PostgreSQL aborts a transaction at its first failed statement: the
 * commit reports that failure and nothing of the transaction is kept. */
static void test_failure_aborts_transaction(struct db *db)
{
	CHECK(db_begin(db, true) == DB_OK);
	CHECK(db_exec(db, "INSERT INTO t_pg (n) VALUES (2)") == DB_OK);
	CHECK(db_exec(db, "INSERT INTO t_pg (n) VALUES (1)") == DB_CONSTRAINT);
	CHECK(db_commit(db) == DB_CONSTRAINT);
	CHECK(count_n(db, 2) == 0);
	CHECK(db_begin(db, true) == DB_OK);
	CHECK(db_exec(db, "INSERT INTO t_pg (n) VALUES (2)") == DB_OK);
	CHECK(db_commit(db) == DB_OK);
	CHECK(count_n(db, 2) == 1);
}

/* Waits until DB's notify fd is readable and its data version moves from
 * V0; whether it did before the deadline. */
static bool version_moves(struct db *db, int64_t v0)
{
	double deadline = now_s() + 10;
	while (now_s() < deadline) {
		if (db_data_version(db) != v0)
			return true;
		struct pollfd p = {.fd = db_notify_fd(db), .events = POLLIN};
		(void)poll(&p, 1, 100);
	}
	return false;
}

static void test_notify(struct db *a)
{
	struct db *b = open_pg(DB_OPEN_READ_ONLY);
	CHECK(b != NULL);
	if (!b)
		return;
	CHECK(db_notify_fd(b) >= 0);
	int64_t va = db_data_version(a), vb = db_data_version(b);
	struct pollfd p = {.fd = db_notify_fd(b), .events = POLLIN};
	CHECK(poll(&p, 1, 0) == 0);  /* nothing pending yet */

	CHECK(db_begin(a, true) == DB_OK);
	CHECK(db_exec(a, "INSERT INTO t_pg (n) VALUES (3)") == DB_OK);
	CHECK(db_commit(a) == DB_OK);
	/* B's socket wakes a poll() loop, and its version moves. */
	CHECK(poll(&p, 1, 10000) == 1 && (p.revents & POLLIN));
	CHECK(version_moves(b, vb));
	CHECK(count_n(b, 3) == 1);
	/* A's own commit does not move A's version. */
	CHECK(db_data_version(a) == va);
	/* A read transaction notifies no one. */
	vb = db_data_version(b);
	CHECK(db_begin(a, false) == DB_OK && count_n(a, 3) == 1 && db_commit(a) == DB_OK);
	CHECK(poll(&p, 1, 200) == 0 && db_data_version(b) == vb);

	/* The read-only connection refuses writes. */
	CHECK(db_exec(b, "INSERT INTO t_pg (n) VALUES (4)") == DB_READONLY);
	CHECK(db_begin(b, true) == DB_OK);
	CHECK(db_exec(b, "INSERT INTO t_pg (n) VALUES (4)") == DB_READONLY);
	CHECK(db_commit(b) == DB_READONLY);
	db_close(b);
}

/* A read transaction reads one moment of the record, as SQLite's does:
 * what another connection commits meanwhile is not half seen (a verify
 * or a checkpoint compares tables read one after another). */
static void test_read_snapshot(struct db *a)
{
	struct db *b = open_pg(DB_OPEN_READ_WRITE);
	CHECK(b != NULL);
	if (!b)
		return;
	CHECK(db_begin(b, false) == DB_OK);
	CHECK(count_n(b, 7) == 0);
	CHECK(db_begin(a, true) == DB_OK);
	CHECK(db_exec(a, "INSERT INTO t_pg (n) VALUES (7)") == DB_OK);
	CHECK(db_commit(a) == DB_OK);
	CHECK(count_n(b, 7) == 0);
	CHECK(db_commit(b) == DB_OK);
	CHECK(count_n(b, 7) == 1);
	db_close(b);
}

/* The deadline bounds the server's silence, not the length of an answer: a
 * listing that streams for longer than the deadline, each row soon after the
 * last, is read whole (a whole-record audit may stream for minutes). */
static void test_long_answer(struct db *db)
{
	store_test_pg_deadline(1000);
	struct db_stmt *st = NULL;
	/* rows larger than the server's send buffer leave one by one, 50 ms apart:
	 * about 2.5 s in all */
	CHECK(db_prepare(db, "SELECT repeat('x', 20000), pg_sleep(0.05) FROM generate_series(1, 50)", &st) == DB_OK);
	int rows = 0;
	enum db_rc rc;
	while (st && (rc = db_step(st)) == DB_ROW)
		rows++;
	CHECK(rows == 50);
	if (rows != 50)
		fprintf(stderr, "%d rows: %s\n", rows, db_error(db));
	db_finalize(st);
	store_test_pg_deadline(30000);
}

static void test_server_restart(struct db *db)
{
	/* Cut inside a transaction: DB_UNAVAILABLE, no silent reconnect,
	 * nothing written. */
	CHECK(db_begin(db, true) == DB_OK);
	CHECK(db_exec(db, "INSERT INTO t_pg (n) VALUES (10)") == DB_OK);
	CHECK(run_pg_tmp("restart") == 0);
	CHECK(db_exec(db, "INSERT INTO t_pg (n) VALUES (11)") == DB_UNAVAILABLE);
	CHECK(strstr(db_error(db), "unreachable") != NULL);
	/* The loss is known now: still no new session for the rest of it. */
	CHECK(db_exec(db, "INSERT INTO t_pg (n) VALUES (11)") == DB_UNAVAILABLE);
	CHECK(db_commit(db) == DB_UNAVAILABLE);
	db_rollback(db);
	/* Outside a transaction the next statement reconnects, and the data
	 * version moves (notifications may have been missed meanwhile). */
	int64_t v0 = db_data_version(db);
	CHECK(db_begin(db, false) == DB_OK);
	CHECK(count_n(db, 10) == 0 && count_n(db, 11) == 0);
	CHECK(db_commit(db) == DB_OK);
	CHECK(db_data_version(db) != v0);

	/* A server that stays down: DB_UNAVAILABLE from db_begin, db_exec
	 * and db_step, then a reconnection once it is back. */
	CHECK(run_pg_tmp("halt") == 0);
	CHECK(db_begin(db, true) == DB_UNAVAILABLE);
	CHECK(db_exec(db, "INSERT INTO t_pg (n) VALUES (12)") == DB_UNAVAILABLE);
	CHECK(count_n(db, 2) == -1);
	CHECK(run_pg_tmp("start") == 0);
	CHECK(db_begin(db, true) == DB_OK);
	CHECK(db_exec(db, "INSERT INTO t_pg (n) VALUES (12)") == DB_OK);
	CHECK(db_commit(db) == DB_OK);
	CHECK(count_n(db, 12) == 1);
}

int main(void)
{
	test_password_refused();
	test_unreachable_at_open();
	pg_conn = getenv("COUNTERSIGN_TEST_PG");
	pg_dir = getenv("COUNTERSIGN_TEST_PG_DIR");
	pg_tmp = getenv("COUNTERSIGN_PG_TMP");
	if (!pg_conn || !pg_dir || !pg_tmp) {
		printf("skipped: no PostgreSQL (run under tests/pg/with_pg)\n");
		return check_report();
	}
	struct db *db = open_pg(DB_OPEN_READ_WRITE);
	CHECK(db != NULL);
	if (db) {
		test_statements(db);
		test_failure_aborts_transaction(db);
		test_notify(db);
		test_read_snapshot(db);
		test_long_answer(db);
		test_server_restart(db);
	}
	db_close(db);
	return check_report();
}
