/* The audit trail: the events of every chain that a filter selects, oldest
 * first, each condition served by an index (events_by_actor, events_by_kind,
 * events_by_time, the primary key for one chain). */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/util.h"

void store_audit_entry_array_free(struct store_audit_entry *entries, size_t n)
{
	for (size_t i = 0; entries && i < n; i++) {
		free(entries[i].chain);
		event_clear(&entries[i].ev);
	}
	free(entries);
}

/* The values a trail's SQL compares with, each bound to one numbered
 * parameter however often the SQL names it. */
enum audit_param { P_RUN, P_ENGINEER, P_ENGINEERS, P_KIND, P_SINCE, P_UNTIL, P_COUNT };

/* The SQL of a trail being written: its text, and the number given to each
 * parameter it uses (0: unused), in order of first use, so that the
 * numbers have no gap (PostgreSQL cannot type a parameter it never sees). */
struct audit_query {
	const struct store *st;
	struct strbuf sb;
	int idx[P_COUNT];
	int n;
};

/* Appends parameter P as "?N". */
static void add_param(struct audit_query *q, enum audit_param p)
{
	if (!q->idx[p])
		q->idx[p] = ++q->n;
	strbuf_addf(&q->sb, "?%d", q->idx[p]);
}

/* Appends " AND <hint>COL OP <P>", HINT being SQLite's "+" when NO_INDEX
 * (see add_conditions). */
static void add_term(struct audit_query *q, bool no_index, const char *col, const char *op, enum audit_param p)
{
	strbuf_addf(&q->sb, " AND %s%s %s ", no_index ? store_sql(q->st, STORE_SQL_NO_INDEX) : "", col, op);
	add_param(q, p);
}

/* The start of each SELECT of the trail, up to its WHERE. A database
 * older than signatures has no sigs column. */
static void add_select(struct strbuf *sb, const struct store *st)
{
	strbuf_addf(sb, "SELECT rowid AS r, chain, seq, time_us, actor, os_user, host, tty, kind, target, payload, "
		"prev, hash, %s FROM events WHERE ", store_sigs_column(st));
}

static bool registry_kind(const char *kind)
{
	return strcmp(kind, EV_REGISTRY_OPENED) == 0 || strcmp(kind, EV_RUN_REGISTERED) == 0 ||
		strcmp(kind, EV_RUN_ENDED) == 0;
}

/* The conditions F asks for but the engineer, each after " AND ". Unless
 * PLAIN, kind and time carry a unary +, which keeps SQLite from using their
 * indexes: without statistics it cannot tell which index selects fewer
 * events, so the choice is made here for the smallest bounded set: one run
 * (a hundred events or so), else one engineer's events, else a kind, else a
 * time range. */
static void add_conditions(struct audit_query *q, const struct store_audit_filter *f, bool plain)
{
	bool no_index = !plain || f->run;
	if (f->run)
		add_term(q, false, "chain", "=", P_RUN);
	if (f->kind)
		add_term(q, no_index, "kind", "=", P_KIND);
	if (f->since_us)
		add_term(q, no_index, "time_us", ">=", P_SINCE);
	if (f->until_us)
		add_term(q, no_index, "time_us", "<", P_UNTIL);
}

/* A run's trail includes the failed PINs and lockouts of people acting on
 * it, which live in the engineers chain and name the run in their payload:
 * a reviewer of the run must see them. The engineers chain is read through
 * its primary key (it holds registrations and PIN events only). */
