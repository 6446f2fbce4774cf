/* The HTML report (docs/report-format.md): one self-contained HTML5 file, inline
 * CSS and SVG, no script and no reference outside the file, readable on
 * screen and on paper. This file writes the document, its summary and the
 * sections with their items; report_html_tables.c the sign-offs, the
 * exceptions and the audit anchor; report_html_timeline.c the timeline. */
#include "report/report_html.h"

#include <inttypes.h>
#include <string.h>

#include "report/report_internal.h"
#include "report/report_markup.h"

void report_html_esc(FILE *out, const char *s)
{
	report_markup_text(out, s, 0);
}

void report_html_attr(FILE *out, const char *s)
{
	report_markup_text(out, s, MARKUP_ATTR);
}

void report_html_time(FILE *out, int64_t t_us)
{
	char buf[REPORT_TIME_SIZE];
	report_time_text(t_us, buf, sizeof(buf));
	fputs(buf[0] ? buf : "\xe2\x80\x94", out);
}

void report_html_durations(const struct report_section *sec, struct report_html_durations *d)
{
	report_duration_text(sec->estimate_lo_ms, d->lo, sizeof(d->lo));
	report_duration_text(sec->estimate_hi_ms, d->hi, sizeof(d->hi));
	report_duration_text(sec->actual_ms, d->act, sizeof(d->act));
}

/* Section I's anchor is "sec-I" and its item K's "sec-I-K" (1-based):
 * ids from the checklist may hold anything, numbers do not. */
void report_html_section_ref(FILE *out, const struct report *r, const char *target)
{
	const char *slash = strchr(target, '/');
	size_t len = slash ? (size_t)(slash - target) : strlen(target);
	for (size_t i = 0; i < r->n_sections; i++) {
		const struct report_section *sec = &r->sections[i];
		if (strlen(sec->id) != len || memcmp(sec->id, target, len) != 0)
			continue;
		size_t item = 0;
		for (size_t k = 0; slash && k < sec->n_items; k++)
			if (strcmp(sec->items[k].id, slash + 1) == 0)
				item = k + 1;
		if (item)
			fprintf(out, "<a href=\"#sec-%zu-%zu\"><code>", i + 1, item);
		else
			fprintf(out, "<a href=\"#sec-%zu\"><code>", i + 1);
		report_html_esc(out, target);
		fputs("</code></a>", out);
		return;
	}
	fputs("<code>", out);
	report_html_esc(out, target[0] ? target : "run");
	fputs("</code>", out);
}

const char *report_html_gate_class(const char *gate)
{
	static const char *const known[][2] = {
		{"passed", "g-passed"}, {"FORCED", "g-FORCED"}, {"open", "g-open"}, {"locked", "g-locked"},
		{"not chosen", "g-not-chosen"}, {"ungated", "g-ungated"},
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(gate, known[i][0]) == 0)
			return known[i][1];
	return "g-other";
}

void report_html_badge(FILE *out, const char *cls_prefix, const char *cls, const char *text)
{
	fprintf(out, "<span class=\"badge %s", cls_prefix);
	report_html_attr(out, cls);
	fputs("\">", out);
	report_html_esc(out, text);
	fputs("</span>", out);
}

static void head(FILE *out, const struct report *r)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<meta name=\"generator\" content=\"", out);
	report_html_attr(out, r->generator);
	fputs("\">\n<title>", out);
	report_html_esc(out, r->title);
	fputs(" \xe2\x80\x94 run ", out);
	report_html_esc(out, r->run_id);
	fputs(" \xe2\x80\x94 completion report</title>\n<style>\n", out);
	fputs(report_html_css, out);
	fputs("</style>\n</head>\n<body>\n<header>\n<p class=\"mute\">Completion report \xc2\xb7 countersign</p>\n<h1>",
		out);
	report_html_esc(out, r->title);
	fputs("</h1>\n<p>Run <code>", out);
	report_html_esc(out, r->run_id);
	fputs("</code> of <b>", out);
	report_html_esc(out, r->checklist_title);
	fputs("</b> \xc2\xb7 ", out);
	report_html_badge(out, "st-", r->state, r->state);
	fputs("</p>\n<nav><ul><li><a href=\"#summary\">Summary</a></li><li><a href=\"#timeline\">Timeline</a></li>"
		"<li><a href=\"#sections\">Sections</a></li><li><a href=\"#signoffs\">Sign-offs</a></li>"
		"<li><a href=\"#exceptions\">Rejections, waivers, overrides</a></li><li><a href=\"#notes\">Notes</a></li>"
		"<li><a href=\"#pin-failures\">Failed PINs</a></li><li><a href=\"#audit-anchor\">Audit anchor</a></li>"
		"</ul></nav>\n</header>\n", out);
}

