/* Verification: recomputes every hash chain from its genesis and checks the
 * evidence the events name, reporting the first thing that is wrong in words
 * an auditor can act on. */
#include "store_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "countersign/util.h"

/* Hashes in messages are cut to this many hex digits, enough to find them. */
#define SHORT_HASH 12

struct verifier {
	struct store *st;
	struct store_verify_result *out;
	const char *anchor;
	bool anchor_found;
	sqlite3_stmt *events;   /* one chain, in seq order */
	sqlite3_stmt *evidence; /* bytes by sha256 */
	const char *chain;
	int64_t seq;            /* the event whose evidence is being checked */
	enum store_status status; /* STORE_FAILED once SQLite failed */
	/* What the chain just checked says of its run, for the derived run
	 * table's row: */
	const char *end_kind;   /* the first run_completed or run_aborted (borrowed), or NULL */
	int64_t end_us, last_us;
	struct strvec actors;   /* who recorded in it, each once */
	/* Why the derived run table is not kept with each append (its trigger
	 * is missing or not the one migration 3 made), or NULL. */
	const char *trigger_problem;
};

void store_verify_result_clear(struct store_verify_result *r)
{
	if (!r)
		return;
	free(r->chain);
	free(r->why);
	for (size_t i = 0; i < r->n_chains; i++)
		free(r->chains[i].chain);
	free(r->chains);
	memset(r, 0, sizeof(*r));
}

