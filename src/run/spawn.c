/* pipe2 */
#define _GNU_SOURCE

#include "run/spawn.h"

#include "countersign/util.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* What the child reports through the error pipe when it cannot run the
 * shell. */
enum child_step { STEP_PGID = 1, STEP_STDIN, STEP_OUTPUT, STEP_CWD, STEP_EXEC };
struct child_report {
	int step;
	int err;
};

static size_t name_len(const char *entry)
{
	return strcspn(entry, "=");
}

static bool same_name(const char *a, const char *b)
{
	size_t n = name_len(a);
	return n == name_len(b) && memcmp(a, b, n) == 0;
}

/* Returns the child's environment: the process environment with EXTRA's
 * entries replacing those of the same name (a later EXTRA entry wins over an
 * earlier one). Only the array is malloc'd; it points at existing strings. */
static char **build_env(const char *const *extra, char **err)
{
	size_t nenv = 0, nextra = 0;
	for (char **e = environ; e && *e; e++)
		nenv++;
	for (size_t i = 0; extra && extra[i]; i++) {
		if (!strchr(extra[i], '=') || extra[i][0] == '=') {
			*err = xasprintf("environment entry \"%s\" is not NAME=VALUE", extra[i]);
			return NULL;
		}
		nextra++;
	}
	char **envp = xcalloc(nenv + nextra + 1, sizeof(*envp));
	size_t n = 0;
	for (size_t i = 0; i < nenv; i++) {
		bool replaced = false;
		for (size_t k = 0; k < nextra && !replaced; k++)
			replaced = same_name(environ[i], extra[k]);
		if (!replaced)
			envp[n++] = environ[i];
	}
	for (size_t i = 0; i < nextra; i++) {
		bool later = false;
		for (size_t k = i + 1; k < nextra && !later; k++)
			later = same_name(extra[i], extra[k]);
		if (!later)
			envp[n++] = (char *)extra[i];
	}
	return envp;
}

static bool is_executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* A shell given without a slash is looked up in the PATH the child will
 * have (as execvp would, but here in the parent, where malloc is allowed).
 * Returns a malloc'd path; the bare name when nothing matches, so that the
 * child's execve reports the error. */
