/* The times a section's gate and its manual items are measured by: when
 * the section opened, since when its items are done, how long the gate has
 * waited for its signatures, and which manual items are overdue. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine_internal.h"

void engine_times_refresh(struct engine *e, int64_t now_us)
{
	(void)e;
	(void)now_us;
}

void engine_times_apply(struct engine *e, size_t s, const struct event *ev, const struct cJSON *p)
{
	(void)e;
	(void)s;
	(void)ev;
	(void)p;
}
