#include "countersign/clock.h"
#include "countersign/session.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "countersign/duration.h"
#include "countersign/pin.h"
#include "countersign/sanitize.h"
#include "countersign/store.h"
#include "countersign/util.h"
#include "countersign/vars.h"
#include "proc.h"
#include "run/session_internal.h"

int session_open_store(struct session *s, const char *db_path)
{
	return session_open_store_mode(s, db_path, STORE_CREATE);
}

int session_open_store_mode(struct session *s, const char *db_path, enum store_mode mode)
{
	char *path = store_default_path(db_path);
	char *err = NULL;
	s->st = store_open_mode(path, mode, &err);
	if (!s->st) {
		reporter_say(&s->report, "cannot open the database %s: %s", path, err ? err : "unknown error");
		free(err);
		free(path);
		return CS_ENV;
	}
	free(path);
	return CS_OK;
}

void session_close(struct session *s)
{
	engine_destroy(s->eng);
	checklist_destroy(s->cl);
	if (s->have_run)
		store_run_row_clear(&s->run);
	if (!s->shared_store)
		store_close(s->st);
	session_keys_destroy(s->keys);
	session_roster_destroy(s->roster);
	struct reporter keep = s->report;
	memset(s, 0, sizeof(*s));
	s->report = keep;
}

void session_open_shared(struct session *s, const struct session *owner)
{
	assert(owner && owner->st && !s->st);
	s->st = owner->st;
	s->shared_store = true;
}

void session_origin(struct event *o, const char *actor)
{
	store_process_origin(o);
	if (actor) {
		free(o->actor);
		o->actor = xstrdup(actor);
	}
	o->target = xstrdup("");
	o->payload = xstrdup("{}");
}

/* What the check_started payload of a running item says of its process. */
struct running_proc {
	pid_t pid, pgid;
	char *host, *proc_start, *pgid_start, *boot_id, *pid_ns, *check_id;
};

static void running_proc_clear(struct running_proc *rp)
{
	free(rp->host);
	free(rp->proc_start);
	free(rp->pgid_start);
	free(rp->boot_id);
	free(rp->pid_ns);
	free(rp->check_id);
	memset(rp, 0, sizeof(*rp));
}

static char *json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

static pid_t json_pid(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsNumber(v) && v->valuedouble > 1 && v->valuedouble < 1e9 ? (pid_t)v->valuedouble : 0;
}

static void running_proc_parse(const char *payload, struct running_proc *rp)
{
	memset(rp, 0, sizeof(*rp));
	cJSON *p = cJSON_Parse(payload ? payload : "{}");
	rp->pid = json_pid(p, "pid");
	rp->pgid = json_pid(p, "pgid");
	rp->host = json_str(p, "host");
	rp->proc_start = json_str(p, "proc_start");
	rp->pgid_start = json_str(p, "pgid_start");
	rp->boot_id = json_str(p, "boot_id");
	rp->pid_ns = json_str(p, "pid_ns");
	rp->check_id = json_str(p, "check_id");
	cJSON_Delete(p);
}

static bool same_boot(const struct running_proc *rp)
{
	if (!rp->boot_id)
		return true;  /* recorded before boot ids were: assume this boot */
	char *boot = proc_boot_id();
	bool same = !boot || strcmp(boot, rp->boot_id) == 0;
	free(boot);
	return same;
}

/* Process ids mean something only in the PID namespace they came from (a
 * container sharing the host name and the database sees other numbers). */
static bool same_pid_namespace(const struct running_proc *rp)
{
	if (!rp->pid_ns)
		return true;
	char *ns = proc_pid_namespace();
	bool same = !ns || strcmp(ns, rp->pid_ns) == 0;
	free(ns);
	return same;
}

enum session_liveness session_check_liveness(const struct session *s, size_t sec, size_t item, char **where)
{
	const struct engine_item_state *is = engine_item(s->eng, sec, item);
	if (where)
		*where = NULL;
	if (is->verdict != VERDICT_RUNNING || s->cl->sections[sec].items[item].kind == ITEM_WAIT)
		return SESSION_NOT_RUNNING;
	struct running_proc rp;
	running_proc_parse(is->running_payload, &rp);
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	enum session_liveness l;
	bool other_ns = !same_pid_namespace(&rp);
	if (!rp.host || !rp.pid)
		l = SESSION_LIVE_UNKNOWN;
	else if (strcmp(rp.host, host) != 0)
		l = SESSION_LIVE_ELSEWHERE;
	else if (!same_boot(&rp))
		l = SESSION_LIVE_GONE;
	else if (other_ns)
		l = SESSION_LIVE_ELSEWHERE;
	else if (!proc_alive(rp.pid, rp.proc_start))
		l = SESSION_LIVE_GONE;
	else
		l = SESSION_LIVE_RUNNING;
	if (where)
		*where = rp.host && rp.pid ? xasprintf("process %d on host %s%s", (int)rp.pid, rp.host,
			other_ns && l == SESSION_LIVE_ELSEWHERE ? " (in another PID namespace)" : "")
			: xstrdup("a process that recorded no identity");
	running_proc_clear(&rp);
	return l;
}

