/* db.h's PostgreSQL engine, through libpq.
 *
 * A statement is the store's SQL with its '?' placeholders numbered $1..$n,
 * run with PQexecParams (text parameters; blobs bound in binary as bytea)
 * at its first db_step; the whole result is fetched then and db_step walks
 * it. Columns come back as text; bytea columns are decoded with
 * PQunescapeBytea when read as blobs.
 *
 * Writers are serialized as on SQLite: db_begin(write) takes a transaction
 * advisory lock, waiting up to DB_PG_LOCK_TIMEOUT_MS (then DB_BUSY), and
 * db_commit of a write transaction sends NOTIFY countersign, which every
 * other connection LISTENs to (db_data_version, db_notify_fd).
 *
 * A lost connection is DB_UNAVAILABLE. Outside a transaction the next
 * db_begin, db_exec or first db_step reconnects once (a statement that
 * failed is never re-sent: it may have been applied); inside one it never
 * does, so a transaction is never silently split across two sessions.
 * After a statement fails inside a transaction, PostgreSQL has aborted the
 * whole transaction (SQLite keeps it): db_commit then rolls back and
 * returns that failure. */
#include "db_engine.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/util.h"

/* How long db_begin(write) waits for another writer's lock (SQLite's busy
 * timeout is the same). */
#define DB_PG_LOCK_TIMEOUT_MS 10000
#define DB_PG_STR(x) DB_PG_STR_(x)
#define DB_PG_STR_(x) #x
/* The advisory lock that serializes writers: "counters" in ASCII. */
#define DB_PG_WRITE_LOCK_KEY "7165064483209179763"
#define DB_PG_CHANNEL "countersign"

/* Type OIDs (server header catalog/pg_type_d.h, not shipped with libpq). */
#define PG_BOOLOID 16
#define PG_BYTEAOID 17
#define PG_INT8OID 20

struct pg_db {
	struct db base;       /* first: db.c's view */
	PGconn *conn;
	bool read_only;
	bool in_txn;          /* between db_begin (or a BEGIN) and its end */
	bool txn_write;       /* the transaction was begun with write */
	enum db_rc txn_failure;  /* the first failure inside the transaction */
	int64_t changes;
	int64_t version;      /* bumped per other connection's NOTIFY */
};

struct pg_param {
	char *value;          /* NULL: SQL NULL */
	int len;
	int format;           /* 0 text, 1 binary (blobs) */
	Oid type;             /* 0: the server infers it */
};

struct pg_stmt {
	struct db_stmt base;  /* first: db.c's view */
	char *sql;            /* with $1..$n */
	int nparams;
	struct pg_param *params;
	enum db_rc bind_rc;   /* a failed bind, reported by the next db_step */
	PGresult *res;        /* NULL until run */
	int row;              /* the current row, -1 before the first */
	unsigned char **blobs;   /* decoded bytea of the current row, per column */
	size_t *blob_lens;
};

static struct pg_db *conn_of(struct db *db)
{
	assert(db && db->ops == &db_pg_ops);
	return (struct pg_db *)db;
}

static struct pg_stmt *stmt_of(struct db_stmt *stmt)
{
	assert(stmt && stmt->db->ops == &db_pg_ops);
	return (struct pg_stmt *)stmt;
}

/* libpq's messages end in a newline; db_error's do not. */
static char *trimmed(const char *msg)
{
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	return xstrndup(msg, n);
}

static bool is_unavailable_state(const char *state)
{
	return strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
		strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0;
}

/* What a failed command's SQLSTATE (or a lost connection) means. */
static enum db_rc map_state(PGconn *conn, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (PQstatus(conn) == CONNECTION_BAD || (state && is_unavailable_state(state)))
		return DB_UNAVAILABLE;
	if (!state)
		return DB_ERROR;
	if (strncmp(state, "23", 2) == 0)
		return DB_CONSTRAINT;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0)
		return DB_BUSY;
	if (strcmp(state, "25006") == 0)
		return DB_READONLY;
	return DB_ERROR;
}

