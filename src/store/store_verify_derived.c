/* Verification of the derived run table: each run's row against its chain
 * (which store_verify.c just checked), its trigger, and rows or events that
 * name no run. The table is not part of the record; it must agree with it. */
#include "store_verify_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How the derived run table can have come to disagree with a chain. */
enum derived_cause {
	CAUSE_EDIT_OR_CUT, /* it says more than the chain holds, or other things */
	CAUSE_BEHIND,      /* the chain holds events it does not count */
	CAUSE_EDIT,        /* only an edit of the table explains it */
};

/* The derived run table's row disagrees with the chain just checked: WHAT
 * says how, CAUSE what can explain it. A missing or changed trigger
 * explains most, and is named first. */
static bool derived_differs(struct verifier *v, enum derived_cause cause, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool derived_differs(struct verifier *v, enum derived_cause cause, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	if (v->trigger_problem)
		verify_fail(v, 0, "the derived run table disagrees with the chain of run %s: %s (%s, so the events recorded "
			"since did not update it; the chain's hashes are consistent up to its event %" PRId64 ")",
			v->chain, what, v->trigger_problem, v->cur->events);
	else if (cause == CAUSE_BEHIND)
		verify_fail(v, 0, "the derived run table disagrees with the chain of run %s: %s (the chain holds events the "
			"table does not count: the table was edited, or events were recorded while its trigger was "
			"disabled; the chain's hashes are consistent up to its event %" PRId64 ")", v->chain, what,
			v->cur->events);
	else if (cause == CAUSE_EDIT)
		verify_fail(v, 0, "the derived run table disagrees with the chain of run %s: %s (the table was edited; the "
			"chain's hashes are consistent up to its event %" PRId64 ")", v->chain, what, v->cur->events);
	else
		verify_fail(v, 0, "the derived run table disagrees with the chain of run %s: %s (the table was edited, or "
			"events were removed from the end of the chain, whose hashes are consistent up to its event %"
			PRId64 ")", v->chain, what, v->cur->events);
	free(what);
	return false;
}

/* Whether the trigger that keeps the derived run table is the one
 * migration 3 made: without it, every append from then on leaves the table
 * behind (and a new run out of the listings). A connection reading a
 * version 2 database through views has none to check. */
bool verify_check_trigger(struct verifier *v)
{
	v->trigger_problem = NULL;
	if (v->st->derived_views)
		return true;
	sqlite3_stmt *stmt = store_prepare(v->st, "SELECT sql FROM main.sqlite_schema WHERE type = 'trigger' "
		"AND name = 'run_index_append' AND tbl_name = 'events'");
	if (!stmt)
		return verify_db_fail(v, "cannot read the schema");
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		v->trigger_problem = "its trigger run_index_append was dropped from the schema";
	else if (rc != SQLITE_ROW)
		v->status = store_db_fail(v->st, "cannot read the schema");
	else if (strcmp(store_column_text(stmt, 0), v->st->schema < STORE_SCHEMA_SIGNED ? STORE_RUN_INDEX_TRIGGER_V3
			: STORE_RUN_INDEX_TRIGGER) != 0)
		v->trigger_problem = "its trigger run_index_append was replaced by one countersign did not make";
	sqlite3_finalize(stmt);
	return v->status == STORE_OK;
}

/* After the chains passed: a trigger that no longer keeps the table is a
 * failure even while the table still agrees, since the next append makes
 * the listings wrong. */
bool verify_report_trigger(struct verifier *v)
{
	if (!v->trigger_problem)
		return true;
	v->chain = NULL;
	return verify_fail(v, 0, "the chains verify, but the derived run table that lists runs is no longer kept up to "
		"date: %s (the file was edited outside countersign)", v->trigger_problem);
}

/* Who recorded in the run, by the derived table, against the chain. */
static bool check_derived_actors(struct verifier *v, const char *run)
{
	sqlite3_stmt *stmt = store_prepare(v->st, "SELECT DISTINCT actor FROM run_actors WHERE run = ?1");
	if (!stmt)
		return verify_db_fail(v, "cannot read the derived run table");
	sqlite3_bind_text(stmt, 1, run, -1, SQLITE_STATIC);
	size_t listed = 0;
	int rc = SQLITE_DONE;
	bool ok = true;
	while (ok && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *actor = store_column_text(stmt, 0);
		if (strvec_find(&v->actors, actor) < 0)
			ok = derived_differs(v, CAUSE_EDIT, "it names %s among those who recorded in it, the chain has no "
				"event by %s", actor, actor);
		listed++;
	}
	if (ok && rc != SQLITE_DONE)
		ok = verify_db_fail(v, "cannot read the derived run table");
	sqlite3_finalize(stmt);
	if (ok && listed != v->actors.n)
		ok = derived_differs(v, listed < v->actors.n ? CAUSE_BEHIND : CAUSE_EDIT_OR_CUT,
			"it names %zu engineers who recorded in it, the chain %zu", listed, v->actors.n);
	return ok;
}

/* The derived run table's row of RUN against what its chain says. */
bool verify_check_derived(struct verifier *v, const char *run)
{
	sqlite3_stmt *stmt = store_prepare(v->st, "SELECT state, ended_us, last_seq, head, last_us, events "
		"FROM run_index WHERE run = ?1");
	if (!stmt)
		return verify_db_fail(v, "cannot read the derived run table");
	sqlite3_bind_text(stmt, 1, run, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	bool ok = true;
	const char *state = v->end_kind ? v->end_kind : "open";
	/* Fewer events than the chain: the table fell behind, it was not cut. */
	enum derived_cause cause = rc == SQLITE_ROW && sqlite3_column_int64(stmt, 5) < v->cur->events &&
		sqlite3_column_int64(stmt, 2) < v->cur->events ? CAUSE_BEHIND : CAUSE_EDIT_OR_CUT;
	if (rc == SQLITE_DONE)
		ok = derived_differs(v, CAUSE_BEHIND, "it has no row for the run");
	else if (rc != SQLITE_ROW)
		ok = verify_db_fail(v, "cannot read the derived run table");
	else if (strcmp(store_column_text(stmt, 0), state) != 0)
		ok = derived_differs(v, cause, "it says the run is %s, the chain that it is %s", store_column_text(stmt, 0), state);
	else if (sqlite3_column_int64(stmt, 1) != v->end_us)
		ok = derived_differs(v, cause, "it says the run ended at %" PRId64 " us, the chain at %" PRId64 " us",
			(int64_t)sqlite3_column_int64(stmt, 1), v->end_us);
	else if (sqlite3_column_int64(stmt, 2) != v->cur->events || sqlite3_column_int64(stmt, 5) != v->cur->events)
		ok = derived_differs(v, cause, "it counts %" PRId64 " events (the last %" PRId64 "), the chain has %"
			PRId64, (int64_t)sqlite3_column_int64(stmt, 5), (int64_t)sqlite3_column_int64(stmt, 2),
			v->cur->events);
	else if (strcmp(store_column_text(stmt, 3), v->cur->head) != 0)
		ok = derived_differs(v, cause, "its head is %.*s..., the chain's %.*s...", VERIFY_SHORT_HASH,
			store_column_text(stmt, 3), VERIFY_SHORT_HASH, v->cur->head);
	else if (sqlite3_column_int64(stmt, 4) != v->last_us)
		ok = derived_differs(v, cause, "it says the last event was at %" PRId64 " us, the chain at %" PRId64
			" us", (int64_t)sqlite3_column_int64(stmt, 4), v->last_us);
	sqlite3_finalize(stmt);
	return ok && check_derived_actors(v, run);
}

/* Runs SQL, which lists names that point at no run (with ?1 bound to BIND
 * when BIND is set), and fails naming the first one as BEFORE name AFTER.
 * CANNOT says what could not be read when the query itself fails.
 * Returns true when it lists none. */
static bool check_no_row(struct verifier *v, const char *sql, const char *bind, const char *cannot,
	const char *before, const char *after)
{
	sqlite3_stmt *stmt = store_prepare(v->st, sql);
	if (!stmt)
		return verify_db_fail(v, cannot);
	if (bind)
		sqlite3_bind_text(stmt, 1, bind, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	bool ok = rc == SQLITE_DONE;
	if (rc == SQLITE_ROW) {
		v->chain = store_column_text(stmt, 0);
		verify_fail(v, 0, "%s%s%s", before, v->chain, after);
	} else if (rc != SQLITE_DONE) {
		verify_db_fail(v, cannot);
	}
	v->chain = NULL;
	sqlite3_finalize(stmt);
	return ok;
}

/* Events whose chain names no run: the run's row was removed. */
bool verify_check_orphans(struct verifier *v)
{
	return check_no_row(v, "SELECT DISTINCT chain FROM events "
		"WHERE chain NOT IN (?1, 'registry') AND chain NOT IN (SELECT id FROM runs) ORDER BY chain",
		EVENT_CHAIN_ENGINEERS, "cannot list chains",
		"events of chain ", " belong to no run (the run's row was removed)");
}

/* Rows of the derived run table for no run. */
bool verify_check_derived_orphans(struct verifier *v)
{
	return check_no_row(v, "SELECT run FROM run_index WHERE run NOT IN (SELECT id FROM runs) "
		"UNION SELECT run FROM run_actors WHERE run NOT IN (SELECT id FROM runs) ORDER BY 1 LIMIT 1",
		NULL, "cannot read the derived run table",
		"the derived run table names run ", ", which does not exist (the table was edited)");
}

