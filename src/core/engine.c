/* Folding events into run state. Everything derived is recomputed in
 * engine_refresh, so the state is always a function of the events and now. */
#include "countersign/engine.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "countersign/util.h"
#include "engine_internal.h"

static const char *const verdict_names[] = {
	"pending", "running", "pass", "fail", "error", "no_data", "timeout", "cancelled", "waived",
};

const char *engine_verdict_name(enum engine_verdict v)
{
	return (unsigned)v < sizeof(verdict_names) / sizeof(verdict_names[0]) ? verdict_names[v] : "?";
}

bool engine_verdict_parse(const char *name, enum engine_verdict *out)
{
	for (size_t i = 0; name && i < sizeof(verdict_names) / sizeof(verdict_names[0]); i++)
		if (strcmp(verdict_names[i], name) == 0) {
			*out = (enum engine_verdict)i;
			return true;
		}
	return false;
}

static const char *const mark_names[] = {
	"locked", "open", "passed", "failed", "running", "FORCED", "not chosen", "choose",
};

const char *engine_section_mark_name(enum engine_section_mark m)
{
	return (unsigned)m < sizeof(mark_names) / sizeof(mark_names[0]) ? mark_names[m] : "?";
}

const char *engine_run_status_name(enum engine_run_status s)
{
	return s == RUN_COMPLETED ? "completed" : s == RUN_ABORTED ? "aborted" : "open";
}

struct engine *engine_create(const struct checklist *cl)
{
	assert(cl && (cl->sections || cl->n_sections == 0));
	struct engine *e = xcalloc(1, sizeof(*e));
	e->cl = cl;
	e->sections = xcalloc(cl->n_sections + 1, sizeof(*e->sections));
	e->items = xcalloc(cl->n_sections + 1, sizeof(*e->items));
	for (size_t s = 0; s < cl->n_sections; s++)
		e->items[s] = xcalloc(cl->sections[s].n_items + 1, sizeof(struct engine_item_state));
	e->variables = xstrdup("{}");
	return e;
}

static void signoff_clear(struct engine_signoff *so)
{
	free(so->engineer);
	free(so->comment);
	free(so->os_user);
	free(so->host);
	free(so->tty);
	for (size_t r = 0; r < so->n_roles; r++)
		free(so->roles[r]);
	free(so->roles);
}

void engine_destroy(struct engine *e)
{
	if (!e)
		return;
	for (size_t s = 0; s < e->cl->n_sections; s++) {
		struct engine_section_state *ss = &e->sections[s];
		for (size_t k = 0; k < ss->n_signoffs; k++)
			signoff_clear(&ss->signoffs[k]);
		free(ss->signoffs);
		for (size_t k = 0; k < ss->n_executors; k++) {
			free(ss->executors[k]);
			free(ss->executor_acts[k]);
		}
		free(ss->executors);
		free(ss->executor_acts);
		free(ss->override_reason);
		free(ss->override_incident);
		free(ss->override_by);
		free(ss->pending_by);
		free(ss->pending_reason);
		free(ss->pending_incident);
		for (size_t i = 0; i < e->cl->sections[s].n_items; i++) {
			struct engine_item_state *is = &e->items[s][i];
			free(is->message);
			free(is->actor);
			free(is->running_payload);
			free(is->finished_payload);
			free(is->recheck_actor);
			free(is->gate_actor);
			free(is->gate_message);
			free(is->recheck_void);
			free(is->value);
		}
		free(e->items[s]);
	}
	free(e->items);
	free(e->sections);
	for (size_t i = 0; i < e->n_notes; i++) {
		free(e->notes[i].target);
		free(e->notes[i].actor);
		free(e->notes[i].text);
	}
	free(e->notes);
	free(e->abort_reason);
	free(e->abort_actor);
	free(e->variables);
	free(e);
}

