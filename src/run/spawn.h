/* Starting one command check as SHELL -c SCRIPT in its own process group,
 * and asking whether anything of such a group still runs. Internal to
 * src/run. */
#ifndef COUNTERSIGN_RUN_SPAWN_H
#define COUNTERSIGN_RUN_SPAWN_H

#include "countersign/runner.h"

#include <stdbool.h>
#include <sys/types.h>

struct spawned {
	pid_t pid;   /* the shell; also the id of its process group */
	int outfd;   /* read end of the stdout+stderr pipe, O_NONBLOCK|O_CLOEXEC */
	int pidfd;   /* readable when the shell exits; -1 where the kernel has none */
	char *error; /* malloc'd when the child failed before running the shell
	                (it then exits with status 127); NULL otherwise */
};

/* Forks and execs the shell for SPEC. Returns true when a child exists (OUT
 * filled; the caller owns its descriptors, its error and must reap it), false
 * when none could be created (*ERR malloc'd, the caller frees it). Waits only
 * until the child has called execve or failed before it. */
bool spawn_job(const struct runner_spec *spec, struct spawned *out, char **err);

/* spawn_job for a command that runs on the caller's terminal: it keeps the
 * caller's standard input, output and error (OUT->outfd is -1) and, when
 * TTY >= 0 (the controlling terminal, of which the caller is the
 * foreground), its process group is made the terminal's foreground group
 * before the shell runs. SPEC->timeout_ms and secrets are not used. */
bool spawn_terminal_job(const struct runner_spec *spec, int tty, struct spawned *out, char **err);

/* Whether a process of group PGID is still alive; zombies waiting for a
 * parent to reap them do not count. When in doubt, says yes. */
bool spawn_group_alive(pid_t pgid);

#endif
