/* Gates that do not wait forever: once a section's items are all done, a
 * gate still unsigned after its signoff_within gets a gate_waiting notice,
 * then another at each further interval. The notice is an event in the
 * record, appended under a guard, so that of several processes looking at
 * the same run (interfaces, `countersign watch`) exactly one records each
 * notice and only that one sends its notification. */
#include "countersign/session.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/duration.h"
#include "countersign/util.h"
#include "run/session_internal.h"

bool session_gate_waiting_allowed(const struct session *s, const struct session_guard *g, char **why)
{
	assert(g && g->action == ACTION_GATE_WAITING && g->sec < s->cl->n_sections);
	const struct engine_section_state *ss = engine_section(s->eng, g->sec);
	const char *meanwhile = engine_status(s->eng) != RUN_OPEN ? "the run ended"
		: ss->gate_passed ? "its gate passed"
		: ss->items_done_us != g->since_us ? "its items changed"
		: ss->waiting_notices >= g->seq ? "another process gave it" : NULL;
	if (!meanwhile)
		return true;
	if (why)
		*why = xasprintf("gate_waiting notice %" PRId64 " of \"%s\" not recorded: %s meanwhile", g->seq,
			s->cl->sections[g->sec].id, meanwhile);
	return false;
}

/* "31m" from microseconds, whole seconds. */
static void fmt_us(int64_t us, char *buf, size_t size)
{
	duration_format((us > 0 ? us : 0) / 1000000 * 1000, buf, size);
}

/* Sends the notification of notice K of section SEC (just recorded by this
 * process): the section, how long its gate has waited, within what, and
 * what it still needs. */
static void send_notice(struct session *s, size_t sec, const struct event *ev)
{
	if (!s->on_notify)
		return;
	const struct checklist_section *cs = &s->cl->sections[sec];
	const struct engine_section_state *ss = engine_section(s->eng, sec);
	cJSON *p = cJSON_Parse(ev->payload ? ev->payload : "{}");
	const cJSON *waited_ms = cJSON_GetObjectItemCaseSensitive(p, "waited_ms");
	const cJSON *notice = cJSON_GetObjectItemCaseSensitive(p, "notice");
	int64_t waited_us = cJSON_IsNumber(waited_ms) ? (int64_t)waited_ms->valuedouble * 1000 : 0;
	char waited[32], within[32];
	fmt_us(waited_us, waited, sizeof(waited));
	duration_format(cs->signoff_within_ms, within, sizeof(within));
	/* who could sign, when the registry can be read (else the need alone) */
	char *needs = engine_gate_needs(s->eng, sec, session_roster(s));
	char *text = xasprintf("countersign · %s · run %s: the gate of %s (%s) has waited %s for sign-off "
		"(within %s); it still needs %s", s->cl->title, s->run.id, cs->id, cs->title, waited, within,
		needs ? needs : ss->rejected ? "its rejection answered" : "its sign-offs");
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "run", s->run.id);
	cJSON_AddStringToObject(d, "checklist", s->cl->id);
	cJSON_AddStringToObject(d, "title", s->run.title);
	cJSON_AddStringToObject(d, "actor", SESSION_SYSTEM_ACTOR);
	cJSON_AddStringToObject(d, "target", cs->id);
	cJSON_AddStringToObject(d, "section", cs->id);
	cJSON_AddStringToObject(d, "section_title", cs->title);
	cJSON_AddNumberToObject(d, "notice", cJSON_IsNumber(notice) ? notice->valuedouble : 0);
	cJSON_AddNumberToObject(d, "waited_ms", (double)(waited_us / 1000));
	cJSON_AddNumberToObject(d, "within_ms", (double)cs->signoff_within_ms);
	cJSON_AddNumberToObject(d, "signoffs", ss->approvals);
	cJSON_AddNumberToObject(d, "signoffs_needed", cs->signoffs);
	if (needs)
		cJSON_AddStringToObject(d, "needs", needs);
	cJSON_AddItemToObject(d, "payload", p);
	char *details = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	s->on_notify(s->notify_data, NOTIFY_GATE_WAITING, text, details);
	free(details);
	free(text);
	free(needs);
}

/* Records notice K of section SEC about items done since DONE_US (WAITED_US
 * ago): 1 when this process recorded it (and sent it), 0 when the guard
 * found it given or no longer due, -1 when it could not be recorded. */
static int record_notice(struct session *s, size_t sec, int64_t done_us, int k, int64_t waited_us)
{
	const struct checklist_section *cs = &s->cl->sections[sec];
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "items_done_us", (double)done_us);
	cJSON_AddNumberToObject(p, "notice", k);
	cJSON_AddNumberToObject(p, "waited_ms", (double)(waited_us / 1000));
	struct session_guard g = {.action = ACTION_GATE_WAITING, .sec = sec, .seq = k, .since_us = done_us};
	struct event ev;
	session_origin(&ev, SESSION_SYSTEM_ACTOR);
	ev.kind = xstrdup(EV_GATE_WAITING);
	free(ev.target);
	ev.target = xstrdup(cs->id);
	free(ev.payload);
	ev.payload = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	int rc = session_append_guarded(s, &g, &ev, 1, NULL, 0);
	if (rc == CS_OK)
		send_notice(s, sec, &ev);
	event_clear(&ev);
	return rc == CS_OK ? 1 : rc == CS_REFUSED ? 0 : -1;
}

/* How many whole intervals of WITHIN_US fit in WAITED_US (a notice number:
 * bounded, so that a tiny interval over years still fits an int). */
static int64_t intervals(int64_t waited_us, int64_t within_us)
{
	assert(within_us > 0);
	int64_t k = waited_us > 0 ? waited_us / within_us : 0;
	return k < INT_MAX / 2 ? k : INT_MAX / 2;
}

int session_gate_waiting_due(struct session *s, int64_t now_us, int64_t *next_us)
{
	assert(s);
	if (next_us)
		*next_us = 0;
	if (!s->have_run || !s->eng || !s->st || store_read_only(s->st))
		return 0;
	engine_refresh(s->eng, now_us);
	int recorded = 0;
	int64_t next = 0;
	for (size_t k = 0; k < s->cl->n_sections && engine_status(s->eng) == RUN_OPEN; k++) {
		const struct checklist_section *cs = &s->cl->sections[k];
		const struct engine_section_state *ss = engine_section(s->eng, k);
		int64_t within_us = cs->signoff_within_ms * 1000;
		if (!cs->gate || within_us <= 0 || !ss->items_done_us || ss->gate_passed)
			continue;
		int64_t waited = now_us - ss->items_done_us;
		int64_t due = intervals(waited, within_us);
		/* Only the latest interval: a process that looks after a long
		 * while sends one notice, not every one it missed. */
		if (due >= 1 && ss->waiting_notices < due) {
			int rc = record_notice(s, k, ss->items_done_us, (int)due, waited);
			if (rc < 0)
				return -1;
			recorded += rc;
			/* as the append, or another process first, left it */
			if (engine_status(s->eng) != RUN_OPEN || !ss->items_done_us || ss->gate_passed)
				continue;
			due = intervals(now_us - ss->items_done_us, within_us);
		}
		int64_t at = ss->items_done_us + ((int64_t)ss->waiting_notices + 1) * within_us;
		/* a notice due but refused on a state that changed meanwhile: the
		 * next look, on the newest state, gives it */
		if (due > ss->waiting_notices)
			at = now_us + 100000;
		if (!next || at < next)
			next = at;
	}
	if (next_us)
		*next_us = next;
	return recorded;
}
