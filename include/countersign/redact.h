/* The one secret redactor: a run's secret values replaced by "***" wherever
 * they are shown or kept (a command's output, a script or URL on screen, a
 * network check's message and evidence). Matching is leftmost-longest: at
 * the first place a secret starts the longest one there is masked, so that
 * with "hunter2" and "hunter2-prod-key" no "-prod-key" is left behind; an
 * occurrence that starts inside a mask and runs past it extends that mask,
 * so that overlapping secrets leave no part of either. Occurrences that only
 * touch give a mask each. Pure: no I/O. */
#ifndef COUNTERSIGN_REDACT_H
#define COUNTERSIGN_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include "countersign/util.h"

/* The text that replaces each masked span. */
#define REDACT_MASK "***"

struct redactor;

/* Returns a redactor for the non-empty strings of SECRETS (NULL-terminated,
 * may be NULL: a redactor that changes nothing), which it copies; the
 * caller frees it with redactor_destroy. */
struct redactor *redactor_create(const char *const *secrets);

/* Returns a copy of R (NULL gives NULL); the caller destroys it. */
struct redactor *redactor_copy(const struct redactor *r);

/* Frees R, wiping its copies of the secrets; NULL is a no-op. */
void redactor_destroy(struct redactor *r);

/* True when R (which may be NULL) has no secret: redaction changes nothing. */
bool redactor_is_empty(const struct redactor *r);

/* Appends DATA[0..LEN) (which may hold NULs) to OUT with the secrets
 * masked, and returns how many bytes of DATA it used: LEN when FINAL;
 * otherwise bytes at the end that may begin a secret are not used (fewer
 * than the longest secret). R may be NULL. */
size_t redactor_append(const struct redactor *r, struct strbuf *out, const char *data, size_t len,
	bool final);

/* Appends to OUT the redacted text of DATA[FROM..FROM+N) (DATA is LEN
 * bytes, which may hold NULs): for an excerpt of a longer text. A secret
 * that crosses an edge of the window is masked whole, so that no part of
 * it shows where the excerpt is cut. R may be NULL. */
void redactor_excerpt(const struct redactor *r, struct strbuf *out, const char *data, size_t len,
	size_t from, size_t n);

/* Returns TEXT with the secrets masked, malloc'd (the caller frees it);
 * TEXT NULL gives NULL; R may be NULL. */
char *redactor_text(const struct redactor *r, const char *text);

/* The same with the secrets given as a vector (NULL-terminated, may be
 * NULL), for a caller that redacts once. */
char *redact_string(const char *text, const char *const *secrets);

/* Redaction of a stream that arrives in pieces: a secret split between two
 * pieces is masked as in one piece, and the output is the same whatever the
 * pieces. Bytes that may begin a secret are held back (fewer than the
 * longest secret) until the next piece decides them. */
struct redactor_stream {
	const struct redactor *r; /* borrowed: outlives the stream */
	struct strbuf carry;      /* bytes held back, unredacted */
	struct strbuf work;       /* the carry and the new piece together */
	size_t masked;            /* bytes at the start of the carry already inside a mask */
};

/* Prepares ST to redact with R (borrowed; may be NULL). */
void redactor_stream_init(struct redactor_stream *st, const struct redactor *r);

/* Appends to OUT the redacted form of what DATA[0..LEN) decides, with the
 * bytes held back from earlier pieces; FINAL (the end of the stream)
 * settles everything held back. */
void redactor_stream_feed(struct redactor_stream *st, struct strbuf *out, const char *data, size_t len,
	bool final);

/* Frees what ST holds, wiping the unredacted bytes; ST may be initialised
 * again. NULL is a no-op. */
void redactor_stream_release(struct redactor_stream *st);

#endif
