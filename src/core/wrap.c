/* The one word wrap (countersign/wrap.h). */
#include "countersign/wrap.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "countersign/utf8.h"
#include "countersign/util.h"

struct rows {
	struct wrap_row *row;
	size_t n, cap;
};

static void add_row(struct rows *r, size_t start, size_t len)
{
	if (r->n == r->cap)
		r->row = xreallocarray(r->row, r->cap = r->cap ? r->cap * 2 : 16, sizeof(*r->row));
	r->row[r->n++] = (struct wrap_row){start, len};
}

/* The character at P (AVAIL > 0 bytes): its length, and its columns in *COLS. */
static size_t next_char(const char *p, size_t avail, int *cols)
{
	uint32_t cp;
	int n = utf8_decode((const unsigned char *)p, avail, &cp);
	if (n <= 0) {
		*cols = 1;
		return 1;
	}
	int w = utf8_cp_width(cp);
	*cols = w < 0 ? 1 : w;
	return (size_t)n;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The row that starts at FROM in the line ending at END: what fits in WIDTH
 * columns (one character at least); where the line goes on, cut at the last
 * blank that fits after FROM. Returns the row's end; *NEXT gets where the
 * next row starts, past the blank the row was cut at. */
static size_t row_end(const char *text, size_t from, size_t end, int width, size_t *next)
{
	size_t i = from, cut = from;
	for (int cols = 0; i < end;) {
		int w;
		size_t used = next_char(text + i, end - i, &w);
		if (cols + w > width && i > from)
			break;
		if (blank(text[i]))
			cut = i;
		i += used;
		cols += w;
	}
	size_t stop = i < end && cut > from ? cut : i;
	*next = stop < end && blank(text[stop]) ? stop + 1 : stop;
	return stop;
}

struct wrap_row *wrap_rows(const char *text, size_t len, int width, size_t *n)
{
	struct rows r = {0};
	for (size_t line = 0; line < len;) {
		const char *nl = memchr(text + line, '\n', len - line);
		size_t end = nl ? (size_t)(nl - text) : len, piece = line;
		do {
			size_t next;
			size_t stop = row_end(text, piece, end, width, &next);
			add_row(&r, piece, stop - piece);
			piece = next;
		} while (piece < end);
		line = end + 1;
	}
	*n = r.n;
	return r.row;
}