static char *resolve_shell(const char *shell, char **envp)
{
	if (strchr(shell, '/'))
		return xstrdup(shell);
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	for (char **e = envp; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	for (const char *p = path;; p++) {
		size_t len = strcspn(p, ":");
		char *cand = len ? xasprintf("%.*s/%s", (int)len, p, shell) : xasprintf("./%s", shell);
		if (is_executable_file(cand))
			return cand;
		free(cand);
		p += len;
		if (!*p)
			break;
	}
	return xstrdup(shell);
}

/* Moves FD above the standard descriptors, keeping O_CLOEXEC, so that the
 * child's dup2 onto 0, 1 and 2 cannot clobber it. */
static bool lift_fd(int *fd)
{
	if (*fd > STDERR_FILENO)
		return true;
	int moved = fcntl(*fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	if (moved < 0)
		return false;
	close(*fd);
	*fd = moved;
	return true;
}

static _Noreturn void child_fail(int repfd, int step)
{
	struct child_report rep = { step, errno };
	ssize_t n = write(repfd, &rep, sizeof(rep));
	(void)n;
	_exit(127);
}

/* Runs in the forked child: async-signal-safe calls only. */
static _Noreturn void child_main(int outfd, int repfd, int gofd, const char *cwd, const char *path,
	char *const argv[], char *const envp[])
{
	/* Ignored signals survive execve; the application may ignore SIGPIPE,
	 * which would change how pipelines in the script end. */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (setpgid(0, 0) < 0)
		child_fail(repfd, STEP_PGID);
	/* A job on the terminal (OUTFD -1) keeps the caller's descriptors. */
	int nul = outfd >= 0 ? open("/dev/null", O_RDONLY) : STDIN_FILENO;
	if (nul < 0)
		child_fail(repfd, STEP_STDIN);
	if (nul != STDIN_FILENO && dup2(nul, STDIN_FILENO) < 0)
		child_fail(repfd, STEP_STDIN);
	if (nul > STDERR_FILENO)
		close(nul);
	if (outfd >= 0 && (dup2(outfd, STDOUT_FILENO) < 0 || dup2(outfd, STDERR_FILENO) < 0))
		child_fail(repfd, STEP_OUTPUT);
	if (gofd >= 0) {
		/* Held until the parent says go; EOF means it changed its mind. */
		char go = 0;
		ssize_t n;
		while ((n = read(gofd, &go, 1)) < 0 && errno == EINTR)
			;
		if (n != 1)
			_exit(127);
	}
	if (cwd && *cwd && chdir(cwd) < 0)
		child_fail(repfd, STEP_CWD);
	execve(path, argv, envp);
	child_fail(repfd, STEP_EXEC);
}

static char *report_message(const struct runner_spec *spec, const char *shell,
	const struct child_report *rep)
{
	const char *why = strerror(rep->err);
	switch (rep->step) {
	case STEP_PGID:
		return xasprintf("cannot create a process group: %s", why);
	case STEP_STDIN:
		return xasprintf("cannot open /dev/null as standard input: %s", why);
	case STEP_OUTPUT:
		return xasprintf("cannot redirect output to the capture pipe: %s", why);
	case STEP_CWD:
		return xasprintf("cannot change to working directory \"%s\": %s", spec->cwd, why);
	default:
		return xasprintf("cannot execute shell \"%s\": %s", shell, why);
	}
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	long fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0) {
		/* A pidfd is always close-on-exec. */
		int ifd = (int)fd;
		if (lift_fd(&ifd))
			return ifd;
		close(ifd);
	}
#else
	(void)pid;
#endif
	return -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Reads the child's report: none (EOF) means execve succeeded. */
static bool read_report(int fd, struct child_report *rep)
{
	size_t got = 0;
	while (got < sizeof(*rep)) {
		ssize_t n = read(fd, (char *)rep + got, sizeof(*rep) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got == sizeof(*rep);
}

/* TERMINAL: the job keeps the caller's terminal (no output pipe) and, when
 * TTY >= 0, is made its foreground process group before it runs. */
static bool spawn(const struct runner_spec *spec, bool terminal, int tty, struct spawned *out, char **err)
{
	int pipefd[2] = { -1, -1 }, repfd[2] = { -1, -1 }, gofd[2] = { -1, -1 };
	char *path = NULL;
	bool ok = false;
	bool hold = spec->before_exec || tty >= 0;
	const char *shell = spec->shell && *spec->shell ? spec->shell : "/bin/sh";
	char **envp = build_env(spec->env, err);
	if (!envp)
		goto cleanup;
	path = resolve_shell(shell, envp);
	if ((!terminal && (pipe2(pipefd, O_CLOEXEC) < 0 || !lift_fd(&pipefd[0]) || !lift_fd(&pipefd[1])
			|| fcntl(pipefd[0], F_SETFL, O_NONBLOCK) < 0))
		|| pipe2(repfd, O_CLOEXEC) < 0 || !lift_fd(&repfd[0]) || !lift_fd(&repfd[1])
		|| (hold && (pipe2(gofd, O_CLOEXEC) < 0 || !lift_fd(&gofd[0]) || !lift_fd(&gofd[1])))) {
		*err = xasprintf("cannot create a pipe: %s", strerror(errno));
		goto cleanup;
	}
	char *argv[] = { (char *)shell, (char *)"-c", (char *)spec->script, NULL };

	/* No handler of the application may run in the child before it has
	 * reset the dispositions. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		if (gofd[1] >= 0)
			close(gofd[1]);
		child_main(pipefd[1], repfd[1], gofd[0], spec->cwd, path, argv, envp);
	}
	int fork_errno = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		*err = xasprintf("cannot start a process: %s", strerror(fork_errno));
		goto cleanup;
	}
	assert(pid > 1);  /* the id of the group every later signal goes to */
	/* Also here, so that the group exists before anyone signals it. */
	setpgid(pid, pid);
	close_fd(&pipefd[1]);
	close_fd(&repfd[1]);
	close_fd(&gofd[0]);
	if (hold) {
		if (spec->before_exec && !spec->before_exec(pid, spec->before_exec_data, err)) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			goto cleanup;
		}
		/* The terminal is the job's before it runs, or it would be
		 * stopped (SIGTTIN) by its first read. */
		if (tty >= 0)
			tcsetpgrp(tty, pid);
		char go = 1;
		ssize_t n;
		while ((n = write(gofd[1], &go, 1)) < 0 && errno == EINTR)
			;
		close_fd(&gofd[1]);
	}

	struct child_report rep;
	out->pid = pid;
	out->error = read_report(repfd[0], &rep) ? report_message(spec, shell, &rep) : NULL;
	out->pidfd = open_pidfd(pid);
	out->outfd = pipefd[0];
	pipefd[0] = -1;
	ok = true;
cleanup:
	close_fd(&gofd[0]);
	close_fd(&gofd[1]);
	close_fd(&repfd[0]);
	close_fd(&repfd[1]);
	close_fd(&pipefd[0]);
	close_fd(&pipefd[1]);
	free(path);
	free(envp);
	return ok;
}

bool spawn_job(const struct runner_spec *spec, struct spawned *out, char **err)
{
	return spawn(spec, false, -1, out, err);
}

bool spawn_terminal_job(const struct runner_spec *spec, int tty, struct spawned *out, char **err)
{
	return spawn(spec, true, tty, out, err);
}

/* Reads the state and process group of /proc/NAME; false when unreadable. */
static bool proc_stat(const char *name, char *state, long *pgrp)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%s/stat", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* The command name in parentheses may itself contain ") ". */
	const char *p = strrchr(buf, ')');
	long ppid;
	return p && sscanf(p + 1, " %c %ld %ld", state, &ppid, pgrp) == 3;
}

bool spawn_group_alive(pid_t pgid)
{
	if (kill(-pgid, 0) < 0)
		return errno != ESRCH;
	/* kill() also succeeds for a group of zombies, which stay until their
	 * parent (often init, which may be slow or absent) reaps them. */
	DIR *dir = opendir("/proc");
	if (!dir)
		return true;
	bool alive = false;
	struct dirent *e;
	while (!alive && (e = readdir(dir))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		char state;
		long pgrp;
		if (proc_stat(e->d_name, &state, &pgrp) && pgrp == (long)pgid
			&& state != 'Z' && state != 'X')
			alive = true;
	}
	closedir(dir);
	return alive;
}
