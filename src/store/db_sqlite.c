/* db.h's SQLite engine: a thin layer over sqlite3. Every connection gets
 * the settings the record relies on: a busy timeout (writers queue rather
 * than fail), defensive mode, and, when it may write, write-ahead logging
 * (readers never block the writer), synchronous=FULL and foreign keys. */
#include "db_engine.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "countersign/util.h"

/* How long a connection waits for another's write lock before DB_BUSY. */
#define DB_SQLITE_BUSY_TIMEOUT_MS 10000

struct sqlite_db {
	struct db base;  /* first: db.c's view */
	sqlite3 *conn;
};

struct sqlite_stmt {
	struct db_stmt base;  /* first: db.c's view */
	sqlite3_stmt *stmt;
	enum db_rc bind_rc;   /* a failed bind, reported by the next db_step */
};

static struct sqlite_db *conn_of(struct db *db)
{
	assert(db && db->ops == &db_sqlite_ops);
	return (struct sqlite_db *)db;
}

static struct sqlite_stmt *stmt_of(struct db_stmt *stmt)
{
	assert(stmt && stmt->db->ops == &db_sqlite_ops);
	return (struct sqlite_stmt *)stmt;
}

/* What a SQLite result code means to the caller. A missing or unreadable
 * file is DB_ERROR: DB_UNAVAILABLE is for a server that may come back. */
static enum db_rc map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK: return DB_OK;
	case SQLITE_ROW: return DB_ROW;
	case SQLITE_DONE: return DB_DONE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return DB_BUSY;
	case SQLITE_CONSTRAINT: return DB_CONSTRAINT;
	case SQLITE_READONLY: return DB_READONLY;
	default: return DB_ERROR;
	}
}

/* Records SQLite's message for the failure RC on DB and maps RC. */
static enum db_rc fail(struct sqlite_db *db, int rc)
{
	int code = sqlite3_extended_errcode(db->conn);
	if (code == SQLITE_FULL || ((code & 0xff) == SQLITE_IOERR && sqlite3_system_errno(db->conn) == ENOSPC))
		db_set_error(&db->base, "%s: the disk holding it is full", db->base.location);
	else
		db_set_error(&db->base, "%s", sqlite3_errmsg(db->conn));
	return map_rc(rc);
}

/* Switches to write-ahead logging. Two processes opening a new database at
 * once may both try; SQLite then answers SQLITE_BUSY at once, without
 * waiting in the busy handler (waiting could deadlock), so try again until
 * the busy timeout has passed. Returns SQLite's result; *MODE the mode now
 * in force (malloc'd) when it is SQLITE_OK. */
static int set_wal(sqlite3 *conn, char **mode)
{
	int rc = SQLITE_BUSY;
	for (int waited = 0; waited <= DB_SQLITE_BUSY_TIMEOUT_MS; waited += 10) {
		sqlite3_stmt *stmt = NULL;
		rc = sqlite3_prepare_v2(conn, "PRAGMA journal_mode=WAL", -1, &stmt, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			const char *m = (const char *)sqlite3_column_text(stmt, 0);
			*mode = xstrdup(m ? m : "unknown");
			sqlite3_finalize(stmt);
			return SQLITE_OK;
		}
		sqlite3_finalize(stmt);
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		sqlite3_sleep(10);
	}
	return rc;
}

/* Settings of a connection that may write. */
static enum db_rc configure_writer(struct sqlite_db *db, char **err)
{
	char *mode = NULL;
	int rc = set_wal(db->conn, &mode);
	if (rc != SQLITE_OK) {
		fail(db, rc);
		*err = xasprintf("cannot open %s: %s", db->base.location, db_error(&db->base));
		return map_rc(rc);
	}
	bool wal = strcmp(mode, "wal") == 0;
	if (!wal)
		*err = xasprintf("cannot open %s: the file system does not allow write-ahead logging "
			"(journal mode stays %s)", db->base.location, mode);
	free(mode);
	if (!wal)
		return DB_ERROR;
	rc = sqlite3_exec(db->conn, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		fail(db, rc);
		*err = xasprintf("cannot open %s: %s", db->base.location, db_error(&db->base));
		return map_rc(rc);
	}
	return DB_OK;
}