/* Records the first failure; later ones are not looked for. */
static bool fail(struct verifier *v, int64_t seq, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(struct verifier *v, int64_t seq, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	v->out->why = xvasprintf(fmt, ap);
	va_end(ap);
	v->out->chain = v->chain ? xstrdup(v->chain) : NULL;
	v->out->bad_seq = seq;
	v->out->ok = false;
	return false;
}

static bool db_fail(struct verifier *v, const char *what)
{
	v->status = store_db_fail(v->st, what);
	return false;
}

static bool check_evidence(const char *sha, void *user)
{
	struct verifier *v = user;
	if (!store_is_sha_hex(sha))
		return fail(v, v->seq, "event %" PRId64 " names evidence \"%s\", which is not a SHA-256 in lowercase hex",
			v->seq, sha);
	sqlite3_reset(v->evidence);
	sqlite3_bind_text(v->evidence, 1, sha, -1, SQLITE_STATIC);
	int rc = sqlite3_step(v->evidence);
	if (rc == SQLITE_DONE)
		return fail(v, v->seq, "evidence %.*s... named by event %" PRId64 " is missing", SHORT_HASH, sha, v->seq);
	if (rc != SQLITE_ROW)
		return db_fail(v, "cannot read evidence");
	char got[EVENT_HASH_HEX];
	event_sha256_hex(sqlite3_column_blob(v->evidence, 0), (size_t)sqlite3_column_bytes(v->evidence, 0), got);
	if (strcmp(got, sha) != 0)
		return fail(v, v->seq, "evidence %.*s... named by event %" PRId64 " does not match its bytes "
			"(the evidence was altered)", SHORT_HASH, sha, v->seq);
	return true;
}

/* "event 5 is missing (events jump from 4 to 6)" and its variants. */
static bool report_gap(struct verifier *v, int64_t want, int64_t got)
{
	if (got == 0)
		return fail(v, want, "event %" PRId64 " is missing (the chain has no events%s)", want,
			want == 1 ? "" : " after it");
	if (want == 1)
		return fail(v, 1, "event 1 is missing (the chain starts at event %" PRId64 ")", got);
	if (got == want + 1)
		return fail(v, want, "event %" PRId64 " is missing (events jump from %" PRId64 " to %" PRId64 ")",
			want, want - 1, got);
	return fail(v, want, "events %" PRId64 " to %" PRId64 " are missing (events jump from %" PRId64
		" to %" PRId64 ")", want, got - 1, want - 1, got);
}

static bool check_event(struct verifier *v, const struct event *ev, const char *expected_prev)
{
	const char *actor = ev->actor[0] ? ev->actor : "nobody";
	char computed[EVENT_HASH_HEX];
	if (!event_compute_hash(ev, computed))
		return fail(v, ev->seq, "event %" PRId64 " (%s by %s): its link to the previous event is not a hash "
			"(the record was altered)", ev->seq, ev->kind, actor);
	if (strcmp(computed, ev->hash) != 0)
		return fail(v, ev->seq, "event %" PRId64 " (%s by %s): hash does not match its contents "
			"(the record was altered)", ev->seq, ev->kind, actor);
	if (strcmp(ev->prev, expected_prev) != 0) {
		if (ev->seq == 1)
			return fail(v, 1, "event 1 (%s by %s): does not start from the chain's genesis (%s)", ev->kind,
				actor, strcmp(v->chain, EVENT_CHAIN_ENGINEERS) == 0 ? "the first event was altered"
				: "the run's row or its first event was altered");
		return fail(v, ev->seq, "event %" PRId64 " (%s by %s): does not follow from event %" PRId64
			" (an event was altered, removed or reordered)", ev->seq, ev->kind, actor, ev->seq - 1);
	}
	v->seq = ev->seq;
	const char *why = NULL;
	if (!store_payload_evidence(ev->payload, check_evidence, v, &why)) {
		if (why)
			return fail(v, ev->seq, "event %" PRId64 " (%s by %s): %s", ev->seq, ev->kind, actor, why);
		return false;
	}
	return true;
}

static void forget_derived(struct verifier *v)
{
	strvec_clear(&v->actors);
	v->end_kind = NULL;
	v->end_us = v->last_us = 0;
}

/* Keeps what the derived run table should say of the chain being checked. */
static void note_derived(struct verifier *v, const struct event *ev)
{
	v->last_us = ev->time_us;
	if (!v->end_kind && (strcmp(ev->kind, EV_RUN_COMPLETED) == 0 || strcmp(ev->kind, EV_RUN_ABORTED) == 0)) {
		v->end_kind = strcmp(ev->kind, EV_RUN_COMPLETED) == 0 ? "completed" : "aborted";
		v->end_us = ev->time_us;
	}
	if (strvec_find(&v->actors, ev->actor) < 0)
		strvec_push(&v->actors, ev->actor);
}

/* Checks CHAIN from GENESIS; false at the first failure (v->out or v->status
 * says which). */
static bool verify_chain(struct verifier *v, const char *chain, const char *genesis)
{
	forget_derived(v);
	v->chain = chain;
	sqlite3_reset(v->events);
	sqlite3_bind_text(v->events, 1, chain, -1, SQLITE_STATIC);
	char prev[EVENT_HASH_HEX];
	snprintf(prev, sizeof(prev), "%s", genesis);
	int64_t want = 1;
	int rc;
	while ((rc = sqlite3_step(v->events)) == SQLITE_ROW) {
		struct event ev = {
			.seq = sqlite3_column_int64(v->events, 0),
			.time_us = sqlite3_column_int64(v->events, 1),
			.actor = (char *)store_column_text(v->events, 2),
			.os_user = (char *)store_column_text(v->events, 3),
			.host = (char *)store_column_text(v->events, 4),
			.tty = (char *)store_column_text(v->events, 5),
			.kind = (char *)store_column_text(v->events, 6),
			.target = (char *)store_column_text(v->events, 7),
			.payload = (char *)store_column_text(v->events, 8),
		};
		snprintf(ev.prev, sizeof(ev.prev), "%s", store_column_text(v->events, 9));
		snprintf(ev.hash, sizeof(ev.hash), "%s", store_column_text(v->events, 10));
		if (ev.seq != want)
			return report_gap(v, want, ev.seq);
		if (!check_event(v, &ev, prev))
			return false;
		if (v->anchor && strcasecmp(v->anchor, ev.hash) == 0)
			v->anchor_found = true;
		note_derived(v, &ev);
		memcpy(prev, ev.hash, sizeof(prev));
		memcpy(v->out->head, ev.hash, sizeof(v->out->head));
		v->out->events++;
		want++;
	}
	if (rc != SQLITE_DONE)
		return db_fail(v, "cannot read events");
	if (want == 1 && strcmp(chain, EVENT_CHAIN_ENGINEERS) != 0)
		return report_gap(v, 1, 0);
	return true;
}

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
		fail(v, 0, "the derived run table disagrees with the chain of run %s: %s (%s, so the events recorded "
			"since did not update it; the chain's hashes are consistent up to its event %" PRId64 ")",
			v->chain, what, v->trigger_problem, v->out->events);
	else if (cause == CAUSE_BEHIND)
		fail(v, 0, "the derived run table disagrees with the chain of run %s: %s (the chain holds events the "
			"table does not count: the table was edited, or events were recorded while its trigger was "
			"disabled; the chain's hashes are consistent up to its event %" PRId64 ")", v->chain, what,
			v->out->events);
	else if (cause == CAUSE_EDIT)
		fail(v, 0, "the derived run table disagrees with the chain of run %s: %s (the table was edited; the "
			"chain's hashes are consistent up to its event %" PRId64 ")", v->chain, what, v->out->events);
	else
		fail(v, 0, "the derived run table disagrees with the chain of run %s: %s (the table was edited, or "
			"events were removed from the end of the chain, whose hashes are consistent up to its event %"
			PRId64 ")", v->chain, what, v->out->events);
	free(what);
	return false;
}

