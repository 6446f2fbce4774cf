/* The database a copy writes into: it must hold no record, and an empty
 * one gets the schema first, in the copy's transaction. A copy carries the
 * source's registry chain (its record id and every registration), so the
 * schema comes without the registry_opened event that opening a new record
 * writes (migration 4's fill): on SQLite, the tables, indexes and triggers
 * are those a new record gets, read from a throwaway one in a temporary
 * folder exactly as sqlite_schema keeps their text (verify compares the
 * trigger's text); on PostgreSQL, store_pg_schema(). */
#include "store_copy_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "countersign/util.h"
#include "schema_pg.h"

static enum store_status failed(struct db *db, enum db_rc rc, char **err, const char *what)
{
	free(*err);
	*err = xasprintf("%s%s: %s", rc == DB_UNAVAILABLE ? "the database cannot be reached: " : "", what,
		db_error(db));
	return rc == DB_UNAVAILABLE ? STORE_UNAVAILABLE : STORE_FAILED;
}

/* Runs in TO every CREATE statement of the new record at TEMPLATE, in the
 * order they were made, and sets TO's user_version to the template's. */
static enum store_status replay_schema(struct db *to, const char *template, char **err)
{
	struct db *tpl = NULL;
	char *why = NULL;
	if (db_open(template, DB_OPEN_READ_ONLY, &tpl, &why) != DB_OK) {
		*err = xasprintf("cannot make the schema: %s", why ? why : "");
		free(why);
		return STORE_FAILED;
	}
	enum store_status s = STORE_OK;
	int64_t version = 0;
	struct db_stmt *stmt = NULL;
	enum db_rc rc = store_copy_query_int(tpl, "PRAGMA user_version", &version);
	if (rc == DB_OK)
		rc = db_prepare(tpl, "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL "
			"AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid", &stmt);
	if (rc != DB_OK) {
		s = failed(tpl, rc, err, "cannot make the schema");
		goto done;
	}
	while ((rc = db_step(stmt)) == DB_ROW) {
		enum db_rc w = db_exec(to, db_column_text(stmt, 0));
		if (w != DB_OK) {
			s = failed(to, w, err, "cannot create the schema");
			goto done;
		}
	}
	if (rc != DB_DONE) {
		s = failed(tpl, rc, err, "cannot make the schema");
		goto done;
	}
	char *pragma = xasprintf("PRAGMA user_version = %" PRId64, version);
	rc = db_exec(to, pragma);
	free(pragma);
	if (rc != DB_OK)
		s = failed(to, rc, err, "cannot create the schema");
done:
	db_finalize(stmt);
	db_close(tpl);
	return s;
}

static enum store_status sqlite_schema(struct db *to, char **err)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/countersign-schema-XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		*err = xasprintf("cannot make a temporary folder in %s for the schema", tmp && tmp[0] == '/' ? tmp : "/tmp");
		free(dir);
		return STORE_FAILED;
	}
	char *path = xasprintf("%s/schema.db", dir);
	char *why = NULL;
	struct store *st = store_open(path, &why);
	enum store_status s = STORE_OK;
	if (!st) {
		*err = xasprintf("cannot make the schema: %s", why ? why : "");
		s = STORE_FAILED;
	}
	free(why);
	store_close(st);
	if (s == STORE_OK)
		s = replay_schema(to, path, err);
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char *p = xasprintf("%s%s", path, suffixes[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
	free(path);
	free(dir);
	return s;
}

static enum store_status pg_schema(struct db *to, char **err)
{
	size_t n = 0;
	const char *const *sql = store_pg_schema(&n);
	for (size_t i = 0; i < n; i++) {
		enum db_rc rc = db_exec(to, sql[i]);
		if (rc != DB_OK)
			return failed(to, rc, err, "cannot create the schema (as the database's owner role)");
	}
	return STORE_OK;
}

enum store_status store_copy_prepare_target(struct db *to, char **err)
{
	int schema = 0;
	bool tables = false;
	enum db_rc rc = store_copy_schema_of(to, &schema, &tables);
	if (rc != DB_OK)
		return failed(to, rc, err, "cannot read the schema version of the copy's database");
	const char *where = db_location(to);
	if (schema == 0 && !tables)
		return db_engine(to) == DB_SQLITE ? sqlite_schema(to, err) : pg_schema(to, err);
	if (schema == 0) {
		*err = xasprintf("%s is not a countersign database: it holds other tables; nothing was written", where);
		return STORE_CONFLICT;
	}
	if (schema != store_schema_version()) {
		*err = xasprintf("%s already holds a record (schema version %d); db copy writes only into an "
			"empty database", where, schema);
		return STORE_CONFLICT;
	}
	int64_t rows = 0;
	static const char *const counts[] = {"SELECT count(*) FROM events", "SELECT count(*) FROM runs",
		"SELECT count(*) FROM engineers", "SELECT count(*) FROM checklists", "SELECT count(*) FROM evidence"};
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]) && rows == 0; i++) {
		int64_t n = 0;
		if ((rc = store_copy_query_int(to, counts[i], &n)) != DB_OK)
			return failed(to, rc, err, "cannot read the copy's database");
		rows += n;
	}
	if (rows) {
		*err = xasprintf("%s already holds a record; db copy writes only into an empty database "
			"(nothing was written)", where);
		return STORE_CONFLICT;
	}
	return STORE_OK;
}
