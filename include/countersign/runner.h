/* Child processes for command checks: a new process group each, stdin from
 * /dev/null, stdout+stderr captured together without blocking into a bounded
 * head + tail, SHA-256 of the whole stream, secrets redacted, timeouts and
 * cancellation (SIGTERM to the group, SIGKILL 5 s later). Driven by the
 * caller's poll() loop; nothing here blocks. */
#ifndef COUNTERSIGN_RUNNER_H
#define COUNTERSIGN_RUNNER_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RUNNER_HEAD_BYTES (64u * 1024u)
#define RUNNER_TAIL_BYTES (192u * 1024u)
#define RUNNER_KILL_GRACE_MS 5000
/* After the shell exits, how long output from processes it left behind
 * (which still hold the pipe) is read before the pipe is closed. */
#define RUNNER_DRAIN_MS 500

struct runner;

struct runner_spec {
	const char *shell;        /* e.g. "/bin/sh"; run as SHELL -c SCRIPT; NULL or "": /bin/sh;
	                             without a '/': looked up in the job's PATH */
	const char *script;
	const char *cwd;          /* absolute or relative to the caller's cwd; NULL or "": the caller's cwd */
	const char *const *env;   /* extra "NAME=VALUE" entries added to the environment, NULL-terminated; may be NULL */
	int64_t timeout_ms;       /* 0: none */
	const char *const *secrets; /* values replaced by "***" in captured output, NULL-terminated; may be NULL */
	/* When set, called in runner_start once the child exists (in its own
	 * process group PGID) but before it runs anything; the child runs only
	 * when it returns true. On false the child is killed and runner_start
	 * returns -1 with *ERR as this callback set it (may stay NULL). This
	 * is how a caller records which process group runs a check before the
	 * check can do anything. */
	bool (*before_exec)(pid_t pgid, void *data, char **err);
	void *before_exec_data;
};

enum runner_end {
	RUNNER_EXITED,     /* exit_status is valid */
	RUNNER_SIGNALED,   /* killed by signal (not by us) */
	RUNNER_TIMED_OUT,
	RUNNER_CANCELLED,
	RUNNER_SPAWN_FAILED, /* error says why (cwd missing, shell missing, ...) */
};

struct runner_result {
	enum runner_end end;
	int exit_status;
	int signal;
	uint64_t total_bytes;      /* bytes of output after redaction */
	uint64_t omitted;          /* bytes between head and tail left out */
	char sha256[65];           /* hex SHA-256 of the whole (redacted) stream */
	char *output;              /* head, then (when omitted > 0) a marker line
	                              "\n[... N bytes omitted ...]\n", then tail;
	                              malloc'd, NUL-terminated, owned by the result */
	size_t output_len;
	int64_t started_us, ended_us; /* wall clock, UTC microseconds */
	char *error;               /* malloc'd, for RUNNER_SPAWN_FAILED */
};

/* Called with each chunk of (redacted) output as it arrives; DATA is only
 * valid during the call. */
typedef void (*runner_output_fn)(int job, const char *data, size_t len, void *user);
/* Called once when a job ends; RESULT is only valid during the call (move
 * what you keep out of it, e.g. set result->output = NULL after taking it). */
typedef void (*runner_done_fn)(int job, struct runner_result *result, void *user);

/* Callbacks run inside runner_dispatch; they may call runner_start and
 * runner_cancel but not runner_dispatch, runner_wait_all or runner_destroy.
 * Returns NULL only when libsodium cannot be initialised. The application
 * must leave SIGCHLD at its default and not reap with waitpid(-1): the
 * runner reaps its own children (a status reaped elsewhere reads as exit
 * status 255). */
struct runner *runner_create(runner_output_fn on_output, runner_done_fn on_done, void *user);
/* Kills (SIGKILL to each group) and reaps whatever still runs; NULL is a no-op.
 * on_done is not called for jobs ended this way. */
void runner_destroy(struct runner *r);

/* Time between SIGTERM and SIGKILL for stops begun after the call
 * (default RUNNER_KILL_GRACE_MS; negative means 0). */
void runner_set_kill_grace_ms(struct runner *r, int ms);
/* Drain time after the shell exits (default RUNNER_DRAIN_MS; negative means 0),
 * for jobs whose shell exits after the call. */
void runner_set_drain_ms(struct runner *r, int ms);

/* Starts a job; returns its id (> 0), or -1 when it could not even be
 * attempted (then *ERR is malloc'd): no script, an ENV entry without '=',
 * no pipe or process available. A spawn failure in the child (bad cwd,
 * missing shell) is reported through on_done as RUNNER_SPAWN_FAILED, from a
 * later runner_dispatch, never from inside runner_start. Returns once the
 * child has executed the shell or failed to. SPEC and its strings need to
 * live only for the call. Returns -1 too when SPEC->before_exec refused. */
int runner_start(struct runner *r, const struct runner_spec *spec, char **err);

/* Asks job JOB to stop: SIGTERM to its group now, SIGKILL after the grace;
 * it ends as RUNNER_CANCELLED once nothing of the group is alive or SIGKILL
 * was sent. No effect on an unknown or finished job, or once its shell has
 * exited (the job is then only draining its pipe). */
void runner_cancel(struct runner *r, int job);

/* Number of jobs not yet reported done. */
size_t runner_active(const struct runner *r);

/* Poll integration: fills up to MAX pollfds (returns how many were needed),
 * and says how long the caller may sleep (ms, -1 for no deadline). */
size_t runner_pollfds(struct runner *r, struct pollfd *fds, size_t max);
int runner_next_timeout_ms(const struct runner *r);
/* Handles readiness in FDS[0..N) (as returned by poll) and any deadline
 * that passed; reaps exited children; calls on_output / on_done. */
void runner_dispatch(struct runner *r, const struct pollfd *fds, size_t n);

/* Convenience for headless use: runs the poll loop until every job is done. */
void runner_wait_all(struct runner *r);

#endif
