/* The report in GitHub-flavoured Markdown, for pasting into a change
 * ticket: a summary, one table per section, the sign-offs with who and
 * where, the exceptions (FORCED, stale, rejections, waivers, wrong PINs)
 * marked in capitals, and the audit anchor with how to check it. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/util.h"
#include "report/report_internal.h"

/* Text of the record escaped for Markdown: characters that would start
 * formatting, a link, HTML or a table cell are backslash-escaped; in a
 * table cell (CELL) a newline is a <br>, elsewhere a space. */
static void add_text(struct strbuf *sb, const char *s, bool cell)
{
	for (const char *p = s; *p; p++) {
		char ch = *p;
		if (ch == '\n') {
			strbuf_addstr(sb, cell ? "<br>" : " ");
			continue;
		}
		if (ch == '\t') {
			strbuf_addstr(sb, " ");
			continue;
		}
		/* an underscore inside a word never starts emphasis */
		bool inner_underscore = ch == '_' && p > s && isalnum((unsigned char)p[-1]) &&
			isalnum((unsigned char)p[1]);
		if (strchr("\\|`*<>[]~#", ch) || (ch == '_' && !inner_underscore))
			strbuf_add(sb, "\\", 1);
		strbuf_add(sb, &ch, 1);
	}
}

/* A cell: " TEXT |", "-" for empty text. */
static void cell(struct strbuf *sb, const char *s)
{
	strbuf_addstr(sb, " ");
	if (s && *s)
		add_text(sb, s, true);
	else
		strbuf_addstr(sb, "-");
	strbuf_addstr(sb, " |");
}

/* A cell of text written by the program itself (no escaping). */
static void cell_raw(struct strbuf *sb, const char *s)
{
	strbuf_addf(sb, " %s |", s && *s ? s : "-");
}

static void cell_time(struct strbuf *sb, int64_t t_us)
{
	char t[REPORT_TIME_SIZE];
	report_time_text(t_us, t, sizeof(t));
	cell_raw(sb, t);
}

static void header_row(struct strbuf *sb, const char *const *names, size_t n)
{
	strbuf_addstr(sb, "|");
	for (size_t k = 0; k < n; k++)
		strbuf_addf(sb, " %s |", names[k]);
	strbuf_addstr(sb, "\n|");
	for (size_t k = 0; k < n; k++)
		strbuf_addstr(sb, " --- |");
	strbuf_addstr(sb, "\n");
}
#define HEADER(sb, ...) do { \
		static const char *const names_[] = {__VA_ARGS__}; \
		header_row(sb, names_, sizeof(names_) / sizeof(names_[0])); \
	} while (0)

static void summary_row(struct strbuf *sb, const char *what, const char *value, bool escape)
{
	strbuf_addf(sb, "| %s |", what);
	if (escape)
		cell(sb, value);
	else
		cell_raw(sb, value);
	strbuf_addstr(sb, "\n");
}

static void add_window(struct strbuf *sb, const struct report *r)
{
	if (!r->window_ms)
		return;
	char len[32], when[REPORT_TIME_SIZE];
	report_duration_text(r->window_ms, len, sizeof(len));
	report_time_text(r->window_started_us, when, sizeof(when));
	struct strbuf v = {0};
	strbuf_addf(&v, "%s", len);
	if (r->window_starts_at[0])
		strbuf_addf(&v, " from section `%s`", r->window_starts_at);
	if (!r->window_started_us) {
		strbuf_addstr(&v, ", not started");
	} else {
		int64_t end = r->ended_us ? r->ended_us : r->generated_us;
		int64_t used = (end - r->window_started_us) / 1000;
		char u[32];
		report_duration_text(used < 0 ? 0 : used, u, sizeof(u));
		strbuf_addf(&v, ", started %s; %s %s%s", when, r->ended_us ? "took" : "running for", u,
			used > r->window_ms ? " (**OVER THE WINDOW**)" : "");
	}
	summary_row(sb, "Deploy window", v.data, false);
	strbuf_release(&v);
}

