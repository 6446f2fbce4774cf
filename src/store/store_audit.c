/* The audit trail: the events of every chain that a filter selects, oldest
 * first, each condition served by an index (events_by_actor, events_by_kind,
 * events_by_time, the primary key for one chain). */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/util.h"

void audit_entry_array_free(struct audit_entry *entries, size_t n)
{
	for (size_t i = 0; entries && i < n; i++) {
		free(entries[i].chain);
		event_clear(&entries[i].ev);
	}
	free(entries);
}

/* Only the conditions asked for are in the query, so that SQLite picks the
 * index that serves them. An engineer's events are theirs as actor, plus
 * the engineers chain's events about them (their registration by someone
 * else). */
static char *audit_sql(const struct audit_filter *f)
{
	struct strbuf sb = {0};
	strbuf_addstr(&sb, "SELECT chain, seq, time_us, actor, os_user, host, tty, kind, target, payload, prev, hash "
		"FROM events WHERE 1");
	if (f && f->run)
		strbuf_addstr(&sb, " AND chain = :run");
	if (f && f->engineer)
		strbuf_addstr(&sb, " AND (actor = :engineer OR (chain = :engineers AND target = :engineer))");
	if (f && f->kind)
		strbuf_addstr(&sb, " AND kind = :kind");
	if (f && f->since_us)
		strbuf_addstr(&sb, " AND time_us >= :since");
	if (f && f->until_us)
		strbuf_addstr(&sb, " AND time_us < :until");
	strbuf_addstr(&sb, " ORDER BY time_us, chain, seq");
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

static void fill_entry(sqlite3_stmt *stmt, struct audit_entry *e)
{
	e->chain = store_column_dup(stmt, 0);
	struct event *ev = &e->ev;
	ev->seq = sqlite3_column_int64(stmt, 1);
	ev->time_us = sqlite3_column_int64(stmt, 2);
	ev->actor = store_column_dup(stmt, 3);
	ev->os_user = store_column_dup(stmt, 4);
	ev->host = store_column_dup(stmt, 5);
	ev->tty = store_column_dup(stmt, 6);
	ev->kind = store_column_dup(stmt, 7);
	ev->target = store_column_dup(stmt, 8);
	ev->payload = store_column_dup(stmt, 9);
	const char *prev = (const char *)sqlite3_column_text(stmt, 10);
	const char *hash = (const char *)sqlite3_column_text(stmt, 11);
	snprintf(ev->prev, sizeof(ev->prev), "%s", prev ? prev : "");
	snprintf(ev->hash, sizeof(ev->hash), "%s", hash ? hash : "");
}

/* STORE_NOT_FOUND when RUN names neither a run nor the engineers chain. */
static enum store_status run_exists(struct store *st, const char *run)
{
	if (strcmp(run, EVENT_CHAIN_ENGINEERS) == 0)
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

enum store_status store_audit(struct store *st, const struct audit_filter *f, struct audit_entry **out,
	size_t *n)
{
	*out = NULL;
	*n = 0;
	/* One read transaction: the check that the run exists and the events
	 * are one view of the record. */
	enum store_status s = store_begin(st, false, "cannot start reading the record");
	if (s != STORE_OK)
		return s;
	if (f && f->run)
		s = run_exists(st, f->run);
	char *sql = audit_sql(f);
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
	struct audit_entry *entries = NULL;
	size_t count = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			entries = xreallocarray(entries, cap, sizeof(*entries));
		}
		memset(&entries[count], 0, sizeof(entries[count]));
		fill_entry(stmt, &entries[count++]);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		s = store_db_fail(st, "cannot read the record");
		store_rollback(st);
		audit_entry_array_free(entries, count);
		return s;
	}
	store_rollback(st);
	*out = entries;
	*n = count;
	return STORE_OK;
}
