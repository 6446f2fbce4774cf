/* Verification: recomputes every hash chain from its genesis, checks the
 * signatures, the evidence the events name and the tables against the
 * chains, reporting the first thing that is wrong in words an auditor can
 * act on. Order: the engineers chain (folded into each engineer's keys), the
 * registry chain, then each run oldest first (docs/record.md). This file
 * walks the chains; store_verify_keys.c, _registry.c, _rows.c, _derived.c
 * and _checkpoint.c hold the rules. */
#include "store_verify_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

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

bool verify_fail(struct verifier *v, int64_t seq, const char *fmt, ...)
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

bool verify_db_fail(struct verifier *v, enum db_rc rc, const char *what)
{
	v->status = store_fail(v->st, rc, what);
	return false;
}

struct db_stmt *verify_prepare(struct verifier *v, const char *sql, const char *what)
{
	struct db_stmt *stmt = NULL;
	enum db_rc rc = db_prepare(v->st->conn, sql, &stmt);
	if (rc == DB_OK)
		return stmt;
	verify_db_fail(v, rc, what);
	return NULL;
}

char *verify_event_name(const struct verifier *v, const struct event *ev)
{
	if (v->chain && store_chain_is_registry(v->chain))
		return xasprintf("event %" PRId64 " of the %s chain (%s of %s)", ev->seq, v->chain, ev->kind,
			ev->target[0] ? ev->target : "nobody");
	return xasprintf("event %" PRId64 " (%s by %s)", ev->seq, ev->kind, ev->actor[0] ? ev->actor : "nobody");
}

static bool check_evidence(const char *sha, void *user)
{
	struct verifier *v = user;
	if (!store_is_sha_hex(sha))
		return verify_fail(v, v->seq, "event %" PRId64 " names evidence \"%s\", which is not a SHA-256 in lowercase hex",
			v->seq, sha);
	db_reset(v->evidence);
	db_bind_text(v->evidence, 1, sha);
	enum db_rc rc = db_step(v->evidence);
	if (rc == DB_DONE)
		return verify_fail(v, v->seq, "evidence %.*s... named by event %" PRId64 " is missing", VERIFY_SHORT_HASH, sha,
			v->seq);
	if (rc != DB_ROW)
		return verify_db_fail(v, rc, "cannot read evidence");
	char got[EVENT_HASH_HEX];
	size_t len = 0;
	const void *bytes = db_column_blob(v->evidence, 0, &len);
	event_sha256_hex(bytes, len, got);
	if (strcmp(got, sha) != 0)
		return verify_fail(v, v->seq, "evidence %.*s... named by event %" PRId64 " does not match its bytes "
			"(the evidence was altered)", VERIFY_SHORT_HASH, sha, v->seq);
	return true;
}

/* "event 5 is missing (events jump from 4 to 6)" and its variants. */
static bool report_gap(struct verifier *v, int64_t want, int64_t got)
{
	if (got == 0)
		return verify_fail(v, want, "event %" PRId64 " is missing (the chain has no events%s)", want,
			want == 1 ? "" : " after it");
	if (want == 1)
		return verify_fail(v, 1, "event 1 is missing (the chain starts at event %" PRId64 ")", got);
	if (got == want + 1)
		return verify_fail(v, want, "event %" PRId64 " is missing (events jump from %" PRId64 " to %" PRId64 ")",
			want, want - 1, got);
	return verify_fail(v, want, "events %" PRId64 " to %" PRId64 " are missing (events jump from %" PRId64
		" to %" PRId64 ")", want, got - 1, want - 1, got);
}

static bool check_event(struct verifier *v, const struct event *ev, const char *expected_prev)
{
	const char *actor = ev->actor[0] ? ev->actor : "nobody";
	char computed[EVENT_HASH_HEX];
	if (!event_compute_hash(ev, computed))
		return verify_fail(v, ev->seq, "event %" PRId64 " (%s by %s): its link to the previous event is not a hash "
			"(the record was altered)", ev->seq, ev->kind, actor);
	if (strcmp(computed, ev->hash) != 0)
		return verify_fail(v, ev->seq, "event %" PRId64 " (%s by %s): hash does not match its contents "
			"(the record was altered)", ev->seq, ev->kind, actor);
	if (strcmp(ev->prev, expected_prev) != 0) {
		if (ev->seq == 1)
			return verify_fail(v, 1, "event 1 (%s by %s): does not start from the chain's genesis (%s)", ev->kind,
				actor, strcmp(v->chain, EVENT_CHAIN_ENGINEERS) == 0 ? "the first event was altered"
				: "the run's row or its first event was altered");
		return verify_fail(v, ev->seq, "event %" PRId64 " (%s by %s): does not follow from event %" PRId64
			" (an event was altered, removed or reordered)", ev->seq, ev->kind, actor, ev->seq - 1);
	}
	v->seq = ev->seq;
	const char *why = NULL;
	if (!store_payload_evidence(ev->payload, check_evidence, v, &why)) {
		if (why)
			return verify_fail(v, ev->seq, "event %" PRId64 " (%s by %s): %s", ev->seq, ev->kind, actor, why);
		return false;
	}
	return true;
}