/* One line of the warnings: "KIND: TARGET VERB ENGINEER" then NOTE, with
 * TARGET linked to where the report tells it in full. */
static void warning_by(FILE *out, const struct report *r, const char *kind, const char *target,
	const char *verb, const char *engineer, const char *note)
{
	fprintf(out, "<li><b>%s</b>: ", kind);
	report_html_section_ref(out, r, target);
	fputs(verb, out);
	report_html_esc(out, engineer);
	fputs(note, out);
	fputs("</li>\n", out);
}

/* What a reviewer must not miss, first: a record that did not verify,
 * signatures that may be one person's, overrides, waivers, rejections,
 * failed PINs, an aborted run. Each links to where it is told in full. */
static void warnings(FILE *out, const struct report *r)
{
	size_t n = !r->verified + r->n_overrides + r->n_waivers + r->n_rejections + (r->n_pin_failures > 0) +
		(r->abort_reason[0] || strcmp(r->state, "aborted") == 0);
	for (size_t i = 0; i < r->n_sections; i++)
		n += r->sections[i].same_origin_warning != NULL;
	if (n == 0)
		return;
	fputs("<section class=\"warnings\" id=\"attention\">\n<h2>Needs attention</h2>\n<ul>\n", out);
	if (!r->verified) {
		fputs("<li><b class=\"bad\">The record did not verify at export time:</b> ", out);
		report_html_esc(out, r->verify_message);
		fputs(" (<a href=\"#audit-anchor\">audit anchor</a>)</li>\n", out);
	}
	if (r->abort_reason[0] || strcmp(r->state, "aborted") == 0) {
		fputs("<li><b>The run was aborted</b> by ", out);
		report_html_esc(out, r->aborted_by);
		fputs(": <span class=\"text\">", out);
		report_html_esc(out, r->abort_reason);
		fputs("</span></li>\n", out);
	}
	for (size_t i = 0; i < r->n_sections; i++)
		if (r->sections[i].same_origin_warning) {
			fputs("<li><b>Same origin</b> in ", out);
			report_html_section_ref(out, r, r->sections[i].id);
			fputs(": ", out);
			report_html_esc(out, r->sections[i].same_origin_warning);
			fputs("</li>\n", out);
		}
	for (size_t i = 0; i < r->n_overrides; i++) {
		const struct report_override *o = &r->overrides[i];
		fputs("<li><b>Override</b>: ", out);
		report_html_section_ref(out, r, o->section);
		fputs(" <span class=\"badge g-FORCED\">FORCED</span> by ", out);
		report_html_esc(out, o->engineer_a);
		fputs(" and ", out);
		report_html_esc(out, o->engineer_b);
		fputs(" (incident ", out);
		report_html_esc(out, o->incident);
		fputs(")</li>\n", out);
	}
	for (size_t i = 0; i < r->n_waivers; i++)
		warning_by(out, r, "Waiver", r->waivers[i].target, " waived by ", r->waivers[i].engineer, "");
	for (size_t i = 0; i < r->n_rejections; i++) {
		const struct report_signature *g = &r->rejections[i];
		warning_by(out, r, "Rejection", g->section, " rejected by ", g->engineer,
			g->stale ? " (stale)" : g->superseded ? " (superseded)" : "");
	}
	if (r->n_pin_failures) {
		size_t lockouts = 0;
		for (size_t i = 0; i < r->n_pin_failures; i++)
			lockouts += r->pin_failures[i].lockout;
		fprintf(out, "<li><b>%zu failed PIN attempt%s</b>%s (<a href=\"#pin-failures\">list</a>)</li>\n",
			r->n_pin_failures, r->n_pin_failures == 1 ? "" : "s", lockouts ? ", with a lockout" : "");
	}
	fputs("</ul>\n</section>\n", out);
}

