/* The run every engine test builds: a checklist loaded from text, an engine
 * over it, and events made here one second apart, each folded and followed
 * by a refresh as of its time. Included by one test file each (the
 * functions are static). */
#ifndef COUNTERSIGN_TEST_ENGINE_FX_H
#define COUNTERSIGN_TEST_ENGINE_FX_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/checklist.h"
#include "countersign/engine.h"
#include "countersign/event.h"
#include "countersign/util.h"

#define SEC_US 1000000LL
#define MIN_US (60 * SEC_US)
#define T0 1700000000000000LL /* when every test run starts */

struct fx {
	struct checklist *cl;
	struct engine *e;
	int64_t seq, now;
	char prev[EVENT_HASH_HEX];
	char hash[EVENT_HASH_HEX]; /* of the latest event applied */
};

static int64_t fx_event_counter; /* makes every event hash distinct across tests */

/* Applies one event at now + 1s (so every event has its own time), then
 * refreshes as of that time. Returns the event's hash (in F, until the next). */
static const char *ev(struct fx *f, const char *kind, const char *target, const char *actor,
	const char *payload)
{
	struct event e = {0};
	f->now += SEC_US;
	e.seq = ++f->seq;
	e.time_us = f->now;
	e.actor = xstrdup(actor);
	e.os_user = xstrdup("ops");
	e.host = xstrdup("deploy-host");
	e.tty = xstrdup("/dev/pts/1");
	e.kind = xstrdup(kind);
	e.target = xstrdup(target);
	e.payload = xstrdup(payload);
	memcpy(e.prev, f->prev, EVENT_HASH_HEX);
	char *name = xasprintf("test event %" PRId64, ++fx_event_counter);
	event_sha256_hex(name, strlen(name), e.hash);
	free(name);
	memcpy(f->hash, e.hash, EVENT_HASH_HEX);
	memcpy(f->prev, e.hash, EVENT_HASH_HEX);
	engine_apply(f->e, &e);
	/* The engine must copy what it keeps: the event dies here. */
	event_clear(&e);
	engine_refresh(f->e, f->now);
	return f->hash;
}

/* Loads TEXT (named NAME in messages; exits 2 when it does not load) and
 * starts its run at T0 with RUN_STARTED as the run_started payload. */
static struct fx *fx_load(const char *name, const char *text, const char *run_started)
{
	struct diag_list d;
	diag_list_init(&d, name);
	struct fx *f = xcalloc(1, sizeof(*f));
	f->cl = checklist_load_text(name, text, strlen(text), &d);
	if (!f->cl) {
		diag_list_print(&d, stderr);
		fprintf(stderr, "test checklist %s does not load\n", name);
		exit(2);
	}
	diag_list_clear(&d);
	f->e = engine_create(f->cl);
	f->now = T0 - SEC_US;
	memset(f->prev, '0', EVENT_HASH_HEX - 1);
	ev(f, EV_RUN_STARTED, "", "alice", run_started);
	return f;
}

static void fx_close(struct fx *f)
{
	engine_destroy(f->e);
	checklist_destroy(f->cl);
	free(f);
}

#endif