/* Whether the trigger that keeps the derived run table is the one
 * migration 3 made: without it, every append from then on leaves the table
 * behind (and a new run out of the listings). A connection reading a
 * version 2 database through views has none to check. */
static bool check_trigger(struct verifier *v)
{
	v->trigger_problem = NULL;
	if (v->st->derived_views)
		return true;
	sqlite3_stmt *stmt = store_prepare(v->st, "SELECT sql FROM main.sqlite_schema WHERE type = 'trigger' "
		"AND name = 'run_index_append' AND tbl_name = 'events'");
	if (!stmt)
		return db_fail(v, "cannot read the schema");
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		v->trigger_problem = "its trigger run_index_append was dropped from the schema";
	else if (rc != SQLITE_ROW)
		v->status = store_db_fail(v->st, "cannot read the schema");
	else if (strcmp(store_column_text(stmt, 0), STORE_RUN_INDEX_TRIGGER) != 0)
		v->trigger_problem = "its trigger run_index_append was replaced by one countersign did not make";
	sqlite3_finalize(stmt);
	return v->status == STORE_OK;
}

/* After the chains passed: a trigger that no longer keeps the table is a
 * failure even while the table still agrees, since the next append makes
 * the listings wrong. */
static bool report_trigger(struct verifier *v)
{
	if (!v->trigger_problem)
		return true;
	v->chain = NULL;
	return fail(v, 0, "the chains verify, but the derived run table that lists runs is no longer kept up to "
		"date: %s (the file was edited outside countersign)", v->trigger_problem);
}

/* Who recorded in the run, by the derived table, against the chain. */
static bool check_derived_actors(struct verifier *v, const char *run)
{
	sqlite3_stmt *stmt = store_prepare(v->st, "SELECT DISTINCT actor FROM run_actors WHERE run = ?1");
	if (!stmt)
		return db_fail(v, "cannot read the derived run table");
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
		ok = db_fail(v, "cannot read the derived run table");
	sqlite3_finalize(stmt);
	if (ok && listed != v->actors.n)
		ok = derived_differs(v, listed < v->actors.n ? CAUSE_BEHIND : CAUSE_EDIT_OR_CUT,
			"it names %zu engineers who recorded in it, the chain %zu", listed, v->actors.n);
	return ok;
}