/* Resolves "S/I" or "S" to indexes; returns false when unknown. */
static bool find_target(const struct engine *e, const char *target, size_t *s, size_t *i, bool want_item)
{
	if (!target)
		return false;
	const char *slash = strchr(target, '/');
	if (want_item != (slash != NULL))
		return false;
	size_t slen = slash ? (size_t)(slash - target) : strlen(target);
	for (size_t k = 0; k < e->cl->n_sections; k++) {
		const struct checklist_section *sec = &e->cl->sections[k];
		if (strlen(sec->id) != slen || strncmp(sec->id, target, slen) != 0)
			continue;
		*s = k;
		if (!want_item)
			return true;
		for (size_t j = 0; j < sec->n_items; j++)
			if (strcmp(sec->items[j].id, slash + 1) == 0) {
				*i = j;
				return true;
			}
		return false;
	}
	return false;
}

static const char *json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? xstrdup(src) : NULL;
}

static void mark_verdict_event(struct engine_item_state *is, const struct event *ev)
{
	/* The event's hash ends within its buffer: one that did not would be
	 * cut short here without a word. */
	assert(memchr(ev->hash, '\0', EVENT_HASH_HEX));
	is->verdict_seq = ev->seq;
	is->verdict_us = ev->time_us;
	memcpy(is->verdict_hash, ev->hash, EVENT_HASH_HEX);
	is->verdict_hash[EVENT_HASH_HEX - 1] = '\0';
	set_str(&is->actor, ev->actor);
}

/* Ends a re-check after the gate passed with verdict V. A pass keeps the
 * signed verdict (counted as a re-check); so do a cancelled re-check and one
 * that was interrupted, which say nothing about what was checked. Any other
 * verdict is a changed verdict: the gate counts it, and the section's gate
 * reopens. Returns true when the gate keeps the signed verdict. */
static bool end_recheck(struct engine *e, size_t s, struct engine_item_state *is, enum engine_verdict v,
	const struct event *ev, const cJSON *p)
{
	is->rechecking = false;
	bool interrupted = cJSON_GetObjectItemCaseSensitive(p, "interrupted_seq") != NULL;
	if (v == VERDICT_PASS) {
		is->rechecks++;
		is->recheck_us = ev->time_us;
		set_str(&is->recheck_actor, ev->actor);
		return true;
	}
	if (v == VERDICT_CANCELLED || interrupted) {
		char *note = xasprintf("a re-check after sign-off %s was %s; the signed %s stands",
			ev->actor ? ev->actor : "?", interrupted ? "interrupted" : "cancelled", engine_verdict_name(is->gate_verdict));
		free(is->recheck_void);
		is->recheck_void = note;
		return true;
	}
	/* The gate reopened: the re-checks that kept it no longer tell anything. */
	is->rechecks = 0;
	e->sections[s].reopened = true;
	e->sections[s].reopened_us = ev->time_us;
	return false;
}

/* After a re-check that said nothing, the item shows what was signed: its
 * verdict, who gave it, when, and its message. */
static void restore_signed(struct engine_item_state *is)
{
	assert(is->gate_hash[EVENT_HASH_HEX - 1] == '\0');
	is->verdict = is->checked = is->gate_verdict;
	is->verdict_seq = is->gate_seq;
	memcpy(is->verdict_hash, is->gate_hash, EVENT_HASH_HEX);
	set_str(&is->actor, is->gate_actor);
	set_str(&is->message, is->gate_message);
	is->started_us = is->gate_started_us;
	is->finished_us = is->gate_finished_us;
	is->verdict_us = is->gate_verdict_us;
}

/* Keeps what the gate counts, with who gave it, when and why. */
static void take_signed(struct engine_item_state *is)
{
	assert(is->verdict_hash[EVENT_HASH_HEX - 1] == '\0');
	is->gate_verdict = is->verdict;
	is->gate_seq = is->verdict_seq;
	memcpy(is->gate_hash, is->verdict_hash, EVENT_HASH_HEX);
	set_str(&is->gate_actor, is->actor);
	set_str(&is->gate_message, is->message);
	is->gate_started_us = is->started_us;
	is->gate_finished_us = is->finished_us;
	is->gate_verdict_us = is->verdict_us;
}

