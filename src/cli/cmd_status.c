/* countersign status RUN [--json] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/opts.h"
#include "cli/cli_session.h"
#include "cli/cli_text.h"
#include "countersign/clock.h"
#include "countersign/duration.h"
#include "countersign/report.h"
#include "countersign/util.h"

static void item_duration(const struct engine_item_state *is, int64_t now, char *buf, size_t size)
{
	buf[0] = '\0';
	if (!is->started_us)
		return;
	int64_t end = is->finished_us ? is->finished_us : now;
	int64_t ms = (end - is->started_us) / 1000;
	if (ms < 1000)
		snprintf(buf, size, "%lldms", (long long)ms);
	else
		duration_format(ms / 1000 * 1000, buf, size);
}

static cJSON *signoff_json(const struct engine_signoff *so)
{
	cJSON *j = cJSON_CreateObject();
	char when[64];
	clock_format_utc(so->time_us, when, sizeof(when));
	cJSON_AddStringToObject(j, "engineer", so->engineer);
	cJSON_AddStringToObject(j, "meaning", checklist_meaning_name(so->meaning));
	cJSON *roles = cJSON_AddArrayToObject(j, "roles");
	for (size_t k = 0; k < so->n_roles; k++)
		cJSON_AddItemToArray(roles, cJSON_CreateString(so->roles[k]));
	cJSON_AddBoolToObject(j, "counted", so->counted);
	if (so->comment)
		cJSON_AddStringToObject(j, "comment", so->comment);
	cJSON_AddStringToObject(j, "time", when);
	cJSON_AddBoolToObject(j, "stale", so->stale);
	cJSON_AddBoolToObject(j, "superseded", so->superseded);
	cJSON_AddStringToObject(j, "digest", so->digest);
	cJSON_AddStringToObject(j, "os_user", so->os_user ? so->os_user : "");
	cJSON_AddStringToObject(j, "host", so->host ? so->host : "");
	cJSON_AddStringToObject(j, "tty", so->tty ? so->tty : "");
	return j;
}

/* The registered engineers and their roles, to name who could sign what a
 * gate still needs. */
static const struct engine_roster *roster_of(struct session *s)
{
	return session_roster(s);
}

static const char *liveness_name(enum session_liveness l)
{
	switch (l) {
	case SESSION_LIVE_RUNNING: return "running";
	case SESSION_LIVE_GONE: return "gone";
	case SESSION_LIVE_ELSEWHERE: return "other-host";
	case SESSION_LIVE_UNKNOWN: return "unknown";
	case SESSION_NOT_RUNNING: break;
	}
	return "";
}

/* A running check whose process is not seen alive here: say so, and how
 * to get out (status only reads; it records nothing). */
static void print_liveness(const struct session *s, size_t sec, size_t item)
{
	char *where = NULL;
	enum session_liveness l = session_check_liveness(s, sec, item, &where);
	if (l == SESSION_LIVE_GONE)
		printf("                interrupted: %s is gone; the next command that records marks it\n",
			cli_safe(where));
	else if (l == SESSION_LIVE_ELSEWHERE || l == SESSION_LIVE_UNKNOWN)
		printf("                started by %s, which cannot be seen from here; if it is stuck: "
			"countersign check %s %s/%s --recover --engineer NAME --reason TEXT\n", cli_safe(where),
			cli_safe(s->run.id), cli_safe(s->cl->sections[sec].id), cli_safe(s->cl->sections[sec].items[item].id));
	free(where);
}

/* Adds under KEY of J who forced, or asked to force, a section's gate:
 * BY, REASON and INCIDENT, each "" when unset. Returns the new object,
 * which J owns. */
static cJSON *add_override(cJSON *j, const char *key, const char *by, const char *reason,
	const char *incident)
{
	cJSON *o = cJSON_AddObjectToObject(j, key);
	cJSON_AddStringToObject(o, "by", by ? by : "");
	cJSON_AddStringToObject(o, "reason", reason ? reason : "");
	cJSON_AddStringToObject(o, "incident", incident ? incident : "");
	return o;
}