static void add_summary(struct strbuf *sb, const struct report *r)
{
	char t[REPORT_TIME_SIZE];
	strbuf_addstr(sb, "# Completion report: ");
	add_text(sb, r->title, false);
	strbuf_addstr(sb, "\n\n");
	if (strcmp(r->state, "open") == 0) {
		report_time_text(r->generated_us, t, sizeof(t));
		strbuf_addf(sb, "> **IN PROGRESS: this run is still open.** This report shows it as it stood at %s; "
			"it is not a completion record.", t);
		if (r->current_section[0])
			strbuf_addf(sb, " Next section to pass: `%s`.", r->current_section);
		strbuf_addstr(sb, "\n\n");
	} else if (strcmp(r->state, "aborted") == 0) {
		report_time_text(r->ended_us, t, sizeof(t));
		strbuf_addstr(sb, "> **ABORTED** by ");
		add_text(sb, r->aborted_by, false);
		strbuf_addf(sb, " at %s: ", t);
		add_text(sb, r->abort_reason, false);
		strbuf_addstr(sb, "\n\n");
	}
	HEADER(sb, "Run", "");
	char *v = xasprintf("`%s`", r->run_id);
	summary_row(sb, "Run id", v, false);
	free(v);
	summary_row(sb, "Title", r->title, true);
	v = xasprintf("**%s**", r->state);
	summary_row(sb, "State", v, false);
	free(v);
	summary_row(sb, "Checklist", r->checklist_title, true);
	v = xasprintf("`%s`, sha256 `%s`", r->checklist_id, r->checklist_sha256);
	summary_row(sb, "Checklist id", v, false);
	free(v);
	report_time_text(r->started_us, t, sizeof(t));
	summary_row(sb, "Started", t, false);
	summary_row(sb, "Started by", r->started_by, true);
	report_time_text(r->ended_us, t, sizeof(t));
	summary_row(sb, "Ended", r->ended_us ? t : "not yet", false);
	add_window(sb, r);
	struct strbuf vars = {0};
	for (size_t k = 0; k < r->n_variables; k++) {
		strbuf_addstr(&vars, k ? ", " : "");
		add_text(&vars, r->variables[k].name, true);
		strbuf_addstr(&vars, "=");
		add_text(&vars, r->variables[k].value, true);
		if (r->variables[k].secret)
			strbuf_addstr(&vars, " (secret)");
	}
	summary_row(sb, "Variables", vars.data, false);
	strbuf_release(&vars);
	strbuf_addstr(sb, "\n");
}

/* The gate's result as the tables show it: exceptions in capitals and bold. */
static const char *gate_mark(const char *gate)
{
	return strcmp(gate, "FORCED") == 0 ? "**FORCED**" : gate;
}

static void estimate_text(const struct report_section *rs, char *buf, size_t size)
{
	char lo[32], hi[32];
	if (!rs->estimate_hi_ms) {
		snprintf(buf, size, "-");
		return;
	}
	report_duration_text(rs->estimate_lo_ms, lo, sizeof(lo));
	report_duration_text(rs->estimate_hi_ms, hi, sizeof(hi));
	if (rs->estimate_lo_ms == rs->estimate_hi_ms)
		snprintf(buf, size, "%s", hi);
	else
		snprintf(buf, size, "%s-%s", lo, hi);
}

static void add_overview(struct strbuf *sb, const struct report *r)
{
	strbuf_addstr(sb, "## Sections\n\n");
	HEADER(sb, "Section", "Phase", "Gate", "Items done", "Sign-offs", "Estimate", "Actual");
	for (size_t s = 0; s < r->n_sections; s++) {
		const struct report_section *rs = &r->sections[s];
		int done = 0, required = 0, approvals = 0;
		for (size_t i = 0; i < rs->n_items; i++) {
			required += rs->items[i].required;
			done += rs->items[i].required && (strcmp(rs->items[i].verdict, "pass") == 0 ||
				strcmp(rs->items[i].verdict, "waived") == 0);
		}
		for (size_t k = 0; k < rs->n_signatures; k++)
			approvals += strcmp(rs->signatures[k].meaning, "approve") == 0 && !rs->signatures[k].stale &&
				!rs->signatures[k].superseded;
		char est[80], act[32], items[32], sigs[32];
		estimate_text(rs, est, sizeof(est));
		report_duration_text(rs->actual_ms, act, sizeof(act));
		snprintf(items, sizeof(items), "%d/%d", done, required);
		snprintf(sigs, sizeof(sigs), "%d/%d", approvals, rs->signoffs_required);
		strbuf_addf(sb, "| `%s` ", rs->id);
		add_text(sb, rs->title, true);
		strbuf_addstr(sb, " |");
		cell(sb, rs->phase);
		cell_raw(sb, gate_mark(rs->gate));
		cell_raw(sb, items);
		cell_raw(sb, strcmp(rs->gate, "ungated") == 0 ? "-" : sigs);
		cell_raw(sb, est);
		cell_raw(sb, act);
		strbuf_addstr(sb, "\n");
	}
	strbuf_addstr(sb, "\n");
}

