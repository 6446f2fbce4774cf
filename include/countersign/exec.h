/* Running a checklist item's check for a session: expands variables,
 * records check_started, drives the runner (and later network checks),
 * judges the result and records check_finished with its evidence. Shared
 * by the command line and the interface; nothing here blocks except
 * exec_run_interactive, which owns the terminal by design. */
#ifndef COUNTERSIGN_EXEC_H
#define COUNTERSIGN_EXEC_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "countersign/session.h"
#include "countersign/vars.h"

struct exec;

/* Output of a running check, redacted, as it arrives. */
typedef void (*exec_output_fn)(size_t sec, size_t item, const char *data, size_t len, void *user);
/* A check finished and was recorded (RC is a CS_* outcome of recording). */
typedef void (*exec_done_fn)(size_t sec, size_t item, const char *verdict, const char *message,
	int rc, void *user);

/* Creates an executor for S (borrowed) using VARS (borrowed) for expansion.
 * When the checklist has notify entries, it also delivers the session's
 * notifications (webhooks) while it lives. */
struct exec *exec_create(struct session *s, struct var_values *vars, exec_output_fn on_output,
	exec_done_fn on_done, void *user);
/* Cancels and reaps what still runs (recording it as cancelled); NULL is a no-op. */
void exec_destroy(struct exec *x);

/* The command a command item would run, fully expanded with secrets shown
 * as "***" (malloc'd), or NULL after reporting a missing variable. */
char *exec_preview(struct exec *x, size_t sec, size_t item);

/* Starts the check of SEC/ITEM as ACTOR: records check_started and starts
 * it. Wait items are only recorded (their verdict follows from time).
 * Interactive items are refused here (use exec_run_interactive). Returns a
 * CS_* outcome; the engine's permission must have been checked. */
int exec_start(struct exec *x, size_t sec, size_t item, const char *actor);

/* Runs an interactive command item on the caller's terminal (the caller
 * suspends its screen first), recording start and end; the item then needs
 * an attestation. Returns a CS_* outcome. */
int exec_run_interactive(struct exec *x, size_t sec, size_t item, const char *actor);

/* Asks the running check of SEC/ITEM to stop (recorded as cancelled). */
void exec_cancel(struct exec *x, size_t sec, size_t item);
/* Number of checks still running. */
size_t exec_active(const struct exec *x);
bool exec_is_running(const struct exec *x, size_t sec, size_t item);

/* The session's variables got a value (a secret given later): what checks
 * started from now on redact includes it. NULL is a no-op. */
void exec_vars_changed(struct exec *x);

/* Webhook deliveries still under way (notify entries of the checklist). */
size_t exec_deliveries(const struct exec *x);
/* Waits (polling) up to LIMIT_MS for checks and deliveries in flight: for
 * headless commands, which exit right after recording. */
void exec_flush(struct exec *x, int limit_ms);

/* Holding (for the interface): from now on, a check's result that cannot
 * be recorded because the database cannot be reached (session_unreachable)
 * or is busy (another process held its lock past the wait, session_busy)
 * is held in memory and tried again with backoff, 1 s doubling to 30 s,
 * and at once after any other append of the session lands, from
 * exec_dispatch (exec_next_timeout_ms includes the next try), each time
 * under the rule that its attempt still runs: one another process ended
 * meanwhile is dropped, and said. A try that fails for another reason
 * keeps them held without timed tries (exec_held_retry_ms -1). ON_DONE
 * still gets CS_ENV for it. Without holding (the command line) such a
 * result is reported and lost; a result that fails for another reason at
 * once (a read-only file, a full disk) is said and not held. */
void exec_set_holding(struct exec *x, bool on);
/* How many results are held; whether SEC/ITEM's is. */
size_t exec_held(const struct exec *x);
bool exec_is_held(const struct exec *x, size_t sec, size_t item);
/* Milliseconds until the next try of the held results, -1 when none is
 * held or no timed try is due (the last failed for a reason waiting does
 * not cure). */
int exec_held_retry_ms(const struct exec *x);
/* Why the held results are not recorded: "database unreachable",
 * "database busy/locked", or the failure the last try met; NULL when none
 * is held. Borrowed until the next exec_dispatch. */
const char *exec_held_why(const struct exec *x);
/* One line per held result: "SECTION/ITEM: VERDICT, finished TIME UTC,
 * evidence SHA256" (malloc'd, the caller frees), or NULL when none. */
char *exec_held_text(const struct exec *x);
/* The interface's connection to a PostgreSQL server lost while nothing is
 * held (the server restarted, a network cut it): it is made again from
 * exec_dispatch without blocking (a probe first, tries backing off from
 * 0.5 s to 8 s), and what others recorded meanwhile shows at the next
 * session_poll. Returns the milliseconds until the next try (0: under
 * way), or -1 when the connection is not known lost (or results are held,
 * whose own tries then reach for the server; a SQLite record: always). */
int exec_unlinked_ms(const struct exec *x);
/* exec_destroy that tries the held results (and those of the checks it
 * cancels) once more first, and returns exec_held_text of what is still
 * not recorded: lost (NULL when nothing is). NULL X: NULL. */
char *exec_close(struct exec *x);

/* Poll integration, like the runner's. */
size_t exec_pollfds(struct exec *x, struct pollfd *fds, size_t max);
int exec_next_timeout_ms(const struct exec *x);
void exec_dispatch(struct exec *x, const struct pollfd *fds, size_t n);

#endif
