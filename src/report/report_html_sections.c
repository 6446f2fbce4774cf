/* The HTML report's sections (report_html.h): per section its gate result,
 * the override that forced it, a same-origin warning, its signatures and
 * notes, and its items in a table, each with its evidence in a collapsible
 * block that the print style sheet opens. */
#include "report/report_html.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"
#include "report/report_markup.h"

/* TARGET names SECTION (ITEM NULL) or SECTION/ITEM. */
static bool target_is(const char *target, const char *section, const char *item)
{
	size_t n = strlen(section);
	if (strncmp(target, section, n) != 0)
		return false;
	if (!item)
		return target[n] == '\0';
	return target[n] == '/' && strcmp(target + n + 1, item) == 0;
}

static void notes_of(FILE *out, const struct report *r, const char *section, const char *item)
{
	for (size_t i = 0; i < r->n_notes; i++) {
		const struct report_note *n = &r->notes[i];
		if (!target_is(n->target, section, item))
			continue;
		fputs("<div class=\"note\"><b>Note</b> by ", out);
		report_html_esc(out, n->engineer);
		fputs(", ", out);
		report_html_time(out, n->time_us);
		fputs(": <span class=\"text\">", out);
		report_html_esc(out, n->text);
		fputs("</span></div>\n", out);
	}
}

static void override_callout(FILE *out, const struct report *r, const struct report_section *sec)
{
	const struct report_override *o = report_override_of(r, sec->id);
	if (!o)
		return;
	fputs("<div class=\"callout forced\"><b>FORCED by override</b>: asked by <b>", out);
	report_html_esc(out, o->engineer_a);
	fputs("</b>, confirmed by <b>", out);
	report_html_esc(out, o->engineer_b);
	fputs("</b>, ", out);
	report_html_time(out, o->time_us);
	fputs(". Incident <b>", out);
	report_html_esc(out, o->incident);
	fputs("</b>. Reason: <span class=\"text\">", out);
	report_html_esc(out, o->reason);
	fputs("</span></div>\n", out);
}

static void signatures(FILE *out, const struct report_section *sec)
{
	if (sec->n_signatures == 0 && sec->signoffs_required == 0)
		return;
	fputs("<p class=\"meta\">Signatures: ", out);
	if (sec->n_signatures == 0)
		fputs("<span class=\"mute\">none</span>", out);
	for (size_t i = 0; i < sec->n_signatures; i++) {
		const struct report_signature *g = &sec->signatures[i];
		bool reject = report_signature_rejects(g);
		fputs(i ? "; " : "", out);
		fprintf(out, "<b>");
		report_html_esc(out, g->engineer);
		fputs("</b>", out);
		if (g->n_roles) {
			char *roles = report_roles_text((const char *const *)g->roles, g->n_roles);
			fputs(" <span class=\"mute\">(", out);
			report_html_esc(out, roles);
			fputs(")</span>", out);
			free(roles);
		}
		fprintf(out, " <span class=\"%s\">", reject ? "bad" : g->counted ? "ok" : "mute");
		report_html_esc(out, g->meaning);
		fputs("</span> ", out);
		report_html_time(out, g->time_us);
		if (g->stale)
			fputs(" <span class=\"badge bad\">STALE</span>", out);
		else if (g->superseded)
			fputs(" <span class=\"mute\">(superseded)</span>", out);
	}
	fputs(" \xc2\xb7 <a href=\"#signoffs\">sign-off table</a></p>\n", out);
}

static void verdict_cell(FILE *out, const struct report_item *it)
{
	fputs("<td>", out);
	report_html_badge(out, "v-", it->verdict, it->verdict);
	if (it->checked[0]) {
		fputs(" <span class=\"mute\">(checked: ", out);
		report_html_esc(out, it->checked);
		fputs(")</span>", out);
	}
	if (it->rechecks)
		fprintf(out, "<br><span class=\"mute\">re-checked %d\xc3\x97 after the gate passed</span>", it->rechecks);
	fputs("</td>", out);
}