/* The item's verdict cell: a waiver shows what it waived, a failure is loud. */
static void verdict_cell(struct strbuf *sb, const struct report_item *ri)
{
	char *v;
	if (strcmp(ri->verdict, "waived") == 0)
		v = xasprintf("**WAIVED** (was %s)", ri->checked[0] ? ri->checked : "?");
	else if (report_verdict_failed(ri->verdict))
		v = xasprintf("**%s**", ri->verdict);
	else
		v = xstrdup(ri->verdict);
	if (ri->rechecks) {
		char *w = xasprintf("%s, re-checked %dx after sign-off", v, ri->rechecks);
		free(v);
		v = w;
	}
	cell_raw(sb, v);
	free(v);
}

static void add_items(struct strbuf *sb, const struct report *r, const struct report_section *rs)
{
	HEADER(sb, "Item", "Kind", "Verdict", "Attempts", "Started", "Finished", "Duration", "Status", "By",
		"Message");
	for (size_t i = 0; i < rs->n_items; i++) {
		const struct report_item *ri = &rs->items[i];
		char n[16], dur[32], st[32] = "";
		strbuf_addf(sb, "| `%s` ", ri->id);
		add_text(sb, ri->title, true);
		if (!ri->required)
			strbuf_addstr(sb, " (optional)");
		strbuf_addstr(sb, " |");
		cell_raw(sb, ri->kind);
		verdict_cell(sb, ri);
		snprintf(n, sizeof(n), "%d", ri->attempts);
		cell_raw(sb, n);
		cell_time(sb, ri->started_us);
		cell_time(sb, ri->finished_us);
		report_duration_text(ri->duration_ms, dur, sizeof(dur));
		cell_raw(sb, dur);
		if (ri->http_status > 0)
			snprintf(st, sizeof(st), "HTTP %d", ri->http_status);
		else if (ri->exit_status >= 0)
			snprintf(st, sizeof(st), "exit %d", ri->exit_status);
		cell_raw(sb, st);
		cell(sb, ri->actor);
		const struct report_waiver *w = strcmp(ri->verdict, "waived") == 0 ? report_waiver_of(r, rs->id, ri->id) : NULL;
		struct strbuf m = {0};
		strbuf_addstr(&m, w ? "waived: " : "");
		strbuf_addstr(&m, ri->message);
		if (ri->value[0])
			strbuf_addf(&m, "%svalue: %s", m.len ? "; " : "", ri->value);
		cell(sb, m.data);
		strbuf_release(&m);
		strbuf_addstr(sb, "\n");
	}
	strbuf_addstr(sb, "\n");
}

/* Output in a fenced block, its fence longer than any run of backticks in it. */
static void add_excerpts(struct strbuf *sb, const struct report_section *rs)
{
	for (size_t i = 0; i < rs->n_items; i++) {
		const struct report_item *ri = &rs->items[i];
		if (!ri->excerpt[0])
			continue;
		strbuf_addf(sb, "Output of `%s/%s`", rs->id, ri->id);
		if (ri->output_bytes >= 0)
			strbuf_addf(sb, " (%lld bytes%s%s%s)", (long long)ri->output_bytes,
				ri->output_sha256[0] ? ", sha256 `" : "", ri->output_sha256, ri->output_sha256[0] ? "`" : "");
		strbuf_addstr(sb, strlen(ri->excerpt) >= REPORT_EXCERPT_BYTES ? ", its last lines:\n\n" : ":\n\n");
		size_t run = 0, longest = 0;
		for (const char *p = ri->excerpt; *p; p++) {
			run = *p == '`' ? run + 1 : 0;
			longest = run > longest ? run : longest;
		}
		size_t fence = longest < 3 ? 3 : longest + 1;
		for (size_t k = 0; k < fence; k++)
			strbuf_addstr(sb, "`");
		strbuf_addf(sb, "text\n%s\n", ri->excerpt);
		for (size_t k = 0; k < fence; k++)
			strbuf_addstr(sb, "`");
		strbuf_addstr(sb, "\n\n");
	}
}

