/* Markdown import: a runbook in Markdown (GitHub's dialect, read with md4c)
 * turned into a checklist for a person to refine (countersign import;
 * docs/importing.md lists every convention understood). Pure: text in,
 * JSON text and messages out; the caller reads and writes files. */
#ifndef COUNTERSIGN_IMPORT_H
#define COUNTERSIGN_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

/* Larger input is refused before parsing (no runbook needs more). */
#define IMPORT_MAX_BYTES (8u * 1024 * 1024)

enum import_status {
	IMPORT_OK,        /* OUT->json holds a checklist that loads and lints without errors */
	IMPORT_NOTHING,   /* nothing to import (empty, no heading, no item): OUT->messages say why */
	IMPORT_REFUSED,   /* not a text runbook (binary data, NUL bytes, invalid UTF-8, too large) */
};

enum import_message_kind {
	IMPORT_WARNING,   /* kept, but look at it (an unclosed fence, invisible Unicode in a command...) */
	IMPORT_SKIPPED,   /* a heading, checkbox or code block left out, with the reason */
	IMPORT_NOTE,      /* for the author to decide (a likely choice group, a non-shell block kept as details) */
};

struct import_message {
	enum import_message_kind kind;
	int line;         /* 1-based line of the input; 0 when it is about the whole file */
	char *text;       /* one sentence, no "FILE:LINE:" prefix (the caller adds it) */
};

struct import_result {
	char *json;       /* the checklist, pretty-printed, stable key order, final newline; NULL unless IMPORT_OK */
	struct import_message *messages;  /* in line order */
	size_t n_messages;
	char *summary;    /* one line: "imported N sections, M items (a command, b manual, c wait), V variables; skipped S parts" */
	/* the counts the summary gives */
	size_t sections, items, commands, manuals, waits, variables, skipped;
};

/* Imports the Markdown TEXT (LEN bytes) named NAME (for the checklist's
 * path-derived id when it has no H1; may be NULL). Fills OUT (zeroed first;
 * clear with import_result_clear) and returns how it went. */
enum import_status import_markdown(const char *text, size_t len, const char *name, struct import_result *out);

/* Frees what R holds; NULL is a no-op. */
void import_result_clear(struct import_result *r);

/* "warning", "skipped" or "note". */
const char *import_message_kind_name(enum import_message_kind kind);

#endif