/* The section's sign-off policy: its fields and the same in words. */
static void add_policy(cJSON *j, const struct checklist_section *sec)
{
	const struct checklist_policy *p = &sec->policy;
	cJSON *o = cJSON_AddObjectToObject(j, "policy");
	cJSON_AddNumberToObject(o, "count", p->count);
	cJSON_AddStringToObject(o, "meaning", checklist_meaning_name(p->meaning));
	cJSON *roles = cJSON_AddArrayToObject(o, "roles");
	for (size_t k = 0; k < p->n_roles; k++)
		cJSON_AddItemToArray(roles, cJSON_CreateString(p->roles[k]));
	cJSON_AddBoolToObject(o, "independent", p->independent);
	cJSON_AddBoolToObject(o, "performed", p->performed);
	char *text = report_policy_text(p);
	cJSON_AddStringToObject(o, "text", text);
	free(text);
	if (sec->signoff_within_ms)
		cJSON_AddNumberToObject(j, "signoff_within_ms", (double)sec->signoff_within_ms);
}

static cJSON *section_json(struct session *s, size_t i, int64_t now)
{
	const struct checklist_section *sec = &s->cl->sections[i];
	const struct engine_section_state *ss = engine_section(s->eng, i);
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", sec->id);
	cJSON_AddStringToObject(j, "title", sec->title);
	cJSON_AddStringToObject(j, "phase", sec->phase ? sec->phase : "");
	cJSON_AddStringToObject(j, "state", engine_section_mark_name(ss->mark));
	cJSON_AddBoolToObject(j, "locked", ss->locked);
	if (ss->locked && ss->blocked_by != (size_t)-1)
		cJSON_AddStringToObject(j, "blocked_by", s->cl->sections[ss->blocked_by].id);
	cJSON_AddBoolToObject(j, "gate", sec->gate);
	cJSON_AddBoolToObject(j, "gate_passed", ss->gate_passed);
	cJSON_AddBoolToObject(j, "forced", ss->forced);
	cJSON_AddBoolToObject(j, "always_open", sec->always_open);
	if (sec->choice) {
		cJSON_AddStringToObject(j, "choice", sec->choice);
		cJSON_AddBoolToObject(j, "chosen", ss->chosen);
	}
	cJSON_AddNumberToObject(j, "items_done", ss->required_done);
	cJSON_AddNumberToObject(j, "items_required", ss->required_total);
	cJSON_AddNumberToObject(j, "signoffs", ss->approvals);
	cJSON_AddNumberToObject(j, "signoffs_required", sec->signoffs);
	cJSON_AddBoolToObject(j, "rejected", ss->rejected);
	cJSON_AddBoolToObject(j, "reopened", ss->reopened);
	if (sec->gate && !sec->always_open) {
		add_policy(j, sec);
		cJSON_AddBoolToObject(j, "policy_met", ss->policy_met);
		char *needs = engine_gate_needs(s->eng, i, roster_of(s));
		if (needs)
			cJSON_AddStringToObject(j, "needs", needs);
		else
			cJSON_AddNullToObject(j, "needs");
		free(needs);
		if (ss->waiting_us > 0)
			cJSON_AddNumberToObject(j, "waiting_ms", (double)(ss->waiting_us / 1000));
	}
	if (ss->pending_active) {
		cJSON *po = add_override(j, "override_asked", ss->pending_by, ss->pending_reason,
			ss->pending_incident);
		cJSON_AddNumberToObject(po, "expires_us", (double)ss->pending_expires_us);
	}
	if (ss->reopened_before != (size_t)-1)
		cJSON_AddStringToObject(j, "reopened_before", s->cl->sections[ss->reopened_before].id);
	cJSON_AddStringToObject(j, "digest", ss->digest);
	if (ss->forced) {
		add_override(j, "override", ss->override_by, ss->override_reason, ss->override_incident);
	}
	cJSON *items = cJSON_AddArrayToObject(j, "items");
	for (size_t k = 0; k < sec->n_items; k++) {
		const struct checklist_item *it = &sec->items[k];
		const struct engine_item_state *is = engine_item(s->eng, i, k);
		cJSON *ij = cJSON_CreateObject();
		char dur[32];
		item_duration(is, now, dur, sizeof(dur));
		cJSON_AddStringToObject(ij, "id", it->id);
		cJSON_AddStringToObject(ij, "title", it->title);
		cJSON_AddStringToObject(ij, "kind", checklist_item_kind_name(it->kind));
		cJSON_AddStringToObject(ij, "verdict", engine_verdict_name(is->verdict));
		cJSON_AddBoolToObject(ij, "required", it->required);
		cJSON_AddNumberToObject(ij, "attempts", is->attempts);
		cJSON_AddStringToObject(ij, "duration", dur);
		if (is->message)
			cJSON_AddStringToObject(ij, "message", is->message);
		if (is->needs_attestation)
			cJSON_AddBoolToObject(ij, "needs_attestation", true);
		if (is->overdue) {
			cJSON_AddBoolToObject(ij, "overdue", true);
			cJSON_AddNumberToObject(ij, "due_us", (double)is->due_us);
		}
		if (is->verdict_seq && is->actor) {
			char when[64];
			clock_format_utc(is->verdict_us, when, sizeof(when));
			cJSON_AddStringToObject(ij, "by", is->actor);
			cJSON_AddStringToObject(ij, "time", when);
		}
		if (is->value)
			cJSON_AddStringToObject(ij, "value", is->value);
		cJSON_AddNumberToObject(ij, "rechecks", is->rechecks);
		if (is->rechecks) {
			char when[64];
			clock_format_utc(is->recheck_us, when, sizeof(when));
			cJSON_AddStringToObject(ij, "rechecked_by", is->recheck_actor ? is->recheck_actor : "");
			cJSON_AddStringToObject(ij, "rechecked_at", when);
		}
		if (is->rechecking)
			cJSON_AddBoolToObject(ij, "rechecking", true);
		if (it->kind == ITEM_WAIT && is->wait_until_us)
			cJSON_AddNumberToObject(ij, "wait_until_us", (double)is->wait_until_us);
		enum session_liveness live = session_check_liveness(s, i, k, NULL);
		if (live != SESSION_NOT_RUNNING)
			cJSON_AddStringToObject(ij, "process", liveness_name(live));
		cJSON_AddItemToArray(items, ij);
	}
	cJSON *sos = cJSON_AddArrayToObject(j, "signatures");
	for (size_t k = 0; k < ss->n_signoffs; k++)
		cJSON_AddItemToArray(sos, signoff_json(&ss->signoffs[k]));
	return j;
}

