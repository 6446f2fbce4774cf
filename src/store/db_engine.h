/* Private to src/store: what an SQL engine provides behind db.h. db.c
 * dispatches every db_* call through the db_ops of the connection's
 * engine; each engine (db_sqlite.c, db_pg.c) defines one const instance.
 *
 * Memory: an engine's connection and statement structs embed struct db
 * and struct db_stmt as their FIRST member (so the engine casts back).
 * The engine allocates them in open/prepare and frees them in
 * close/finalize. The common fields below belong to db.c: the engine
 * initializes a connection with db_base_init() and reports failures with
 * db_set_error(); db.c frees location and error before calling close. */
#ifndef COUNTERSIGN_STORE_DB_ENGINE_H
#define COUNTERSIGN_STORE_DB_ENGINE_H

#include "db.h"

struct db {
	const struct db_ops *ops;
	char *location;          /* as given, any password removed (db_base_init copies it) */
	char *error;             /* the last failure's message; NULL when none */
	struct db_stmt *stmts;   /* live statements, finalized by db_close */
	bool outcome_unknown;    /* the last db_commit failed after the commit was sent */
};

struct db_stmt {
	struct db *db;           /* the connection; the engine sets it in prepare */
	struct db_stmt *next;    /* db.c's list of DB's live statements */
	struct db_stmt *prev;
};

/* One engine. Every member is required except in db_pg_stub.c, whose open
 * always fails so nothing else is ever called. db.c has already asserted
 * the pointers it passes are non-NULL and indexes are >= 1 (bind) or >= 0
 * (columns); the engine checks the upper bounds. */
struct db_ops {
	enum db_engine engine;
	/* As db_open. On success *OUT is a connection the engine allocated
	 * and initialized with db_base_init; on failure *ERR is malloc'd. */
	enum db_rc (*open)(const char *location, enum db_open_mode mode, struct db **out, char **err);
	/* Releases the engine's resources and frees DB (statements are
	 * already finalized; location and error already freed). */
	void (*close)(struct db *db);
	enum db_rc (*exec)(struct db *db, const char *sql);
	/* On success *OUT->db must be DB; db.c links it into DB's list. */
	enum db_rc (*prepare)(struct db *db, const char *sql, struct db_stmt **out);
	/* Frees STMT (db.c has unlinked it). */
	void (*finalize)(struct db_stmt *stmt);
	void (*reset)(struct db_stmt *stmt);
	void (*bind_text)(struct db_stmt *stmt, int idx, const char *text);  /* never NULL here */
	void (*bind_int64)(struct db_stmt *stmt, int idx, int64_t v);
	void (*bind_blob)(struct db_stmt *stmt, int idx, const void *data, size_t len);
	void (*bind_null)(struct db_stmt *stmt, int idx);
	enum db_rc (*step)(struct db_stmt *stmt);
	const char *(*column_text)(struct db_stmt *stmt, int col);
	int64_t (*column_int64)(struct db_stmt *stmt, int col);
	const void *(*column_blob)(struct db_stmt *stmt, int col, size_t *len);
	bool (*column_is_null)(struct db_stmt *stmt, int col);
	int (*column_count)(struct db_stmt *stmt);
	enum db_rc (*begin)(struct db *db, bool write);
	enum db_rc (*commit)(struct db *db);
	void (*rollback)(struct db *db);
	int64_t (*changes)(struct db *db);
	int64_t (*data_version)(struct db *db);
	int (*notify_fd)(struct db *db);
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

struct sqlite3;
/* Wraps HANDLE, a SQLite connection the caller opened and configured (the
 * store opens its file itself: WAL, read-only or immutable reads, the
 * checks of a foreign file), as a db.h connection to LOCATION. The
 * connection owns HANDLE from then on: db_close closes it. Returns the
 * connection (never NULL; allocation failure aborts). */
struct db *db_sqlite_adopt(struct sqlite3 *handle, const char *location);
/* The SQLite connection under DB (a SQLite db.h connection), for what
 * only SQLite has: PRAGMAs, its schema table, transaction state. Borrowed. */
struct sqlite3 *db_sqlite_handle(struct db *db);

/* Fills DB's common fields: OPS, a copy of LOCATION (already without any
 * password), no error, no statements. */
void db_base_init(struct db *db, const struct db_ops *ops, const char *location);
/* Replaces DB's last failure message with the formatted one. */
void db_set_error(struct db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