/* Stops what a dead check left running here: only in this boot and PID
 * namespace, and only the processes marked as the check's. */
static struct proc_stopped stop_leftovers(const struct engine_item_state *is)
{
	struct running_proc rp;
	running_proc_parse(is->running_payload, &rp);
	struct proc_stopped r = {0};
	if (rp.pgid && rp.pgid_start && same_boot(&rp) && same_pid_namespace(&rp))
		r = proc_stop_group(rp.pgid, rp.pgid_start, rp.check_id, 2000);
	running_proc_clear(&rp);
	return r;
}

/* Stops the leftovers of SEC/ITEM; false, after saying why, when some could
 * not be stopped from here: recording the check as interrupted would let it
 * be run again beside what is still running. *STOPPED: how many went. */
static bool leftovers_stopped(struct session *s, size_t sec, size_t item, int *stopped)
{
	struct proc_stopped r = stop_leftovers(engine_item(s->eng, sec, item));
	*stopped = r.stopped;
	if (!r.survivors && !r.unknown)
		return true;
	struct running_proc rp;
	running_proc_parse(engine_item(s->eng, sec, item)->running_payload, &rp);
	reporter_say(&s->report, "%s/%s: its countersign process is gone, but %d process%s of it (process group %d) "
		"could not be stopped from here (another user's?); stop them, then any command that records marks "
		"it interrupted", s->cl->sections[sec].id, s->cl->sections[sec].items[item].id, r.survivors + r.unknown,
		r.survivors + r.unknown == 1 ? "" : "es", (int)rp.pgid);
	running_proc_clear(&rp);
	return false;
}

/* Records a running check as interrupted (guarded: only while that very
 * attempt is still the item's latest word). ACTOR NULL: the system. */
static int record_interrupted(struct session *s, size_t sec, size_t item, const char *actor, const char *why)
{
	const struct checklist *cl = s->cl;
	const struct engine_item_state *is = engine_item(s->eng, sec, item);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "verdict", "error");
	cJSON_AddStringToObject(p, "message", why);
	cJSON_AddNumberToObject(p, "interrupted_seq", (double)is->verdict_seq);
	struct session_guard guard = {.action = ACTION_RECOVER, .sec = sec, .item = item, .seq = is->verdict_seq};
	char *target = xasprintf("%s/%s", cl->sections[sec].id, cl->sections[sec].items[item].id);
	int rc = session_record(s, &guard, actor ? actor : "system", EV_CHECK_FINISHED, target, p);
	free(target);
	return rc;
}

/* A running check whose process is gone (killed, power lost) must never
 * count as passed: stop what it left running and record it as an error.
 * Only sessions that write do this, and each decision is re-checked on the
 * newest state when it is written, so a check that finished meanwhile in
 * another process is never overwritten. */
int session_recover_interrupted(struct session *s)
{
	const struct checklist *cl = s->cl;
	for (size_t sec = 0; sec < cl->n_sections; sec++) {
		for (size_t i = 0; i < cl->sections[sec].n_items; i++) {
			int stopped = 0;
			if (session_check_liveness(s, sec, i, NULL) != SESSION_LIVE_GONE || !leftovers_stopped(s, sec, i, &stopped))
				continue;
			char *why = stopped ? xasprintf("interrupted: the process running the check ended before it "
				"finished; %d process%s it left running %s stopped", stopped, stopped == 1 ? "" : "es",
				stopped == 1 ? "was" : "were")
				: xstrdup("interrupted: the process running the check ended before it finished");
			int rc = record_interrupted(s, sec, i, NULL, why);
			free(why);
			if (rc != CS_OK && rc != CS_REFUSED)
				return rc;
		}
	}
	return CS_OK;
}

int session_recover_check(struct session *s, size_t sec, size_t item, const char *actor, const char *reason)
{
	char *where = NULL;
	enum session_liveness l = session_check_liveness(s, sec, item, &where);
	const char *id = s->cl->sections[sec].items[item].id;
	int rc, stopped = 0;
	if (l == SESSION_NOT_RUNNING) {
		rc = session_refuse(s, xasprintf("%s/%s is not running; nothing to recover", s->cl->sections[sec].id, id));
	} else if (l == SESSION_LIVE_RUNNING) {
		rc = session_refuse(s, xasprintf("%s/%s is still running as %s; cancel it there (or stop that "
			"process) first", s->cl->sections[sec].id, id, where));
	} else if (l == SESSION_LIVE_GONE && !leftovers_stopped(s, sec, item, &stopped)) {
		rc = CS_REFUSED;
	} else {
		char *why = xasprintf("interrupted: recovered by %s (%s): %s%s", actor, where, reason,
			stopped ? "; processes it left running were stopped" : "");
		rc = record_interrupted(s, sec, item, actor, why);
		free(why);
		if (rc == CS_REFUSED)
			reporter_say(&s->report, "%s/%s was recorded meanwhile by another process", s->cl->sections[sec].id, id);
	}
	free(where);
	return rc;
}