static void print_json(struct session *s, int64_t now)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "run", s->run.id);
	cJSON_AddStringToObject(j, "title", s->run.title);
	cJSON_AddStringToObject(j, "checklist", s->cl->id);
	cJSON_AddStringToObject(j, "checklist_title", s->cl->title);
	cJSON_AddStringToObject(j, "checklist_sha256", s->run.checklist_sha);
	cJSON_AddStringToObject(j, "state", engine_run_status_name(engine_status(s->eng)));
	if (engine_abort_reason(s->eng))
		cJSON_AddStringToObject(j, "abort_reason", engine_abort_reason(s->eng));
	if (s->cl->window_ms) {
		cJSON *w = cJSON_AddObjectToObject(j, "window");
		cJSON_AddNumberToObject(w, "duration_ms", (double)s->cl->window_ms);
		if (s->cl->window_starts_at)
			cJSON_AddStringToObject(w, "starts_at", s->cl->window_starts_at);
		int64_t start = engine_window_started_us(s->eng);
		if (start) {
			char when[64];
			clock_format_utc(start, when, sizeof(when));
			cJSON_AddStringToObject(w, "started", when);
			cJSON_AddNumberToObject(w, "started_us", (double)start);
		}
	}
	if (engine_abort_actor(s->eng))
		cJSON_AddStringToObject(j, "aborted_by", engine_abort_actor(s->eng));
	char when[64];
	clock_format_utc(s->run.started_us, when, sizeof(when));
	cJSON_AddStringToObject(j, "started", when);
	if (engine_ended_us(s->eng)) {
		clock_format_utc(engine_ended_us(s->eng), when, sizeof(when));
		cJSON_AddStringToObject(j, "ended", when);
	}
	cJSON_AddItemToObject(j, "variables", cJSON_Parse(engine_variables_json(s->eng)));
	size_t cur = engine_current_section(s->eng);
	cJSON_AddStringToObject(j, "current_section", cur != (size_t)-1 ? s->cl->sections[cur].id : "");
	cJSON *secs = cJSON_AddArrayToObject(j, "sections");
	for (size_t i = 0; i < s->cl->n_sections; i++)
		cJSON_AddItemToArray(secs, section_json(s, i, now));
	char *text = cJSON_Print(j);
	cli_put_json(text);
	free(text);
	cJSON_Delete(j);
}

