/* What the two files of the Markdown rendering share (report_md.c: the
 * cells and the summary; report_md_sections.c: the sections and the record's
 * exceptions). Private to src/report/. */
#ifndef COUNTERSIGN_REPORT_MD_H
#define COUNTERSIGN_REPORT_MD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "countersign/util.h"
#include "report/report_internal.h"

/* Appends S escaped for Markdown: characters that would start formatting, a
 * link (a bare URL's "://" and "www." too), HTML, an entity or a table cell
 * get a backslash; in a table cell (CELL) a newline is a <br>, elsewhere a
 * space. */
void md_text(struct strbuf *sb, const char *s, bool cell);
/* A table cell " TEXT |" of text from the record, escaped; "-" when empty. */
void md_cell(struct strbuf *sb, const char *s);
/* A cell of text the program writes itself (not escaped); "-" when empty. */
void md_cell_raw(struct strbuf *sb, const char *s);
/* A cell with T_US as UTC time; "-" when 0. */
void md_cell_time(struct strbuf *sb, int64_t t_us);
/* A table's header row and its delimiter row. */
void md_header_row(struct strbuf *sb, const char *const *names, size_t n);
#define MD_HEADER(sb, ...) do { \
		static const char *const names_[] = {__VA_ARGS__}; \
		md_header_row(sb, names_, sizeof(names_) / sizeof(names_[0])); \
	} while (0)
/* A row "| WHAT | VALUE |" of a two-column table; VALUE escaped when ESCAPE. */
void md_summary_row(struct strbuf *sb, const char *what, const char *value, bool escape);
/* TEXT as it is in a fenced block ("text"), its fence longer than any run
 * of backticks in it, so that nothing inside can end the block. */
void md_fenced(struct strbuf *sb, const char *text);
/* A gate's result as the tables show it: FORCED in bold. */
const char *md_gate_mark(const char *gate);

/* report_md_sections.c: one section (gate, items, output excerpts,
 * sign-offs); the rejections, waivers, overrides, notes and wrong PINs. */
void md_section(struct strbuf *sb, const struct report *r, const struct report_section *rs);
void md_record(struct strbuf *sb, const struct report *r);

#endif
