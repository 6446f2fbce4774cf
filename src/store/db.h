/* The store's one interface to a SQL engine: SQLite (a file) or PostgreSQL
 * (a server, through libpq). Nothing outside src/store includes this; the
 * store's SQL is written once, in the subset both engines accept:
 * '?' placeholders (numbered $1, $2... for PostgreSQL by db_pg.c),
 * INSERT ... ON CONFLICT DO NOTHING, RETURNING, no PRAGMA, no engine
 * functions. What differs (the schema's types and triggers, change
 * notification, locking) lives behind this interface.
 *
 * Errors: every call that can fail returns an enum db_rc; the message of
 * the last failure is db_error() (borrowed, valid until the next call). */
#ifndef COUNTERSIGN_STORE_DB_H
#define COUNTERSIGN_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum db_engine { DB_SQLITE, DB_POSTGRES };

enum db_rc {
	DB_OK,
	DB_ROW,          /* db_step: a row is ready */
	DB_DONE,         /* db_step: no (more) rows */
	DB_BUSY,         /* another writer holds the lock, or a serialization failure: retry the transaction */
	DB_CONSTRAINT,   /* a unique key, check or trigger refused the write */
	DB_UNAVAILABLE,  /* the server cannot be reached or the connection was lost: nothing was written */
	DB_READONLY,     /* the connection or the file is read-only */
	DB_ERROR,        /* anything else (SQL error, out of memory, corrupt file) */
};

enum db_open_mode {
	DB_OPEN_READ_WRITE,  /* must exist (SQLite: the file; PostgreSQL: the database) */
	DB_OPEN_CREATE,      /* SQLite: create the file when missing; PostgreSQL: as READ_WRITE */
	DB_OPEN_READ_ONLY,   /* a connection that cannot write */
};

struct db;
struct db_stmt;

/* Which engine LOCATION names: "postgresql://...", "postgres://..." or a
 * libpq keyword string ("service=NAME", "host=... dbname=...") is
 * PostgreSQL; anything else is a SQLite path. */
enum db_engine db_engine_of(const char *location);

/* Opens LOCATION. On success *OUT is the connection (db_close frees it).
 * On failure returns the reason and sets *ERR to a malloc'd message the
 * caller frees (*OUT NULL). A PostgreSQL location that holds a password
 * is refused (DB_ERROR) with a message saying where passwords belong
 * (~/.pgpass, PGPASSFILE, PGPASSWORD): a command line is visible in ps. */
enum db_rc db_open(const char *location, enum db_open_mode mode, struct db **out, char **err);
/* Closes DB and finalizes its statements; NULL is a no-op. */
void db_close(struct db *db);

enum db_engine db_engine(const struct db *db);
/* The location as given, with any password removed (borrowed). */
const char *db_location(const struct db *db);
/* The message of the last failure on DB (borrowed; "" when none). */
const char *db_error(const struct db *db);

/* Runs SQL, one or more statements without parameters or rows. */
enum db_rc db_exec(struct db *db, const char *sql);

/* Prepares one statement of SQL with '?' placeholders. *OUT is freed by
 * db_finalize (or db_close). */
enum db_rc db_prepare(struct db *db, const char *sql, struct db_stmt **out);
/* Frees STMT; NULL is a no-op. */
void db_finalize(struct db_stmt *stmt);
/* Makes STMT ready to run again with new bindings (bindings are cleared). */
void db_reset(struct db_stmt *stmt);

/* Binds parameter IDX (1-based). Text and blobs are copied. */
void db_bind_text(struct db_stmt *stmt, int idx, const char *text);  /* NULL binds NULL */
void db_bind_int64(struct db_stmt *stmt, int idx, int64_t v);
void db_bind_blob(struct db_stmt *stmt, int idx, const void *data, size_t len);
void db_bind_null(struct db_stmt *stmt, int idx);

/* Runs STMT (the first call) and moves to its next row: DB_ROW, DB_DONE,
 * or an error. */
enum db_rc db_step(struct db_stmt *stmt);
/* Columns of the current row (0-based). Text and blobs are borrowed until
 * the next db_step, db_reset or db_finalize; NULL for SQL NULL. */
const char *db_column_text(struct db_stmt *stmt, int col);
int64_t db_column_int64(struct db_stmt *stmt, int col);
const void *db_column_blob(struct db_stmt *stmt, int col, size_t *len);
bool db_column_is_null(struct db_stmt *stmt, int col);
int db_column_count(struct db_stmt *stmt);

/* Transactions. WRITE: the transaction will write, so it takes the write
 * lock at once (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-level
 * advisory lock on the record, so that appends are serialized exactly as on
 * SQLite). DB_BUSY when the lock could not be had in the engine's wait.
 * A statement that fails inside a transaction ends it on PostgreSQL (the
 * server aborts it; db_commit rolls back and returns that failure), so
 * after any failure inside a transaction, roll back and start again.
 * PostgreSQL: a write transaction's db_commit sends NOTIFY countersign; a
 * connection lost inside a transaction is DB_UNAVAILABLE until db_rollback,
 * and the next db_begin, db_exec or statement reconnects. */
enum db_rc db_begin(struct db *db, bool write);
enum db_rc db_commit(struct db *db);
/* True when the last db_commit failed after the commit reached the server
 * and its answer was lost (PostgreSQL: the connection went or the server
 * fell silent): whether the transaction was written is unknown. */
bool db_outcome_unknown(const struct db *db);
/* Never fails in a way the caller can act on: the transaction is gone. */
void db_rollback(struct db *db);

/* Rows changed by the last INSERT, UPDATE or DELETE statement. */
int64_t db_changes(struct db *db);

/* Change notification: a number that changes whenever another connection
 * committed a change (SQLite: PRAGMA data_version; PostgreSQL: a counter
 * bumped by NOTIFY countersign messages received). Reading it may consume
 * pending notifications. */
int64_t db_data_version(struct db *db);
/* A file descriptor that becomes readable when another connection may
 * have committed (PostgreSQL: the connection's socket, after LISTEN);
 * -1 when the engine has none (SQLite: poll data_version on a tick).
 * Ask again before each poll(): a reconnection changes it. Running any
 * statement may read pending notifications off the socket (so it is no
 * longer readable): call db_data_version after statements too, or on a
 * tick. */
int db_notify_fd(struct db *db);

#endif
