#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Counts live members of PGID; false when one of them cannot belong to the
 * group that was recorded (started before its leader, or a leader with
 * another start time). */
static bool scan_group(pid_t pgid, unsigned long long start, int *live)
{
	*live = 0;
	DIR *dir = opendir("/proc");
	if (!dir)
		return false;
	bool same = true;
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		struct proc_stat ps;
		if (!read_stat(e->d_name, &ps) || ps.pgrp != (long)pgid || is_dead_state(ps.state))
			continue;
		(*live)++;
		bool leader = strtol(e->d_name, NULL, 10) == (long)pgid;
		if (ps.start < start || (leader && ps.start != start))
			same = false;
	}
	closedir(dir);
	return same;
}

int proc_stop_group(pid_t pgid, const char *start, int wait_ms)
{
	if (pgid <= 1 || !start || !*start)
		return 0;
	unsigned long long t0 = strtoull(start, NULL, 10);
	int live = 0;
	if (!scan_group(pgid, t0, &live) || live == 0)
		return live;
	int found = live;
	kill(-pgid, SIGKILL);
	/* SIGKILL is not instant for a process in uninterruptible sleep. */
	for (int waited = 0; waited < wait_ms && live > 0; waited += 10) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
		if (!scan_group(pgid, t0, &live))
			break;
	}
	return found;
}
