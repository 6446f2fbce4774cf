/* Verification of the derived run table: each run's row against its chain
 * (which store_verify.c just checked), its trigger, and rows or events that
 * name no run. The table is not part of the record; it must agree with it. */
#include "store_verify_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_pg.h"

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

/* PostgreSQL keeps no trigger text: a trigger is catalog rows and its
 * action a function. Each trigger the schema makes (schema_pg.c, read from
 * its statements rather than listed again here) is looked up by name on its
 * table: it must exist, be enabled, fire on the same events, and call the
 * function of the same name, whose body (pg_proc.prosrc, kept as written)
 * must be the schema's. */
/* pg_trigger.tgtype's bits (PostgreSQL's catalog/pg_trigger.h). */
enum {
	TG_ROW = 1 << 0,
	TG_BEFORE = 1 << 1,
	TG_INSERT = 1 << 2,
	TG_DELETE = 1 << 3,
	TG_UPDATE = 1 << 4,
	TG_TRUNCATE = 1 << 5,
};

/* One CREATE TRIGGER of the schema, as its text says. */
struct pg_trigger_def {
	char name[64], table[64], function[64];
	int64_t type;     /* tgtype's bits */
	char columns[128]; /* UPDATE OF's columns, sorted, space-separated ("" for none) */
	bool when;        /* it has a WHEN condition */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The column list "a, b, c" of UPDATE OF, LEN bytes at LIST, sorted and
 * joined by spaces into OUT (as the catalog query gives it). */
static void sorted_columns(const char *list, size_t len, char *out, size_t size)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%.*s", (int)len, list);
	char *cols[16];
	size_t n = 0;
	for (char *save = NULL, *c = strtok_r(buf, ", ", &save); c && n < 16; c = strtok_r(NULL, ", ", &save))
		cols[n++] = c;
	qsort(cols, n, sizeof(*cols), cmp_str);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(out);
		snprintf(out + used, size - used, "%s%s", i ? " " : "", cols[i]);
	}
}

/* The word of TEXT at P (up to a space, '(' or the end) into OUT. */
static void word_at(const char *p, char *out, size_t size)
{
	size_t n = strcspn(p, " (\n");
	snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), p);
}

/* Reads statement SQL when it is a CREATE TRIGGER: false when it is not. */
static bool parse_trigger(const char *sql, struct pg_trigger_def *t)
{
	static const char create[] = "CREATE TRIGGER ";
	if (strncmp(sql, create, sizeof(create) - 1) != 0)
		return false;
	memset(t, 0, sizeof(*t));
	const char *p = sql + sizeof(create) - 1;
	word_at(p, t->name, sizeof(t->name));
	const char *on = strstr(p, " ON ");
	const char *exec = strstr(p, "EXECUTE FUNCTION ");
	assert(on && exec);
	word_at(on + 4, t->table, sizeof(t->table));
	word_at(exec + strlen("EXECUTE FUNCTION "), t->function, sizeof(t->function));
	/* The events are between the name and ON: "BEFORE UPDATE OF name ON". */
	char events[128];
	snprintf(events, sizeof(events), "%.*s", (int)(on - p), p);
	t->type = (strstr(events, " BEFORE ") ? TG_BEFORE : 0) | (strstr(events, " INSERT") ? TG_INSERT : 0) |
		(strstr(events, " DELETE") ? TG_DELETE : 0) | (strstr(events, " UPDATE") ? TG_UPDATE : 0) |
		(strstr(events, " TRUNCATE") ? TG_TRUNCATE : 0) | (strstr(on, "FOR EACH ROW") ? TG_ROW : 0);
	const char *of = strstr(events, " UPDATE OF ");
	if (of)
		sorted_columns(of + strlen(" UPDATE OF "), strlen(of + strlen(" UPDATE OF ")), t->columns,
			sizeof(t->columns));
	t->when = strstr(on, " WHEN (") != NULL;
	return true;
}

/* The body the schema gives FUNCTION (between its $$ delimiters, as
 * pg_proc.prosrc keeps it; malloc'd), or NULL when it makes none. */
static char *function_body(const char *const *sql, size_t n, const char *function)
{
	char head[96];
	snprintf(head, sizeof(head), "CREATE FUNCTION %s(", function);
	for (size_t i = 0; i < n; i++) {
		if (strncmp(sql[i], head, strlen(head)) != 0)
			continue;
		const char *open = strstr(sql[i], "$$");
		const char *close = open ? strstr(open + 2, "$$") : NULL;
		assert(close);
		return xasprintf("%.*s", (int)(close - open - 2), open + 2);
	}
	return NULL;
}

/* What is wrong with trigger T in the catalog (static text), or NULL when
 * it is the schema's; false when the catalog cannot be read. */
