/* The connection to the record's server, made again from the poll loop
 * when it was lost (exec_link.h). */
#include "run/exec_link.h"

#include <assert.h>
#include <poll.h>
#include <stdlib.h>

#include "countersign/clock.h"
#include "countersign/session.h"
#include "countersign/store.h"
#include "countersign/util.h"

struct exec_link {
	struct session *s;
	struct store_probe *probe;  /* a connection to the server being made, or NULL */
	int64_t probe_end_us;       /* monotonic: the probe is given up then */
	int64_t due_us;             /* monotonic: no new probe before then */
	int delay_ms;               /* the wait after the next failed try */
	bool lost;                  /* the store's connection is known lost */
};

struct exec_link *exec_link_create(struct session *s)
{
	assert(s && s->st);
	struct exec_link *l = xcalloc(1, sizeof(*l));
	l->s = s;
	l->delay_ms = EXEC_LINK_FIRST_MS;
	return l;
}

void exec_link_destroy(struct exec_link *l)
{
	if (!l)
		return;
	store_probe_destroy(l->probe);
	free(l);
}

/* A try that found the server still unreachable: the next comes twice as
 * late. */
static void failed(struct exec_link *l)
{
	store_probe_destroy(l->probe);
	l->probe = NULL;
	l->due_us = clock_mono_us() + (int64_t)l->delay_ms * 1000;
	l->delay_ms = l->delay_ms * 2 > EXEC_LINK_MAX_MS ? EXEC_LINK_MAX_MS : l->delay_ms * 2;
}

/* The server answered the probe: the store's own connection is made
 * again (a blocking call, but to a server that just answered). */
static void connected(struct exec_link *l)
{
	store_probe_destroy(l->probe);
	l->probe = NULL;
	if (store_reconnect(l->s->st) != STORE_OK) {
		failed(l);
		return;
	}
	l->lost = false;
	l->delay_ms = EXEC_LINK_FIRST_MS;
}

size_t exec_link_pollfds(struct exec_link *l, struct pollfd *fds, size_t max)
{
	short events = 0;
	int fd = l && l->probe ? store_probe_fd(l->probe, &events) : -1;
	if (fd < 0)
		return 0;
	if (max >= 1)
		fds[0] = (struct pollfd){.fd = fd, .events = events};
	return 1;
}

int exec_link_next_ms(const struct exec_link *l)
{
	if (!l || !l->lost)
		return -1;
	int64_t until = l->probe ? l->probe_end_us : l->due_us;
	int64_t left = (until - clock_mono_us() + 999) / 1000;
	return left <= 0 ? 0 : left > EXEC_LINK_PROBE_MS ? EXEC_LINK_PROBE_MS : (int)left;
}

void exec_link_step(struct exec_link *l, const struct pollfd *fds, size_t n, bool paused)
{
	if (!l)
		return;
	if (paused) {
		store_probe_destroy(l->probe);
		l->probe = NULL;
		return;
	}
	short events = 0;
	if (l->probe) {
		if (n >= 1 && fds[0].fd == store_probe_fd(l->probe, &events) && fds[0].revents) {
			enum store_probe_state st = store_probe_step(l->probe);
			if (st == STORE_PROBE_CONNECTED)
				connected(l);
			else if (st == STORE_PROBE_FAILED)
				failed(l);
		} else if (clock_mono_us() >= l->probe_end_us) {
			failed(l);
		}
		return;
	}
	if (clock_mono_us() < l->due_us)
		return;
	/* NULL: the connection is not lost (or cannot be: SQLite) */
	l->probe = store_probe_start(l->s->st);
	l->lost = l->probe != NULL;
	if (!l->probe)
		return;
	l->probe_end_us = clock_mono_us() + (int64_t)EXEC_LINK_PROBE_MS * 1000;
	if (store_probe_state(l->probe) == STORE_PROBE_FAILED)
		failed(l);
}

bool exec_link_lost(const struct exec_link *l, int *next_ms)
{
	if (!l || !l->lost)
		return false;
	if (next_ms)
		*next_ms = exec_link_next_ms(l);
	return true;
}
