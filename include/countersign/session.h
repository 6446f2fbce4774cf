/* What every front end shares when it works on a run: the database, the
 * run with its checklist and engine, who is acting, and PIN checks. */
#ifndef COUNTERSIGN_SESSION_H
#define COUNTERSIGN_SESSION_H

#include <stdbool.h>
#include <stdio.h>

#include "countersign/checklist.h"
#include "countersign/clock.h"
#include "countersign/engine.h"
#include "countersign/exitcode.h"  /* what every session_* operation returns: CS_OK ... */
#include "countersign/reporter.h"
#include "countersign/store_types.h"  /* what the record hands out; its functions stay below src/run */

/* Called for every notify event a recorded change gives (an executor with
 * network access delivers them); TEXT is one line for people, DETAILS a
 * JSON object. Both only valid during the call. */
typedef void (*session_notify_fn)(void *data, enum checklist_notify_event ev, const char *text, const char *details);

/* Called around folding events that other processes appended (the news a
 * front end shows): with FOLDED false just before EVS are folded into the
 * engine, with FOLDED true once they are and the state is refreshed. EVS
 * are only valid during the call. */
typedef void (*session_fold_fn)(void *data, const struct event *evs, size_t n, bool folded);

struct store;
struct session_keys;
struct session_roster;

struct session {
	struct reporter report;  /* set before use */
	session_notify_fn on_notify;
	void *notify_data;
	session_fold_fn on_fold;  /* NULL: none */
	void *fold_data;
	struct store *st;        /* src/run's own: above it, only session_* touch it */
	bool shared_store;       /* st belongs to another session (session_open_shared) */
	struct store_run_row run;
	struct checklist *cl;
	struct engine *eng;
	bool have_run;
	int64_t data_version;
	struct session_keys *keys;  /* engineers' keys unlocked by their PINs (session_check_pin) */
	struct session_roster *roster;  /* the last session_roster read (src/run/session_roles.c) */
	bool unreachable;        /* the last append failed because the database could not be reached */
	bool busy;               /* the last append failed because another writer held the database's lock */
	bool unknown;            /* ... or its commit's answer was lost: it may have been recorded */
	uint64_t appended;       /* how many appends landed through this session: one that lands
	                            shows the database takes writes again (exec_hold retries then) */
};

/* Opens the database at DB_PATH (NULL: the default path), creating it when
 * missing; returns CS_OK or CS_ENV after reporting why. S must be
 * zeroed with its reporter set. */
int session_open_store(struct session *s, const char *db_path);
/* The same in MODE: commands that only read use STORE_READ_ONLY, which
 * never creates a database and never records anything (not even the
 * recovery of interrupted checks). */
int session_open_store_mode(struct session *s, const char *db_path, enum store_mode mode);
/* Loads run RUN_ID with its checklist snapshot and events, refreshes the
 * engine and, unless the store is read-only, recovers interrupted checks.
 * Returns an exit code. */
int session_load_run(struct session *s, const char *run_id);
void session_close(struct session *s);
/* Makes S read and write through OWNER's open database, for a second run
 * loaded beside OWNER's (a probe of how another run stands): session_close
 * of S leaves it open. OWNER's database must stay open while S is used.
 * S must be zeroed with its reporter set. */
void session_open_shared(struct session *s, const struct session *owner);

/* Fills ORIGIN's actor, os_user, host and tty (malloc'd; event_clear frees). */
void session_origin(struct event *origin, const char *actor);

/* The rule an append must still satisfy when it is written: checked again
 * on the newest state whenever another process appended first. */
