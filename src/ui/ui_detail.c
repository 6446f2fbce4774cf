/* What the run screen says about the selection: who gave an item its
 * verdict and when, its re-checks after sign-off, a section's signatures
 * (stale, superseded), a reopened gate, a requested override, notes, and
 * how the run ended. The same facts `countersign status` prints. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/clock.h"
#include "countersign/sanitize.h"
#include "countersign/util.h"
#include "ui.h"
#include "ui_runscreen.h"

static char *clean(struct strbuf *sb, unsigned flags)
{
	char *out = sanitize_text(sb->data ? sb->data : "", sb->len, flags);
	strbuf_release(sb);
	return out;
}

/* Notes whose target is TARGET (or, with PREFIX, starts with "TARGET/"). */
static void add_notes(struct ui *ui, struct strbuf *sb, const char *target, bool prefix)
{
	size_t n;
	const struct engine_note *notes = engine_notes(ui->s.eng, &n);
	size_t len = strlen(target);
	for (size_t i = 0; i < n; i++) {
		const struct engine_note *no = &notes[i];
		bool match = strcmp(no->target, target) == 0 ||
			(prefix && strncmp(no->target, target, len) == 0 && no->target[len] == '/');
		if (!match)
			continue;
		char when[64];
		clock_format_utc(no->time_us, when, sizeof(when));
		strbuf_addf(sb, "note by %s at %s%s%s: %s\n", no->actor, when, prefix && no->target[0] ? " on " : "",
			prefix ? no->target : "", no->text);
	}
}

/* An attestation decided the verdict (not a check): always for a manual
 * item; for another one, when its check asked for one and it was given. */
static bool attested(const struct checklist_item *it, const struct engine_item_state *is)
{
	if (it->kind == ITEM_MANUAL)
		return true;
	if (is->needs_attestation || !is->finished_payload || is->verdict == VERDICT_RUNNING)
		return false;
	cJSON *p = cJSON_Parse(is->finished_payload);
	bool asked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "needs_attestation"));
	cJSON_Delete(p);
	return asked;
}

/* The first line: the verdict, who gave it, when (full time), and why. */
static void verdict_line(struct ui *ui, struct strbuf *sb, const struct checklist_item *it, const struct engine_item_state *is)
{
	char when[64];
	clock_format_utc(is->verdict_us, when, sizeof(when));
	const char *name = is->needs_attestation ? "waits for an attestation" : engine_verdict_name(is->verdict);
	const char *mark = ui_verdict_mark(ui, is->verdict);
	if (is->verdict == VERDICT_RUNNING)
		strbuf_addf(sb, "%s started by %s at %s", mark, is->actor, when);
	else if (is->verdict == VERDICT_WAIVED)
		strbuf_addf(sb, "%s waived by %s at %s", mark, is->actor, when);
	else if (it->kind == ITEM_WAIT && is->verdict == VERDICT_PASS)
		strbuf_addf(sb, "%s %s: waited from %s (started by %s)", mark, name, when, is->actor);
	else if (it->kind == ITEM_WAIT)
		strbuf_addf(sb, "%s %s at %s", mark, name, when);
	else
		strbuf_addf(sb, "%s %s: %s by %s at %s", mark, name, strcmp(is->actor, SESSION_SYSTEM_ACTOR) == 0 ? "recorded"
			: attested(it, is) ? "attested" : "run", is->actor, when);
	if (is->attempts > 1 && it->kind != ITEM_MANUAL && it->kind != ITEM_WAIT)
		strbuf_addf(sb, " (attempt %d)", is->attempts);
	if (is->message && *is->message && is->verdict != VERDICT_RUNNING)
		strbuf_addf(sb, ": %s", is->message);
	if (is->verdict == VERDICT_WAIVED)
		strbuf_addf(sb, " (its check: %s)", engine_verdict_name(is->checked));
	strbuf_addstr(sb, "\n");
}

