#include "countersign/reporter.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "countersign/util.h"

void reporter_say(const struct reporter *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (r && r->say)
		r->say(r->data, msg);
	else
		fprintf(stderr, "countersign: %s\n", msg);
	free(msg);
}