/* Follows the server's transaction state after a command, so that a BEGIN
 * or COMMIT sent through db_exec counts too. */
static void track_txn(struct pg_db *db)
{
	switch (PQtransactionStatus(db->conn)) {
	case PQTRANS_IDLE:
		db->in_txn = false;
		db->txn_write = false;
		db->txn_failure = DB_OK;
		break;
	case PQTRANS_INTRANS:
	case PQTRANS_INERROR:
		db->in_txn = true;
		break;
	default:
		break;  /* lost or busy: keep what db_begin said */
	}
}

/* Records the failure of a command (RES may be NULL) and maps it. Frees RES. */
static enum db_rc fail(struct pg_db *db, PGresult *res)
{
	enum db_rc rc = map_state(db->conn, res);
	const char *msg = res ? PQresultErrorMessage(res) : "";
	char *text = trimmed(*msg ? msg : PQerrorMessage(db->conn));
	if (rc == DB_UNAVAILABLE)
		db_set_error(&db->base, "PostgreSQL unreachable: %s", *text ? text : "connection lost");
	else
		db_set_error(&db->base, "%s", text);
	free(text);
	PQclear(res);
	if (db->in_txn && db->txn_failure == DB_OK)
		db->txn_failure = rc;
	if (rc != DB_UNAVAILABLE)
		track_txn(db);
	return rc;
}

/* Notes the row count of an INSERT, UPDATE or DELETE result. */
static void note_changes(struct pg_db *db, PGresult *res)
{
	const char *status = PQcmdStatus(res);
	if (strncmp(status, "INSERT ", 7) == 0 || strncmp(status, "UPDATE ", 7) == 0 ||
		strncmp(status, "DELETE ", 7) == 0 || strncmp(status, "MERGE ", 6) == 0)
		db->changes = strtoll(PQcmdTuples(res), NULL, 10);
}

/* libpq prints notices (and a server's shutdown message) on stderr by
 * default, over the terminal interface: the store reports through db_error
 * instead. */
static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* What every session needs: LISTEN, and read-only transactions when asked. */
static enum db_rc session_setup(struct pg_db *db)
{
	PGresult *res = PQexec(db->conn, db->read_only
		? "LISTEN " DB_PG_CHANNEL "; SET default_transaction_read_only = on"
		: "LISTEN " DB_PG_CHANNEL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return fail(db, res);
	PQclear(res);
	return DB_OK;
}

/* Re-establishes a lost connection (never inside a transaction). Anything
 * may have been committed meanwhile, unseen: the data version moves. */
static enum db_rc reconnect(struct pg_db *db, bool *reconnected)
{
	assert(!db->in_txn);
	*reconnected = true;
	PQreset(db->conn);
	if (PQstatus(db->conn) != CONNECTION_OK)
		return fail(db, NULL);
	db->version++;
	return session_setup(db);
}

/* Makes the connection usable before a command: outside a transaction, a
 * connection libpq knows to be lost is re-established once; inside one it
 * is DB_UNAVAILABLE. Reading what the server sent first may reveal the
 * loss (its end of the socket closed) before a statement is spent on it.
 * *RECONNECTED says whether this call reconnected. */
static enum db_rc ensure_connected(struct pg_db *db, bool *reconnected)
{
	*reconnected = false;
	if (PQstatus(db->conn) == CONNECTION_OK)
		(void)PQconsumeInput(db->conn);
	if (PQstatus(db->conn) == CONNECTION_OK)
		return DB_OK;
	if (db->in_txn) {
		db_set_error(&db->base, "PostgreSQL unreachable: the connection was lost in a transaction; "
			"nothing of it was written");
		return DB_UNAVAILABLE;
	}
	return reconnect(db, reconnected);
}

/* Wipes and frees what PQconninfoParse returned: it may hold a password. */
static void free_conninfo(PQconninfoOption *opts)
{
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (o->val)
			sodium_memzero(o->val, strlen(o->val));
	PQconninfoFree(opts);
}

/* DB_OK when LOCATION parses and holds no password; otherwise *ERR. */
static enum db_rc check_location(const char *location, char **err)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(location, &perr);
	if (!opts) {
		char *msg = perr ? trimmed(perr) : xstrdup("out of memory");
		*err = xasprintf("invalid PostgreSQL location: %s", msg);
		free(msg);
		PQfreemem(perr);
		return DB_ERROR;
	}
	bool has_password = false;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0])
			has_password = true;
	free_conninfo(opts);
	if (has_password) {
		*err = xstrdup("refusing a PostgreSQL location that holds a password (a command line "
			"is visible in ps): put the password in ~/.pgpass or the file PGPASSFILE names, "
			"or in PGPASSWORD, and leave it out of the location");
		return DB_ERROR;
	}
	return DB_OK;
}

