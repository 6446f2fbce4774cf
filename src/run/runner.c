#include "countersign/clock.h"
#include "countersign/runner.h"

#include "countersign/util.h"
#include "run/capture.h"
#include "run/spawn.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Bytes per read(), and at most this much per job per dispatch so that one
 * chatty check cannot starve the interface or the other jobs. */
#define READ_BYTES (64u * 1024u)
#define READ_BUDGET (1024u * 1024u)
/* How often to look for an exited shell when there is no pidfd, and for
 * survivors of a group that was sent SIGTERM. */
#define REAP_POLL_US 20000
#define GROUP_POLL_US 20000
#define MAX_TIMEOUT_MS (INT64_C(100) * 366 * 24 * 3600 * 1000)

struct job {
	int id;
	pid_t pid;                /* the shell, and the id of its process group */
	int outfd, pidfd;
	bool reaped;
	int wstatus;
	bool stopping, killed;    /* SIGTERM sent; SIGKILL sent */
	enum runner_end stop_end; /* RUNNER_TIMED_OUT or RUNNER_CANCELLED */
	bool done;                /* on_done called */
	char *spawn_error;
	int64_t timeout_at, kill_at, drain_at, group_check_at; /* monotonic us; 0: none */
	int64_t started_us;
	struct capture cap;
};

struct runner {
	runner_output_fn on_output;
	runner_done_fn on_done;
	void *user;
	struct job **jobs;
	size_t njobs, cap;
	int next_id;
	int kill_grace_ms;
	int drain_ms;
	char *buf;                /* READ_BYTES */
	struct pollfd *wait_fds;  /* for runner_wait_all */
	size_t wait_cap;
};

struct runner *runner_create(runner_output_fn on_output, runner_done_fn on_done, void *user)
{
	if (sodium_init() < 0)
		return NULL;
	struct runner *r = xcalloc(1, sizeof(*r));
	r->on_output = on_output;
	r->on_done = on_done;
	r->user = user;
	r->next_id = 1;
	r->kill_grace_ms = RUNNER_KILL_GRACE_MS;
	r->drain_ms = RUNNER_DRAIN_MS;
	r->buf = xmalloc(READ_BYTES);
	return r;
}

void runner_set_kill_grace_ms(struct runner *r, int ms)
{
	r->kill_grace_ms = ms < 0 ? 0 : ms;
}

void runner_set_drain_ms(struct runner *r, int ms)
{
	r->drain_ms = ms < 0 ? 0 : ms;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void job_free(struct job *j)
{
	close_fd(&j->outfd);
	close_fd(&j->pidfd);
	capture_release(&j->cap);
	free(j->spawn_error);
	free(j);
}

void runner_destroy(struct runner *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->njobs; i++) {
		struct job *j = r->jobs[i];
		if (!j->reaped) {
			kill(-j->pid, SIGKILL);
			while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
				;
		} else if (!j->done && spawn_group_alive(j->pid)) {
			/* The group outlived its shell (background processes). */
			kill(-j->pid, SIGKILL);
		}
		job_free(j);
	}
	free(r->jobs);
	free(r->buf);
	free(r->wait_fds);
	free(r);
}

int runner_start(struct runner *r, const struct runner_spec *spec, char **err)
{
	assert(r && err);
	if (!spec || !spec->script) {
		*err = xstrdup("no script to run");
		return -1;
	}
	struct spawned sp;
	int64_t started = clock_wall_us();
	if (!spawn_job(spec, &sp, err))
		return -1;
	/* Every signal goes to the job's group, -pid: 0 or 1 would reach this
	 * process's own group or every process the user may signal. */
	assert(sp.pid > 1);
	struct job *j = xcalloc(1, sizeof(*j));
	j->id = r->next_id++;
	j->pid = sp.pid;
	j->outfd = sp.outfd;
	j->pidfd = sp.pidfd;
	j->spawn_error = sp.error;
	j->started_us = started;
	if (spec->timeout_ms > 0 && !sp.error) {
		/* Beyond a century is as good as none, and cannot overflow. */
		int64_t ms = spec->timeout_ms < MAX_TIMEOUT_MS ? spec->timeout_ms : MAX_TIMEOUT_MS;
		j->timeout_at = clock_mono_us() + ms * 1000;
	}
	capture_init(&j->cap, spec->secrets);
	if (r->njobs == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 8;
		r->jobs = xreallocarray(r->jobs, r->cap, sizeof(*r->jobs));
	}
	r->jobs[r->njobs++] = j;
	return j->id;
}

