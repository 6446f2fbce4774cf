#include "run/foreground.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "countersign/util.h"
#include "run/spawn.h"

/* The signals the terminal sends to its foreground group, and those that
 * stop a background group touching it (the caller takes the terminal back
 * from the background). */
static const int quiet_signals[] = {SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
#define N_QUIET (sizeof(quiet_signals) / sizeof(quiet_signals[0]))

static void say(const char *text)
{
	ssize_t n = write(STDERR_FILENO, text, strlen(text));
	(void)n;
}

/* Waits for the shell PID; a stop (Ctrl-Z) is undone, since nothing here
 * could resume it later. Without the terminal's foreground (TTY < 0) a
 * command stopped for touching the terminal would only stop again: it is
 * ended. *ERR (malloc'd) says why when it was, or when waiting failed. */
static void wait_shell(pid_t pid, int tty, int *status, char **err)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WUNTRACED);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*err = xasprintf("cannot wait for the command: %s", strerror(errno));
			return;
		}
		if (!WIFSTOPPED(*status))
			return;
		int sig = WSTOPSIG(*status);
		if (tty < 0 && (sig == SIGTTIN || sig == SIGTTOU)) {
			free(*err);
			*err = xstrdup("it needs the terminal, and countersign is not in the terminal's "
				"foreground (started in the background?): it was ended");
			kill(-pid, SIGTERM);
		} else {
			say("\r\ncountersign: an interactive item cannot be suspended; it goes on "
				"(end it the usual way, e.g. Ctrl-C)\r\n");
			if (tty >= 0)
				tcsetpgrp(tty, pid);
		}
		kill(-pid, SIGCONT);
	}
}

bool foreground_run(const struct runner_spec *spec, struct foreground_result *out, char **err)
{
	memset(out, 0, sizeof(*out));
	struct sigaction ignore, old[N_QUIET];
	memset(&ignore, 0, sizeof(ignore));
	ignore.sa_handler = SIG_IGN;
	sigemptyset(&ignore.sa_mask);
	for (size_t i = 0; i < N_QUIET; i++)
		sigaction(quiet_signals[i], &ignore, &old[i]);
	/* Only the foreground may hand the terminal on (a countersign started
	 * in the background leaves it where it is). */
	int tty = isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp() ? STDIN_FILENO : -1;
	struct termios modes;
	bool have_modes = tty >= 0 && tcgetattr(tty, &modes) == 0;
	struct spawned job;
	bool ok = spawn_terminal_job(spec, tty, &job, err);
	if (ok) {
		if (job.pidfd >= 0)
			close(job.pidfd);
		out->error = job.error;
		char *wait_err = NULL;
		wait_shell(job.pid, tty, &out->status, &wait_err);
		if (!out->error)
			out->error = wait_err;
		else
			free(wait_err);
		/* Nothing of an item may outlive it, as with every command check
		 * (daemons a check means to keep use setsid). */
		if (spawn_group_alive(job.pid))
			kill(-job.pid, SIGKILL);
	}
	if (tty >= 0) {
		tcsetpgrp(tty, getpgrp());
		/* the command may have left the terminal raw (exec -it) */
		if (have_modes)
			tcsetattr(tty, TCSADRAIN, &modes);
	}
	for (size_t i = 0; i < N_QUIET; i++)
		sigaction(quiet_signals[i], &old[i], NULL);
	return ok;
}