static enum db_rc pg_open(const char *location, enum db_open_mode mode, struct db **out, char **err)
{
	enum db_rc rc = check_location(location, err);
	if (rc != DB_OK)
		return rc;
	/* The location comes last so that its own connect_timeout wins. */
	const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
	const char *const vals[] = {"10", "countersign", location, NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	if (!conn) {
		*err = xstrdup("cannot connect to PostgreSQL: out of memory");
		return DB_ERROR;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		char *msg = trimmed(PQerrorMessage(conn));
		bool needs_password = PQconnectionNeedsPassword(conn);
		*err = xasprintf("cannot connect to PostgreSQL: %s%s", msg, needs_password
			? " (the password belongs in ~/.pgpass, PGPASSFILE or PGPASSWORD)" : "");
		free(msg);
		PQfinish(conn);
		return needs_password ? DB_ERROR : DB_UNAVAILABLE;
	}
	PQsetNoticeProcessor(conn, ignore_notice, NULL);
	struct pg_db *db = xcalloc(1, sizeof *db);
	db_base_init(&db->base, &db_pg_ops, location);
	db->conn = conn;
	db->read_only = mode == DB_OPEN_READ_ONLY;
	rc = session_setup(db);
	if (rc != DB_OK) {
		*err = xstrdup(db_error(&db->base));
		free(db->base.location);
		free(db->base.error);
		PQfinish(conn);
		free(db);
		return rc;
	}
	*out = &db->base;
	return DB_OK;
}

static void pg_close(struct db *base)
{
	struct pg_db *db = conn_of(base);
	PQfinish(db->conn);
	free(db);
}

static enum db_rc pg_exec(struct db *base, const char *sql)
{
	struct pg_db *db = conn_of(base);
	bool reconnected;
	enum db_rc rc = ensure_connected(db, &reconnected);
	if (rc != DB_OK)
		return rc;
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
		return fail(db, res);
	note_changes(db, res);
	PQclear(res);
	track_txn(db);
	return DB_OK;
}

/* The length of the quoted run at SQL (a '...' literal, "..." identifier,
 * -- or block comment) that a '?' inside must not number; 0 when SQL does
 * not start one. An unterminated run extends to the end. */
static size_t quoted_len(const char *sql)
{
	if (sql[0] == '\'' || sql[0] == '"') {
		const char *p = sql + 1;
		for (;;) {
			p = strchr(p, sql[0]);
			if (!p)
				return strlen(sql);
			if (p[1] != sql[0])
				return (size_t)(p + 1 - sql);
			p += 2;  /* a doubled quote stays inside */
		}
	}
	if (sql[0] == '-' && sql[1] == '-')
		return strcspn(sql, "\n");
	if (sql[0] == '/' && sql[1] == '*') {
		const char *end = strstr(sql + 2, "*/");
		return end ? (size_t)(end + 2 - sql) : strlen(sql);
	}
	return 0;
}

/* SQL with each '?' outside literals, identifiers and comments replaced by
 * $1, $2...; *N the number of placeholders. The caller frees the result. */
static char *number_placeholders(const char *sql, int *n)
{
	struct strbuf sb = {0};
	*n = 0;
	while (*sql) {
		size_t q = quoted_len(sql);
		if (q > 0) {
			strbuf_add(&sb, sql, q);
			sql += q;
		} else if (*sql == '?') {
			strbuf_addf(&sb, "$%d", ++*n);
			sql++;
		} else {
			strbuf_add(&sb, sql, 1);
			sql++;
		}
	}
	return strbuf_detach(&sb);
}

static enum db_rc pg_prepare(struct db *base, const char *sql, struct db_stmt **out)
{
	struct pg_stmt *st = xcalloc(1, sizeof *st);
	st->base.db = base;
	st->sql = number_placeholders(sql, &st->nparams);
	if (st->nparams > 0)
		st->params = xcalloc((size_t)st->nparams, sizeof *st->params);
	st->row = -1;
	*out = &st->base;
	return DB_OK;
}

/* Forgets the current row's decoded blobs. */
static void clear_row(struct pg_stmt *st)
{
	if (!st->blobs)
		return;
	int cols = PQnfields(st->res);
	for (int i = 0; i < cols; i++)
		PQfreemem(st->blobs[i]);
	memset(st->blobs, 0, (size_t)cols * sizeof *st->blobs);
}

static void clear_result(struct pg_stmt *st)
{
	clear_row(st);
	free(st->blobs);
	free(st->blob_lens);
	st->blobs = NULL;
	st->blob_lens = NULL;
	PQclear(st->res);
	st->res = NULL;
	st->row = -1;
}

static void clear_param(struct pg_param *p)
{
	free(p->value);
	memset(p, 0, sizeof *p);
}

static void pg_reset(struct db_stmt *stmt)
{
	struct pg_stmt *st = stmt_of(stmt);
	clear_result(st);
	for (int i = 0; i < st->nparams; i++)
		clear_param(&st->params[i]);
	st->bind_rc = DB_OK;
}

static void pg_finalize(struct db_stmt *stmt)
{
	struct pg_stmt *st = stmt_of(stmt);
	pg_reset(stmt);
	free(st->params);
	free(st->sql);
	free(st);
}

/* The parameter IDX (1-based) cleared for a new value; NULL (and the
 * statement's bind_rc set) when the statement has no such parameter. */
static struct pg_param *param(struct pg_stmt *st, int idx)
{
	if (idx > st->nparams) {
		db_set_error(st->base.db, "bind: parameter %d of a statement with %d", idx, st->nparams);
		st->bind_rc = DB_ERROR;
		return NULL;
	}
	struct pg_param *p = &st->params[idx - 1];
	clear_param(p);
	return p;
}

static void pg_bind_text(struct db_stmt *stmt, int idx, const char *text)
{
	struct pg_param *p = param(stmt_of(stmt), idx);
	if (p)
		p->value = xstrdup(text);
}

static void pg_bind_int64(struct db_stmt *stmt, int idx, int64_t v)
{
	struct pg_param *p = param(stmt_of(stmt), idx);
	if (!p)
		return;
	/* Typed, so that "? + 1" or "? IS NULL" need no cast. */
	p->value = xasprintf("%" PRId64, v);
	p->type = PG_INT8OID;
}

static void pg_bind_blob(struct db_stmt *stmt, int idx, const void *data, size_t len)
{
	struct pg_param *p = param(stmt_of(stmt), idx);
	if (!p)
		return;
	assert(len <= INT32_MAX);
	p->value = xmalloc(len);
	if (len)
		memcpy(p->value, data, len);
	p->len = (int)len;
	p->format = 1;  /* bytea's binary form is its bytes */
	p->type = PG_BYTEAOID;
}

static void pg_bind_null(struct db_stmt *stmt, int idx)
{
	(void)param(stmt_of(stmt), idx);
}

/* Runs ST and keeps its whole result. */
static enum db_rc run(struct pg_stmt *st)
{
	struct pg_db *db = conn_of(st->base.db);
	bool reconnected;
	enum db_rc rc = ensure_connected(db, &reconnected);
	if (rc != DB_OK)
		return rc;
	int n = st->nparams;
	const char **values = xcalloc((size_t)n, sizeof *values);
	int *lens = xcalloc((size_t)n, sizeof *lens);
	int *formats = xcalloc((size_t)n, sizeof *formats);
	Oid *types = xcalloc((size_t)n, sizeof *types);
	for (int i = 0; i < n; i++) {
		values[i] = st->params[i].value;
		lens[i] = st->params[i].len;
		formats[i] = st->params[i].format;
		types[i] = st->params[i].type;
	}
	PGresult *res = PQexecParams(db->conn, st->sql, n, types, values, lens, formats, 0);
	free(values);
	free(lens);
	free(formats);
	free(types);
	ExecStatusType status = PQresultStatus(res);
	if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
		return fail(db, res);
	note_changes(db, res);
	track_txn(db);
	st->res = res;
	int cols = PQnfields(res);
	if (cols > 0) {
		st->blobs = xcalloc((size_t)cols, sizeof *st->blobs);
		st->blob_lens = xcalloc((size_t)cols, sizeof *st->blob_lens);
	}
	return DB_OK;
}

static enum db_rc pg_step(struct db_stmt *stmt)
{
	struct pg_stmt *st = stmt_of(stmt);
	if (st->bind_rc != DB_OK)
		return st->bind_rc;
	if (!st->res) {
		enum db_rc rc = run(st);
		if (rc != DB_OK)
			return rc;
	}
	clear_row(st);
	if (st->row < PQntuples(st->res))
		st->row++;
	return st->row < PQntuples(st->res) ? DB_ROW : DB_DONE;
}

/* Asserts a row is current and COL is one of its columns. */
static void check_col(struct pg_stmt *st, int col)
{
	assert(st->res && st->row >= 0 && st->row < PQntuples(st->res));
	assert(col < PQnfields(st->res));
	(void)st;
	(void)col;
}

static const char *pg_column_text(struct db_stmt *stmt, int col)
{
	struct pg_stmt *st = stmt_of(stmt);
	check_col(st, col);
	if (PQgetisnull(st->res, st->row, col))
		return NULL;
	return PQgetvalue(st->res, st->row, col);
}

static int64_t pg_column_int64(struct db_stmt *stmt, int col)
{
	struct pg_stmt *st = stmt_of(stmt);
	const char *text = pg_column_text(stmt, col);
	if (!text)
		return 0;
	if (PQftype(st->res, col) == PG_BOOLOID)
		return text[0] == 't';
	return strtoll(text, NULL, 10);
}

static const void *pg_column_blob(struct db_stmt *stmt, int col, size_t *len)
{
	struct pg_stmt *st = stmt_of(stmt);
	check_col(st, col);
	*len = 0;
	if (PQgetisnull(st->res, st->row, col))
		return NULL;
	if (PQftype(st->res, col) != PG_BYTEAOID) {
		*len = (size_t)PQgetlength(st->res, st->row, col);
		return PQgetvalue(st->res, st->row, col);
	}
	if (!st->blobs[col]) {
		st->blobs[col] = PQunescapeBytea((const unsigned char *)PQgetvalue(st->res, st->row, col),
			&st->blob_lens[col]);
		if (!st->blobs[col]) {
			fputs("countersign: out of memory\n", stderr);
			abort();  /* as xmalloc */
		}
	}
	*len = st->blob_lens[col];
	return st->blobs[col];
}

static bool pg_column_is_null(struct db_stmt *stmt, int col)
{
	struct pg_stmt *st = stmt_of(stmt);
	check_col(st, col);
	return PQgetisnull(st->res, st->row, col);
}

static int pg_column_count(struct db_stmt *stmt)
{
	struct pg_stmt *st = stmt_of(stmt);
	return st->res ? PQnfields(st->res) : 0;
}

/* Ends a transaction the server holds (aborted or not) and forgets it. */
static void end_txn(struct pg_db *db)
{
	if (PQstatus(db->conn) == CONNECTION_OK && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		PQclear(PQexec(db->conn, "ROLLBACK"));
	db->in_txn = false;
	db->txn_write = false;
	db->txn_failure = DB_OK;
}

static enum db_rc pg_begin(struct db *base, bool write)
{
	struct pg_db *db = conn_of(base);
	if (db->in_txn) {
		db_set_error(base, "a transaction is already open");
		return DB_ERROR;
	}
	bool reconnected;
	enum db_rc rc = ensure_connected(db, &reconnected);
	if (rc != DB_OK)
		return rc;
	/* The lock is held until the transaction ends; the lock timeout also
	 * bounds every other lock wait in it, as SQLite's busy timeout does. */
	const char *sql = write
		? "BEGIN; SET LOCAL lock_timeout = " DB_PG_STR(DB_PG_LOCK_TIMEOUT_MS)
		  "; SELECT pg_advisory_xact_lock(" DB_PG_WRITE_LOCK_KEY ")"
		: "BEGIN";
	for (;;) {
		PGresult *res = PQexec(db->conn, sql);
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			PQclear(res);
			db->in_txn = true;
			db->txn_write = write;
			db->txn_failure = DB_OK;
			return DB_OK;
		}
		rc = fail(db, res);
		end_txn(db);
		/* A connection found lost only now: BEGIN wrote nothing, so
		 * it is safe to reconnect and send it again, once. */
		if (rc != DB_UNAVAILABLE || reconnected)
			return rc;
		rc = reconnect(db, &reconnected);
		if (rc != DB_OK)
			return rc;
	}
}

static enum db_rc pg_commit(struct db *base)
{
	struct pg_db *db = conn_of(base);
	if (!db->in_txn) {
		db_set_error(base, "no transaction is open");
		return DB_ERROR;
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		end_txn(db);
		db_set_error(base, "PostgreSQL unreachable: the connection was lost in a transaction; "
			"nothing of it was written");
		return DB_UNAVAILABLE;
	}
	if (PQtransactionStatus(db->conn) == PQTRANS_INERROR) {
		enum db_rc failure = db->txn_failure != DB_OK ? db->txn_failure : DB_ERROR;
		end_txn(db);
		db_set_error(base, "the transaction was rolled back: a statement in it failed");
		return failure;
	}
	/* NOTIFY is delivered at COMMIT, to every other listening session. */
	PGresult *res = PQexec(db->conn, db->txn_write && !db->read_only
		? "NOTIFY " DB_PG_CHANNEL "; COMMIT" : "COMMIT");
	enum db_rc rc = DB_OK;
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = fail(db, res);
	else
		PQclear(res);
	end_txn(db);
	return rc;
}

static void pg_rollback(struct db *base)
{
	end_txn(conn_of(base));
}

static int64_t pg_changes(struct db *base)
{
	return conn_of(base)->changes;
}

/* Counts the notifications other sessions sent (this session's own, from
 * its own commits, do not count: SQLite's data_version ignores them too). */
static int64_t pg_data_version(struct db *base)
{
	struct pg_db *db = conn_of(base);
	if (PQstatus(db->conn) != CONNECTION_OK)
		return db->version;
	(void)PQconsumeInput(db->conn);
	int self = PQbackendPID(db->conn);
	PGnotify *n;
	while ((n = PQnotifies(db->conn))) {
		if (n->be_pid != self)
			db->version++;
		PQfreemem(n);
	}
	return db->version;
}

static int pg_notify_fd(struct db *base)
{
	return PQsocket(conn_of(base)->conn);
}

const struct db_ops db_pg_ops = {
	.engine = DB_POSTGRES,
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.bind_text = pg_bind_text,
	.bind_int64 = pg_bind_int64,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.column_text = pg_column_text,
	.column_int64 = pg_column_int64,
	.column_blob = pg_column_blob,
	.column_is_null = pg_column_is_null,
	.column_count = pg_column_count,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.changes = pg_changes,
	.data_version = pg_data_version,
	.notify_fd = pg_notify_fd,
};