/* The derived run table's row of RUN against what its chain says. */
static bool check_derived(struct verifier *v, const char *run)
{
	sqlite3_stmt *stmt = store_prepare(v->st, "SELECT state, ended_us, last_seq, head, last_us, events "
		"FROM run_index WHERE run = ?1");
	if (!stmt)
		return db_fail(v, "cannot read the derived run table");
	sqlite3_bind_text(stmt, 1, run, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	bool ok = true;
	const char *state = v->end_kind ? v->end_kind : "open";
	/* Fewer events than the chain: the table fell behind, it was not cut. */
	enum derived_cause cause = rc == SQLITE_ROW && sqlite3_column_int64(stmt, 5) < v->out->events &&
		sqlite3_column_int64(stmt, 2) < v->out->events ? CAUSE_BEHIND : CAUSE_EDIT_OR_CUT;
	if (rc == SQLITE_DONE)
		ok = derived_differs(v, CAUSE_BEHIND, "it has no row for the run");
	else if (rc != SQLITE_ROW)
		ok = db_fail(v, "cannot read the derived run table");
	else if (strcmp(store_column_text(stmt, 0), state) != 0)
		ok = derived_differs(v, cause, "it says the run is %s, the chain that it is %s", store_column_text(stmt, 0), state);
	else if (sqlite3_column_int64(stmt, 1) != v->end_us)
		ok = derived_differs(v, cause, "it says the run ended at %" PRId64 " us, the chain at %" PRId64 " us",
			(int64_t)sqlite3_column_int64(stmt, 1), v->end_us);
	else if (sqlite3_column_int64(stmt, 2) != v->out->events || sqlite3_column_int64(stmt, 5) != v->out->events)
		ok = derived_differs(v, cause, "it counts %" PRId64 " events (the last %" PRId64 "), the chain has %"
			PRId64, (int64_t)sqlite3_column_int64(stmt, 5), (int64_t)sqlite3_column_int64(stmt, 2),
			v->out->events);
	else if (strcmp(store_column_text(stmt, 3), v->out->head) != 0)
		ok = derived_differs(v, cause, "its head is %.*s..., the chain's %.*s...", SHORT_HASH, store_column_text(stmt, 3),
			SHORT_HASH, v->out->head);
	else if (sqlite3_column_int64(stmt, 4) != v->last_us)
		ok = derived_differs(v, cause, "it says the last event was at %" PRId64 " us, the chain at %" PRId64
			" us", (int64_t)sqlite3_column_int64(stmt, 4), v->last_us);
	sqlite3_finalize(stmt);
	return ok && check_derived_actors(v, run);
}

static bool verify_run(struct verifier *v, const struct store_run_row *run)
{
	char genesis[EVENT_HASH_HEX];
	store_run_genesis(run, genesis);
	/* The head and count of this chain alone, for its derived row. */
	int64_t events = v->out->events;
	v->out->events = 0;
	bool ok = verify_chain(v, run->id, genesis) && check_derived(v, run->id);
	v->out->events += events;
	return ok;
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
		return db_fail(v, cannot);
	if (bind)
		sqlite3_bind_text(stmt, 1, bind, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	bool ok = rc == SQLITE_DONE;
	if (rc == SQLITE_ROW) {
		v->chain = store_column_text(stmt, 0);
		fail(v, 0, "%s%s%s", before, v->chain, after);
	} else if (rc != SQLITE_DONE) {
		db_fail(v, cannot);
	}
	v->chain = NULL;
	sqlite3_finalize(stmt);
	return ok;
}

/* Events whose chain names no run: the run's row was removed. */
static bool check_orphans(struct verifier *v)
{
	return check_no_row(v, "SELECT DISTINCT chain FROM events "
		"WHERE chain <> ?1 AND chain NOT IN (SELECT id FROM runs) ORDER BY chain",
		EVENT_CHAIN_ENGINEERS, "cannot list chains",
		"events of chain ", " belong to no run (the run's row was removed)");
}

/* Rows of the derived run table for no run. */
static bool check_derived_orphans(struct verifier *v)
{
	return check_no_row(v, "SELECT run FROM run_index WHERE run NOT IN (SELECT id FROM runs) "
		"UNION SELECT run FROM run_actors WHERE run NOT IN (SELECT id FROM runs) ORDER BY 1 LIMIT 1",
		NULL, "cannot read the derived run table",
		"the derived run table names run ", ", which does not exist (the table was edited)");
}

static bool verify_all(struct verifier *v)
{
	struct store_run_row *runs = NULL;
	size_t n = 0;
	v->status = store_list_runs(v->st, &runs, &n);
	bool ok = v->status == STORE_OK;
	/* Oldest first, so that the report follows the order of history. */
	for (size_t i = n; ok && i > 0; i--)
		ok = verify_run(v, &runs[i - 1]);
	for (size_t i = 0; i < n; i++)
		store_run_row_clear(&runs[i]);
	free(runs);
	if (ok) {
		char genesis[EVENT_HASH_HEX];
		store_chain_genesis(v->st, EVENT_CHAIN_ENGINEERS, genesis);
		ok = verify_chain(v, EVENT_CHAIN_ENGINEERS, genesis);
	}
	return ok && check_orphans(v) && check_derived_orphans(v) && report_trigger(v);
}

static bool verify_one(struct verifier *v, const char *run_id)
{
	if (strcmp(run_id, EVENT_CHAIN_ENGINEERS) == 0) {
		char genesis[EVENT_HASH_HEX];
		store_chain_genesis(v->st, EVENT_CHAIN_ENGINEERS, genesis);
		return verify_chain(v, EVENT_CHAIN_ENGINEERS, genesis);
	}
	struct store_run_row run;
	v->status = store_get_run(v->st, run_id, &run);
	bool ok = v->status == STORE_OK && verify_run(v, &run) && report_trigger(v);
	store_run_row_clear(&run);
	return ok;
}

static bool anchor_is_hash(const char *anchor)
{
	size_t i = 0;
	for (; anchor[i]; i++)
		if (!strchr("0123456789abcdefABCDEF", anchor[i]))
			return false;
	return i == EVENT_HASH_HEX - 1;
}

enum store_status store_verify(struct store *st, const char *run_id, const char *anchor,
	struct store_verify_result *out)
{
	memset(out, 0, sizeof(*out));
	struct verifier v = {.st = st, .out = out, .anchor = anchor && anchor[0] ? anchor : NULL};
	if (v.anchor && !anchor_is_hash(v.anchor)) {
		out->chain = run_id ? xstrdup(run_id) : NULL;
		out->why = xasprintf("anchor %s is not a SHA-256 hash (64 hex digits)", v.anchor);
		return STORE_OK;
	}
	/* One read transaction: a concurrent append is either wholly seen or not. */
	if (store_begin(st, false, "cannot start verifying") != STORE_OK)
		return STORE_FAILED;
	v.events = store_prepare(st, "SELECT seq, time_us, actor, os_user, host, tty, kind, target, payload, "
		"prev, hash FROM events WHERE chain = ?1 ORDER BY seq");
	v.evidence = store_prepare(st, "SELECT bytes FROM evidence WHERE sha256 = ?1");
	bool ok = false;
	if (!v.events || !v.evidence)
		v.status = STORE_FAILED;
	else if (check_trigger(&v))
		ok = run_id ? verify_one(&v, run_id) : verify_all(&v);
	if (ok && v.anchor && !v.anchor_found) {
		ok = false;
		out->chain = run_id ? xstrdup(run_id) : NULL;
		out->why = run_id
			? xasprintf("anchor %s is not in the chain of run %s: the run was cut short or the anchor "
				"belongs to another run", v.anchor, run_id)
			: xasprintf("anchor %s is not in any chain: a run was cut short or the anchor belongs to "
				"another database", v.anchor);
	}
	out->ok = ok;
	forget_derived(&v);
	sqlite3_finalize(v.events);
	sqlite3_finalize(v.evidence);
	store_rollback(st);
	if (v.status != STORE_OK) {
		/* Not a verdict about the record: say nothing about it. */
		char *chain = out->chain, *why = out->why;
		memset(out, 0, sizeof(*out));
		free(chain);
		free(why);
	}
	return v.status;
}
