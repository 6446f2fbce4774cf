/* Events: the append-only record every state change is made of. Shared by the
 * store (which chains and keeps them) and the engine (which folds them). */
#ifndef COUNTERSIGN_EVENT_H
#define COUNTERSIGN_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVENT_HASH_HEX 65 /* 64 hex digits and a NUL */

/* Event kinds, as stored in events.kind. Payload fields are JSON (see
 * docs/record.md); every payload is a JSON object. */
#define EV_RUN_STARTED      "run_started"      /* {checklist, sha256, title, variables{}, window_ms, path} */
#define EV_CHECK_STARTED    "check_started"    /* target S/I: {command?, url?, pid, host, ..., check_id?} (docs/record.md) */
#define EV_CHECK_FINISHED   "check_finished"   /* target S/I: {verdict, message, exit_status?, signal?, bytes?, omitted?, sha256?, evidence?, duration_ms} */
#define EV_ATTESTED         "attested"         /* target S/I: {verdict: pass|fail, note?} */
#define EV_WAIVED           "waived"           /* target S/I: {reason} */
#define EV_CHOSEN           "chosen"           /* target S: {group} */
#define EV_SIGNED           "signed"           /* target S: {meaning, comment?, digest, roles?}: roles, the signer's then (schema 5) */
#define EV_OVERRIDE         "override"         /* target S: {engineers: [a, b], reason, incident, request_seq?} */
#define EV_OVERRIDE_REQUESTED "override_requested" /* target S: {reason, incident, expires_us}: waits for a second engineer */
#define EV_NOTE             "note"             /* target "", S or S/I: {text} */
#define EV_RUN_ABORTED      "run_aborted"      /* {reason} */
#define EV_RUN_COMPLETED    "run_completed"    /* {} */
#define EV_GATE_WAITING     "gate_waiting"     /* target S: {items_done_us, notice, waited_ms}: by system, S's gate waited notice x signoff_within */
#define EV_NOTIFY_FAILED    "notify_failed"    /* {event, url (redacted), attempts, status, error} */
/* Events of the engineer registry chain (chain name "engineers"). */
#define EV_ENGINEER_ADDED   "engineer_added"   /* target NAME: {full_name, key?}: key (sign.h) since schema 4, signed by it */
#define EV_PIN_CHANGED      "pin_changed"      /* target NAME: {}: before schema 4 only */
#define EV_KEY_ENROLLED     "key_enrolled"     /* target NAME: {key}: an engineer registered before keys gets one; signed by it */
#define EV_KEY_ROTATED      "key_rotated"      /* target NAME: {key}: a PIN change; signed by the old key */
#define EV_PIN_FAILED       "pin_failed"       /* target NAME: {command, run?} */
#define EV_PIN_LOCKED       "pin_locked"       /* target NAME: {until_us, failures, run?}: that failure locked NAME out */
#define EV_ROLE_GRANTED     "role_granted"     /* target NAME: {role, by: [A, B], heads}: signed by A and B, neither NAME (schema 5) */
#define EV_ROLE_REMOVED     "role_removed"     /* target NAME: {role, by: [A, B], heads}: signed by A and B, neither NAME (schema 5) */

/* Events of the registry chain (chain name "registry"), all by "system" and
 * unsigned: the record's identity and every run's start and end, so that a
 * run removed whole, or cut short after its end, is noticed. */
#define EV_REGISTRY_OPENED  "registry_opened"  /* target "": {record, schema, unsigned_through{CHAIN: seq}, legacy_pins{NAME: sha256}} */
#define EV_RUN_REGISTERED   "run_registered"   /* target RUN: {checklist, sha256, title, path, started_us, nonce} */
#define EV_RUN_ENDED        "run_ended"        /* target RUN: {kind, events, head}: the run's ending event and the chain then */

#define EVENT_CHAIN_ENGINEERS "engineers"
#define EVENT_CHAIN_REGISTRY "registry"