static void kv_row(FILE *out, const char *key, const char *value, bool code)
{
	fprintf(out, "<tr><th>%s</th><td>%s", key, code ? "<code>" : "");
	report_html_esc(out, value);
	fprintf(out, "%s</td></tr>\n", code ? "</code>" : "");
}

static void window_row(FILE *out, const struct report *r)
{
	char d[32];
	fputs("<tr><th>Deploy window</th><td>", out);
	if (r->window_ms <= 0) {
		fputs("<span class=\"mute\">none</span></td></tr>\n", out);
		return;
	}
	report_duration_text(r->window_ms, d, sizeof(d));
	fprintf(out, "%s from ", d);
	if (r->window_starts_at[0]) {
		fputs("the start of ", out);
		report_html_section_ref(out, r, r->window_starts_at);
	} else {
		fputs("the run's start", out);
	}
	if (!r->window_started_us) {
		fputs("; not begun</td></tr>\n", out);
		return;
	}
	int64_t closes = report_us_after(r->window_started_us, r->window_ms);
	fputs(": ", out);
	report_html_time(out, r->window_started_us);
	fputs(" to ", out);
	report_html_time(out, closes);
	int64_t end = r->ended_us ? r->ended_us : r->generated_us;
	if (end > closes) {
		report_duration_text((end - closes) / 1000, d, sizeof(d));
		fprintf(out, " \xc2\xb7 <b class=\"bad\">%s the window by %s</b>", r->ended_us ? "the run ended after"
			: "open past", d);
	} else if (r->ended_us) {
		fputs(" \xc2\xb7 <span class=\"ok\">the run ended within it</span>", out);
	}
	fputs("</td></tr>\n", out);
}

