/* The completion report of one run (docs/report-format.md): one model, built from
 * a loaded session, and four renderings of it (Markdown, JSON, HTML, JUnit
 * XML). Every string in the model is owned by the model and is UTF-8
 * without terminal control bytes (multi-line text keeps its newlines and
 * tabs); secrets appear only as "***", as the record holds them.
 * docs/report-format.md describes the JSON rendering field by field. */
#ifndef COUNTERSIGN_REPORT_H
#define COUNTERSIGN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "countersign/event.h"

struct session;
struct checklist_policy;

/* A section's sign-off policy in words ("needs 1 approval · role dba ·
 * independent · performed by who ran it"; "needs no signature" for a count
 * of 0), the same in reports, status and the sign dialog. Caller frees. */
char *report_policy_text(const struct checklist_policy *p);
/* ROLES joined by ", " ("" when N is 0). Caller frees. */
char *report_roles_text(const char *const *roles, size_t n);

enum report_format { REPORT_MD, REPORT_JSON, REPORT_HTML, REPORT_JUNIT };

/* "md", "json", "html", "junit" -> *OUT; false for anything else. */
bool report_format_parse(const char *name, enum report_format *out);
const char *report_format_name(enum report_format f);

/* One signature of a section, in the order recorded. */
struct report_signature {
	char *section;                  /* the section's id */
	char *engineer, *full_name;     /* full_name: as registered ("" when unknown) */
	char *meaning;                  /* "performed", "reviewed", "approved" or "rejected" (records made
	                                   before meanings said "approve"/"reject": approved/rejected) */
	char **roles;                   /* the roles the signer held when signing (none in older records) */
	size_t n_roles;
	char *comment;                  /* "" when none */
	char *os_user, *host, *tty;
	int64_t time_us, seq;
	char digest[EVENT_HASH_HEX];    /* the evidence signed */
	bool stale;                     /* signed other evidence than the current */
	bool superseded;                /* the same engineer signed the current evidence again */
	bool counted;                   /* counts toward the gate under the section's policy */
	bool performs;                  /* the performed signature the section's policy needs */
};

struct report_item {
	char *id, *title, *kind;        /* kind: checklist_item_kind_name() */
	bool required;
	char *verdict;                  /* engine_verdict_name() of the verdict the gate counts */
	char *checked;                  /* the verdict before a waiver ("" when not waived) */
	int attempts;
	int64_t started_us, finished_us;/* of the counted attempt; 0 when none */
	int64_t duration_ms;            /* -1 when unknown */
	int exit_status;                /* -1 when none (not a command, or killed) */
	int http_status;                /* 0 when none */
	char *message;                  /* the verdict's message ("" when none) */
	char *actor;                    /* who gave the counted verdict ("" when none) */
	char *value;                    /* a value attested ("" when none) */
	char *excerpt;                  /* the end of the recorded output, sanitised for display, at most
	                                   REPORT_EXCERPT_BYTES ("" when none) */
	int64_t output_bytes;           /* the whole stream's size; -1 when no output was recorded */
	int64_t output_omitted;         /* bytes of the middle the record left out (0: none) */
	char *output_sha256;            /* "" when none */
	int rechecks;                   /* re-checks after the gate passed that kept it */
};

/* The output excerpt an item carries: the last lines of its recorded output,
 * up to this many bytes. */
#define REPORT_EXCERPT_BYTES 4096

struct report_section {
	char *id, *title, *phase;
	char *gate;                     /* "passed", "FORCED", "open", "locked", "not chosen", or
	                                   "ungated" for a section without a gate */
	int signoffs_required;
	/* The sign-off policy (ungated: count 0, nothing else): what counted
	 * signatures mean, the roles they must cover, whether those who did the
	 * work are excluded, whether a "performed" signature is needed. */
	char *policy;                   /* in words (report_policy_text); "" when ungated */
	char *policy_meaning;           /* "approved" or "reviewed" */
	char **policy_roles;
	size_t n_policy_roles;
	bool policy_independent, policy_performed;
	int64_t estimate_lo_ms, estimate_hi_ms; /* 0 when not planned */
	int64_t first_us, passed_us;    /* first activity; when its gate passed (0: not) */
	int64_t actual_ms;              /* passed_us - first_us, or -1 when not both */
	char digest[EVENT_HASH_HEX];    /* the section's current evidence: a signature of another is stale */
	struct report_item *items;
	size_t n_items;
	struct report_signature *signatures;
	size_t n_signatures;
	/* Both approving signatures came from one OS user on one tty: the two
	 * people may have been one. The text says who and where. NULL: no. */
	char *same_origin_warning;
};