char *ui_item_detail(struct ui *ui, size_t sec, size_t item)
{
	const struct checklist_section *s = &ui->s.cl->sections[sec];
	const struct checklist_item *it = &s->items[item];
	const struct engine_item_state *is = engine_item(ui->s.eng, sec, item);
	struct strbuf sb = {0};
	if (is->verdict_seq && is->actor)
		verdict_line(ui, &sb, it, is);
	if (is->value)
		strbuf_addf(&sb, "value: %s\n", is->value);
	if (is->rechecks) {
		char when[64];
		clock_format_utc(is->recheck_us, when, sizeof(when));
		strbuf_addf(&sb, "re-checked after sign-off by %s at %s (%d re-check%s, same verdict%s)\n",
			is->recheck_actor ? is->recheck_actor : "?", when, is->rechecks, is->rechecks == 1 ? "" : "s",
			engine_section(ui->s.eng, sec)->gate_passed ? ": the gate stays passed"
			: "; the gate is not passed now");
	}
	const struct engine_section_state *ss = engine_section(ui->s.eng, sec);
	if (ss->reopened && !ss->gate_passed && is->verdict_us == ss->reopened_us && is->verdict_seq == is->gate_seq)
		strbuf_addstr(&sb, "this re-check after sign-off failed: it reopened the gate, the signatures are stale\n");
	if (is->rechecking)
		strbuf_addstr(&sb, "a re-check after sign-off: the gate stays passed unless it fails\n");
	char *wait = session_wait_text(&ui->s, sec, item, false);
	if (wait)
		strbuf_addf(&sb, "%s · c cancels it\n", wait);
	free(wait);
	char *where = NULL;
	enum session_liveness live = session_check_liveness(&ui->s, sec, item, &where);
	if (live == SESSION_LIVE_GONE)
		strbuf_addf(&sb, "interrupted: %s is gone; c records it so\n", where);
	else if (live == SESSION_LIVE_ELSEWHERE || live == SESSION_LIVE_UNKNOWN)
		strbuf_addf(&sb, "running: started by %s, which cannot be seen from here; if it is stuck, c records "
			"it as interrupted (PIN and reason)\n", where);
	free(where);
	char *target = xasprintf("%s/%s", s->id, it->id);
	add_notes(ui, &sb, target, false);
	free(target);
	return clean(&sb, SANITIZE_MULTILINE);
}

size_t ui_rollback_target(const struct ui *ui, size_t sec)
{
	const struct checklist *cl = ui->s.cl;
	const char *id = cl->sections[sec].rollback_for;
	for (size_t k = 0; id && k < cl->n_sections; k++)
		if (strcmp(cl->sections[k].id, id) == 0)
			return k;
	return (size_t)-1;
}

bool ui_rollback_not_chosen(const struct ui *ui, size_t sec)
{
	size_t target = ui_rollback_target(ui, sec);
	return target != (size_t)-1 && engine_section(ui->s.eng, target)->not_chosen;
}

/* The gate's story: passed, reopened, an earlier gate reopened, an
 * override asked for or forced. */
