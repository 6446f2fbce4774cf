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
static void add_conditions(struct strbuf *sb, const struct store_audit_filter *f, bool plain)
{
	const char *plus = plain && !f->run ? "" : "+";
	if (f->run)
		strbuf_addstr(sb, " AND chain = :run");
	if (f->kind)
		strbuf_addf(sb, " AND %skind = :kind", plus);
	if (f->since_us)
		strbuf_addf(sb, " AND %stime_us >= :since", plus);
	if (f->until_us)
		strbuf_addf(sb, " AND %stime_us < :until", plus);
}

/* A run's trail includes the failed PINs and lockouts of people acting on
 * it, which live in the engineers chain and name the run in their payload:
 * a reviewer of the run must see them. The engineers chain is read through
 * its primary key (it holds registrations and PIN events only). */
static void add_run_pins(struct strbuf *sb, const struct store *st, const struct store_audit_filter *f)
{
	strbuf_addstr(sb, " UNION ALL ");
	add_select(sb, st);
	strbuf_addstr(sb, "chain = :engineers AND +kind IN ('" EV_PIN_FAILED "', '"
		EV_PIN_LOCKED "') AND json_extract(payload, '$.run') = :run");
	if (f->engineer)
		strbuf_addstr(sb, " AND +actor = :engineer");
	if (f->kind)
		strbuf_addstr(sb, " AND +kind = :kind");
	if (f->since_us)
		strbuf_addstr(sb, " AND +time_us >= :since");
	if (f->until_us)
		strbuf_addstr(sb, " AND +time_us < :until");
}

/* Only the conditions asked for are in the query, so that SQLite uses the
 * index chosen for them. Oldest first, and in the order recorded within the
 * same microsecond: every index on events ends with the rowid, so
 * (time_us, rowid) comes in index order without sorting. An engineer's
 * events are theirs as actor, plus the engineers chain's events about them
 * (their registration by someone else): two ordered streams, merged. */
static char *audit_sql(const struct store *st, const struct store_audit_filter *f)
{
	static const struct store_audit_filter none = {0};
	if (!f)
		f = &none;
	struct strbuf sb = {0};
	/* The registry's events repeat each run's start and end for verify;
	 * the trail shows them only when asked for. */
	bool registry = f->run || (f->kind && registry_kind(f->kind));
	if (f->engineer) {
		add_select(&sb, st);
		strbuf_addstr(&sb, f->run ? "+actor = :engineer" : "actor = :engineer");
		if (!registry)
			strbuf_addstr(&sb, " AND chain <> '" EVENT_CHAIN_REGISTRY "'");
		add_conditions(&sb, f, false);
		strbuf_addstr(&sb, " UNION ALL ");
		add_select(&sb, st);
		strbuf_addstr(&sb, "chain = :engineers AND +target = :engineer AND +actor <> :engineer");
		add_conditions(&sb, f, false);
	} else {
		add_select(&sb, st);
		strbuf_addstr(&sb, registry ? "1" : "chain <> '" EVENT_CHAIN_REGISTRY "'");
		add_conditions(&sb, f, true);
	}
	if (f->run && !store_chain_is_registry(f->run))
		add_run_pins(&sb, st, f);
	strbuf_addstr(&sb, " ORDER BY time_us, r");
	return strbuf_detach(&sb);
}

static void bind_text(sqlite3_stmt *stmt, const char *name, const char *value)
{
	int idx = sqlite3_bind_parameter_index(stmt, name);
	if (idx > 0)
		sqlite3_bind_text(stmt, idx, value, -1, SQLITE_STATIC);
}

static void bind_int64(sqlite3_stmt *stmt, const char *name, int64_t value)
{
	int idx = sqlite3_bind_parameter_index(stmt, name);
	if (idx > 0)
		sqlite3_bind_int64(stmt, idx, value);
}

/* Borrowed text as the char * of struct event's fields: the entry is
 * read-only to its users, and nothing frees it. */
static char *column(sqlite3_stmt *stmt, int col)
{
	return (char *)store_column_text(stmt, col);
}

/* The columns of AUDIT_COLUMNS after the rowid, borrowed from the statement
 * (valid until its next step): a long trail is not copied a row at a time. */
static void fill_entry(sqlite3_stmt *stmt, struct store_audit_entry *e)
{
	e->chain = column(stmt, 1);
	struct event *ev = &e->ev;
	ev->seq = sqlite3_column_int64(stmt, 2);
	ev->time_us = sqlite3_column_int64(stmt, 3);
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
	sqlite3_stmt *stmt = store_prepare(st, "SELECT 1 FROM runs WHERE id = ?1");
	if (!stmt)
		return STORE_FAILED;
	store_bind_text(stmt, 1, run);
	int rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	if (rc == SQLITE_DONE) {
		store_set_err(st, "no run %s", run);
		return STORE_NOT_FOUND;
	}
	return store_db_fail(st, "cannot look up the run");
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
	char *sql = audit_sql(st, f);
	sqlite3_stmt *stmt = s == STORE_OK ? store_prepare(st, sql) : NULL;
	free(sql);
	if (!stmt) {
		store_rollback(st);
		return s == STORE_OK ? STORE_FAILED : s;
	}
	if (f) {
		bind_text(stmt, ":run", f->run);
		bind_text(stmt, ":engineer", f->engineer);
		bind_text(stmt, ":engineers", EVENT_CHAIN_ENGINEERS);
		bind_text(stmt, ":kind", f->kind);
		bind_int64(stmt, ":since", f->since_us);
		bind_int64(stmt, ":until", f->until_us);
	}
	int rc;
	bool go_on = true;
	while (go_on && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_audit_entry e = {0};
		fill_entry(stmt, &e);
		go_on = fn(user, &e);
	}
	if (go_on && rc != SQLITE_DONE)
		s = store_db_fail(st, "cannot read the record");
	sqlite3_finalize(stmt);
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
