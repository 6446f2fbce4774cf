/* The parts of the HTML report (report_html*.c): what the document
 * (report_html.c) takes from its style sheet, its timeline and its tables.
 * Private to src/report/. */
#ifndef COUNTERSIGN_REPORT_HTML_H
#define COUNTERSIGN_REPORT_HTML_H

#include <stdint.h>
#include <stdio.h>

#include "countersign/report.h"

/* The style sheet, screen and print, inlined in <style> (a static string). */
extern const char report_html_css[];

/* Writes the timeline of R's sections as inline SVG: per section its
 * planned estimate (low to high) beside its actual span, on one time axis
 * from the run's start, with the end of the deploy window. */
void report_html_timeline(FILE *out, const struct report *r);

/* Every section with its gate, override, signatures and items, each item
 * with its evidence in a <details> block (report_html_sections.c). */
void report_html_sections(FILE *out, const struct report *r);

/* The tables after the sections: sign-offs (id "signoffs"), rejections,
 * waivers, overrides, notes, failed PIN attempts and the audit anchor. */
void report_html_signoffs(FILE *out, const struct report *r);
void report_html_exceptions(FILE *out, const struct report *r);
void report_html_anchor(FILE *out, const struct report *r);

/* Shared helpers (report_html.c): S escaped as text or as an attribute
 * value; T_US as "2026-11-26 19:00:00 UTC", a dash for 0. */
void report_html_esc(FILE *out, const char *s);
void report_html_attr(FILE *out, const char *s);
void report_html_time(FILE *out, int64_t t_us);
/* A section's estimate (low, high) and actual span as report_duration_text
 * writes them, filled by report_html_durations. */
struct report_html_durations {
	char lo[32], hi[32], act[32];
};
void report_html_durations(const struct report_section *sec, struct report_html_durations *d);
/* TARGET ("SECTION", "SECTION/ITEM", "" for the run) as a link to where
 * the report shows it, or as text when the report has no such place. */
void report_html_section_ref(FILE *out, const struct report *r, const char *target);
/* A badge <span class="badge PREFIX+CLS"> saying TEXT. */
void report_html_badge(FILE *out, const char *cls_prefix, const char *cls, const char *text);
/* The class of gate result GATE ("not chosen" has a space): "g-passed"... */
const char *report_html_gate_class(const char *gate);

#endif
