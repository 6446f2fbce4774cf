/* How the report model is built (report_model*.c): one context shared by
 * the steps, each filling its part of the report. Private to src/report/. */
#ifndef COUNTERSIGN_REPORT_MODEL_INTERNAL_H
#define COUNTERSIGN_REPORT_MODEL_INTERNAL_H

#include <stddef.h>

#include "countersign/event.h"
#include "countersign/report.h"
#include "countersign/session.h"

struct report_ctx {
	struct session *s;
	struct report *r;
	/* The run's chain up to the event the engine's state was folded to,
	 * so that the report, its state and its anchor describe the same
	 * events even while another process records on the run. */
	struct event *evs;
	size_t n_evs;
	struct store_engineer *engs;      /* every registered engineer, by name */
	size_t n_engs;
};

/* A copy of S safe to show anywhere (report.h): one line, or MULTILINE
 * text keeping newlines and tabs; "" for NULL. Caller frees. */
char *report_clean(const char *s);
char *report_clean_text(const char *s);
/* ENGINEER's registered full name, cleaned, or "" (caller frees). */
char *report_full_name(const struct report_ctx *c, const char *engineer);

/* report_model_items.c: every section with its gate, items and signatures,
 * and the copies of the rejections. */
void report_build_sections(struct report_ctx *c);

/* report_model_record.c: waivers, overrides, notes and failed PINs from
 * the record; then the audit anchor, verified now. Each returns a
 * CS_* outcome with *ERR (malloc'd) on failure. */
void report_build_record(struct report_ctx *c);
int report_build_pin_failures(struct report_ctx *c, char **err);
int report_build_anchor(struct report_ctx *c, char **err);

/* Frees what report_build_sections made. */
void report_sections_free(struct report *r);
/* Frees what report_build_record and report_build_pin_failures made. */
void report_record_free(struct report *r);

#endif