/* The deploy window: since when it runs and what is left of it. */
static void print_window(const struct session *s, int64_t now)
{
	if (!s->cl->window_ms)
		return;
	char len[32], when[64], left[32];
	duration_format(s->cl->window_ms, len, sizeof(len));
	int64_t start = engine_window_started_us(s->eng);
	if (!start) {
		printf("window %s: starts when section \"%s\" begins\n", len, cli_safe(s->cl->window_starts_at));
		return;
	}
	clock_format_utc(start, when, sizeof(when));
	int64_t end = engine_status(s->eng) == RUN_OPEN ? now : engine_ended_us(s->eng);
	int64_t rest_ms = (start + s->cl->window_ms * 1000 - end) / 1000;
	duration_format((rest_ms < 0 ? -rest_ms : rest_ms) / 1000 * 1000, left, sizeof(left));
	printf("window %s: started %s%s%s%s; %s%s%s\n", len, when, s->cl->window_starts_at ? " (section \"" : "",
		s->cl->window_starts_at ? cli_safe(s->cl->window_starts_at) : "", s->cl->window_starts_at ? "\")" : "",
		rest_ms < 0 ? "over by " : "", rest_ms < 1000 && rest_ms >= 0 ? "0s" : left, rest_ms < 0 ? "" : " left");
}

static void print_variables(const struct session *s)
{
	cJSON *vars = cJSON_Parse(engine_variables_json(s->eng));
	const cJSON *v;
	bool any = false;
	cJSON_ArrayForEach(v, vars) {
		printf("%s%s=%s", any ? " " : "variables: ", cli_safe(v->string),
			cJSON_IsString(v) ? cli_safe(v->valuestring) : "?");
		any = true;
	}
	if (any)
		putchar('\n');
	cJSON_Delete(vars);
}


/* Who gave the item its verdict and when, and its re-checks after sign-off. */
static void print_who(const struct engine_item_state *is, bool gate_passed)
{
	if (!is->verdict_seq || !is->actor)
		return;
	char when[64];
	int64_t t = is->verdict_us;  /* when the verdict event was recorded: a waiver is dated by itself */
	clock_format_utc(t, when, sizeof(when));
	const char *what = is->verdict == VERDICT_RUNNING ? "started" : is->verdict == VERDICT_WAIVED ? "waived"
		: strcmp(is->actor, "system") == 0 ? "recorded" : "by";
	printf("                %s %s at %s\n", what, cli_safe(is->actor), when);
	if (is->value)
		printf("                value: %s\n", cli_safe(is->value));
	if (is->recheck_void && !is->rechecking)
		printf("                %s\n", cli_safe(is->recheck_void));
	if (is->rechecks) {
		clock_format_utc(is->recheck_us, when, sizeof(when));
		/* The verdict was kept, but under an independent policy a signer who
		 * re-checked stopped counting: then the gate did not stay passed. */
		printf("                re-checked after sign-off by %s at %s (%d re-check%s, same verdict%s)\n",
			cli_safe(is->recheck_actor), when, is->rechecks, is->rechecks == 1 ? "" : "s",
			gate_passed ? ": the gate stays passed" : "; the gate is not passed now");
	}
}

