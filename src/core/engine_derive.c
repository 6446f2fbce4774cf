/* Derived state: waits, digests, stale sign-offs, gates, locks and marks. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "countersign/sha256.h"
#include "engine_internal.h"

static void refresh_items(struct engine *e, size_t s, int64_t now_us)
{
	const struct checklist_section *sec = &e->cl->sections[s];
	for (size_t i = 0; i < sec->n_items; i++) {
		struct engine_item_state *is = &e->items[s][i];
		/* A started wait is running until its time is up, then passed: derived
		 * afresh from the start event each time, never stored. */
		if (sec->items[i].kind != ITEM_WAIT || !is->running_payload || !is->wait_until_us)
			continue;
		bool done = now_us >= is->wait_until_us;
		is->verdict = is->checked = is->gate_verdict = done ? VERDICT_PASS : VERDICT_RUNNING;
		is->finished_us = done ? is->wait_until_us : 0;
	}
}

static void compute_digest(struct engine *e, size_t s)
{
	const struct checklist_section *sec = &e->cl->sections[s];
	struct sha256 *st = sha256_create();
	for (size_t i = 0; i < sec->n_items; i++) {
		const struct engine_item_state *is = &e->items[s][i];
		const char *h = is->gate_seq ? is->gate_hash : "-";
		sha256_update(st, sec->items[i].id, strlen(sec->items[i].id) + 1);
		sha256_update(st, h, strlen(h));
		sha256_update(st, "\n", 1);
	}
	sha256_final_hex(st, e->sections[s].digest);
	sha256_destroy(st);
}

bool engine_is_executor(const struct engine_section_state *ss, const char *name)
{
	for (size_t k = 0; name && k < ss->n_executors; k++)
		if (strcmp(ss->executors[k], name) == 0)
			return true;
	return false;
}

static bool signoff_holds(const struct engine_signoff *so, const char *role)
{
	for (size_t r = 0; r < so->n_roles; r++)
		if (strcmp(so->roles[r], role) == 0)
			return true;
	return false;
}

/* A later signature replaces an earlier one of the same engineer when both
 * are judgments (reviewed, approved, rejected: the latest decides), or both
 * say the signer did the work; "I did it" and "I approve" stand together. */
static bool replaces(const struct engine_signoff *later, const struct engine_signoff *so)
{
	return !later->stale && strcmp(later->engineer, so->engineer) == 0 &&
		(later->meaning == MEANING_PERFORMED) == (so->meaning == MEANING_PERFORMED);
}

/* Whether the policy's roles and its "performed" are satisfied by the
 * counted and current signatures. */
static bool policy_met(const struct checklist_policy *pol, const struct engine_section_state *ss)
{
	for (size_t r = 0; r < pol->n_roles; r++) {
		bool held = false;
		for (size_t k = 0; k < ss->n_signoffs && !held; k++)
			held = ss->signoffs[k].counted && signoff_holds(&ss->signoffs[k], pol->roles[r]);
		if (!held)
			return false;
	}
	if (!pol->performed)
		return true;
	for (size_t k = 0; k < ss->n_signoffs; k++)
		if (ss->signoffs[k].performs)
			return true;
	return false;
}

/* Marks the current performed signatures by those who did the work, when
 * the policy needs one. */
static void mark_performs(const struct checklist_policy *pol, struct engine_section_state *ss)
{
	for (size_t k = 0; k < ss->n_signoffs; k++) {
		struct engine_signoff *so = &ss->signoffs[k];
		so->performs = pol->performed && !so->stale && !so->superseded && so->meaning == MEANING_PERFORMED &&
			engine_is_executor(ss, so->engineer);
	}
}

/* Each engineer's latest current signature decides for them; their earlier
 * ones on the same evidence are superseded. Under the section's policy a
 * current signature counts when it means what the gate counts and, with
 * "independent", its signer has not worked on the section's items (now:
 * an approver who re-runs an item afterwards stops counting). */
static void count_signoffs(const struct checklist_section *sec, struct engine_section_state *ss)
{
	const struct checklist_policy *pol = &sec->policy;
	ss->approvals = 0;
	ss->rejected = false;
	for (size_t k = 0; k < ss->n_signoffs; k++) {
		ss->signoffs[k].stale = strcmp(ss->signoffs[k].digest, ss->digest) != 0;
		ss->signoffs[k].superseded = false;
		ss->signoffs[k].counted = false;
	}
	for (size_t k = 0; k < ss->n_signoffs; k++) {
		struct engine_signoff *so = &ss->signoffs[k];
		if (so->stale)
			continue;
		bool later = false;
		for (size_t j = k + 1; j < ss->n_signoffs && !later; j++)
			later = replaces(&ss->signoffs[j], so);
		so->superseded = later;
		if (later)
			continue;
		if (so->meaning == MEANING_REJECTED)
			ss->rejected = true;
		so->counted = so->meaning == pol->meaning && !(pol->independent && engine_is_executor(ss, so->engineer));
		if (so->counted)
			ss->approvals++;
	}
	/* One counted signature per engineer: the judgments of one engineer
	 * supersede each other, and only judgments count. */
	assert(ss->approvals >= 0 && (size_t)ss->approvals <= ss->n_signoffs);
	mark_performs(pol, ss);
	ss->policy_met = policy_met(pol, ss);
}

