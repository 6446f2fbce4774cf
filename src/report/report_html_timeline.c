/* The HTML report's timeline (report_html.h): one row per section on a time
 * axis from the run's start. A section's planned estimate is drawn from the
 * moment it began (dark to its low end, light to its high end) and its
 * actual span over it, so that an overrun shows as a bar past the band; a
 * dashed line marks the end of the deploy window. Inline SVG, no script. */
#include "report/report_html.h"

#include <inttypes.h>
#include <string.h>

#include "report/report_internal.h"
#include "report/report_markup.h"

enum {
	TL_WIDTH = 960,   /* viewBox units; the image scales to the page */
	TL_LABEL = 250,   /* the labels' column */
	TL_RIGHT = 24,
	TL_TOP = 30,      /* the axis */
	TL_ROW = 24,
	TL_LEGEND = 42,
	TL_LABEL_CHARS = 34,
};

struct axis {
	int64_t t0_us, span_us;
};

static double x_of(const struct axis *a, int64_t t_us)
{
	double f = (double)(t_us - a->t0_us) / (double)a->span_us;
	f = f < 0 ? 0 : f > 1 ? 1 : f;
	return TL_LABEL + f * (TL_WIDTH - TL_LABEL - TL_RIGHT);
}


/* When the section's row starts: its first activity, or (never begun)
 * where the previous row ended, so that a plan still reads in order. */
static int64_t row_start(const struct report_section *sec, int64_t cursor_us)
{
	return sec->first_us ? sec->first_us : cursor_us;
}

/* The latest moment the timeline shows. */
static int64_t timeline_end(const struct report *r)
{
	int64_t end = r->ended_us ? r->ended_us : r->generated_us;
	int64_t cursor = r->started_us;
	for (size_t i = 0; i < r->n_sections; i++) {
		const struct report_section *sec = &r->sections[i];
		int64_t start = row_start(sec, cursor);
		int64_t planned = report_us_after(start, sec->estimate_hi_ms);
		int64_t done = sec->passed_us ? sec->passed_us : start;
		cursor = planned > done ? planned : done;
		if (cursor > end)
			end = cursor;
	}
	if (r->window_ms > 0 && r->window_started_us) {
		int64_t w = report_us_after(r->window_started_us, r->window_ms);
		if (w > end)
			end = w;
	}
	return end;
}

/* A tick step that gives at most about eight ticks over SPAN. */
static int64_t tick_step_ms(int64_t span_ms)
{
	static const int64_t steps[] = {
		1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 900000,
		1800000, 3600000, 7200000, 10800000, 21600000, 43200000, 86400000,
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span_ms / steps[i] <= 8)
			return steps[i];
	return span_ms / 8 + 1;
}

static void axis_ticks(FILE *out, const struct axis *a, double bottom)
{
	int64_t span_ms = a->span_us / 1000, step = tick_step_ms(span_ms);
	fputs("<g class=\"axis\">", out);
	for (int64_t t = 0; t <= span_ms; t += step) {
		double x = x_of(a, a->t0_us + t * 1000);
		char d[32];
		report_duration_text(t, d, sizeof(d));
		fprintf(out, "<line class=\"tick\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">+%s</text>",
			x, TL_TOP - 6, x, bottom, x, TL_TOP - 10, t == 0 ? "0" : d);
	}
	fputs("</g>\n", out);
}

/* The hover text of a row: what the bars say in words. */
static void row_title(FILE *out, const struct report_section *sec)
{
	struct report_html_durations dur;
	report_html_durations(sec, &dur);
	fputs("<title>", out);
	report_html_esc(out, sec->title);
	fputs(" (", out);
	report_html_esc(out, sec->id);
	fprintf(out, "): gate %s; actual %s", sec->gate, dur.act);
	if (sec->estimate_hi_ms > 0)
		fprintf(out, "; estimate %s-%s", dur.lo, dur.hi);
	fputs("</title>", out);
}

