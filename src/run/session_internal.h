/* What the session's files share inside src/run. */
#ifndef COUNTERSIGN_SESSION_INTERNAL_H
#define COUNTERSIGN_SESSION_INTERNAL_H

#include "countersign/session.h"
#include "countersign/store.h"

/* A store status as a session outcome: not found is bad input (CS_INVALID),
 * a conflict or a refusal CS_REFUSED, a failure CS_ENV. */
int session_outcome(enum store_status rc);

struct session_keys;
/* Wipes and frees the unlocked keys of a session; NULL is a no-op. */
void session_keys_destroy(struct session_keys *ring);

/* Attaches the signers of the N events S is about to append to CHAIN (a run
 * id, or any name but the registry's for a run not yet created): for each
 * event that must be signed (event_needs_signature), its actor's unlocked
 * key, and for an override also the other engineer's when unlocked here.
 * The signers borrow the keys: they stay valid while nothing is locked.
 * Returns CS_OK, or CS_INVALID after saying whose PIN was not entered. */
int session_attach_signers(struct session *s, const char *chain, struct event *evs, size_t n);

/* After the store refused the N events S signed (STORE_REFUSED: a PIN was
 * changed in another process since it was entered here): forgets each key
 * no longer its engineer's, says so, detaches every signer and returns
 * CS_REFUSED. */
int session_stale_signers(struct session *s, struct event *evs, size_t n);

/* The rule of ACTION_GATE_WAITING (session_gate_wait.c) on S's newest
 * state: the run is open, G->sec's gate still unsigned, its items still done
 * since G->since_us, and no notice >= G->seq recorded. False with a
 * malloc'd *WHY otherwise. */
bool session_gate_waiting_allowed(const struct session *s, const struct session_guard *g, char **why);

/* The key of NAME unlocked in S by its PIN (session_check_pin), borrowed
 * until it is locked; NULL when none. */
const struct sign_key *session_unlocked_key(const struct session *s, const char *name);

/* Sets the "roles" of each EV_SIGNED event of EVS[0..N) (payload JSON) to
 * its actor's current roles as the record says now; the store checks them
 * again when it appends. Returns CS_OK, or CS_ENV after reporting. */
int session_sign_roles(struct session *s, struct event *evs, size_t n);

/* Frees the roster session_roster read; NULL is a no-op. */
void session_roster_destroy(struct session_roster *r);

#endif