/* The policy when it says more than the count, what the gate still needs,
 * and for how long it has waited for its signatures. */
static void print_gate_policy(struct session *s, size_t i)
{
	const struct checklist_section *sec = &s->cl->sections[i];
	const struct engine_section_state *ss = engine_section(s->eng, i);
	const struct checklist_policy *p = &sec->policy;
	if (!sec->gate || sec->always_open)
		return;
	if (p->n_roles || p->independent || p->performed || p->meaning != MEANING_APPROVED) {
		char *text = report_policy_text(p);
		printf("      policy: %s\n", cli_safe(text));
		free(text);
	}
	char *needs = engine_gate_needs(s->eng, i, roster_of(s));
	if (needs)
		printf("      the gate still needs %s\n", cli_safe(needs));
	free(needs);
	if (ss->waiting_us > 0 && sec->signoff_within_ms > 0) {
		char waited[32], within[32];
		duration_format(ss->waiting_us / 1000000 * 1000, waited, sizeof(waited));
		duration_format(sec->signoff_within_ms, within, sizeof(within));
		printf("      waiting %s for sign-off · within %s%s\n", waited, within,
			ss->waiting_us / 1000 >= sec->signoff_within_ms ? " · OVERDUE" : "");
	}
}

/* One signature: its meaning, who with which roles, when, and whether it counts. */
static void print_signoff(const struct checklist_section *sec, const struct engine_signoff *so)
{
	char when[64];
	clock_format_utc(so->time_us, when, sizeof(when));
	char *roles = report_roles_text((const char *const *)so->roles, so->n_roles);
	const char *mark = so->stale ? "  [stale]" : so->superseded ? "  [superseded]" : so->counted ? "  [counts]"
		: so->performs ? "  [counts as performed]"
		: so->meaning == sec->policy.meaning ? "  [does not count under the policy]" : "";
	printf("      signed   %-9s by %-12s %s%s%s%s%s%s%s\n",
		so->meaning == MEANING_REJECTED ? "REJECTED" : checklist_meaning_name(so->meaning), cli_safe(so->engineer),
		when, roles[0] ? " (roles " : "", cli_safe(roles), roles[0] ? ")" : "", mark, so->comment ? "  " : "",
		cli_safe(so->comment));
	free(roles);
}