static struct job *find_job(const struct runner *r, int id)
{
	for (size_t i = 0; i < r->njobs; i++)
		if (r->jobs[i]->id == id && !r->jobs[i]->done)
			return r->jobs[i];
	return NULL;
}

/* SIGTERM to the whole group; SIGCONT too, since a stopped process would
 * not act on SIGTERM until the grace ran out. */
static void job_stop(struct runner *r, struct job *j, enum runner_end why)
{
	/* Once reaped, the group's id may already name someone else's group. */
	assert(!j->reaped && !j->done);
	j->stopping = true;
	j->stop_end = why;
	kill(-j->pid, SIGTERM);
	kill(-j->pid, SIGCONT);
	j->kill_at = clock_mono_us() + (int64_t)r->kill_grace_ms * 1000;
}

void runner_cancel(struct runner *r, int job)
{
	struct job *j = find_job(r, job);
	/* Once the shell has exited the job only drains its pipe briefly. */
	if (j && !j->reaped && !j->stopping)
		job_stop(r, j, RUNNER_CANCELLED);
}

size_t runner_active(const struct runner *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->njobs; i++)
		n += !r->jobs[i]->done;
	return n;
}

size_t runner_pollfds(struct runner *r, struct pollfd *fds, size_t max)
{
	assert(fds || max == 0);
	size_t n = 0;
	for (size_t i = 0; i < r->njobs; i++) {
		struct job *j = r->jobs[i];
		if (j->done)
			continue;
		int want[2] = { j->outfd, j->reaped ? -1 : j->pidfd };
		for (int k = 0; k < 2; k++) {
			if (want[k] < 0)
				continue;
			if (n < max)
				fds[n] = (struct pollfd){ .fd = want[k], .events = POLLIN };
			n++;
		}
	}
	return n;
}

static int64_t earlier(int64_t a, int64_t b)
{
	return b && (!a || b < a) ? b : a;
}

/* The next moment job J needs attention without an fd becoming ready. */
static int64_t job_deadline(const struct job *j, int64_t now)
{
	int64_t at = 0;
	if (!j->reaped) {
		if (j->pidfd < 0)
			at = earlier(at, now + REAP_POLL_US);
		if (!j->stopping)
			at = earlier(at, j->timeout_at);
		else if (!j->killed)
			at = earlier(at, j->kill_at);
	} else if (j->stopping && !j->killed) {
		at = earlier(at, earlier(j->kill_at, j->group_check_at));
	} else if (j->outfd >= 0) {
		at = earlier(at, j->drain_at);
	}
	return at;
}

int runner_next_timeout_ms(const struct runner *r)
{
	int64_t now = clock_mono_us(), at = 0;
	for (size_t i = 0; i < r->njobs; i++)
		if (!r->jobs[i]->done)
			at = earlier(at, job_deadline(r->jobs[i], now));
	if (!at)
		return -1;
	if (at <= now)
		return 0;
	int64_t ms = (at - now + 999) / 1000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void emit(struct runner *r, struct job *j, const char *data, size_t len)
{
	if (len > 0 && r->on_output)
		r->on_output(j->id, data, len, r->user);
}

static void job_close_output(struct runner *r, struct job *j)
{
	const char *out;
	size_t len;
	capture_flush(&j->cap, &out, &len);
	emit(r, j, out, len);
	close_fd(&j->outfd);
}

/* Reads what the pipe holds, up to READ_BUDGET; closes it at EOF. */
static void job_read(struct runner *r, struct job *j)
{
	size_t budget = READ_BUDGET;
	while (j->outfd >= 0 && budget > 0) {
		ssize_t n = read(j->outfd, r->buf, READ_BYTES);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			job_close_output(r, j);
			return;
		}
		const char *out;
		size_t len;
		capture_feed(&j->cap, r->buf, (size_t)n, &out, &len);
		emit(r, j, out, len);
		budget -= (size_t)n < budget ? (size_t)n : budget;
	}
}