enum session_action {
	ACTION_NONE, ACTION_CHECK, ACTION_ATTEST, ACTION_WAIVE, ACTION_CHOOSE, ACTION_SIGN,
	ACTION_OVERRIDE, ACTION_NOTE, ACTION_ABORT,
	ACTION_RECOVER,  /* the item is still running the attempt started by event SEQ */
	ACTION_CANCEL_WAIT,
	ACTION_FINISH,   /* a check's result: the item still runs the attempt started by event SEQ */
	ACTION_CONFIRM_OVERRIDE,
	ACTION_REQUEST_OVERRIDE,  /* the request of event SEQ still waits; ENGINEER did not make it */
	ACTION_GATE_WAITING,  /* SEC's items are still done since SINCE_US, its gate unsigned, notice SEQ not yet given */
};
struct session_guard {
	enum session_action action;
	size_t sec, item;
	const char *engineer;   /* ACTION_SIGN */
	enum checklist_meaning meaning; /* ACTION_SIGN */
	const char *digest;     /* ACTION_SIGN: the evidence that was shown and signed */
	int64_t seq;            /* ACTION_RECOVER */
	int64_t since_us;       /* ACTION_GATE_WAITING: the items_done_us the notice is about */
};

/* Appends events (and evidence) to the run, folds them, refreshes, and
 * completes the run when every gate has passed. When another process
 * appended first, folds its events, checks GUARD again (reporting a
 * refusal, CS_REFUSED) and retries. Returns a CS_* outcome. */
int session_append_guarded(struct session *s, const struct session_guard *guard, struct event *evs,
	size_t n, struct store_evidence *ev, size_t n_ev);
struct cJSON;
/* Records one event of KIND by ACTOR about TARGET (NULL: the run) with
 * PAYLOAD, a JSON object this call takes and frees; see
 * session_append_guarded. */
int session_record(struct session *s, const struct session_guard *guard, const char *actor, const char *kind,
	const char *target, struct cJSON *payload);

/* session_append_guarded with no rule to re-check. */
int session_append(struct session *s, struct event *evs, size_t n, struct store_evidence *ev, size_t n_ev);

/* True when the last session_append_guarded failed (CS_ENV) because the
 * database could not be reached (a PostgreSQL server down or the
 * connection lost): nothing was recorded, and the same append may land
 * once the server is back. False after any other outcome. */
bool session_unreachable(const struct session *s);

/* True when the last session_append_guarded failed (CS_ENV) because
 * another process held the database's lock longer than the engine waits
 * (store_busy): nothing was recorded, and the same append may land once the
 * lock is free. False after any other outcome. */
bool session_busy(const struct session *s);

/* Checks PIN for engineer NAME: the lockout first (five failures within 15
 * minutes), then derives NAME's key from it (Argon2id) and compares it with
 * the recorded public key; a wrong PIN is recorded as an event. An engineer
 * registered before keys existed is checked against the PIN hash and, when
 * it matches, gets a key (a key_enrolled event). On success the key stays
 * unlocked in S, so that what NAME records through S is signed, until
 * session_lock or session_close. Returns CS_OK, CS_REFUSED (locked out),
 * CS_INVALID (unknown engineer, wrong PIN) or CS_ENV. */
int session_check_pin(struct session *s, const char *name, const char *pin, const char *what);
/* Forgets NAME's unlocked key (wiping it); a no-op when none. */
void session_lock(struct session *s, const char *name);
/* True when NAME's key is unlocked in S: its PIN was checked and the key
 * was not forgotten since (session_lock, or a record refused because the
 * PIN was changed in another process). */
bool session_key_unlocked(const struct session *s, const char *name);
/* Changes NAME's PIN: checks OLD_PIN (as session_check_pin), checks
 * NEW_PIN's length, derives the new key and records key_rotated signed by
 * the old key; from then on the old PIN is refused and the new key is the
 * one unlocked in S. Returns a CS_* outcome after reporting why. */
int session_change_pin(struct session *s, const char *name, const char *old_pin, const char *new_pin);

/* The checkpoint text (checkpoint.h) of the record now: the registry and
 * engineers chains with RUN_ID's chain, or with RUN_ID NULL every open
 * run's. *TEXT is malloc'd, the caller frees. A CS_* outcome. */
int session_checkpoint(struct session *s, const char *run_id, char **text);
/* Verifies the whole record against the checkpoints in TEXT (LEN bytes:
 * one, or several one after another as a notify file collects them) kept
 * elsewhere (store_verify_checkpoint). CS_INVALID, reported, when TEXT is
 * not checkpoints or one was changed; otherwise as session_verify. */
