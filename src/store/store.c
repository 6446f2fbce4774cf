/* Opening the database: where it lives, creating its folder and file with
 * private modes, the connection settings, and the small helpers the other
 * store files share. */
#include "store_internal.h"
#include "db_engine.h"

#include <sqlite3.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "countersign/util.h"

#define STORE_BUSY_TIMEOUT_MS 10000

static const char *nonempty_env(const char *name)
{
	const char *v = getenv(name);
	return v && v[0] ? v : NULL;
}

char *store_default_path(const char *flag_path)
{
	if (flag_path && flag_path[0])
		return xstrdup(flag_path);
	const char *env = nonempty_env("COUNTERSIGN_DB");
	if (env)
		return xstrdup(env);
	/* The XDG spec says a relative XDG_DATA_HOME is invalid and is ignored. */
	const char *xdg = nonempty_env("XDG_DATA_HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/countersign/countersign.db", xdg);
	const char *home = nonempty_env("HOME");
	if (!home) {
		struct passwd *pw = getpwuid(getuid());
		home = pw && pw->pw_dir && pw->pw_dir[0] ? pw->pw_dir : NULL;
	}
	if (!home)
		return xstrdup("countersign.db");
	return xasprintf("%s/.local/share/countersign/countersign.db", home);
}

/* Creates every missing folder of DIR with mode 0700 (whatever the umask). */
static bool make_folders(const char *dir, char **err)
{
	char *buf = xstrdup(dir);
	bool ok = false;
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		struct stat sb;
		if (stat(buf, &sb) == 0) {
			if (!S_ISDIR(sb.st_mode)) {
				*err = xasprintf("cannot create %s: %s is not a directory", dir, buf);
				goto cleanup;
			}
		} else if (mkdir(buf, 0700) == 0) {
			if (chmod(buf, 0700) != 0) {
				*err = xasprintf("cannot set the mode of %s: %s", buf, strerror(errno));
				goto cleanup;
			}
		} else if (errno != EEXIST) {
			*err = xasprintf("cannot create %s: %s", buf, strerror(errno));
			goto cleanup;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	ok = true;
cleanup:
	free(buf);
	return ok;
}

/* Creates PATH with mode 0600 before SQLite sees it, so the database (and
 * its -wal and -shm files, which SQLite gives the database's mode) is never
 * readable by others. An existing file is only checked for access. */
static bool create_file(const char *path, char **err)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	bool ok = true;
	if (slash && slash != dir) {
		*slash = '\0';
		ok = make_folders(dir, err);
	}
	free(dir);
	if (!ok)
		return false;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (fchmod(fd, 0600) != 0) {
			*err = xasprintf("cannot set the mode of %s: %s", path, strerror(errno));
			close(fd);
			return false;
		}
		close(fd);
		return true;
	}
	if (errno != EEXIST) {
		*err = xasprintf("cannot create %s: %s", path, strerror(errno));
		return false;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		*err = xasprintf("cannot open %s: %s", path, strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

/* Switches to write-ahead logging. Two processes opening a new database at
 * once may both try; SQLite then answers SQLITE_BUSY at once, without
 * waiting in the busy handler (waiting could deadlock), so try again until
 * the busy timeout has passed. */
static int set_wal(struct store *st, sqlite3_stmt **stmt)
{
	int rc = SQLITE_BUSY;
	for (int waited = 0; waited <= STORE_BUSY_TIMEOUT_MS; waited += 10) {
		sqlite3_finalize(*stmt);
		*stmt = NULL;
		rc = sqlite3_prepare_v2(db_sqlite_handle(st->conn), "PRAGMA journal_mode=WAL", -1, stmt, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(*stmt);
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			break;
		sqlite3_sleep(10);
	}
	return rc;
}

/* Why opening failed, in words: a full disk is said so, and names the path. */
static char *open_error(struct store *st)
{
	sqlite3 *h = db_sqlite_handle(st->conn);
	int code = sqlite3_errcode(h);
	if (code == SQLITE_FULL || (code == SQLITE_IOERR && sqlite3_system_errno(h) == ENOSPC))
		return xasprintf("cannot open %s: the disk holding it is full; free space there and try again", st->path);
	return xasprintf("cannot open %s: %s", st->path, sqlite3_errmsg(h));
}

/* Connection settings; the pragmas take no parameters, so they are fixed text. */
static bool configure(struct store *st, char **err)
{
	sqlite3 *h = db_sqlite_handle(st->conn);
	sqlite3_busy_timeout(h, STORE_BUSY_TIMEOUT_MS);
	sqlite3_db_config(h, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	sqlite3_stmt *stmt = NULL;
	if (set_wal(st, &stmt) != SQLITE_ROW) {
		*err = open_error(st);
		sqlite3_finalize(stmt);
		return false;
	}
	const char *mode = (const char *)sqlite3_column_text(stmt, 0);
	if (!mode || strcmp(mode, "wal") != 0) {
		*err = xasprintf("cannot open %s: the file system does not allow write-ahead logging "
			"(journal mode stays %s)", st->path, mode ? mode : "unknown");
		sqlite3_finalize(stmt);
		return false;
	}
	sqlite3_finalize(stmt);
	if (sqlite3_exec(h, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", NULL, NULL, NULL) !=
		SQLITE_OK) {
		*err = open_error(st);
		return false;
	}
	return true;
}

/* Remembers which file is open, so that store_begin can notice it was
 * removed or replaced. */
static bool remember_file(struct store *st, char **err)
{
	struct stat sb;
	if (stat(st->path, &sb) != 0) {
		*err = xasprintf("cannot open %s: %s", st->path, strerror(errno));
		return false;
	}
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	return true;
}

/* A read-only connection: never creates, migrates or writes. A WAL database
 * whose folder cannot be written (an auditor's copy on read-only media)
 * cannot get its -shm file; when there is no -wal content to miss, it is
 * read as immutable instead. */
static bool open_read_only(struct store *st, char **err)
{
	/* SQLite says only "unable to open database file" when the file itself
	 * cannot be read: say why. */
	int fd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = xasprintf("cannot read %s: %s", st->path, strerror(errno));
		return false;
	}
	close(fd);
	sqlite3 *h = NULL;
	bool wal_has_data = false;
	int rc = sqlite3_open_v2(st->path, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(h, STORE_BUSY_TIMEOUT_MS);
		rc = sqlite3_exec(h, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	}
	/* Only a file that cannot be opened for shared reading (no -shm can be
	 * made) is read as immutable; a busy database is waited for, never read
	 * without locks while others write. */
	if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) {
		char *wal = xasprintf("%s-wal", st->path);
		struct stat sb;
		wal_has_data = stat(wal, &sb) == 0 && sb.st_size > 0;
		free(wal);
		if (!wal_has_data) {
			sqlite3_close(h);
			h = NULL;
			char *uri = sqlite3_mprintf("file:%q?immutable=1", st->path);
			rc = sqlite3_open_v2(uri, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
			sqlite3_free(uri);
			if (rc == SQLITE_OK) {
				sqlite3_busy_timeout(h, STORE_BUSY_TIMEOUT_MS);
				rc = sqlite3_exec(h, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
			}
		}
	}
	if (rc != SQLITE_OK && wal_has_data && (rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED &&
		(rc & 0xff) != SQLITE_NOTADB && (rc & 0xff) != SQLITE_CORRUPT) {
		/* The changes in the -wal file can only be read through the -shm
		 * file, which a read-only folder (or another user's -shm) denies;
		 * reading the main file alone would miss them. */
		*err = xasprintf("cannot read %s: %s-wal holds changes not yet written into it, and they can only be "
			"read where %s-shm can be created and written (%s); copy %s and %s-wal together into a folder "
			"you can write and read the copy, or read it as the database's owner", st->path, st->path, st->path,
			h ? sqlite3_errmsg(h) : "out of memory", st->path, st->path);
		sqlite3_close(h);
		return false;
	}
	if (rc != SQLITE_OK) {
		*err = xasprintf("cannot read %s: %s", st->path, h ? sqlite3_errmsg(h) : "out of memory");
		sqlite3_close(h);
		return false;
	}
	sqlite3_busy_timeout(h, STORE_BUSY_TIMEOUT_MS);
	st->conn = db_sqlite_adopt(h, st->path);
	if (!store_check_version(st)) {
		*err = xstrdup(st->err);
		return false;
	}
	return true;
}

/* A record on a PostgreSQL server: the database exists (a DBA made it);
 * the first connection that may write creates the schema in it. Nothing
 * of a file's checks applies. */
static struct store *open_pg(const char *location, enum store_mode mode, char **err)
{
	struct db *conn = NULL;
	char *why = NULL;
	enum db_rc rc = db_open(location, mode == STORE_READ_ONLY ? DB_OPEN_READ_ONLY : DB_OPEN_READ_WRITE, &conn, &why);
	if (rc != DB_OK) {
		/* The caller has no status from an open: the words say it. */
		*err = rc == DB_UNAVAILABLE ? xasprintf("the database cannot be reached: %s", why ? why : "") :
			xstrdup(why ? why : "cannot open the PostgreSQL record");
		free(why);
		return NULL;
	}
	struct store *st = xcalloc(1, sizeof(*st));
	st->conn = conn;
	st->path = xstrdup(db_location(conn));
	st->err = xstrdup("");
	st->read_only = mode == STORE_READ_ONLY;
	if (st->read_only ? !store_check_version(st) : !store_migrate(st)) {
		*err = xstrdup(st->err);
		store_close(st);
		return NULL;
	}
	return st;
}

struct store *store_open_mode(const char *path, enum store_mode mode, char **err)
{
	*err = NULL;
	if (sodium_init() < 0) {
		*err = xstrdup("cannot initialise libsodium");
		return NULL;
	}
	if (!path || !path[0]) {
		*err = xstrdup("no database path given");
		return NULL;
	}
	if (db_engine_of(path) == DB_POSTGRES)
		return open_pg(path, mode, err);
	struct stat sb;
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		/* A FIFO would block the open forever; a folder is a mistyped path. */
		*err = xasprintf("cannot open %s: it is %s, not a database file", path,
			S_ISDIR(sb.st_mode) ? "a folder" : S_ISFIFO(sb.st_mode) ? "a FIFO" : "not a regular file");
		return NULL;
	}
	if (mode != STORE_CREATE && access(path, F_OK) != 0) {
		*err = errno == ENOENT ? xasprintf("no database at %s (commands that only read never create one; "
			"check --db or COUNTERSIGN_DB)", path) : xasprintf("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (mode == STORE_CREATE && !create_file(path, err))
		return NULL;
	struct store *st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	st->err = xstrdup("");
	st->read_only = mode == STORE_READ_ONLY;
	if (!remember_file(st, err))
		goto fail;
	if (st->read_only) {
		if (!open_read_only(st, err))
			goto fail;
		return st;
	}
	sqlite3 *h = NULL;
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		*err = xasprintf("cannot open %s: %s", path, h ? sqlite3_errmsg(h) : "out of memory");
		sqlite3_close(h);
		goto fail;
	}
	/* Before anything is written (switching to WAL changes the file's
	 * header): a mistyped path to another program's database is left as
	 * it is. */
	sqlite3_busy_timeout(h, STORE_BUSY_TIMEOUT_MS);
	st->conn = db_sqlite_adopt(h, st->path);
	if (store_refuse_foreign(st)) {
		*err = xstrdup(st->err);
		goto fail;
	}
	if (!configure(st, err))
		goto fail;
	if (!store_migrate(st)) {
		*err = xstrdup(st->err);
		goto fail;
	}
	return st;
fail:
	store_close(st);
	return NULL;
}

struct store *store_open(const char *path, char **err)
{
	return store_open_mode(path, STORE_CREATE, err);
}

bool store_read_only(const struct store *st)
{
	return st && st->read_only;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	/* On SQLite the connection owns the handle it adopted. */
	db_close(st->conn);
	free(st->path);
	free(st->err);
	free(st);
}

const char *store_error(const struct store *st)
{
	return st && st->err ? st->err : "";
}

int64_t store_data_version(struct store *st)
{
	assert(st && st->conn);
	int64_t v = db_data_version(st->conn);
	if (v < 0)
		store_fail(st, DB_ERROR, "cannot read the data version");
	return v;
}

enum store_status store_reconnect(struct store *st)
{
	assert(st && st->conn);
	/* The first statement outside a transaction reconnects a lost
	 * connection (db_pg.c); a SQLite connection is never lost. */
	enum db_rc rc = db_exec(st->conn, "SELECT 1");
	return rc == DB_OK ? STORE_OK : store_fail(st, rc, "cannot reach the database");
}

int store_notify_fd(struct store *st)
{
	assert(st && st->conn);
	return db_notify_fd(st->conn);
}

void store_set_err(struct store *st, const char *fmt, ...)
{
	assert(st && fmt);
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	free(st->err);
	st->err = msg;
}

/* SQLite goes on writing to a database file that was unlinked or replaced
 * under it, and everything written would be lost: refuse instead. */
static enum store_status check_same_file(struct store *st, const char *what)
{
	struct stat sb;
	if (stat(st->path, &sb) != 0) {
		store_set_err(st, "%s: the database file %s was removed while countersign was using it (%s); "
			"nothing more is recorded", what, st->path, strerror(errno));
		return STORE_FAILED;
	}
	if (sb.st_dev != st->dev || sb.st_ino != st->ino) {
		store_set_err(st, "%s: the database file %s was replaced while countersign was using it; "
			"nothing more is recorded", what, st->path);
		return STORE_FAILED;
	}
	return STORE_OK;
}

enum store_status store_begin(struct store *st, bool immediate, const char *what)
{
	st->fail_busy = false;
	st->fail_unknown = false;
	if (immediate && st->read_only) {
		store_set_err(st, "%s: %s is open read-only", what, st->path);
		return STORE_FAILED;
	}
	if (immediate && !store_is_pg(st) && check_same_file(st, what) != STORE_OK)
		return STORE_FAILED;
	enum db_rc rc = db_begin(st->conn, immediate);
	if (rc != DB_OK)
		return store_fail(st, rc, what);
	return STORE_OK;
}

enum store_status store_commit(struct store *st, const char *what)
{
	if (!store_is_pg(st)) {
		sqlite3 *h = db_sqlite_handle(st->conn);
		/* Only what store_begin opened is committed: statements run
		 * without it would each have committed on their own, not all or
		 * nothing. */
		assert(!sqlite3_get_autocommit(h));
		/* A write transaction commits only into the file it began on. */
		if (sqlite3_txn_state(h, NULL) == SQLITE_TXN_WRITE && check_same_file(st, what) != STORE_OK) {
			store_rollback(st);
			return STORE_FAILED;
		}
	}
	enum db_rc rc = db_commit(st->conn);
	if (rc != DB_OK) {
		enum store_status s = store_fail(st, rc, what);
		st->fail_unknown = db_outcome_unknown(st->conn);
		store_rollback(st);
		return s;
	}
	return STORE_OK;
}

void store_rollback(struct store *st)
{
	db_rollback(st->conn);
}

bool store_is_pg(const struct store *st)
{
	assert(st && st->conn);
	return db_engine(st->conn) == DB_POSTGRES;
}

enum store_status store_fail(struct store *st, enum db_rc rc, const char *what)
{
	assert(st && st->conn && what);
	st->fail_status = rc == DB_UNAVAILABLE ? STORE_UNAVAILABLE : STORE_FAILED;
	st->fail_busy = rc == DB_BUSY;
	if (store_is_pg(st)) {
		/* the words a front end prints for a server it cannot reach, as an
		 * open that fails says them */
		store_set_err(st, "%s: %s%s", what, rc == DB_UNAVAILABLE ? "the database cannot be reached: " : "",
			db_error(st->conn));
		return st->fail_status;
	}
	/* SQLite says "disk I/O error" for a full disk met while writing the
	 * WAL; the system error tells them apart. */
	sqlite3 *h = db_sqlite_handle(st->conn);
	int code = sqlite3_errcode(h);
	if (code == SQLITE_FULL || (code == SQLITE_IOERR && sqlite3_system_errno(h) == ENOSPC))
		store_set_err(st, "%s: the disk holding %s is full; free space there and try again", what, st->path);
	else if (code == SQLITE_READONLY && st->read_only)
		store_set_err(st, "%s: %s is open read-only", what, st->path);
	else
		store_set_err(st, "%s: %s", what, sqlite3_errmsg(h));
	return st->fail_status;
}

bool store_busy(const struct store *st)
{
	assert(st);
	return st->fail_busy;
}

bool store_outcome_unknown(const struct store *st)
{
	assert(st);
	return st->fail_unknown;
}

enum store_status store_last_failure(const struct store *st)
{
	return st->fail_status == STORE_UNAVAILABLE ? STORE_UNAVAILABLE : STORE_FAILED;
}

struct db_stmt *store_stmt(struct store *st, const char *sql)
{
	assert(st && st->conn && sql);
	struct db_stmt *stmt = NULL;
	enum db_rc rc = db_prepare(st->conn, sql, &stmt);
	if (rc != DB_OK) {
		store_fail(st, rc, "cannot prepare a statement");
		return NULL;
	}
	return stmt;
}

void store_bind_str(struct db_stmt *stmt, int idx, const char *s)
{
	db_bind_text(stmt, idx, s ? s : "");
}

const char *store_col_str(struct db_stmt *stmt, int col)
{
	const char *s = db_column_text(stmt, col);
	return s ? s : "";
}

char *store_col_dup(struct db_stmt *stmt, int col)
{
	return xstrdup(store_col_str(stmt, col));
}

const char *store_sql(const struct store *st, enum store_sql_piece piece)
{
	bool pg = store_is_pg(st);
	switch (piece) {
	case STORE_SQL_PAYLOAD_RUN: return pg ? "(payload::jsonb ->> 'run')" : "json_extract(payload, '$.run')";
	case STORE_SQL_NO_INDEX: return pg ? "" : "+";
	}
	assert(!"unknown SQL piece");
	return "";
}

bool store_is_sha_hex(const char *s)
{
	size_t i = 0;
	for (; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == EVENT_HASH_HEX - 1;
}