/* Keeps who worked on item I of section S (ran, attested or waived it):
 * the independence rule of the section's policy counts them out. The
 * program's own events ("system") are nobody's work. */
static void note_executor(struct engine *e, size_t s, size_t i, const struct event *ev)
{
	if (!ev->actor || strcmp(ev->actor, "system") == 0)
		return;
	struct engine_section_state *ss = &e->sections[s];
	for (size_t k = 0; k < ss->n_executors; k++)
		if (strcmp(ss->executors[k], ev->actor) == 0)
			return;
	const char *verb = strcmp(ev->kind, EV_ATTESTED) == 0 ? "attested"
		: strcmp(ev->kind, EV_WAIVED) == 0 ? "waived" : "ran";
	ss->executors = xreallocarray(ss->executors, ss->n_executors + 1, sizeof(*ss->executors));
	ss->executor_acts = xreallocarray(ss->executor_acts, ss->n_executors + 1, sizeof(*ss->executor_acts));
	ss->executors[ss->n_executors] = xstrdup(ev->actor);
	ss->executor_acts[ss->n_executors] = xasprintf("%s %s/%s", verb, e->cl->sections[s].id,
		e->cl->sections[s].items[i].id);
	ss->n_executors++;
}

static void apply_item_event(struct engine *e, const struct event *ev, const cJSON *p)
{
	size_t s, i;
	if (!find_target(e, ev->target, &s, &i, true))
		return;
	struct engine_item_state *is = &e->items[s][i];
	const struct checklist_item *it = &e->cl->sections[s].items[i];
	bool keep_gate = false;
	if (strcmp(ev->kind, EV_CHECK_STARTED) == 0) {
		is->rechecking = it->kind != ITEM_WAIT && engine_gate_passed_at(e, s, ev->time_us);
		keep_gate = is->rechecking;
		is->verdict = VERDICT_RUNNING;
		is->attempts++;
		is->started_us = ev->time_us;
		is->finished_us = 0;
		is->needs_attestation = false;
		if (it->kind == ITEM_WAIT)
			is->wait_until_us = ev->time_us + it->duration_ms * 1000;
		set_str(&is->message, NULL);
		set_str(&is->running_payload, ev->payload);
	} else if (strcmp(ev->kind, EV_CHECK_FINISHED) == 0) {
		enum engine_verdict v = VERDICT_ERROR;
		engine_verdict_parse(json_str(p, "verdict"), &v);
		is->verdict = is->checked = v;
		is->finished_us = ev->time_us;
		is->needs_attestation = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "needs_attestation"));
		set_str(&is->message, json_str(p, "message"));
		set_str(&is->running_payload, NULL);
		set_str(&is->finished_payload, ev->payload);
		if (it->kind == ITEM_WAIT)
			is->wait_until_us = 0;  /* a cancelled wait starts afresh */
		/* A re-check that waits for an engineer's word is decided by the attestation. */
		if (is->rechecking)
			keep_gate = is->needs_attestation || end_recheck(e, s, is, v, ev, p);
	} else if (strcmp(ev->kind, EV_ATTESTED) == 0) {
		const char *verdict = json_str(p, "verdict");
		enum engine_verdict v = verdict && strcmp(verdict, "fail") == 0 ? VERDICT_FAIL : VERDICT_PASS;
		bool recheck = is->rechecking || (it->kind == ITEM_MANUAL && engine_gate_passed_at(e, s, ev->time_us));
		is->verdict = is->checked = v;
		if (recheck)
			keep_gate = end_recheck(e, s, is, v, ev, p);
		is->needs_attestation = false;
		if (!is->started_us)
			is->started_us = ev->time_us;
		is->finished_us = ev->time_us;
		if (it->kind == ITEM_MANUAL)
			is->attempts++;
		set_str(&is->message, json_str(p, "note"));
		set_str(&is->value, json_str(p, "value"));
	} else if (strcmp(ev->kind, EV_WAIVED) == 0) {
		is->verdict = VERDICT_WAIVED;
		set_str(&is->message, json_str(p, "reason"));
	} else {
		return;
	}
	note_executor(e, s, i, ev);
	mark_verdict_event(is, ev);
	if (!keep_gate)
		take_signed(is);
	else if (!is->rechecking && is->verdict != VERDICT_PASS && is->verdict != VERDICT_RUNNING)
		restore_signed(is);  /* a cancelled or interrupted re-check */
	if (!e->sections[s].first_us)
		e->sections[s].first_us = ev->time_us;
}

