/* The mapping's state, shared by import_map.c (headings, sections, prose)
 * and import_items.c (checkboxes, code blocks and table rows as items).
 * Private to src/import. */
#ifndef COUNTERSIGN_IMPORT_MAP_H
#define COUNTERSIGN_IMPORT_MAP_H

#include "import_internal.h"

struct mapper {
	const struct import_doc *doc;
	struct import_model *m;
	struct import_msgs *ms;
	int heads[7];          /* the open heading of each level, or -1 */
	bool *used;            /* per block: a heading that gave the output something */
	bool *prose;           /* per block: a heading with prose under it */
	bool *has_code;        /* per block: a list item with a code block in it */
	int *item_of;          /* per block: the item (index in the current section) a list item became, or -1 */
	int sec;               /* the current section, or -1 */
	struct strbuf text;    /* prose since the last heading or item */
	struct strbuf intro;   /* prose between a section's heading and its first step heading */
	int last_para;         /* the paragraph just before the current block, or -1 */
	size_t last_para_at;   /* where its text starts in TEXT */
	struct strvec pending; /* quotes and alerts waiting for the next item */
};

/* The section items go to now, made from the open headings when needed. */
struct import_section *map_section(struct mapper *mp, int line);
/* A new item titled TITLE (cleaned here) in the current section; marks the
 * open headings as used. */
struct import_item *map_item(struct mapper *mp, const char *title, int line);
/* The open heading deeper than a section's (level 4 and below), or -1. */
int map_step(const struct mapper *mp);
/* The heading's text, cleaned (malloc'd). */
char *map_heading_title(const struct mapper *mp, int blk);

/* import_items.c */
void map_task(struct mapper *mp, int blk);
void map_bullet(struct mapper *mp, int blk);
void map_para(struct mapper *mp, int blk);
void map_code(struct mapper *mp, int blk);
void map_row(struct mapper *mp, int blk);
/* Adds LINE to the details of item ITEM, splitting it at newlines. */
void map_details(struct import_item *it, const char *text);

#endif
