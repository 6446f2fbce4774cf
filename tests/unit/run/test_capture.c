/* The capture buffer on its own: head and tail bounds, the omitted marker,
 * the SHA-256 of the whole stream and redaction across chunk boundaries. */
#include "../check.h"

#include "countersign/event.h"
#include "run/capture.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct captured {
	struct runner_result res;
	struct strbuf streamed; /* what feed/flush handed back, in order */
};

/* Feeds DATA in chunks whose sizes cycle through CHUNKS (0-terminated). */
static void run_capture(const char *data, size_t len, const size_t *chunks,
	const char *const *secrets, struct captured *out)
{
	struct capture c;
	capture_init(&c, secrets);
	memset(out, 0, sizeof(*out));
	const char *piece;
	size_t piece_len, k = 0;
	for (size_t off = 0; off < len;) {
		size_t n = chunks[k] ? chunks[k++] : len;
		if (!chunks[k])
			k = 0;
		if (n > len - off)
			n = len - off;
		capture_feed(&c, data + off, n, &piece, &piece_len);
		if (piece_len)
			strbuf_add(&out->streamed, piece, piece_len);
		off += n;
	}
	capture_flush(&c, &piece, &piece_len);
	if (piece_len)
		strbuf_add(&out->streamed, piece, piece_len);
	capture_finish(&c, &out->res);
	capture_release(&c);
}

static void captured_release(struct captured *c)
{
	free(c->res.output);
	strbuf_release(&c->streamed);
}

static char *pattern(size_t len)
{
	char *p = malloc(len ? len : 1);
	uint32_t x = 12345;
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (char)(' ' + (x >> 16) % 90);
	}
	return p;
}

static void check_bounds(size_t len, const size_t *chunks)
{
	char *data = pattern(len);
	struct captured c;
	run_capture(data, len, chunks, NULL, &c);

	char want_sha[65];
	event_sha256_hex(data, len, want_sha);
	CHECK_STR(c.res.sha256, want_sha);
	CHECK(c.res.total_bytes == len);
	CHECK(c.streamed.len == len && (len == 0 || memcmp(c.streamed.data, data, len) == 0));

	struct strbuf want = {0};
	uint64_t keep = (uint64_t)RUNNER_HEAD_BYTES + RUNNER_TAIL_BYTES;
	if (len <= keep) {
		if (len)
			strbuf_add(&want, data, len);
		CHECK(c.res.omitted == 0);
	} else {
		uint64_t omitted = len - keep;
		strbuf_add(&want, data, RUNNER_HEAD_BYTES);
		strbuf_addf(&want, "\n[... %" PRIu64 " bytes omitted ...]\n", omitted);
		strbuf_add(&want, data + len - RUNNER_TAIL_BYTES, RUNNER_TAIL_BYTES);
		CHECK(c.res.omitted == omitted);
	}
	CHECK(c.res.output_len == want.len);
	CHECK(c.res.output[c.res.output_len] == '\0');
	CHECK(want.len == 0 || (c.res.output_len == want.len
		&& memcmp(c.res.output, want.data, want.len) == 0));
	if (c.res.output_len != want.len)
		fprintf(stderr, "  length %zu: output %zu bytes, want %zu\n", len, c.res.output_len, want.len);
	strbuf_release(&want);
	captured_release(&c);
	free(data);
}

static void test_bounds(void)
{
	static const size_t whole[] = { 0 };
	static const size_t odd[] = { 1, 4093, 65536, 7, 300000, 0 };
	static const size_t small[] = { 4096, 0 };
	size_t H = RUNNER_HEAD_BYTES, T = RUNNER_TAIL_BYTES;
	size_t sizes[] = { 0, 1, 100, H - 1, H, H + 1, H + T - 1, H + T, H + T + 1,
		H + 2 * T + 5, 3u * 1024u * 1024u + 17 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		check_bounds(sizes[i], whole);
		check_bounds(sizes[i], odd);
		check_bounds(sizes[i], small);
	}
}

/* Redacts TEXT with every chunking into three pieces and checks each gives
 * WANT, in the output and in what was streamed. */
static void check_redaction(const char *text, const char *const *secrets, const char *want)
{
	size_t len = strlen(text);
	int bad = 0;
	for (size_t a = 1; a <= len + 1; a++) {
		for (size_t b = 1; b <= len + 1; b++) {
			size_t chunks[] = { a, b, len + 1, 0 };
			struct captured c;
			run_capture(text, len, chunks, secrets, &c);
			const char *streamed = c.streamed.data ? c.streamed.data : "";
			char want_sha[65];
			event_sha256_hex(want, strlen(want), want_sha);
			if (strcmp(c.res.output, want) != 0 || strcmp(streamed, want) != 0
				|| c.res.total_bytes != strlen(want) || strcmp(c.res.sha256, want_sha) != 0) {
				if (bad++ == 0)
					fprintf(stderr, "  \"%s\" in chunks %zu,%zu: got \"%s\" / streamed \"%s\"\n",
						text, a, b, c.res.output, streamed);
			}
			captured_release(&c);
		}
	}
	CHECK(bad == 0);
}

static void test_redaction(void)
{
	const char *const hunter[] = { "hunter2", NULL };
	check_redaction("token=hunter2 and hunter2\n", hunter, "token=*** and ***\n");
	check_redaction("hunthunter2hunter", hunter, "hunt***hunter");
	check_redaction("no secret here", hunter, "no secret here");
	check_redaction("ends with hunte", hunter, "ends with hunte");

	const char *const nested[] = { "abc", "abcdef", "", NULL };
	check_redaction("abcdefabcx", nested, "******x");
	check_redaction("abcdeabc", nested, "***de***");
	check_redaction("ab", nested, "ab");

	/* occurrences that overlap are one mask: no part of one shows */
	const char *const overlapping[] = { "aa", NULL };
	check_redaction("aaa", overlapping, "***");
	check_redaction("aaaa", overlapping, "***");
	check_redaction("aa aa", overlapping, "*** ***");

	const char *const one_byte[] = { "x", NULL };
	check_redaction("axbxx", one_byte, "a***b******");

	const char *const empty_only[] = { "", NULL };
	check_redaction("anything", empty_only, "anything");
}

/* A secret far longer than a read, fed one byte at a time, and redaction of
 * a stream whose head and tail both shift because of it. */
static void test_long_secret(void)
{
	size_t slen = 20000;
	char *secret = pattern(slen);
	secret[slen - 1] = '\0';
	struct strbuf text = {0};
	strbuf_addstr(&text, "before ");
	strbuf_addstr(&text, secret);
	strbuf_addstr(&text, " after");
	const char *const secrets[] = { secret, NULL };
	static const size_t bytewise[] = { 1, 0 };
	static const size_t reads[] = { 65536, 0 };
	struct captured c;
	run_capture(text.data, text.len, bytewise, secrets, &c);
	CHECK_STR(c.res.output, "before *** after");
	captured_release(&c);
	run_capture(text.data, text.len, reads, secrets, &c);
	CHECK_STR(c.res.output, "before *** after");
	captured_release(&c);
	strbuf_release(&text);
	free(secret);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_bounds();
	test_redaction();
	test_long_secret();
	return check_report();
}
