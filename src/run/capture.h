/* The bounded record of one job's output stream: secrets redacted first (also
 * across chunk boundaries), then the first RUNNER_HEAD_BYTES kept, the last
 * RUNNER_TAIL_BYTES kept in a ring, every byte counted and hashed. Memory
 * stays under a fixed bound whatever the stream's size. Internal to src/run. */
#ifndef COUNTERSIGN_RUN_CAPTURE_H
#define COUNTERSIGN_RUN_CAPTURE_H

#include "countersign/redact.h"
#include "countersign/runner.h"
#include "countersign/sha256.h"
#include "countersign/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capture {
	char *head;                /* RUNNER_HEAD_BYTES once the first byte arrives */
	size_t head_len;
	char *tail;                /* ring of RUNNER_TAIL_BYTES, allocated once the head is full */
	size_t tail_pos, tail_len; /* next write index; bytes held */
	uint64_t total;
	struct sha256 *sha;

	struct redactor *redactor;      /* the secrets, copied */
	struct redactor_stream stream;  /* holds back bytes that may begin a secret */
	struct strbuf out;              /* scratch: what one call redacted */
};

/* Prepares C; SECRETS (NULL-terminated, may be NULL; empty strings ignored)
 * are copied. Release with capture_release. */
void capture_init(struct capture *c, const char *const *secrets);

/* Redacts and records DATA[0..LEN). *OUT / *OUT_LEN receive the redacted
 * bytes that were recorded by this call (possibly none, possibly including
 * bytes held back from an earlier call); they point into C or into DATA and
 * stay valid until the next call on C or until DATA changes. */
void capture_feed(struct capture *c, const char *data, size_t len,
	const char **out, size_t *out_len);

/* End of stream: records the bytes still held back for redaction, returning
 * them like capture_feed. */
void capture_flush(struct capture *c, const char **out, size_t *out_len);

/* Fills RES->total_bytes, omitted, sha256, output (malloc'd, the caller
 * frees it) and output_len. Call once, after capture_flush. */
void capture_finish(struct capture *c, struct runner_result *res);

/* Frees what C holds; C may then be initialised again. */
void capture_release(struct capture *c);

#endif