int session_load_run(struct session *s, const char *run_id)
{
	/* A session holds one run: loading another over it would leak the
	 * first one's engine and checklist (close the session first). */
	assert(s && s->st && run_id && !s->have_run && !s->eng && !s->cl);
	enum store_status rc = store_get_run(s->st, run_id, &s->run);
	if (rc == STORE_NOT_FOUND) {
		reporter_say(&s->report, "no run \"%s\"; 'countersign runs --all' lists them", run_id);
		return CS_INVALID;
	}
	if (rc != STORE_OK) {
		reporter_say(&s->report, "cannot read run %s: %s", run_id, store_error(s->st));
		return CS_ENV;
	}
	s->have_run = true;
	size_t len = 0;
	char *text = store_get_checklist(s->st, s->run.checklist_sha, &len);
	if (!text) {
		reporter_say(&s->report, "the checklist snapshot %.12s of run %s is missing from the database",
			s->run.checklist_sha, run_id);
		return CS_ENV;
	}
	struct diag_list d;
	diag_list_init(&d, s->run.path);
	s->cl = checklist_load_text(s->run.path, text, len, &d);
	free(text);
	if (!s->cl) {
		reporter_say(&s->report, "the checklist snapshot of run %s no longer loads", run_id);
		diag_list_print(&d, stderr);
		diag_list_clear(&d);
		return CS_ENV;
	}
	diag_list_clear(&d);
	s->eng = engine_create(s->cl);
	s->data_version = store_data_version(s->st);
	struct event *evs = NULL;
	size_t n = 0;
	if (store_load_events(s->st, s->run.id, 0, &evs, &n) != STORE_OK) {
		reporter_say(&s->report, "cannot read the events of run %s: %s", run_id, store_error(s->st));
		return CS_ENV;
	}
	for (size_t i = 0; i < n; i++)
		engine_apply(s->eng, &evs[i]);
	event_array_free(evs, n);
	engine_refresh(s->eng, clock_wall_us());
	/* A session that only reads never records anything. */
	return store_read_only(s->st) ? CS_OK : session_recover_interrupted(s);
}

/* Folds events other processes appended since the engine last looked;
 * returns how many, or -1 when they cannot be read (*FAILURE, when not
 * NULL, gets the store's status). */
static long catch_up(struct session *s, enum store_status *failure)
{
	assert(s->have_run && s->eng);
	struct event *evs = NULL;
	size_t n = 0;
	enum store_status st = store_load_events(s->st, s->run.id, engine_last_seq(s->eng), &evs, &n);
	if (failure)
		*failure = st;
	if (st != STORE_OK)
		return -1;
	if (n && s->on_fold)
		s->on_fold(s->fold_data, evs, n, false);
	for (size_t i = 0; i < n; i++)
		engine_apply(s->eng, &evs[i]);
	engine_refresh(s->eng, clock_wall_us());
	if (n && s->on_fold)
		s->on_fold(s->fold_data, evs, n, true);
	event_array_free(evs, n);
	return (long)n;
}

