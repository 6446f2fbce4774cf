/* The secret redactor: leftmost-longest matching (one secret the prefix of
 * another), overlapping and touching secrets, an empty secret, secrets in
 * UTF-8 text, in HTTP headers, URLs and bodies, excerpts cut inside a
 * secret, and streams split at every offset giving what one piece gives,
 * with a bounded carry. */
#include "check.h"

#include "countersign/redact.h"
#include "countersign/util.h"

#include <stdlib.h>
#include <string.h>

static void text_is(const char *const *secrets, const char *text, const char *want)
{
	char *got = redact_string(text, secrets);
	CHECK_STR(got, want);
	free(got);
}

static void test_longest(void)
{
	const char *const hunter[] = {"hunter2", "hunter2-prod-key", NULL};
	const char *const reversed[] = {"hunter2-prod-key", "hunter2", NULL};
	text_is(hunter, "Authorization: Bearer hunter2-prod-key", "Authorization: Bearer ***");
	text_is(reversed, "Authorization: Bearer hunter2-prod-key", "Authorization: Bearer ***");
	text_is(hunter, "hunter2 then hunter2-prod-key then hunter2-prod", "*** then *** then ***-prod");
	text_is(hunter, "hunthunter2hunter", "hunt***hunter");
	const char *const nested[] = {"abc", "abcdef", NULL};
	text_is(nested, "abcdefabcx", "******x");
	text_is(nested, "abcdeabc", "***de***");
}

static void test_overlap(void)
{
	/* leftmost-longest alone would leave "ef" of the second secret */
	const char *const two[] = {"abcd", "cdef", NULL};
	const char *const owt[] = {"cdef", "abcd", NULL};
	text_is(two, "xabcdefy", "x***y");
	text_is(owt, "xabcdefy", "x***y");
	text_is(two, "abcdabcd", "******");   /* touching: a mask each */
	text_is(two, "abcdcdef", "******");
	/* a chain of overlaps is one mask */
	const char *const aa[] = {"aa", NULL};
	text_is(aa, "aaaaa b aa", "*** b ***");
	text_is(aa, "a", "a");
}

static void test_empty_and_null(void)
{
	const char *const empty[] = {"", NULL};
	const char *const with_empty[] = {"", "tok", "", NULL};
	text_is(empty, "nothing changes", "nothing changes");
	text_is(NULL, "nothing changes", "nothing changes");
	text_is(with_empty, "a=tok&b=toktok&c=", "a=***&b=******&c=");
	text_is(with_empty, "", "");
	CHECK(redact_string(NULL, with_empty) == NULL);
	struct redactor *r = redactor_create(empty);
	CHECK(redactor_is_empty(r));
	CHECK(redactor_is_empty(NULL));
	redactor_destroy(r);
	redactor_destroy(NULL);
	CHECK(redactor_copy(NULL) == NULL);
	char *s = redactor_text(NULL, "as is");
	CHECK_STR(s, "as is");
	free(s);
}

static void test_utf8(void)
{
	const char *const cyr[] = {"пароль", "✓✓", NULL};
	text_is(cyr, "Пароль: пароль ✓ ✓✓✓", "Пароль: *** ✓ ***"); /* ✓✓ twice, overlapping */
	/* a secret of one multi-byte character, next to others */
	const char *const one[] = {"é", NULL};
	text_is(one, "café éclair", "caf*** ***clair");
}

static void test_http(void)
{
	const char *const s[] = {"hunter2", "hunter2-prod-key", "p@ss", NULL};
	text_is(s, "Authorization: Bearer hunter2-prod-key\r\nX-Api-Key: hunter2\r\n",
		"Authorization: Bearer ***\r\nX-Api-Key: ***\r\n");
	text_is(s, "https://bob:p@ss@example.com/v1?token=hunter2-prod-key&x=1",
		"https://bob:***@example.com/v1?token=***&x=1");
	text_is(s, "{\"key\": \"hunter2-prod-key\", \"old\": \"hunter2\"}", "{\"key\": \"***\", \"old\": \"***\"}");
	/* a copy masks the same and outlives the original */
	struct redactor *r = redactor_create(s), *c = redactor_copy(r);
	redactor_destroy(r);
	char *got = redactor_text(c, "Bearer hunter2-prod-key");
	CHECK_STR(got, "Bearer ***");
	free(got);
	redactor_destroy(c);
}

static void excerpt_is(const char *const *secrets, const char *text, size_t from, size_t n, const char *want)
{
	struct redactor *r = redactor_create(secrets);
	struct strbuf sb = {0};
	redactor_excerpt(r, &sb, text, strlen(text), from, n);
	CHECK_STR(sb.data ? sb.data : "", want);
	strbuf_release(&sb);
	redactor_destroy(r);
}

