/* Process identity on this host, so a recorded check can be told apart from
 * a later process that reused its pid. */
#ifndef COUNTERSIGN_PROC_H
#define COUNTERSIGN_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* The start time of PID (clock ticks since boot, from /proc) as a malloc'd
 * decimal string, or NULL when it cannot be read. */
char *proc_start_time(pid_t pid);

/* True when PID runs and started at START (as proc_start_time gave). */
bool proc_alive(pid_t pid, const char *start);

#endif
