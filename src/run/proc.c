#include "proc.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "countersign/util.h"

/* The fields of /proc/NAME/stat this file needs. */
struct proc_stat {
	char state;
	long pgrp;
	unsigned long long start;
};

static bool read_stat(const char *name, struct proc_stat *out)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%s/stat", name);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields start after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p)
		return false;
	long ppid = 0, pgrp = 0;
	char state = 0;
	if (sscanf(p + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3)
		return false;
	/* Field 22 (starttime) is the 20th after the name. */
	char *save = NULL, *tok = strtok_r(p + 1, " ", &save);
	for (int field = 3; tok && field < 22; field++)
		tok = strtok_r(NULL, " ", &save);
	if (!tok)
		return false;
	out->state = state;
	out->pgrp = pgrp;
	out->start = strtoull(tok, NULL, 10);
	return true;
}

static bool stat_pid(pid_t pid, struct proc_stat *out)
{
	char name[32];
	snprintf(name, sizeof(name), "%d", (int)pid);
	return read_stat(name, out);
}

char *proc_start_time(pid_t pid)
{
	struct proc_stat ps;
	if (!stat_pid(pid, &ps))
		return NULL;
	return xasprintf("%llu", ps.start);
}

static bool is_dead_state(char state)
{
	return state == 'Z' || state == 'X' || state == 'x';
}

bool proc_alive(pid_t pid, const char *start)
{
	struct proc_stat ps;
	if (!start || !*start || !stat_pid(pid, &ps) || is_dead_state(ps.state))
		return false;
	return ps.start == strtoull(start, NULL, 10);
}

char *proc_boot_id(void)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (!f)
		return NULL;
	char buf[64] = "";
	char *line = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!line)
		return NULL;
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] ? xstrdup(buf) : NULL;
}

char *proc_pid_namespace(void)
{
	char buf[64];
	ssize_t n = readlink("/proc/self/ns/pid", buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

int proc_marked(pid_t pid, const char *marker)
{
	assert(marker && *marker);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == EACCES || errno == EPERM ? -1 : 0;
	struct strbuf sb = {0};
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	int read_errno = ferror(f) ? errno : 0;
	fclose(f);
	int found = 0;
	size_t mlen = strlen(marker);
	for (size_t i = 0; sb.data && i < sb.len; i += strlen(sb.data + i) + 1)
		if (strncmp(sb.data + i, marker, mlen + 1) == 0)
			found = 1;
	strbuf_release(&sb);
	/* A process exiting meanwhile (ESRCH: it has no memory left to read)
	 * runs nothing more; only a refusal means "another user's". */
	if (!found && (read_errno == EACCES || read_errno == EPERM))
		return -1;
	return found;
}

/* The live members of PGID that are the check's: marked with MARKER, or
 * (no marker) all of them while the leader started at START. Fills PIDS (up
 * to MAX) and counts the members whose environment cannot be read. */
static int find_members(pid_t pgid, unsigned long long start, const char *marker, pid_t *pids, int max,
	int *unknown)
{
	*unknown = 0;
	DIR *dir = opendir("/proc");
	if (!dir)
		return 0;
	int n = 0;
	bool same = true;
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		struct proc_stat ps;
		if (!read_stat(e->d_name, &ps) || ps.pgrp != (long)pgid || is_dead_state(ps.state))
			continue;
		pid_t pid = (pid_t)strtol(e->d_name, NULL, 10);
		if (ps.start < start || (pid == pgid && ps.start != start))
			same = false;  /* cannot be the recorded group */
		int marked = marker ? proc_marked(pid, marker) : 1;
		if (marked < 0)
			(*unknown)++;
		else if (marked && n < max)
			pids[n++] = pid;
	}
	closedir(dir);
	/* A record without a marker (made before checks were marked): the group
	 * by its numbers and start times alone, as well as they can tell. */
	if (!marker && !same)
		return 0;
	return n;
}

struct proc_stopped proc_stop_group(pid_t pgid, const char *start, const char *check_id, int wait_ms)
{
	struct proc_stopped r = {0};
	if (pgid <= 1 || !start || !*start)
		return r;
	unsigned long long t0 = strtoull(start, NULL, 10);
	char *marker = check_id && *check_id ? xasprintf("COUNTERSIGN_CHECK_ID=%s", check_id) : NULL;
	pid_t pids[256];
	int unknown = 0;
	int n = find_members(pgid, t0, marker, pids, 256, &unknown);
	r.found = n;
	r.unknown = unknown;
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	/* SIGKILL is not instant for a process in uninterruptible sleep. */
	int left = n;
	for (int waited = 0; left > 0; waited += 10) {
		left = 0;
		for (int i = 0; i < n; i++) {
			char name[32];
			snprintf(name, sizeof(name), "%d", (int)pids[i]);
			struct proc_stat ps;
			if (read_stat(name, &ps) && ps.pgrp == (long)pgid && !is_dead_state(ps.state))
				left++;
		}
		if (left == 0 || waited >= wait_ms)
			break;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	r.survivors = left;
	r.stopped = n - left;
	free(marker);
	return r;
}
