/* Diagnostics: errors and warnings that point at a place in a file. */
#ifndef COUNTERSIGN_DIAG_H
#define COUNTERSIGN_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum diag_severity { DIAG_WARNING, DIAG_ERROR };

struct diag {
	enum diag_severity severity;
	int line, col;  /* 1-based; 0 when the problem has no position */
	char *message;
	char *path;     /* JSON path such as sections[2].items[0].timeout, or NULL */
};

struct diag_list {
	char *file;     /* the name diagnostics are reported under */
	struct diag *items;
	size_t count, cap;
	size_t errors, warnings;
};

/* Starts an empty list reporting under FILE (copied). */
void diag_list_init(struct diag_list *list, const char *file);
/* Frees everything the list holds; the list itself is the caller's. */
void diag_list_clear(struct diag_list *list);

/* Appends one diagnostic; PATH may be NULL. Formats like printf. */
void diag_add(struct diag_list *list, enum diag_severity sev, int line, int col,
	const char *path, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Writes every diagnostic, one a line, as FILE:LINE:COL: error: MESSAGE (at PATH). */
void diag_list_print(const struct diag_list *list, FILE *out);

#endif
