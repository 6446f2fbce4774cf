/* "Is this allowed, and if not, why": the answers every command asks for. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/util.h"
#include "engine_internal.h"

static bool refuse(char **why, char *msg)
{
	if (why)
		*why = msg;
	else
		free(msg);
	return false;
}

static bool run_open(const struct engine *e, char **why)
{
	if (e->status == RUN_OPEN)
		return true;
	return refuse(why, xasprintf("the run is %s; nothing more can be recorded in it",
		engine_run_status_name(e->status)));
}

/* The shared rule of every action inside a section. */
static bool section_workable(const struct engine *e, size_t s, char **why)
{
	ENGINE_ASSERT_SECTION(e, s);
	if (!run_open(e, why))
		return false;
	const struct checklist_section *sec = &e->cl->sections[s];
	const struct engine_section_state *ss = &e->sections[s];
	if (ss->not_chosen)
		return refuse(why, xasprintf("section \"%s\" was not chosen: another alternative of \"%s\" was",
			sec->id, sec->choice));
	if (ss->locked && ss->blocked_by != (size_t)-1) {
		assert(ss->blocked_by < s);
		const struct checklist_section *b = &e->cl->sections[ss->blocked_by];
		const struct engine_section_state *bs = &e->sections[ss->blocked_by];
		if (b->choice && bs->mark == MARK_CHOOSE)
			return refuse(why, xasprintf("section \"%s\" is locked: no alternative of \"%s\" has been chosen "
				"yet, so \"%s\" (%s) has not passed its gate (items %d/%d, sign-offs %d/%d); choose one first",
				sec->id, b->choice, b->id, b->title, bs->required_done, bs->required_total,
				bs->approvals, b->signoffs));
		return refuse(why, xasprintf("section \"%s\" is locked: \"%s\" (%s) has not passed its gate "
			"(items %d/%d, sign-offs %d/%d)", sec->id, b->id, b->title, bs->required_done,
			bs->required_total, bs->approvals, b->signoffs));
	}
	if (ss->mark == MARK_CHOOSE)
		return refuse(why, xasprintf("section \"%s\" is one of the alternatives of \"%s\": choose one first",
			sec->id, sec->choice));
	return true;
}

static bool item_done(const struct engine_item_state *is)
{
	return (is->gate_verdict == VERDICT_PASS || is->gate_verdict == VERDICT_WAIVED) &&
		!(is->needs_attestation && !is->rechecking);
}

/* The items after a wait stay locked until it passes. */
static bool after_waits(const struct engine *e, size_t s, size_t i, char **why)
{
	const struct checklist_section *sec = &e->cl->sections[s];
	for (size_t w = 0; w < i; w++) {
		const struct engine_item_state *ws = &e->items[s][w];
		if (sec->items[w].kind != ITEM_WAIT || item_done(ws))
			continue;
		return refuse(why, xasprintf("%s/%s comes after the wait %s/%s (%s), which %s; the items after a "
			"wait are locked until it passes", sec->id, sec->items[i].id, sec->id, sec->items[w].id,
			sec->items[w].title, ws->verdict == VERDICT_RUNNING ? "has not passed yet" : "has not been started"));
	}
	return true;
}

/* A wait starts once what it follows has passed: its "after" items, or
 * every required item before it. */
static bool wait_ready(const struct engine *e, size_t s, size_t w, char **why)
{
	const struct checklist_section *sec = &e->cl->sections[s];
	const struct checklist_item *wait = &sec->items[w];
	for (size_t i = 0; i < w; i++) {
		const struct checklist_item *it = &sec->items[i];
		bool follows = false;
		for (size_t k = 0; k < wait->n_after; k++)
			follows |= strcmp(wait->after[k], it->id) == 0;
		if (!wait->after)  /* "after" absent: every required item before it; [] follows nothing */
			follows = it->required || it->kind == ITEM_WAIT;
		const struct engine_item_state *is = &e->items[s][i];
		if (!follows || item_done(is))
			continue;
		return refuse(why, xasprintf("the wait %s/%s starts once %s/%s has passed (it is %s); a wait "
			"times what follows a finished step", sec->id, wait->id, sec->id, it->id,
			is->needs_attestation ? "waiting for attestation" : engine_verdict_name(is->verdict)));
	}
	return true;
}

