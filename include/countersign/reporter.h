/* Where messages for the person go: the command line prints them on
 * standard error, the interface shows them on its status line. Everything
 * that can refuse or fail says why through one. */
#ifndef COUNTERSIGN_REPORTER_H
#define COUNTERSIGN_REPORTER_H

struct reporter {
	void (*say)(void *data, const char *message);
	void *data;
};

/* Formats a message and hands it to R (or prints "countersign: MESSAGE" on
 * stderr when R or R->say is NULL). */
void reporter_say(const struct reporter *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
