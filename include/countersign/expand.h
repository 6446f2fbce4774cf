/* ${NAME} expansion in checklist strings; "$$" is a literal "$", plain $NAME is
 * left alone for the shell. */
#ifndef COUNTERSIGN_EXPAND_H
#define COUNTERSIGN_EXPAND_H

#include <stdbool.h>
#include <stddef.h>

/* Called for each ${NAME} reference found by expand_scan; OFFSET is the byte
 * offset of the '$'. Return false to stop the scan. */
typedef bool (*expand_ref_fn)(const char *name, size_t offset, void *data);

/* Walks TEXT and reports every ${NAME}. Returns false when TEXT is malformed
 * (an unterminated "${" or a bad name), with *BAD_OFFSET at the '$' and a
 * static reason in *WHY. */
bool expand_scan(const char *text, expand_ref_fn fn, void *data,
	size_t *bad_offset, const char **why);

/* Looks a name up; returns the value (borrowed) or NULL when unknown. */
typedef const char *(*expand_lookup_fn)(const char *name, void *data);

/* Expands TEXT. Returns a new string the caller frees, or NULL when TEXT is
 * malformed or names something LOOKUP does not know; then *MISSING (when not
 * NULL) is a malloc'd copy of the unknown name, or NULL for malformed text. */
char *expand_string(const char *text, expand_lookup_fn lookup, void *data, char **missing);

/* True when NAME is a valid variable name: [A-Za-z_][A-Za-z0-9_]*. */
bool expand_valid_name(const char *name, size_t len);

#endif