static void add_run_pins(struct audit_query *q, const struct store_audit_filter *f)
{
	strbuf_addstr(&q->sb, " UNION ALL ");
	add_select(&q->sb, q->st);
	strbuf_addstr(&q->sb, "chain = ");
	add_param(q, P_ENGINEERS);
	strbuf_addf(&q->sb, " AND %skind IN ('" EV_PIN_FAILED "', '" EV_PIN_LOCKED "')",
		store_sql(q->st, STORE_SQL_NO_INDEX));
	add_term(q, false, store_sql(q->st, STORE_SQL_PAYLOAD_RUN), "=", P_RUN);
	if (f->engineer)
		add_term(q, true, "actor", "=", P_ENGINEER);
	if (f->kind)
		add_term(q, true, "kind", "=", P_KIND);
	if (f->since_us)
		add_term(q, true, "time_us", ">=", P_SINCE);
	if (f->until_us)
		add_term(q, true, "time_us", "<", P_UNTIL);
}

/* Only the conditions asked for are in the query, so that SQLite uses the
 * index chosen for them. Oldest first, and in the order recorded within the
 * same microsecond: every index on events ends with the rowid, so
 * (time_us, rowid) comes in index order without sorting. An engineer's
 * events are theirs as actor, plus the engineers chain's events about them
 * (their registration by someone else): two ordered streams, merged. */
static void audit_sql(struct audit_query *q, const struct store_audit_filter *f)
{
	static const struct store_audit_filter none = {0};
	if (!f)
		f = &none;
	struct strbuf *sb = &q->sb;
	/* The registry's events repeat each run's start and end for verify;
	 * the trail shows them only when asked for. */
	bool registry = f->run || (f->kind && registry_kind(f->kind));
	if (f->engineer) {
		add_select(sb, q->st);
		strbuf_addf(sb, "%sactor = ", f->run ? store_sql(q->st, STORE_SQL_NO_INDEX) : "");
		add_param(q, P_ENGINEER);
		if (!registry)
			strbuf_addstr(sb, " AND chain <> '" EVENT_CHAIN_REGISTRY "'");
		add_conditions(q, f, false);
		strbuf_addstr(sb, " UNION ALL ");
		add_select(sb, q->st);
		strbuf_addstr(sb, "chain = ");
		add_param(q, P_ENGINEERS);
		add_term(q, true, "target", "=", P_ENGINEER);
		add_term(q, true, "actor", "<>", P_ENGINEER);
		add_conditions(q, f, false);
	} else {
		add_select(sb, q->st);
		/* TRUE: PostgreSQL wants a boolean where SQLite takes 1. */
		strbuf_addstr(sb, registry ? "TRUE" : "chain <> '" EVENT_CHAIN_REGISTRY "'");
		add_conditions(q, f, true);
	}
	if (f->run && !store_chain_is_registry(f->run))
		add_run_pins(q, f);
	strbuf_addstr(sb, " ORDER BY time_us, r");
}

/* Binds the parameters Q's SQL uses to F's values. */
static void bind_params(struct db_stmt *stmt, const struct audit_query *q, const struct store_audit_filter *f)
{
	const char *text[P_COUNT] = {
		[P_RUN] = f->run, [P_ENGINEER] = f->engineer, [P_ENGINEERS] = EVENT_CHAIN_ENGINEERS, [P_KIND] = f->kind,
	};
	for (int p = 0; p < P_COUNT; p++) {
		if (!q->idx[p])
			continue;
		if (p == P_SINCE || p == P_UNTIL)
			db_bind_int64(stmt, q->idx[p], p == P_SINCE ? f->since_us : f->until_us);
		else
			store_bind_str(stmt, q->idx[p], text[p]);
	}
}

/* Borrowed text as the char * of struct event's fields: the entry is
 * read-only to its users, and nothing frees it. */
static char *column(struct db_stmt *stmt, int col)
{
	return (char *)store_col_str(stmt, col);
}

/* The columns of AUDIT_COLUMNS after the rowid, borrowed from the statement
 * (valid until its next step): a long trail is not copied a row at a time. */