static void forget_chain(struct verifier *v)
{
	strvec_clear(&v->actors);
	v->end_kind = NULL;
	v->end_us = v->last_us = v->end_seq = 0;
	v->end_hash[0] = '\0';
	free(v->first_payload);
	free(v->first_kind);
	v->first_payload = v->first_kind = NULL;
	for (size_t i = 0; i < v->n_requests; i++) {
		free(v->requests[i].actor);
		free(v->requests[i].target);
		free(v->requests[i].payload);
	}
	free(v->requests);
	v->requests = NULL;
	v->n_requests = 0;
}

/* Starts checking CHAIN: LISTED chains are reported in OUT->chains and
 * counted; the others (the engineers and registry chains read for the keys
 * and the registry of one run) are checked all the same. */
static void begin_chain(struct verifier *v, const char *chain, bool listed, struct store_verify_chain *scratch)
{
	forget_chain(v);
	v->chain = chain;
	if (listed) {
		struct store_verify_result *o = v->out;
		o->chains = xreallocarray(o->chains, o->n_chains + 1, sizeof(*o->chains));
		v->cur = &o->chains[o->n_chains++];
		memset(v->cur, 0, sizeof(*v->cur));
		v->cur->chain = xstrdup(chain);
	} else {
		memset(scratch, 0, sizeof(*scratch));
		v->cur = scratch;
	}
	v->listed = listed;
	v->unsigned_through = !v->signatures ? INT64_MAX
		: store_chain_is_registry(chain) && strcmp(chain, EVENT_CHAIN_ENGINEERS) != 0 ? 0
		: verify_unsigned_through(v, chain);
}

/* Keeps what the derived run table should say of the chain being checked. */
static void note_run_event(struct verifier *v, const struct event *ev)
{
	v->last_us = ev->time_us;
	if (!v->end_kind && (strcmp(ev->kind, EV_RUN_COMPLETED) == 0 || strcmp(ev->kind, EV_RUN_ABORTED) == 0)) {
		v->end_kind = strcmp(ev->kind, EV_RUN_COMPLETED) == 0 ? "completed" : "aborted";
		v->end_us = ev->time_us;
		v->end_seq = ev->seq;
		memcpy(v->end_hash, ev->hash, sizeof(v->end_hash));
	}
	if (ev->seq == 1) {
		v->first_payload = xstrdup(ev->payload);
		v->first_kind = xstrdup(ev->kind);
	}
	if (strvec_find(&v->actors, ev->actor) < 0)
		strvec_push(&v->actors, ev->actor);
}

/* The rules of the chain EV belongs to, once its hash is right. */
static bool check_rules(struct verifier *v, const struct event *ev)
{
	if (strcmp(v->chain, EVENT_CHAIN_ENGINEERS) == 0)
		return verify_keys_event(v, ev);
	if (strcmp(v->chain, EVENT_CHAIN_REGISTRY) == 0)
		return verify_registry_event(v, ev);
	if (!verify_signatures(v, ev) || !verify_signed_roles(v, ev) || !verify_fold_event(v, ev))
		return false;
	note_run_event(v, ev);
	return true;
}

/* Checks CHAIN from GENESIS; false at the first failure (v->out or v->status
 * says which). */
