/* Shared by the verifier's source files only (store_verify*.c): what one
 * verification keeps while it walks the chains, and the checks each file
 * contributes. The order and the rules are in docs/record.md, Verification. */
#ifndef COUNTERSIGN_STORE_VERIFY_INTERNAL_H
#define COUNTERSIGN_STORE_VERIFY_INTERNAL_H

#include "store_internal.h"

#include <stdbool.h>
#include <stdint.h>

#include "countersign/sign.h"
#include "countersign/util.h"

struct cJSON;
struct checklist;
struct engine;

/* Hashes in messages are cut to this many hex digits, enough to find them. */
#define VERIFY_SHORT_HASH 12

/* One key of an engineer, as the engineers chain gives it. */
struct verify_key {
	char pub[SIGN_KEY_HEX];
	struct sign_params params;
	int64_t seq;       /* the engineers event that introduced it */
	/* What that event says of the record then (its "heads"; has_since
	 * false when it carries none): the registry chain's last seq and each
	 * open run's ({RUN: seq}, owned). */
	bool has_since;
	int64_t since_registry;
	struct cJSON *since_runs;
	int64_t until_seq; /* the key_rotated that replaced it, 0 while current */
	/* What that key_rotated says of the record then: the registry chain's
	 * last seq and each open run's ({RUN: seq}, owned; NULL while current). */
	int64_t until_registry;
	struct cJSON *until_runs;
};

/* One holding of a role, from its role_granted to its role_removed. */
struct verify_role {
	char *role;
	int64_t granted_seq;     /* the role_granted event of the engineers chain */
	int64_t granted_registry; /* its heads: the registry's last seq, each open run's ({RUN: seq}, owned) */
	struct cJSON *granted_runs;
	int64_t removed_seq;     /* the role_removed that ended it, 0 while held */
	int64_t removed_registry;
	struct cJSON *removed_runs;
};

/* An engineer folded from the engineers chain. */
struct verify_engineer {
	char *name, *full_name;
	int64_t added_seq;
	struct verify_key *keys; /* oldest first; the last is current unless replaced */
	size_t n_keys;
	struct verify_role *roles; /* in the order granted */
	size_t n_roles;
};

/* What the registry chain says of one run. */
struct verify_reg_run {
	char *run;
	int n_registered, n_ended;
	int64_t reg_seq, reg_seq2;  /* its (first two) run_registered events */
	char *registered;           /* the first one's payload */
	int64_t end_seq;            /* its run_ended event */
	char *end_kind;
	int64_t end_events;
	char end_head[EVENT_HASH_HEX];
};

/* The registry chain: the record's identity, and every run's start and end. */
/* A registry event a signed key event of the engineers chain names by seq
 * and hash in its heads (registry_head). */
struct verify_reg_pin {
	int64_t seq;
	char hash[EVENT_HASH_HEX];
	int64_t engineers_seq; /* the key event */
};

struct verify_registry {
	bool loaded;
	char record[CHECKPOINT_RECORD_HEX];
	int64_t opened_us;
	struct cJSON *opened;          /* registry_opened's payload */
	const struct cJSON *unsigned_through, *legacy_pins; /* within OPENED */
	struct verify_reg_run *runs;   /* sorted by run once the chain is read */
	size_t n_runs;
	struct verify_reg_pin *pins;   /* registry heads signed key events name */
	size_t n_pins;
};

/* A checklist snapshot loaded for folding (CL NULL: it does not load). */
struct verify_checklist {
	char *sha;
	struct checklist *cl;
};

/* An override_requested event of the run being checked. */
struct verify_request {
	int64_t seq;
	char *actor, *target, *payload;
	bool signed_by_actor;
};

struct verifier {
	struct store *st;
	struct store_verify_result *out;
	const char *anchor;
	bool anchor_found;
	bool signatures;         /* the schema has signatures and the registry chain */
	struct db_stmt *events;  /* one chain, in seq order */
	struct db_stmt *evidence; /* bytes by sha256 */
	const char *chain;
	struct store_verify_chain *cur; /* its entry in out->chains, or a scratch one */
	bool listed;             /* CHAIN is reported in out->chains and counted */
	int64_t seq;             /* the event whose evidence is being checked */
	enum store_status status; /* STORE_FAILED (or STORE_UNAVAILABLE) once the database failed */
	int64_t unsigned_through; /* of CHAIN: events up to it may lack signatures */
	/* What the chain just checked says of its run: */
	const char *end_kind;    /* the first run_completed or run_aborted (borrowed), or NULL */
	int64_t end_us, last_us, end_seq;
	char end_hash[EVENT_HASH_HEX];
	char *first_payload;     /* event 1's payload (malloc'd) */
	char *first_kind;
	struct strvec actors;    /* who recorded in it, each once */
	struct verify_request *requests;
	size_t n_requests;
	/* Why the derived run table is not kept with each append, or NULL. */
	const char *trigger_problem;
	/* PostgreSQL: which other trigger countersign made is missing,
	 * disabled or replaced (malloc'd), or NULL. */
	char *guard_problem;
	struct verify_engineer *engineers; /* in the order the chain registered them */
	size_t n_engineers;
	struct verify_registry reg;
	struct strvec snapshots_ok; /* checklist snapshots already hashed */
	struct engine *eng;         /* the run being checked, folded; NULL when its checklist does not load */
	bool completion_seen;
	struct verify_checklist *checklists;
	size_t n_checklists;
};

