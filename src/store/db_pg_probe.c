/* A connection to the record's server made without blocking (store.h,
 * store_probe_*): before the interface tries again to record what it holds
 * for a server it lost, it learns from a probe, driven by its poll() loop,
 * whether the server answers at all. libpq's reconnection (PQreset) waits
 * up to connect_timeout for a server that accepts the connection and then
 * says nothing, with the interface frozen meanwhile; the probe does not.
 * The probe's connection is only made and closed: the store's own
 * connection is made again by the try that follows a probe that succeeded. */
#include <assert.h>
#include <poll.h>
#include <stdlib.h>

#include "countersign/store.h"
#include "countersign/util.h"
#include "db_pg_internal.h"
#include "store_internal.h"

struct store_probe {
	PGconn *conn;
	PostgresPollingStatusType last;  /* what PQconnectPoll last asked to wait for */
	enum store_probe_state state;
};

struct store_probe *store_probe_start(struct store *st)
{
	assert(st && st->conn);
	if (db_engine(st->conn) != DB_POSTGRES)
		return NULL;
	struct pg_db *db = conn_of(st->conn);
	if (db_pq()->PQstatus(db->conn) == CONNECTION_OK)
		return NULL;
	const char *vals[DB_PG_N_PARAMS];
	db_pg_params(db->base.location, vals);
	struct store_probe *p = xcalloc(1, sizeof(*p));
	p->conn = db_pq()->PQconnectStartParams(db_pg_param_keys, vals, 1);
	/* libpq's rule: wait first for the socket to take a write */
	p->last = PGRES_POLLING_WRITING;
	p->state = !p->conn || db_pq()->PQstatus(p->conn) == CONNECTION_BAD ? STORE_PROBE_FAILED : STORE_PROBE_WAITING;
	return p;
}

int store_probe_fd(const struct store_probe *p, short *events)
{
	assert(p && events);
	if (p->state != STORE_PROBE_WAITING)
		return -1;
	*events = p->last == PGRES_POLLING_READING ? POLLIN : POLLOUT;
	return db_pq()->PQsocket(p->conn);
}

enum store_probe_state store_probe_state(const struct store_probe *p)
{
	assert(p);
	return p->state;
}

enum store_probe_state store_probe_step(struct store_probe *p)
{
	assert(p);
	if (p->state != STORE_PROBE_WAITING)
		return p->state;
	p->last = db_pq()->PQconnectPoll(p->conn);
	if (p->last == PGRES_POLLING_OK)
		p->state = STORE_PROBE_CONNECTED;
	else if (p->last == PGRES_POLLING_FAILED)
		p->state = STORE_PROBE_FAILED;
	return p->state;
}

void store_probe_destroy(struct store_probe *p)
{
	if (!p)
		return;
	if (p->conn)
		db_pq()->PQfinish(p->conn);
	free(p);
}