static void signature_row(struct strbuf *sb, const struct report_signature *so, bool with_section)
{
	strbuf_addstr(sb, "|");
	if (with_section)
		strbuf_addf(sb, " `%s` |", so->section);
	cell(sb, so->engineer);
	cell(sb, so->full_name);
	cell_raw(sb, strcmp(so->meaning, "reject") == 0 ? "**REJECT**" : "approve");
	cell_time(sb, so->time_us);
	cell(sb, so->os_user);
	cell(sb, so->host);
	cell(sb, so->tty);
	cell_raw(sb, so->stale ? "**STALE**" : so->superseded ? "superseded" : "counts");
	cell(sb, so->comment);
	strbuf_addstr(sb, "\n");
}

static void add_section(struct strbuf *sb, const struct report *r, const struct report_section *rs)
{
	strbuf_addf(sb, "## Section `%s`: ", rs->id);
	add_text(sb, rs->title, false);
	strbuf_addf(sb, "\n\nGate: %s", gate_mark(rs->gate));
	const struct report_override *o = strcmp(rs->gate, "FORCED") == 0 ? report_override_of(r, rs->id) : NULL;
	if (o) {
		strbuf_addstr(sb, " by ");
		add_text(sb, o->engineer_a, false);
		strbuf_addstr(sb, " and ");
		add_text(sb, o->engineer_b, false);
		strbuf_addstr(sb, " (incident ");
		add_text(sb, o->incident, false);
		strbuf_addstr(sb, "): ");
		add_text(sb, o->reason, false);
	}
	strbuf_addstr(sb, "\n\n");
	if (rs->same_origin_warning) {
		strbuf_addstr(sb, "> **WARNING: SAME OS USER AND TTY.** ");
		add_text(sb, rs->same_origin_warning, false);
		strbuf_addstr(sb, "\n\n");
	}
	add_items(sb, r, rs);
	add_excerpts(sb, rs);
	if (rs->n_signatures) {
		strbuf_addstr(sb, "Sign-offs:\n\n");
		HEADER(sb, "Engineer", "Name", "Meaning", "Time", "OS user", "Host", "TTY", "Status", "Comment");
		for (size_t k = 0; k < rs->n_signatures; k++)
			signature_row(sb, &rs->signatures[k], false);
		strbuf_addstr(sb, "\n");
	}
}

static void add_exceptions(struct strbuf *sb, const struct report *r)
{
	strbuf_addstr(sb, "## Rejections\n\n");
	if (!r->n_rejections)
		strbuf_addstr(sb, "None.\n\n");
	else
		HEADER(sb, "Section", "Engineer", "Name", "Meaning", "Time", "OS user", "Host", "TTY", "Status", "Comment");
	for (size_t k = 0; k < r->n_rejections; k++)
		signature_row(sb, &r->rejections[k], true);
	strbuf_addstr(sb, r->n_rejections ? "\n## Waivers\n\n" : "## Waivers\n\n");
	if (!r->n_waivers)
		strbuf_addstr(sb, "None.\n\n");
	else
		HEADER(sb, "Item", "WAIVED by", "Time", "Reason");
	for (size_t k = 0; k < r->n_waivers; k++) {
		strbuf_addf(sb, "| `%s` |", r->waivers[k].target);
		cell(sb, r->waivers[k].engineer);
		cell_time(sb, r->waivers[k].time_us);
		cell(sb, r->waivers[k].reason);
		strbuf_addstr(sb, "\n");
	}
	strbuf_addstr(sb, r->n_waivers ? "\n## Overrides\n\n" : "## Overrides\n\n");
	if (!r->n_overrides)
		strbuf_addstr(sb, "None.\n\n");
	else
		HEADER(sb, "Section", "FORCED by", "Second engineer", "Time", "Incident", "Reason");
	for (size_t k = 0; k < r->n_overrides; k++) {
		const struct report_override *o = &r->overrides[k];
		strbuf_addf(sb, "| `%s` |", o->section);
		cell(sb, o->engineer_a);
		cell(sb, o->engineer_b);
		cell_time(sb, o->time_us);
		cell(sb, o->incident);
		cell(sb, o->reason);
		strbuf_addstr(sb, "\n");
	}
	if (r->n_overrides)
		strbuf_addstr(sb, "\n");
}

