/* Unit tests for the record's edges: a file that is some other program's
 * SQLite database is neither migrated nor switched to write-ahead logging,
 * and read-only commands say what it is; an empty one is named as such. */
#include "fixture.h"

#include <sys/stat.h>

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
static void test_foreign(const char *tmp)
{
	char *path = xasprintf("%s/places.sqlite", tmp);
	sqlite3 *db = fixture_sql_open(path);
	CHECK(fixture_sql(db, "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT); "
		"INSERT INTO moz_places (url) VALUES ('https://example.org/')", NULL) == SQLITE_OK);
	sqlite3_close(db);
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
	sqlite3_close(db);
	char *wal = xasprintf("%s-wal", path);
	CHECK(!exists(wal));
	free(wal);
	free(before);
	free(after);

	/* One whose table has a name countersign uses is left alone too. */
	char *path2 = xasprintf("%s/other.db", tmp);
	db = fixture_sql_open(path2);
	CHECK(fixture_sql(db, "CREATE TABLE events (id)", NULL) == SQLITE_OK);
	sqlite3_close(db);
	err = NULL;
	CHECK(store_open(path2, &err) == NULL);
	CHECK(err && strstr(err, "is not a countersign database"));
	free(err);
	db = fixture_sql_open(path2);
	sqlite3_stmt *stmt = NULL;
	CHECK(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL) == SQLITE_OK &&
		sqlite3_step(stmt) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(stmt, 0), "delete") == 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
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
	st = store_open_mode(path, STORE_READ_ONLY, &err);
	CHECK(st != NULL);
	store_close(st);
	free(err);
	free(path);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char *tmp = fixture_tmpdir();
	test_foreign(tmp);
	test_empty(tmp);
	fixture_rm_rf(tmp);
	return check_report();
}