static bool check_one(struct verifier *v, struct db_stmt *stmt, const struct pg_trigger_def *t, const char *body,
	const char **problem)
{
	db_reset(stmt);
	db_bind_text(stmt, 1, t->table);
	db_bind_text(stmt, 2, t->name);
	enum db_rc rc = db_step(stmt);
	*problem = NULL;
	if (rc == DB_DONE) {
		*problem = "was dropped";
		return true;
	}
	if (rc != DB_ROW)
		return verify_db_fail(v, rc, "cannot read the schema");
	/* 'O' fires in the usual (origin) sessions, 'A' always; 'D' is
	 * disabled, 'R' fires only for replication. */
	const char *enabled = store_col_str(stmt, 0);
	if (strcmp(enabled, "O") != 0 && strcmp(enabled, "A") != 0)
		*problem = "was disabled";
	else if (db_column_int64(stmt, 1) != t->type || strcmp(store_col_str(stmt, 2), t->function) != 0 ||
		!body || strcmp(store_col_str(stmt, 3), body) != 0 || strcmp(store_col_str(stmt, 4), t->columns) != 0 ||
		(db_column_int64(stmt, 5) != 0) != t->when)
		*problem = "was replaced by one countersign did not make";
	return true;
}

static bool verify_pg_triggers(struct verifier *v)
{
	size_t n = 0;
	const char *const *sql = store_pg_schema(&n);
	/* The trigger on the table the store's SQL names (the search path's),
	 * its function by oid, the columns of UPDATE OF, whether it has a WHEN
	 * (whose text the server rewrites: an edited condition shows in the
	 * derived run table's checks). */
	struct db_stmt *stmt = verify_prepare(v, "SELECT t.tgenabled, t.tgtype, p.proname, p.prosrc, "
		"coalesce((SELECT string_agg(a.attname::text, ' ' ORDER BY a.attname::text COLLATE \"C\") "
		"FROM pg_catalog.pg_attribute AS a WHERE a.attrelid = t.tgrelid AND a.attnum = ANY (t.tgattr)), ''), "
		"CASE WHEN t.tgqual IS NULL THEN 0 ELSE 1 END "
		"FROM pg_catalog.pg_trigger AS t JOIN pg_catalog.pg_proc AS p ON p.oid = t.tgfoid "
		"WHERE t.tgrelid = to_regclass(?1) AND t.tgname = ?2 AND NOT t.tgisinternal",
		"cannot read the schema");
	if (!stmt)
		return false;
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++) {
		struct pg_trigger_def t;
		if (!parse_trigger(sql[i], &t))
			continue;
		char *body = function_body(sql, n, t.function);
		const char *problem = NULL;
		ok = check_one(v, stmt, &t, body, &problem);
		free(body);
		if (!ok || !problem)
			continue;
		if (strcmp(t.name, "run_index_append") == 0)
			v->trigger_problem = strcmp(problem, "was dropped") == 0
				? "its trigger run_index_append was dropped from the schema"
				: strcmp(problem, "was disabled") == 0 ? "its trigger run_index_append was disabled"
				: "its trigger run_index_append was replaced by one countersign did not make";
		else if (!v->guard_problem)
			v->guard_problem = xasprintf("the trigger %s on %s that countersign made %s", t.name, t.table,
				problem);
	}
	db_finalize(stmt);
	return ok;
}

/* Whether the trigger that keeps the derived run table is the one
 * migration 3 made: without it, every append from then on leaves the table
 * behind (and a new run out of the listings). A connection reading a
 * version 2 database through views has none to check. SQLite keeps each
 * trigger's text, which must be the one countersign wrote; PostgreSQL
 * keeps none, and its catalog is read instead (store_verify_pg.c). */
bool verify_check_trigger(struct verifier *v)
{
	v->trigger_problem = NULL;
	if (store_is_pg(v->st))
		return verify_pg_triggers(v);
	if (v->st->derived_views)
		return true;
	struct db_stmt *stmt = verify_prepare(v, "SELECT sql FROM main.sqlite_schema WHERE type = 'trigger' "
		"AND name = 'run_index_append' AND tbl_name = 'events'", "cannot read the schema");
	if (!stmt)
		return false;
	enum db_rc rc = db_step(stmt);
	if (rc == DB_DONE)
		v->trigger_problem = "its trigger run_index_append was dropped from the schema";
	else if (rc != DB_ROW)
		verify_db_fail(v, rc, "cannot read the schema");
	else if (strcmp(store_col_str(stmt, 0), v->st->schema < STORE_SCHEMA_SIGNED ? STORE_RUN_INDEX_TRIGGER_V3
			: STORE_RUN_INDEX_TRIGGER) != 0)
		v->trigger_problem = "its trigger run_index_append was replaced by one countersign did not make";
	db_finalize(stmt);
	return v->status == STORE_OK;
}

/* After the chains passed: a trigger that no longer keeps the table is a
 * failure even while the table still agrees, since the next append makes
 * the listings wrong. */