bool engine_can_cancel_wait(const struct engine *e, size_t s, size_t i, char **why)
{
	ENGINE_ASSERT_ITEM(e, s, i);
	if (!run_open(e, why))
		return false;
	const struct checklist_item *it = &e->cl->sections[s].items[i];
	if (it->kind != ITEM_WAIT)
		return refuse(why, xasprintf("%s/%s is not a wait; a running check is cancelled where it runs",
			e->cl->sections[s].id, it->id));
	if (e->items[s][i].verdict != VERDICT_RUNNING)
		return refuse(why, xasprintf("the wait %s/%s is not running", e->cl->sections[s].id, it->id));
	return true;
}

bool engine_can_check(const struct engine *e, size_t s, size_t i, char **why)
{
	ENGINE_ASSERT_ITEM(e, s, i);
	if (!section_workable(e, s, why))
		return false;
	const struct checklist_item *it = &e->cl->sections[s].items[i];
	if (it->kind == ITEM_MANUAL)
		return refuse(why, xasprintf("%s/%s is a manual item: attest it instead",
			e->cl->sections[s].id, it->id));
	if (e->items[s][i].verdict == VERDICT_RUNNING)
		return refuse(why, xasprintf("%s/%s is already running", e->cl->sections[s].id, it->id));
	if (it->kind == ITEM_WAIT && e->sections[s].gate_passed && e->items[s][i].verdict == VERDICT_PASS)
		return refuse(why, xasprintf("%s/%s has passed and \"%s\" has passed its gate: the wait is not "
			"run again", e->cl->sections[s].id, it->id, e->cl->sections[s].id));
	if (it->kind == ITEM_WAIT && !wait_ready(e, s, i, why))
		return false;
	return after_waits(e, s, i, why);
}

bool engine_can_attest(const struct engine *e, size_t s, size_t i, char **why)
{
	ENGINE_ASSERT_ITEM(e, s, i);
	if (!section_workable(e, s, why))
		return false;
	const struct checklist_item *it = &e->cl->sections[s].items[i];
	if (it->kind == ITEM_MANUAL || e->items[s][i].needs_attestation)
		return after_waits(e, s, i, why);
	return refuse(why, xasprintf("%s/%s is a %s item with its own check: run it instead of attesting",
		e->cl->sections[s].id, it->id, checklist_item_kind_name(it->kind)));
}

bool engine_can_waive(const struct engine *e, size_t s, size_t i, char **why)
{
	ENGINE_ASSERT_ITEM(e, s, i);
	if (!section_workable(e, s, why))
		return false;
	const struct checklist_item *it = &e->cl->sections[s].items[i];
	const char *sid = e->cl->sections[s].id;
	if (!it->waivable)
		return refuse(why, xasprintf("%s/%s is not waivable (the checklist does not allow it)", sid, it->id));
	enum engine_verdict v = e->items[s][i].verdict;
	if (v != VERDICT_FAIL && v != VERDICT_ERROR && v != VERDICT_NO_DATA && v != VERDICT_TIMEOUT &&
		v != VERDICT_CANCELLED)
		return refuse(why, xasprintf("%s/%s is %s: only a failed check can be waived", sid, it->id,
			engine_verdict_name(v)));
	return true;
}

bool engine_can_choose(const struct engine *e, size_t s, char **why)
{
	ENGINE_ASSERT_SECTION(e, s);
	const struct checklist_section *sec = &e->cl->sections[s];
	if (!run_open(e, why))
		return false;
	if (!sec->choice)
		return refuse(why, xasprintf("section \"%s\" is not one of a group of alternatives", sec->id));
	for (size_t k = 0; k < e->cl->n_sections; k++) {
		const struct checklist_section *o = &e->cl->sections[k];
		if (o->choice && strcmp(o->choice, sec->choice) == 0 && e->sections[k].chosen)
			return refuse(why, xasprintf("\"%s\" is already chosen for \"%s\"", o->id, sec->choice));
	}
	const struct engine_section_state *ss = &e->sections[s];
	if (ss->locked && ss->blocked_by != (size_t)-1)
		return section_workable(e, s, why);
	return true;
}

/* ---- the section's policy: who may sign, and who could ---- */

static const struct engine_person *roster_find(const struct engine_roster *roster, const char *name)
{
	for (size_t k = 0; roster && name && k < roster->n; k++)
		if (strcmp(roster->people[k].name, name) == 0)
			return &roster->people[k];
	return NULL;
}

