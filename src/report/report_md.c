/* The report in GitHub-flavoured Markdown, for pasting into a change
 * ticket: a summary, one table per section, the sign-offs with who and
 * where, the exceptions (FORCED, stale, rejections, waivers, wrong PINs)
 * marked in capitals, and the audit anchor with how to check it. This file:
 * the cells, the summary, the sections table and the anchor. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/report_md.h"

/* True at the ':' of "://" or the '.' of "www.": where GitHub-flavoured
 * Markdown starts a link of a bare URL (an extended autolink), which a
 * backslash before that character stops. */
static bool starts_autolink(const char *s, const char *p)
{
	if (*p == ':')
		return p[1] == '/' && p[2] == '/';
	return *p == '.' && p - s >= 3 && strncasecmp(p - 3, "www", 3) == 0;
}

/* Text of the record escaped for Markdown: characters that would start
 * formatting, a link (bare URLs too), HTML, an entity or a table cell are
 * backslash-escaped; in a table cell (CELL) a newline is a <br>, elsewhere
 * a space. */
void md_text(struct strbuf *sb, const char *s, bool cell)
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
		if (strchr("\\|`*<>[]~#&", ch) || (ch == '_' && !inner_underscore) || starts_autolink(s, p))
			strbuf_add(sb, "\\", 1);
		strbuf_add(sb, &ch, 1);
	}
}

/* A cell: " TEXT |", "-" for empty text. */
void md_cell(struct strbuf *sb, const char *s)
{
	strbuf_addstr(sb, " ");
	if (s && *s)
		md_text(sb, s, true);
	else
		strbuf_addstr(sb, "-");
	strbuf_addstr(sb, " |");
}

/* A cell of text written by the program itself (no escaping). */
void md_cell_raw(struct strbuf *sb, const char *s)
{
	strbuf_addf(sb, " %s |", s && *s ? s : "-");
}

void md_cell_time(struct strbuf *sb, int64_t t_us)
{
	char t[REPORT_TIME_SIZE];
	report_time_text(t_us, t, sizeof(t));
	md_cell_raw(sb, t);
}

void md_header_row(struct strbuf *sb, const char *const *names, size_t n)
{
	strbuf_addstr(sb, "|");
	for (size_t k = 0; k < n; k++)
		strbuf_addf(sb, " %s |", names[k]);
	strbuf_addstr(sb, "\n|");
	for (size_t k = 0; k < n; k++)
		strbuf_addstr(sb, " --- |");
	strbuf_addstr(sb, "\n");
}

void md_summary_row(struct strbuf *sb, const char *what, const char *value, bool escape)
{
	strbuf_addf(sb, "| %s |", what);
	if (escape)
		md_cell(sb, value);
	else
		md_cell_raw(sb, value);
	strbuf_addstr(sb, "\n");
}

/* The gate's result as the tables show it: exceptions in capitals and bold. */
const char *md_gate_mark(const char *gate)
{
	return strcmp(gate, "FORCED") == 0 ? "**FORCED**" : gate;
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
	md_summary_row(sb, "Deploy window", v.data, false);
	strbuf_release(&v);
}