int session_verify_checkpoint(struct session *s, const char *text, size_t len, struct store_verify_result *out);

/* What can be known here of the process running an item's check. */
enum session_liveness {
	SESSION_NOT_RUNNING,     /* not a running check (waits never are) */
	SESSION_LIVE_RUNNING,    /* its process runs on this host */
	SESSION_LIVE_GONE,       /* its process is gone: a writing session records it interrupted */
	SESSION_LIVE_ELSEWHERE,  /* started on another host (or before a host rename): cannot tell */
	SESSION_LIVE_UNKNOWN,    /* its start recorded no process identity */
};
/* Says whether item SEC/ITEM's running check is alive; *WHERE (when WHERE is
 * not NULL and the item runs) gets a malloc'd "process N on host H" the
 * caller frees. */
enum session_liveness session_check_liveness(const struct session *s, size_t sec, size_t item, char **where);

/* Records every running check whose process is gone as interrupted (after
 * stopping what it left running here); session_load_run does this for a
 * session that writes. Returns a CS_* outcome. */
int session_recover_interrupted(struct session *s);

/* The operator's way out of a check stuck "running" (its process on
 * another host, or gone unnoticed): records it as interrupted by ACTOR
 * (whose PIN the caller has checked) with REASON, after stopping what it
 * left running here. Refused (CS_REFUSED) while its process runs on
 * this host, or when it is not running. Returns a CS_* outcome. */
int session_recover_check(struct session *s, size_t sec, size_t item, const char *actor, const char *reason);

/* When running item SEC/ITEM now would be a re-check of a section whose
 * gate has passed: a malloc'd sentence saying what will happen (the caller
 * asks before running and frees it); NULL otherwise. */
char *session_recheck_warning(const struct session *s, size_t sec, size_t item);

/* The actor of the events the program records itself (an interrupted check,
 * a completed run); no engineer may take the name. */
#define SESSION_SYSTEM_ACTOR "system"

/* Registers engineer NAME (short, login-like, never reused, not
 * SESSION_SYSTEM_ACTOR) with FULL_NAME (UTF-8 without control characters)
 * and PIN (at least PIN_MIN_LENGTH characters), the same rules for every
 * front end. Reports why and returns CS_INVALID for bad input or a
 * name taken, CS_ENV when it cannot be recorded, CS_OK. */
int session_add_engineer(struct session *s, const char *name, const char *full_name, const char *pin);
/* The name rules of session_add_engineer alone, before any PIN is asked:
 * reports to R and returns CS_INVALID, or CS_OK. */
int session_check_new_engineer(const struct reporter *r, const char *name, const char *full_name);
/* The PIN rule of session_add_engineer alone, so that a front end can
 * refuse a short PIN before it asks for it again: reports to R and returns
 * CS_INVALID, or CS_OK. */
int session_check_new_pin(const struct reporter *r, const char *pin);

/* --- roles (src/run/session_roles.c) --- */
/* The role name rule (^[a-z][a-z0-9_-]{0,31}$), before any PIN is asked:
 * reports to R and returns CS_INVALID, or CS_OK. */
int session_check_role(const struct reporter *r, const char *role);
/* The approvers' rule of session_set_role alone, before any PIN is asked:
 * BY1 and BY2 two different engineers, neither NAME. Reports to R and
 * returns CS_REFUSED, or CS_OK. */
int session_check_role_approvers(const struct reporter *r, const char *name, const char *by1, const char *by2);
/* Grants (ADD) or removes ROLE of engineer NAME, approved by BY1 and BY2,
 * two engineers other than NAME whose PINs were checked in S
 * (session_check_pin): records role_granted or role_removed signed by both.
 * Returns CS_OK, CS_INVALID (bad role, unknown engineer, a PIN not
 * entered), CS_REFUSED (an approver is NAME or named twice, NAME already
 * holds ROLE or does not, a PIN changed meanwhile) or CS_ENV, after
 * reporting why. */
int session_set_role(struct session *s, const char *name, const char *role, bool add, const char *by1,
	const char *by2);
