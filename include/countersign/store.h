/* The SQLite record: checklist snapshots, engineers, runs, append-only events
 * with a per-run hash chain, evidence by SHA-256. docs/record.md describes it.
 * Only src/store and src/run use these functions; their types are in
 * store_types.h, which layers above src/run see through session.h. */
#ifndef COUNTERSIGN_STORE_H
#define COUNTERSIGN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "countersign/checkpoint.h"
#include "countersign/event.h"
#include "countersign/sign.h"
#include "countersign/store_types.h"

struct store;

enum store_status {
	STORE_OK = 0,
	STORE_NOT_FOUND,   /* no such run, engineer, checklist */
	STORE_CONFLICT,    /* a unique name already taken */
	STORE_FAILED,      /* SQLite or the file system failed: an environment problem */
	STORE_REFUSED,     /* a rule of the record refused it (a PIN lockout) */
	STORE_UNAVAILABLE, /* the database cannot be reached (a PostgreSQL server down or the
	                    * connection lost): nothing was written; store_error says why */
};

/* Where the database lives: FLAG_PATH (--db) if given, else $COUNTERSIGN_DB,
 * else $XDG_DATA_HOME/countersign/countersign.db, else
 * ~/.local/share/countersign/countersign.db. Returns a malloc'd path. */
char *store_default_path(const char *flag_path);

/* Opens the database at PATH in MODE; when it may write: WAL,
 * synchronous=FULL, foreign_keys=ON, busy timeout, migrations (a created
 * file gets folder 0700, file 0600). PATH may instead be a PostgreSQL
 * location (db.h: "postgresql://...", "service=NAME"): the database must
 * exist, and the first connection that may write creates the schema in an
 * empty one. Returns NULL with a malloc'd reason in *ERR on failure (a
 * missing file for the two modes that do not create: "no database at
 * PATH"; a server that cannot be reached: "the database cannot be
 * reached: ..."). Free with store_close. */
struct store *store_open_mode(const char *path, enum store_mode mode, char **err);
/* Loads libpq, when the first PostgreSQL location is opened, from PATH
 * instead of libpq.so.5 (the test program's COUNTERSIGN_LIBPQ, to see what
 * a machine without it sees). Only before anything has loaded it; PATH is
 * copied. */
void store_set_libpq(const char *path);
/* Makes every PostgreSQL command wait MS milliseconds (more than 0) for
 * the server's answer before the database counts as unreachable, instead
 * of 30 s: for the test suites only (COUNTERSIGN_TEST_PG_DEADLINE_MS). */
void store_test_pg_deadline(int ms);
/* A probe: a new connection to ST's server made without blocking, for a
 * poll() loop to learn whether a server it lost answers again before it
 * tries anything that would wait for it (store_probe_* below). */
enum store_probe_state { STORE_PROBE_WAITING, STORE_PROBE_CONNECTED, STORE_PROBE_FAILED };
struct store_probe;
/* Starts connecting to ST's server; NULL when there is nothing to learn
 * (a SQLite record, or a PostgreSQL connection not lost). Free with
 * store_probe_destroy. No deadline of its own: the caller gives up on it. */
struct store_probe *store_probe_start(struct store *st);
/* The socket to poll for EVENTS (POLLIN or POLLOUT) before the next step,
 * or -1 once the probe has connected or failed. */
int store_probe_fd(const struct store_probe *p, short *events);
/* Takes the next step once the socket is ready; returns the state then. */
enum store_probe_state store_probe_step(struct store_probe *p);
enum store_probe_state store_probe_state(const struct store_probe *p);
/* Closes the probe's connection and frees P; NULL is a no-op. */
void store_probe_destroy(struct store_probe *p);
/* Makes ST's lost connection to its server again (PostgreSQL; a SQLite
 * record has none to lose) and listens again for other writers, once a
 * probe connected: it waits for as long as the server takes to answer.
 * What others committed meanwhile was not seen: store_data_version moves.
 * Returns STORE_OK (also when nothing was lost), or the failure, whose
 * message store_error gives. */
enum store_status store_reconnect(struct store *st);
/* store_open_mode(PATH, STORE_CREATE, ERR). */
struct store *store_open(const char *path, char **err);
void store_close(struct store *st);
/* True when ST was opened STORE_READ_ONLY. */
bool store_read_only(const struct store *st);

/* The schema version (PRAGMA user_version) this program creates and
 * understands; store_open refuses a database with a newer one. */
int store_schema_version(void);

