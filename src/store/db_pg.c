/* db.h's PostgreSQL engine, through libpq (loaded when the first
 * PostgreSQL location is opened: db_pq.h): connections, transactions and
 * change notification (statements: db_pg_stmt.c).
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
#include "db_pg_internal.h"

#include <assert.h>
#include <sodium.h>
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

/* libpq's messages end in a newline and may hold several lines (a hint
 * on the next, indented); db_error's are one line, so that a front end
 * says what failed in one: each line break and the indent after it become
 * one space. */
static char *trimmed(const char *msg)
{
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	char *out = xstrndup(msg, n);
	size_t w = 0;
	for (size_t r = 0; r < n; r++) {
		if (out[r] != '\n') {
			out[w++] = out[r];
			continue;
		}
		while (r + 1 < n && (out[r + 1] == '\t' || out[r + 1] == ' ' || out[r + 1] == '\n'))
			r++;
		out[w++] = ' ';
	}
	out[w] = '\0';
	return out;
}

static bool is_unavailable_state(const char *state)
{
	return strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
		strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0;
}

/* What a failed command's SQLSTATE (or a lost connection) means. */
static enum db_rc map_state(PGconn *conn, const PGresult *res)
{
	const char *state = res ? db_pq()->PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (db_pq()->PQstatus(conn) == CONNECTION_BAD || (state && is_unavailable_state(state)))
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
void db_pg_track_txn(struct pg_db *db)
{
	switch (db_pq()->PQtransactionStatus(db->conn)) {
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
enum db_rc db_pg_fail(struct pg_db *db, PGresult *res)
{
	enum db_rc rc = map_state(db->conn, res);
	const char *msg = res ? db_pq()->PQresultErrorMessage(res) : "";
	char *text = trimmed(*msg ? msg : db_pq()->PQerrorMessage(db->conn));
	if (db->timed_out_ms)
		db_set_error(&db->base, "PostgreSQL unreachable: the database did not answer within %d s",
			(db->timed_out_ms + 999) / 1000);
	else if (rc == DB_UNAVAILABLE)
		db_set_error(&db->base, "PostgreSQL unreachable: %s", *text ? text : "connection lost");
	else
		db_set_error(&db->base, "%s", text);
	free(text);
	db_pq()->PQclear(res);
	if (db->in_txn && db->txn_failure == DB_OK)
		db->txn_failure = rc;
	if (rc != DB_UNAVAILABLE)
		db_pg_track_txn(db);
	return rc;
}

/* Notes the row count of an INSERT, UPDATE or DELETE result. */
void db_pg_note_changes(struct pg_db *db, PGresult *res)
{
	const char *status = db_pq()->PQcmdStatus(res);
	if (strncmp(status, "INSERT ", 7) == 0 || strncmp(status, "UPDATE ", 7) == 0 ||
		strncmp(status, "DELETE ", 7) == 0 || strncmp(status, "MERGE ", 6) == 0)
		db->changes = strtoll(db_pq()->PQcmdTuples(res), NULL, 10);
}

/* libpq prints notices (and a server's shutdown message) on stderr by
 * default, over the terminal interface: the store reports through db_error
 * instead. */
static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* What every session needs: LISTEN, read-only transactions when asked, and
 * an end to a transaction its client abandoned. A client cut off by the
 * network while its transaction holds the write lock gives up at its
 * deadline, but the server is not told (no FIN, no reset reaches it) and
 * would keep the lock, and every other writer out, until its TCP
 * keepalive notices: hours by default. Between two statements of its own
 * transactions countersign is idle for milliseconds, so a transaction idle
 * for twice the deadline is one nobody waits for any more. */
static enum db_rc session_setup(struct pg_db *db)
{
	char *sql = xasprintf("LISTEN " DB_PG_CHANNEL "; SET idle_in_transaction_session_timeout = %lld%s",
		2LL * db_pg_deadline_ms(), db->read_only ? "; SET default_transaction_read_only = on" : "");
	PGresult *res = db_pg_exec(db, sql);
	free(sql);
	if (db_pq()->PQresultStatus(res) != PGRES_COMMAND_OK)
		return db_pg_fail(db, res);
	db_pq()->PQclear(res);
	return DB_OK;
}

/* Re-establishes a lost connection (never inside a transaction). Anything
 * may have been committed meanwhile, unseen: the data version moves. */
static enum db_rc reconnect(struct pg_db *db, bool *reconnected)
{
	assert(!db->in_txn);
	*reconnected = true;
	db->timed_out_ms = 0;
	db_pq()->PQreset(db->conn);
	if (db_pq()->PQstatus(db->conn) != CONNECTION_OK)
		return db_pg_fail(db, NULL);
	db->version++;
	return session_setup(db);
}

/* Makes the connection usable before a command: outside a transaction, a
 * connection libpq knows to be lost is re-established once; inside one it
 * is DB_UNAVAILABLE. Reading what the server sent first may reveal the
 * loss (its end of the socket closed) before a statement is spent on it.
 * *RECONNECTED says whether this call reconnected. */
enum db_rc db_pg_ensure_connected(struct pg_db *db, bool *reconnected)
{
	*reconnected = false;
	if (db_pq()->PQstatus(db->conn) == CONNECTION_OK)
		(void)db_pq()->PQconsumeInput(db->conn);
	if (db_pq()->PQstatus(db->conn) == CONNECTION_OK)
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
	db_pq()->PQconninfoFree(opts);
}

/* DB_OK when LOCATION parses and holds no password; otherwise *ERR. */
static enum db_rc check_location(const char *location, char **err)
{
	char *perr = NULL;
	PQconninfoOption *opts = db_pq()->PQconninfoParse(location, &perr);
	if (!opts) {
		char *msg = perr ? trimmed(perr) : xstrdup("out of memory");
		*err = xasprintf("invalid PostgreSQL location: %s", msg);
		free(msg);
		db_pq()->PQfreemem(perr);
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

const char *const db_pg_param_keys[DB_PG_N_PARAMS] = {"connect_timeout", "tcp_user_timeout", "keepalives_idle",
	"keepalives_interval", "keepalives_count", "fallback_application_name", "dbname", NULL};

void db_pg_params(const char *location, const char *vals[DB_PG_N_PARAMS])
{
	const char *const fixed[] = {"10", "10000", "10", "5", "2", "countersign"};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		vals[i] = fixed[i];
	vals[DB_PG_N_PARAMS - 2] = location;
	vals[DB_PG_N_PARAMS - 1] = NULL;
}

static enum db_rc pg_open(const char *location, enum db_open_mode mode, struct db **out, char **err)
{
	/* The first PostgreSQL location loads libpq (db_pq.h); every other
	 * function of this engine runs on a connection opened here. */
	if (!db_pq_load()) {
		*err = xstrdup(db_pq_error());
		return DB_ERROR;
	}
	enum db_rc rc = check_location(location, err);
	if (rc != DB_OK)
		return rc;
	/* A server whose host crashed or whose network is cut answers nothing,
	 * not even a reset: without tcp_user_timeout a statement sent then waits
	 * for TCP to give up (about 15 minutes) with the interface frozen, and
	 * the keepalives find an idle connection's peer gone. So such a server is
	 * "unreachable" after 10 s, as one that cannot be connected to is. The
	 * location comes last so that its own settings win. */
	const char *vals[DB_PG_N_PARAMS];
	db_pg_params(location, vals);
	PGconn *conn = db_pq()->PQconnectdbParams(db_pg_param_keys, vals, 1);
	if (!conn) {
		*err = xstrdup("cannot connect to PostgreSQL: out of memory");
		return DB_ERROR;
	}
	if (db_pq()->PQstatus(conn) != CONNECTION_OK) {
		char *msg = trimmed(db_pq()->PQerrorMessage(conn));
		bool needs_password = db_pq()->PQconnectionNeedsPassword(conn);
		*err = xasprintf("cannot connect to PostgreSQL: %s%s", msg, needs_password
			? " (the password belongs in ~/.pgpass, PGPASSFILE or PGPASSWORD)" : "");
		free(msg);
		db_pq()->PQfinish(conn);
		return needs_password ? DB_ERROR : DB_UNAVAILABLE;
	}
	db_pq()->PQsetNoticeProcessor(conn, ignore_notice, NULL);
	struct pg_db *db = xcalloc(1, sizeof *db);
	db_base_init(&db->base, &db_pg_ops, location);
	db->conn = conn;
	db->read_only = mode == DB_OPEN_READ_ONLY;
	rc = session_setup(db);
	if (rc != DB_OK) {
		*err = xstrdup(db_error(&db->base));
		free(db->base.location);
		free(db->base.error);
		db_pq()->PQfinish(conn);
		free(db);
		return rc;
	}
	*out = &db->base;
	return DB_OK;
}

static void pg_close(struct db *base)
{
	struct pg_db *db = conn_of(base);
	db_pq()->PQfinish(db->conn);
	free(db);
}

static enum db_rc pg_exec(struct db *base, const char *sql)
{
	struct pg_db *db = conn_of(base);
	bool reconnected;
	enum db_rc rc = db_pg_ensure_connected(db, &reconnected);
	if (rc != DB_OK)
		return rc;
	PGresult *res = db_pg_exec(db, sql);
	ExecStatusType st = db_pq()->PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
		return db_pg_fail(db, res);
	db_pg_note_changes(db, res);
	db_pq()->PQclear(res);
	db_pg_track_txn(db);
	return DB_OK;
}

/* Ends a transaction the server holds (aborted or not) and forgets it. */
static void end_txn(struct pg_db *db)
{
	if (db_pq()->PQstatus(db->conn) == CONNECTION_OK && db_pq()->PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		db_pq()->PQclear(db_pg_exec(db, "ROLLBACK"));
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
	enum db_rc rc = db_pg_ensure_connected(db, &reconnected);
	if (rc != DB_OK)
		return rc;
	/* The lock is held until the transaction ends; the lock timeout also
	 * bounds every other lock wait in it, as SQLite's busy timeout does.
	 * A writer reads committed rows (each statement sees everything
	 * committed before it, and nothing can commit while it holds the
	 * lock); a reader reads one snapshot throughout, as on SQLite, so
	 * that tables read one after another agree. */
	const char *sql = write
		? "BEGIN; SET LOCAL lock_timeout = " DB_PG_STR(DB_PG_LOCK_TIMEOUT_MS)
		  "; SELECT pg_advisory_xact_lock(" DB_PG_WRITE_LOCK_KEY ")"
		: "BEGIN ISOLATION LEVEL REPEATABLE READ";
	for (;;) {
		PGresult *res = db_pg_exec(db, sql);
		ExecStatusType st = db_pq()->PQresultStatus(res);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			db_pq()->PQclear(res);
			db->in_txn = true;
			db->txn_write = write;
			db->txn_failure = DB_OK;
			return DB_OK;
		}
		rc = db_pg_fail(db, res);
		end_txn(db);
		/* A connection found lost only now: BEGIN wrote nothing, so
		 * it is safe to reconnect and send it again, once. Not a server
		 * that let the deadline pass: a new connection would wait for
		 * it again, up to connect_timeout more. */
		if (rc != DB_UNAVAILABLE || reconnected || db->timed_out_ms)
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
	if (db_pq()->PQstatus(db->conn) != CONNECTION_OK) {
		end_txn(db);
		db_set_error(base, "PostgreSQL unreachable: the connection was lost in a transaction; "
			"nothing of it was written");
		return DB_UNAVAILABLE;
	}
	if (db_pq()->PQtransactionStatus(db->conn) == PQTRANS_INERROR) {
		enum db_rc failure = db->txn_failure != DB_OK ? db->txn_failure : DB_ERROR;
		end_txn(db);
		db_set_error(base, "the transaction was rolled back: a statement in it failed");
		return failure;
	}
	/* NOTIFY is delivered at COMMIT, to every other listening session. */
	PGresult *res = db_pg_exec(db, db->txn_write && !db->read_only
		? "NOTIFY " DB_PG_CHANNEL "; COMMIT" : "COMMIT");
	enum db_rc rc = DB_OK;
	if (db_pq()->PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = db_pg_fail(db, res);
	else
		db_pq()->PQclear(res);
	if (rc == DB_UNAVAILABLE) {
		/* The server may have committed before the answer was lost: say
		 * so rather than "nothing was written". */
		char *why = xstrdup(db_error(base));
		db_set_error(base, "%s; the commit had been sent, so whether it was written is unknown", why);
		free(why);
		base->outcome_unknown = true;
	}
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
	if (db_pq()->PQstatus(db->conn) != CONNECTION_OK)
		return db->version;
	(void)db_pq()->PQconsumeInput(db->conn);
	int self = db_pq()->PQbackendPID(db->conn);
	PGnotify *n;
	while ((n = db_pq()->PQnotifies(db->conn))) {
		if (n->be_pid != self)
			db->version++;
		db_pq()->PQfreemem(n);
	}
	return db->version;
}

static int pg_notify_fd(struct db *base)
{
	return db_pq()->PQsocket(conn_of(base)->conn);
}

const struct db_ops db_pg_ops = {
	.engine = DB_POSTGRES,
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.prepare = db_pg_prepare,
	.finalize = db_pg_finalize,
	.reset = db_pg_reset,
	.bind_text = db_pg_bind_text,
	.bind_int64 = db_pg_bind_int64,
	.bind_blob = db_pg_bind_blob,
	.bind_null = db_pg_bind_null,
	.step = db_pg_step,
	.column_text = db_pg_column_text,
	.column_int64 = db_pg_column_int64,
	.column_blob = db_pg_column_blob,
	.column_is_null = db_pg_column_is_null,
	.column_count = db_pg_column_count,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.changes = pg_changes,
	.data_version = pg_data_version,
	.notify_fd = pg_notify_fd,
};
