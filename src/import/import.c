/* import_markdown: the Markdown runbook read with md4c (import_read.c),
 * mapped onto a checklist (import_map.c), written as JSON and checked with
 * core's loader (import_emit.c). docs/importing.md lists the conventions. */
#include "countersign/import.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/utf8.h"
#include "import_internal.h"

void import_result_clear(struct import_result *r)
{
	if (!r)
		return;
	free(r->json);
	for (size_t i = 0; i < r->n_messages; i++)
		free(r->messages[i].text);
	free(r->messages);
	free(r->summary);
	memset(r, 0, sizeof(*r));
}

const char *import_message_kind_name(enum import_message_kind kind)
{
	switch (kind) {
	case IMPORT_WARNING:
		return "warning";
	case IMPORT_SKIPPED:
		return "skipped";
	case IMPORT_NOTE:
		return "note";
	}
	return "?";
}

void import_msg(struct import_msgs *ms, enum import_message_kind kind, int line, const char *fmt, ...)
{
	if (ms->n == ms->cap) {
		ms->cap = ms->cap ? ms->cap * 2 : 16;
		ms->m = xreallocarray(ms->m, ms->cap, sizeof(*ms->m));
	}
	va_list ap;
	va_start(ap, fmt);
	ms->m[ms->n].kind = kind;
	ms->m[ms->n].line = line;
	ms->m[ms->n].text = xvasprintf(fmt, ap);
	ms->n++;
	va_end(ap);
}

char *import_trim(char *s)
{
	size_t n = strlen(s), i = 0;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i);
	s[n - i] = '\0';
	return s;
}

/* Why TEXT is not a text runbook, or NULL: NUL bytes, invalid UTF-8, control
 * characters other than tab, newline, carriage return and form feed. */
static const char *not_text(const char *text, size_t len, size_t *at)
{
	if (len > IMPORT_MAX_BYTES) {
		*at = 0;
		return "the file is larger than 8 MiB";
	}
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		*at = (size_t)(nul - text);
		return "the file holds NUL bytes: binary data, not a Markdown runbook";
	}
	*at = utf8_invalid_at(text, len);
	if (*at < len)
		return "the file is not valid UTF-8: binary data or another encoding";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7f) {
			*at = i;
			return "the file holds control characters: binary data, not a Markdown runbook";
		}
	}
	return NULL;
}

/* Messages in line order; those about the whole file (line 0) first. */
static int by_line(const void *a, const void *b)
{
	const struct import_message *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return 0;
}

static void sort_messages(struct import_message *m, size_t n)
{
	/* a stable insertion sort: messages of one line keep their order */
	for (size_t i = 1; i < n; i++) {
		struct import_message key = m[i];
		size_t j = i;
		while (j > 0 && by_line(&m[j - 1], &key) > 0) {
			m[j] = m[j - 1];
			j--;
		}
		m[j] = key;
	}
}

static bool has_text(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)text[i]))
			return true;
	return false;
}

/* A copy of TEXT with each CR not followed by LF made LF, or NULL when
 * there is none. */
static char *lone_cr_to_lf(const char *text, size_t len)
{
	char *copy = NULL;
	for (const char *p = memchr(text, '\r', len); p; p = memchr(p + 1, '\r', len - (size_t)(p + 1 - text))) {
		size_t at = (size_t)(p - text);
		if (at + 1 < len && p[1] == '\n')
			continue;
		if (!copy) {
			copy = xmalloc(len + 1);
			memcpy(copy, text, len);
			copy[len] = '\0';
		}
		copy[at] = '\n';
		if (at + 1 >= len)
			break;
	}
	return copy;
}

enum import_status import_markdown(const char *text, size_t len, const char *name, struct import_result *out)
{
	memset(out, 0, sizeof(*out));
	if (!text)
		text = "", len = 0;
	struct import_msgs ms = {0};
	struct import_lines li;
	struct import_doc doc = {0};
	struct import_model m = {0};
	enum import_status st = IMPORT_NOTHING;
	char *lf = NULL;
	import_lines_init(&li, text, len);
	size_t at;
	const char *why = not_text(text, len, &at);
	if (why) {
		import_msg(&ms, IMPORT_WARNING, len ? import_line_of(&li, at) : 0, "%s", why);
		st = IMPORT_REFUSED;
		goto done;
	}
	/* lines ended by a lone CR (old Mac files), as Markdown allows, read as
	 * LF: the same length, so every offset and line stays the input's */
	lf = lone_cr_to_lf(text, len);
	if (lf) {
		text = lf;
		import_lines_free(&li);
		import_lines_init(&li, text, len);
	}
	if (!has_text(text, len)) {
		import_msg(&ms, IMPORT_SKIPPED, 0, "the file is empty: expected a Markdown runbook "
			"(\"# Title\", \"## Phase\" and \"### Section\" headings with checkboxes \"- [ ] ...\" "
			"or code blocks under them)");
		goto done;
	}
	if (text[len - 1] != '\n')
		import_msg(&ms, IMPORT_WARNING, import_line_of(&li, len - 1),
			"the file does not end with a newline: check that its last line is complete");
	if (!import_read(text, len, &li, &doc, &ms))
		goto done;
	import_map(&doc, name, &m, &ms);
	if (m.too_big)
		st = IMPORT_REFUSED;
	else if (m.n_sections)
		st = import_finish(&m, name, out, &ms);
done:
	sort_messages(ms.m, ms.n);
	out->messages = ms.m;
	out->n_messages = ms.n;
	out->skipped = m.skipped;
	if (!out->summary)
		out->summary = import_summary(out);
	import_model_free(&m);
	import_doc_free(&doc);
	import_lines_free(&li);
	free(lf);
	return st;
}
