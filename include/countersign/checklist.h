/* The checklist model and its loader (format version 1, docs/checklist-format.md). */
#ifndef COUNTERSIGN_CHECKLIST_H
#define COUNTERSIGN_CHECKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "countersign/diag.h"

#define CHECKLIST_FORMAT_VERSION 1
/* Larger files are refused before parsing: no runbook needs more. */
#define CHECKLIST_MAX_BYTES (4u * 1024u * 1024u)
/* Deeper nesting is refused before parsing: the format needs 6 levels. */
#define CHECKLIST_MAX_DEPTH 32

enum checklist_item_kind { ITEM_COMMAND, ITEM_HTTP, ITEM_PROMETHEUS, ITEM_WAIT, ITEM_MANUAL };
enum checklist_prom_compare { PROM_BELOW, PROM_ABOVE, PROM_BETWEEN };
enum checklist_prom_no_data { NO_DATA_FAIL, NO_DATA_PASS, NO_DATA_INCONCLUSIVE };
enum checklist_prom_reduce { REDUCE_NONE, REDUCE_MAX, REDUCE_MIN, REDUCE_SUM, REDUCE_AVG };
enum checklist_notify_format { NOTIFY_SLACK, NOTIFY_JSON };

/* Events a notify entry may subscribe to; bit i of a mask is event i. */
enum checklist_notify_event {
	NOTIFY_RUN_STARTED, NOTIFY_RUN_COMPLETED, NOTIFY_RUN_ABORTED,
	NOTIFY_CHECK_PASSED, NOTIFY_CHECK_FAILED, NOTIFY_SIGNOFF, NOTIFY_REJECTION,
	NOTIFY_GATE_PASSED, NOTIFY_OVERRIDE, NOTIFY_WAIVER, NOTIFY_CHOICE, NOTIFY_NOTE,
	NOTIFY_GATE_REOPENED,
	NOTIFY_CHECKPOINT, /* a run completed: the record's checkpoint (checkpoint.h) */
	NOTIFY_GATE_WAITING, /* a section's items passed signoff_within ago and its gate is not signed */
	NOTIFY_EVENT_COUNT
};

struct checklist_kv {
	char *key, *value;
};

struct checklist_kv_list {
	struct checklist_kv *items;
	size_t count;
};

/* A scalar expected at a dotted JSON path of an HTTP response. */
enum checklist_json_scalar_type { SCALAR_STRING, SCALAR_NUMBER, SCALAR_BOOL, SCALAR_NULL };
struct checklist_json_expect {
	char *path;
	enum checklist_json_scalar_type type;
	char *string;
	double number;
	bool boolean;
};

struct checklist_variable {
	char *name, *prompt, *default_value, *pattern;
	bool secret;
};

struct checklist_item {
	char *id, *title, *description, *expect;
	enum checklist_item_kind kind;
	bool required, waivable, confirm, interactive;
	bool attest_value;   /* "attest_value": "prompt": an attestation records a value read by the engineer */
	char **details;
	size_t n_details;
	int64_t estimate_lo_ms, estimate_hi_ms; /* 0 when not given */
	int64_t timeout_ms;                     /* 0: the kind's or the checklist's default */
	char *cwd;
	struct checklist_kv_list env;
	/* command */
	char *run;
	char *expect_output, *fail_output;
	/* http and prometheus */
	char *url;
	/* http */
	char *method;
	struct checklist_kv_list headers;
	char *body;          /* JSON bodies are kept serialised */
	bool body_is_json;
	int *expect_status;  /* exact codes; empty with status_class 0 means 2xx */
	size_t n_expect_status;
	int status_class;    /* 2 for "2xx", 0 when codes are listed */
	struct checklist_json_expect *expect_json;
	size_t n_expect_json;
	char *expect_body;
	int64_t max_latency_ms;
	int retries;
	int64_t interval_ms;
	bool insecure;
	/* prometheus */
	char *query;
	enum checklist_prom_compare compare;
	double lo, hi;       /* below: hi; above: lo; between: both */
	int samples, max_failures;
	enum checklist_prom_no_data no_data;
	enum checklist_prom_reduce reduce;
	/* wait */
	int64_t duration_ms;
	char **after;        /* ids of earlier items of the section it follows; NULL (absent): every earlier
	                        required item; empty: none */
	size_t n_after;
	int line, col;
};

