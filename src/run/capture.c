#include "run/capture.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void capture_init(struct capture *c, const char *const *secrets)
{
	memset(c, 0, sizeof(*c));
	c->sha = sha256_create();
	c->redactor = redactor_create(secrets);
	redactor_stream_init(&c->stream, c->redactor);
}

void capture_release(struct capture *c)
{
	if (!c)
		return;
	redactor_stream_release(&c->stream);
	redactor_destroy(c->redactor);
	sha256_destroy(c->sha);
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
	assert(c->tail_pos < RUNNER_TAIL_BYTES && c->tail_len <= RUNNER_TAIL_BYTES);
}

/* Records already-redacted bytes. */
static void record(struct capture *c, const char *data, size_t len)
{
	if (len == 0)
		return;
	c->total += len;
	sha256_update(c->sha, data, len);
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

/* Redacts DATA with what was held back, records what that decides and hands
 * it back in *OUT / *OUT_LEN. */
static void redact_and_record(struct capture *c, const char *data, size_t len, bool final,
	const char **out, size_t *out_len)
{
	c->out.len = 0;
	redactor_stream_feed(&c->stream, &c->out, data, len, final);
	record(c, c->out.data, c->out.len);
	*out = c->out.len ? c->out.data : "";
	*out_len = c->out.len;
}

void capture_feed(struct capture *c, const char *data, size_t len,
	const char **out, size_t *out_len)
{
	if (redactor_is_empty(c->redactor)) {
		record(c, data, len);
		*out = data;
		*out_len = len;
		return;
	}
	redact_and_record(c, data, len, false, out, out_len);
}

void capture_flush(struct capture *c, const char **out, size_t *out_len)
{
	redact_and_record(c, "", 0, true, out, out_len);
}

void capture_finish(struct capture *c, struct runner_result *res)
{
	/* After capture_flush: bytes still held back for redaction would be
	 * missing from the output, its count and its hash. */
	assert(c->stream.carry.len == 0);
	/* The head and the tail never hold more than went by. */
	assert(c->head_len <= RUNNER_HEAD_BYTES && c->head_len + c->tail_len <= c->total);
	sha256_final_hex(c->sha, res->sha256);

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