static void apply_signed(struct engine *e, size_t s, const struct event *ev, const cJSON *p)
{
	struct engine_section_state *ss = &e->sections[s];
	ss->signoffs = xreallocarray(ss->signoffs, ss->n_signoffs + 1, sizeof(*ss->signoffs));
	struct engine_signoff *so = &ss->signoffs[ss->n_signoffs++];
	memset(so, 0, sizeof(*so));
	const char *meaning = json_str(p, "meaning");
	if (!checklist_meaning_parse(meaning, &so->meaning))
		so->meaning = MEANING_APPROVED;  /* the oldest records said nothing: an approval */
	so->approve = so->meaning == MEANING_APPROVED;
	so->engineer = xstrdup(ev->actor ? ev->actor : "?");
	so->comment = json_str(p, "comment") ? xstrdup(json_str(p, "comment")) : NULL;
	so->os_user = ev->os_user ? xstrdup(ev->os_user) : NULL;
	so->host = ev->host ? xstrdup(ev->host) : NULL;
	so->tty = ev->tty ? xstrdup(ev->tty) : NULL;
	const char *digest = json_str(p, "digest");
	snprintf(so->digest, sizeof(so->digest), "%s", digest ? digest : "");
	so->time_us = ev->time_us;
	so->seq = ev->seq;
	/* The roles the signer held, as the record says (records made before
	 * roles existed: none). */
	const cJSON *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(p, "roles")) {
		if (!cJSON_IsString(r))
			continue;
		so->roles = xreallocarray(so->roles, so->n_roles + 1, sizeof(*so->roles));
		so->roles[so->n_roles++] = xstrdup(r->valuestring);
	}
}

static void apply_section_event(struct engine *e, const struct event *ev, const cJSON *p)
{
	size_t s, unused;
	if (!find_target(e, ev->target, &s, &unused, false))
		return;
	struct engine_section_state *ss = &e->sections[s];
	const struct checklist_section *sec = &e->cl->sections[s];
	if (strcmp(ev->kind, EV_CHOSEN) == 0 && sec->choice) {
		for (size_t k = 0; k < e->cl->n_sections; k++) {
			const char *g = e->cl->sections[k].choice;
			if (g && strcmp(g, sec->choice) == 0) {
				e->sections[k].chosen = k == s;
				e->sections[k].not_chosen = k != s;
			}
		}
	} else if (strcmp(ev->kind, EV_SIGNED) == 0) {
		apply_signed(e, s, ev, p);
	} else if (strcmp(ev->kind, EV_GATE_WAITING) == 0) {
		engine_times_apply(e, s, ev, p);
	} else if (strcmp(ev->kind, EV_OVERRIDE) == 0) {
		ss->forced = true;
		set_str(&ss->override_reason, json_str(p, "reason"));
		set_str(&ss->override_incident, json_str(p, "incident"));
		struct strbuf by = {0};
		const cJSON *who;
		cJSON_ArrayForEach(who, cJSON_GetObjectItemCaseSensitive(p, "engineers"))
			if (cJSON_IsString(who))
				strbuf_addf(&by, "%s%s", by.len ? ", " : "", who->valuestring);
		free(ss->override_by);
		ss->override_by = strbuf_detach(&by);
		if (!ss->passed_us)
			ss->passed_us = ev->time_us;
		ss->pending_seq = 0;
	} else if (strcmp(ev->kind, EV_OVERRIDE_REQUESTED) == 0) {
		set_str(&ss->pending_by, ev->actor ? ev->actor : "?");
		set_str(&ss->pending_reason, json_str(p, "reason"));
		set_str(&ss->pending_incident, json_str(p, "incident"));
		ss->pending_seq = ev->seq;
		ss->pending_us = ev->time_us;
		ss->pending_expires_us = ev->time_us + ENGINE_OVERRIDE_CONFIRM_US;
	}
	/* A gate_waiting notice is the program's, not work begun in the section:
	 * it must not start a window that starts at this section. */
	if (!ss->first_us && strcmp(ev->kind, EV_GATE_WAITING) != 0)
		ss->first_us = ev->time_us;
}

