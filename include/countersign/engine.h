/* The gate engine: folds a run's events into its state and answers "what is
 * allowed, and if not, why". Pure: no I/O, no clock (the caller passes now). */
#ifndef COUNTERSIGN_ENGINE_H
#define COUNTERSIGN_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "countersign/checklist.h"
#include "countersign/event.h"

enum engine_verdict {
	VERDICT_PENDING, VERDICT_RUNNING, VERDICT_PASS, VERDICT_FAIL, VERDICT_ERROR,
	VERDICT_NO_DATA, VERDICT_TIMEOUT, VERDICT_CANCELLED, VERDICT_WAIVED,
};
const char *engine_verdict_name(enum engine_verdict v);
/* Returns false when NAME is not a verdict. */
bool engine_verdict_parse(const char *name, enum engine_verdict *out);

struct engine_signoff {
	char *engineer, *comment, *os_user, *host, *tty;
	enum checklist_meaning meaning; /* "approve"/"reject" of older records read as approved/rejected */
	bool approve;                    /* meaning == MEANING_APPROVED */
	char **roles;                    /* the roles the signer held when signing (from the event) */
	size_t n_roles;
	bool counted;                    /* counts toward the gate under the section's policy */
	bool performs;                   /* the current "performed" signature, by one who did the work, that a
	                                    policy with "performed" needs (it is not counted, but it is needed) */
	bool stale;                      /* signed other evidence than the current */
	bool superseded;                 /* the same engineer signed the current evidence again later */
	char digest[EVENT_HASH_HEX];
	int64_t time_us, seq;
};

struct engine_item_state {
	enum engine_verdict verdict;            /* derived: waits pass once their time is up */
	enum engine_verdict checked;            /* the verdict before a waiver */
	int attempts;
	int64_t started_us, finished_us; /* of the latest attempt; 0 when none */
	int64_t wait_until_us;           /* wait items once started */
	char *message;                   /* of the latest verdict, or NULL */
	char *value;                     /* the value recorded by the latest attestation, or NULL */
	char *actor;                     /* who gave the latest verdict */
	int64_t verdict_seq;             /* latest verdict event (started, finished, attested, waived) */
	int64_t verdict_us;              /* when that event was recorded */
	char verdict_hash[EVENT_HASH_HEX];
	char *running_payload;           /* payload of the open check_started, for recovery */
	char *finished_payload;          /* payload of the latest check_finished (evidence, status) */
	bool needs_attestation;          /* interactive ran, or no_data inconclusive */
	bool overdue;                    /* a manual item with a timeout, still not done after it */
	int64_t due_us;                  /* when such an item becomes overdue (0: no timeout, or not open) */
	/* What the gate counts: the latest verdict, except after a re-check of
	 * an item of a section whose gate had passed that did not turn it into
	 * a failure: then still the verdict that was signed. */
	enum engine_verdict gate_verdict;
	int64_t gate_seq;                /* the event of that verdict (0: none) */
	char gate_hash[EVENT_HASH_HEX];
	char *gate_actor, *gate_message; /* who gave the counted verdict, and its message */
	int64_t gate_started_us, gate_finished_us, gate_verdict_us;
	bool rechecking;                 /* a re-check after the gate passed is under way */
	char *recheck_void;              /* a re-check after the gate passed that said nothing (cancelled,
	                                    interrupted): who and when; the counted verdict stands */
	int rechecks;                    /* re-checks after the gate passed that kept it */
	int64_t recheck_us;              /* when the latest of them ended */
	char *recheck_actor;             /* who ran it */
};

enum engine_section_mark {
	MARK_LOCKED, MARK_OPEN, MARK_PASSED, MARK_FAILED, MARK_RUNNING,
	MARK_FORCED, MARK_NOT_CHOSEN, MARK_CHOOSE,  /* a group member awaiting the choice */
};
const char *engine_section_mark_name(enum engine_section_mark m);

struct engine_section_state {
	enum engine_section_mark mark;
	bool locked;
	size_t blocked_by;               /* index of the section whose gate holds this one */
	bool chosen, not_chosen, forced;
	bool gate_passed;                /* by the rules or FORCED */
	int required_done, required_total;
	int approvals;                   /* distinct engineers whose signatures count, current evidence */
	bool policy_met;                 /* roles, independence and "performed" of the policy are satisfied */
	char **executors;                /* who ran, attested or waived an item of the section */
	size_t n_executors;
	char **executor_acts;            /* parallel to executors: what each did first ("ran prep/build") */
	int64_t opened_us;               /* when the section could first be worked on (0: not yet) */
	int64_t items_done_us;           /* since when every required item has passed (0: not all) */
	int64_t waiting_us;              /* items done, gate not passed: for how long (as of refresh) */
	int waiting_notices;             /* gate_waiting notices recorded for the current items_done_us (the highest) */
	bool rejected;                   /* a current rejection stands */
	char digest[EVENT_HASH_HEX];     /* of the current evidence */
	struct engine_signoff *signoffs;        /* in order, stale ones included */
	size_t n_signoffs;
	char *override_reason, *override_incident, *override_by;
	int64_t first_us, passed_us;     /* first activity; when the gate passed */
	bool reopened;                   /* its gate had passed and a re-check that failed reopened it */
	int64_t reopened_us;
	/* For a section already in progress when an earlier gate reopened: that
	 * section (it stays unlocked); (size_t)-1 otherwise. */
	size_t reopened_before;
	/* An override one engineer asked for, waiting for a second engineer's
	 * confirmation until expires_us (active: not yet expired or done). */
	char *pending_by, *pending_reason, *pending_incident;
	int64_t pending_seq, pending_us, pending_expires_us;
	bool pending_active;
	/* The latest gate_waiting event: the items_done_us it was about and the
	 * highest notice recorded for that (waiting_notices is this notice while
	 * items_done_us is still the same). */
	int64_t noticed_done_us;
	int noticed;
};