static bool person_holds(const struct engine_person *p, const char *role)
{
	for (size_t r = 0; p && r < p->n_roles; r++)
		if (strcmp(p->roles[r], role) == 0)
			return true;
	return false;
}

static bool counted_signer(const struct engine_section_state *ss, const char *name)
{
	for (size_t k = 0; k < ss->n_signoffs; k++)
		if (ss->signoffs[k].counted && strcmp(ss->signoffs[k].engineer, name) == 0)
			return true;
	return false;
}

/* What the gate still lacks under its policy: the policy roles no counted
 * signer holds (borrowed, into UNC of policy.n_roles slots), and how many
 * counted signatures are missing. */
struct policy_gap {
	const char **unc;
	size_t n_unc;
	int slots;
};

static struct policy_gap policy_gap(const struct checklist_section *sec, const struct engine_section_state *ss)
{
	struct policy_gap g = {xcalloc(sec->policy.n_roles + 1, sizeof(char *)), 0, sec->policy.count - ss->approvals};
	for (size_t r = 0; r < sec->policy.n_roles; r++) {
		bool held = false;
		for (size_t k = 0; k < ss->n_signoffs && !held; k++) {
			const struct engine_signoff *so = &ss->signoffs[k];
			for (size_t q = 0; so->counted && q < so->n_roles && !held; q++)
				held = strcmp(so->roles[q], sec->policy.roles[r]) == 0;
		}
		if (!held)
			g.unc[g.n_unc++] = sec->policy.roles[r];
	}
	return g;
}

/* The uncovered roles P does not hold. */
static size_t roles_left(const struct policy_gap *g, const struct engine_person *p)
{
	size_t left = 0;
	for (size_t r = 0; r < g->n_unc; r++)
		left += !person_holds(p, g->unc[r]);
	return left;
}

/* P could give the next counted signature and bring the gate closer: not
 * SIGNER, not counted already, not an executor under independence, and,
 * while roles are uncovered, holding one (every one for the last slot). */
static bool eligible(const struct checklist_section *sec, const struct engine_section_state *ss,
	const struct policy_gap *g, const struct engine_person *p, const char *signer)
{
	if ((signer && strcmp(p->name, signer) == 0) || counted_signer(ss, p->name))
		return false;
	if (sec->policy.independent && engine_is_executor(ss, p->name))
		return false;
	if (g->n_unc == 0)
		return true;
	size_t left = roles_left(g, p);
	return g->slots <= 1 ? left == 0 : left < g->n_unc;
}

/* "role dba" / "roles dba, sre" */
static void add_roles(struct strbuf *b, const struct policy_gap *g)
{
	strbuf_addf(b, "role%s ", g->n_unc > 1 ? "s" : "");
	for (size_t r = 0; r < g->n_unc; r++)
		strbuf_addf(b, "%s%s", r ? ", " : "", g->unc[r]);
}

/* ": carol, dave" in roster order, or how to make someone eligible. */
static void add_eligible(struct strbuf *b, const struct checklist_section *sec, const struct engine_section_state *ss,
	const struct policy_gap *g, const struct engine_roster *roster, const char *signer)
{
	size_t n = 0;
	for (size_t k = 0; roster && k < roster->n; k++)
		if (eligible(sec, ss, g, &roster->people[k], signer))
			strbuf_addf(b, "%s%s", n++ ? ", " : ": ", roster->people[k].name);
	if (n)
		return;
	if (g->n_unc)
		strbuf_addf(b, ": nobody registered can; grant the role with 'countersign engineer role NAME --add %s'",
			g->unc[0]);
	else
		strbuf_addstr(b, ": nobody registered can; register another engineer with 'countersign engineer add'");
}

static const char *signer_noun(enum checklist_meaning m)
{
	return m == MEANING_REVIEWED ? "a reviewer" : "an approver";
}

