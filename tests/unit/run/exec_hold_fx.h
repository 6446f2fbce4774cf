/* What the tests of held results share (test_exec_hold*.c): the session's
 * messages kept in order, a done callback that counts, a driver of the
 * executor's poll loop that notes its longest dispatch, and a count of a
 * run's recorded results. Each test sets DB (the record's location) first;
 * the functions are inline so that a test need not use them all. */
#ifndef COUNTERSIGN_TEST_EXEC_HOLD_FX_H
#define COUNTERSIGN_TEST_EXEC_HOLD_FX_H

#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/clock.h"
#include "countersign/exec.h"
#include "countersign/session.h"
#include "countersign/util.h"

static const char *db;      /* the record's location, set by the test */
static struct strvec said;  /* what the session reported, in order */
static int64_t longest_us;  /* the longest exec_dispatch of the last drive */

static inline void keep(void *data, const char *message)
{
	(void)data;
	strvec_push(&said, message);
}

static inline bool said_has_quiet(const char *needle)
{
	for (size_t i = 0; i < said.n; i++)
		if (strstr(said.v[i], needle))
			return true;
	return false;
}

/* Whether the session said NEEDLE; when not, prints all it said. */
static inline bool said_has(const char *needle)
{
	if (said_has_quiet(needle))
		return true;
	fprintf(stderr, "not said: %s; said:\n", needle);
	for (size_t i = 0; i < said.n; i++)
		fprintf(stderr, "  %s\n", said.v[i]);
	return false;
}

static inline void open_session(struct session *s)
{
	memset(s, 0, sizeof(*s));
	s->report.say = keep;
	if (session_open_store(s, db) != CS_OK) {
		fprintf(stderr, "cannot open %s\n", db);
		exit(1);
	}
}

struct done {
	int calls, rc;
	char verdict[16];
};

static inline void on_done(size_t sec, size_t item, const char *verdict, const char *message, int rc, void *user)
{
	(void)sec;
	(void)item;
	(void)message;
	struct done *d = user;
	d->calls++;
	d->rc = rc;
	snprintf(d->verdict, sizeof(d->verdict), "%s", verdict);
}

/* Drives X's poll loop until DONE returns true or LIMIT_MS pass; the
 * result. Notes the longest exec_dispatch in longest_us. */
static inline bool drive(struct exec *x, bool (*done)(struct exec *x, void *data), void *data, int limit_ms)
{
	int64_t end = clock_mono_us() + (int64_t)limit_ms * 1000;
	struct pollfd fds[16];
	longest_us = 0;
	while (!done(x, data)) {
		if (clock_mono_us() >= end)
			return false;
		size_t n = exec_pollfds(x, fds, 16);
		int t = exec_next_timeout_ms(x);
		poll(fds, n, t < 0 || t > 50 ? 50 : t);
		int64_t before = clock_mono_us();
		exec_dispatch(x, fds, n);
		if (clock_mono_us() - before > longest_us)
			longest_us = clock_mono_us() - before;
	}
	return true;
}

static inline bool finished(struct exec *x, void *data)
{
	(void)x;
	return ((struct done *)data)->calls > 0;
}

static inline bool none_held(struct exec *x, void *data)
{
	(void)data;
	return exec_held(x) == 0;
}

/* How many check_finished events of TARGET run RUN holds; -1 when it
 * cannot be read. */
static inline int finishes(const char *run, const char *target)
{
	struct session s;
	open_session(&s);
	struct event *evs = NULL;
	size_t n = 0;
	int count = -1;
	if (session_chain_events(&s, run, 0, &evs, &n) == CS_OK) {
		count = 0;
		for (size_t i = 0; i < n; i++)
			count += strcmp(evs[i].kind, EV_CHECK_FINISHED) == 0 && strcmp(evs[i].target, target) == 0;
	}
	event_array_free(evs, n);
	session_close(&s);
	return count;
}

#endif
