/* Benchmark: 100 http checks at once against the local test server
 * (tests/integration/testserver.py, started by with_servers.sh), driven by
 * one poll loop as the interface drives them. Prints, per scenario, the
 * wall time of a round, checks per second, the per-check latency the
 * evidence recorded (p50/p95/max), CPU time spent in this process, and the
 * most sockets watched at once. Exits 1 when a check does not pass. */
#include "countersign/checklist.h"
#include "countersign/clock.h"
#include "countersign/net.h"
#include "countersign/util.h"

#include <cjson/cJSON.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define CHECKS 100
#define ROUNDS 5

struct bench {
	int done, failed;
	double latency[CHECKS];
	int n_latency;
};

static double now_ms(void)
{
	return (double)clock_mono_us() / 1e3;
}

static double cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void on_done(int job, struct net_result *r, void *user)
{
	struct bench *b = user;
	b->done++;
	if (strcmp(r->verdict, "pass") != 0) {
		if (b->failed++ < 3)
			fprintf(stderr, "check %d: %s: %s\n", job, r->verdict, r->message);
		return;
	}
	cJSON *ev = cJSON_Parse(r->evidence);
	const cJSON *lat = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ev, 0), "latency_ms");
	if (cJSON_IsNumber(lat) && b->n_latency < CHECKS)
		b->latency[b->n_latency++] = lat->valuedouble;
	cJSON_Delete(ev);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int cmp_round(const void *a, const void *b)
{
	return cmp_double(a, b);
}

/* Runs CHECKS checks of URL at once; returns the wall time in ms. */
static double round_of(struct net *n, struct bench *b, const struct checklist_item *it, const char *url,
	size_t *max_fds, double *p50, double *p95, double *pmax)
{
	static struct pollfd fds[4 * CHECKS];
	memset(b, 0, sizeof(*b));
	double start = now_ms();
	for (int i = 0; i < CHECKS; i++) {
		char *err = NULL;
		if (net_start_http(n, it, url, NULL, NULL, &err) < 0) {
			fprintf(stderr, "bench_http: %s\n", err);
			exit(1);
		}
	}
	while (net_active(n) > 0) {
		size_t k = net_pollfds(n, fds, 4 * CHECKS);
		if (k > *max_fds)
			*max_fds = k;
		if (k > 4 * CHECKS)
			k = 4 * CHECKS;
		(void)poll(fds, (nfds_t)k, net_next_timeout_ms(n));
		net_dispatch(n, fds, k);
	}
	double wall = now_ms() - start;
	qsort(b->latency, (size_t)b->n_latency, sizeof(double), cmp_double);
	if (b->n_latency > 0) {
		*p50 = b->latency[b->n_latency / 2];
		*p95 = b->latency[b->n_latency * 95 / 100];
		*pmax = b->latency[b->n_latency - 1];
	}
	return wall;
}

static int scenario(struct net *n, struct bench *b, const char *name, const char *url, const char *item_json)
{
	char *text = xasprintf("{\"countersign\": 1, \"id\": \"b\", \"title\": \"b\", \"sections\": "
		"[{\"id\": \"s\", \"title\": \"s\", \"items\": [%s]}]}", item_json);
	struct diag_list d;
	diag_list_init(&d, "bench");
	struct checklist *cl = checklist_load_text("bench.json", text, strlen(text), &d);
	free(text);
	if (!cl) {
		diag_list_print(&d, stderr);
		exit(1);
	}
	diag_list_clear(&d);
	const struct checklist_item *it = &cl->sections[0].items[0];
	double walls[ROUNDS], p50 = 0, p95 = 0, pmax = 0;
	size_t max_fds = 0;
	int failed = 0;
	double cpu0 = cpu_ms();
	for (int r = 0; r < ROUNDS; r++) {
		walls[r] = round_of(n, b, it, url, &max_fds, &p50, &p95, &pmax);
		failed += b->failed;
	}
	double cpu = (cpu_ms() - cpu0) / ROUNDS;
	qsort(walls, ROUNDS, sizeof(double), cmp_round);
	printf("%-28s %d checks at once x %d rounds: wall median %.1f ms (min %.1f, max %.1f), "
		"%.0f checks/s; per-check latency (last round) p50 %.0f ms, p95 %.0f ms, max %.0f ms; "
		"CPU %.1f ms per round; up to %zu sockets watched; %d not passed\n",
		name, CHECKS, ROUNDS, walls[ROUNDS / 2], walls[0], walls[ROUNDS - 1],
		CHECKS / (walls[ROUNDS / 2] / 1e3), p50, p95, pmax, cpu, max_fds, failed);
	checklist_destroy(cl);
	return failed;
}

int main(void)
{
	const char *base = getenv("TEST_HTTP_URL");
	if (!base) {
		fprintf(stderr, "bench_http: run through tests/integration/with_servers.sh\n");
		return 2;
	}
	struct bench b;
	struct net *n = net_create(NULL, on_done, &b);
	if (!n)
		return 1;
	char *health = xasprintf("%s/health", base), *slow = xasprintf("%s/slow?ms=200", base);
	int failed = 0;
	failed += scenario(n, &b, "GET /health + expect_json", health,
		"{\"id\": \"h\", \"title\": \"h\", \"kind\": \"http\", \"url\": \"http://x/\", "
		"\"expect_status\": 200, \"expect_json\": {\"status\": \"healthy\", \"data.items.0.state\": \"Ready\"}}");
	failed += scenario(n, &b, "GET /slow (server waits 200ms)", slow,
		"{\"id\": \"h\", \"title\": \"h\", \"kind\": \"http\", \"url\": \"http://x/\"}");
	printf("(100 requests of 200 ms one after another would take 20000 ms)\n");
	free(health);
	free(slow);
	net_destroy(n);
	return failed ? 1 : 0;
}
