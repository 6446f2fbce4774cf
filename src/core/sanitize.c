/* The sanitiser that keeps escape sequences and control characters from
 * outside the program off the terminal (see countersign/sanitize.h). */
#include "countersign/sanitize.h"

#include <stdint.h>
#include <string.h>

#include "countersign/utf8.h"
#include "countersign/util.h"

#define ESC 0x1b
#define BEL 0x07

/* Length of the escape sequence that starts at P[0] == ESC; 0 when the end
 * of the data cuts it off and more may follow (!FINAL). */
static size_t escape_length(const unsigned char *p, size_t len, bool final)
{
	if (len < 2)
		return final ? len : 0;
	unsigned char c = p[1];
	if (c == '[') {
		/* CSI: parameters and intermediates up to a final byte */
		for (size_t i = 2; i < len; i++)
			if (p[i] >= 0x40 && p[i] <= 0x7e)
				return i + 1;
		return final ? len : 0;
	}
	if (c == ']' || c == 'P' || c == '_' || c == '^' || c == 'X') {
		/* OSC, DCS, APC, PM, SOS: a string up to BEL or ST (ESC \) */
		for (size_t i = 2; i < len; i++) {
			if (p[i] == BEL)
				return i + 1;
			if (p[i] == ESC && i + 1 < len && p[i + 1] == '\\')
				return i + 2;
		}
		return final ? len : 0;
	}
	/* ESC and one character (ESC 7, ESC c, ESC ( ...); a lone ESC before
	 * anything else goes alone, so that a following character survives */
	return c >= 0x20 && c < 0x7f ? 2 : 1;
}

static void add_control(struct strbuf *sb, unsigned char c, bool multiline)
{
	if (multiline && (c == '\n' || c == '\t')) {
		strbuf_add(sb, (const char *)&c, 1);
	} else if (c == '\r' && multiline) {
		/* progress bars rewrite a line: keep the newest text only at a newline */
	} else if (c == '\t') {
		strbuf_add(sb, " ", 1);
	} else {
		char caret[2] = {'^', (char)(c == 0x7f ? '?' : c + '@')};
		strbuf_add(sb, caret, 2);
	}
}

size_t sanitize_append(struct strbuf *sb, const char *data, size_t len, unsigned flags, bool final)
{
	const unsigned char *p = (const unsigned char *)data;
	bool multiline = flags & SANITIZE_MULTILINE, ascii = flags & SANITIZE_ASCII;
	size_t i = 0;
	while (i < len) {
		/* printable ASCII goes through in runs */
		size_t run = i;
		while (run < len && p[run] >= 0x20 && p[run] < 0x7f)
			run++;
		if (run > i) {
			strbuf_add(sb, data + i, run - i);
			i = run;
			continue;
		}
		unsigned char c = p[i];
		if (c == ESC) {
			size_t n = escape_length(p + i, len - i, final);
			if (n == 0)
				break;
			i += n;
			continue;
		}
		if (c < 0x80) {
			add_control(sb, c, multiline);
			i++;
			continue;
		}
		uint32_t cp = 0;
		int n = utf8_decode(p + i, len - i, &cp);
		if (n < 0 && !final)
			break;
		if (n <= 0) {
			strbuf_add(sb, "?", 1);  /* not UTF-8: one '?' a byte */
			i++;
		} else {
			/* C1 controls (U+0080..U+009F) act like ESC sequences on some terminals */
			if (cp < 0xa0 || ascii)
				strbuf_add(sb, "?", 1);
			else
				strbuf_add(sb, data + i, (size_t)n);
			i += (size_t)n;
		}
	}
	return i;
}

char *sanitize_text(const char *data, size_t len, unsigned flags)
{
	struct strbuf sb = {0};
	sanitize_append(&sb, data, len, flags, true);
	return strbuf_detach(&sb);
}

bool sanitize_is_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		uint32_t cp = 0;
		int n = utf8_decode(p + i, len - i, &cp);
		if (n <= 0 || cp < 0xa0)
			return false;
		i += (size_t)n;
	}
	return true;
}
