/* Benchmark: store_verify of one run of 100,000 signed events against
 * libsodium's own rate of Ed25519 verification in the same process. Builds
 * the run in a temporary database through store_append, each event signed
 * by its engineer (keys derived at the minimum PIN cost; one in ten a
 * check_finished naming 2 KiB of its own evidence), times verifying it, then
 * times BASELINE raw crypto_sign_verify_detached calls over 32-byte
 * messages (what a signature covers: an event's hash) and prints the ratio
 * of the time per event to the time per raw verification (target: at most
 * 1.3). */
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
#include "countersign/pin.h"
#include "countersign/sign.h"
#include "countersign/store.h"
#include "countersign/util.h"

#define EVENTS 100000
#define BATCH 1000
#define EVIDENCE_EVERY 10
#define EVIDENCE_BYTES 2048
#define BASELINE 20000
#define TARGET_RATIO 1.3

struct signer {
	const char *name;
	struct sign_key *key;
};

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

static struct event make_event(const struct signer *by, char *payload, const char *kind, const char *target)
{
	struct event ev = {0};
	ev.actor = xstrdup(by->name);
	ev.os_user = xstrdup("ops");
	ev.host = xstrdup("deploy-01.example.net");
	ev.tty = xstrdup("/dev/pts/3");
	ev.kind = xstrdup(kind);
	ev.target = xstrdup(target);
	ev.payload = payload;
	ev.signers[0] = by->key;
	ev.signer_names[0] = by->name;
	return ev;
}

/* Registers NAME with a key derived from a PIN at the minimum cost. */
static void engineer(struct store *st, struct signer *s, const char *name)
{
	struct sign_params p;
	sign_params_new(&p);
	const char *why = NULL;
	s->name = name;
	s->key = sign_key_derive(name, &p, &why);
	if (!s->key) {
		fprintf(stderr, "bench_verify: cannot derive a key: %s\n", why);
		exit(1);
	}
	struct store_engineer e = {.name = (char *)name, .full_name = (char *)name, .key = p};
	snprintf(e.public_key, sizeof(e.public_key), "%s", sign_key_public(s->key));
	struct event origin = {.actor = (char *)name, .os_user = "ops", .host = "deploy-01", .tty = "/dev/pts/3"};
	if (store_add_engineer(st, &e, &origin, s->key) != STORE_OK)
		fail(st, "cannot add an engineer");
}

/* Appends events 2..EVENTS in batches (event 1 is the run's start). */
static void fill(struct store *st, const char *run_id, const struct signer *who)
{
	struct event evs[BATCH];
	struct store_evidence evidence[BATCH / EVIDENCE_EVERY];
	static unsigned char blobs[BATCH / EVIDENCE_EVERY][EVIDENCE_BYTES];
	int64_t seq = 2;
	while (seq <= EVENTS) {
		size_t n = 0, n_ev = 0;
		for (; n < BATCH && seq <= EVENTS; n++, seq++) {
			const struct signer *by = &who[seq % 3 ? 0 : 1];
			if (seq % EVIDENCE_EVERY == 0) {
				randombytes_buf(blobs[n_ev], EVIDENCE_BYTES);
				evidence[n_ev] = (struct store_evidence){.bytes = blobs[n_ev], .len = EVIDENCE_BYTES};
				char sha[EVENT_HASH_HEX];
				event_sha256_hex(blobs[n_ev], EVIDENCE_BYTES, sha);
				n_ev++;
				char *payload = xasprintf("{\"verdict\":\"pass\",\"message\":\"exit 0\",\"exit_status\":0,"
					"\"bytes\":%d,\"sha256\":\"%s\",\"evidence\":\"%s\",\"duration_ms\":%" PRId64 "}",
					EVIDENCE_BYTES, sha, sha, seq % 977);
				evs[n] = make_event(by, payload, "check_finished", "deploy/rollout-status");
			} else {
				char *payload = xasprintf("{\"attempt\":%" PRId64 ",\"command\":\"kubectl -n noa rollout "
					"status deploy/noa-server --timeout=120s\"}", seq % 5 + 1);
				evs[n] = make_event(by, payload, "check_started", "deploy/rollout-status");
			}
		}
		if (store_append(st, run_id, evs, n, evidence, n_ev) != STORE_OK)
			fail(st, "cannot append");
		for (size_t i = 0; i < n; i++)
			event_clear(&evs[i]);
	}
}