/* The policy's rules for a signature of the meaning the gate counts. */
static bool policy_allows(const struct engine *e, size_t s, const char *engineer, const struct engine_roster *roster,
	char **why)
{
	const struct checklist_section *sec = &e->cl->sections[s];
	const struct engine_section_state *ss = &e->sections[s];
	const struct checklist_policy *pol = &sec->policy;
	struct policy_gap g = policy_gap(sec, ss);
	struct strbuf b = {0};
	if (pol->independent && engine_is_executor(ss, engineer)) {
		const char *did = "?";
		for (size_t k = 0; k < ss->n_executors; k++)
			if (strcmp(ss->executors[k], engineer) == 0)
				did = ss->executor_acts[k];
		strbuf_addf(&b, "needs %s who did not run, attest or waive items of \"%s\" (%s %s)",
			signer_noun(pol->meaning), sec->id, engineer, did);
		if (g.n_unc) {
			strbuf_addstr(&b, ", with ");
			add_roles(&b, &g);
		}
	} else if (g.n_unc && g.slots <= 1 && roles_left(&g, roster_find(roster, engineer))) {
		strbuf_addf(&b, "needs %s with ", signer_noun(pol->meaning));
		add_roles(&b, &g);
		if (pol->independent)
			strbuf_addstr(&b, " who did not run items of this section");
	}
	if (b.len)
		add_eligible(&b, sec, ss, &g, roster, engineer);
	free(g.unc);
	if (!b.len)
		return true;
	return refuse(why, strbuf_detach(&b));
}

/* ENGINEER gave a signature of MEANING on this evidence already. */
static bool refuse_again(const struct checklist_section *sec, const char *engineer, enum checklist_meaning meaning,
	char **why)
{
	if (meaning == MEANING_APPROVED)
		return refuse(why, xasprintf("%s has already approved this evidence of \"%s\"; a second engineer "
			"must sign", engineer, sec->id));
	return refuse(why, xasprintf("%s has already signed this evidence of \"%s\" as %s", engineer, sec->id,
		checklist_meaning_name(meaning)));
}

bool engine_can_sign(const struct engine *e, size_t s, const char *engineer, enum checklist_meaning meaning,
	const struct engine_roster *roster, char **why)
{
	assert(engineer && (unsigned)meaning < CHECKLIST_MEANING_COUNT);
	if (!section_workable(e, s, why))
		return false;
	const struct checklist_section *sec = &e->cl->sections[s];
	const struct engine_section_state *ss = &e->sections[s];
	if (!sec->gate || sec->policy.count == 0)
		return refuse(why, xasprintf("section \"%s\" needs no signature", sec->id));
	if (meaning == MEANING_REJECTED)
		return true;
	for (size_t i = 0; i < sec->n_items; i++) {
		const struct engine_item_state *is = &e->items[s][i];
		if (!sec->items[i].required || item_done(is))
			continue;
		bool waiting = is->needs_attestation && !is->rechecking;
		bool approve = meaning == MEANING_APPROVED;
		return refuse(why, xasprintf("cannot %s \"%s\"%s%s yet: %s/%s is %s (every required item must pass "
			"or be waived first)", approve ? "approve" : "sign", sec->id, approve ? "" : " as ",
			approve ? "" : checklist_meaning_name(meaning), sec->id, sec->items[i].id,
			waiting ? "waiting for attestation" : engine_verdict_name(is->gate_verdict)));
	}
	const struct engine_signoff *again = NULL;
	for (size_t k = 0; k < ss->n_signoffs; k++) {
		const struct engine_signoff *so = &ss->signoffs[k];
		if (!so->stale && !so->superseded && so->meaning == meaning && strcmp(so->engineer, engineer) == 0)
			again = so;
	}
	/* One the policy no longer counts (an approver who ran an item since)
	 * hears why rather than that they signed already. */
	if (again && (again->counted || meaning != sec->policy.meaning))
		return refuse_again(sec, engineer, meaning, why);
	if (meaning == MEANING_PERFORMED && !engine_is_executor(ss, engineer))
		return refuse(why, xasprintf("%s did not run, attest or waive any item of \"%s\"; a performed signature "
			"says the signer did this work: sign as reviewed or approved", engineer, sec->id));
	if (meaning == sec->policy.meaning && !policy_allows(e, s, engineer, roster, why))
		return false;
	return again ? refuse_again(sec, engineer, meaning, why) : true;
}

bool engine_can_override(const struct engine *e, size_t s, char **why)
{
	ENGINE_ASSERT_SECTION(e, s);
	if (!run_open(e, why))
		return false;
	const struct checklist_section *sec = &e->cl->sections[s];
	if (sec->always_open)
		return refuse(why, xasprintf("section \"%s\" is always open; there is nothing to override", sec->id));
	if (e->sections[s].gate_passed)
		return refuse(why, xasprintf("section \"%s\" has already passed its gate", sec->id));
	if (e->sections[s].not_chosen)
		return refuse(why, xasprintf("section \"%s\" was not chosen", sec->id));
	return true;
}

