/* Every command the PostgreSQL engine sends waits for its answer up to a
 * deadline (db_pg_internal.h). A server that hangs while its host stays up
 * (its processes stopped, a relay that no longer forwards) leaves TCP
 * content: the kernel acknowledges what is sent, so tcp_user_timeout and
 * the keepalives never fire, and a blocking PQexec would wait for ever with
 * the interface frozen. So a command is sent without blocking and its
 * socket is polled until the deadline; past it the connection is given up
 * (DB_UNAVAILABLE: the interface holds a check's result and tries again, a
 * command exits 3).
 *
 * The connection is shut down rather than the command cancelled: PQcancel
 * connects to the server and waits for it to close that connection, which
 * a stopped server or a silent relay never does, so it would hang exactly
 * when it is needed. The server's process finds its client gone when it
 * next reads or writes, and a transaction it held is rolled back then. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "countersign/clock.h"
#include "countersign/store.h"
#include "db_pg_internal.h"

static int deadline_ms = DB_PG_DEADLINE_MS;

void store_test_pg_deadline(int ms)
{
	assert(ms > 0);
	deadline_ms = ms;
}

int db_pg_deadline_ms(void)
{
	return deadline_ms;
}

/* Past the deadline: the connection is shut down, which libpq then reads as
 * the server gone (PQstatus CONNECTION_BAD), so everything that follows
 * (db_pg_fail, the one reconnection outside a transaction) treats it as any
 * lost connection, with the message saying what happened. */
static void give_up(struct pg_db *db)
{
	const struct db_pq *pq = db_pq();
	int fd = pq->PQsocket(db->conn);
	if (fd >= 0)
		(void)shutdown(fd, SHUT_RDWR);
	(void)pq->PQconsumeInput(db->conn);
	db->timed_out_ms = deadline_ms;
}

/* Reads what the server sent until the whole answer is in or the deadline
 * passes; sends what is still queued meanwhile. The deadline is moved on
 * whenever the server sends something: it bounds a silence, not a long
 * answer (a whole record read by audit may stream for minutes). True when
 * PQgetResult will not block: the answer is in, or the connection failed
 * (libpq then has no socket to wait on and answers at once). */
static bool wait_ready(struct pg_db *db, int64_t *deadline_us)
{
	const struct db_pq *pq = db_pq();
	for (;;) {
		int queued = pq->PQflush(db->conn);
		if (queued < 0 || pq->PQstatus(db->conn) == CONNECTION_BAD)
			return true;
		if (!queued && !pq->PQisBusy(db->conn))
			return true;
		int64_t left_us = *deadline_us - clock_mono_us();
		if (left_us <= 0)
			return false;
		struct pollfd p = {.fd = pq->PQsocket(db->conn), .events = POLLIN | (queued ? POLLOUT : 0)};
		int n = poll(&p, 1, (int)((left_us + 999) / 1000));
		if (n < 0 && errno != EINTR)
			return true;  /* libpq finds the failure on its next read */
		if (n > 0 && (p.revents & (POLLIN | POLLERR | POLLHUP))) {
			(void)pq->PQconsumeInput(db->conn);
			*deadline_us = clock_mono_us() + (int64_t)deadline_ms * 1000;
		} else if (n > 0 && (p.revents & POLLOUT)) {
			*deadline_us = clock_mono_us() + (int64_t)deadline_ms * 1000;  /* the server takes what is sent */
		}
	}
}

PGresult *db_pg_wait_result(struct pg_db *db)
{
	const struct db_pq *pq = db_pq();
	int64_t deadline_us = clock_mono_us() + (int64_t)deadline_ms * 1000;
	PGresult *last = NULL;
	for (;;) {
		if (!wait_ready(db, &deadline_us)) {
			pq->PQclear(last);
			give_up(db);
			/* what libpq made of the shut connection: it is failed now */
			PGresult *r;
			while ((r = pq->PQgetResult(db->conn)))
				pq->PQclear(r);
			return NULL;
		}
		PGresult *r = pq->PQgetResult(db->conn);
		if (!r)
			return last;
		/* As PQexec: the last result of a string of commands (after an
		 * error the server runs none of the rest). */
		pq->PQclear(last);
		last = r;
		if (pq->PQstatus(db->conn) == CONNECTION_BAD)
			return last;
	}
}

/* Starts sending: the connection is made non-blocking first, so that a
 * large parameter (evidence) waiting for room in the socket's buffer is
 * sent by db_pg_wait_result's loop rather than blocking here. */
static bool before_send(struct pg_db *db)
{
	db->timed_out_ms = 0;
	return db_pq()->PQsetnonblocking(db->conn, 1) == 0;
}

PGresult *db_pg_exec(struct pg_db *db, const char *sql)
{
	if (!before_send(db) || !db_pq()->PQsendQuery(db->conn, sql))
		return NULL;
	return db_pg_wait_result(db);
}

PGresult *db_pg_exec_params(struct pg_db *db, const char *sql, int n, const Oid *types,
	const char *const *values, const int *lens, const int *formats)
{
	if (!before_send(db) || !db_pq()->PQsendQueryParams(db->conn, sql, n, types, values, lens, formats, 0))
		return NULL;
	return db_pg_wait_result(db);
}