static void gate_lines(struct ui *ui, struct strbuf *sb, const struct checklist_section *sec, const struct engine_section_state *ss)
{
	char when[64];
	size_t target = ui_rollback_target(ui, ui->sec);
	if (target != (size_t)-1) {
		const struct engine_section_state *ts = engine_section(ui->s.eng, target);
		strbuf_addf(sb, "rolls back %s%s: %s\n", ui->s.cl->sections[target].id,
			ts->not_chosen ? ", which was NOT chosen" : ts->chosen ? ", the alternative chosen" : "",
			ui->s.cl->sections[target].title);
	}
	if (ss->not_chosen)
		strbuf_addf(sb, "not chosen: another alternative of \"%s\" was chosen\n", sec->choice);
	if (ss->forced)
		strbuf_addf(sb, "FORCED by %s: %s (incident %s)\n", ss->override_by ? ss->override_by : "?",
			ss->override_reason ? ss->override_reason : "", ss->override_incident ? ss->override_incident : "");
	if (ss->pending_active) {
		char until[64];
		clock_format_utc(ss->pending_us, when, sizeof(when));
		clock_format_utc(ss->pending_expires_us, until, sizeof(until));
		strbuf_addf(sb, "OVERRIDE ASKED by %s at %s: %s (incident %s); another engineer confirms it with O "
			"until %s\n", ss->pending_by ? ss->pending_by : "?", when, ss->pending_reason ? ss->pending_reason : "",
			ss->pending_incident ? ss->pending_incident : "", until);
	}
	if (ss->reopened) {
		clock_format_utc(ss->reopened_us, when, sizeof(when));
		strbuf_addf(sb, "gate reopened at %s: a re-check after sign-off failed%s\n", when,
			ss->gate_passed ? "; it has passed again" : "; sign the new evidence");
	}
	if (ss->reopened_before != (size_t)-1) {
		const struct engine_section_state *rs = engine_section(ui->s.eng, ss->reopened_before);
		clock_format_utc(rs->reopened_us, when, sizeof(when));
		strbuf_addf(sb, "an earlier gate reopened at %s after this section began: %s (this section stays "
			"open)\n", when, ui->s.cl->sections[ss->reopened_before].id);
	}
	if (ss->gate_passed && !ss->forced && ss->passed_us) {
		clock_format_utc(ss->passed_us, when, sizeof(when));
		strbuf_addf(sb, "gate passed at %s\n", when);
	}
}

char *ui_section_info(struct ui *ui)
{
	const struct checklist_section *sec = &ui->s.cl->sections[ui->sec];
	const struct engine_section_state *ss = engine_section(ui->s.eng, ui->sec);
	struct strbuf sb = {0};
	char *end = engine_status(ui->s.eng) == RUN_ABORTED ? ui_run_end_text(ui) : NULL;
	if (end)
		strbuf_addf(&sb, "the run was %s\n", end);
	free(end);
	gate_lines(ui, &sb, sec, ss);
	for (size_t k = 0; k < ss->n_signoffs; k++) {
		const struct engine_signoff *so = &ss->signoffs[k];
		char when[64];
		clock_format_utc(so->time_us, when, sizeof(when));
		/* only a current rejection shouts: a stale or superseded one no longer stands */
		bool current = !so->stale && !so->superseded;
		bool reject = so->meaning == MEANING_REJECTED;
		strbuf_addf(&sb, "%s by %s", reject && current ? "REJECTED" : checklist_meaning_name(so->meaning),
			so->engineer);
		for (size_t r = 0; r < so->n_roles; r++)
			strbuf_addf(&sb, "%s%s%s", r ? ", " : " (", so->roles[r], r + 1 == so->n_roles ? ")" : "");
		strbuf_addf(&sb, " at %s%s%s%s\n", when, so->stale ? " [stale]" : so->superseded ? " [superseded]" : "",
			so->comment ? ": " : "", so->comment ? so->comment : "");
	}
	if (!ss->n_signoffs && sec->gate && sec->signoffs)
		strbuf_addstr(&sb, "no signatures yet\n");
	add_notes(ui, &sb, sec->id, true);
	if (ui->sec == 0)
		add_notes(ui, &sb, "", false);
	if (sec->description) {
		char *shown = vars_expand_text(&ui->vars, sec->description);  /* ${VERSION} as its value */
		strbuf_addf(&sb, "%s%s\n", sb.len ? "\n" : "", shown);
		free(shown);
	}
	return clean(&sb, SANITIZE_MULTILINE);
}

char *ui_run_end_text(const struct ui *ui)
{
	enum engine_run_status st = engine_status(ui->s.eng);
	if (st == RUN_OPEN)
		return NULL;
	char when[64];
	clock_format_utc(engine_ended_us(ui->s.eng), when, sizeof(when));
	if (st == RUN_COMPLETED)
		return xasprintf("completed at %s", when);
	const char *who = engine_abort_actor(ui->s.eng), *why = engine_abort_reason(ui->s.eng);
	struct strbuf sb = {0};
	strbuf_addf(&sb, "aborted by %s at %s: %s", who ? who : "?", when, why ? why : "");
	return clean(&sb, 0);
}
