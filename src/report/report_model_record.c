/* What the report takes from the record beside the gates: waivers,
 * overrides and notes of the run, the failed PIN attempts of its engineers
 * (from the engineers chain), and the audit anchor with its verification. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/pin.h"
#include "countersign/util.h"
#include "report/report_model_internal.h"

static const char *json_text(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void add_waiver(struct report *r, const struct event *ev, const cJSON *p)
{
	r->waivers = xreallocarray(r->waivers, r->n_waivers + 1, sizeof(*r->waivers));
	struct report_waiver *w = &r->waivers[r->n_waivers++];
	w->target = report_clean(ev->target);
	w->engineer = report_clean(ev->actor);
	w->reason = report_clean_text(json_text(p, "reason"));
	w->time_us = ev->time_us;
}

static void add_override(struct report *r, const struct event *ev, const cJSON *p)
{
	r->overrides = xreallocarray(r->overrides, r->n_overrides + 1, sizeof(*r->overrides));
	struct report_override *o = &r->overrides[r->n_overrides++];
	const cJSON *who = cJSON_GetObjectItemCaseSensitive(p, "engineers");
	const cJSON *a = cJSON_GetArrayItem(who, 0), *b = cJSON_GetArrayItem(who, 1);
	o->section = report_clean(ev->target);
	o->engineer_a = report_clean(cJSON_IsString(a) ? a->valuestring : ev->actor);
	o->engineer_b = report_clean(cJSON_IsString(b) ? b->valuestring : NULL);
	o->reason = report_clean_text(json_text(p, "reason"));
	o->incident = report_clean(json_text(p, "incident"));
	o->time_us = ev->time_us;
}

void report_build_record(struct report_ctx *c)
{
	struct report *r = c->r;
	for (size_t k = 0; k < c->n_evs; k++) {
		const struct event *ev = &c->evs[k];
		bool waived = strcmp(ev->kind, EV_WAIVED) == 0, override = strcmp(ev->kind, EV_OVERRIDE) == 0;
		if (!waived && !override)
			continue;
		cJSON *p = cJSON_Parse(ev->payload);
		if (waived)
			add_waiver(r, ev, p);
		else
			add_override(r, ev, p);
		cJSON_Delete(p);
	}
	size_t n = 0;
	const struct engine_note *notes = engine_notes(c->s->eng, &n);
	r->notes = xcalloc(n ? n : 1, sizeof(*r->notes));
	r->n_notes = n;
	for (size_t k = 0; k < n; k++) {
		r->notes[k].target = report_clean(notes[k].target);
		r->notes[k].engineer = report_clean(notes[k].actor);
		r->notes[k].text = report_clean_text(notes[k].text);
		r->notes[k].time_us = notes[k].time_us;
	}
}

/* Whether ENGINEER recorded anything in the run. */
static bool acted_in_run(const struct report_ctx *c, const char *engineer)
{
	for (size_t k = 0; k < c->n_evs; k++)
		if (strcmp(c->evs[k].actor, engineer) == 0)
			return true;
	return false;
}

/* Whether a pin_failed or pin_locked event belongs to this run: it names
 * the run; or, in a LEGACY record (written before events named their run),
 * it is by one of the run's engineers between the run's start and its end
 * (or now). */
static bool of_this_run(const struct report_ctx *c, const struct event *ev, const cJSON *p, bool legacy)
{
	const char *run = json_text(p, "run");
	if (run)
		return strcmp(run, c->r->run_id) == 0;
	if (!legacy)
		return false;  /* recorded outside any run (signing in, starting a run) */
	int64_t end = c->r->ended_us ? c->r->ended_us : c->r->generated_us;
	return ev->time_us >= c->r->started_us && ev->time_us <= end && acted_in_run(c, ev->target);
}

/* For records without pin_locked events: the failure at EVS[K] locked its
 * engineer out when it made PIN_MAX_FAILURES within PIN_WINDOW_US. */
static bool locked_by_count(const struct event *evs, size_t k)
{
	int n = 0;
	/* every earlier one: times from several hosts need not be in order */
	for (size_t j = 0; j <= k; j++)
		n += evs[j].time_us > evs[k].time_us - PIN_WINDOW_US && evs[j].time_us <= evs[k].time_us &&
			strcmp(evs[j].kind, EV_PIN_FAILED) == 0 && strcmp(evs[j].target, evs[k].target) == 0;
	return n >= PIN_MAX_FAILURES;
}

static struct report_pin_failure *add_failure(struct report *r, const struct event *ev, const cJSON *p)
{
	r->pin_failures = xreallocarray(r->pin_failures, r->n_pin_failures + 1, sizeof(*r->pin_failures));
	struct report_pin_failure *f = &r->pin_failures[r->n_pin_failures++];
	f->engineer = report_clean(ev->target);
	f->command = report_clean(json_text(p, "command"));
	f->os_user = report_clean(ev->os_user);
	f->host = report_clean(ev->host);
	f->tty = report_clean(ev->tty);
	f->time_us = ev->time_us;
	f->lockout = false;
	return f;
}

/* A lockout marks the latest failure of its engineer already listed, or
 * stands alone when that failure is not (another run's). */
