/* What the report module's files share: the four renderings report_write
 * dispatches to, and the few helpers every rendering uses so that the four
 * say the same thing the same way. Private to src/report/.
 *
 * The model a renderer gets (include/countersign/report.h) is complete and
 * already safe: every string is UTF-8 without terminal control bytes
 * (newlines and tabs are kept in multi-line text: comments, reasons, notes,
 * excerpts), secrets are "***", and nothing is NULL that the header does not
 * say may be. A renderer only escapes for its own format. */
#ifndef COUNTERSIGN_REPORT_INTERNAL_H
#define COUNTERSIGN_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "countersign/report.h"

/* Each writes R to OUT in its format (src/report/report_FORMAT.c). Returns
 * false when a write failed (errno as stdio left it); OUT is not closed. */
bool report_write_md(const struct report *r, FILE *out);
bool report_write_json(const struct report *r, FILE *out);
bool report_write_html(const struct report *r, FILE *out);
bool report_write_junit(const struct report *r, FILE *out);

/* Big enough for report_time_text and report_time_iso. */
#define REPORT_TIME_SIZE 40

/* T_US as "2026-11-26 19:00:00 UTC" (for people) into BUF; "" when T_US is 0. */
void report_time_text(int64_t t_us, char *buf, size_t size);
/* T_US as "2026-11-26T19:00:00Z" (RFC 3339, UTC, whole seconds) into BUF;
 * "" when T_US is 0. JUnit's timestamp is its first 19 characters. */
void report_time_iso(int64_t t_us, char *buf, size_t size);
/* MS as "1h2m3s", "4m", "850ms" (the checklist format's notation) into
 * BUF; "-" when MS is negative (unknown). */
void report_duration_text(int64_t ms, char *buf, size_t size);

/* T_US plus MS milliseconds, INT64_MAX when the sum is beyond it: a
 * checklist's estimate or window may be longer than 64 bits of
 * microseconds (lint takes 600000000000h). */
int64_t report_us_after(int64_t t_us, int64_t ms);

/* The latest waiver of item SECTION/ITEM, or NULL (borrowed from R). */
const struct report_waiver *report_waiver_of(const struct report *r, const char *section, const char *item);
/* The latest override of SECTION, or NULL (borrowed from R). */
const struct report_override *report_override_of(const struct report *r, const char *section);
/* True for a verdict that says the check did not pass: fail, error,
 * no_data, timeout, cancelled. */
bool report_verdict_failed(const char *verdict);
/* Whether signature SO counts, in one word: "STALE", "superseded",
 * "counts" (a counted signature, or a rejection that stands), "does not
 * count" (the meaning the gate counts, kept out by its policy), or
 * "recorded" (another meaning: on the record, not counted). POLICY_MEANING
 * is its section's (rs->policy_meaning). Static text. */
const char *report_signature_status(const struct report_signature *so, const char *policy_meaning);
/* Whether SO is a rejection. */
bool report_signature_rejects(const struct report_signature *so);

/* How a reader checks the audit anchor later:
 * "countersign verify RUN --anchor HEAD", malloc'd (caller frees). */
char *report_verify_command(const struct report *r);

#endif
