/* Source positions for the values of a cJSON tree, which cJSON itself does not
 * keep. Internal to the loader. */
#ifndef COUNTERSIGN_JSONPOS_H
#define COUNTERSIGN_JSONPOS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct jpos_entry {
	const cJSON *node;
	size_t value_off; /* where the value starts */
	size_t key_off;   /* where its key starts (object members), else value_off */
};

struct jpos {
	const char *text;
	size_t len;
	struct jpos_entry *entries;
	size_t count, cap;
	size_t *line_starts;
	size_t n_lines;
};

/* Indexes TEXT, which ROOT was parsed from (it must have parsed). Returns
 * false only when the walk and the tree disagree. Free with jpos_clear. */
bool jpos_build(struct jpos *map, const char *text, size_t len, const cJSON *root);
void jpos_clear(struct jpos *map);

/* Line and column (1-based, columns in bytes) of byte offset OFF. */
void jpos_line_col(const struct jpos *map, size_t off, int *line, int *col);

/* Position of NODE's value, or its key when KEY is true. Unknown nodes give 0:0. */
void jpos_node(const struct jpos *map, const cJSON *node, bool key, int *line, int *col);

/* Position of the byte at DECODED_OFF inside the string value NODE (the
 * offset counts bytes of the decoded string). */
void jpos_in_string(const struct jpos *map, const cJSON *node, size_t decoded_off,
	int *line, int *col);

#endif