/* What a signature says (21 CFR Part 11 section 11.50): the work was
 * done by the signer, reviewed, approved, or rejected. */
enum checklist_meaning { MEANING_PERFORMED, MEANING_REVIEWED, MEANING_APPROVED, MEANING_REJECTED };
#define CHECKLIST_MEANING_COUNT 4
/* "performed", "reviewed", "approved", "rejected" (static text). */
const char *checklist_meaning_name(enum checklist_meaning m);
/* Parses a meaning; also the names records made before meanings existed
 * used ("approve", "reject"). False when NAME is none of them. */
bool checklist_meaning_parse(const char *name, enum checklist_meaning *out);

/* Whether ROLE is a valid role name: ^[a-z][a-z0-9_-]{0,31}$ (the
 * checklist's policy roles and the roles engineers are granted). */
bool checklist_role_valid(const char *role);

/* Who may sign a section's gate ("signoffs": a number, or an object). */
struct checklist_policy {
	int count;                 /* distinct engineers whose counted signatures the gate needs */
	char **roles;              /* each held by at least one counted signer; NULL when none */
	size_t n_roles;
	bool independent;          /* no one who ran, attested or waived an item of the section counts */
	bool performed;            /* also a current "performed" signature by one who did that work */
	enum checklist_meaning meaning; /* what counted signatures mean: MEANING_APPROVED or MEANING_REVIEWED */
};

struct checklist_section {
	char *id, *title, *phase, *description, *choice;
	char *rollback_for;  /* a rollback section: the id of the section it rolls back, or NULL */
	int64_t estimate_lo_ms, estimate_hi_ms;
	int signoffs;        /* policy.count, kept for the many readers of the number */
	struct checklist_policy policy; /* the section's own, or the checklist's default */
	int64_t signoff_within_ms; /* 0: none; after the items pass, the gate is waited for this long */
	bool gate, always_open;
	struct checklist_item *items;
	size_t n_items;
	int line, col;
};

/* A webhook (url), or a file that checkpoints are appended to (file):
 * exactly one of the two is set; both may hold ${NAME}. */
struct checklist_notify {
	char *url;
	char *file;
	enum checklist_notify_format format;
	unsigned events; /* mask of 1u << enum checklist_notify_event */
};

struct checklist {
	int version;
	char *id, *title, *description;
	struct checklist_variable *variables;
	size_t n_variables;
	char **environment;  /* "environment": names runs take from the environment, not declared as variables */
	size_t n_environment;
	char *shell, *cwd;
	int64_t timeout_ms;
	struct checklist_kv_list env;
	int64_t window_ms;   /* 0 when no window */
	char *window_starts_at; /* the section whose start starts the window; NULL: the run's start */
	struct checklist_notify *notify;
	size_t n_notify;
	struct checklist_section *sections;
	size_t n_sections;
	char *path;          /* as given to the loader */
	char *dir;           /* folder of the file; relative cwds start here */
	char *text;          /* the exact bytes loaded, NUL-terminated */
	size_t text_len;
};

/* Reads and validates PATH. Diagnostics go to DIAGS (initialised by the
 * caller). Returns the checklist (caller destroys) when there was no error,
 * NULL otherwise; warnings alone still give a checklist. */
struct checklist *checklist_load_file(const char *path, struct diag_list *diags);

/* The same over TEXT of LEN bytes, which is copied; NAME is used for relative
 * paths and messages. */
struct checklist *checklist_load_text(const char *name, const char *text, size_t len,
	struct diag_list *diags);

void checklist_destroy(struct checklist *cl);

/* Lookups by id; NULL when absent. */
struct checklist_section *checklist_section(const struct checklist *cl, const char *id);
struct checklist_item *checklist_section_item(const struct checklist_section *s, const char *id);
const struct checklist_variable *checklist_variable(const struct checklist *cl, const char *name);

const char *checklist_item_kind_name(enum checklist_item_kind kind);
const char *checklist_notify_event_name(enum checklist_notify_event ev);
/* Returns the event for NAME or -1. */
int checklist_notify_event_parse(const char *name);
/* Where notify entry N delivers, as written (${NAME} unexpanded): its url,
 * or for a file entry its file. */
const char *checklist_notify_target(const struct checklist_notify *n);

#endif