/* Every engineer with the roles they hold now, by name, read from the
 * record (engine_can_sign's ROSTER). Owned by S: valid until the next call
 * or session_close. NULL, after reporting, when it cannot be read. */
const struct engine_roster *session_roster(struct session *s);

/* Test program only: text that is not UTF-8 is recorded as it comes, as
 * before the record held to UTF-8 (event_test_take_any_text). */
void session_test_legacy_text(void);

/* Makes every PIN registered from now on cheap to hash (libsodium's
 * minimum cost): for the test suites only, which register many engineers.
 * Only the test build of the program calls it (COUNTERSIGN_TEST_PIN_COST). */
void session_test_cheap_pins(void);
/* Makes the first PostgreSQL location load libpq from PATH instead of
 * libpq.so.5 (store_set_libpq): for the test suites only, to see what a
 * machine without libpq sees (COUNTERSIGN_LIBPQ). PATH is copied. */
void session_test_libpq(const char *path);
/* Makes every PostgreSQL command give up after MS milliseconds without an
 * answer (store_test_pg_deadline): for the test suites only. */
void session_test_pg_deadline(int ms);

/* For a running wait: "passes at TIME (in 14m58s)" (TIME as
 * "2026-11-30 16:25:00 UTC" when FULL, else "16:25:00 UTC"), malloc'd, the
 * caller frees; NULL for anything else. */
char *session_wait_text(const struct session *s, size_t sec, size_t item, bool full);

/* Cancels the started wait SEC/ITEM as ACTOR (whose PIN the caller checked):
 * records it as cancelled; it can be started afresh. A CS_* outcome. */
int session_cancel_wait(struct session *s, size_t sec, size_t item, const char *actor);

/* Break glass with a second engineer elsewhere: ACTOR (whose PIN the caller
 * checked) asks for an override of SEC with REASON and INCIDENT; it takes
 * effect when another engineer confirms it within
 * ENGINE_OVERRIDE_CONFIRM_US. A CS_* outcome. */
int session_request_override(struct session *s, size_t sec, const char *actor, const char *reason,
	const char *incident);
/* ACTOR (PIN checked by the caller, not the one who asked) confirms the
 * pending override of SEC: it is recorded as an override by both. */
int session_confirm_override(struct session *s, size_t sec, const char *actor);

/* Reloads the run when another process changed the database (PRAGMA
 * data_version); returns true when anything new was folded in. */
bool session_poll(struct session *s);

/* Gates that do not wait forever (src/run/session_gate_wait.c): for each
 * gated section with signoff_within whose items are done and whose gate is
 * still not passed after k intervals (k >= 1) without notice k, records one
 * gate_waiting event (notice k, only the latest interval) as "system" and,
 * when that append is the one that landed (re-checked on the newest state,
 * so that of several processes exactly one records it), sends the
 * NOTIFY_GATE_WAITING notification. *NEXT_US (NEXT_US may be NULL) gets the
 * earliest time a further notice falls due (0: none). A read-only session,
 * or a run that ended, records nothing. Returns how many notices this call
 * recorded, or -1 after reporting when the record could not be written. */
int session_gate_waiting_due(struct session *s, int64_t now_us, int64_t *next_us);

/* Resolves "SECTION/ITEM" (or "SECTION" when ITEM is NULL) in the run's
 * checklist; reports why and returns CS_INVALID when unknown. */
int session_find(struct session *s, const char *target, size_t *sec, size_t *item);

struct var_values;
/* Starts a new run of CL (loaded from PATH) as ACTOR with the values in V
 * (secrets recorded as "***") and TITLE (NULL: the checklist's title):
 * stores the checklist text, creates the run and its first event. On
 * success loads it into S and returns CS_OK. */
int session_start_run(struct session *s, const struct checklist *cl, const struct var_values *v,
	const char *title, const char *actor);

/* Sends the run_started notification of the run just started (once a
 * notifier is attached). */
void session_announce_start(struct session *s, const char *actor);

/* Reports a refusal from the engine, frees WHY, returns CS_REFUSED. */
int session_refuse(struct session *s, char *why);

