/* The JSON position scanner against cJSON: whatever cJSON parses, the
 * scanner indexes (one entry per value), and every position it gives is
 * where that value, or its key, is written in the text. */
#include "fuzz.h"

#include <math.h>

#include "core/jsonpos.h"

/* The offset LINE:COL stands for. */
static size_t offset_of(const struct jpos *m, int line, int col)
{
	FUZZ_ASSERT(line >= 1 && (size_t)line <= m->n_lines && col >= 1);
	return m->line_starts[line - 1] + (size_t)col - 1;
}

static size_t count_nodes(const cJSON *node)
{
	size_t n = 1;
	for (const cJSON *c = node->child; c; c = c->next)
		n += count_nodes(c);
	return n;
}

/* Whether the string written at T[OFF] == '"' is WANT, when it is written
 * without escapes (escaped ones are cJSON's to decode). */
static void check_plain_string(const char *t, size_t len, size_t off, const char *want)
{
	FUZZ_ASSERT(off < len && t[off] == '"');
	size_t end = off + 1;
	while (end < len && t[end] != '"' && t[end] != '\\' && t[end] != '\0')
		end++;
	if (end < len && t[end] == '"')
		FUZZ_ASSERT(strlen(want) == end - off - 1 && memcmp(t + off + 1, want, end - off - 1) == 0);
}

/* The number written at T[OFF], read the way cJSON reads it: the longest
 * run of number characters, given to strtod. */
static double number_at(const char *t, size_t len, size_t off)
{
	size_t n = 0;
	while (off + n < len && t[off + n] && strchr("0123456789+-eE.", t[off + n]))
		n++;
	char *buf = fuzz_text((const uint8_t *)t + off, n);
	double v = strtod(buf, NULL);
	free(buf);
	return v;
}

static void check_entry(const struct jpos *m, const struct jpos_entry *e)
{
	const char *t = m->text;
	size_t len = m->len;
	const cJSON *node = e->node;
	FUZZ_ASSERT(e->value_off < len);
	char c = t[e->value_off];
	if (cJSON_IsObject(node))
		FUZZ_ASSERT(c == '{');
	else if (cJSON_IsArray(node))
		FUZZ_ASSERT(c == '[');
	else if (cJSON_IsString(node))
		check_plain_string(t, len, e->value_off, node->valuestring);
	else if (cJSON_IsNumber(node)) {
		double v = number_at(t, len, e->value_off);
		FUZZ_ASSERT(v == node->valuedouble || (isnan(v) && isnan(node->valuedouble)));
	} else if (cJSON_IsTrue(node))
		FUZZ_ASSERT(len - e->value_off >= 4 && memcmp(t + e->value_off, "true", 4) == 0);
	else if (cJSON_IsFalse(node))
		FUZZ_ASSERT(len - e->value_off >= 5 && memcmp(t + e->value_off, "false", 5) == 0);
	else if (cJSON_IsNull(node))
		FUZZ_ASSERT(len - e->value_off >= 4 && memcmp(t + e->value_off, "null", 4) == 0);
	if (node->string)
		check_plain_string(t, len, e->key_off, node->string);
	else
		FUZZ_ASSERT(e->key_off == e->value_off);

	int line, col;
	jpos_node(m, node, false, &line, &col);
	FUZZ_ASSERT(offset_of(m, line, col) == e->value_off);
	jpos_node(m, node, true, &line, &col);
	FUZZ_ASSERT(offset_of(m, line, col) == e->key_off);

	/* Inside a string: a position from the opening quote to the closing. */
	if (cJSON_IsString(node)) {
		size_t close = e->value_off + 1;
		while (close < len && t[close] != '"')
			close += t[close] == '\\' ? 2 : 1;
		size_t n = strlen(node->valuestring);
		for (size_t k = 0; k <= n && k < 64; k++) {
			jpos_in_string(m, node, k, &line, &col);
			size_t at = offset_of(m, line, col);
			FUZZ_ASSERT(at > e->value_off && at <= close);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, size, &end, false);
	if (root) {
		struct jpos m;
		FUZZ_ASSERT(jpos_build(&m, text, size, root));
		FUZZ_ASSERT(m.count == count_nodes(root));
		for (size_t i = 0; i < m.count; i++)
			check_entry(&m, &m.entries[i]);
		/* Any offset in the text has a place. */
		int line, col;
		jpos_line_col(&m, size, &line, &col);
		FUZZ_ASSERT(offset_of(&m, line, col) == size);
		jpos_clear(&m);
	}
	cJSON_Delete(root);
	free(text);
	return 0;
}
