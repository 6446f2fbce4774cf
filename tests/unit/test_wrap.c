/* The word wrap: rows of at most WIDTH columns with wide characters (CJK,
 * emoji) at the boundary, combining marks kept with their character, a
 * word longer than the width, spaces and tabs where rows break, newlines
 * and empty lines, and progress whatever the width. */
#include "check.h"

#include "countersign/utf8.h"
#include "countersign/util.h"
#include "countersign/wrap.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

/* Wraps TEXT to WIDTH and checks the rows against WANT (NULL-terminated),
 * and that no row is wider than WIDTH. */
static void wraps(const char *text, int width, const char *const *want)
{
	size_t n = 0, n_want = 0;
	while (want[n_want])
		n_want++;
	struct wrap_row *rows = wrap_rows(text, strlen(text), width, &n);
	struct strbuf got = {0};
	for (size_t i = 0; i < n; i++) {
		strbuf_addf(&got, "%s[%.*s]", i ? " " : "", (int)rows[i].len, text + rows[i].start);
		int cols = utf8_width(text + rows[i].start, rows[i].len);
		CHECK(cols <= width || rows[i].len <= 4); /* one character wider than WIDTH may stand alone */
	}
	struct strbuf expected = {0};
	for (size_t i = 0; i < n_want; i++)
		strbuf_addf(&expected, "%s[%s]", i ? " " : "", want[i]);
	CHECK_STR(got.data ? got.data : "", expected.data ? expected.data : "");
	CHECK(n == n_want);
	strbuf_release(&got);
	strbuf_release(&expected);
	free(rows);
}

#define ROWS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_words(void)
{
	wraps("the quick brown fox", 10, ROWS("the quick", "brown fox"));
	wraps("the quick brown fox", 19, ROWS("the quick brown fox"));
	/* a word that ends at the width with a blank after it is cut at the
	 * blank before it: the rows the interface has always shown */
	wraps("the quick brown fox", 9, ROWS("the", "quick", "brown fox"));
	wraps("the quick brown fox", 8, ROWS("the", "quick", "brown", "fox"));
	/* a word longer than the width is cut where it reaches it */
	wraps("abcdefghij", 4, ROWS("abcd", "efgh", "ij"));
	wraps("see https://example.com/a/long/path now", 12,
		ROWS("see", "https://exam", "ple.com/a/lo", "ng/path now"));
}

static void test_spaces(void)
{
	wraps("aaa bbb", 3, ROWS("aaa", "bbb"));   /* the space is where it breaks */
	wraps("aaa bbb", 4, ROWS("aaa", "bbb"));   /* a space that just fits */
	wraps("aaa bbb", 5, ROWS("aaa", "bbb"));
	wraps("aaa\tbbb", 5, ROWS("aaa", "bbb"));  /* a tab breaks like a space */
	wraps("  indented text", 12, ROWS("  indented", "text"));
	wraps("ends with space ", 16, ROWS("ends with space "));
}

static void test_lines(void)
{
	wraps("one\ntwo", 10, ROWS("one", "two"));
	wraps("one\n\ntwo\n", 10, ROWS("one", "", "two"));
	wraps("\n", 10, ROWS(""));
	size_t n = 99;
	CHECK(wrap_rows("", 0, 10, &n) == NULL && n == 0);
}

static void test_wide(void)
{
	/* 中文 takes four columns: two characters, not four, fit in five */
	wraps("\xe4\xb8\xad\xe6\x96\x87\xe4\xb8\xad\xe6\x96\x87\xe4\xb8\xad", 5,
		ROWS("\xe4\xb8\xad\xe6\x96\x87", "\xe4\xb8\xad\xe6\x96\x87", "\xe4\xb8\xad"));
	/* a wide character that would end one column past the width goes down */
	wraps("ab\xe4\xb8\xad", 3, ROWS("ab", "\xe4\xb8\xad"));
	wraps("ab\xe4\xb8\xad", 4, ROWS("ab\xe4\xb8\xad"));
	/* words of wide characters break at spaces like any */
	wraps("\xe6\x97\xa5\xe6\x9c\xac \xe8\xaa\x9e\xe3\x81\xa7\xe3\x81\x99", 6,
		ROWS("\xe6\x97\xa5\xe6\x9c\xac", "\xe8\xaa\x9e\xe3\x81\xa7\xe3\x81\x99"));
	/* emoji are two columns */
	wraps("ok \xf0\x9f\x98\x80\xf0\x9f\x98\x80 done", 6, ROWS("ok", "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", "done"));
	/* wider than the width: one a row, and no endless loop */
	wraps("\xe4\xb8\xad\xe6\x96\x87", 1, ROWS("\xe4\xb8\xad", "\xe6\x96\x87"));
	wraps("ab", 0, ROWS("a", "b"));
}

static void test_combining(void)
{
	/* e and a combining acute accent take one column, and stay together */
	wraps("e\xcc\x81" "e\xcc\x81" "e\xcc\x81", 2, ROWS("e\xcc\x81" "e\xcc\x81", "e\xcc\x81"));
	wraps("caf" "e\xcc\x81" " au lait", 4, ROWS("caf" "e\xcc\x81", "au", "lait"));
}

static void test_invalid(void)
{
	/* a byte that is not UTF-8 takes a column (it shows as '?') */
	wraps("ab\xff" "cd", 3, ROWS("ab\xff", "cd"));
}

int main(void)
{
	CHECK(setlocale(LC_CTYPE, "C.UTF-8") != NULL);
	test_words();
	test_spaces();
	test_lines();
	test_wide();
	test_combining();
	test_invalid();
	return check_report();
}