bool engine_can_request_override(const struct engine *e, size_t s, char **why)
{
	if (!engine_can_override(e, s, why))
		return false;
	const struct engine_section_state *ss = &e->sections[s];
	assert(!ss->pending_active || ss->pending_by);
	if (ss->pending_active)
		return refuse(why, xasprintf("an override of \"%s\" asked by %s (incident %s) already waits for "
			"confirmation; confirm it, or ask again once it has lapsed", e->cl->sections[s].id, ss->pending_by,
			ss->pending_incident ? ss->pending_incident : "?"));
	return true;
}

bool engine_can_confirm_override(const struct engine *e, size_t s, const char *engineer, char **why)
{
	if (!engine_can_override(e, s, why))
		return false;
	const struct checklist_section *sec = &e->cl->sections[s];
	const struct engine_section_state *ss = &e->sections[s];
	if (!ss->pending_active)
		return refuse(why, xasprintf("no override of \"%s\" waits for confirmation%s", sec->id,
			ss->pending_seq ? " (the request has expired; ask for it again)" : ""));
	assert(ss->pending_by);  /* set with the request's seq */
	if (engineer && strcmp(engineer, ss->pending_by) == 0)
		return refuse(why, xasprintf("%s asked for this override; a second engineer must confirm it", engineer));
	return true;
}

bool engine_can_note(const struct engine *e, char **why)
{
	return run_open(e, why);
}

bool engine_can_abort(const struct engine *e, char **why)
{
	return run_open(e, why);
}

char *engine_gate_needs(const struct engine *e, size_t s, const struct engine_roster *roster)
{
	ENGINE_ASSERT_SECTION(e, s);
	const struct checklist_section *sec = &e->cl->sections[s];
	const struct engine_section_state *ss = &e->sections[s];
	const struct checklist_policy *pol = &sec->policy;
	if (!sec->gate || pol->count == 0 || ss->gate_passed || ss->required_done < ss->required_total)
		return NULL;
	struct strbuf b = {0};
	struct policy_gap g = policy_gap(sec, ss);
	int more = g.slots > 0 ? g.slots : g.n_unc ? 1 : 0;
	if (more) {
		const char *noun = pol->meaning == MEANING_REVIEWED ? "review" : "approval";
		strbuf_addf(&b, "%d more %s%s", more, noun, more > 1 ? "s" : "");
		if (g.n_unc || pol->independent)
			strbuf_addstr(&b, ", by an engineer");
		if (g.n_unc) {
			strbuf_addstr(&b, " with ");
			add_roles(&b, &g);
		}
		if (pol->independent)
			strbuf_addstr(&b, " who did not run its items");
		if (g.n_unc || pol->independent)  /* anyone else could: no list */
			add_eligible(&b, sec, ss, &g, roster, NULL);
	}
	if (pol->performed && !ss->policy_met) {
		bool performed = false;
		for (size_t k = 0; k < ss->n_signoffs; k++) {
			const struct engine_signoff *so = &ss->signoffs[k];
			performed |= !so->stale && !so->superseded && so->meaning == MEANING_PERFORMED &&
				engine_is_executor(ss, so->engineer);
		}
		if (!performed) {
			strbuf_addf(&b, "%sa performed signature by one who ran its items (", b.len ? "; " : "");
			for (size_t k = 0; k < ss->n_executors; k++)
				strbuf_addf(&b, "%s%s", k ? ", " : "", ss->executors[k]);
			strbuf_addstr(&b, ss->n_executors ? ")" : "nobody has)");
		}
	}
	/* Only a new judgment replaces a rejection: a performed signature stands
	 * beside it, so "a new signature" would send its author the wrong way. */
	for (size_t k = 0; k < ss->n_signoffs; k++) {
		const struct engine_signoff *so = &ss->signoffs[k];
		if (!so->stale && !so->superseded && so->meaning == MEANING_REJECTED)
			strbuf_addf(&b, "%s%s's rejection withdrawn (%s signs again as reviewed or approved)",
				b.len ? "; " : "", so->engineer, so->engineer);
	}
	free(g.unc);
	return b.len ? strbuf_detach(&b) : NULL;
}