static bool guard_allows(struct session *s, const struct session_guard *g, char **why)
{
	const struct engine *e = s->eng;
	switch (g ? g->action : ACTION_NONE) {
	case ACTION_NONE: return true;
	case ACTION_CHECK: return engine_can_check(e, g->sec, g->item, why);
	case ACTION_ATTEST: return engine_can_attest(e, g->sec, g->item, why);
	case ACTION_WAIVE: return engine_can_waive(e, g->sec, g->item, why);
	case ACTION_CHOOSE: return engine_can_choose(e, g->sec, why);
	case ACTION_OVERRIDE: return engine_can_override(e, g->sec, why);
	case ACTION_NOTE: return engine_can_note(e, why);
	case ACTION_ABORT: return engine_can_abort(e, why);
	case ACTION_CANCEL_WAIT: return engine_can_cancel_wait(e, g->sec, g->item, why);
	case ACTION_FINISH: {
		const struct engine_item_state *is = engine_item(e, g->sec, g->item);
		if (is->verdict == VERDICT_RUNNING && is->verdict_seq == g->seq)
			return true;
		*why = xasprintf("the result of %s/%s was not recorded: that attempt was recorded as %s by %s "
			"meanwhile", s->cl->sections[g->sec].id, s->cl->sections[g->sec].items[g->item].id,
			is->verdict == VERDICT_RUNNING ? "superseded" : engine_verdict_name(is->verdict), is->actor ? is->actor : "?");
		return false;
	}
	case ACTION_REQUEST_OVERRIDE: return engine_can_request_override(e, g->sec, why);
	case ACTION_CONFIRM_OVERRIDE:
		if (!engine_can_confirm_override(e, g->sec, g->engineer, why))
			return false;
		if (engine_section(e, g->sec)->pending_seq != g->seq) {
			*why = xasprintf("the override request of \"%s\" changed meanwhile; look at it again",
				s->cl->sections[g->sec].id);
			return false;
		}
		return true;
	case ACTION_RECOVER: {
		const struct engine_item_state *is = engine_item(e, g->sec, g->item);
		if (is->verdict == VERDICT_RUNNING && is->verdict_seq == g->seq)
			return true;
		*why = xasprintf("%s/%s has been recorded meanwhile", s->cl->sections[g->sec].id,
			s->cl->sections[g->sec].items[g->item].id);
		return false;
	}
	case ACTION_GATE_WAITING: return session_gate_waiting_allowed(s, g, why);
	case ACTION_SIGN:
		/* the roles as the record says now, as the store checks them */
		if (!engine_can_sign(e, g->sec, g->engineer, g->meaning, session_roster(s), why))
			return false;
		if (g->digest && strcmp(g->digest, engine_section(e, g->sec)->digest) != 0) {
			*why = xasprintf("the evidence of \"%s\" changed while signing; review it again and sign anew",
				s->cl->sections[g->sec].id);
			return false;
		}
		return true;
	}
	return true;
}

static void notify(struct session *s, enum checklist_notify_event ev, const struct event *src, const char *what,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void notify(struct session *s, enum checklist_notify_event ev, const struct event *src, const char *what,
	const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	char *text = xasprintf("countersign · %s · run %s: %s", s->cl->title, s->run.id, msg);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "run", s->run.id);
	cJSON_AddStringToObject(d, "checklist", s->cl->id);
	cJSON_AddStringToObject(d, "title", s->run.title);
	cJSON_AddStringToObject(d, "actor", src && src->actor ? src->actor : "system");
	cJSON_AddStringToObject(d, "target", what ? what : "");
	if (src && src->payload)
		cJSON_AddItemToObject(d, "payload", cJSON_Parse(src->payload));
	char *details = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	s->on_notify(s->notify_data, ev, text, details);
	free(details);
	free(text);
	free(msg);
}

static const char *str_or(const cJSON *obj, const char *key, const char *fallback)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : fallback;
}

/* "a and b" from an override's payload; a static buffer, valid until the next call. */
static const char *engineers_of(const cJSON *p)
{
	static char buf[160];
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(p, "engineers");
	const cJSON *a = cJSON_GetArrayItem(arr, 0), *b = cJSON_GetArrayItem(arr, 1);
	snprintf(buf, sizeof(buf), "%s and %s", cJSON_IsString(a) ? a->valuestring : "?",
		cJSON_IsString(b) ? b->valuestring : "?");
	return buf;
}

/* The notify events of what was just recorded; gates that opened are found
 * by comparing with GATES_BEFORE. Only state changes notify. */