struct sign_key;

struct event {
	int64_t seq;        /* 1-based, gap-free within its chain */
	int64_t time_us;    /* UTC, microseconds since the epoch */
	char *actor;        /* engineer short name, or "system" */
	char *os_user, *host, *tty;
	char *kind;         /* one of EV_* */
	char *target;       /* "SECTION/ITEM", "SECTION", a name, or "" */
	char *payload;      /* JSON object text, as hashed */
	char prev[EVENT_HASH_HEX];
	char hash[EVENT_HASH_HEX];
	/* The signatures (sign.h): NULL or "" when unsigned. Not part of the
	 * hash: they sign it. */
	char *sigs;
	/* Keys that sign the event when it is appended, as SIGNER_NAMES[i]
	 * (borrowed, never stored; NULL: none): the store signs inside its
	 * transaction, once the hash is known. */
	const struct sign_key *signers[2];
	const char *signer_names[2];
};

/* True when EV must carry its actor's signature: made by an engineer (not
 * "system"), in a run's chain or the engineers chain, and not a wrong PIN,
 * a lockout, a failed notification or a run's completion (which the
 * program records on its own). */
bool event_needs_signature(const char *chain, const struct event *ev);

/* True when KIND is one of the EV_* kinds above. */
bool event_kind_known(const char *kind);

/* Frees the strings of EV (not EV itself); NULL is a no-op. */
void event_clear(struct event *ev);
/* Frees an array of N events. */
void event_array_free(struct event *evs, size_t n);

/* Computes the hash of EV from its seq, prev and fields into EV->hash:
 * SHA-256("countersign-event-v1" || u64be(seq) || prev(32 bytes) ||
 * for each of time_us (u64be), actor, os_user, host, tty, kind, target,
 * payload: u64be(length) || bytes). Returns false when prev is not hex. */
bool event_compute_hash(const struct event *ev, char out[EVENT_HASH_HEX]);

/* The record takes only UTF-8 text (utf8.h), on both engines
 * (src/core/event_text.c). Returns NULL when TEXT (NULL reads as valid) is
 * valid UTF-8; else a malloc'd phrase, which the caller frees, naming
 * FIELD and the offset of the first byte that is not: "title is not valid
 * UTF-8 (byte offset 3)"; with JSON, the member that holds it when TEXT
 * parses: "payload field \"variables.HOST\" is not valid UTF-8 (byte
 * offset 3)", the offset within that member's text. */
char *event_text_invalid(const char *field, const char *text, bool json);

/* For the test program only (COUNTERSIGN_TEST_LEGACY_TEXT): from now on
 * every text counts as valid, as before the record held to UTF-8, to make
 * the SQLite records of then. */
void event_test_take_any_text(void);

/* The same for the first text field of EV that is not UTF-8 (payload,
 * actor, os_user, host, tty, kind, target, sigs): NULL when all are
 * valid; else a malloc'd phrase the caller frees. */
char *event_invalid_text(const struct event *ev);

/* Whether NAME is a short name an engineer can be registered under:
 * lowercase ASCII letters, digits, '-', '_' or '.', starting with a letter,
 * at most 32 bytes (like a login). Only ASCII, so that no name can look
 * like another in a report (a Cyrillic letter, a zero-width space). */
bool event_valid_engineer_name(const char *name);

struct cJSON;
/* PAYLOAD as unformatted JSON text, with each byte that is not UTF-8
 * inside its strings replaced by U+FFFD: for payloads quoting what the
 * program does not control (a check's output, an HTTP body, an error),
 * whose exact bytes, when they matter, are in the evidence. Returns
 * malloc'd text the caller frees; PAYLOAD is not changed. */
char *event_payload_print(const struct cJSON *payload);

/* SHA-256 of BYTES as lowercase hex into OUT. */
void event_sha256_hex(const void *bytes, size_t len, char out[EVENT_HASH_HEX]);

#endif
