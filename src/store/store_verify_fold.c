/* Verification of what only the run's state shows: a completion recorded
 * while a gate was still closed. The program records run_completed (as
 * "system", unsigned) only once every gate has passed, so verify folds each
 * run's events with the engine, as a session does, and checks the gates at
 * the first completion. */
#include "store_verify_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/checklist.h"
#include "countersign/diag.h"
#include "countersign/engine.h"

void verify_fold_clear(struct verifier *v)
{
	verify_fold_end(v);
	for (size_t i = 0; i < v->n_checklists; i++) {
		free(v->checklists[i].sha);
		checklist_destroy(v->checklists[i].cl);
	}
	free(v->checklists);
	v->checklists = NULL;
	v->n_checklists = 0;
}

/* RUN's checklist, loaded once per snapshot (NULL when it does not load:
 * then there is nothing to fold with, and the session would refuse the
 * run anyway). */
static const struct checklist *checklist_of(struct verifier *v, const struct store_run_row *run)
{
	for (size_t i = 0; i < v->n_checklists; i++)
		if (strcmp(v->checklists[i].sha, run->checklist_sha) == 0)
			return v->checklists[i].cl;
	size_t len = 0;
	char *text = store_get_checklist(v->st, run->checklist_sha, &len);
	struct checklist *cl = NULL;
	if (text) {
		struct diag_list d;
		diag_list_init(&d, run->path);
		cl = checklist_load_text(run->path, text, len, &d);
		diag_list_clear(&d);
		free(text);
	}
	v->checklists = xreallocarray(v->checklists, v->n_checklists + 1, sizeof(*v->checklists));
	v->checklists[v->n_checklists++] = (struct verify_checklist){.sha = xstrdup(run->checklist_sha), .cl = cl};
	return cl;
}

void verify_fold_begin(struct verifier *v, const struct store_run_row *run)
{
	verify_fold_end(v);
	const struct checklist *cl = checklist_of(v, run);
	v->eng = cl ? engine_create(cl) : NULL;
	v->completion_seen = false;
}

/* An interruption, which system records only for a check that started and
 * has no result: the item EV names must have its check running. */
static bool check_interrupted(struct verifier *v, const struct event *ev)
{
	const struct checklist *cl = engine_checklist(v->eng);
	const char *slash = strchr(ev->target, '/');
	for (size_t s = 0; slash && s < cl->n_sections; s++) {
		const struct checklist_section *sec = &cl->sections[s];
		if (strlen(sec->id) != (size_t)(slash - ev->target) || strncmp(sec->id, ev->target, strlen(sec->id)) != 0)
			continue;
		for (size_t i = 0; i < sec->n_items; i++)
			if (strcmp(sec->items[i].id, slash + 1) == 0 && engine_item(v->eng, s, i)->running_payload)
				return true;
	}
	char *name = verify_event_name(v, ev);
	verify_fail(v, ev->seq, "%s: an interruption recorded as system for %s, whose check was not running (system "
		"records one only for a check that started and has no result; the event was not made by countersign)",
		name, ev->target);
	free(name);
	return false;
}

/* A gate_waiting notice, which the program records (as system) only for a
 * gated section whose items are all done since the payload's items_done_us
 * and whose gate is not passed, once per notice number. */
static bool gate_was_waiting(struct verifier *v, const struct event *ev)
{
	const struct checklist *cl = engine_checklist(v->eng);
	engine_refresh(v->eng, ev->time_us);
	cJSON *p = cJSON_Parse(ev->payload ? ev->payload : "{}");
	const cJSON *done = cJSON_GetObjectItemCaseSensitive(p, "items_done_us");
	const cJSON *notice = cJSON_GetObjectItemCaseSensitive(p, "notice");
	const char *why = "it names no section of the checklist";
	for (size_t s = 0; s < cl->n_sections; s++) {
		if (strcmp(cl->sections[s].id, ev->target) != 0)
			continue;
		const struct engine_section_state *ss = engine_section(v->eng, s);
		why = !cl->sections[s].gate || cl->sections[s].signoff_within_ms <= 0 ? "the section has no signoff_within"
			: engine_status(v->eng) != RUN_OPEN ? "the run had ended"
			: ss->gate_passed ? "its gate had passed"
			: !cJSON_IsNumber(done) || !cJSON_IsNumber(notice) || !ss->items_done_us ||
				(int64_t)done->valuedouble != ss->items_done_us ? "its items were not done since items_done_us"
			: notice->valuedouble <= ss->waiting_notices ? "that notice had been given" : NULL;
		break;
	}
	cJSON_Delete(p);
	if (!why)
		return true;
	char *name = verify_event_name(v, ev);
	verify_fail(v, ev->seq, "%s: a gate_waiting notice for %s, but %s (the event was not made by countersign)",
		name, ev->target, why);
	free(name);
	return false;
}

bool verify_fold_event(struct verifier *v, const struct event *ev)
{
	if (!v->eng)
		return true;
	if (ev->seq > v->unsigned_through && strcmp(ev->kind, EV_CHECK_FINISHED) == 0 &&
		strcmp(ev->actor, "system") == 0 && !check_interrupted(v, ev))
		return false;
	if (strcmp(ev->kind, EV_GATE_WAITING) == 0 && !gate_was_waiting(v, ev))
		return false;
	if (!v->completion_seen && strcmp(ev->kind, EV_RUN_COMPLETED) == 0) {
		v->completion_seen = true;
		engine_refresh(v->eng, ev->time_us);
		if (ev->seq > v->unsigned_through && engine_status(v->eng) == RUN_OPEN &&
			!engine_all_gates_passed(v->eng)) {
			const struct checklist *cl = engine_checklist(v->eng);
			size_t s = engine_current_section(v->eng);
			char *name = verify_event_name(v, ev);
			verify_fail(v, ev->seq, "%s: the run is recorded as completed while the gate of section %s is "
				"closed (countersign completes a run only once every gate has passed; the event was not "
				"made by countersign)", name, s < cl->n_sections ? cl->sections[s].id : "?");
			free(name);
			return false;
		}
	}
	engine_apply(v->eng, ev);
	return true;
}

void verify_fold_end(struct verifier *v)
{
	engine_destroy(v->eng);
	v->eng = NULL;
}