/* How long a requested override waits for its second engineer. */
#define ENGINE_OVERRIDE_CONFIRM_US (INT64_C(15) * 60 * 1000000)

struct engine_note {
	char *target;   /* "", "SECTION" or "SECTION/ITEM" */
	char *actor, *text;
	int64_t time_us;
};

enum engine_run_status { RUN_OPEN, RUN_COMPLETED, RUN_ABORTED };
const char *engine_run_status_name(enum engine_run_status s);

struct engine;

/* Creates an engine over CL (borrowed: it must outlive the engine). */
struct engine *engine_create(const struct checklist *cl);
void engine_destroy(struct engine *e);

/* Folds one event (in chain order: its seq above every seq folded before,
 * asserted) into the state. Unknown kinds are kept in the count but
 * otherwise ignored, so newer records still load. */
void engine_apply(struct engine *e, const struct event *ev);
/* Recomputes everything derived (waits, gates, locks, marks) as of NOW_US. */
void engine_refresh(struct engine *e, int64_t now_us);

const struct checklist *engine_checklist(const struct engine *e);
enum engine_run_status engine_status(const struct engine *e);
const char *engine_abort_reason(const struct engine *e);
/* Who aborted the run (borrowed), or NULL. */
const char *engine_abort_actor(const struct engine *e);
int64_t engine_started_us(const struct engine *e);
int64_t engine_ended_us(const struct engine *e);
/* When the deploy window's clock started: the run's start, or, with
 * window.starts_at, the first activity in that section; 0 while that
 * section has not begun. */
int64_t engine_window_started_us(const struct engine *e);
int64_t engine_last_seq(const struct engine *e);
/* The run's variables as recorded (JSON object text, secrets as "***"), borrowed. */
const char *engine_variables_json(const struct engine *e);
/* The state of section S, or of item I of it (borrowed: as long as the
 * engine lives; folding and refreshing change it). The indexes must exist
 * in the checklist (asserted); without asserts, NULL when they do not. */
const struct engine_section_state *engine_section(const struct engine *e, size_t s);
const struct engine_item_state *engine_item(const struct engine *e, size_t s, size_t i);
/* Every note of the run, oldest first (borrowed). */
const struct engine_note *engine_notes(const struct engine *e, size_t *n);
/* True when every gated section that counts (not always_open, not "not
 * chosen") has passed: the run may be completed. */
bool engine_all_gates_passed(const struct engine *e);
/* The section operators should work on next: the first open gated section
 * that has not passed, or (size_t)-1. */
size_t engine_current_section(const struct engine *e);

/* Permission checks. Each returns true when allowed; otherwise false with a
 * malloc'd explanation in *WHY (caller frees; WHY may be NULL) naming what
 * blocks it. S and I must exist in the checklist (asserted). */
bool engine_can_check(const struct engine *e, size_t s, size_t i, char **why);
bool engine_can_attest(const struct engine *e, size_t s, size_t i, char **why);
bool engine_can_waive(const struct engine *e, size_t s, size_t i, char **why);
bool engine_can_choose(const struct engine *e, size_t s, char **why);
/* The registered engineers and their roles, as the record says now (for
 * the rules that need roles, and to name who could sign). */
struct engine_person {
	const char *name;
	const char *const *roles;
	size_t n_roles;
};
struct engine_roster {
	const struct engine_person *people;
	size_t n;
};
/* ENGINEER may give a signature of MEANING to section S. ROSTER (NULL:
 * nobody holds a role) gives ENGINEER's roles and, in a refusal by the
 * section's policy, who could sign instead ("needs an approver with role
 * dba who did not run items of this section: carol, dave"). */
bool engine_can_sign(const struct engine *e, size_t s, const char *engineer, enum checklist_meaning meaning,
	const struct engine_roster *roster, char **why);
/* What section S's gate still needs, in words ("1 more approval, by an
 * engineer with role dba who did not run its items: carol, dave"), or NULL
 * when nothing (passed, ungated, or only its items are missing). Caller frees. */
char *engine_gate_needs(const struct engine *e, size_t s, const struct engine_roster *roster);
bool engine_can_override(const struct engine *e, size_t s, char **why);
/* An override of S may be asked for: it could be overridden, and no other
 * request waits for its confirmation (a second one would silently replace
 * the first's reason and incident). */
bool engine_can_request_override(const struct engine *e, size_t s, char **why);
/* ENGINEER may confirm the override another engineer requested for S. */
bool engine_can_confirm_override(const struct engine *e, size_t s, const char *engineer, char **why);
bool engine_can_note(const struct engine *e, char **why);
/* A started wait may be cancelled (recorded as check_finished "cancelled"). */
bool engine_can_cancel_wait(const struct engine *e, size_t s, size_t i, char **why);
bool engine_can_abort(const struct engine *e, char **why);

#endif