static void notify_changes(struct session *s, const struct event *evs, size_t n, const bool *gates_before)
{
	if (!s->on_notify)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct event *e = &evs[i];
		cJSON *p = cJSON_Parse(e->payload ? e->payload : "{}");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, "verdict");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(p, "meaning");
		const char *actor = e->actor ? e->actor : "system";
		if (strcmp(e->kind, EV_RUN_STARTED) == 0)
			notify(s, NOTIFY_RUN_STARTED, e, "", "%s started the run", actor);
		else if (strcmp(e->kind, EV_RUN_COMPLETED) == 0)
			notify(s, NOTIFY_RUN_COMPLETED, e, "", "completed: every gate has passed");
		else if (strcmp(e->kind, EV_RUN_ABORTED) == 0)
			notify(s, NOTIFY_RUN_ABORTED, e, "", "aborted by %s: %s", actor, str_or(p, "reason", ""));
		else if (strcmp(e->kind, EV_CHECK_FINISHED) == 0 && cJSON_IsString(v))
			notify(s, strcmp(v->valuestring, "pass") == 0 ? NOTIFY_CHECK_PASSED : NOTIFY_CHECK_FAILED, e, e->target,
				"%s: %s (%s)", e->target, v->valuestring, str_or(p, "message", ""));
		else if (strcmp(e->kind, EV_SIGNED) == 0) {
			/* older records say "approve"/"reject", or nothing for an approval */
			enum checklist_meaning mn = MEANING_APPROVED;
			if (cJSON_IsString(m) && !checklist_meaning_parse(m->valuestring, &mn))
				mn = MEANING_APPROVED;
			notify(s, mn == MEANING_REJECTED ? NOTIFY_REJECTION : NOTIFY_SIGNOFF, e, e->target, "%s %s %s", actor,
				checklist_meaning_name(mn), e->target);
		} else if (strcmp(e->kind, EV_OVERRIDE_REQUESTED) == 0)
			notify(s, NOTIFY_OVERRIDE, e, e->target, "%s asks to override %s: %s (incident %s); a second "
				"engineer must confirm within 15 minutes", actor, e->target, str_or(p, "reason", ""),
				str_or(p, "incident", ""));
		else if (strcmp(e->kind, EV_OVERRIDE) == 0)
			notify(s, NOTIFY_OVERRIDE, e, e->target, "FORCED %s by %s: %s (incident %s)", e->target,
				engineers_of(p), str_or(p, "reason", ""), str_or(p, "incident", ""));
		else if (strcmp(e->kind, EV_WAIVED) == 0)
			notify(s, NOTIFY_WAIVER, e, e->target, "%s waived %s: %s", actor, e->target, str_or(p, "reason", ""));
		else if (strcmp(e->kind, EV_CHOSEN) == 0)
			notify(s, NOTIFY_CHOICE, e, e->target, "%s chose %s", actor, e->target);
		else if (strcmp(e->kind, EV_NOTE) == 0)
			notify(s, NOTIFY_NOTE, e, e->target, "note by %s", actor);
		cJSON_Delete(p);
	}
	for (size_t k = 0; gates_before && k < s->cl->n_sections; k++) {
		const struct engine_section_state *ss = engine_section(s->eng, k);
		if (ss->gate_passed && !gates_before[k] && !ss->forced)
			notify(s, NOTIFY_GATE_PASSED, NULL, s->cl->sections[k].id, "gate of %s passed",
				s->cl->sections[k].id);
		else if (!ss->gate_passed && gates_before[k])
			notify(s, NOTIFY_GATE_REOPENED, n ? &evs[n - 1] : NULL, s->cl->sections[k].id,
				"gate of %s reopened: a re-check after sign-off failed; its signatures are stale",
				s->cl->sections[k].id);
	}
}

void session_announce_start(struct session *s, const char *actor)
{
	struct event started = {.kind = (char *)EV_RUN_STARTED, .actor = (char *)actor, .payload = (char *)"{}"};
	notify_changes(s, &started, 1, NULL);
}

/* False, after saying which field and where, when EV holds text that is
 * not UTF-8: what an engineer typed is refused before anything is
 * recorded (text the program makes from output was made valid already,
 * event_payload_print), the same on both engines. */
static bool text_valid(struct session *s, const struct event *ev)
{
	char *bad = event_invalid_text(ev);
	if (!bad)
		return true;
	reporter_say(&s->report, "not recorded: in the %s event, the %s; the record holds only UTF-8 text (type "
		"it again in a UTF-8 terminal)", ev->kind ? ev->kind : "", bad);
	free(bad);
	return false;
}

/* Says why an append was not recorded; CS_ENV. A server that cannot be
 * reached is named first: what was asked changed nothing, and can be asked
 * again once the server is back. */
static int append_failed(struct session *s)
{
	if (s->unknown)
		reporter_say(&s->report, "perhaps not recorded: the database stopped answering after the commit was "
			"sent, so whether it was recorded is unknown; 'countersign status' shows what the record holds once "
			"the server answers (%s)", store_error(s->st));
	else if (s->unreachable)
		reporter_say(&s->report, "not recorded: the database cannot be reached; nothing changed (%s)",
			store_error(s->st));
	else if (s->busy)
		reporter_say(&s->report, "not recorded: the database is busy (another process holds its lock); nothing "
			"changed (%s)", store_error(s->st));
	else
		reporter_say(&s->report, "cannot record in the database: %s", store_error(s->st));
	return CS_ENV;
}

bool session_unreachable(const struct session *s)
{
	return s->unreachable;
}

bool session_busy(const struct session *s)
{
	return s->busy;
}

