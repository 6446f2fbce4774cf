/* Process identity on this host, so a recorded check can be told apart from
 * a later process that reused its pid, and a check's process group can be
 * stopped by a later process once the one that ran it is gone. */
#ifndef COUNTERSIGN_PROC_H
#define COUNTERSIGN_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* The start time of PID (clock ticks since boot, from /proc) as a malloc'd
 * decimal string, or NULL when it cannot be read. */
char *proc_start_time(pid_t pid);

/* True when PID runs (a zombie does not) and started at START (as
 * proc_start_time gave). */
bool proc_alive(pid_t pid, const char *start);

/* This boot's id (/proc/sys/kernel/random/boot_id) as a malloc'd string, or
 * NULL. A process recorded under another boot id is certainly gone. */
char *proc_boot_id(void);

/* This process's PID namespace ("pid:[4026531836]") as a malloc'd string,
 * or NULL: a process recorded in another namespace cannot be looked up here. */
char *proc_pid_namespace(void);

/* Whether PID's environment holds the line MARKER ("NAME=VALUE"): 1 yes;
 * 0 no, or the process is gone or exiting (a zombie's environment cannot
 * be read, and it runs nothing); -1 when reading it is refused (another
 * user's process). */
int proc_marked(pid_t pid, const char *marker);

/* What proc_stop_group found and did. */
struct proc_stopped {
	int found;      /* live processes identified as the check's */
	int stopped;    /* of them, gone after SIGKILL */
	int survivors;  /* identified but still alive (not ours to kill) */
	int unknown;    /* in the group, but their environment cannot be read here */
};

/* Stops what is left of a check's process group PGID: with CHECK_ID, every
 * live member whose environment holds COUNTERSIGN_CHECK_ID=CHECK_ID, so a
 * process merely reusing the numbers is never signalled; without (records
 * made before checks were marked), the whole group, but only when every
 * member started at or after START and a live leader started exactly then.
 * Waits up to WAIT_MS for them to go. */
struct proc_stopped proc_stop_group(pid_t pgid, const char *start, const char *check_id, int wait_ms);

#endif
