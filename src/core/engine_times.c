/* The times a section's gate and its manual items are measured by: when
 * the section opened, since when its items are done, how long the gate has
 * waited for its signatures, and which manual items are overdue. All of it
 * is derived afresh from the folded state and now, never stored. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine_internal.h"

/* A real gate on the path (as engine_derive.c counts them for locking). */
static bool holds_later_sections(const struct engine *e, size_t p, size_t s)
{
	const struct checklist_section *sp = &e->cl->sections[p], *ss = &e->cl->sections[s];
	if (!sp->gate || sp->always_open || e->sections[p].not_chosen)
		return false;
	/* alternatives of one group do not hold each other */
	return !(sp->choice && ss->choice && strcmp(sp->choice, ss->choice) == 0);
}

/* When section S could first be worked on: the run's start, or the latest
 * time a gate before it passed (the one that let it open); 0 while locked. */
static int64_t opened_at(const struct engine *e, size_t s)
{
	if (e->sections[s].locked || !e->started_us)
		return 0;
	int64_t t = e->started_us;
	for (size_t p = 0; p < s; p++)
		if (holds_later_sections(e, p, s) && e->sections[p].gate_passed && e->sections[p].passed_us > t)
			t = e->sections[p].passed_us;
	return t;
}

/* When an item's counted verdict was reached: a wait passes when its time
 * is up, not when it was started. */
static int64_t verdict_time(const struct checklist_item *it, const struct engine_item_state *is)
{
	if (it->kind == ITEM_WAIT && is->wait_until_us && is->gate_verdict == VERDICT_PASS)
		return is->wait_until_us;
	return is->gate_verdict_us;
}

/* Since when every required item of S has been done (0: not all, or the
 * section is not open): the latest of their counted verdicts, and never
 * before the section opened (its gate could not be signed before). */
static int64_t items_done_at(const struct engine *e, size_t s)
{
	const struct checklist_section *sec = &e->cl->sections[s];
	const struct engine_section_state *ss = &e->sections[s];
	if (!ss->opened_us || ss->required_done != ss->required_total)
		return 0;
	int64_t t = ss->opened_us;
	for (size_t i = 0; i < sec->n_items; i++) {
		int64_t v = sec->items[i].required ? verdict_time(&sec->items[i], &e->items[s][i]) : 0;
		if (v > t)
			t = v;
	}
	return t;
}

static bool item_done(enum engine_verdict v)
{
	return v == VERDICT_PASS || v == VERDICT_WAIVED;
}

/* Manual items with a timeout: due once the section has been open that
 * long; overdue from then on until they are done (they never pass alone). */
static void refresh_due(struct engine *e, size_t s, int64_t now_us)
{
	const struct checklist_section *sec = &e->cl->sections[s];
	const struct engine_section_state *ss = &e->sections[s];
	for (size_t i = 0; i < sec->n_items; i++) {
		const struct checklist_item *it = &sec->items[i];
		struct engine_item_state *is = &e->items[s][i];
		is->due_us = 0;
		is->overdue = false;
		if (it->kind != ITEM_MANUAL || it->timeout_ms <= 0 || !ss->opened_us || e->status != RUN_OPEN ||
			item_done(is->verdict) || ss->not_chosen)
			continue;
		is->due_us = ss->opened_us + it->timeout_ms * 1000;
		is->overdue = now_us >= is->due_us;
	}
}

void engine_times_refresh(struct engine *e, int64_t now_us)
{
	assert(e);
	for (size_t s = 0; s < e->cl->n_sections; s++) {
		const struct checklist_section *sec = &e->cl->sections[s];
		struct engine_section_state *ss = &e->sections[s];
		ss->opened_us = opened_at(e, s);
		ss->items_done_us = items_done_at(e, s);
		ss->waiting_us = 0;
		if (ss->items_done_us && sec->gate && sec->signoff_within_ms > 0 && !ss->gate_passed &&
			e->status == RUN_OPEN && now_us > ss->items_done_us)
			ss->waiting_us = now_us - ss->items_done_us;
		/* Notices about an earlier completion of the items (a re-check
		 * changed them since) are no notices about this wait. */
		ss->waiting_notices = ss->items_done_us && ss->noticed_done_us == ss->items_done_us ? ss->noticed : 0;
		assert(ss->waiting_us >= 0 && ss->waiting_notices >= 0);
		refresh_due(e, s, now_us);
	}
}

void engine_times_apply(struct engine *e, size_t s, const struct event *ev, const struct cJSON *p)
{
	ENGINE_ASSERT_SECTION(e, s);
	(void)ev;
	const cJSON *done = cJSON_GetObjectItemCaseSensitive(p, "items_done_us");
	const cJSON *notice = cJSON_GetObjectItemCaseSensitive(p, "notice");
	/* A payload that does not say what it is about counts for nothing
	 * (verify names it; the engine still loads the record). */
	if (!cJSON_IsNumber(done) || !cJSON_IsNumber(notice) || notice->valuedouble < 1 ||
		notice->valuedouble > INT_MAX)
		return;
	struct engine_section_state *ss = &e->sections[s];
	int64_t done_us = (int64_t)done->valuedouble;
	int k = (int)notice->valuedouble;
	if (done_us != ss->noticed_done_us) {
		ss->noticed_done_us = done_us;
		ss->noticed = 0;
	}
	if (k > ss->noticed)
		ss->noticed = k;
}
