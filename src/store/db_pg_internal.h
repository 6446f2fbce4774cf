/* Private to the PostgreSQL engine (db_pg.c: connections, transactions,
 * notification; db_pg_stmt.c: statements): the connection, what a statement
 * needs from it, and the statement members of db_pg_ops. */
#ifndef COUNTERSIGN_STORE_DB_PG_INTERNAL_H
#define COUNTERSIGN_STORE_DB_PG_INTERNAL_H

#include <assert.h>
#include "db_pq.h"

#include "db_engine.h"

struct pg_db {
	struct db base;       /* first: db.c's view */
	PGconn *conn;
	bool read_only;
	bool in_txn;          /* between db_begin (or a BEGIN) and its end */
	bool txn_write;       /* the transaction was begun with write */
	enum db_rc txn_failure;  /* the first failure inside the transaction */
	int64_t changes;
	int64_t version;      /* bumped per other connection's NOTIFY */
	int timed_out_ms;     /* the last command got no answer within this */
};

/* How long a command waits for the server's answer before the connection
 * is given up as unreachable (db_pg_wait.c). A server that is up but slow
 * past this is rare: every statement of the record is an index lookup or
 * an append, and a write waits at most DB_PG_LOCK_TIMEOUT_MS for a lock. */
#define DB_PG_DEADLINE_MS 30000

static inline struct pg_db *conn_of(struct db *db)
{
	assert(db && db->ops == &db_pg_ops);
	return (struct pg_db *)db;
}

/* The parameters of every connection (PQconnectdbParams' form, expanding
 * dbname): the keywords, and their values for LOCATION, which comes last so
 * that its own settings win. VALS borrows LOCATION. */
#define DB_PG_N_PARAMS 8
extern const char *const db_pg_param_keys[DB_PG_N_PARAMS];
void db_pg_params(const char *location, const char *vals[DB_PG_N_PARAMS]);

/* Makes DB usable before a command: outside a transaction, a connection
 * libpq knows to be lost is re-established once (*RECONNECTED then true);
 * inside one it is DB_UNAVAILABLE. */
enum db_rc db_pg_ensure_connected(struct pg_db *db, bool *reconnected);
/* Records the failure of a command (RES may be NULL: a lost connection),
 * frees RES and returns what it means. */
enum db_rc db_pg_fail(struct pg_db *db, PGresult *res);
/* Notes the row count of a successful INSERT, UPDATE or DELETE result. */
void db_pg_note_changes(struct pg_db *db, PGresult *res);
/* Follows the server's transaction state after a successful command. */
void db_pg_track_txn(struct pg_db *db);

/* db_pg_wait.c: PQexec and PQexecParams (text results), each waiting for
 * the answer up to the deadline with the socket polled, not blocked on.
 * Return the last result (the caller PQclears it), or NULL when the command
 * could not be sent or got no answer in time (the connection is then
 * failed: PQstatus CONNECTION_BAD, and timed_out_ms set for db_pg_fail). */
PGresult *db_pg_exec(struct pg_db *db, const char *sql);
PGresult *db_pg_exec_params(struct pg_db *db, const char *sql, int n, const Oid *types,
	const char *const *values, const int *lens, const int *formats);
/* The answer to a command already sent, as db_pg_exec's. */
PGresult *db_pg_wait_result(struct pg_db *db);
/* The deadline in force (DB_PG_DEADLINE_MS, or the test build's). */
int db_pg_deadline_ms(void);

/* db_pg_stmt.c: the statement members of db_pg_ops (db_engine.h). */
enum db_rc db_pg_prepare(struct db *db, const char *sql, struct db_stmt **out);
void db_pg_finalize(struct db_stmt *stmt);
void db_pg_reset(struct db_stmt *stmt);
void db_pg_bind_text(struct db_stmt *stmt, int idx, const char *text);
void db_pg_bind_int64(struct db_stmt *stmt, int idx, int64_t v);
void db_pg_bind_blob(struct db_stmt *stmt, int idx, const void *data, size_t len);
void db_pg_bind_null(struct db_stmt *stmt, int idx);
enum db_rc db_pg_step(struct db_stmt *stmt);
const char *db_pg_column_text(struct db_stmt *stmt, int col);
int64_t db_pg_column_int64(struct db_stmt *stmt, int col);
const void *db_pg_column_blob(struct db_stmt *stmt, int col, size_t *len);
bool db_pg_column_is_null(struct db_stmt *stmt, int col);
int db_pg_column_count(struct db_stmt *stmt);

#endif
