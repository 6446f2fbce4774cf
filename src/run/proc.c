#include "proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/util.h"

char *proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields start after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p)
		return NULL;
	/* Field 22 (starttime) is the 20th after the name. */
	char *save = NULL, *tok = strtok_r(p + 1, " ", &save);
	for (int field = 3; tok && field < 22; field++)
		tok = strtok_r(NULL, " ", &save);
	return tok ? xstrdup(tok) : NULL;
}

bool proc_alive(pid_t pid, const char *start)
{
	char *now = proc_start_time(pid);
	bool alive = now && start && strcmp(now, start) == 0;
	free(now);
	return alive;
}