/* --- reading the record (src/run/session_read.c) --- *
 * Each returns CS_OK, CS_INVALID when what was named does not
 * exist, or CS_ENV when the database could not be read
 * (session_store_error says why). */

/* Engineer NAME into OUT (clear with engineer_clear). */
int session_engineer(struct session *s, const char *name, struct store_engineer *out);
/* Every engineer, by name: the caller clears each and frees the array. */
int session_engineers(struct session *s, struct store_engineer **out, size_t *n);
/* The evidence stored under SHA (malloc'd, caller frees), or NULL. */
void *session_evidence(struct session *s, const char *sha, size_t *len);
/* The events of CHAIN (a run id or EVENT_CHAIN_ENGINEERS) after AFTER_SEQ,
 * in order; free with event_array_free. */
int session_chain_events(struct session *s, const char *chain, int64_t after_seq, struct event **out, size_t *n);
/* store_verify through the session: CS_OK when a verdict was reached
 * (OUT->ok says which; clear with verify_result_clear). */
int session_verify(struct session *s, const char *run_id, const char *anchor, struct store_verify_result *out);
/* The last storage error (borrowed). */
const char *session_store_error(const struct session *s);

/* --- listing runs and the audit trail (src/run/session_query.c) --- *
 * Indexed reads for the reviewer's side; same outcomes as above. */

/* Run ID with its state, end, event count and head (derived run table)
 * into OUT (clear with run_row_clear); CS_INVALID when unknown. */
int session_run(struct session *s, const char *id, struct store_run_row *out);
/* The runs F selects (F NULL: all), newest first; free with
 * run_row_array_free. CS_INVALID for an unknown state. */
int session_list_runs(struct session *s, const struct store_run_filter *f, struct store_run_row **out, size_t *n);
/* The events F selects across every chain (F NULL: all), oldest first;
 * free with audit_entry_array_free. CS_INVALID for an unknown run. */
int session_audit(struct session *s, const struct store_audit_filter *f, struct store_audit_entry **out, size_t *n);
/* The same, one entry at a time (see store_audit_each): FN returns false
 * to stop. */
int session_audit_each(struct session *s, const struct store_audit_filter *f, store_audit_fn fn, void *user);

/* What the home screen's first frame and its scrolling read, each an
 * indexed query that reads only the rows it returns (see
 * store_list_past_runs): the open runs; up to LIMIT past runs after AFTER
 * (NULL: the newest), newest first; the number of past runs. Free the
 * rows with run_row_array_free. */
int session_open_runs(struct session *s, struct store_run_row **out, size_t *n);
int session_past_runs(struct session *s, const struct store_run_key *after, size_t limit, struct store_run_row **out,
	size_t *n);
int session_count_past_runs(struct session *s, int64_t *count);

/* --- the database as a whole (src/run/session_db.c) --- */

/* What the database at DB_PATH (NULL: the default) holds: engine,
 * location without password, schema version, record id and counts, into
 * OUT (clear with store_db_info_clear). CS_OK, or CS_ENV after reporting
 * why it cannot be read. Never writes. */
int session_db_info(struct session *s, const char *db_path, struct store_db_info *out);

/* What session_db_copy did: the rows copied, then each whole record
 * verified (FROM as it was read, TO as written). */
struct session_db_copy {
	struct store_copy_counts counts;
	struct store_verify_result from, to;
	bool from_verified, to_verified;  /* a verdict was reached (else reported why not) */
	bool same_heads;  /* both verify and every chain has the same length and head */
};
void session_db_copy_clear(struct session_db_copy *c);
/* Copies the record at FROM into TO, which holds none (store_copy), then
 * verifies both. CS_OK when the copy is written and both verify with the
 * same chains; CS_REFUSED when TO already holds a record (reported,
 * nothing written) or the copy was written and a verify failed or the
 * heads differ (OUT says which); CS_INVALID, reported, when FROM holds no
 * record; CS_ENV, reported, when a database cannot be read or written.
 * Clear OUT with session_db_copy_clear whatever the outcome. */
int session_db_copy(struct session *s, const char *from, const char *to, struct session_db_copy *out);

#endif
