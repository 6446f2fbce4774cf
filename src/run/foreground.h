/* One command in the foreground of the caller's terminal, the way a shell
 * runs a job: for interactive items (kubectl logs -f, exec -it,
 * port-forward), which are ended with Ctrl-C. Internal to src/run. */
#ifndef COUNTERSIGN_RUN_FOREGROUND_H
#define COUNTERSIGN_RUN_FOREGROUND_H

#include <stdbool.h>

#include "countersign/runner.h"

struct foreground_result {
	int status;   /* the shell's wait status */
	char *error;  /* malloc'd when the shell could not be run or waited for; NULL otherwise */
};

/* Runs SPEC's command (SPEC->shell -c SPEC->script in SPEC->cwd with
 * SPEC->env added; SPEC->before_exec as runner_start calls it) on the
 * caller's terminal and waits until it ends. Meanwhile Ctrl-C, Ctrl-\ and
 * Ctrl-Z reach its process group alone: the caller ignores SIGINT, SIGQUIT,
 * SIGTSTP, SIGTTIN and SIGTTOU, and when the caller is the terminal's
 * foreground the command's group takes its place (tcsetpgrp). Ctrl-Z does
 * not suspend the command: it is continued, with a note on the terminal.
 * Afterwards what the shell left in its group is stopped, and the terminal's
 * foreground group and modes are the caller's again. Returns true with OUT
 * filled (the caller frees OUT->error) when the command ran; false when no
 * process could be made (*ERR malloc'd, the caller frees it) or
 * SPEC->before_exec refused. */
bool foreground_run(const struct runner_spec *spec, struct foreground_result *out, char **err);

#endif
