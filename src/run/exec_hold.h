/* Check results the record could not take because the database could not
 * be reached or was busy (another process held its lock past the wait):
 * the executor holds them in memory and tries them again with backoff (1 s,
 * doubling to 30 s) from its poll loop, and at once after any other append
 * of the session lands, each time under the rule that the attempt they
 * belong to still runs. A try that fails for another reason (a read-only
 * file, a full disk, a server refusing the write) keeps them held but stops
 * the timed tries: only an append that lands, or closing, tries again.
 * Internal to src/run. */
#ifndef COUNTERSIGN_RUN_EXEC_HOLD_H
#define COUNTERSIGN_RUN_EXEC_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "countersign/session.h"

#define EXEC_HOLD_FIRST_MS 1000
#define EXEC_HOLD_MAX_MS 30000
/* How long a timed try waits for a lost server to answer a new connection
 * (connect_timeout's default) before it counts as still unreachable. */
#define EXEC_HOLD_PROBE_MS 10000

struct exec_hold;

/* An empty hold for results of S's run (S borrowed); destroy frees what it
 * still holds (lost). NULL is a no-op for destroy. */
struct exec_hold *exec_hold_create(struct session *s);
void exec_hold_destroy(struct exec_hold *h);

/* Holds the check_finished of SEC/ITEM by ACTOR with PAYLOAD (JSON text)
 * and EVIDENCE (NULL: none), both copied, for the attempt whose
 * check_started is event START_SEQ; VERDICT is what the lost list says.
 * Its first try is due EXEC_HOLD_FIRST_MS from now. Called right after the
 * session's append failed because the database was unreachable or busy
 * (session_unreachable, session_busy), which the hold remembers. */
void exec_hold_put(struct exec_hold *h, size_t sec, size_t item, const char *actor, int64_t start_seq,
	const char *payload, const struct store_evidence *evidence, const char *verdict);

/* How many results are held; whether one of SEC/ITEM is. */
size_t exec_hold_count(const struct exec_hold *h);
bool exec_hold_has(const struct exec_hold *h, size_t sec, size_t item);

/* Milliseconds until the next try (0: due now: an append of the session
 * landed since the last try), or -1 when nothing is held or the last try
 * failed for a reason that waiting does not cure. */
int exec_hold_next_ms(const struct exec_hold *h);

/* Tries the held results, oldest first, when their try is due (all of them
 * now when FORCE): one that lands is said ("recorded ... after the database
 * came back"); one whose attempt another process ended meanwhile is dropped
 * and said; while the database still cannot be reached the rest wait for
 * the next try, which comes twice as late (at most EXEC_HOLD_MAX_MS).
 * Returns how many left the hold. */
size_t exec_hold_retry(struct exec_hold *h, bool force);

/* A timed try for a server that was lost (PostgreSQL) first makes a new
 * connection without blocking (store_probe_*): the results are tried only
 * once it connected; one that fails, or is not answered within
 * EXEC_HOLD_PROBE_MS, counts as a try that found the server unreachable.
 * pollfds puts the probe's socket in FDS (at most MAX) and returns how many
 * it needs (0 or 1); dispatch takes the probe's step when that socket is
 * ready (FDS, N: what pollfds put, after poll). */
struct pollfd;
size_t exec_hold_pollfds(struct exec_hold *h, struct pollfd *fds, size_t max);
void exec_hold_dispatch(struct exec_hold *h, const struct pollfd *fds, size_t n);

/* Why the held results are not recorded, for the status line: "database
 * unreachable", "database busy/locked", or what the session said of a
 * failure waiting does not cure (NULL: nothing held). Borrowed: valid until
 * the next put or retry. */
const char *exec_hold_why(const struct exec_hold *h);

/* One line per held result ("SECTION/ITEM: VERDICT, finished TIME UTC,
 * evidence SHA"), malloc'd (the caller frees), or NULL when none. */
char *exec_hold_text(const struct exec_hold *h);

/* The hold of executor X (NULL when it does not hold): exec.c's, for the
 * exec_held* functions defined here. */
struct exec;
struct exec_hold *exec_hold_of(const struct exec *x);

#endif