/* "19:46:11" when FINISHED falls on STARTED's day, the full time else. */
static void finished_cell(FILE *out, int64_t started_us, int64_t finished_us)
{
	char s[REPORT_TIME_SIZE], f[REPORT_TIME_SIZE];
	report_time_text(started_us, s, sizeof(s));
	report_time_text(finished_us, f, sizeof(f));
	fputs("<td class=\"when\">", out);
	if (!f[0])
		fputs("\xe2\x80\x94", out);
	else if (s[0] && strncmp(s, f, 11) == 0)
		fprintf(out, "%.8s", f + 11);
	else
		fputs(f, out);
	fputs("</td>", out);
}

static void item_row(FILE *out, const struct report_item *it, const struct report_waiver *w, size_t sec_no,
	size_t item_no)
{
	char d[32];
	fprintf(out, "<tr class=\"item%s\" id=\"sec-%zu-%zu\"><td>", w ? " waived" : "", sec_no, item_no);
	if (it->title[0]) {
		report_html_esc(out, it->title);
		fputs("<br>", out);
	}
	fputs("<code>", out);
	report_html_esc(out, it->id);
	fputs("</code> <span class=\"mute\">", out);
	report_html_esc(out, it->kind);
	fputs(it->required ? "" : ", optional", out);
	fputs("</span></td>", out);
	verdict_cell(out, it);
	fprintf(out, "<td class=\"num\">%d</td><td class=\"when\">", it->attempts);
	report_html_time(out, it->started_us);
	fputs("</td>", out);
	finished_cell(out, it->started_us, it->finished_us);
	report_duration_text(it->duration_ms, d, sizeof(d));
	fprintf(out, "<td class=\"num\">%s</td><td class=\"num\">", it->duration_ms >= 0 ? d : "\xe2\x80\x94");
	if (it->exit_status >= 0)
		fprintf(out, "exit %d", it->exit_status);
	if (it->http_status > 0)
		fprintf(out, "%sHTTP %d", it->exit_status >= 0 ? "<br>" : "", it->http_status);
	if (it->exit_status < 0 && it->http_status <= 0)
		fputs("\xe2\x80\x94", out);
	fputs("</td><td>", out);
	report_html_esc(out, it->actor);
	fputs("</td></tr>\n", out);
}

static void excerpt(FILE *out, const struct report_item *it)
{
	/* the excerpt is sanitised and secrets in it redacted, so its length
	 * says nothing about the stream's: tell the recorded size */
	fputs("<details><summary>Output", out);
	if (it->output_bytes >= 0)
		fprintf(out, ": %" PRId64 " bytes", it->output_bytes);
	if (it->output_bytes > REPORT_EXCERPT_BYTES || it->output_omitted > 0)
		fputs(", the last lines shown", out);
	if (it->output_omitted > 0)
		fprintf(out, " (the record left out %" PRId64 " bytes of the middle)", it->output_omitted);
	if (it->output_sha256[0]) {
		fputs(" \xc2\xb7 SHA-256 <code>", out);
		report_html_esc(out, it->output_sha256);
		fputs("</code>", out);
	}
	fputs("</summary><pre>", out);
	report_html_esc(out, it->excerpt);
	fputs("</pre></details>\n", out);
}

static bool has_note(const struct report *r, const char *section, const char *item)
{
	for (size_t i = 0; i < r->n_notes; i++)
		if (target_is(r->notes[i].target, section, item))
			return true;
	return false;
}

/* The row under an item with what does not fit a cell: message, value,
 * waiver, notes and output. None when there is nothing to say. */
static void item_detail(FILE *out, const struct report *r, const struct report_section *sec,
	const struct report_item *it, const struct report_waiver *w)
{
	bool note = has_note(r, sec->id, it->id);
	if (!it->message[0] && !it->value[0] && !w && !note && !it->excerpt[0])
		return;
	fprintf(out, "<tr class=\"detail%s\"><td colspan=\"8\">\n", w ? " waived" : "");
	if (it->message[0]) {
		fputs("<div><span class=\"mute\">Message:</span> <span class=\"text\">", out);
		report_html_esc(out, it->message);
		fputs("</span></div>\n", out);
	}
	if (it->value[0]) {
		fputs("<div><span class=\"mute\">Value attested:</span> <span class=\"text\">", out);
		report_html_esc(out, it->value);
		fputs("</span></div>\n", out);
	}
	if (w) {
		fputs("<div class=\"callout waiver\"><b>WAIVED</b> by <b>", out);
		report_html_esc(out, w->engineer);
		fputs("</b>, ", out);
		report_html_time(out, w->time_us);
		fputs(": <span class=\"text\">", out);
		report_html_esc(out, w->reason);
		fputs("</span></div>\n", out);
	}
	notes_of(out, r, sec->id, it->id);
	if (it->excerpt[0])
		excerpt(out, it);
	fputs("</td></tr>\n", out);
}

