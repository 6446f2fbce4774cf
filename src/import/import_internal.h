/* The importer's private model: the Markdown read into a flat list of
 * blocks with their input lines (import_read.c), mapped onto a checklist
 * model (import_map.c), which is written as JSON, checked with core's loader
 * and summed up (import_emit.c). Private to src/import. */
#ifndef COUNTERSIGN_IMPORT_INTERNAL_H
#define COUNTERSIGN_IMPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "countersign/import.h"
#include "countersign/util.h"
#include "import_rules.h"

/* Lists and quotes nested deeper than this are read as if at this depth
 * (a message says so): nothing in the importer grows with the nesting. */
#define IMPORT_MAX_NESTING 32

/* Input lines: md4c reports no positions, but its text callbacks point into
 * the input, so a line is the number of '\n' before a pointer, found by
 * binary search in the sorted offsets of every '\n'. */
struct import_lines {
	const char *text;
	size_t len;
	size_t *nl;    /* offsets of '\n', ascending */
	size_t n_nl;
};
void import_lines_init(struct import_lines *li, const char *text, size_t len);
void import_lines_free(struct import_lines *li);
/* The 1-based line of byte offset OFF. */
int import_line_of(const struct import_lines *li, size_t off);
/* The 1-based line of P when it points into the input, else 0. */
int import_line_at(const struct import_lines *li, const char *p);

enum import_block_kind {
	BLK_HEADING,  /* level: 1..6 */
	BLK_PARA,     /* prose; owner: the list item it is in, or -1 */
	BLK_ITEM,     /* a list item: task (a checkbox) or plain bullet; level: nesting depth from 1 */
	BLK_CODE,     /* a code block; owner: the list item it is in, or -1 */
	BLK_ROW,      /* a table row (not the header row) */
	BLK_QUOTE,    /* a block quote's text (a GitHub alert when alert is set) */
};

struct import_block {
	enum import_block_kind kind;
	int line;
	int level;
	int owner;
	char *text;         /* heading, paragraph, item or quote text; code block content */
	/* BLK_ITEM */
	bool task, checked;
	char *bold;         /* the item's text's leading **bold** part, or NULL */
	char *rest;         /* what follows it, or NULL */
	char *code;         /* the item's text when it is one `code span`, or NULL */
	int code_line;      /* the line where its last code span starts, 0 when none */
	/* BLK_CODE */
	char *info;         /* the fence's info string ("" when none) */
	bool fenced, unclosed;
	int content_line;   /* the line of the block's first line of code, 0 when empty */
	/* BLK_ROW: cells, and the header row's cells */
	struct strvec cells, head;
	/* BLK_QUOTE */
	char *alert;        /* "Warning", "Note"... for "> [!WARNING]", else NULL */
};

struct import_doc {
	struct import_block *b;
	size_t n, cap;
	bool too_deep;      /* nesting beyond IMPORT_MAX_NESTING was flattened */
	int too_deep_line;
	size_t skipped_deep;  /* checkboxes among what was left out */
};
void import_doc_free(struct import_doc *doc);

/* Messages, gathered in any order and sorted by line at the end. */
struct import_msgs {
	struct import_message *m;
	size_t n, cap;
};
void import_msg(struct import_msgs *ms, enum import_message_kind kind, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Reads TEXT with md4c into DOC. Returns false (with a message) when md4c
 * gives up. */
bool import_read(const char *text, size_t len, const struct import_lines *li, struct import_doc *doc,
	struct import_msgs *ms);

/* The checklist model the mapping fills. */
struct import_item {
	char *id, *title, *kind;   /* kind: "command", "manual", "wait" */
	bool optional, confirm, interactive;
	struct strvec run;         /* lines of the script */
	char *expect, *duration, *estimate;
	struct strvec details;
};

struct import_section {
	char *id, *title, *phase, *description, *estimate;
	bool ungated;              /* gate: false, always_open: true */
	int line;
	struct import_item *items;
	size_t n_items, cap;
	struct import_ids item_ids;
};

struct import_model {
	char *id, *title, *description;
	struct import_var *vars;
	size_t n_vars;
	struct import_section *sections;
	size_t n_sections, cap;
	struct import_ids section_ids;
	size_t skipped;
	size_t bytes;              /* about how long the JSON will be */
	bool too_big;              /* the mapping stopped: more than a checklist may hold */
};
void import_model_free(struct import_model *m);

/* Maps DOC onto M, adding messages; NAME gives the id when there is no H1. */
void import_map(const struct import_doc *doc, const char *name, struct import_model *m, struct import_msgs *ms);

/* The model as pretty-printed JSON (malloc'd, final newline). */
char *import_emit(const struct import_model *m);

/* Emits M, loads and lints it with core's loader and, when it loads with no
 * error, fills OUT's json and counts and returns IMPORT_OK; lint's words
 * become messages. A checklist larger than the loader takes is refused. */
enum import_status import_finish(struct import_model *m, const char *name, struct import_result *out, struct import_msgs *ms);
/* The summary line of R's counts (malloc'd). */
char *import_summary(const struct import_result *r);

/* The message for a runbook whose checklist would be too large. */
void import_too_big(struct import_msgs *ms, int line);

/* Trims spaces at both ends of S in place; returns S. */
char *import_trim(char *s);

#endif
