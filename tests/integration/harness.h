/* Shared by the integration test programs: items written as checklist JSON
 * (loaded by the real loader), outcomes collected from the net callbacks,
 * and a poll loop that waits for a condition with a deadline. The servers
 * come from with_servers.sh through the environment. */
#ifndef COUNTERSIGN_TEST_HARNESS_H
#define COUNTERSIGN_TEST_HARNESS_H

#include "../unit/check.h"

#include "countersign/checklist.h"
#include "countersign/clock.h"
#include "countersign/net.h"
#include "countersign/util.h"

#include <cjson/cJSON.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_JOBS 1024
/* Longest any single wait in a test may take before it counts as a failure. */
#define WAIT_LIMIT_MS 60000

struct outcome {
	bool done;
	char *verdict, *message;
	cJSON *evidence;              /* parsed */
	int attempts, failures;
	bool has_value, needs_attestation, insecure;
	double last_value;
	struct strbuf progress;       /* every progress line, one a line */
	int n_progress;
	bool delivered, delivery_ok;  /* deliveries */
	char *delivery_url, *delivery_error, *delivery_event;
	int delivery_attempts;
	long delivery_status;
};

struct harness {
	struct net *net;
	struct outcome jobs[MAX_JOBS + 1];
	/* Called on each progress line, for tests that act mid-check. */
	void (*on_progress)(struct harness *h, int job, const char *text);
	void *data;
};

static inline struct outcome *outcome_of(struct harness *h, int job)
{
	if (job <= 0 || job > MAX_JOBS) {
		fprintf(stderr, "job id %d out of the harness' range\n", job);
		abort();
	}
	return &h->jobs[job];
}

static inline void harness_progress(int job, const char *text, void *user)
{
	struct harness *h = user;
	struct outcome *o = outcome_of(h, job);
	strbuf_addf(&o->progress, "%s\n", text);
	o->n_progress++;
	if (h->on_progress)
		h->on_progress(h, job, text);
}

static inline void harness_done(int job, struct net_result *r, void *user)
{
	struct harness *h = user;
	struct outcome *o = outcome_of(h, job);
	CHECK(!o->done);
	o->done = true;
	o->verdict = xstrdup(r->verdict);
	o->message = r->message;
	r->message = NULL;
	o->evidence = r->evidence ? cJSON_Parse(r->evidence) : NULL;
	CHECK(o->evidence != NULL && cJSON_IsArray(o->evidence));
	o->attempts = r->attempts;
	o->failures = r->failures;
	o->has_value = r->has_value;
	o->last_value = r->last_value;
	o->needs_attestation = r->needs_attestation;
	o->insecure = r->insecure;
	CHECK(r->ended_us >= r->started_us && r->started_us > 0);
	/* CS_TEST_VERBOSE=1 shows what a person would see (2: and the evidence). */
	const char *verbose = getenv("CS_TEST_VERBOSE");
	if (verbose && verbose[0] >= '1')
		fprintf(stderr, "job %d: %s: %s\n", job, o->verdict, o->message);
	if (verbose && verbose[0] >= '2')
		fprintf(stderr, "  evidence: %s\n", r->evidence);
}

static inline void harness_notified(int id, const struct net_delivery *d, void *user)
{
	struct harness *h = user;
	struct outcome *o = outcome_of(h, id);
	CHECK(!o->delivered);
	o->delivered = true;
	o->delivery_ok = d->ok;
	o->delivery_url = xstrdup(d->url);
	o->delivery_error = d->error ? xstrdup(d->error) : NULL;
	o->delivery_event = xstrdup(d->event);
	o->delivery_attempts = d->attempts;
	o->delivery_status = d->status;
	const char *verbose = getenv("CS_TEST_VERBOSE");
	if (verbose && verbose[0] >= '1')
		fprintf(stderr, "delivery %d (%s to %s): %s after %d attempt(s)%s%s\n", id, d->event, d->url,
			d->ok ? "delivered" : "failed", d->attempts, d->error ? ": " : "", d->error ? d->error : "");
}

static inline void harness_init(struct harness *h)
{
	memset(h, 0, sizeof(*h));
	h->net = net_create(harness_progress, harness_done, h);
	if (!h->net) {
		fprintf(stderr, "net_create failed\n");
		exit(1);
	}
	net_on_notified(h->net, harness_notified);
}