static void job_reap(struct runner *r, struct job *j)
{
	if (j->reaped)
		return;
	pid_t got;
	int status = 0;
	while ((got = waitpid(j->pid, &status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (got == 0)
		return;
	if (got < 0) {
		/* Someone else reaped it (SIGCHLD ignored, or waitpid(-1) in
		 * the application): the status is lost; report 255. */
		status = 255 << 8;
	}
	j->reaped = true;
	j->wstatus = status;
	close_fd(&j->pidfd);
	int64_t now = clock_mono_us();
	j->drain_at = now + (int64_t)r->drain_ms * 1000;
	j->group_check_at = now;
}

static void job_finish(struct runner *r, struct job *j)
{
	/* Once per job, with its status known and its output all read. */
	assert(!j->done && j->reaped && j->outfd < 0);
	struct runner_result res;
	memset(&res, 0, sizeof(res));
	if (j->spawn_error) {
		res.end = RUNNER_SPAWN_FAILED;
		res.error = j->spawn_error;
		j->spawn_error = NULL;
	} else if (j->stopping) {
		res.end = j->stop_end;
	} else {
		res.end = WIFSIGNALED(j->wstatus) ? RUNNER_SIGNALED : RUNNER_EXITED;
	}
	if (WIFEXITED(j->wstatus))
		res.exit_status = WEXITSTATUS(j->wstatus);
	else if (WIFSIGNALED(j->wstatus))
		res.signal = WTERMSIG(j->wstatus);
	capture_finish(&j->cap, &res);
	res.started_us = j->started_us;
	res.ended_us = clock_wall_us();
	j->done = true;
	if (r->on_done)
		r->on_done(j->id, &res, r->user);
	free(res.output);
	free(res.error);
}

/* Advances J by the clock: timeout, SIGKILL after the grace, end of the
 * drain, and the end of the job once nothing of it is left. */
static void job_step(struct runner *r, struct job *j, int64_t now)
{
	if (!j->reaped && j->pidfd < 0)
		job_reap(r, j);
	if (!j->reaped && !j->stopping && j->timeout_at && now >= j->timeout_at) {
		job_reap(r, j);
		if (!j->reaped)
			job_stop(r, j, RUNNER_TIMED_OUT);
	}
	if (j->stopping && !j->killed && now >= j->kill_at) {
		if (!j->reaped || spawn_group_alive(j->pid))
			kill(-j->pid, SIGKILL);
		j->killed = true;
	}
	if (!j->reaped)
		return;
	if (j->stopping && !j->killed) {
		if (now < j->group_check_at)
			return;
		j->group_check_at = now + GROUP_POLL_US;
		if (spawn_group_alive(j->pid))
			return;
	}
	if (j->outfd >= 0) {
		/* A background process may hold the pipe open after the shell
		 * exited: read until EOF, but only until the drain deadline. */
		if (!j->stopping && now < j->drain_at)
			return;
		job_read(r, j);
		if (j->outfd >= 0)
			job_close_output(r, j);
	}
	/* Nothing of a check may outlive it: what the shell left running in its
	 * group goes too (daemons a check means to keep use setsid). */
	if (!j->stopping && spawn_group_alive(j->pid))
		kill(-j->pid, SIGKILL);
	job_finish(r, j);
}

static struct job *find_by_fd(const struct runner *r, int fd, bool *is_pidfd)
{
	for (size_t i = 0; i < r->njobs; i++) {
		struct job *j = r->jobs[i];
		if (j->done)
			continue;
		if (j->outfd == fd || (j->pidfd == fd && !j->reaped)) {
			*is_pidfd = j->pidfd == fd;
			return j;
		}
	}
	return NULL;
}

void runner_dispatch(struct runner *r, const struct pollfd *fds, size_t n)
{
	assert(fds || n == 0);
	/* Callbacks may start jobs (growing r->jobs) or cancel them; jobs are
	 * reached by index and freed only at the end. Every action below is
	 * harmless on a stale readiness report. */
	for (size_t i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		bool is_pidfd = false;
		struct job *j = find_by_fd(r, fds[i].fd, &is_pidfd);
		if (!j)
			continue;
		if (is_pidfd)
			job_reap(r, j);
		else
			job_read(r, j);
	}
	for (size_t i = 0; i < r->njobs; i++) {
		struct job *j = r->jobs[i];
		if (!j->done)
			job_step(r, j, clock_mono_us());
	}
	size_t kept = 0;
	for (size_t i = 0; i < r->njobs; i++) {
		if (r->jobs[i]->done)
			job_free(r->jobs[i]);
		else
			r->jobs[kept++] = r->jobs[i];
	}
	r->njobs = kept;
}

void runner_wait_all(struct runner *r)
{
	while (runner_active(r) > 0) {
		size_t n = runner_pollfds(r, r->wait_fds, r->wait_cap);
		if (n > r->wait_cap) {
			r->wait_cap = n;
			r->wait_fds = xreallocarray(r->wait_fds, n, sizeof(*r->wait_fds));
			n = runner_pollfds(r, r->wait_fds, r->wait_cap);
		}
		/* On failure (EINTR) no revents are set: dispatch handles the
		 * deadlines only. */
		(void)poll(r->wait_fds, (nfds_t)n, runner_next_timeout_ms(r));
		runner_dispatch(r, r->wait_fds, n);
	}
}