static void variables(FILE *out, const struct report *r)
{
	fputs("<h3>Variables</h3>\n", out);
	if (r->n_variables == 0) {
		fputs("<p class=\"mute\">None.</p>\n", out);
		return;
	}
	fputs("<table class=\"variables\"><thead><tr><th>Name</th><th>Value</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < r->n_variables; i++) {
		fputs("<tr><td><code>", out);
		report_html_esc(out, r->variables[i].name);
		fputs("</code></td><td>", out);
		/* a secret's value is never in the model; say so rather than echo it */
		if (r->variables[i].secret)
			fputs("<code>***</code> <span class=\"mute\">(secret)</span>", out);
		else
			report_html_esc(out, r->variables[i].value);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

static void summary(FILE *out, const struct report *r)
{
	char d[32];
	fputs("<section id=\"summary\">\n<h2>Summary</h2>\n<table class=\"kv\"><tbody>\n", out);
	kv_row(out, "Checklist", r->checklist_title, false);
	kv_row(out, "Checklist id", r->checklist_id, true);
	kv_row(out, "Checklist SHA-256", r->checklist_sha256, true);
	kv_row(out, "Run id", r->run_id, true);
	kv_row(out, "Run title", r->title, false);
	fputs("<tr><th>State</th><td>", out);
	report_html_badge(out, "st-", r->state, r->state);
	if (strcmp(r->state, "aborted") == 0) {
		fputs(" by ", out);
		report_html_esc(out, r->aborted_by);
		fputs(": <span class=\"text\">", out);
		report_html_esc(out, r->abort_reason);
		fputs("</span>", out);
	} else if (r->current_section && r->current_section[0]) {
		fputs(" \xc2\xb7 next: ", out);
		report_html_section_ref(out, r, r->current_section);
	}
	fputs("</td></tr>\n<tr><th>Started</th><td>", out);
	report_html_time(out, r->started_us);
	fputs(" by ", out);
	report_html_esc(out, r->started_by);
	fputs("</td></tr>\n<tr><th>Ended</th><td>", out);
	if (r->ended_us) {
		report_html_time(out, r->ended_us);
		report_duration_text((r->ended_us - r->started_us) / 1000, d, sizeof(d));
		fprintf(out, " (%s after the start)", d);
	} else {
		fputs("<span class=\"mute\">not ended</span>", out);
	}
	fputs("</td></tr>\n", out);
	window_row(out, r);
	fprintf(out, "<tr><th>Record</th><td>%" PRId64 " events \xc2\xb7 head <code>%.16s\xe2\x80\xa6</code> \xc2\xb7 ",
		r->events, r->head);
	fputs(r->verified ? "<span class=\"ok\">verified at export</span>"
			  : "<b class=\"bad\">NOT VERIFIED at export</b>", out);
	fputs(" (<a href=\"#audit-anchor\">audit anchor</a>)</td></tr>\n", out);
	fputs("</tbody></table>\n", out);
	variables(out, r);
	fputs("</section>\n", out);
}

/* The sections at a glance, under the timeline: the numbers it draws. */
static void glance(FILE *out, const struct report *r)
{
	fputs("<table class=\"glance\"><thead><tr><th>Section</th><th>Phase</th><th>Gate</th><th>Items passed</th>"
		"<th>Estimate</th><th>Actual</th><th>Approvals</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < r->n_sections; i++) {
		const struct report_section *sec = &r->sections[i];
		size_t passed = 0, approvals = 0;
		for (size_t k = 0; k < sec->n_items; k++)
			passed += strcmp(sec->items[k].verdict, "pass") == 0;
		for (size_t k = 0; k < sec->n_signatures; k++)
			approvals += sec->signatures[k].counted;
		struct report_html_durations dur;
		report_html_durations(sec, &dur);
		fputs("<tr><td>", out);
		report_html_section_ref(out, r, sec->id);
		fputs(" ", out);
		report_html_esc(out, sec->title);
		fputs("</td><td>", out);
		report_html_esc(out, sec->phase);
		fputs("</td><td>", out);
		report_html_badge(out, "", report_html_gate_class(sec->gate), sec->gate);
		fprintf(out, "</td><td class=\"num\">%zu / %zu</td><td class=\"num\">", passed, sec->n_items);
		if (sec->estimate_hi_ms > 0 && sec->estimate_lo_ms != sec->estimate_hi_ms)
			fprintf(out, "%s\xe2\x80\x93%s", dur.lo, dur.hi);
		else if (sec->estimate_hi_ms > 0)
			fputs(dur.hi, out);
		else
			fputs("\xe2\x80\x94", out);
		bool over = sec->estimate_hi_ms > 0 && sec->actual_ms > sec->estimate_hi_ms;
		fprintf(out, "</td><td class=\"num%s\">%s%s</td><td class=\"num\">%zu / %d</td></tr>\n", over ? " bad" : "",
			sec->actual_ms >= 0 ? dur.act : "\xe2\x80\x94", over ? " (over)" : "", approvals, sec->signoffs_required);
	}
	fputs("</tbody></table>\n", out);
}

static void timeline(FILE *out, const struct report *r)
{
	fputs("<section id=\"timeline\" class=\"timeline\">\n<h2>Timeline</h2>\n", out);
	report_html_timeline(out, r);
	glance(out, r);
	fputs("</section>\n", out);
}

bool report_write_html(const struct report *r, FILE *out)
{
	head(out, r);
	fputs("<main>\n", out);
	warnings(out, r);
	summary(out, r);
	timeline(out, r);
	report_html_sections(out, r);
	report_html_signoffs(out, r);
	report_html_exceptions(out, r);
	report_html_anchor(out, r);
	fputs("</main>\n<footer>Generated ", out);
	report_html_time(out, r->generated_us);
	fputs(" by ", out);
	report_html_esc(out, r->generator);
	fputs(". Every time is UTC. Secret values are shown as ***.</footer>\n</body>\n</html>\n", out);
	return fflush(out) == 0 && !ferror(out);
}