static void print_section(struct session *s, size_t i, int64_t now)
{
	const struct checklist_section *sec = &s->cl->sections[i];
	const struct engine_section_state *ss = engine_section(s->eng, i);
	printf("  [%s] %s  %s", engine_section_mark_name(ss->mark), cli_safe(sec->id), cli_safe(sec->title));
	if (sec->gate && !sec->always_open)
		printf("   items %d/%d · sign-offs %d/%d", ss->required_done, ss->required_total,
			ss->approvals, sec->signoffs);
	else
		printf("   %s", sec->always_open ? "always open, no gate" : "no gate");
	putchar('\n');
	if (ss->locked && ss->blocked_by != (size_t)-1)
		printf("      locked until \"%s\" passes its gate\n", cli_safe(s->cl->sections[ss->blocked_by].id));
	if (ss->forced)
		printf("      FORCED by %s: %s (incident %s)\n", ss->override_by ? cli_safe(ss->override_by) : "?",
			cli_safe(ss->override_reason), cli_safe(ss->override_incident));
	if (ss->rejected)
		puts("      REJECTED: a current rejection stands");
	if (ss->pending_active) {
		char until[64];
		clock_format_utc(ss->pending_expires_us, until, sizeof(until));
		printf("      OVERRIDE ASKED by %s: %s (incident %s); a second engineer confirms it until %s:\n"
			"        countersign override %s %s --confirm --engineer NAME\n", cli_safe(ss->pending_by),
			cli_safe(ss->pending_reason), cli_safe(ss->pending_incident), until, cli_safe(s->run.id),
			cli_safe(sec->id));
	}
	if (ss->reopened && !ss->gate_passed) {
		char when[64];
		clock_format_utc(ss->reopened_us, when, sizeof(when));
		printf("      gate reopened at %s: a re-check after sign-off failed; sign the new evidence\n", when);
	}
	if (ss->reopened_before != (size_t)-1)
		printf("      an earlier gate reopened after this section began: \"%s\" (this section stays open)\n",
			cli_safe(s->cl->sections[ss->reopened_before].id));
	print_gate_policy(s, i);
	for (size_t k = 0; k < sec->n_items; k++) {
		const struct checklist_item *it = &sec->items[k];
		const struct engine_item_state *is = engine_item(s->eng, i, k);
		char dur[32];
		item_duration(is, now, dur, sizeof(dur));
		printf("      %-9s %-10s %-24s %s", engine_verdict_name(is->verdict), checklist_item_kind_name(it->kind), cli_safe(it->id),
			cli_safe(it->title));
		if (dur[0])
			printf("  (%s)", dur);
		if (!it->required)
			printf("  [optional]");
		if (is->needs_attestation)
			printf("  [needs attestation]");
		if (is->overdue)
			printf("  [OVERDUE]");
		char *wait = session_wait_text(s, i, k, true);
		if (wait)
			printf("  %s", wait);
		free(wait);
		putchar('\n');
		print_who(is, ss->gate_passed);
		if (is->message && is->verdict != VERDICT_PASS)
			printf("                %s\n", cli_safe(is->message));
		print_liveness(s, i, k);
	}
	for (size_t k = 0; k < ss->n_signoffs; k++)
		print_signoff(sec, &ss->signoffs[k]);
}

int cmd_status(const struct cli_global *g, int argc, char **argv)
{
	struct opts o;
	if (!opts_parse("status", "countersign status RUN [--json]", argc, argv, "json", 1, &o))
		return CS_INVALID;
	if (o.n_pos != 1) {
		cli_error("status", "which run? usage: countersign status RUN [--json]");
		return CS_INVALID;
	}
	struct session s;
	int rc = cli_session_open_read(&s, g, "status");
	if (rc == CS_OK)
		rc = session_load_run(&s, o.pos[0]);
	if (rc != CS_OK) {
		session_close(&s);
		return rc;
	}
	int64_t now = clock_wall_us();
	if (o.json) {
		print_json(&s, now);
	} else {
		char when[64];
		clock_format_utc(s.run.started_us, when, sizeof(when));
		printf("run %s: %s [%s]\n", cli_safe(s.run.id), cli_safe(s.run.title), engine_run_status_name(engine_status(s.eng)));
		printf("checklist %s (%s), sha256 %.16s..., started %s\n", cli_safe(s.cl->id), cli_safe(s.cl->title),
			cli_safe(s.run.checklist_sha), when);
		if (engine_status(s.eng) == RUN_ABORTED) {
			char ended[64];
			clock_format_utc(engine_ended_us(s.eng), ended, sizeof(ended));
			printf("aborted by %s at %s: %s\n", cli_safe(engine_abort_actor(s.eng) ? engine_abort_actor(s.eng) : "?"),
				ended, cli_safe(engine_abort_reason(s.eng) ? engine_abort_reason(s.eng) : ""));
		}
		print_window(&s, now);
		print_variables(&s);
		const char *phase = NULL;
		for (size_t i = 0; i < s.cl->n_sections; i++) {
			const char *p = s.cl->sections[i].phase ? s.cl->sections[i].phase : "(no phase)";
			if (!phase || strcmp(p, phase) != 0)
				printf("\n%s\n", cli_safe(p));
			phase = p;
			print_section(&s, i, now);
		}
	}
	session_close(&s);
	return CS_OK;
}