/* The last error message of ST (borrowed, valid until the next call). */
const char *store_error(const struct store *st);

/* True when the last write that returned STORE_FAILED failed because
 * another writer held the database's lock longer than the engine waits
 * (SQLite's busy timeout; on PostgreSQL a lock timeout, serialization
 * failure or deadlock): nothing was written and the same write may land
 * once the lock is free. False after any other failure. */
bool store_busy(const struct store *st);

/* True when the last write that returned STORE_UNAVAILABLE lost the server's
 * answer to its commit (PostgreSQL): it may have been written. Reading the
 * record once the server is back says which. False after any other
 * failure. */
bool store_outcome_unknown(const struct store *st);

/* A number that changes when another connection commits (SQLite: PRAGMA
 * data_version; PostgreSQL: the notifications received); -1 when it
 * cannot be read. */
int64_t store_data_version(struct store *st);
/* A file descriptor to poll() for changes another connection may have
 * committed (then call store_data_version), or -1 when there is none
 * (SQLite: read store_data_version on a tick). Ask again before each
 * poll(): a reconnection changes it. */
int store_notify_fd(struct store *st);

/* --- checklist snapshots, content-addressed --- */
/* Stores TEXT (if not already there) and writes its SHA-256 hex to SHA. */
enum store_status store_put_checklist(struct store *st, const char *text, size_t len,
	char sha[EVENT_HASH_HEX]);
/* Returns the text (malloc'd, NUL-terminated, caller frees) or NULL. */
char *store_get_checklist(struct store *st, const char *sha, size_t *len);

/* --- engineers --- */
/* Inserts the engineer (E->public_key and E->key set, E->pin_hash ignored
 * and stored as "") and appends EV_ENGINEER_ADDED {full_name, key} to the
 * "engineers" chain, signed with KEY (whose public key must be
 * E->public_key), in one transaction. ORIGIN supplies
 * actor/os_user/host/tty (kind, target, payload and time are filled here).
 * STORE_CONFLICT when the name was ever used. */
enum store_status store_add_engineer(struct store *st, const struct store_engineer *e,
	const struct event *origin, const struct sign_key *key);
/* Gives engineer NAME the key KEY derived under P: updates the row (public
 * key and parameters; pin_hash becomes "") and appends KIND, in one
 * transaction:
 * - EV_KEY_ENROLLED {key}: NAME has no key yet (registered before schema
 *   4, its PIN checked against pin_hash by the caller); signed by KEY;
 *   OLD_KEY is ignored.
 * - EV_KEY_ROTATED {key, heads}: a PIN change; signed by OLD_KEY, NAME's
 *   current key, and by KEY. HEADS is {registry: its last seq, runs: {RUN:
 *   last seq} of every open run} then, so that verify refuses the old key's
 *   signature on anything recorded after the rotation.
 * STORE_REFUSED, with nothing written, when NAME already has a key
 * (enrolling) or OLD_KEY is not its current key (rotating: another process
 * changed it first); STORE_NOT_FOUND for an unknown NAME. */
enum store_status store_set_key(struct store *st, const char *name, const char *kind, const struct sign_key *key,
	const struct sign_params *p, const struct sign_key *old_key, const struct event *origin);
/* Grants (ADD) or removes ROLE of engineer NAME, approved by the two
 * engineers BY[0] and BY[1] whose unlocked keys are KEYS[0] and KEYS[1]: in
 * one transaction, checks that NAME is registered, that BY[0] and BY[1]
 * are two different engineers other than NAME, that NAME does (removing)
 * or does not (granting) hold ROLE, appends EV_ROLE_GRANTED or
 * EV_ROLE_REMOVED {role, by: [BY0, BY1], heads} (heads as key_rotated's,
 * read in the same transaction) by BY[0] to the engineers chain, signed by
 * both keys (each checked to be its engineer's current key), and updates
 * NAME's roles. ORIGIN supplies os_user/host/tty (the actor is BY[0]).
 * STORE_NOT_FOUND for an unknown engineer; STORE_REFUSED, with nothing
 * written, when a rule refuses it or a key is no longer current; STORE_FAILED
 * for a role name store_role_valid refuses. The reason is in store_error. */
enum store_status store_set_role(struct store *st, const char *name, const char *role, bool add,
	const char *const by[2], const struct sign_key *const keys[2], const struct event *origin);
