/* Escaping for the HTML and JUnit XML reports (report_markup.h). The model
 * already holds sanitised UTF-8; this is the renderer's own guarantee that
 * the document stays well-formed and valid UTF-8 whatever a string holds. */
#include "report/report_markup.h"

#include "countersign/utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static const char replacement[] = UTF8_REPLACEMENT;

/* Characters a document may not carry: XML 1.0 forbids U+FFFE and U+FFFF,
 * HTML calls C1 controls, DEL and every noncharacter parse errors. */
static bool forbidden(uint32_t cp)
{
	return (cp >= 0x7f && cp <= 0x9f) || (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffeu) == 0xfffeu;
}

/* The reference for an ASCII byte that needs one, or NULL (written as it
 * is); *DROP when the byte is left out. */
static const char *ascii_ref(unsigned char c, unsigned flags, bool *drop)
{
	*drop = false;
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	case '\n': return flags & MARKUP_ATTR ? "&#10;" : NULL;
	case '\t': return flags & MARKUP_ATTR ? "&#9;" : NULL;
	case '\r': return flags & (MARKUP_ATTR | MARKUP_XML) ? "&#13;" : NULL;
	default:
		*drop = c < 0x20 || c == 0x7f;
		return NULL;
	}
}

void report_markup_textn(FILE *out, const char *s, size_t len, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0; /* bytes before i that go out as they are */
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		if (c >= 0x20 && c < 0x7f && c != '&' && c != '<' && c != '>' && c != '"' && c != '\'') {
			i++;
			continue;
		}
		const char *ref = NULL;
		size_t step = 1;
		bool drop = false;
		if (c < 0x80) {
			ref = ascii_ref(c, flags, &drop);
			if (!ref && !drop) {
				i++;
				continue;
			}
		} else {
			uint32_t cp = 0;
			int n = utf8_decode(p + i, len - i, &cp);
			step = n > 0 ? (size_t)n : 1;
			if (n <= 0) {
				ref = replacement;
			} else if (forbidden(cp)) {
				drop = true;
			} else {
				i += step;
				continue;
			}
		}
		fwrite(p + run, 1, i - run, out);
		if (ref)
			fputs(ref, out);
		i += step;
		run = i;
	}
	fwrite(p + run, 1, len - run, out);
}

void report_markup_text(FILE *out, const char *s, unsigned flags)
{
	if (s)
		report_markup_textn(out, s, strlen(s), flags);
}

size_t report_markup_prefix(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0;
	for (size_t n = 0; n < max && i < len; n++) {
		uint32_t cp;
		int step = utf8_decode(p + i, len - i, &cp);
		i += step > 0 ? (size_t)step : 1;
	}
	return i;
}
