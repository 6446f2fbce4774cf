/* The runner against real shells: exit statuses, one ordered stream for
 * stdout and stderr, environment, cwd and stdin, spawn failures, timeouts and
 * cancellation that leave nothing of the process group behind, bounded
 * capture of a large stream, redaction across reads, and concurrent jobs. */
#define _GNU_SOURCE
#include "../check.h"

#include "countersign/clock.h"
#include "countersign/event.h"
#include "countersign/runner.h"
#include "countersign/sha256.h"
#include "countersign/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 16

struct outcome {
	bool done;
	struct runner_result res;  /* output and error taken over */
	struct strbuf stream;      /* what on_output delivered */
	size_t chunks;
	struct sha256 *stream_sha;
	uint64_t stream_bytes;
};

struct ctx {
	struct outcome jobs[MAX_JOBS + 1];
	bool hash_only;            /* large streams: hash on_output, do not keep it */
	bool on_output_after_done;
};

static void on_output(int job, const char *data, size_t len, void *user)
{
	struct ctx *ctx = user;
	if (job <= 0 || job > MAX_JOBS)
		return;
	struct outcome *o = &ctx->jobs[job];
	if (o->done)
		ctx->on_output_after_done = true;
	o->chunks++;
	o->stream_bytes += len;
	sha256_update(o->stream_sha, data, len);
	if (!ctx->hash_only)
		strbuf_add(&o->stream, data, len);
}

static void on_done(int job, struct runner_result *res, void *user)
{
	struct ctx *ctx = user;
	if (job <= 0 || job > MAX_JOBS)
		return;
	struct outcome *o = &ctx->jobs[job];
	o->done = true;
	o->res = *res;
	res->output = NULL;
	res->error = NULL;
}

static struct runner *new_runner(struct ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	for (int i = 0; i <= MAX_JOBS; i++)
		ctx->jobs[i].stream_sha = sha256_create();
	return runner_create(on_output, on_done, ctx);
}

static void ctx_release(struct ctx *ctx)
{
	for (int i = 0; i <= MAX_JOBS; i++) {
		free(ctx->jobs[i].res.output);
		free(ctx->jobs[i].res.error);
		strbuf_release(&ctx->jobs[i].stream);
		sha256_destroy(ctx->jobs[i].stream_sha);
		ctx->jobs[i].stream_sha = NULL;
	}
}

static int64_t now_ms(void)
{
	return clock_mono_us() / 1000;
}

/* Runs the poll loop until every job is done, or until STOP (when given)
 * returns true; false when LIMIT_MS passed first. */
static bool pump(struct runner *r, int64_t limit_ms, bool (*stop)(void *), void *arg)
{
	int64_t deadline = now_ms() + limit_ms;
	struct pollfd fds[2 * MAX_JOBS];
	while (runner_active(r) > 0) {
		if (stop && stop(arg))
			return true;
		if (now_ms() > deadline)
			return false;
		size_t n = runner_pollfds(r, fds, 2 * MAX_JOBS);
		if (n > 2 * MAX_JOBS) {
			CHECK(n <= 2 * MAX_JOBS);
			return false;
		}
		int timeout = runner_next_timeout_ms(r);
		if (timeout < 0 || timeout > 100)
			timeout = 100;
		poll(fds, (nfds_t)n, timeout);
		runner_dispatch(r, fds, n);
	}
	return true;
}

/* Starts one job and runs it to the end; returns its id, or -1. */
static int run_one(struct runner *r, const struct runner_spec *spec)
{
	char *err = NULL;
	int id = runner_start(r, spec, &err);
	CHECK(id > 0);
	if (id < 0) {
		fprintf(stderr, "  runner_start: %s\n", err);
		free(err);
		return -1;
	}
	CHECK(pump(r, 15000, NULL, NULL));
	CHECK(runner_active(r) == 0);
	return id;
}

static struct runner_spec shell_spec(const char *script)
{
	return (struct runner_spec){ .shell = "/bin/sh", .script = script };
}

/* The process group id the script printed on its first line (echo $$). */
static pid_t first_line_pid(const struct outcome *o)
{
	const char *s = o->res.output;
	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	return (pid_t)strtol(s, NULL, 10);
}

/* Whether a process of group PGID is alive (zombies do not count), read from
 * /proc directly. */