static bool verdict_counts(enum engine_verdict v)
{
	return v == VERDICT_PASS || v == VERDICT_WAIVED;
}

static bool verdict_failed(enum engine_verdict v)
{
	return v == VERDICT_FAIL || v == VERDICT_ERROR || v == VERDICT_NO_DATA ||
		v == VERDICT_TIMEOUT || v == VERDICT_CANCELLED;
}

/* When a gate passed by the rules: the latest of what it needed, the
 * required verdicts and the counted approvals. */
static int64_t passed_time(const struct engine *e, size_t s)
{
	const struct checklist_section *sec = &e->cl->sections[s];
	const struct engine_section_state *ss = &e->sections[s];
	int64_t t = 0;
	for (size_t i = 0; i < sec->n_items; i++) {
		const struct engine_item_state *is = &e->items[s][i];
		if (sec->items[i].required && is->finished_us > t)
			t = is->finished_us;
	}
	for (size_t k = 0; k < ss->n_signoffs; k++) {
		const struct engine_signoff *so = &ss->signoffs[k];
		if ((so->counted || so->performs) && so->time_us > t)
			t = so->time_us;
	}
	return t;
}

static void refresh_gate(struct engine *e, size_t s)
{
	const struct checklist_section *sec = &e->cl->sections[s];
	struct engine_section_state *ss = &e->sections[s];
	ss->required_done = ss->required_total = 0;
	for (size_t i = 0; i < sec->n_items; i++) {
		const struct engine_item_state *is = &e->items[s][i];
		if (!sec->items[i].required)
			continue;
		ss->required_total++;
		/* An attestation a re-check waits for does not undo what was signed. */
		if (verdict_counts(is->gate_verdict) && !(is->needs_attestation && !is->rechecking))
			ss->required_done++;
	}
	assert(ss->required_done <= ss->required_total);
	compute_digest(e, s);
	count_signoffs(sec, ss);
	bool by_rules = ss->required_done == ss->required_total &&
		ss->approvals >= sec->policy.count && ss->policy_met && !ss->rejected;
	ss->gate_passed = sec->gate && (ss->forced || by_rules);
	if (!ss->forced)
		ss->passed_us = ss->gate_passed ? passed_time(e, s) : 0;
}

static bool same_group(const struct checklist_section *a, const struct checklist_section *b)
{
	return a->choice && b->choice && strcmp(a->choice, b->choice) == 0;
}

/* Counts towards locking and completion: a real gate on the path. */
static bool gate_counts(const struct engine *e, size_t s)
{
	const struct checklist_section *sec = &e->cl->sections[s];
	return sec->gate && !sec->always_open && !e->sections[s].not_chosen;
}

static bool group_has_choice(const struct engine *e, size_t s)
{
	const struct checklist_section *sec = &e->cl->sections[s];
	for (size_t k = 0; sec->choice && k < e->cl->n_sections; k++)
		if (same_group(sec, &e->cl->sections[k]) && e->sections[k].chosen)
			return true;
	return false;
}

static void refresh_lock(struct engine *e, size_t s)
{
	const struct checklist_section *sec = &e->cl->sections[s];
	struct engine_section_state *ss = &e->sections[s];
	ss->locked = false;
	ss->blocked_by = (size_t)-1;
	ss->reopened_before = (size_t)-1;
	if (sec->always_open || ss->forced)
		return;
	if (ss->not_chosen) {
		ss->locked = true;
		return;
	}
	for (size_t p = 0; p < s; p++) {
		if (!gate_counts(e, p) || same_group(sec, &e->cl->sections[p]))
			continue;
		/* Work already under way is not locked again by a gate that
		 * reopened after it began; it shows which one. */
		if (!e->sections[p].gate_passed && e->sections[p].reopened && ss->first_us &&
			ss->first_us < e->sections[p].reopened_us) {
			if (ss->reopened_before == (size_t)-1)
				ss->reopened_before = p;
			continue;
		}
		if (!e->sections[p].gate_passed) {
			ss->locked = true;
			ss->blocked_by = p;
			assert(ss->blocked_by < s);  /* only an earlier gate holds a section */
			return;
		}
	}
}