/* A requested override lapses once its gate passes by the rules: a later
 * failure is another matter, and nobody asked to force past it. */
static void lapse_override_request(struct engine *e, const struct event *ev)
{
	size_t s, i;
	const char *t = ev->target;
	if (!t || !*t || (!find_target(e, t, &s, &i, true) && !find_target(e, t, &s, &i, false)))
		return;
	struct engine_section_state *ss = &e->sections[s];
	if (ss->pending_seq && ss->pending_seq != ev->seq && !ss->forced && engine_gate_passed_at(e, s, ev->time_us))
		ss->pending_seq = 0;
}

void engine_apply(struct engine *e, const struct event *ev)
{
	assert(e && ev);
	/* Each event is folded once: a session catches up by loading the events
	 * after last_seq, so a seq at or below it would be folded twice. Gaps
	 * are not asserted: a record with an event deleted still loads (and
	 * verify names the gap), while the session's own appends are gap-free
	 * (session_append_guarded asserts that). */
	assert(ev->seq > e->last_seq);
	e->last_seq = ev->seq;
	if (!ev->kind)
		return;
	cJSON *p = ev->payload ? cJSON_Parse(ev->payload) : NULL;
	if (strcmp(ev->kind, EV_RUN_STARTED) == 0) {
		e->started_us = ev->time_us;
		const cJSON *vars = cJSON_GetObjectItemCaseSensitive(p, "variables");
		if (cJSON_IsObject(vars)) {
			free(e->variables);
			e->variables = cJSON_PrintUnformatted(vars);
		}
	} else if (strcmp(ev->kind, EV_RUN_ABORTED) == 0) {
		e->status = RUN_ABORTED;
		e->ended_us = ev->time_us;
		set_str(&e->abort_reason, json_str(p, "reason"));
		set_str(&e->abort_actor, ev->actor);
	} else if (strcmp(ev->kind, EV_NOTE) == 0) {
		e->notes = xreallocarray(e->notes, e->n_notes + 1, sizeof(*e->notes));
		struct engine_note *n = &e->notes[e->n_notes++];
		n->target = xstrdup(ev->target ? ev->target : "");
		n->actor = xstrdup(ev->actor ? ev->actor : "?");
		n->text = xstrdup(json_str(p, "text") ? json_str(p, "text") : "");
		n->time_us = ev->time_us;
	} else if (strcmp(ev->kind, EV_RUN_COMPLETED) == 0) {
		e->status = RUN_COMPLETED;
		e->ended_us = ev->time_us;
	} else if (strcmp(ev->kind, EV_CHOSEN) == 0 || strcmp(ev->kind, EV_SIGNED) == 0 ||
		strcmp(ev->kind, EV_OVERRIDE) == 0 || strcmp(ev->kind, EV_OVERRIDE_REQUESTED) == 0 ||
		strcmp(ev->kind, EV_GATE_WAITING) == 0) {
		apply_section_event(e, ev, p);
	} else {
		apply_item_event(e, ev, p);
	}
	lapse_override_request(e, ev);
	cJSON_Delete(p);
	e->dirty = true;
}