static bool group_has_live_process(pid_t pgid)
{
	DIR *dir = opendir("/proc");
	if (!dir)
		return false;
	bool alive = false;
	struct dirent *e;
	while ((e = readdir(dir)) && !alive) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		char path[300], buf[512];
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		char *p = strrchr(buf, ')');
		char state;
		int ppid, pgrp;
		if (p && sscanf(p + 1, " %c %d %d", &state, &ppid, &pgrp) == 3
			&& pgrp == pgid && state != 'Z' && state != 'X')
			alive = true;
	}
	closedir(dir);
	return alive;
}

/* Waits (bounded) until group PGID no longer exists. This process is a
 * subreaper, so the group's orphans are its children: reap them, since
 * zombies keep a group in existence. */
static bool group_gone(pid_t pgid)
{
	int64_t deadline = now_ms() + 5000;
	for (;;) {
		while (waitpid(-pgid, NULL, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) < 0 && errno == ESRCH)
			return true;
		if (now_ms() > deadline)
			return false;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
}

static void test_exit_status(void)
{
	struct ctx ctx;
	struct runner *r = new_runner(&ctx);
	struct runner_spec spec = shell_spec("exit 0");
	int a = run_one(r, &spec);
	spec.script = "echo hi; exit 7";
	int b = run_one(r, &spec);
	spec.script = "kill -USR1 $$; sleep 5";
	int c = run_one(r, &spec);
	if (a > 0 && b > 0 && c > 0) {
		CHECK(ctx.jobs[a].res.end == RUNNER_EXITED && ctx.jobs[a].res.exit_status == 0);
		CHECK_STR(ctx.jobs[a].res.output, "");
		CHECK(ctx.jobs[b].res.end == RUNNER_EXITED && ctx.jobs[b].res.exit_status == 7);
		CHECK_STR(ctx.jobs[b].res.output, "hi\n");
		CHECK(ctx.jobs[c].res.end == RUNNER_SIGNALED && ctx.jobs[c].res.signal == SIGUSR1);
		CHECK(ctx.jobs[b].res.started_us > 0
			&& ctx.jobs[b].res.ended_us >= ctx.jobs[b].res.started_us);
	}
	runner_destroy(r);
	ctx_release(&ctx);
}

static void test_one_stream(void)
{
	struct ctx ctx;
	struct runner *r = new_runner(&ctx);
	struct runner_spec spec = shell_spec(
		"echo one; echo two >&2; echo three; echo four 1>&2; printf 'no newline'");
	int id = run_one(r, &spec);
	if (id > 0) {
		struct outcome *o = &ctx.jobs[id];
		const char *want = "one\ntwo\nthree\nfour\nno newline";
		CHECK_STR(o->res.output, want);
		CHECK(o->res.output_len == strlen(want) && o->res.total_bytes == strlen(want));
		CHECK(o->res.omitted == 0);
		char sha[65];
		event_sha256_hex(want, strlen(want), sha);
		CHECK_STR(o->res.sha256, sha);
		CHECK_STR(o->stream.data, want);
	}

	/* Many small writes arrive complete and in order through on_output. */
	spec.script = "i=1; while [ $i -le 3000 ]; do echo \"line $i\"; i=$((i+1)); done";
	id = run_one(r, &spec);
	if (id > 0) {
		struct strbuf want = {0};
		for (int i = 1; i <= 3000; i++)
			strbuf_addf(&want, "line %d\n", i);
		CHECK_STR(ctx.jobs[id].stream.data, want.data);
		CHECK_STR(ctx.jobs[id].res.output, want.data);
		strbuf_release(&want);
	}
	CHECK(!ctx.on_output_after_done);
	runner_destroy(r);
	ctx_release(&ctx);
}

static void test_env_cwd_stdin(const char *dir)
{
	struct ctx ctx;
	struct runner *r = new_runner(&ctx);
	setenv("CS_RUN_INHERITED", "from-parent", 1);
	setenv("CS_RUN_OVERRIDE", "parent", 1);
	const char *const env[] = { "CS_RUN_OVERRIDE=first", "CS_RUN_NEW=a=b",
		"CS_RUN_OVERRIDE=child", NULL };
	struct runner_spec spec = shell_spec(
		"printf '%s|%s|%s|' \"$CS_RUN_INHERITED\" \"$CS_RUN_OVERRIDE\" \"$CS_RUN_NEW\"; pwd -P");
	spec.env = env;
	spec.cwd = dir;
	int id = run_one(r, &spec);
	char real[PATH_MAX];
	if (id > 0 && realpath(dir, real)) {
		char *want = xasprintf("from-parent|child|a=b|%s\n", real);
		CHECK_STR(ctx.jobs[id].res.output, want);
		free(want);
	}

	/* Our own stdin becomes a pipe that never ends: a job that inherited
	 * it would hang in cat. */
	int saved = dup(STDIN_FILENO), p[2];
	CHECK(saved >= 0 && pipe(p) == 0);
	dup2(p[0], STDIN_FILENO);
	spec = shell_spec("cat; readlink /proc/self/fd/0 2>/dev/null || echo /dev/null; echo end");
	id = run_one(r, &spec);
	dup2(saved, STDIN_FILENO);
	close(saved);
	close(p[0]);
	close(p[1]);
	if (id > 0) {
		CHECK_STR(ctx.jobs[id].res.output, "/dev/null\nend\n");
		CHECK(ctx.jobs[id].res.end == RUNNER_EXITED && ctx.jobs[id].res.exit_status == 0);
	}
	runner_destroy(r);
	ctx_release(&ctx);
}

static bool contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle);
}

