#include "countersign/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/sanitize.h"
#include "countersign/util.h"

void diag_list_init(struct diag_list *list, const char *file)
{
	memset(list, 0, sizeof(*list));
	list->file = xstrdup(file ? file : "-");
}

void diag_list_clear(struct diag_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].message);
		free(list->items[i].path);
	}
	free(list->items);
	free(list->file);
	memset(list, 0, sizeof(*list));
}

void diag_add(struct diag_list *list, enum diag_severity sev, int line, int col,
	const char *path, const char *fmt, ...)
{
	if (list->count == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 16;
		list->items = xreallocarray(list->items, list->cap, sizeof(*list->items));
	}
	struct diag *d = &list->items[list->count++];
	va_list ap;
	va_start(ap, fmt);
	d->message = xvasprintf(fmt, ap);
	va_end(ap);
	d->severity = sev;
	d->line = line;
	d->col = col;
	d->path = path && *path ? xstrdup(path) : NULL;
	if (sev == DIAG_ERROR)
		list->errors++;
	else
		list->warnings++;
}

static int by_position(const void *a, const void *b)
{
	const struct diag *x = *(const struct diag *const *)a, *y = *(const struct diag *const *)b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x < y ? -1 : x > y; /* stable: keep the order found */
}

void diag_list_print(const struct diag_list *list, FILE *out)
{
	const struct diag **sorted = xcalloc(list->count + 1, sizeof(*sorted));
	for (size_t i = 0; i < list->count; i++)
		sorted[i] = &list->items[i];
	qsort(sorted, list->count, sizeof(*sorted), by_position);
	for (size_t i = 0; i < list->count; i++) {
		const struct diag *d = sorted[i];
		const char *sev = d->severity == DIAG_ERROR ? "error" : "warning";
		/* A message quotes the checklist (keys, titles): one line each, so
		 * no text of the file can pose as another diagnostic. */
		char *file = sanitize_text(list->file, strlen(list->file), 0);
		char *msg = sanitize_text(d->message, strlen(d->message), 0);
		if (d->line > 0)
			fprintf(out, "%s:%d:%d: %s: %s", file, d->line, d->col, sev, msg);
		else
			fprintf(out, "%s: %s: %s", file, sev, msg);
		if (d->path) {
			char *path = sanitize_text(d->path, strlen(d->path), 0);
			fprintf(out, " (at %s)", path);
			free(path);
		}
		fputc('\n', out);
		free(file);
		free(msg);
	}
	free(sorted);
}