/* store_verify.c: records the first failure (later ones are not looked
 * for) and returns false. */
bool verify_fail(struct verifier *v, int64_t seq, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Records the database failure RC of the last db_* call as "WHAT: <the
 * engine's message>" (not a verdict) and returns false. */
bool verify_db_fail(struct verifier *v, enum db_rc rc, const char *what);
/* Prepares SQL on the record; on failure records it as verify_db_fail
 * does with WHAT and returns NULL. Free with db_finalize. */
struct db_stmt *verify_prepare(struct verifier *v, const char *sql, const char *what);
/* "event 9 (signed by bob)" or "event 12 of the engineers chain
 * (key_rotated of bob)": how messages name EV (malloc'd). */
char *verify_event_name(const struct verifier *v, const struct event *ev);

/* store_verify_keys.c: the engineers chain folded into key timelines. */
/* Checks EV of the engineers chain against the key rules and folds it. */
bool verify_keys_event(struct verifier *v, const struct event *ev);
/* Checks the signatures EV carries (any chain but the registry). */
bool verify_signatures(struct verifier *v, const struct event *ev);
/* The engineer NAME, or NULL. */
struct verify_engineer *verify_engineer_find(struct verifier *v, const char *name);
/* Frees the engineers and the override requests. */
void verify_keys_clear(struct verifier *v);

/* Whether EV, of the chain being checked, was recorded before an event of
 * the engineers chain numbered ENGINEERS_SEQ whose heads are REGISTRY and
 * RUNS (positions in the record, not times). */
bool verify_recorded_before(const struct verifier *v, const struct event *ev, int64_t engineers_seq,
	int64_t registry, const struct cJSON *runs);
/* The "heads" of a key or role event's payload P into REGISTRY and a copy
 * of its runs (the caller deletes it); false when it has none. */
bool verify_read_heads(const struct cJSON *p, int64_t *registry, struct cJSON **runs);
/* Notes the registry head key event EV (payload P, its signatures checked)
 * names, for the registry chain to match (verify_registry_pins). */
void verify_note_registry_head(struct verifier *v, const struct event *ev, const struct cJSON *p);

/* store_verify_roles.c: roles folded from the engineers chain. */
/* Checks role_granted or role_removed EV (its signatures already checked
 * one by one): a registered target, a valid role, two approvers other than
 * the target who both signed it, heads, and a grant of a role not held or
 * a removal of one held; folds it. */
bool verify_role_event(struct verifier *v, const struct event *ev);
/* A signature's (EV_SIGNED) claimed roles were its signer's when it was
 * recorded. */
bool verify_signed_roles(struct verifier *v, const struct event *ev);
/* The roles column ROLES of E's row against the chain. */
bool verify_roles_row(struct verifier *v, const struct verify_engineer *e, const char *roles);
/* Frees E's roles. */
void verify_roles_clear(struct verify_engineer *e);

/* store_verify_registry.c */
/* Reads registry_opened (event 1 of the registry chain) before anything
 * else: it says what may be unsigned. False when it is missing or malformed. */
bool verify_registry_load(struct verifier *v);
/* Checks EV of the registry chain and notes what it says of its run. */
bool verify_registry_event(struct verifier *v, const struct event *ev);
/* After the registry chain: sorts its runs and checks that each names a
 * run that exists (a run removed whole is found here). */
bool verify_registry_runs(struct verifier *v);
/* The registry's entry of RUN once the registry chain was checked, or NULL. */
const struct verify_reg_run *verify_registry_find(const struct verifier *v, const char *run);
/* How many events of CHAIN were recorded before signatures (0 when none). */
int64_t verify_unsigned_through(const struct verifier *v, const char *chain);
/* The run RUN checked against its run_registered and run_ended events. */
bool verify_registry_run(struct verifier *v, const struct store_run_row *run);
void verify_registry_clear(struct verify_registry *reg);

/* store_verify_rows.c: the tables against the chains. */
/* RUN's checklist snapshot hashes to its key. */
bool verify_snapshot(struct verifier *v, const struct store_run_row *run);
/* Every snapshot no run checked hashes to its key (with every run checked). */
bool verify_other_snapshots(struct verifier *v);
/* RUN's row against its run_started event (the chain just checked). */
bool verify_run_started(struct verifier *v, const struct store_run_row *run);
/* Every row of the engineers table against the engineers chain. */
bool verify_engineer_rows(struct verifier *v);

/* store_verify_derived.c: the derived run table and its triggers (on
 * PostgreSQL also the guard triggers, read from the catalog). */
/* Sets v->trigger_problem (and, on PostgreSQL, v->guard_problem) from the
 * schema; false when the schema cannot be read. */
bool verify_check_trigger(struct verifier *v);
bool verify_report_trigger(struct verifier *v);
bool verify_check_derived(struct verifier *v, const char *run);
bool verify_check_orphans(struct verifier *v);
bool verify_check_derived_orphans(struct verifier *v);

/* store_verify_fold.c: the run folded by the engine, for its completion. */
void verify_fold_begin(struct verifier *v, const struct store_run_row *run);
/* A completion while a gate is closed fails; EV is then folded. */
bool verify_fold_event(struct verifier *v, const struct event *ev);
void verify_fold_end(struct verifier *v);
/* Frees the engine and the loaded checklists. */
void verify_fold_clear(struct verifier *v);

/* store_verify_checkpoint.c: the chains CP names still extend it. */
bool verify_checkpoint_chains(struct verifier *v, const struct checkpoint *cp);

#endif