static void test_spawn_failures(void)
{
	struct ctx ctx;
	struct runner *r = new_runner(&ctx);
	struct runner_spec spec = shell_spec("echo never");
	spec.cwd = "/nonexistent-countersign-dir/sub";
	int a = run_one(r, &spec);
	spec = shell_spec("echo never");
	spec.shell = "/nonexistent-countersign/sh";
	int b = run_one(r, &spec);
	spec.shell = "countersign-no-such-shell";
	int c = run_one(r, &spec);
	if (a > 0 && b > 0 && c > 0) {
		struct runner_result *ra = &ctx.jobs[a].res, *rb = &ctx.jobs[b].res, *rc = &ctx.jobs[c].res;
		CHECK(ra->end == RUNNER_SPAWN_FAILED);
		CHECK(contains(ra->error, "working directory \"/nonexistent-countersign-dir/sub\""));
		CHECK(contains(ra->error, strerror(ENOENT)));
		CHECK(rb->end == RUNNER_SPAWN_FAILED);
		CHECK(contains(rb->error, "shell \"/nonexistent-countersign/sh\""));
		CHECK(rc->end == RUNNER_SPAWN_FAILED);
		CHECK(contains(rc->error, "countersign-no-such-shell"));
		CHECK_STR(ra->output, "");
		CHECK(ra->total_bytes == 0);
	}

	/* Not even attempted: the caller gets -1 and a message. */
	const char *const bad_env[] = { "NO_EQUALS_SIGN", NULL };
	spec = shell_spec("true");
	spec.env = bad_env;
	char *err = NULL;
	CHECK(runner_start(r, &spec, &err) == -1);
	CHECK(contains(err, "NO_EQUALS_SIGN"));
	free(err);
	CHECK(runner_active(r) == 0);
	runner_destroy(r);
	ctx_release(&ctx);
}

static void test_timeout(void)
{
	struct ctx ctx;
	struct runner *r = new_runner(&ctx);
	struct runner_spec spec = shell_spec("echo $$; sleep 1000 & sleep 1000 & sleep 1000");
	spec.timeout_ms = 300;
	int id = run_one(r, &spec);
	if (id > 0) {
		CHECK(ctx.jobs[id].res.end == RUNNER_TIMED_OUT);
		pid_t pgid = first_line_pid(&ctx.jobs[id]);
		CHECK(pgid > 1);
		if (pgid > 1) {
			/* Done means nothing of the group runs any more. */
			CHECK(!group_has_live_process(pgid));
			CHECK(group_gone(pgid));
		}
	}
	runner_destroy(r);
	ctx_release(&ctx);
}

static bool has_line(void *arg)
{
	const struct outcome *o = arg;
	return o->stream.data && strchr(o->stream.data, '\n');
}

static bool has_ready(void *arg)
{
	const struct outcome *o = arg;
	return o->stream.data && strstr(o->stream.data, "ready\n");
}

