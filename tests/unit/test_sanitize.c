/* Unit tests for src/core/sanitize.c: escape sequences removed, controls and
 * bytes that are not UTF-8 replaced, valid UTF-8 kept, one line or many,
 * pieces of a stream, the check for names, and JSON text made UTF-8. */
#include <stdlib.h>

#include "check.h"
#include "countersign/sanitize.h"
#include "countersign/util.h"

#define ML SANITIZE_MULTILINE

static void clean(const char *in, size_t len, unsigned flags, const char *want, int line)
{
	char *got = sanitize_text(in, len, flags);
	if (strcmp(got, want) == 0) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "%s:%d: sanitize_text\n  got:  \"%s\"\n  want: \"%s\"\n", __FILE__, line, got, want);
	}
	free(got);
}

#define CLEAN(in, flags, want) clean((in), sizeof(in) - 1, (flags), (want), __LINE__)

static void escapes(void)
{
	/* the full name of the report: a title change and a colour */
	CLEAN("A\x1b]0;PWNED\x1b\\\x1b[31mRED", 0, "ARED");
	CLEAN("A\x1b]0;PWNED\x07" "B", 0, "AB");                  /* OSC ended by BEL */
	CLEAN("\x1b[2J\x1b[H\x1b[?1049hX", 0, "X");             /* clear, home, alternate screen */
	CLEAN("\x1bP+q544e\x1b\\ok", 0, "ok");                  /* DCS */
	CLEAN("\x1b_apc\x1b\\\x1b^pm\x07\x1bXsos\x1b\\ok", 0, "ok");
	CLEAN("a\x1b" "7b\x1b" "cc", 0, "abc");                 /* ESC and one character */
	CLEAN("a\x1b", 0, "a");                                 /* a lone ESC at the end */
	CLEAN("\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\", 0, "link");
	CLEAN("x\x1b\xc3\xa9", 0, "x\xc3\xa9");                 /* ESC before a character keeps it */
	CLEAN("\x1b[31", 0, "");                                /* cut off: nothing of it */
}

static void controls(void)
{
	CLEAN("bell\x07 bs\x08 del\x7f", 0, "bell^G bs^H del^?");
	CLEAN("a\0b", 0, "a^@b");
	/* one line: newlines and carriage returns show, a tab is a space */
	CLEAN("one\ntwo\rthree\tfour", 0, "one^Jtwo^Mthree four");
	/* many lines: newlines and tabs kept, a carriage return dropped */
	CLEAN("one\ntwo\r\nthree\tfour", ML, "one\ntwo\nthree\tfour");
	CLEAN("10%\r20%\r30%\n", ML, "10%20%30%\n");
	CLEAN("plain text, 100% ASCII ~!", 0, "plain text, 100% ASCII ~!");
}

static void utf8(void)
{
	CLEAN("Zo\xc3\xab \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x9a\x80", 0,
		"Zo\xc3\xab \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x9a\x80");
	CLEAN("\xc2\xa0nbsp \xef\xbf\xbd", 0, "\xc2\xa0nbsp \xef\xbf\xbd");
	/* not UTF-8: one '?' a byte */
	CLEAN("a\xff" "b", 0, "a?b");
	CLEAN("a\xc3", 0, "a?");                                /* cut off at the end */
	CLEAN("\xc3(", 0, "?(");                                /* bad continuation */
	CLEAN("\xc0\xaf", 0, "??");                             /* overlong '/' */
	CLEAN("\xe0\x80\xaf", 0, "???");                        /* overlong, 3 bytes */
	CLEAN("\xed\xa0\x80", 0, "???");                        /* a surrogate */
	CLEAN("\xf4\x90\x80\x80", 0, "????");                   /* beyond U+10FFFF */
	CLEAN("\x80\xbf", 0, "??");                             /* stray continuation bytes */
	/* C1 controls: the 8-bit CSI raw and as UTF-8, NEL, OSC */
	CLEAN("\x9b" "31mX", 0, "?31mX");
	CLEAN("\xc2\x9b" "31mX", 0, "?31mX");
	CLEAN("\xc2\x85\xc2\x9d", 0, "??");
	/* ASCII only: a character is one '?' */
	CLEAN("Zo\xc3\xab \xf0\x9f\x9a\x80!", SANITIZE_ASCII, "Zo? ?!");
	CLEAN("tab\tnl\n", SANITIZE_ASCII | ML, "tab\tnl\n");
}

/* Feeds IN in pieces of every size from 1 to its length and checks the
 * result never depends on where the pieces were cut. */
static void stream(const char *in, unsigned flags, const char *want, int line)
{
	size_t len = strlen(in);
	for (size_t piece = 1; piece <= len; piece++) {
		struct strbuf out = {0}, carry = {0};
		for (size_t at = 0; at < len; at += piece) {
			size_t n = at + piece <= len ? piece : len - at;
			strbuf_add(&carry, in + at, n);
			size_t used = sanitize_append(&out, carry.data, carry.len, flags, false);
			memmove(carry.data, carry.data + used, carry.len - used);
			carry.len -= used;
		}
		sanitize_append(&out, carry.data ? carry.data : "", carry.len, flags, true);
		const char *got = out.data ? out.data : "";
		if (strcmp(got, want) == 0) {
			check_passed++;
		} else {
			check_failed++;
			fprintf(stderr, "%s:%d: pieces of %zu\n  got:  \"%s\"\n  want: \"%s\"\n", __FILE__, line, piece, got,
				want);
		}
		strbuf_release(&out);
		strbuf_release(&carry);
	}
}

static void pieces(void)
{
	stream("ok \x1b]0;PWNED\x1b\\\x1b[1;31mred\x1b[0m Zo\xc3\xab \xf0\x9f\x9a\x80\n", ML,
		"ok red Zo\xc3\xab \xf0\x9f\x9a\x80\n", __LINE__);
	stream("a\x1b[3", ML, "a", __LINE__);                    /* cut off at the very end */
	stream("\xc3\xa9\xc3", ML, "\xc3\xa9?", __LINE__);

	/* unless final, a cut-off sequence is left for the next piece */
	struct strbuf out = {0};
	CHECK(sanitize_append(&out, "ab\x1b]0;ti", 8, ML, false) == 2);
	CHECK(sanitize_append(&out, "x\xe2\x80", 3, ML, false) == 1);
	CHECK(sanitize_append(&out, "x\xe2\x80", 3, ML, true) == 3);
	CHECK_STR(out.data, "abxx??");
	strbuf_release(&out);
}

static void names(void)
{
	CHECK(sanitize_is_clean("Alice Smith"));
	CHECK(sanitize_is_clean("Zo\xc3\xab O'Brien-\xe6\x97\xa5\xe6\x9c\xac"));
	CHECK(sanitize_is_clean(""));
	CHECK(!sanitize_is_clean("A\x1b]0;PWNED\x1b\\"));
	CHECK(!sanitize_is_clean("tab\there"));
	CHECK(!sanitize_is_clean("new\nline"));
	CHECK(!sanitize_is_clean("del\x7f"));
	CHECK(!sanitize_is_clean("csi\xc2\x9b"));
	CHECK(!sanitize_is_clean("latin1 \xe9t\xe9"));
	CHECK(!sanitize_is_clean("cut \xe2\x80"));
}

int main(void)
{
	escapes();
	controls();
	utf8();
	pieces();
	names();
	return check_report();
}
