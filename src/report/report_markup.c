/* Escaping for the HTML and JUnit XML reports (report_markup.h). The model
 * already holds sanitised UTF-8; this is the renderer's own guarantee that
 * the document stays well-formed and valid UTF-8 whatever a string holds. */
#include "report/report_markup.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/* Length of the UTF-8 character at P (LEN bytes left) with its code point
 * in *CP; 0 when the bytes are not UTF-8: overlong, a surrogate, beyond
 * U+10FFFF, a stray continuation byte, or cut off by the end. */
static size_t utf8_char(const unsigned char *p, size_t len, uint32_t *cp)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t need;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		*cp = c & 0x1fu;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		*cp = c & 0x0fu;
		lo = c == 0xe0 ? 0xa0 : lo; /* overlong */
		hi = c == 0xed ? 0x9f : hi; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		*cp = c & 0x07u;
		lo = c == 0xf0 ? 0x90 : lo; /* overlong */
		hi = c == 0xf4 ? 0x8f : hi; /* beyond U+10FFFF */
	} else {
		return 0;
	}
	if (need > len)
		return 0;
	for (size_t k = 1; k < need; k++) {
		if (p[k] < lo || p[k] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
		*cp = (*cp << 6) | (p[k] & 0x3fu);
	}
	return need;
}

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
			step = utf8_char(p + i, len - i, &cp);
			if (step == 0) {
				step = 1;
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
		size_t step = p[i] < 0x80 ? 1 : utf8_char(p + i, len - i, &cp);
		i += step ? step : 1;
	}
	return i;
}