static void row(FILE *out, const struct axis *a, const struct report_section *sec, size_t i, int64_t start_us,
	int64_t end_us)
{
	double y = TL_TOP + (double)i * TL_ROW, bar = y + 5, h = TL_ROW - 10;
	fprintf(out, "<g class=\"row\">");
	row_title(out, sec);
	/* the label, cut to fit its column; the hover text has it whole */
	size_t cut = report_markup_prefix(sec->title, TL_LABEL_CHARS);
	fprintf(out, "<text x=\"6\" y=\"%.1f\">", y + TL_ROW / 2.0 + 4);
	report_markup_textn(out, sec->title, cut, 0);
	if (sec->title[cut])
		fputs("\xe2\x80\xa6", out); /* … */
	fputs("</text>", out);
	double x0 = x_of(a, start_us);
	if (sec->estimate_hi_ms > 0) {
		fprintf(out, "<rect class=\"est-hi\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", x0,
			bar, x_of(a, report_us_after(start_us, sec->estimate_hi_ms)) - x0, h);
		fprintf(out, "<rect class=\"est-lo\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", x0,
			bar, x_of(a, report_us_after(start_us, sec->estimate_lo_ms)) - x0, h);
	}
	double ay = bar + h / 4, ah = h / 2;
	if (sec->first_us && sec->passed_us) {
		const char *cls = strcmp(sec->gate, "FORCED") == 0 ? "act-FORCED" : "act-passed";
		double w = x_of(a, sec->passed_us) - x0;
		fprintf(out, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", cls, x0, ay,
			w < 1.5 ? 1.5 : w, ah);
	} else if (sec->first_us) {
		/* begun, never passed: up to the run's end (or now) */
		double w = x_of(a, end_us) - x0;
		fprintf(out, "<rect class=\"act-running\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", x0,
			ay, w < 1.5 ? 1.5 : w, ah);
	} else if (strcmp(sec->gate, "not chosen") == 0 || sec->estimate_hi_ms <= 0) {
		fprintf(out, "<text class=\"mute\" x=\"%.1f\" y=\"%.1f\">%s</text>", x0 + 4, y + TL_ROW / 2.0 + 4,
			strcmp(sec->gate, "not chosen") == 0 ? "not chosen" : "not begun");
	}
	fputs("</g>\n", out);
}

static void legend(FILE *out, double y)
{
	static const struct {
		const char *cls, *text;
	} keys[] = {
		{"est-lo", "estimate (low)"}, {"est-hi", "estimate (high)"}, {"act-passed", "actual: passed"},
		{"act-FORCED", "actual: FORCED"}, {"act-running", "begun, not passed"},
	};
	double x = TL_LABEL;
	fputs("<g class=\"legend\">", out);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		fprintf(out, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"16\" height=\"10\"/>"
			"<text x=\"%.1f\" y=\"%.1f\">%s</text>", keys[k].cls, x, y, x + 20, y + 9, keys[k].text);
		x += 130;
	}
	fputs("</g>\n", out);
}

void report_html_timeline(FILE *out, const struct report *r)
{
	struct axis a = {.t0_us = r->started_us};
	int64_t end = timeline_end(r);
	a.span_us = end - a.t0_us > 1000000 ? end - a.t0_us : 1000000;
	double bottom = TL_TOP + (double)r->n_sections * TL_ROW;
	double height = bottom + TL_LEGEND;
	fprintf(out, "<svg role=\"img\" aria-labelledby=\"timeline-title\" viewBox=\"0 0 %d %.0f\" "
		"preserveAspectRatio=\"xMinYMin meet\">\n<title id=\"timeline-title\">Timeline of the sections: "
		"planned estimate against actual time, from the run's start</title>\n", TL_WIDTH, height);
	axis_ticks(out, &a, bottom);
	int64_t cursor = r->started_us;
	int64_t run_end = r->ended_us ? r->ended_us : r->generated_us;
	for (size_t i = 0; i < r->n_sections; i++) {
		const struct report_section *sec = &r->sections[i];
		int64_t start = row_start(sec, cursor);
		row(out, &a, sec, i, start, run_end);
		int64_t planned = report_us_after(start, sec->estimate_hi_ms);
		int64_t done = sec->passed_us ? sec->passed_us : start;
		cursor = planned > done ? planned : done;
	}
	if (r->window_ms > 0 && r->window_started_us) {
		double x = x_of(&a, report_us_after(r->window_started_us, r->window_ms));
		fprintf(out, "<line class=\"window\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<text class=\"window-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">window ends</text>\n",
			x, TL_TOP - 4, x, bottom, x - 3, bottom + 13);
	}
	legend(out, bottom + 22);
	fputs("</svg>\n", out);
}