int session_append_guarded(struct session *s, const struct session_guard *guard, struct event *evs,
	size_t n, struct store_evidence *ev, size_t n_ev)
{
	assert(s && s->have_run && s->eng && (evs || n == 0) && (ev || n_ev == 0));
	/* The rule is checked on the state as it is now, not as it was when a
	 * dialog opened (a wait may have passed, another terminal may have
	 * chosen meanwhile), and again whenever another process wrote first. */
	engine_refresh(s->eng, clock_wall_us());
	s->unreachable = false;
	s->busy = false;
	s->unknown = false;
	for (size_t i = 0; i < n; i++)
		if (!text_valid(s, &evs[i]))
			return CS_INVALID;
	int attached = session_attach_signers(s, s->run.id, evs, n);
	if (attached != CS_OK)
		return attached;
	for (int attempt = 0;; attempt++) {
		/* A signature carries its signer's roles as they are now (again on
		 * each attempt: another process may have changed them). */
		if (session_sign_roles(s, evs, n) != CS_OK)
			return CS_ENV;
		char *why = NULL;
		if (!guard_allows(s, guard, &why)) {
			if (!guard || (guard->action != ACTION_RECOVER && guard->action != ACTION_GATE_WAITING))
				return session_refuse(s, why);
			free(why);  /* the caller says what it means (a notice another process gave: nothing) */
			return CS_REFUSED;
		}
		enum store_status st = store_append_after(s->st, s->run.id, engine_last_seq(s->eng), evs, n, ev, n_ev);
		if (st == STORE_OK)
			break;
		if (st == STORE_REFUSED)
			return session_stale_signers(s, evs, n);
		s->unreachable = st == STORE_UNAVAILABLE;
		s->busy = st == STORE_FAILED && store_busy(s->st);
		s->unknown = st == STORE_UNAVAILABLE && store_outcome_unknown(s->st);
		if (st != STORE_CONFLICT || attempt >= 20 || catch_up(s, &st) < 0) {
			s->unreachable |= st == STORE_UNAVAILABLE;
			return append_failed(s);
		}
	}
	s->appended++;
	/* The store numbered them right after the state the rule was checked
	 * on (the head it found was last_seq), so the fold stays gap-free. */
	assert(n == 0 || evs[0].seq == engine_last_seq(s->eng) + 1);
	bool *gates = xcalloc(s->cl->n_sections + 1, sizeof(bool));
	for (size_t k = 0; k < s->cl->n_sections; k++)
		gates[k] = engine_section(s->eng, k)->gate_passed;
	for (size_t i = 0; i < n; i++)
		engine_apply(s->eng, &evs[i]);
	engine_refresh(s->eng, clock_wall_us());
	notify_changes(s, evs, n, gates);
	free(gates);
	if (engine_status(s->eng) == RUN_OPEN && engine_all_gates_passed(s->eng)) {
		struct event done;
		session_origin(&done, "system");
		done.kind = xstrdup(EV_RUN_COMPLETED);
		/* Another process may complete it first: then there is nothing to add. */
		enum store_status rc = store_append_after(s->st, s->run.id, engine_last_seq(s->eng), &done, 1, NULL, 0);
		if (rc == STORE_OK) {
			assert(done.seq == engine_last_seq(s->eng) + 1);
			engine_apply(s->eng, &done);
			engine_refresh(s->eng, clock_wall_us());
			notify_changes(s, &done, 1, NULL);
		} else if (rc == STORE_CONFLICT) {
			catch_up(s, NULL);
		}
		event_clear(&done);
		if (rc != STORE_OK && rc != STORE_CONFLICT) {
			/* the events asked for did land: only the completion is missing */
			reporter_say(&s->report, "cannot record in the database: %s", store_error(s->st));
			return CS_ENV;
		}
	}
	return CS_OK;
}

int session_append(struct session *s, struct event *evs, size_t n, struct store_evidence *ev, size_t n_ev)
{
	return session_append_guarded(s, NULL, evs, n, ev, n_ev);
}

bool session_poll(struct session *s)
{
	if (!s->have_run || !s->eng)
		return false;
	int64_t version = store_data_version(s->st);
	if (version == s->data_version)
		return false;
	s->data_version = version;
	return catch_up(s, NULL) > 0;
}

char *session_wait_text(const struct session *s, size_t sec, size_t item, bool full)
{
	const struct engine_item_state *is = engine_item(s->eng, sec, item);
	if (s->cl->sections[sec].items[item].kind != ITEM_WAIT || is->verdict != VERDICT_RUNNING)
		return NULL;
	char when[64], left[32];
	clock_strftime_utc(is->wait_until_us, full ? "%Y-%m-%d %H:%M:%S UTC" : "%H:%M:%S UTC", when, sizeof(when));
	int64_t left_s = (is->wait_until_us - clock_wall_us() + 999999) / 1000000;
	duration_format((left_s > 0 ? left_s : 0) * 1000, left, sizeof(left));
	return xasprintf("passes at %s (in %s)", when, left);
}

int session_cancel_wait(struct session *s, size_t sec, size_t item, const char *actor)
{
	assert(s->cl && sec < s->cl->n_sections && item < s->cl->sections[sec].n_items && actor);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "verdict", "cancelled");
	char *msg = xasprintf("wait cancelled by %s", actor);
	cJSON_AddStringToObject(p, "message", msg);
	free(msg);
	struct session_guard guard = {.action = ACTION_CANCEL_WAIT, .sec = sec, .item = item};
	char *target = xasprintf("%s/%s", s->cl->sections[sec].id, s->cl->sections[sec].items[item].id);
	int rc = session_record(s, &guard, actor, EV_CHECK_FINISHED, target, p);
	free(target);
	return rc;
}

