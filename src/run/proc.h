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

/* Stops what is left of process group PGID, whose leader started at START:
 * SIGKILL to the group, but only when every live member started at or
 * after START and a live leader started exactly then (so a reused id is
 * never signalled). Waits up to WAIT_MS for the members to go. Returns the
 * number of live members found (0: nothing was left). */
int proc_stop_group(pid_t pgid, const char *start, int wait_ms);

#endif
