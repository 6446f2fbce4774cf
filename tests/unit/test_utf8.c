/* The UTF-8 module: decoding one character (ASCII, two to four bytes, the
 * edges of each range), what is not UTF-8 (overlong forms, surrogates,
 * beyond U+10FFFF, stray and missing continuation bytes, a character cut
 * by the end), valid copies, boundaries, and display widths of wide (CJK,
 * emoji), combining and control characters. */
#include "check.h"

#include "countersign/utf8.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

/* Decodes S (LEN bytes) and checks the length and code point. */
static void decodes(const char *s, size_t len, int want_len, uint32_t want_cp)
{
	uint32_t cp = 0xdeadbeef;
	int n = utf8_decode((const unsigned char *)s, len, &cp);
	CHECK(n == want_len);
	if (n > 0)
		CHECK(cp == want_cp);
	if (n != want_len)
		fprintf(stderr, "  decoding %zu bytes from 0x%02x: %d, want %d\n", len, (unsigned char)s[0], n, want_len);
}

static void test_decode(void)
{
	decodes("A", 1, 1, 'A');
	decodes("", 1, 1, 0);                           /* NUL is ASCII */
	decodes("\x7f", 1, 1, 0x7f);
	decodes("\xc2\x80", 2, 2, 0x80);                /* the first two-byte character */
	decodes("\xc3\xa9", 2, 2, 0xe9);                /* é */
	decodes("\xdf\xbf", 2, 2, 0x7ff);
	decodes("\xe0\xa0\x80", 3, 3, 0x800);
	decodes("\xe4\xb8\xad", 3, 3, 0x4e2d);          /* 中 */
	decodes("\xed\x9f\xbf", 3, 3, 0xd7ff);          /* just below the surrogates */
	decodes("\xee\x80\x80", 3, 3, 0xe000);          /* just above them */
	decodes("\xef\xbf\xbf", 3, 3, 0xffff);
	decodes("\xf0\x90\x80\x80", 4, 4, 0x10000);
	decodes("\xf0\x9f\x98\x80", 4, 4, 0x1f600);     /* 😀 */
	decodes("\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff);
}

static void test_invalid(void)
{
	decodes("\x80", 1, 0, 0);                       /* a stray continuation byte */
	decodes("\xbf", 1, 0, 0);
	decodes("\xc0\x80", 2, 0, 0);                   /* overlong NUL */
	decodes("\xc1\xbf", 2, 0, 0);                   /* overlong */
	decodes("\xe0\x80\x80", 3, 0, 0);               /* overlong */
	decodes("\xe0\x9f\xbf", 3, 0, 0);               /* overlong */
	decodes("\xf0\x80\x80\x80", 4, 0, 0);           /* overlong */
	decodes("\xf0\x8f\xbf\xbf", 4, 0, 0);           /* overlong */
	decodes("\xed\xa0\x80", 3, 0, 0);               /* U+D800, a surrogate */
	decodes("\xed\xbf\xbf", 3, 0, 0);               /* U+DFFF */
	decodes("\xf4\x90\x80\x80", 4, 0, 0);           /* U+110000 */
	decodes("\xf5\x80\x80\x80", 4, 0, 0);
	decodes("\xff", 1, 0, 0);
	decodes("\xfe", 1, 0, 0);
	decodes("\xe4\x41\xad", 3, 0, 0);               /* a continuation byte missing */
	decodes("\xe4\xb8\x41", 3, 0, 0);
	decodes("\xe4\xb8", 2, -1, 0);                  /* cut by the end: more may come */
	decodes("\xf0\x9f\x98", 3, -1, 0);
	decodes("\xc3", 1, -1, 0);

	CHECK(utf8_invalid_at("plain", 5) == 5);
	CHECK(utf8_invalid_at("\xe4\xb8\xad\xe6\x96\x87", 6) == 6);
	CHECK(utf8_invalid_at("ab\xc0\x80", 4) == 2);
	CHECK(utf8_invalid_at("ab\xed\xa0\x80", 5) == 2);
	CHECK(utf8_invalid_at("ab\xf4\x90\x80\x80", 6) == 2);
	CHECK(utf8_invalid_at("ab\xe4\xb8", 4) == 2);    /* cut off at the end */
	CHECK(utf8_invalid_at("a\0b", 3) == 3);         /* NUL is valid UTF-8 */
	CHECK(utf8_valid("", 0));
	CHECK(!utf8_valid("\x80", 1));
}

static void repairs(const char *in, size_t len, bool cut_end, const char *want)
{
	char *got = utf8_repair(in, len, cut_end);
	CHECK_STR(got, want);
	free(got);
}

static void test_repair(void)
{
	repairs("plain \xc3\xa9t\xc3\xa9", 11, false, "plain \xc3\xa9t\xc3\xa9");
	repairs("a\xff" "b", 3, false, "a\xef\xbf\xbd" "b");
	repairs("a\0b", 3, false, "a\xef\xbf\xbd" "b");
	repairs("\xc0\x80", 2, false, "\xef\xbf\xbd\xef\xbf\xbd");
	repairs("\xed\xa0\x80", 3, false, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	repairs("ab\xe2\x82", 4, true, "ab");
	repairs("ab\xe2\x82", 4, false, "ab\xef\xbf\xbd\xef\xbf\xbd");
	repairs("\xf0\x9f\x98\x80", 4, false, "\xf0\x9f\x98\x80");
	repairs("", 0, false, "");
	/* JSON text: only bytes that are not UTF-8 change, one U+FFFD each;
	 * controls and C1 characters are valid UTF-8 and stay */
	repairs("{\"t\":\"caf\xe9 \xc0\xaf \xed\xa0\x80 \xe2\x82\"}", 22, false,
		"{\"t\":\"caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
		"\xef\xbf\xbd\xef\xbf\xbd\"}");
	repairs("\x1b\xc2\x9b \xe6\x97\xa5 \x7f", 9, false, "\x1b\xc2\x9b \xe6\x97\xa5 \x7f");
}

static void test_boundaries(void)
{
	const char *s = "a\xe4\xb8\xad" "b"; /* a中b: 5 bytes */
	CHECK(utf8_boundary_after(s, 5, 0) == 0);
	CHECK(utf8_boundary_after(s, 5, 2) == 4);
	CHECK(utf8_boundary_after(s, 5, 3) == 4);
	CHECK(utf8_boundary_after(s, 5, 9) == 5);
	CHECK(utf8_boundary_before(s, 5, 3) == 1);
	CHECK(utf8_boundary_before(s, 5, 4) == 4);
	CHECK(utf8_boundary_before(s, 5, 9) == 5);
	CHECK(utf8_boundary_before("\x80\x80", 2, 1) == 0);
	CHECK(utf8_encoded_len(0x41) == 1 && utf8_encoded_len(0x7ff) == 2);
	CHECK(utf8_encoded_len(0xffff) == 3 && utf8_encoded_len(0x10000) == 4);
}

static void width_is(const char *s, int want)
{
	int got = utf8_width(s, strlen(s));
	CHECK(got == want);
	if (got != want)
		fprintf(stderr, "  width of \"%s\": %d, want %d\n", s, got, want);
}

static void test_width(void)
{
	CHECK(utf8_cp_width('a') == 1);
	CHECK(utf8_cp_width(0x4e2d) == 2);  /* 中 */
	CHECK(utf8_cp_width(0xac00) == 2);  /* 가 */
	CHECK(utf8_cp_width(0x1f600) == 2); /* 😀 */
	CHECK(utf8_cp_width(0x301) == 0);   /* combining acute accent */
	CHECK(utf8_cp_width(0x200b) == 0);  /* zero width space */
	CHECK(utf8_cp_width(0x01) == -1);
	CHECK(utf8_cp_width(0x110000) == -1);
	width_is("", 0);
	width_is("plain", 5);
	width_is("\xe4\xb8\xad\xe6\x96\x87" "abc", 7);   /* 中文abc */
	width_is("\xf0\x9f\x98\x80!", 3);                 /* 😀! */
	width_is("e\xcc\x81" "e", 2);                     /* é as e and a combining accent */
	width_is("\x01x", 2);                             /* a control shows as one '?' */
	width_is("a\xff" "b", 3);                         /* so does a byte that is not UTF-8 */
	width_is("\xe2\x9c\x93", 1);                      /* ✓ */
}

int main(void)
{
	/* wcwidth answers for characters beyond ASCII only in a UTF-8 locale */
	CHECK(setlocale(LC_CTYPE, "C.UTF-8") != NULL);
	test_decode();
	test_invalid();
	test_repair();
	test_boundaries();
	test_width();
	return check_report();
}