static void add_summary(struct strbuf *sb, const struct report *r)
{
	char t[REPORT_TIME_SIZE];
	strbuf_addstr(sb, "# Completion report: ");
	md_text(sb, r->title, false);
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
		md_text(sb, r->aborted_by, false);
		strbuf_addf(sb, " at %s: ", t);
		md_text(sb, r->abort_reason, false);
		strbuf_addstr(sb, "\n\n");
	}
	MD_HEADER(sb, "Run", "");
	char *v = xasprintf("`%s`", r->run_id);
	md_summary_row(sb, "Run id", v, false);
	free(v);
	md_summary_row(sb, "Title", r->title, true);
	v = xasprintf("**%s**", r->state);
	md_summary_row(sb, "State", v, false);
	free(v);
	md_summary_row(sb, "Checklist", r->checklist_title, true);
	v = xasprintf("`%s`, sha256 `%s`", r->checklist_id, r->checklist_sha256);
	md_summary_row(sb, "Checklist id", v, false);
	free(v);
	report_time_text(r->started_us, t, sizeof(t));
	md_summary_row(sb, "Started", t, false);
	md_summary_row(sb, "Started by", r->started_by, true);
	report_time_text(r->ended_us, t, sizeof(t));
	md_summary_row(sb, "Ended", r->ended_us ? t : "not yet", false);
	add_window(sb, r);
	struct strbuf vars = {0};
	for (size_t k = 0; k < r->n_variables; k++) {
		strbuf_addstr(&vars, k ? ", " : "");
		md_text(&vars, r->variables[k].name, true);
		strbuf_addstr(&vars, "=");
		md_text(&vars, r->variables[k].value, true);
		if (r->variables[k].secret)
			strbuf_addstr(&vars, " (secret)");
	}
	md_summary_row(sb, "Variables", vars.data, false);
	strbuf_release(&vars);
	strbuf_addstr(sb, "\n");
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
	MD_HEADER(sb, "Section", "Phase", "Gate", "Items done", "Sign-offs", "Estimate", "Actual");
	for (size_t s = 0; s < r->n_sections; s++) {
		const struct report_section *rs = &r->sections[s];
		int done = 0, required = 0, approvals = 0;
		for (size_t i = 0; i < rs->n_items; i++) {
			required += rs->items[i].required;
			done += rs->items[i].required && (strcmp(rs->items[i].verdict, "pass") == 0 ||
				strcmp(rs->items[i].verdict, "waived") == 0);
		}
		for (size_t k = 0; k < rs->n_signatures; k++)
			approvals += rs->signatures[k].counted;
		char est[80], act[32], items[32], sigs[32];
		estimate_text(rs, est, sizeof(est));
		report_duration_text(rs->actual_ms, act, sizeof(act));
		snprintf(items, sizeof(items), "%d/%d", done, required);
		snprintf(sigs, sizeof(sigs), "%d/%d", approvals, rs->signoffs_required);
		strbuf_addf(sb, "| `%s` ", rs->id);
		md_text(sb, rs->title, true);
		strbuf_addstr(sb, " |");
		md_cell(sb, rs->phase);
		md_cell_raw(sb, md_gate_mark(rs->gate));
		md_cell_raw(sb, items);
		md_cell_raw(sb, strcmp(rs->gate, "ungated") == 0 ? "-" : sigs);
		md_cell_raw(sb, est);
		md_cell_raw(sb, act);
		strbuf_addstr(sb, "\n");
	}
	strbuf_addstr(sb, "\n");
}

/* The record's checkpoint, to be copied out as it is (its last newline is
 * the block's own). */
static void add_checkpoint(struct strbuf *sb, const struct report *r)
{
	size_t len = strlen(r->checkpoint);
	if (!len)
		return;
	strbuf_addstr(sb, "\nThe record's checkpoint at export (the registry, the engineers chain and this run's "
		"chain). Keep a copy outside the database: `countersign verify --checkpoint FILE` checks that the "
		"record still extends it.\n\n");
	char *text = xstrndup(r->checkpoint, r->checkpoint[len - 1] == '\n' ? len - 1 : len);
	md_fenced(sb, text);
	free(text);
}

static void add_anchor(struct strbuf *sb, const struct report *r)
{
	char t[REPORT_TIME_SIZE];
	report_time_text(r->generated_us, t, sizeof(t));
	strbuf_addstr(sb, "## Audit anchor\n\n");
	MD_HEADER(sb, "Anchor", "");
	char *v = xasprintf("%lld", (long long)r->events);
	md_summary_row(sb, "Events in the run's chain", v, false);
	free(v);
	v = xasprintf("`%s`", r->head);
	md_summary_row(sb, "Head hash", v, false);
	free(v);
	struct strbuf m = {0};
	strbuf_addstr(&m, r->verified ? "verified: " : "**DOES NOT VERIFY**: ");
	md_text(&m, r->verify_message, true);
	strbuf_addf(&m, " (at %s)", t);
	md_summary_row(sb, "Verification at export", m.data, false);
	strbuf_release(&m);
	char *cmd = report_verify_command(r);
	strbuf_addf(sb, "\nTo check later that the record still holds this run as reported (nothing altered, "
		"nothing cut off after this head), run:\n\n```sh\n%s\n```\n", cmd);
	free(cmd);
	add_checkpoint(sb, r);
	strbuf_addf(sb, "\nGenerated by %s at %s.\n", r->generator, t);
}

bool report_write_md(const struct report *r, FILE *out)
{
	struct strbuf sb = {0};
	add_summary(&sb, r);
	add_overview(&sb, r);
	for (size_t s = 0; s < r->n_sections; s++)
		md_section(&sb, r, &r->sections[s]);
	md_record(&sb, r);
	add_anchor(&sb, r);
	bool ok = fwrite(sb.data, 1, sb.len, out) == sb.len;
	strbuf_release(&sb);
	return ok;
}