static void fill_entry(struct db_stmt *stmt, struct store_audit_entry *e)
{
	e->chain = column(stmt, 1);
	struct event *ev = &e->ev;
	ev->seq = db_column_int64(stmt, 2);
	ev->time_us = db_column_int64(stmt, 3);
	ev->actor = column(stmt, 4);
	ev->os_user = column(stmt, 5);
	ev->host = column(stmt, 6);
	ev->tty = column(stmt, 7);
	ev->kind = column(stmt, 8);
	ev->target = column(stmt, 9);
	ev->payload = column(stmt, 10);
	snprintf(ev->prev, sizeof(ev->prev), "%s", column(stmt, 11));
	snprintf(ev->hash, sizeof(ev->hash), "%s", column(stmt, 12));
	ev->sigs = column(stmt, 13);
}

/* STORE_NOT_FOUND when RUN names neither a run nor the engineers or
 * registry chain. */
static enum store_status run_exists(struct store *st, const char *run)
{
	if (store_chain_is_registry(run))
		return STORE_OK;
	struct db_stmt *stmt = store_stmt(st, "SELECT 1 FROM runs WHERE id = ?1");
	if (!stmt)
		return store_last_failure(st);
	store_bind_str(stmt, 1, run);
	enum db_rc rc = db_step(stmt);
	enum store_status s = STORE_OK;
	if (rc == DB_DONE) {
		store_set_err(st, "no run %s", run);
		s = STORE_NOT_FOUND;
	} else if (rc != DB_ROW) {
		s = store_fail(st, rc, "cannot look up the run");
	}
	db_finalize(stmt);
	return s;
}

enum store_status store_audit_each(struct store *st, const struct store_audit_filter *f, store_audit_fn fn, void *user)
{
	/* One read transaction: the check that the run exists and the events
	 * are one view of the record. */
	enum store_status s = store_begin(st, false, "cannot start reading the record");
	if (s != STORE_OK)
		return s;
	if (f && f->run)
		s = run_exists(st, f->run);
	struct audit_query q = {.st = st};
	audit_sql(&q, f);
	struct db_stmt *stmt = s == STORE_OK ? store_stmt(st, q.sb.data) : NULL;
	strbuf_release(&q.sb);
	if (!stmt) {
		if (s == STORE_OK)
			s = store_last_failure(st);
		store_rollback(st);
		return s;
	}
	if (f)
		bind_params(stmt, &q, f);
	enum db_rc rc = DB_DONE;
	bool go_on = true;
	while (go_on && (rc = db_step(stmt)) == DB_ROW) {
		struct store_audit_entry e = {0};
		fill_entry(stmt, &e);
		go_on = fn(user, &e);
	}
	if (go_on && rc != DB_DONE)
		s = store_fail(st, rc, "cannot read the record");
	db_finalize(stmt);
	store_rollback(st);
	return s;
}

struct collect {
	struct store_audit_entry *entries;
	size_t n, cap;
};

static bool collect_one(void *user, const struct store_audit_entry *e)
{
	struct collect *c = user;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->entries = xreallocarray(c->entries, c->cap, sizeof(*c->entries));
	}
	struct store_audit_entry *copy = &c->entries[c->n++];
	copy->chain = xstrdup(e->chain);
	copy->ev = e->ev;
	copy->ev.actor = xstrdup(e->ev.actor);
	copy->ev.os_user = xstrdup(e->ev.os_user);
	copy->ev.host = xstrdup(e->ev.host);
	copy->ev.tty = xstrdup(e->ev.tty);
	copy->ev.kind = xstrdup(e->ev.kind);
	copy->ev.target = xstrdup(e->ev.target);
	copy->ev.payload = xstrdup(e->ev.payload);
	copy->ev.sigs = xstrdup(e->ev.sigs);
	return true;
}

enum store_status store_audit(struct store *st, const struct store_audit_filter *f, struct store_audit_entry **out,
	size_t *n)
{
	struct collect c = {0};
	enum store_status s = store_audit_each(st, f, collect_one, &c);
	if (s != STORE_OK) {
		store_audit_entry_array_free(c.entries, c.n);
		c.entries = NULL;
		c.n = 0;
	}
	*out = c.entries;
	*n = c.n;
	return s;
}