bool verify_report_trigger(struct verifier *v)
{
	if (!v->trigger_problem && !v->guard_problem)
		return true;
	v->chain = NULL;
	if (!v->trigger_problem)
		return verify_fail(v, 0, "the chains verify, but %s (the database was changed outside countersign)",
			v->guard_problem);
	return verify_fail(v, 0, "the chains verify, but the derived run table that lists runs is no longer kept up to "
		"date: %s (the %s outside countersign)", v->trigger_problem,
		store_is_pg(v->st) ? "database was changed" : "file was edited");
}

/* Who recorded in the run, by the derived table, against the chain. */
static bool check_derived_actors(struct verifier *v, const char *run)
{
	struct db_stmt *stmt = verify_prepare(v, "SELECT DISTINCT actor FROM run_actors WHERE run = ?1",
		"cannot read the derived run table");
	if (!stmt)
		return false;
	db_bind_text(stmt, 1, run);
	size_t listed = 0;
	enum db_rc rc = DB_DONE;
	bool ok = true;
	while (ok && (rc = db_step(stmt)) == DB_ROW) {
		const char *actor = store_col_str(stmt, 0);
		if (strvec_find(&v->actors, actor) < 0)
			ok = derived_differs(v, CAUSE_EDIT, "it names %s among those who recorded in it, the chain has no "
				"event by %s", actor, actor);
		listed++;
	}
	if (ok && rc != DB_DONE)
		ok = verify_db_fail(v, rc, "cannot read the derived run table");
	db_finalize(stmt);
	if (ok && listed != v->actors.n)
		ok = derived_differs(v, listed < v->actors.n ? CAUSE_BEHIND : CAUSE_EDIT_OR_CUT,
			"it names %zu engineers who recorded in it, the chain %zu", listed, v->actors.n);
	return ok;
}

/* The derived run table's row of RUN against what its chain says. */
bool verify_check_derived(struct verifier *v, const char *run)
{
	struct db_stmt *stmt = verify_prepare(v, "SELECT state, ended_us, last_seq, head, last_us, events "
		"FROM run_index WHERE run = ?1", "cannot read the derived run table");
	if (!stmt)
		return false;
	db_bind_text(stmt, 1, run);
	enum db_rc rc = db_step(stmt);
	bool ok = true;
	const char *state = v->end_kind ? v->end_kind : "open";
	/* Fewer events than the chain: the table fell behind, it was not cut. */
	enum derived_cause cause = rc == DB_ROW && db_column_int64(stmt, 5) < v->cur->events &&
		db_column_int64(stmt, 2) < v->cur->events ? CAUSE_BEHIND : CAUSE_EDIT_OR_CUT;
	if (rc == DB_DONE)
		ok = derived_differs(v, CAUSE_BEHIND, "it has no row for the run");
	else if (rc != DB_ROW)
		ok = verify_db_fail(v, rc, "cannot read the derived run table");
	else if (strcmp(store_col_str(stmt, 0), state) != 0)
		ok = derived_differs(v, cause, "it says the run is %s, the chain that it is %s", store_col_str(stmt, 0), state);
	else if (db_column_int64(stmt, 1) != v->end_us)
		ok = derived_differs(v, cause, "it says the run ended at %" PRId64 " us, the chain at %" PRId64 " us",
			db_column_int64(stmt, 1), v->end_us);
	else if (db_column_int64(stmt, 2) != v->cur->events || db_column_int64(stmt, 5) != v->cur->events)
		ok = derived_differs(v, cause, "it counts %" PRId64 " events (the last %" PRId64 "), the chain has %"
			PRId64, db_column_int64(stmt, 5), db_column_int64(stmt, 2),
			v->cur->events);
	else if (strcmp(store_col_str(stmt, 3), v->cur->head) != 0)
		ok = derived_differs(v, cause, "its head is %.*s..., the chain's %.*s...", VERIFY_SHORT_HASH,
			store_col_str(stmt, 3), VERIFY_SHORT_HASH, v->cur->head);
	else if (db_column_int64(stmt, 4) != v->last_us)
		ok = derived_differs(v, cause, "it says the last event was at %" PRId64 " us, the chain at %" PRId64
			" us", db_column_int64(stmt, 4), v->last_us);
	db_finalize(stmt);
	return ok && check_derived_actors(v, run);
}

/* Runs SQL, which lists names that point at no run (with ?1 bound to BIND
 * when BIND is set), and fails naming the first one as BEFORE name AFTER.
 * CANNOT says what could not be read when the query itself fails.
 * Returns true when it lists none. */
static bool check_no_row(struct verifier *v, const char *sql, const char *bind, const char *cannot,
	const char *before, const char *after)
{
	struct db_stmt *stmt = verify_prepare(v, sql, cannot);
	if (!stmt)
		return false;
	if (bind)
		db_bind_text(stmt, 1, bind);
	enum db_rc rc = db_step(stmt);
	bool ok = rc == DB_DONE;
	if (rc == DB_ROW) {
		v->chain = store_col_str(stmt, 0);
		verify_fail(v, 0, "%s%s%s", before, v->chain, after);
	} else if (rc != DB_DONE) {
		verify_db_fail(v, rc, cannot);
	}
	v->chain = NULL;
	db_finalize(stmt);
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