/* Seconds for BASELINE crypto_sign_verify_detached calls, each over its
 * own 32-byte message. */
static double raw_verify(void)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	crypto_sign_keypair(pk, sk);
	unsigned char (*msg)[32] = xcalloc(BASELINE, 32);
	unsigned char (*sig)[crypto_sign_BYTES] = xcalloc(BASELINE, crypto_sign_BYTES);
	for (size_t i = 0; i < BASELINE; i++) {
		randombytes_buf(msg[i], 32);
		crypto_sign_detached(sig[i], NULL, msg[i], 32, sk);
	}
	size_t good = 0;
	double t0 = now_s();
	for (size_t i = 0; i < BASELINE; i++)
		good += crypto_sign_verify_detached(sig[i], msg[i], 32, pk) == 0;
	double took = now_s() - t0;
	sodium_memzero(sk, sizeof(sk));
	free(msg);
	free(sig);
	if (good != BASELINE) {
		fprintf(stderr, "bench_verify: a raw verification failed\n");
		exit(1);
	}
	return took;
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	pin_set_cost(PIN_COST_MIN);
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
	struct signer who[2];
	engineer(st, &who[0], "alice");
	engineer(st, &who[1], "bob");
	/* A checklist that loads, so that verify folds the run with it as it
	 * does any run. */
	static const char checklist[] = "{\"countersign\": 1, \"id\": \"bench\", \"title\": \"Bench\", \"sections\": "
		"[{\"id\": \"deploy\", \"title\": \"Deploy\", \"items\": [{\"id\": \"rollout-status\", \"title\": "
		"\"Rollout status\", \"kind\": \"command\", \"run\": \"kubectl -n noa rollout status deploy/noa-server\"}]}]}";
	char sha[EVENT_HASH_HEX];
	if (store_put_checklist(st, checklist, sizeof(checklist) - 1, sha) != STORE_OK)
		fail(st, "cannot store the checklist");
	struct store_run_row run = {.checklist_id = xstrdup("bench"), .checklist_sha = xstrdup(sha),
		.title = xstrdup("bench"), .path = xstrdup("bench.json")};
	struct event first = make_event(&who[0], xasprintf("{\"checklist\":\"bench\",\"sha256\":\"%s\",\"title\":"
		"\"bench\",\"variables\":{},\"window_ms\":0,\"path\":\"bench.json\"}", sha), "run_started", "");
	if (store_create_run(st, &run, &first) != STORE_OK)
		fail(st, "cannot create the run");
	event_clear(&first);

	double t0 = now_s();
	fill(st, run.id, who);
	double built = now_s() - t0;

	struct store_verify_result r;
	t0 = now_s();
	enum store_status s = store_verify(st, run.id, NULL, &r);
	double took = now_s() - t0;
	if (s != STORE_OK || !r.ok || r.events != EVENTS || r.unsigned_events != 0) {
		fprintf(stderr, "bench_verify: verification failed: %s\n", r.why ? r.why : store_error(st));
		return 1;
	}
	double raw = raw_verify();
	double per_event = took / (double)r.events, per_raw = raw / BASELINE;
	printf("built %d signed events (%d evidence blobs of %d bytes) in %.2f s\n", EVENTS, EVENTS / EVIDENCE_EVERY,
		EVIDENCE_BYTES, built);
	printf("verify: %" PRId64 " events in %.3f s: %.0f events/s\n", r.events, took, (double)r.events / took);
	printf("crypto_sign_verify_detached: %d in %.3f s: %.0f/s\n", BASELINE, raw, BASELINE / raw);
	printf("ratio (time per event / time per raw verification): %.2f (target: at most %.1f)\n",
		per_event / per_raw, TARGET_RATIO);
	store_verify_result_clear(&r);
	store_run_row_clear(&run);
	store_close(st);
	sign_key_destroy(who[0].key);
	sign_key_destroy(who[1].key);
	free(path);
	nftw(tmpl, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
