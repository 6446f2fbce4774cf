/* Benchmark: store_verify throughput. Builds one run of 100,000 events in a
 * temporary database (one in ten a check_finished naming 2 KiB of its own
 * evidence), then times verifying it and prints events per second. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "countersign/clock.h"
#include "countersign/store.h"
#include "countersign/util.h"

#define EVENTS 100000
#define BATCH 1000
#define EVIDENCE_EVERY 10
#define EVIDENCE_BYTES 2048

static double now_s(void)
{
	return (double)clock_mono_us() / 1e6;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void fail(struct store *st, const char *what)
{
	fprintf(stderr, "bench_verify: %s: %s\n", what, store_error(st));
	exit(1);
}

static struct event make_event(int64_t i, char *payload, const char *kind, const char *target)
{
	struct event ev = {0};
	ev.actor = xstrdup(i % 3 ? "alice" : "bob");
	ev.os_user = xstrdup("ops");
	ev.host = xstrdup("deploy-01.example.net");
	ev.tty = xstrdup("/dev/pts/3");
	ev.kind = xstrdup(kind);
	ev.target = xstrdup(target);
	ev.payload = payload;
	return ev;
}

/* Appends events 2..EVENTS in batches (event 1 is the run's start). */
static void fill(struct store *st, const char *run_id)
{
	struct event evs[BATCH];
	struct store_evidence evidence[BATCH / EVIDENCE_EVERY];
	static unsigned char blobs[BATCH / EVIDENCE_EVERY][EVIDENCE_BYTES];
	int64_t seq = 2;
	while (seq <= EVENTS) {
		size_t n = 0, n_ev = 0;
		for (; n < BATCH && seq <= EVENTS; n++, seq++) {
			if (seq % EVIDENCE_EVERY == 0) {
				randombytes_buf(blobs[n_ev], EVIDENCE_BYTES);
				evidence[n_ev] = (struct store_evidence){.bytes = blobs[n_ev], .len = EVIDENCE_BYTES};
				char sha[EVENT_HASH_HEX];
				event_sha256_hex(blobs[n_ev], EVIDENCE_BYTES, sha);
				n_ev++;
				char *payload = xasprintf("{\"verdict\":\"pass\",\"message\":\"exit 0\",\"exit_status\":0,"
					"\"bytes\":%d,\"sha256\":\"%s\",\"evidence\":\"%s\",\"duration_ms\":%" PRId64 "}",
					EVIDENCE_BYTES, sha, sha, seq % 977);
				evs[n] = make_event(seq, payload, "check_finished", "deploy/rollout-status");
			} else {
				char *payload = xasprintf("{\"attempt\":%" PRId64 ",\"command\":\"kubectl -n noa rollout "
					"status deploy/noa-server --timeout=120s\"}", seq % 5 + 1);
				evs[n] = make_event(seq, payload, "check_started", "deploy/rollout-status");
			}
		}
		if (store_append(st, run_id, evs, n, evidence, n_ev) != STORE_OK)
			fail(st, "cannot append");
		for (size_t i = 0; i < n; i++)
			event_clear(&evs[i]);
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char tmpl[] = "/tmp/cs-bench-verify-XXXXXX";
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 1;
	}
	char *path = xasprintf("%s/bench.db", tmpl);
	char *err = NULL;
	struct store *st = store_open(path, &err);
	if (!st) {
		fprintf(stderr, "bench_verify: %s\n", err);
		return 1;
	}
	static const char checklist[] = "{\"countersign\": 1, \"id\": \"bench\", \"title\": \"Bench\"}";
	char sha[EVENT_HASH_HEX];
	if (store_put_checklist(st, checklist, sizeof(checklist) - 1, sha) != STORE_OK)
		fail(st, "cannot store the checklist");
	struct store_run_row run = {.checklist_id = xstrdup("bench"), .checklist_sha = xstrdup(sha),
		.title = xstrdup("bench"), .path = xstrdup("bench.json")};
	struct event first = make_event(1, xstrdup("{\"checklist\":\"bench\",\"variables\":{}}"), "run_started", "");
	if (store_create_run(st, &run, &first) != STORE_OK)
		fail(st, "cannot create the run");
	event_clear(&first);

	double t0 = now_s();
	fill(st, run.id);
	double built = now_s() - t0;

	struct store_verify_result r;
	t0 = now_s();
	enum store_status s = store_verify(st, run.id, NULL, &r);
	double took = now_s() - t0;
	if (s != STORE_OK || !r.ok || r.events != EVENTS) {
		fprintf(stderr, "bench_verify: verification failed: %s\n", r.why ? r.why : store_error(st));
		return 1;
	}
	printf("built %d events (%d evidence blobs of %d bytes) in %.2f s\n", EVENTS, EVENTS / EVIDENCE_EVERY,
		EVIDENCE_BYTES, built);
	printf("verify: %" PRId64 " events in %.3f s: %.0f events/s\n", r.events, took, (double)r.events / took);
	store_verify_result_clear(&r);
	store_run_row_clear(&run);
	store_close(st);
	free(path);
	nftw(tmpl, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