int session_request_override(struct session *s, size_t sec, const char *actor, const char *reason,
	const char *incident)
{
	assert(s->cl && sec < s->cl->n_sections && actor && reason && incident);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "reason", reason);
	cJSON_AddStringToObject(p, "incident", incident);
	cJSON_AddNumberToObject(p, "expires_us", (double)(clock_wall_us() + ENGINE_OVERRIDE_CONFIRM_US));
	struct session_guard guard = {.action = ACTION_REQUEST_OVERRIDE, .sec = sec};
	return session_record(s, &guard, actor, EV_OVERRIDE_REQUESTED, s->cl->sections[sec].id, p);
}

int session_confirm_override(struct session *s, size_t sec, const char *actor)
{
	const struct engine_section_state *ss = engine_section(s->eng, sec);
	char *why = NULL;
	if (!engine_can_confirm_override(s->eng, sec, actor, &why))
		return session_refuse(s, why);
	cJSON *p = cJSON_CreateObject();
	cJSON *who = cJSON_AddArrayToObject(p, "engineers");
	cJSON_AddItemToArray(who, cJSON_CreateString(ss->pending_by));
	cJSON_AddItemToArray(who, cJSON_CreateString(actor));
	cJSON_AddStringToObject(p, "reason", ss->pending_reason ? ss->pending_reason : "");
	cJSON_AddStringToObject(p, "incident", ss->pending_incident ? ss->pending_incident : "");
	cJSON_AddNumberToObject(p, "request_seq", (double)ss->pending_seq);
	struct session_guard guard = {.action = ACTION_CONFIRM_OVERRIDE, .sec = sec, .engineer = actor,
		.seq = ss->pending_seq};
	return session_record(s, &guard, actor, EV_OVERRIDE, s->cl->sections[sec].id, p);
}

char *session_recheck_warning(const struct session *s, size_t sec, size_t item)
{
	const struct engine_section_state *ss = engine_section(s->eng, sec);
	const struct checklist_section *section = &s->cl->sections[sec];
	assert(item < section->n_items);
	if (!ss->gate_passed || ss->forced || section->items[item].kind == ITEM_WAIT)
		return NULL;
	/* An item never run before (an optional one) is not run "again", but a
	 * failure reopens the gate all the same. */
	bool again = engine_item(s->eng, sec, item)->gate_seq != 0;
	struct strbuf who = {0};
	for (size_t k = 0; k < ss->n_signoffs; k++)
		if (ss->signoffs[k].counted)
			strbuf_addf(&who, "%s%s", who.len ? ", " : "", ss->signoffs[k].engineer);
	/* Under an independent policy a counted signer who runs an item becomes
	 * one who worked on it: their signature stops counting, pass or fail. */
	bool independent = section->policy.independent && who.len;
	char *text = xasprintf("\"%s\" has passed its gate%s%s%s. %s %s%s is a re-check: if it "
		"passes, it is recorded as a re-check after sign-off and the gate stays passed%s; if it fails, the "
		"gate reopens, its signatures become stale and sections not yet begun are locked again.",
		section->id, !who.len ? "" : section->policy.meaning == MEANING_REVIEWED ? " (reviewed by " : " (approved by ",
		who.len ? who.data : "", who.len ? ")" : "",
		again ? "Running" : "Running (for the first time)", section->items[item].id, again ? " again" : " now",
		independent ? " (unless one who signed it runs it: its policy is independent, so their signature "
		"stops counting and the gate reopens)" : "");
	strbuf_release(&who);
	return text;
}

int session_check_new_engineer(const struct reporter *r, const char *name, const char *full_name)
{
	if (!event_valid_engineer_name(name)) {
		reporter_say(r, "\"%s\" is not a valid short name: lowercase letters, digits, '-', '_' or "
			"'.', starting with a letter, at most 32 characters (like a login)", name ? name : "");
		return CS_INVALID;
	}
	if (strcmp(name, SESSION_SYSTEM_ACTOR) == 0) {
		reporter_say(r, "\"%s\" is reserved: the record names the program so in the events it "
			"records itself; choose another short name", SESSION_SYSTEM_ACTOR);
		return CS_INVALID;
	}
	/* A full name is shown on every screen and report: it must print as itself. */
	if (!full_name || !full_name[0] || !sanitize_is_clean(full_name)) {
		reporter_say(r, "the full name must be UTF-8 text without control characters or escape sequences");
		return CS_INVALID;
	}
	return CS_OK;
}

int session_check_new_pin(const struct reporter *r, const char *pin)
{
	if (!pin || strlen(pin) < PIN_MIN_LENGTH) {
		reporter_say(r, "the PIN is too short: at least %d characters", PIN_MIN_LENGTH);
		return CS_INVALID;
	}
	return CS_OK;
}

