/* Judging one HTTP response against an http item's expectations: status,
 * latency, dotted JSON paths, body regex. Pure: no I/O. */
#ifndef COUNTERSIGN_HTTP_JUDGE_H
#define COUNTERSIGN_HTTP_JUDGE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "countersign/checklist.h"
#include "countersign/redact.h"

struct http_expect {
	int status_class;          /* 2 for "2xx"; 0 when CODES are listed */
	int *codes;
	size_t n_codes;
	struct checklist_json_expect *json;  /* copies */
	size_t n_json;
	char *body_regex;          /* NULL: none */
	regex_t re;
	int64_t max_latency_ms;    /* 0: none */
};

struct http_response {
	long status;
	int64_t latency_ms;
	const char *body;          /* what was kept of it, NUL-terminated */
	size_t body_len;
	uint64_t body_total;       /* the whole body's size */
	const char *location;      /* Location header or NULL */
	const struct redactor *secrets; /* masked in every message; may be NULL */
};

/* Copies what IT expects into EX. Returns false with a malloc'd *ERR when
 * the expect_body regex does not compile. Release with http_expect_clear. */
bool http_expect_init(struct http_expect *ex, const struct checklist_item *it, char **err);
void http_expect_clear(struct http_expect *ex);
/* Whether the body must be kept to judge (expect_json or expect_body). */
bool http_expect_needs_body(const struct http_expect *ex);

/* Judges R: returns "pass", "fail" or "error" (a body that expectations
 * cannot be applied to: not JSON, too large) with a malloc'd one-line
 * *MESSAGE; each unmet expectation is also added to FAILURES (a JSON
 * array; may be NULL). R's secrets are masked in both, also where a value
 * or an excerpt of the body is cut short. */
const char *http_judge(const struct http_expect *ex, const struct http_response *r,
	char **message, cJSON *failures);

/* Whether STATUS meets a class (2 for 2xx) or one of CODES. */
bool http_status_ok(long status, int status_class, const int *codes, size_t n_codes);
/* "2xx", "200", "200 or 204", "200, 201 or 204" (malloc'd). */
char *http_status_text(int status_class, const int *codes, size_t n_codes);

/* The node at dotted PATH ("data.items.0.state"; a leading "$." is allowed)
 * under ROOT, or NULL. Numeric segments index arrays. *FOUND_PREFIX (may be
 * NULL) gets the number of segments that resolved. */
const cJSON *http_json_lookup(const cJSON *root, const char *path, size_t *found_prefix);
/* Checks one expectation; returns true when met, else false with a
 * malloc'd message like `$.status is "degraded", expected "healthy"`, in
 * which the values shown have SECRETS (may be NULL) masked. */
bool http_json_check(const cJSON *root, const struct checklist_json_expect *x, const struct redactor *secrets,
	char **message);

#endif