static void mark_lockout(struct report *r, const struct event *ev, const cJSON *p)
{
	for (size_t k = r->n_pin_failures; k-- > 0;) {
		if (strcmp(r->pin_failures[k].engineer, ev->target) == 0) {
			r->pin_failures[k].lockout = true;
			return;
		}
	}
	add_failure(r, ev, p)->lockout = true;
}

int report_build_pin_failures(struct report_ctx *c, char **err)
{
	struct event *evs = NULL;
	size_t n = 0;
	int rc = session_chain_events(c->s, EVENT_CHAIN_ENGINEERS, 0, &evs, &n);
	if (rc == CS_INVALID) /* no engineers chain yet: nobody failed */
		return CS_OK;
	if (rc != CS_OK) {
		*err = xasprintf("cannot read the engineers' record: %s", session_store_error(c->s));
		return rc;
	}
	/* The record names the run of a failure from its first such event on:
	 * before it, the failures are attributed by engineer and time. */
	size_t first_named = n;
	for (size_t k = 0; k < n && first_named == n; k++) {
		if (strcmp(evs[k].kind, EV_PIN_FAILED) != 0 && strcmp(evs[k].kind, EV_PIN_LOCKED) != 0)
			continue;
		cJSON *p = cJSON_Parse(evs[k].payload);
		if (json_text(p, "run"))
			first_named = k;
		cJSON_Delete(p);
	}
	for (size_t k = 0; k < n; k++) {
		bool failed = strcmp(evs[k].kind, EV_PIN_FAILED) == 0, locked = strcmp(evs[k].kind, EV_PIN_LOCKED) == 0;
		if (!failed && !locked)
			continue;
		cJSON *p = cJSON_Parse(evs[k].payload);
		if (of_this_run(c, &evs[k], p, k < first_named)) {
			if (failed)
				add_failure(c->r, &evs[k], p)->lockout = k < first_named && locked_by_count(evs, k);
			else
				mark_lockout(c->r, &evs[k], p);
		}
		cJSON_Delete(p);
	}
	event_array_free(evs, n);
	return CS_OK;
}

int report_build_anchor(struct report_ctx *c, char **err)
{
	struct report *r = c->r;
	assert(c->n_evs > 0);
	r->events = (int64_t)c->n_evs;
	memcpy(r->head, c->evs[c->n_evs - 1].hash, EVENT_HASH_HEX);
	r->head[EVENT_HASH_HEX - 1] = '\0';
	/* The head is the anchor: the chain verifies, and still holds it. */
	struct store_verify_result res = {0};
	int rc = session_verify(c->s, r->run_id, r->head, &res);
	if (rc != CS_OK) {
		*err = xasprintf("cannot verify the record of run %s: %s", r->run_id, session_store_error(c->s));
		store_verify_result_clear(&res);
		return rc == CS_INVALID ? CS_INVALID : CS_ENV;
	}
	r->verified = res.ok;
	char *text;
	if (res.ok && res.events != r->events)
		text = xasprintf("ok: %lld events, head %s (%lld more recorded while the report was made)",
			(long long)res.events, res.head, (long long)(res.events - r->events));
	else if (res.ok)
		text = xasprintf("ok: %lld events, head %s", (long long)res.events, res.head);
	else if (res.bad_seq && (!res.why || strncmp(res.why, "event ", 6) != 0))
		text = xasprintf("event %lld: %s", (long long)res.bad_seq, res.why ? res.why : "does not verify");
	else
		text = xstrdup(res.why ? res.why : "does not verify");
	r->verify_message = report_clean_text(text);
	free(text);
	store_verify_result_clear(&res);
	/* A checkpoint is what a reader keeps as the state to hold the record
	 * to: none of a record that does not verify. Without one the report is
	 * still whole (the session says why there is none). The text is kept
	 * byte for byte, so that its checksum still holds. */
	if (!r->verified || session_checkpoint(c->s, r->run_id, &r->checkpoint) != CS_OK || !r->checkpoint) {
		free(r->checkpoint);
		r->checkpoint = xstrdup("");
	}
	return CS_OK;
}

void report_record_free(struct report *r)
{
	for (size_t k = 0; k < r->n_waivers; k++) {
		free(r->waivers[k].target);
		free(r->waivers[k].engineer);
		free(r->waivers[k].reason);
	}
	free(r->waivers);
	for (size_t k = 0; k < r->n_overrides; k++) {
		struct report_override *o = &r->overrides[k];
		free(o->section);
		free(o->engineer_a);
		free(o->engineer_b);
		free(o->reason);
		free(o->incident);
	}
	free(r->overrides);
	for (size_t k = 0; k < r->n_notes; k++) {
		free(r->notes[k].target);
		free(r->notes[k].engineer);
		free(r->notes[k].text);
	}
	free(r->notes);
	for (size_t k = 0; k < r->n_pin_failures; k++) {
		struct report_pin_failure *f = &r->pin_failures[k];
		free(f->engineer);
		free(f->command);
		free(f->os_user);
		free(f->host);
		free(f->tty);
	}
	free(r->pin_failures);
}
