/* The one word wrap: where text breaks into rows of a given number of
 * terminal columns. It counts columns, not bytes or characters, so that a
 * wide character (CJK, most emoji) takes two and a combining mark none and
 * stays with the character before it. Pure: no I/O; the widths come from
 * utf8_cp_width, which needs a UTF-8 LC_CTYPE for characters beyond ASCII. */
#ifndef COUNTERSIGN_WRAP_H
#define COUNTERSIGN_WRAP_H

#include <stddef.h>

/* One row: LEN bytes of the text from START. */
struct wrap_row {
	size_t start, len;
};

/* Splits TEXT[0..LEN) into rows of at most WIDTH columns: at each newline,
 * and within a line that goes on past WIDTH at the last space or tab that
 * fits (after the row's first character), which neither row shows; a word
 * longer than WIDTH is cut where it reaches it. A tab, a
 * control character and each byte that is not UTF-8 count as one column.
 * Every row holds at least one character, so that one wider than WIDTH (or
 * a WIDTH below 1) still makes progress. An empty line is an empty row;
 * nothing after the last newline is no row. Returns a malloc'd array of *N
 * rows, NULL when there are none; the caller frees it. */
struct wrap_row *wrap_rows(const char *text, size_t len, int width, size_t *n);

#endif