/* A waiver, a rejection, an override, a note or a failed PIN attempt, in
 * record order. */
struct report_waiver {
	char *target, *engineer, *reason;
	int64_t time_us;
};
struct report_override {
	char *section, *engineer_a, *engineer_b, *reason, *incident;
	int64_t time_us;
};
struct report_note {
	char *target, *engineer, *text; /* target "" for the run */
	int64_t time_us;
};
struct report_pin_failure {
	char *engineer, *command, *os_user, *host, *tty;
	bool lockout;                   /* this failure locked the engineer out */
	int64_t time_us;
};

struct report_variable {
	char *name, *value;             /* a secret's value is "***" */
	bool secret;
};

struct report {
	/* the checklist */
	char *checklist_title, *checklist_id, *checklist_sha256;
	/* the run */
	char *run_id, *title, *state;   /* state: engine_run_status_name() */
	int64_t started_us, ended_us;   /* ended_us 0 while open */
	char *abort_reason, *aborted_by;/* "" unless aborted */
	char *started_by;
	char *current_section;          /* an open run: the section to work on next ("" when none) */
	struct report_variable *variables;
	size_t n_variables;
	int64_t window_ms;              /* 0: no deploy window */
	int64_t window_started_us;      /* 0 while its starting section has not begun */
	char *window_starts_at;         /* "" for the run's start */
	struct report_section *sections;
	size_t n_sections;
	struct report_signature *rejections; /* copies of every reject signature, stale ones too */
	size_t n_rejections;
	struct report_waiver *waivers;
	size_t n_waivers;
	struct report_override *overrides;
	size_t n_overrides;
	struct report_note *notes;
	size_t n_notes;
	struct report_pin_failure *pin_failures; /* the failed PINs of the run: those naming it, and in
	                                            older records its engineers' during it
	                                            (docs/report-format.md) */
	size_t n_pin_failures;
	/* the audit anchor */
	int64_t events;                 /* events in the run's chain */
	char head[EVENT_HASH_HEX];      /* hash of its last event */
	bool verified;                  /* the chain verified at export time */
	char *verify_message;           /* "ok: N events, head H" or what is wrong */
	/* The record's checkpoint at export (checkpoint.h text: the registry,
	 * the engineers chain and this run's chain), to keep outside the
	 * database for verify --checkpoint; "" when the run's chain does not
	 * verify or the record gave none (an older record not yet brought up
	 * to date, read only). */
	char *checkpoint;
	int64_t generated_us;
	char *generator;                /* "countersign VERSION" */
};

/* Builds the report of the run loaded in S (session_load_run), verifying
 * its chain now. It describes the events the engine has folded, even when
 * another process has recorded more since (the anchor is the last of them).
 * Returns NULL with a malloc'd reason in *ERR (caller frees) when the record
 * cannot be read. Free with report_destroy. */
struct report *report_build(struct session *s, char **err);
void report_destroy(struct report *r);

/* Writes R as FORMAT to OUT. Returns false (with errno set by stdio) when
 * writing failed. */
bool report_write(const struct report *r, enum report_format format, FILE *out);

/* Builds and writes the report of S's run to PATH (NULL or "-": standard
 * output) as FORMAT. A file is written beside PATH, flushed to disk and
 * renamed over it when complete, so a failure never leaves half a report
 * (nor destroys an older one). Returns CS_OK; CS_REFUSED when the
 * report was written but the run's chain does not verify (the report says
 * so); CS_ENV when the record could not be read or PATH written. On
 * anything but CS_OK, *ERR (caller frees) says what was wrong. */
int report_export(struct session *s, enum report_format format, const char *path, char **err);

#endif