static void section_meta(FILE *out, const struct report_section *sec)
{
	struct report_html_durations dur;
	report_html_durations(sec, &dur);
	fputs("<p class=\"meta\">Phase <b>", out);
	report_html_esc(out, sec->phase);
	fputs("</b> \xc2\xb7 gate <b>", out);
	report_html_esc(out, sec->gate);
	fprintf(out, "</b> \xc2\xb7 sign-offs required %d", sec->signoffs_required);
	if (sec->policy[0]) {
		fputs(" \xc2\xb7 policy: ", out);
		report_html_esc(out, sec->policy);
	}
	if (sec->estimate_hi_ms > 0 && sec->estimate_lo_ms != sec->estimate_hi_ms)
		fprintf(out, " \xc2\xb7 estimate %s\xe2\x80\x93%s", dur.lo, dur.hi);
	else if (sec->estimate_hi_ms > 0)
		fprintf(out, " \xc2\xb7 estimate %s", dur.hi);
	if (sec->actual_ms >= 0)
		fprintf(out, " \xc2\xb7 actual %s", dur.act);
	if (sec->first_us) {
		fputs(" \xc2\xb7 began ", out);
		report_html_time(out, sec->first_us);
	}
	if (sec->passed_us) {
		fputs(" \xc2\xb7 passed ", out);
		report_html_time(out, sec->passed_us);
	}
	fputs("</p>\n", out);
}

static void section(FILE *out, const struct report *r, size_t i)
{
	const struct report_section *sec = &r->sections[i];
	bool forced = strcmp(sec->gate, "FORCED") == 0;
	fprintf(out, "<section class=\"section%s\" id=\"sec-%zu\">\n<h3><span class=\"sid\">", forced ? " forced" : "",
		i + 1);
	report_html_esc(out, sec->id);
	fputs("</span> ", out);
	report_html_esc(out, sec->title);
	fputs(" ", out);
	report_html_badge(out, "", report_html_gate_class(sec->gate), sec->gate);
	fputs("</h3>\n", out);
	section_meta(out, sec);
	override_callout(out, r, sec);
	if (sec->same_origin_warning) {
		fputs("<div class=\"callout origin\"><b>Same origin:</b> ", out);
		report_html_esc(out, sec->same_origin_warning);
		fputs("</div>\n", out);
	}
	signatures(out, sec);
	notes_of(out, r, sec->id, NULL);
	if (sec->n_items) {
		fputs("<table class=\"items\"><thead><tr><th>Item</th><th>Verdict</th><th>Attempts</th>"
			"<th>Started</th><th>Finished</th><th>Duration</th><th>Exit / HTTP</th><th>By</th>"
			"</tr></thead><tbody>\n", out);
		for (size_t k = 0; k < sec->n_items; k++) {
			const struct report_item *it = &sec->items[k];
			/* a waiver the item's verdict no longer shows stays in the waivers table */
			const struct report_waiver *w = strcmp(it->verdict, "waived") == 0
				? report_waiver_of(r, sec->id, it->id) : NULL;
			item_row(out, it, w, i + 1, k + 1);
			item_detail(out, r, sec, it, w);
		}
		fputs("</tbody></table>\n", out);
	}
	fputs("</section>\n", out);
}

void report_html_sections(FILE *out, const struct report *r)
{
	fputs("<section id=\"sections\">\n<h2>Sections</h2>\n", out);
	for (size_t i = 0; i < r->n_sections; i++)
		section(out, r, i);
	fputs("</section>\n", out);
}
