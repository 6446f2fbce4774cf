/* libpq, loaded when the first PostgreSQL location is opened rather than
 * when the program starts: a command on a SQLite record (and --version)
 * then maps none of libpq's twenty-odd dependencies (Kerberos, LDAP, TLS...),
 * which cost every command most of its start-up. The program is compiled
 * against libpq's headers only and calls it through this table, filled by
 * dlsym from libpq.so.5. Every PQ* function the PostgreSQL engine calls is
 * here; a new one needs a member and a line in db_pq.c's symbol list.
 * Private to src/store. */
#ifndef COUNTERSIGN_STORE_DB_PQ_H
#define COUNTERSIGN_STORE_DB_PQ_H

#include <libpq-fe.h>

/* Members are named as the functions (libpq-fe.h declares none of these as
 * macros); __typeof__ keeps each pointer's type exactly the header's. */
struct db_pq {
	__typeof__(PQbackendPID) *PQbackendPID;
	__typeof__(PQclear) *PQclear;
	__typeof__(PQcmdStatus) *PQcmdStatus;
	__typeof__(PQcmdTuples) *PQcmdTuples;
	__typeof__(PQconnectPoll) *PQconnectPoll;
	__typeof__(PQconnectStartParams) *PQconnectStartParams;
	__typeof__(PQconnectdbParams) *PQconnectdbParams;
	__typeof__(PQconnectionNeedsPassword) *PQconnectionNeedsPassword;
	__typeof__(PQconninfoFree) *PQconninfoFree;
	__typeof__(PQconninfoParse) *PQconninfoParse;
	__typeof__(PQconsumeInput) *PQconsumeInput;
	__typeof__(PQerrorMessage) *PQerrorMessage;
	__typeof__(PQfinish) *PQfinish;
	__typeof__(PQflush) *PQflush;
	__typeof__(PQfreemem) *PQfreemem;
	__typeof__(PQftype) *PQftype;
	__typeof__(PQgetisnull) *PQgetisnull;
	__typeof__(PQgetResult) *PQgetResult;
	__typeof__(PQgetlength) *PQgetlength;
	__typeof__(PQgetvalue) *PQgetvalue;
	__typeof__(PQisBusy) *PQisBusy;
	__typeof__(PQnfields) *PQnfields;
	__typeof__(PQnotifies) *PQnotifies;
	__typeof__(PQntuples) *PQntuples;
	__typeof__(PQreset) *PQreset;
	__typeof__(PQresultErrorField) *PQresultErrorField;
	__typeof__(PQresultErrorMessage) *PQresultErrorMessage;
	__typeof__(PQresultStatus) *PQresultStatus;
	__typeof__(PQsendQuery) *PQsendQuery;
	__typeof__(PQsendQueryParams) *PQsendQueryParams;
	__typeof__(PQsetnonblocking) *PQsetnonblocking;
	__typeof__(PQsetNoticeProcessor) *PQsetNoticeProcessor;
	__typeof__(PQsocket) *PQsocket;
	__typeof__(PQstatus) *PQstatus;
	__typeof__(PQtransactionStatus) *PQtransactionStatus;
	__typeof__(PQunescapeBytea) *PQunescapeBytea;
};

/* The table, loading libpq on the first call; later calls give the same
 * answer without trying again. Returns NULL when libpq cannot be loaded:
 * db_pq_error() then says why. The table and the library stay until the
 * program exits; nothing to free. */
const struct db_pq *db_pq_load(void);

/* Why libpq cannot be loaded: "PostgreSQL locations need libpq
 * (libpq.so.5): " and the loader's reason. Static; only after db_pq_load
 * returned NULL. */
const char *db_pq_error(void);

/* The table, for code that runs only on a connection db_pq_load made
 * possible (everything in db_pg.c after pg_open's first line, and
 * db_pg_stmt.c); asserts that it is loaded. */
const struct db_pq *db_pq(void);

#endif