static void test_cancel(void)
{
	struct ctx ctx;
	struct runner *r = new_runner(&ctx);
	/* The background subshell reports the SIGTERM sent to the group (and
	 * not only to the shell); the job ends without waiting for the grace.
	 * Its sleep starts before the trap is set: a child forked while a trap
	 * is set can lose a SIGTERM that arrives before its exec. */
	struct runner_spec spec = shell_spec("echo $$; sleep 1000 &"
		" (sleep 1000 & trap 'echo got-term; exit 0' TERM; echo ready; wait) & sleep 1000");
	char *err = NULL;
	int id = runner_start(r, &spec, &err);
	CHECK(id > 0);
	if (id > 0) {
		CHECK(pump(r, 5000, has_ready, &ctx.jobs[id]));
		CHECK(runner_active(r) == 1);
		runner_cancel(r, id);
		CHECK(pump(r, 4000, NULL, NULL));
		CHECK(ctx.jobs[id].done && ctx.jobs[id].res.end == RUNNER_CANCELLED);
		CHECK(contains(ctx.jobs[id].res.output, "ready\ngot-term\n"));
		pid_t pgid = first_line_pid(&ctx.jobs[id]);
		CHECK(pgid > 1);
		if (pgid > 1) {
			CHECK(!group_has_live_process(pgid));
			CHECK(group_gone(pgid));
		}
		runner_cancel(r, id); /* finished: no effect */
	}
	free(err);
	runner_destroy(r);
	ctx_release(&ctx);
}

static void test_term_ignored(void)
{
	struct ctx ctx;
	struct runner *r = new_runner(&ctx);
	runner_set_kill_grace_ms(r, 300);
	struct runner_spec spec = shell_spec("trap '' TERM; echo $$; sleep 1000 & sleep 1000");
	spec.timeout_ms = 200;
	int id = run_one(r, &spec);
	if (id > 0) {
		CHECK(ctx.jobs[id].res.end == RUNNER_TIMED_OUT);
		CHECK(ctx.jobs[id].res.signal == SIGKILL);
		pid_t pgid = first_line_pid(&ctx.jobs[id]);
		CHECK(pgid > 1 && group_gone(pgid));
	}
	runner_destroy(r);
	ctx_release(&ctx);
}

/* A background process that keeps the pipe open must not keep the job
 * alive once the shell has exited. */
static void test_background_holder(void)
{
	struct ctx ctx;
	struct runner *r = new_runner(&ctx);
	runner_set_drain_ms(r, 200);
	struct runner_spec spec = shell_spec("echo $$; (sleep 0.1; echo from-background; sleep 1000) & exit 3");
	int id = run_one(r, &spec);
	if (id > 0) {
		struct outcome *o = &ctx.jobs[id];
		CHECK(o->res.end == RUNNER_EXITED && o->res.exit_status == 3);
		CHECK(contains(o->res.output, "\nfrom-background\n"));
		pid_t pgid = first_line_pid(o);
		CHECK(pgid > 1);
		if (pgid > 1) {
			kill(-pgid, SIGKILL);
			CHECK(group_gone(pgid));
		}
	}
	runner_destroy(r);
	ctx_release(&ctx);
}

/* The same bytes as the script's awk pipeline below. */
static char *numbered_lines(size_t len)
{
	struct strbuf sb = {0};
	for (int i = 0; sb.len < len; i++)
		strbuf_addf(&sb, "%08d\n", i);
	sb.len = len;
	sb.data[len] = '\0';
	return strbuf_detach(&sb);
}

static void test_large_output(void)
{
	size_t len = 10u * 1024u * 1024u;
	struct ctx ctx;
	struct runner *r = new_runner(&ctx);
	ctx.hash_only = true;
	struct runner_spec spec = shell_spec(
		"awk 'BEGIN { for (i = 0; i < 1200000; i++) printf \"%08d\\n\", i }' | head -c 10485760");
	int id = run_one(r, &spec);
	char *want = numbered_lines(len);
	if (id > 0) {
		struct outcome *o = &ctx.jobs[id];
		uint64_t omitted = len - RUNNER_HEAD_BYTES - RUNNER_TAIL_BYTES;
		CHECK(o->res.end == RUNNER_EXITED && o->res.exit_status == 0);
		CHECK(o->res.total_bytes == len);
		CHECK(o->res.omitted == omitted);
		struct strbuf expect = {0};
		strbuf_add(&expect, want, RUNNER_HEAD_BYTES);
		strbuf_addf(&expect, "\n[... %" PRIu64 " bytes omitted ...]\n", omitted);
		CHECK(strstr(expect.data, "\n[... 10223616 bytes omitted ...]\n") != NULL);
		strbuf_add(&expect, want + len - RUNNER_TAIL_BYTES, RUNNER_TAIL_BYTES);
		CHECK(o->res.output_len == expect.len
			&& memcmp(o->res.output, expect.data, expect.len) == 0);
		strbuf_release(&expect);

		char sha[65];
		event_sha256_hex(want, len, sha);
		CHECK_STR(o->res.sha256, sha);
		/* on_output saw every byte, in order. */
		char streamed[SHA256_HEX];
		sha256_final_hex(o->stream_sha, streamed);
		CHECK(o->stream_bytes == len);
		CHECK_STR(streamed, sha);
	}
	free(want);
	runner_destroy(r);
	ctx_release(&ctx);
}

