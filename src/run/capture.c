#include "run/capture.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void capture_init(struct capture *c, const char *const *secrets)
{
	memset(c, 0, sizeof(*c));
	crypto_hash_sha256_init(&c->sha);
	size_t n = 0;
	for (size_t i = 0; secrets && secrets[i]; i++)
		n++;
	c->secrets = xcalloc(n, sizeof(*c->secrets));
	c->secret_lens = xcalloc(n, sizeof(*c->secret_lens));
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(secrets[i]);
		if (len == 0)
			continue;
		c->secrets[c->nsecrets] = xstrndup(secrets[i], len);
		c->secret_lens[c->nsecrets++] = len;
		c->first_byte[(unsigned char)secrets[i][0]] = true;
		if (len > c->max_secret)
			c->max_secret = len;
	}
}

void capture_release(struct capture *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nsecrets; i++) {
		/* The copies are secrets too: do not leave them in freed memory. */
		sodium_memzero(c->secrets[i], c->secret_lens[i]);
		free(c->secrets[i]);
	}
	free(c->secrets);
	free(c->secret_lens);
	if (c->carry.data)
		sodium_memzero(c->carry.data, c->carry.cap);
	if (c->work.data)
		sodium_memzero(c->work.data, c->work.cap);
	strbuf_release(&c->carry);
	strbuf_release(&c->work);
	strbuf_release(&c->out);
	free(c->head);
	free(c->tail);
	memset(c, 0, sizeof(*c));
}

static void tail_add(struct capture *c, const char *data, size_t len)
{
	if (!c->tail)
		c->tail = xmalloc(RUNNER_TAIL_BYTES);
	if (len >= RUNNER_TAIL_BYTES) {
		memcpy(c->tail, data + len - RUNNER_TAIL_BYTES, RUNNER_TAIL_BYTES);
		c->tail_pos = 0;
		c->tail_len = RUNNER_TAIL_BYTES;
		return;
	}
	size_t first = RUNNER_TAIL_BYTES - c->tail_pos;
	if (first > len)
		first = len;
	memcpy(c->tail + c->tail_pos, data, first);
	memcpy(c->tail, data + first, len - first);
	c->tail_pos = (c->tail_pos + len) % RUNNER_TAIL_BYTES;
	c->tail_len = c->tail_len + len > RUNNER_TAIL_BYTES ? RUNNER_TAIL_BYTES : c->tail_len + len;
}

/* Records already-redacted bytes. */
static void record(struct capture *c, const char *data, size_t len)
{
	if (len == 0)
		return;
	c->total += len;
	crypto_hash_sha256_update(&c->sha, (const unsigned char *)data, len);
	if (c->head_len < RUNNER_HEAD_BYTES) {
		if (!c->head)
			c->head = xmalloc(RUNNER_HEAD_BYTES);
		size_t n = RUNNER_HEAD_BYTES - c->head_len;
		if (n > len)
			n = len;
		memcpy(c->head + c->head_len, data, n);
		c->head_len += n;
		data += n;
		len -= n;
	}
	if (len > 0)
		tail_add(c, data, len);
}

static void add(struct strbuf *sb, const char *data, size_t len)
{
	if (len > 0)
		strbuf_add(sb, data, len);
}

/* Scans W[0..N) and appends it to C->out with every secret replaced by the
 * mask, leftmost match first and the longest secret where several match at
 * one place. Unless FINAL, stops where a secret might begin but W ends before
 * it could be decided; returns how many bytes were consumed (the rest, fewer
 * than the longest secret, is to be carried over). */
static size_t redact(struct capture *c, const char *w, size_t n, bool final)
{
	size_t i = 0, run = 0;
	while (i < n) {
		if (!c->first_byte[(unsigned char)w[i]]) {
			i++;
			continue;
		}
		size_t best = 0;
		bool undecided = false;
		for (size_t k = 0; k < c->nsecrets; k++) {
			size_t len = c->secret_lens[k];
			if (n - i >= len) {
				if (len > best && memcmp(w + i, c->secrets[k], len) == 0)
					best = len;
			} else if (!final && memcmp(w + i, c->secrets[k], n - i) == 0) {
				undecided = true;
			}
		}
		/* An undecided secret is longer than any full match here, so it
		 * would win if it completes: wait for more bytes. */
		if (undecided)
			break;
		if (best == 0) {
			i++;
			continue;
		}
		add(&c->out, w + run, i - run);
		add(&c->out, CAPTURE_MASK, strlen(CAPTURE_MASK));
		i += best;
		run = i;
	}
	add(&c->out, w + run, i - run);
	return i;
}

static void redact_and_record(struct capture *c, const char *data, size_t len, bool final,
	const char **out, size_t *out_len)
{
	const char *w = data;
	size_t n = len;
	if (c->carry.len > 0) {
		c->work.len = 0;
		add(&c->work, c->carry.data, c->carry.len);
		add(&c->work, data, len);
		w = c->work.data;
		n = c->work.len;
	}
	c->out.len = 0;
	size_t used = redact(c, w, n, final);
	/* W may be the work buffer; the carry is a separate buffer. */
	c->carry.len = 0;
	add(&c->carry, w + used, n - used);
	record(c, c->out.data, c->out.len);
	*out = c->out.len ? c->out.data : "";
	*out_len = c->out.len;
}

void capture_feed(struct capture *c, const char *data, size_t len,
	const char **out, size_t *out_len)
{
	if (c->nsecrets == 0) {
		record(c, data, len);
		*out = data;
		*out_len = len;
		return;
	}
	redact_and_record(c, data, len, false, out, out_len);
}

void capture_flush(struct capture *c, const char **out, size_t *out_len)
{
	if (c->carry.len == 0) {
		*out = "";
		*out_len = 0;
		return;
	}
	redact_and_record(c, "", 0, true, out, out_len);
}

void capture_finish(struct capture *c, struct runner_result *res)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&c->sha, digest);
	sodium_bin2hex(res->sha256, sizeof(res->sha256), digest, sizeof(digest));

	res->total_bytes = c->total;
	res->omitted = c->total - c->head_len - c->tail_len;
	struct strbuf sb = {0};
	add(&sb, c->head, c->head_len);
	if (res->omitted > 0)
		strbuf_addf(&sb, "\n[... %" PRIu64 " bytes omitted ...]\n", res->omitted);
	size_t start = (c->tail_pos + RUNNER_TAIL_BYTES - c->tail_len) % RUNNER_TAIL_BYTES;
	size_t first = RUNNER_TAIL_BYTES - start;
	if (first > c->tail_len)
		first = c->tail_len;
	if (c->tail_len > 0) {
		add(&sb, c->tail + start, first);
		add(&sb, c->tail, c->tail_len - first);
	}
	res->output_len = sb.len;
	res->output = strbuf_detach(&sb);
}