/* True when ROLE is a valid role name: ^[a-z][a-z0-9_-]{0,31}$. */
bool store_role_valid(const char *role);
enum store_status store_get_engineer(struct store *st, const char *name, struct store_engineer *out);
/* All engineers by name; caller frees each with engineer_clear and the array. */
enum store_status store_list_engineers(struct store *st, struct store_engineer **out, size_t *n);
/* Counts EV_PIN_FAILED events for NAME at or after SINCE_US; the time of
 * the oldest counted one goes to *OLDEST_US (may be NULL). */
enum store_status store_count_pin_failures(struct store *st, const char *name, int64_t since_us,
	int *count, int64_t *oldest_us);

/* Reserves one PIN attempt for NAME, atomically with counting: in one write
 * transaction, counts EV_PIN_FAILED events at or after SINCE_US plus the
 * attempts other processes have reserved and not settled; at MAX or more,
 * returns STORE_REFUSED with the count in *COUNT and the time of the oldest
 * in *OLDEST_US. Otherwise reserves an attempt (its id in *TICKET, for
 * store_pin_settle) and returns STORE_OK with the count before it. */
enum store_status store_pin_reserve(struct store *st, const char *name, int64_t since_us, int max,
	int *count, int64_t *oldest_us, int64_t *ticket);
/* Ends the attempt TICKET: removes its reservation and, when FAILED is not
 * NULL, appends it (an EV_PIN_FAILED event) to the engineers chain; when
 * the failures of its engineer (FAILED->target) at or after SINCE_US then
 * number MAX or more, also appends EV_PIN_LOCKED {until_us (the oldest
 * counted failure + WINDOW_US), failures, run (copied from FAILED's payload
 * when there)} with FAILED's origin, and sets *LOCKED (may be NULL). All
 * in one transaction. */
enum store_status store_pin_settle(struct store *st, int64_t ticket, struct event *failed, int64_t since_us,
	int64_t window_us, int max, bool *locked);

/* --- runs --- */

/* Creates a run: picks a fresh id and nonce (filling RUN->id, RUN->nonce and
 * RUN->started_us when 0), inserts the row and appends FIRST (normally
 * EV_RUN_STARTED) as event 1 of its chain, all in one transaction. */
enum store_status store_create_run(struct store *st, struct store_run_row *run, struct event *first);
enum store_status store_get_run(struct store *st, const char *id, struct store_run_row *out);
/* All runs, newest first, each with its state, end, event count and head
 * from the derived run table (no event is read); free with
 * run_row_array_free. */
enum store_status store_list_runs(struct store *st, struct store_run_row **out, size_t *n);

/* The runs F selects (all when F is NULL), newest first, from indexed
 * queries; free with run_row_array_free. An unknown state is
 * STORE_NOT_FOUND. */
enum store_status store_list_runs_filtered(struct store *st, const struct store_run_filter *f, struct store_run_row **out,
	size_t *n);

/* The first frame of the home screen and its scrolling, from indexed
 * queries that read only the rows they return (src/store/store_run_pages.c).
 * The rows are in the listings' order (newest first, by started_us
 * descending, then id) and freed with store_run_row_array_free. */

/* The open runs. */
enum store_status store_list_open_runs(struct store *st, struct store_run_row **out, size_t *n);
/* Up to LIMIT (> 0) past runs (completed or aborted): the newest when
 * AFTER is NULL, else those that follow AFTER (the last run of the page
 * before) in the order. Fewer than LIMIT: the oldest run is among them. */
enum store_status store_list_past_runs(struct store *st, const struct store_run_key *after, size_t limit,
	struct store_run_row **out, size_t *n);
/* The number of past runs into *COUNT. */
enum store_status store_count_past_runs(struct store *st, int64_t *count);

/* The genesis "prev" of a run's chain: SHA-256 over id, checklist sha,
 * started_us (decimal) and nonce, each followed by a NUL byte. */
void store_run_genesis(const struct store_run_row *run, char out[EVENT_HASH_HEX]);

/* --- events and evidence --- */