static void test_secret_across_reads(void)
{
	struct ctx ctx;
	struct runner *r = new_runner(&ctx);
	const char *const secrets[] = { "", "hunter2", NULL };
	struct runner_spec spec = shell_spec(
		"printf 'token=hunt'; sleep 0.2; printf 'er2 again hunter2\\nhunt'");
	spec.secrets = secrets;
	int id = run_one(r, &spec);
	if (id > 0) {
		struct outcome *o = &ctx.jobs[id];
		const char *want = "token=*** again ***\nhunt";
		CHECK_STR(o->res.output, want);
		CHECK_STR(o->stream.data, want);
		CHECK(o->res.total_bytes == strlen(want));
		char sha[65];
		event_sha256_hex(want, strlen(want), sha);
		CHECK_STR(o->res.sha256, sha);
	}
	runner_destroy(r);
	ctx_release(&ctx);
}

static void test_concurrent(void)
{
	struct ctx ctx;
	struct runner *r = new_runner(&ctx);
	enum { N = 6 };
	int ids[N];
	char *scripts[N];
	for (int i = 0; i < N; i++) {
		scripts[i] = xasprintf("echo start %d; sleep 0.3; echo end %d; exit %d", i, i, 10 + i);
		struct runner_spec spec = shell_spec(scripts[i]);
		char *err = NULL;
		ids[i] = runner_start(r, &spec, &err);
		CHECK(ids[i] > 0);
		free(err);
	}
	CHECK(runner_active(r) == N);
	CHECK(runner_pollfds(r, NULL, 0) >= N);
	runner_wait_all(r);
	CHECK(runner_active(r) == 0);
	for (int i = 0; i < N; i++) {
		if (ids[i] <= 0)
			continue;
		struct outcome *o = &ctx.jobs[ids[i]];
		char *want = xasprintf("start %d\nend %d\n", i, i);
		CHECK(o->done && o->res.end == RUNNER_EXITED && o->res.exit_status == 10 + i);
		CHECK_STR(o->res.output, want);
		free(want);
		free(scripts[i]);
	}
	runner_destroy(r);
	ctx_release(&ctx);
}

/* Destroying a runner with jobs still running kills and reaps them. */
static void test_destroy_running(void)
{
	struct ctx ctx;
	struct runner *r = new_runner(&ctx);
	struct runner_spec spec = shell_spec("echo $$; sleep 1000 & sleep 1000");
	char *err = NULL;
	int id = runner_start(r, &spec, &err);
	CHECK(id > 0);
	if (id > 0) {
		CHECK(pump(r, 5000, has_line, &ctx.jobs[id]));
		pid_t pgid = (pid_t)strtol(ctx.jobs[id].stream.data, NULL, 10);
		runner_destroy(r);
		r = NULL;
		CHECK(pgid > 1 && group_gone(pgid));
		CHECK(!ctx.jobs[id].done);
	}
	free(err);
	runner_destroy(r);
	ctx_release(&ctx);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	/* Orphans of the jobs become our children, so that group_gone can reap
	 * them whatever init does. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* As an application might: children must still get default SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);

	char tmpl[] = "/tmp/countersign-run-XXXXXX";
	char *dir = mkdtemp(tmpl);
	CHECK(dir != NULL);
	if (!dir)
		return check_report();

	test_exit_status();
	test_one_stream();
	test_env_cwd_stdin(dir);
	test_spawn_failures();
	test_timeout();
	test_cancel();
	test_term_ignored();
	test_background_holder();
	test_large_output();
	test_secret_across_reads();
	test_concurrent();
	test_destroy_running();

	rmdir(dir);
	return check_report();
}
