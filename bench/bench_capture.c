/* Capture throughput: 1 GiB of output through the runner (redaction pass,
 * SHA-256, head and tail) against the same shell writing to /dev/null, as a
 * ratio, plus this process's peak RSS, which must stay small whatever the
 * output size. */
#include "countersign/clock.h"
#include "countersign/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define STREAM_BYTES 1073741824ull
#define CAPTURED "head -c 1073741824 /dev/zero"
#define BASELINE "head -c 1073741824 /dev/zero > /dev/null"

struct outcome {
	bool done;
	enum runner_end end;
	int exit_status;
	uint64_t total, streamed;
	char sha256[65];
};

static void on_output(int job, const char *data, size_t len, void *user)
{
	struct outcome *o = user;
	o->streamed += len;
}

static void on_done(int job, struct runner_result *res, void *user)
{
	struct outcome *o = user;
	o->done = true;
	o->end = res->end;
	o->exit_status = res->exit_status;
	o->total = res->total_bytes;
	memcpy(o->sha256, res->sha256, sizeof(o->sha256));
}

/* VmHWM of /proc/self/status in KiB, or -1. Unlike ru_maxrss it starts
 * afresh at execve, so it does not include the RSS of a large parent (such
 * as meson) that forked this program. */
static long vm_hwm_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long kib = -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static double now_s(void)
{
	return (double)clock_mono_us() / 1e6;
}

/* Runs SCRIPT to the end; returns the wall time in seconds, or -1. */
static double timed_run(const char *script, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	struct runner *r = runner_create(on_output, on_done, o);
	if (!r)
		return -1;
	struct runner_spec spec = { .shell = "/bin/sh", .script = script };
	char *err = NULL;
	double start = now_s();
	if (runner_start(r, &spec, &err) < 0) {
		fprintf(stderr, "bench_capture: %s\n", err);
		free(err);
		runner_destroy(r);
		return -1;
	}
	runner_wait_all(r);
	double elapsed = now_s() - start;
	runner_destroy(r);
	bool ok = o->done && o->end == RUNNER_EXITED && o->exit_status == 0;
	return ok ? elapsed : -1;
}

int main(void)
{
	struct outcome base, cap;
	double best_base = -1;
	/* The baseline is short and noisy: keep the best of three. */
	for (int i = 0; i < 3; i++) {
		double t = timed_run(BASELINE, &base);
		if (t < 0 || base.total != 0) {
			fprintf(stderr, "bench_capture: baseline run failed\n");
			return 1;
		}
		if (best_base < 0 || t < best_base)
			best_base = t;
	}
	double t_cap = timed_run(CAPTURED, &cap);
	if (t_cap < 0 || cap.total != STREAM_BYTES || cap.streamed != STREAM_BYTES) {
		fprintf(stderr, "bench_capture: capture run failed (%llu bytes)\n",
			(unsigned long long)cap.total);
		return 1;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("stream:   %llu bytes (sha256 %s)\n", STREAM_BYTES, cap.sha256);
	printf("captured: %.3f s (%.0f MiB/s)\n", t_cap, (double)STREAM_BYTES / 1048576.0 / t_cap);
	printf("baseline: %.3f s (sh -c '%s')\n", best_base, BASELINE);
	printf("ratio:    %.1f\n", t_cap / best_base);
	printf("peak RSS: %ld KiB (getrusage ru_maxrss), %ld KiB (VmHWM)\n", ru.ru_maxrss, vm_hwm_kib());
	return 0;
}
