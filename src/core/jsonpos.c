#include "jsonpos.h"

#include <stdlib.h>
#include <string.h>

#include "countersign/utf8.h"
#include "countersign/util.h"

/* Skips what cJSON skips between values: every byte up to space, not only
 * JSON's four (the loader refuses the others before parsing, but the map
 * must agree with the tree whatever the text). */
static bool is_space(char c)
{
	return (unsigned char)c <= ' ';
}

static size_t skip_ws(const char *t, size_t len, size_t i)
{
	while (i < len && is_space(t[i]))
		i++;
	return i;
}

/* I is at the opening quote; returns the offset after the closing quote. */
static size_t skip_string(const char *t, size_t len, size_t i)
{
	for (i++; i < len && t[i] != '"'; i++)
		if (t[i] == '\\')
			i++;
	return i < len ? i + 1 : len;
}

static void record(struct jpos *m, const cJSON *node, size_t value_off, size_t key_off)
{
	if (m->count == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 256;
		m->entries = xreallocarray(m->entries, m->cap, sizeof(*m->entries));
	}
	m->entries[m->count++] = (struct jpos_entry){node, value_off, key_off};
}

/* Walks the value at I in step with NODE; returns the offset after it, or
 * (size_t)-1 when the text and tree disagree. Depth is bounded by the
 * loader's pre-parse check, so recursion is safe. */
static size_t walk(struct jpos *m, const cJSON *node, size_t i, size_t key_off)
{
	const char *t = m->text;
	size_t len = m->len;
	i = skip_ws(t, len, i);
	if (i >= len)
		return (size_t)-1;
	record(m, node, i, key_off == (size_t)-1 ? i : key_off);
	if (t[i] == '{' || t[i] == '[') {
		bool object = t[i] == '{';
		char close = object ? '}' : ']';
		i++;
		for (const cJSON *c = node->child; c; c = c->next) {
			size_t k = (size_t)-1;
			i = skip_ws(t, len, i);
			if (object) {
				if (i >= len || t[i] != '"')
					return (size_t)-1;
				k = i;
				i = skip_ws(t, len, skip_string(t, len, i));
				if (i >= len || t[i] != ':')
					return (size_t)-1;
				i++;
			}
			i = walk(m, c, i, k);
			if (i == (size_t)-1)
				return i;
			i = skip_ws(t, len, i);
			if (i < len && t[i] == ',')
				i++;
		}
		i = skip_ws(t, len, i);
		return i < len && t[i] == close ? i + 1 : (size_t)-1;
	}
	if (t[i] == '"')
		return skip_string(t, len, i);
	while (i < len && !is_space(t[i]) && !strchr(",]}", t[i]))
		i++;
	return i;
}

static int by_node(const void *a, const void *b)
{
	const cJSON *x = ((const struct jpos_entry *)a)->node;
	const cJSON *y = ((const struct jpos_entry *)b)->node;
	return x < y ? -1 : x > y;
}

bool jpos_build(struct jpos *m, const char *text, size_t len, const cJSON *root)
{
	memset(m, 0, sizeof(*m));
	m->text = text;
	m->len = len;
	size_t cap = 64;
	m->line_starts = xmalloc(cap * sizeof(size_t));
	m->line_starts[m->n_lines++] = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '\n')
			continue;
		if (m->n_lines == cap) {
			cap *= 2;
			m->line_starts = xreallocarray(m->line_starts, cap, sizeof(size_t));
		}
		m->line_starts[m->n_lines++] = i + 1;
	}
	/* cJSON skips a UTF-8 byte order mark at the very start. */
	size_t start = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	bool ok = walk(m, root, start, (size_t)-1) != (size_t)-1;
	qsort(m->entries, m->count, sizeof(*m->entries), by_node);
	return ok;
}

void jpos_clear(struct jpos *m)
{
	free(m->entries);
	free(m->line_starts);
	memset(m, 0, sizeof(*m));
}

void jpos_line_col(const struct jpos *m, size_t off, int *line, int *col)
{
	size_t lo = 0, hi = m->n_lines;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (m->line_starts[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	*line = (int)lo + 1;
	*col = (int)(off - m->line_starts[lo]) + 1;
}

static const struct jpos_entry *find(const struct jpos *m, const cJSON *node)
{
	struct jpos_entry key = {node, 0, 0};
	return m->count ? bsearch(&key, m->entries, m->count, sizeof(key), by_node) : NULL;
}

void jpos_node(const struct jpos *m, const cJSON *node, bool key, int *line, int *col)
{
	const struct jpos_entry *e = find(m, node);
	if (!e) {
		*line = *col = 0;
		return;
	}
	jpos_line_col(m, key ? e->key_off : e->value_off, line, col);
}

void jpos_in_string(const struct jpos *m, const cJSON *node, size_t decoded_off,
	int *line, int *col)
{
	const struct jpos_entry *e = find(m, node);
	if (!e) {
		*line = *col = 0;
		return;
	}
	size_t i = e->value_off + 1, seen = 0;
	/* Escapes take several source bytes for one decoded character; a \u
	 * escape may decode to several bytes, which is close enough here. */
	while (i < m->len && m->text[i] != '"' && seen < decoded_off) {
		if (m->text[i] != '\\') {
			i++;
			seen++;
		} else if (m->text[i + 1] != 'u' || i + 6 > m->len) {
			i += 2;
			seen++;
		} else {
			/* \uXXXX decodes to 1-3 UTF-8 bytes, a surrogate pair to 4. */
			unsigned cp = (unsigned)strtoul((char[]){m->text[i + 2], m->text[i + 3], m->text[i + 4],
				m->text[i + 5], 0}, NULL, 16);
			if (cp >= 0xd800 && cp <= 0xdbff && i + 12 <= m->len && m->text[i + 6] == '\\') {
				i += 12;
				seen += 4;
			} else {
				i += 6;
				seen += (size_t)utf8_encoded_len(cp);
			}
		}
	}
	jpos_line_col(m, i, line, col);
}
