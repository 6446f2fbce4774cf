/* What the command line prints of text from outside the program (checklists,
 * the record, the command line, a check's output) goes through the one
 * sanitiser (countersign/sanitize.h), so that no escape sequence in a title,
 * a name or a comment reaches the terminal. */
#ifndef COUNTERSIGN_CLI_TEXT_H
#define COUNTERSIGN_CLI_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "countersign/util.h"

/* A copy of S (NULL reads as "") safe to print within one line of plain
 * text: escape sequences removed, controls as ^X, newlines as ^J, and in a
 * locale that is not UTF-8 every non-ASCII character as '?'. The copy is
 * owned by the command line and freed by cli_text_release. */
const char *cli_safe(const char *s);

/* The same keeping newlines and tabs, for multi-line text (a script shown
 * before it runs, a message). */
const char *cli_safe_lines(const char *s);

/* Frees every copy cli_safe and cli_safe_lines made; when the command ended. */
void cli_text_release(void);

/* Prints JSON text and a newline on standard output. To a pipe or a file it
 * goes as it is (cJSON escaped the control characters and scripts get the
 * exact values) but for each byte that is not UTF-8, as U+FFFD (JSON text is
 * UTF-8; the record keeps a title as it was typed); on a terminal it goes through the sanitiser too, which
 * replaces only what cJSON lets through (C1 controls, bytes that are not
 * UTF-8) and keeps the JSON valid. */
void cli_put_json(const char *text);

/* Output that arrives in pieces (a check's output): passed through as it is
 * unless OUT is a terminal, where it is sanitised, keeping newlines, with an
 * escape sequence or character cut between pieces held until the next. */
struct cli_stream {
	FILE *out;
	bool sanitise;
	struct strbuf carry;
};
void cli_stream_init(struct cli_stream *st, FILE *out);
void cli_stream_write(struct cli_stream *st, const char *data, size_t len);
/* Writes what is held and frees it. */
void cli_stream_end(struct cli_stream *st);

/* Text printed by a function that writes to a FILE (diagnostics, the
 * outline): cli_capture_begin returns a memory stream to print into;
 * cli_capture_end writes what was printed to TO through the sanitiser,
 * keeping newlines, and frees it. */
struct cli_capture {
	char *data;
	size_t len;
	FILE *f;
};
FILE *cli_capture_begin(struct cli_capture *c);
void cli_capture_end(struct cli_capture *c, FILE *to);

/* Flags of the sanitiser for plain text: SANITIZE_ASCII when the locale's
 * character set is not UTF-8. */
unsigned cli_text_flags(void);

#endif
