/* The connection to the record's server, kept by an executor while nothing
 * is held (src/run only; exec.c drives it from the poll loop). A
 * PostgreSQL connection lost while the interface sits idle (the server
 * restarted, the network cut it) is otherwise made again only by the next
 * statement, and until a key asks for one the screen never learns what
 * others record. The link notices the loss (store_data_version reads the
 * socket at every refresh), makes a new connection without blocking
 * (store_probe_*) and, once the server answers, reconnects the store,
 * which listens again: the data version moves and the refresh catches up.
 * Tries back off from EXEC_LINK_FIRST_MS, doubling to EXEC_LINK_MAX_MS. A
 * SQLite record has no connection to lose: the link never does anything. */
#ifndef COUNTERSIGN_RUN_EXEC_LINK_H
#define COUNTERSIGN_RUN_EXEC_LINK_H

#include <stdbool.h>
#include <stddef.h>

#define EXEC_LINK_FIRST_MS 500
#define EXEC_LINK_MAX_MS 8000
/* a probe not answered within this counts as a failed try */
#define EXEC_LINK_PROBE_MS 10000

struct session;
struct pollfd;
struct exec_link;

/* A link for S's store (borrowed; it outlives the link). Free with
 * exec_link_destroy (NULL: no-op). */
struct exec_link *exec_link_create(struct session *s);
void exec_link_destroy(struct exec_link *l);

/* Poll integration: the probe's socket (0 or 1 entries of FDS, at most
 * MAX; returns how many are needed), the milliseconds until the link
 * needs a step (-1: none), and the step after poll() (FDS, N: what
 * pollfds put). PAUSED (results are held, and their own tries probe the
 * server) makes the step give up any probe and do nothing. */
size_t exec_link_pollfds(struct exec_link *l, struct pollfd *fds, size_t max);
int exec_link_next_ms(const struct exec_link *l);
void exec_link_step(struct exec_link *l, const struct pollfd *fds, size_t n, bool paused);

/* Whether the connection is known lost and not yet made again, and the
 * milliseconds until the next try (0 while a probe is under way). */
bool exec_link_lost(const struct exec_link *l, int *next_ms);

#endif