static bool verify_chain(struct verifier *v, const char *genesis)
{
	db_reset(v->events);
	db_bind_text(v->events, 1, v->chain);
	char prev[EVENT_HASH_HEX];
	snprintf(prev, sizeof(prev), "%s", genesis);
	int64_t want = 1;
	enum db_rc rc;
	while ((rc = db_step(v->events)) == DB_ROW) {
		struct event ev = {
			.seq = db_column_int64(v->events, 0),
			.time_us = db_column_int64(v->events, 1),
			.actor = (char *)store_col_str(v->events, 2),
			.os_user = (char *)store_col_str(v->events, 3),
			.host = (char *)store_col_str(v->events, 4),
			.tty = (char *)store_col_str(v->events, 5),
			.kind = (char *)store_col_str(v->events, 6),
			.target = (char *)store_col_str(v->events, 7),
			.payload = (char *)store_col_str(v->events, 8),
			.sigs = (char *)store_col_str(v->events, 11),
		};
		snprintf(ev.prev, sizeof(ev.prev), "%s", store_col_str(v->events, 9));
		snprintf(ev.hash, sizeof(ev.hash), "%s", store_col_str(v->events, 10));
		if (ev.seq != want)
			return report_gap(v, want, ev.seq);
		if (!check_event(v, &ev, prev) || !check_rules(v, &ev))
			return false;
		if (v->listed && v->anchor && strcasecmp(v->anchor, ev.hash) == 0)
			v->anchor_found = true;
		memcpy(prev, ev.hash, sizeof(prev));
		memcpy(v->cur->head, ev.hash, sizeof(v->cur->head));
		v->cur->events++;
		if (v->listed) {
			memcpy(v->out->head, ev.hash, sizeof(v->out->head));
			v->out->events++;
		}
		want++;
	}
	if (rc != DB_DONE)
		return verify_db_fail(v, rc, "cannot read events");
	if (want == 1 && !store_chain_is_registry(v->chain))
		return report_gap(v, 1, 0);
	return true;
}

/* The engineers chain, folded into each engineer's keys; with ROWS, the
 * engineers table against it. */
static bool verify_engineers(struct verifier *v, bool listed, bool rows)
{
	struct store_verify_chain scratch;
	begin_chain(v, EVENT_CHAIN_ENGINEERS, listed, &scratch);
	char genesis[EVENT_HASH_HEX];
	event_sha256_hex(STORE_ENGINEERS_GENESIS_TAG, strlen(STORE_ENGINEERS_GENESIS_TAG), genesis);
	return verify_chain(v, genesis) && (!rows || verify_engineer_rows(v));
}

/* The registry chain, and that every run it names exists. */
static bool verify_registry(struct verifier *v, bool listed)
{
	if (!v->signatures)
		return true;
	struct store_verify_chain scratch;
	begin_chain(v, EVENT_CHAIN_REGISTRY, listed, &scratch);
	char genesis[EVENT_HASH_HEX];
	event_sha256_hex(STORE_REGISTRY_GENESIS_TAG, strlen(STORE_REGISTRY_GENESIS_TAG), genesis);
	if (!verify_chain(v, genesis))
		return false;
	if (v->cur->events == 0)
		return report_gap(v, 1, 0);
	return verify_registry_runs(v);
}

static bool verify_run(struct verifier *v, const struct store_run_row *run)
{
	begin_chain(v, run->id, true, NULL);
	char genesis[EVENT_HASH_HEX];
	store_run_genesis(run, genesis);
	/* The snapshot first: the run is folded with the checklist it holds. */
	if (!verify_snapshot(v, run))
		return false;
	verify_fold_begin(v, run);
	bool ok = verify_chain(v, genesis) && verify_run_started(v, run) &&
		(!v->signatures || verify_registry_run(v, run)) && verify_check_derived(v, run->id);
	verify_fold_end(v);
	return ok;
}

/* Before anything: what registry_opened says may be unsigned. */
static bool load_registry(struct verifier *v)
{
	return !v->signatures || verify_registry_load(v);
}

static bool verify_all(struct verifier *v)
{
	if (!load_registry(v) || !verify_engineers(v, true, true) || !verify_registry(v, true))
		return false;
	struct store_run_row *runs = NULL;
	size_t n = 0;
	v->status = store_list_runs(v->st, &runs, &n);
	bool ok = v->status == STORE_OK;
	/* Oldest first, so that the report follows the order of history. */
	for (size_t i = n; ok && i > 0; i--)
		ok = verify_run(v, &runs[i - 1]);
	store_run_row_array_free(runs, n);
	return ok && verify_other_snapshots(v) && verify_check_orphans(v) && verify_check_derived_orphans(v) &&
		verify_report_trigger(v);
}