static void test_excerpt(void)
{
	const char *const s[] = {"hunter2", "hunter2-prod-key", NULL};
	const char *text = "{\"token\": \"hunter2-prod-key\",, \"x\": 1}";
	excerpt_is(s, text, 0, 15, "{\"token\": \"***");   /* the cut inside the secret */
	excerpt_is(s, text, 20, 14, "***\",, \"x\"");       /* starts inside it */
	excerpt_is(s, text, 14, 4, "***");                 /* wholly inside it */
	excerpt_is(s, text, 27, 100, "\",, \"x\": 1}");     /* after it */
	excerpt_is(s, text, 100, 5, "");
	excerpt_is(NULL, text, 2, 5, "token");
}

/* Feeds TEXT to a stream cut at A and B (A <= B) and returns the output. */
static char *streamed(const struct redactor *r, const char *text, size_t a, size_t b, size_t *max_carry)
{
	size_t len = strlen(text);
	struct redactor_stream st;
	redactor_stream_init(&st, r);
	struct strbuf out = {0};
	size_t cuts[] = {0, a, b, len};
	for (size_t k = 0; k + 1 < 4; k++) {
		redactor_stream_feed(&st, &out, text + cuts[k], cuts[k + 1] - cuts[k], false);
		if (st.carry.len > *max_carry)
			*max_carry = st.carry.len;
	}
	redactor_stream_feed(&st, &out, "", 0, true);
	CHECK(st.carry.len == 0);
	redactor_stream_release(&st);
	return strbuf_detach(&out);
}

/* Every cut of TEXT into three pieces gives what redacting it whole gives. */
static void check_splits(const char *const *secrets, const char *text)
{
	struct redactor *r = redactor_create(secrets);
	char *whole = redactor_text(r, text);
	size_t len = strlen(text), longest = 0, max_carry = 0;
	for (size_t k = 0; secrets[k]; k++)
		longest = strlen(secrets[k]) > longest ? strlen(secrets[k]) : longest;
	int bad = 0;
	for (size_t a = 0; a <= len; a++) {
		for (size_t b = a; b <= len; b++) {
			char *got = streamed(r, text, a, b, &max_carry);
			if (strcmp(got, whole) != 0 && bad++ == 0)
				fprintf(stderr, "  \"%s\" cut at %zu and %zu: \"%s\", whole \"%s\"\n", text, a, b, got, whole);
			free(got);
		}
	}
	CHECK(bad == 0);
	CHECK(max_carry < longest);
	free(whole);
	redactor_destroy(r);
}

static void test_stream(void)
{
	const char *const hunter[] = {"hunter2", "hunter2-prod-key", "", NULL};
	check_splits(hunter, "Bearer hunter2-prod-key; old hunter2; hunter2-pro; hunt");
	check_splits(hunter, "hunter2hunter2-prod-keyhunter2-prod-key");
	const char *const two[] = {"abcd", "cdef", NULL};
	check_splits(two, "xabcdefy abcdabcd abcdcdef abc");
	const char *const aa[] = {"aa", NULL};
	check_splits(aa, "aaaaa b aa a");
	const char *const cyr[] = {"пароль", "✓✓", NULL};
	check_splits(cyr, "Пароль: пароль ✓ ✓✓✓ парол");
}

/* A long run of overlapping occurrences is one mask, while the stream
 * holds back less than the longest secret. */
static void test_stream_bound(void)
{
	const char *const aa[] = {"aa", NULL};
	struct redactor *r = redactor_create(aa);
	struct redactor_stream st;
	redactor_stream_init(&st, r);
	struct strbuf out = {0};
	char chunk[4097];
	memset(chunk, 'a', sizeof(chunk));
	size_t max_carry = 0;
	for (int k = 0; k < 256; k++) {
		redactor_stream_feed(&st, &out, chunk, sizeof(chunk), false);
		max_carry = st.carry.len > max_carry ? st.carry.len : max_carry;
	}
	redactor_stream_feed(&st, &out, "!", 1, true);
	CHECK_STR(out.data, "***!");
	CHECK(max_carry <= 1);
	strbuf_release(&out);
	redactor_stream_release(&st);
	redactor_stream_release(NULL);
	redactor_destroy(r);
}

int main(void)
{
	test_longest();
	test_overlap();
	test_empty_and_null();
	test_utf8();
	test_http();
	test_excerpt();
	test_stream();
	test_stream_bound();
	return check_report();
}
