/* The one UTF-8 module (countersign/utf8.h). */
#define _XOPEN_SOURCE 700 /* wcwidth */
#include "countersign/utf8.h"

#include <assert.h>
#include <string.h>
#include <wchar.h>

#include "countersign/util.h"

static bool continuation(unsigned char b)
{
	return (b & 0xc0) == 0x80;
}

int utf8_decode(const unsigned char *p, size_t len, uint32_t *cp)
{
	assert(len > 0);
	unsigned char c = p[0], lo = 0x80, hi = 0xbf; /* the second byte's range */
	size_t need;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
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
		return 0; /* a continuation byte, C0, C1 (overlong) or F5 and above */
	}
	for (size_t k = 1; k < need; k++) {
		if (k >= len)
			return -1;
		if (p[k] < lo || p[k] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
		*cp = (*cp << 6) | (p[k] & 0x3fu);
	}
	return (int)need;
}

size_t utf8_invalid_at(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		uint32_t cp;
		int n = utf8_decode(p + i, len - i, &cp);
		if (n <= 0)
			return i;
		i += (size_t)n;
	}
	return len;
}

bool utf8_valid(const char *s, size_t len)
{
	return utf8_invalid_at(s, len) == len;
}

char *utf8_repair(const char *s, size_t len, bool cut_end)
{
	const unsigned char *p = (const unsigned char *)s;
	struct strbuf sb = {0};
	strbuf_add(&sb, "", 0);
	size_t i = 0, run = 0; /* the bytes from RUN to I go out as they are */
	while (i < len) {
		uint32_t cp;
		int n = p[i] == 0 ? 0 : utf8_decode(p + i, len - i, &cp);
		if (n > 0) {
			i += (size_t)n;
			continue;
		}
		strbuf_add(&sb, s + run, i - run);
		if (n < 0 && cut_end)
			return strbuf_detach(&sb);
		strbuf_addstr(&sb, UTF8_REPLACEMENT);
		run = ++i;
	}
	strbuf_add(&sb, s + run, len - run);
	return strbuf_detach(&sb);
}

int utf8_encoded_len(uint32_t cp)
{
	return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

size_t utf8_boundary_after(const char *s, size_t len, size_t i)
{
	while (i < len && continuation((unsigned char)s[i]))
		i++;
	return i < len ? i : len;
}

size_t utf8_boundary_before(const char *s, size_t len, size_t i)
{
	if (i >= len)
		return len;
	while (i > 0 && continuation((unsigned char)s[i]))
		i--;
	return i;
}

int utf8_cp_width(uint32_t cp)
{
	if (cp > (uint32_t)WCHAR_MAX)
		return -1;
	return wcwidth((wchar_t)cp);
}

int utf8_width(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	int cols = 0;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		int n = utf8_decode(p + i, len - i, &cp);
		if (n <= 0) {
			cols++;
			i++;
			continue;
		}
		int w = utf8_cp_width(cp);
		cols += w < 0 ? 1 : w;
		i += (size_t)n;
	}
	return cols;
}