static void add_notes_and_pins(struct strbuf *sb, const struct report *r)
{
	strbuf_addstr(sb, "## Notes\n\n");
	if (!r->n_notes)
		strbuf_addstr(sb, "None.\n\n");
	else
		HEADER(sb, "About", "Engineer", "Time", "Note");
	for (size_t k = 0; k < r->n_notes; k++) {
		if (r->notes[k].target[0])
			strbuf_addf(sb, "| `%s` |", r->notes[k].target);
		else
			strbuf_addstr(sb, "| the run |");
		cell(sb, r->notes[k].engineer);
		cell_time(sb, r->notes[k].time_us);
		cell(sb, r->notes[k].text);
		strbuf_addstr(sb, "\n");
	}
	strbuf_addstr(sb, r->n_notes ? "\n## Failed PIN attempts\n\n" : "## Failed PIN attempts\n\n");
	if (!r->n_pin_failures)
		strbuf_addstr(sb, "None.\n\n");
	else
		HEADER(sb, "Engineer", "Time", "Command", "OS user", "Host", "TTY", "Lockout");
	for (size_t k = 0; k < r->n_pin_failures; k++) {
		const struct report_pin_failure *f = &r->pin_failures[k];
		strbuf_addstr(sb, "|");
		cell(sb, f->engineer);
		cell_time(sb, f->time_us);
		cell(sb, f->command);
		cell(sb, f->os_user);
		cell(sb, f->host);
		cell(sb, f->tty);
		cell_raw(sb, f->lockout ? "**LOCKED OUT**" : "no");
		strbuf_addstr(sb, "\n");
	}
	if (r->n_pin_failures)
		strbuf_addstr(sb, "\n");
}

static void add_anchor(struct strbuf *sb, const struct report *r)
{
	char t[REPORT_TIME_SIZE];
	report_time_text(r->generated_us, t, sizeof(t));
	strbuf_addstr(sb, "## Audit anchor\n\n");
	HEADER(sb, "Anchor", "");
	char *v = xasprintf("%lld", (long long)r->events);
	summary_row(sb, "Events in the run's chain", v, false);
	free(v);
	v = xasprintf("`%s`", r->head);
	summary_row(sb, "Head hash", v, false);
	free(v);
	struct strbuf m = {0};
	strbuf_addstr(&m, r->verified ? "verified: " : "**DOES NOT VERIFY**: ");
	add_text(&m, r->verify_message, true);
	strbuf_addf(&m, " (at %s)", t);
	summary_row(sb, "Verification at export", m.data, false);
	strbuf_release(&m);
	char *cmd = report_verify_command(r);
	strbuf_addf(sb, "\nTo check later that the record still holds this run as reported (nothing altered, "
		"nothing cut off after this head), run:\n\n```sh\n%s\n```\n\nGenerated by %s at %s.\n", cmd,
		r->generator, t);
	free(cmd);
}

bool report_write_md(const struct report *r, FILE *out)
{
	struct strbuf sb = {0};
	add_summary(&sb, r);
	add_overview(&sb, r);
	for (size_t s = 0; s < r->n_sections; s++)
		add_section(&sb, r, &r->sections[s]);
	add_exceptions(&sb, r);
	add_notes_and_pins(&sb, r);
	add_anchor(&sb, r);
	bool ok = fwrite(sb.data, 1, sb.len, out) == sb.len;
	strbuf_release(&sb);
	return ok;
}