/* Appends EVS[0..N) to CHAIN (a run id or EVENT_CHAIN_ENGINEERS) in one
 * BEGIN IMMEDIATE transaction, after storing EVIDENCE[0..N_EVIDENCE) (by
 * SHA-256, once). Fills each event's seq, prev and hash (and time_us when
 * 0). Several processes may append to one chain at once; SQLite serialises
 * them and each append reads the chain's head inside its transaction.
 * A NULL payload becomes a malloc'd "{}" (freed by event_clear); a payload
 * that is not a JSON object, or names evidence ("evidence": hash or list of
 * hashes) that is neither in EVIDENCE nor already stored, is refused with
 * STORE_FAILED. An unknown run id is STORE_NOT_FOUND.
 * Each event's signers (event.h) sign its hash inside the transaction
 * (filling its sigs); STORE_REFUSED, with nothing written, when a signer's
 * public key is no longer its engineer's current key (the PIN was changed
 * since it was entered), or when an EV_SIGNED event's payload "roles"
 * (absent: none) are not its actor's current roles (schema 5), or when a
 * text field or the payload is not valid UTF-8 (event_invalid_text; checked
 * before anything is sent to the database, on both engines; store_error
 * names the event and the field). An event that ends a run (run_completed,
 * run_aborted) also appends EV_RUN_ENDED to the registry chain, in the
 * same transaction. */
enum store_status store_append(struct store *st, const char *chain, struct event *evs, size_t n,
	struct store_evidence *evidence, size_t n_evidence);

/* store_append, but only while the chain's last event is AFTER_SEQ (0: an
 * empty chain): STORE_CONFLICT, with nothing written, when another process
 * appended first. Callers re-read, re-check their rule and try again, so a
 * decision is never recorded on state that changed under it. */
enum store_status store_append_after(struct store *st, const char *chain, int64_t after_seq,
	struct event *evs, size_t n, struct store_evidence *evidence, size_t n_evidence);

/* Loads the events of CHAIN with seq > AFTER_SEQ, in order. Caller frees
 * with event_array_free. */
enum store_status store_load_events(struct store *st, const char *chain, int64_t after_seq,
	struct event **out, size_t *n);

/* Returns malloc'd evidence bytes (caller frees) or NULL when absent. */
void *store_get_evidence(struct store *st, const char *sha, size_t *len);

/* --- the audit trail --- */
/* The events F selects across every chain (F NULL: all), oldest first (by
 * time, then in the order recorded), from indexed queries; free with
 * audit_entry_array_free. A run that does not exist is STORE_NOT_FOUND. */
enum store_status store_audit(struct store *st, const struct store_audit_filter *f, struct store_audit_entry **out,
	size_t *n);
/* The same, one entry at a time, so that a long trail needs no memory: FN
 * gets each entry (valid during the call only) and returns false to stop. */
enum store_status store_audit_each(struct store *st, const struct store_audit_filter *f, store_audit_fn fn, void *user);

/* Fills O (zeroed first) with this process's identity: actor "system", the
 * login, host and terminal; the strings are malloc'd (event_clear frees
 * them). The registry's own events take it; session_origin starts from it. */
void store_process_origin(struct event *o);

/* --- the registry chain and checkpoints --- */
/* The record's id (registry_opened's "record") into OUT. */
enum store_status store_record_id(struct store *st, char out[CHECKPOINT_RECORD_HEX]);
/* A checkpoint of the record now (one read transaction): this host, the
 * record's id, the time, and the size and head of the registry chain, the
 * engineers chain (when it has events) and RUN_ID's chain, or with RUN_ID
 * NULL of every open run's. Clear OUT with checkpoint_clear.
 * STORE_NOT_FOUND for an unknown run. */
enum store_status store_checkpoint(struct store *st, const char *run_id, struct checkpoint *out);

/* --- verification --- */

/* Recomputes the chain of RUN_ID (or every chain, engineers included, when
 * NULL): gap-free seq from 1, genesis prev, each prev = previous hash, each
 * hash recomputed, every evidence hash an event names present with
 * matching bytes, and each run's row of the derived run table agreeing with
 * its chain. With ANCHOR, also requires that ANCHOR is the hash of one
 * of the run's events (a chain cut short after the anchor fails; with
 * RUN_ID NULL, of any chain's). RUN_ID "engineers" checks that chain alone.
 * Returns STORE_OK when a verdict was reached (OUT->ok says which; clear OUT
 * with verify_result_clear), STORE_NOT_FOUND for an unknown run, STORE_FAILED
 * when the database could not be read (OUT then holds no verdict). */
enum store_status store_verify(struct store *st, const char *run_id, const char *anchor,
	struct store_verify_result *out);
/* Verifies the whole record (store_verify with no run) and that it still
 * extends each of CPS[0..N), earlier checkpoints of it: the same record id,
 * and every chain a checkpoint names has at least its events with the one
 * numbered as it says hashing to its head (not cut short, not rewritten).
 * Outcomes as store_verify. */
enum store_status store_verify_checkpoint(struct store *st, const struct checkpoint *cps, size_t n,
	struct store_verify_result *out);

#endif