static bool verify_one(struct verifier *v, const char *run_id)
{
	if (!load_registry(v))
		return false;
	if (strcmp(run_id, EVENT_CHAIN_ENGINEERS) == 0)
		return verify_engineers(v, true, true);
	if (strcmp(run_id, EVENT_CHAIN_REGISTRY) == 0)
		return verify_engineers(v, false, false) && verify_registry(v, true);
	struct store_run_row run;
	v->status = store_get_run(v->st, run_id, &run);
	if (v->status != STORE_OK)
		return false;
	bool ok = verify_engineers(v, false, false) && verify_registry(v, false) && verify_run(v, &run) &&
		verify_report_trigger(v);
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

/* After a verdict of ok on a record older than signatures: what could not
 * be checked, said in the result rather than failed. */
static void note_unsigned_record(struct verifier *v)
{
	v->out->why = xasprintf("the record predates signatures (schema version %d): its events carry none "
		"(%" PRId64 " counted unsigned), its engineers have no keys and it has no registry chain, so a run "
		"removed whole or an edited row cannot be detected; any command that records brings it up to date",
		v->st->schema, v->out->unsigned_events);
}

static void finish_anchor(struct verifier *v, const char *run_id)
{
	struct store_verify_result *out = v->out;
	out->ok = false;
	out->chain = run_id ? xstrdup(run_id) : NULL;
	out->why = run_id
		? xasprintf("anchor %s is not in the chain of run %s: the run was cut short or the anchor "
			"belongs to another run", v->anchor, run_id)
		: xasprintf("anchor %s is not in any chain: a run was cut short or the anchor belongs to "
			"another database", v->anchor);
}

/* Each of CPS[0..N) still holds (the record extends it). */
static bool checkpoints_hold(struct verifier *v, const struct checkpoint *cps, size_t n)
{
	if (!load_registry(v))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!verify_checkpoint_chains(v, &cps[i]))
			return false;
	return true;
}

/* store_verify and store_verify_checkpoint: the checkpoints CPS, when
 * given, are checked first, in the same read transaction. */
static enum store_status verify_record(struct store *st, const char *run_id, const char *anchor,
	const struct checkpoint *cps, size_t n_cps, struct store_verify_result *out)
{
	memset(out, 0, sizeof(*out));
	struct verifier v = {.st = st, .out = out, .anchor = anchor && anchor[0] ? anchor : NULL};
	if (v.anchor && !anchor_is_hash(v.anchor)) {
		out->chain = run_id ? xstrdup(run_id) : NULL;
		out->why = xasprintf("anchor %s is not a SHA-256 hash (64 hex digits)", v.anchor);
		return STORE_OK;
	}
	/* One read transaction (on PostgreSQL one snapshot, db_pg.c): a
	 * concurrent append is either wholly seen or not. */
	enum store_status began = store_begin(st, false, "cannot start verifying");
	if (began != STORE_OK)
		return began == STORE_UNAVAILABLE ? began : STORE_FAILED;
	/* The rules are those of the schema in the snapshot read, not of the
	 * one seen at open: a read-only connection's record may have been
	 * migrated since, and its triggers and columns are the new version's. */
	if (!store_schema_of_snapshot(st)) {
		store_rollback(st);
		return STORE_FAILED;
	}
	v.signatures = st->schema >= STORE_SCHEMA_SIGNED;
	char *sql = xasprintf("SELECT seq, time_us, actor, os_user, host, tty, kind, target, payload, prev, hash, "
		"%s FROM events WHERE chain = ?1 ORDER BY seq", store_sigs_column(st));
	v.events = verify_prepare(&v, sql, "cannot prepare a statement");
	free(sql);
	if (v.events)
		v.evidence = verify_prepare(&v, "SELECT bytes FROM evidence WHERE sha256 = ?1",
			"cannot prepare a statement");
	bool ok = false;
	if (v.events && v.evidence && verify_check_trigger(&v))
		ok = (!n_cps || checkpoints_hold(&v, cps, n_cps)) && (run_id ? verify_one(&v, run_id) : verify_all(&v));
	out->ok = ok;
	if (ok && v.anchor && !v.anchor_found)
		finish_anchor(&v, run_id);
	else if (ok && !v.signatures)
		note_unsigned_record(&v);
	forget_chain(&v);
	verify_keys_clear(&v);
	verify_fold_clear(&v);
	verify_registry_clear(&v.reg);
	strvec_clear(&v.snapshots_ok);
	free(v.guard_problem);
	db_finalize(v.events);
	db_finalize(v.evidence);
	store_rollback(st);
	if (v.status != STORE_OK) {
		/* Not a verdict about the record: say nothing about it. */
		store_verify_result_clear(out);
	}
	return v.status;
}

enum store_status store_verify(struct store *st, const char *run_id, const char *anchor,
	struct store_verify_result *out)
{
	return verify_record(st, run_id, anchor, NULL, 0, out);
}

enum store_status store_verify_checkpoint(struct store *st, const struct checkpoint *cps, size_t n,
	struct store_verify_result *out)
{
	assert(cps && n > 0);
	return verify_record(st, NULL, NULL, cps, n, out);
}