static inline void outcome_clear(struct outcome *o)
{
	free(o->verdict);
	free(o->message);
	cJSON_Delete(o->evidence);
	strbuf_release(&o->progress);
	free(o->delivery_url);
	free(o->delivery_error);
	free(o->delivery_event);
	memset(o, 0, sizeof(*o));
}

static inline void harness_clear(struct harness *h)
{
	net_destroy(h->net);
	for (int i = 0; i <= MAX_JOBS; i++)
		outcome_clear(&h->jobs[i]);
}

static inline int64_t harness_now_ms(void)
{
	return clock_mono_us() / 1000;
}

/* One round of the caller's poll loop, sleeping at most MAX_MS. */
static inline void harness_step(struct harness *h, int max_ms)
{
	struct pollfd fds[MAX_JOBS * 2];
	size_t n = net_pollfds(h->net, fds, MAX_JOBS * 2);
	if (n > MAX_JOBS * 2)
		n = MAX_JOBS * 2;
	int t = net_next_timeout_ms(h->net);
	if (t < 0 || t > max_ms)
		t = max_ms;
	(void)poll(fds, (nfds_t)n, t);
	net_dispatch(h->net, fds, n);
}

/* Runs the loop until COND(h, arg) holds; false when WAIT_LIMIT_MS passed. */
static inline bool harness_until(struct harness *h, bool (*cond)(struct harness *, int), int arg)
{
	int64_t end = harness_now_ms() + WAIT_LIMIT_MS;
	while (!cond(h, arg)) {
		if (harness_now_ms() > end)
			return false;
		harness_step(h, 100);
	}
	return true;
}

static inline bool job_is_done(struct harness *h, int job)
{
	return outcome_of(h, job)->done || outcome_of(h, job)->delivered;
}

/* Waits for JOB (> 0) and returns its outcome; fails the test when it never ends. */
static inline struct outcome *harness_wait(struct harness *h, int job)
{
	CHECK(job > 0);
	if (job <= 0)
		return &h->jobs[0];
	bool ended = harness_until(h, job_is_done, job);
	CHECK(ended);
	return outcome_of(h, job);
}

static inline const char *env_or_die(const char *name)
{
	const char *v = getenv(name);
	if (!v || !v[0]) {
		fprintf(stderr, "%s is not set: run this test through with_servers.sh\n", name);
		exit(2);
	}
	return v;
}

/* Loads a one-item checklist around ITEM_JSON (an object text); exits
 * when the loader refuses it, since that is a mistake in the test. */
static inline struct checklist *load_item(const char *item_json)
{
	char *text = xasprintf("{\"countersign\": 1, \"id\": \"t\", \"title\": \"t\", \"sections\": "
		"[{\"id\": \"s\", \"title\": \"s\", \"items\": [%s]}]}", item_json);
	struct diag_list d;
	diag_list_init(&d, "test");
	struct checklist *cl = checklist_load_text("test.json", text, strlen(text), &d);
	if (!cl) {
		diag_list_print(&d, stderr);
		fprintf(stderr, "test item does not load: %s\n", item_json);
		exit(2);
	}
	diag_list_clear(&d);
	free(text);
	return cl;
}

static inline const struct checklist_item *first_item(const struct checklist *cl)
{
	return &cl->sections[0].items[0];
}

/* The attempt or sample I of an outcome's evidence, and its string and number fields. */
static inline const cJSON *ev_at(const struct outcome *o, int i)
{
	return cJSON_GetArrayItem(o->evidence, i);
}

static inline const char *ev_str(const cJSON *ev, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static inline double ev_num(const cJSON *ev, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, key);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* CHECK that HAYSTACK contains NEEDLE, printing both when not. */
#define CHECK_HAS(haystack, needle) do { \
	const char *h_ = (haystack), *n_ = (needle); \
	if (h_ && n_ && strstr(h_, n_)) { check_passed++; } else { check_failed++; \
		fprintf(stderr, "%s:%d: %s does not contain \"%s\"\n  got: %s\n", __FILE__, __LINE__, \
			#haystack, n_ ? n_ : "(null)", h_ ? h_ : "(null)"); } \
} while (0)

#endif