void session_test_cheap_pins(void)
{
	pin_set_cost(PIN_COST_MIN);
}

void session_test_legacy_text(void)
{
	event_test_take_any_text();
}

void session_test_libpq(const char *path)
{
	store_set_libpq(path);
}

void session_test_pg_deadline(int ms)
{
	store_test_pg_deadline(ms);
}

int session_find(struct session *s, const char *target, size_t *sec, size_t *item)
{
	assert(s->cl && target && sec);
	const char *slash = strchr(target, '/');
	char *sid = slash ? xstrndup(target, (size_t)(slash - target)) : xstrdup(target);
	int rc = CS_OK;
	const struct checklist_section *found = checklist_section(s->cl, sid);
	if (!found) {
		reporter_say(&s->report, "no section \"%s\" in checklist %s; 'countersign status %s' lists them",
			sid, s->cl->id, s->run.id);
		rc = CS_INVALID;
	} else if (item && !slash) {
		reporter_say(&s->report, "\"%s\" names a section; give SECTION/ITEM", target);
		rc = CS_INVALID;
	} else if (!item && slash) {
		reporter_say(&s->report, "\"%s\" names an item; give a SECTION", target);
		rc = CS_INVALID;
	} else {
		*sec = (size_t)(found - s->cl->sections);
		if (item) {
			const struct checklist_item *it = checklist_section_item(found, slash + 1);
			if (!it) {
				reporter_say(&s->report, "no item \"%s\" in section \"%s\"", slash + 1, sid);
				rc = CS_INVALID;
			} else {
				*item = (size_t)(it - found->items);
			}
		}
	}
	free(sid);
	return rc;
}

int session_refuse(struct session *s, char *why)
{
	reporter_say(&s->report, "%s", why);
	free(why);
	return CS_REFUSED;
}

static char *start_payload(const struct checklist *cl, const char *sha, const char *title,
	const struct var_values *v, const char *path)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "checklist", cl->id);
	cJSON_AddStringToObject(p, "sha256", sha);
	cJSON_AddStringToObject(p, "title", title);
	char *vars = vars_record_json(v);
	cJSON_AddItemToObject(p, "variables", cJSON_Parse(vars));
	free(vars);
	cJSON_AddNumberToObject(p, "window_ms", (double)cl->window_ms);
	cJSON_AddStringToObject(p, "path", path);
	char *text = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	return text;
}

int session_start_run(struct session *s, const struct checklist *cl, const struct var_values *v,
	const char *title, const char *actor)
{
	/* the snapshot's name, as store_put_checklist computes it below */
	char sha[EVENT_HASH_HEX];
	event_sha256_hex(cl->text, cl->text_len, sha);
	char real[PATH_MAX];
	const char *path = realpath(cl->path, real) ? real : cl->path;
	if (!title || !*title)
		title = cl->title;
	struct store_run_row run = {
		.checklist_id = cl->id, .checklist_sha = sha, .title = (char *)title, .path = (char *)path,
	};
	struct event first;
	session_origin(&first, actor);
	first.kind = xstrdup(EV_RUN_STARTED);
	free(first.payload);
	first.payload = start_payload(cl, sha, title, v, path);
	/* a title, a variable's value or a path that is not UTF-8 is refused
	 * before anything is stored, the checklist's snapshot included */
	int rc = text_valid(s, &first) ? CS_OK : CS_INVALID;
	if (rc == CS_OK && store_put_checklist(s->st, cl->text, cl->text_len, sha) != STORE_OK) {
		reporter_say(&s->report, "cannot store the checklist: %s", store_error(s->st));
		rc = CS_ENV;
	}
	/* the run's chain has no name yet: any but the registry's will do */
	if (rc == CS_OK)
		rc = session_attach_signers(s, "(new run)", &first, 1);
	if (rc == CS_OK) {
		enum store_status st = store_create_run(s->st, &run, &first);
		if (st == STORE_REFUSED) {
			rc = session_stale_signers(s, &first, 1);
		} else if (st != STORE_OK) {
			reporter_say(&s->report, "cannot record the run: %s", store_error(s->st));
			rc = CS_ENV;
		}
	}
	event_clear(&first);
	if (rc == CS_OK)
		rc = session_load_run(s, run.id);
	free(run.id);
	return rc;
}

int session_record(struct session *s, const struct session_guard *guard, const char *actor, const char *kind,
	const char *target, cJSON *payload)
{
	assert(kind && payload);
	struct event ev;
	session_origin(&ev, actor);
	ev.kind = xstrdup(kind);
	free(ev.target);
	ev.target = xstrdup(target ? target : "");
	free(ev.payload);
	ev.payload = cJSON_PrintUnformatted(payload);
	cJSON_Delete(payload);
	int rc = session_append_guarded(s, guard, &ev, 1, NULL, 0);
	event_clear(&ev);
	return rc;
}