static enum engine_section_mark compute_mark(const struct engine *e, size_t s)
{
	const struct checklist_section *sec = &e->cl->sections[s];
	const struct engine_section_state *ss = &e->sections[s];
	if (ss->not_chosen)
		return MARK_NOT_CHOSEN;
	if (ss->locked)
		return MARK_LOCKED;
	if (sec->choice && !group_has_choice(e, s))
		return MARK_CHOOSE;
	if (ss->forced)
		return MARK_FORCED;
	if (ss->gate_passed)
		return MARK_PASSED;
	bool failed = false;
	for (size_t i = 0; i < sec->n_items; i++) {
		if (e->items[s][i].verdict == VERDICT_RUNNING)
			return MARK_RUNNING;
		failed |= sec->items[i].required && verdict_failed(e->items[s][i].gate_verdict);
	}
	return failed ? MARK_FAILED : MARK_OPEN;
}

void engine_refresh(struct engine *e, int64_t now_us)
{
	assert(e);
	size_t n = e->cl->n_sections;
	for (size_t s = 0; s < n; s++) {
		refresh_items(e, s, now_us);
		refresh_gate(e, s);
	}
	for (size_t s = 0; s < n; s++) {
		struct engine_section_state *ss = &e->sections[s];
		ss->pending_active = ss->pending_seq && now_us < ss->pending_expires_us && !ss->forced &&
			!ss->gate_passed && e->status == RUN_OPEN;
	}
	/* File order: a section's lock depends only on the gates before it. */
	for (size_t s = 0; s < n; s++)
		refresh_lock(e, s);
	for (size_t s = 0; s < n; s++)
		e->sections[s].mark = compute_mark(e, s);
	engine_times_refresh(e, now_us);
	e->dirty = false;
}

bool engine_gate_passed_at(struct engine *e, size_t s, int64_t now_us)
{
	ENGINE_ASSERT_SECTION(e, s);
	refresh_items(e, s, now_us);
	refresh_gate(e, s);
	return e->sections[s].gate_passed;
}

bool engine_all_gates_passed(const struct engine *e)
{
	for (size_t s = 0; s < e->cl->n_sections; s++)
		if (gate_counts(e, s) && !e->sections[s].gate_passed)
			return false;
	return true;
}

size_t engine_current_section(const struct engine *e)
{
	for (size_t s = 0; s < e->cl->n_sections; s++)
		if (gate_counts(e, s) && !e->sections[s].gate_passed)
			return s;
	return (size_t)-1;
}

const struct checklist *engine_checklist(const struct engine *e) { return e->cl; }
enum engine_run_status engine_status(const struct engine *e) { return e->status; }
const char *engine_abort_reason(const struct engine *e) { return e->abort_reason; }
const char *engine_abort_actor(const struct engine *e) { return e->abort_actor; }
int64_t engine_started_us(const struct engine *e) { return e->started_us; }
int64_t engine_ended_us(const struct engine *e) { return e->ended_us; }

int64_t engine_window_started_us(const struct engine *e)
{
	const struct checklist_section *at = e->cl->window_starts_at ? checklist_section(e->cl, e->cl->window_starts_at) : NULL;
	if (!at)
		return e->started_us;
	/* A section that is one of a group of alternatives stands for the group:
	 * the window starts with whichever of them begins first. */
	int64_t first = 0;
	for (size_t s = 0; s < e->cl->n_sections; s++) {
		const struct checklist_section *sec = &e->cl->sections[s];
		bool counts = sec == at || (at->choice && sec->choice && strcmp(at->choice, sec->choice) == 0);
		int64_t t = e->sections[s].first_us;
		if (counts && t && (!first || t < first))
			first = t;
	}
	return first;
}
int64_t engine_last_seq(const struct engine *e) { return e->last_seq; }
const char *engine_variables_json(const struct engine *e) { return e->variables; }

const struct engine_section_state *engine_section(const struct engine *e, size_t s)
{
	ENGINE_ASSERT_SECTION(e, s);
	return s < e->cl->n_sections ? &e->sections[s] : NULL;
}

const struct engine_note *engine_notes(const struct engine *e, size_t *n)
{
	assert(n);
	*n = e->n_notes;
	return e->notes;
}

const struct engine_item_state *engine_item(const struct engine *e, size_t s, size_t i)
{
	ENGINE_ASSERT_ITEM(e, s, i);
	return s < e->cl->n_sections && i < e->cl->sections[s].n_items ? &e->items[s][i] : NULL;
}