/* Opens PATH with FLAGS and reads its schema, so that a file that is not
 * a database fails here rather than at the first statement. */
static int open_probe(const char *path, int flags, sqlite3 **conn)
{
	int rc = sqlite3_open_v2(path, conn, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(*conn, 1);
		sqlite3_busy_timeout(*conn, DB_SQLITE_BUSY_TIMEOUT_MS);
		sqlite3_db_config(*conn, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
		rc = sqlite3_exec(*conn, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	}
	return rc;
}

/* A read-only connection. A WAL database in a folder that cannot be
 * written (a copy on read-only media) cannot get its -shm file; when its
 * -wal holds nothing to miss, it is read as immutable instead. A busy
 * database is waited for, never read without locks. */
static int open_read_only(const char *path, sqlite3 **conn)
{
	int rc = open_probe(path, SQLITE_OPEN_READONLY, conn);
	int prim = rc & 0xff;
	if (rc == SQLITE_OK || prim == SQLITE_BUSY || prim == SQLITE_LOCKED || prim == SQLITE_NOTADB ||
		prim == SQLITE_CORRUPT)
		return rc;
	char *wal = xasprintf("%s-wal", path);
	struct stat sb;
	bool wal_has_data = stat(wal, &sb) == 0 && sb.st_size > 0;
	free(wal);
	if (wal_has_data)
		return rc;
	sqlite3_close(*conn);
	*conn = NULL;
	char *uri = sqlite3_mprintf("file:%q?immutable=1", path);
	if (!uri)
		return SQLITE_NOMEM;
	rc = open_probe(uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, conn);
	sqlite3_free(uri);
	return rc;
}

static enum db_rc sqlite_open(const char *location, enum db_open_mode mode, struct db **out, char **err)
{
	struct stat sb;
	if (!location[0]) {
		*err = xstrdup("no database path given");
		return DB_ERROR;
	}
	if (stat(location, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		/* A FIFO would block the open forever; a folder is a mistyped path. */
		*err = xasprintf("cannot open %s: it is %s, not a database file", location,
			S_ISDIR(sb.st_mode) ? "a folder" : S_ISFIFO(sb.st_mode) ? "a FIFO" : "not a regular file");
		return DB_ERROR;
	}
	if (mode != DB_OPEN_CREATE && access(location, F_OK) != 0) {
		*err = errno == ENOENT ? xasprintf("no database at %s", location) :
			xasprintf("cannot open %s: %s", location, strerror(errno));
		return DB_ERROR;
	}
	struct sqlite_db *db = xcalloc(1, sizeof(*db));
	db_base_init(&db->base, &db_sqlite_ops, location);
	int rc;
	if (mode == DB_OPEN_READ_ONLY)
		rc = open_read_only(location, &db->conn);
	else
		rc = open_probe(location, SQLITE_OPEN_READWRITE | (mode == DB_OPEN_CREATE ? SQLITE_OPEN_CREATE : 0),
			&db->conn);
	enum db_rc result = map_rc(rc);
	if (rc != SQLITE_OK)
		*err = xasprintf("cannot open %s: %s", location, db->conn ? sqlite3_errmsg(db->conn) : "out of memory");
	else if (mode != DB_OPEN_READ_ONLY)
		result = configure_writer(db, err);
	if (result != DB_OK) {
		db_close(&db->base);
		return result;
	}
	*out = &db->base;
	return DB_OK;
}

struct db *db_sqlite_adopt(sqlite3 *handle, const char *location)
{
	assert(handle && location);
	struct sqlite_db *db = xcalloc(1, sizeof(*db));
	db_base_init(&db->base, &db_sqlite_ops, location);
	db->conn = handle;
	return &db->base;
}

sqlite3 *db_sqlite_handle(struct db *db)
{
	return conn_of(db)->conn;
}

static void sqlite_close(struct db *db)
{
	struct sqlite_db *s = conn_of(db);
	sqlite3_close(s->conn);
	free(s);
}

static enum db_rc sqlite_exec(struct db *db, const char *sql)
{
	struct sqlite_db *s = conn_of(db);
	char *msg = NULL;
	int rc = sqlite3_exec(s->conn, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		db_set_error(db, "%s", msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return map_rc(rc);
}

static enum db_rc sqlite_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	struct sqlite_db *s = conn_of(db);
	sqlite3_stmt *stmt = NULL;
	const char *tail = NULL;
	int rc = sqlite3_prepare_v2(s->conn, sql, -1, &stmt, &tail);
	if (rc != SQLITE_OK)
		return fail(s, rc);
	if (!stmt) {
		db_set_error(db, "no statement in: %s", sql);
		return DB_ERROR;
	}
	/* One statement: PostgreSQL refuses several in a prepared statement,
	 * so SQLite should not quietly ignore the rest. */
	while (tail && (*tail == ' ' || *tail == '\t' || *tail == '\n' || *tail == ';'))
		tail++;
	if (tail && *tail) {
		sqlite3_finalize(stmt);
		db_set_error(db, "more than one statement in: %s", sql);
		return DB_ERROR;
	}
	struct sqlite_stmt *st = xcalloc(1, sizeof(*st));
	st->base.db = db;
	st->stmt = stmt;
	st->bind_rc = DB_OK;
	*out = &st->base;
	return DB_OK;
}

static void sqlite_finalize(struct db_stmt *stmt)
{
	struct sqlite_stmt *st = stmt_of(stmt);
	sqlite3_finalize(st->stmt);
	free(st);
}

static void sqlite_reset(struct db_stmt *stmt)
{
	struct sqlite_stmt *st = stmt_of(stmt);
	sqlite3_reset(st->stmt);
	sqlite3_clear_bindings(st->stmt);
	st->bind_rc = DB_OK;
}

/* Keeps the first bind failure for db_step to report. */
static void bound(struct sqlite_stmt *st, int rc)
{
	if (rc != SQLITE_OK && st->bind_rc == DB_OK) {
		st->bind_rc = fail(conn_of(st->base.db), rc);
		if (st->bind_rc == DB_OK)
			st->bind_rc = DB_ERROR;
	}
}

static void sqlite_bind_text(struct db_stmt *stmt, int idx, const char *text)
{
	struct sqlite_stmt *st = stmt_of(stmt);
	bound(st, sqlite3_bind_text64(st->stmt, idx, text, strlen(text), SQLITE_TRANSIENT, SQLITE_UTF8));
}

static void sqlite_bind_int64(struct db_stmt *stmt, int idx, int64_t v)
{
	struct sqlite_stmt *st = stmt_of(stmt);
	bound(st, sqlite3_bind_int64(st->stmt, idx, v));
}

static void sqlite_bind_blob(struct db_stmt *stmt, int idx, const void *data, size_t len)
{
	struct sqlite_stmt *st = stmt_of(stmt);
	/* SQLite binds NULL for a NULL pointer: an empty blob is still a blob. */
	bound(st, sqlite3_bind_blob64(st->stmt, idx, len ? data : "", len, SQLITE_TRANSIENT));
}

static void sqlite_bind_null(struct db_stmt *stmt, int idx)
{
	struct sqlite_stmt *st = stmt_of(stmt);
	bound(st, sqlite3_bind_null(st->stmt, idx));
}

static enum db_rc sqlite_step(struct db_stmt *stmt)
{
	struct sqlite_stmt *st = stmt_of(stmt);
	if (st->bind_rc != DB_OK)
		return st->bind_rc;
	int rc = sqlite3_step(st->stmt);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return map_rc(rc);
	return fail(conn_of(stmt->db), rc);
}

static void check_col(struct sqlite_stmt *st, int col)
{
	assert(col < sqlite3_column_count(st->stmt));
	(void)st;
	(void)col;
}

static const char *sqlite_column_text(struct db_stmt *stmt, int col)
{
	struct sqlite_stmt *st = stmt_of(stmt);
	check_col(st, col);
	return (const char *)sqlite3_column_text(st->stmt, col);
}

static int64_t sqlite_column_int64(struct db_stmt *stmt, int col)
{
	struct sqlite_stmt *st = stmt_of(stmt);
	check_col(st, col);
	return sqlite3_column_int64(st->stmt, col);
}

static const void *sqlite_column_blob(struct db_stmt *stmt, int col, size_t *len)
{
	struct sqlite_stmt *st = stmt_of(stmt);
	check_col(st, col);
	*len = 0;
	if (sqlite3_column_type(st->stmt, col) == SQLITE_NULL)
		return NULL;
	const void *data = sqlite3_column_blob(st->stmt, col);
	*len = (size_t)sqlite3_column_bytes(st->stmt, col);
	/* SQLite answers NULL for an empty blob; only SQL NULL is NULL here. */
	return data ? data : "";
}

static bool sqlite_column_is_null(struct db_stmt *stmt, int col)
{
	struct sqlite_stmt *st = stmt_of(stmt);
	check_col(st, col);
	return sqlite3_column_type(st->stmt, col) == SQLITE_NULL;
}

static int sqlite_column_count(struct db_stmt *stmt)
{
	return sqlite3_column_count(stmt_of(stmt)->stmt);
}

static enum db_rc sqlite_begin(struct db *db, bool write)
{
	/* IMMEDIATE takes the write lock now, waiting up to the busy timeout,
	 * so a writer never fails halfway through its transaction. */
	return sqlite_exec(db, write ? "BEGIN IMMEDIATE" : "BEGIN");
}

static enum db_rc sqlite_commit(struct db *db)
{
	return sqlite_exec(db, "COMMIT");
}

static void sqlite_rollback(struct db *db)
{
	struct sqlite_db *s = conn_of(db);
	if (!sqlite3_get_autocommit(s->conn))
		sqlite3_exec(s->conn, "ROLLBACK", NULL, NULL, NULL);
}

static int64_t sqlite_changes(struct db *db)
{
	return sqlite3_changes64(conn_of(db)->conn);
}

/* PRAGMA data_version: changes when another connection commits. -1 when
 * it cannot be read, which differs from every real value. */
static int64_t sqlite_data_version(struct db *db)
{
	struct sqlite_db *s = conn_of(db);
	sqlite3_stmt *stmt = NULL;
	int64_t v = -1;
	int rc = sqlite3_prepare_v2(s->conn, "PRAGMA data_version", -1, &stmt, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	else
		fail(s, rc);
	sqlite3_finalize(stmt);
	return v;
}

static int sqlite_notify_fd(struct db *db)
{
	(void)conn_of(db);
	return -1;
}

const struct db_ops db_sqlite_ops = {
	.engine = DB_SQLITE,
	.open = sqlite_open,
	.close = sqlite_close,
	.exec = sqlite_exec,
	.prepare = sqlite_prepare,
	.finalize = sqlite_finalize,
	.reset = sqlite_reset,
	.bind_text = sqlite_bind_text,
	.bind_int64 = sqlite_bind_int64,
	.bind_blob = sqlite_bind_blob,
	.bind_null = sqlite_bind_null,
	.step = sqlite_step,
	.column_text = sqlite_column_text,
	.column_int64 = sqlite_column_int64,
	.column_blob = sqlite_column_blob,
	.column_is_null = sqlite_column_is_null,
	.column_count = sqlite_column_count,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.changes = sqlite_changes,
	.data_version = sqlite_data_version,
	.notify_fd = sqlite_notify_fd,
};
