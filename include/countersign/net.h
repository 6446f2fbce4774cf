/* Network checks (http and prometheus items) and webhook notifications over
 * one libcurl multi handle. Driven by the caller's poll() loop like the
 * runner: net_pollfds / net_next_timeout_ms / net_dispatch; nothing here
 * blocks (except net_wait_all, for headless use), so any number of checks
 * and deliveries run at once while the interface and command checks go on.
 * Variable expansion is the caller's job: these functions take expanded
 * strings. See docs/network-checks.md for verdicts, messages and evidence. */
#ifndef COUNTERSIGN_NET_H
#define COUNTERSIGN_NET_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "countersign/checklist.h"

/* Evidence keeps this much of each response body (plus its size and the
 * SHA-256 of all of it). */
#define NET_BODY_HEAD_BYTES (64u * 1024u)
/* expect_json and expect_body examine at most this much of a body; a larger
 * body with such expectations is an error. */
#define NET_BODY_MATCH_BYTES (4u * 1024u * 1024u)
/* Per-request timeouts when the item gives none. */
#define NET_HTTP_TIMEOUT_MS 10000
#define NET_PROM_TIMEOUT_MS 30000
/* Webhook deliveries: attempts in all, the pause before a retry (doubling
 * each time), and the timeout of one attempt. */
#define NET_NOTIFY_ATTEMPTS 3
#define NET_NOTIFY_RETRY_MS 2000
#define NET_NOTIFY_TIMEOUT_MS 10000

struct net;

/* The outcome of an http or prometheus check. */
struct net_result {
	const char *verdict;   /* "pass", "fail", "error", "no_data", "timeout" or
	                          "cancelled" (static) */
	char *message;         /* one line for people, e.g. "status 503, expected 2xx" */
	char *evidence;        /* JSON array: one object per attempt (http) or sample
	                          (prometheus), see docs/network-checks.md */
	int attempts;          /* requests made (http) or samples taken (prometheus) */
	int failures;          /* prometheus: failed samples (no_data counted when it fails) */
	bool has_value;        /* prometheus: a sample gave a number */
	double last_value;     /* prometheus: the last such number */
	bool needs_attestation; /* prometheus no_data "inconclusive": an engineer decides */
	bool insecure;         /* TLS verification was off (the item asked for it) */
	int64_t started_us, ended_us; /* wall clock, UTC microseconds */
};

/* A finished webhook delivery. */
struct net_delivery {
	bool ok;               /* a 2xx answer arrived */
	const char *event;     /* the notify event name */
	const char *url;       /* redacted: scheme, host and port; path and query as "***" */
	int attempts;
	long status;           /* last HTTP status, 0 when none arrived */
	const char *error;     /* why it failed (NULL when ok) */
};

/* Progress of a running check, one line ("attempt 2/4: status 503, retrying
 * in 5s", "3/5 samples, last 0.004 (below 0.01)"); TEXT is only valid
 * during the call. */
typedef void (*net_progress_fn)(int job, const char *text, void *user);
/* Called once when a check ends; RESULT is only valid during the call (move
 * what you keep out of it and set the pointer to NULL). */
typedef void (*net_done_fn)(int job, struct net_result *result, void *user);
/* Called once when a delivery ends, delivered or not. */
typedef void (*net_notified_fn)(int id, const struct net_delivery *delivery, void *user);

/* Callbacks run inside net_dispatch (never inside a start or cancel call);
 * they may call net_start_*, net_notify and net_cancel but not
 * net_dispatch, net_wait_all or net_destroy. Loads libcurl on the first
 * call in the process. Returns NULL when libcurl cannot be loaded
 * (net_libcurl_error says why) or libcurl or libsodium cannot be
 * initialised. */
struct net *net_create(net_progress_fn on_progress, net_done_fn on_done, void *user);
/* libcurl is loaded on first use (net_create, net_redact_url), not when the
 * program starts, so that commands without network pay nothing for it.
 * Returns NULL when libcurl is loaded (loading it now if it was not tried
 * yet), else why it cannot be: "libcurl (libcurl.so.4): " and dlerror's
 * text, static, for messages such as "network checks need %s". */
const char *net_libcurl_error(void);
/* Loads libcurl from PATH instead of libcurl.so.4 (the test program's
 * COUNTERSIGN_LIBCURL, to see what happens when it is missing). Only
 * before anything has loaded it; PATH is copied. */
void net_set_libcurl(const char *path);
/* Stops whatever is in flight without calling back; NULL is a no-op. */
void net_destroy(struct net *n);
/* Sets the delivery callback (same USER as net_create). */
void net_on_notified(struct net *n, net_notified_fn on_notified);

/* Values replaced by "***" in messages and evidence (URLs, body heads) of
 * checks started after the call; copied; NULL-terminated, may be NULL. */
void net_set_secrets(struct net *n, const char *const *secrets);
/* Delivery retry policy for notifications queued after the call (tests use
 * short pauses): ATTEMPTS in all (at least 1), first pause RETRY_MS,
 * TIMEOUT_MS per attempt. */
void net_set_notify_policy(struct net *n, int attempts, int retry_ms, int timeout_ms);

/* Starts the http item IT with its URL, headers (NULL: the item's own) and
 * body (NULL: the item's own) already expanded. Returns the job id (> 0),
 * or -1 with a malloc'd *ERR when it cannot be attempted (not an http item,
 * a URL that is not http:// or https://). Connection problems are verdicts,
 * reported through on_done from a later net_dispatch. IT and the strings
 * need to live only for the call. */
int net_start_http(struct net *n, const struct checklist_item *it, const char *url_expanded,
	const struct checklist_kv_list *headers_expanded, const char *body_expanded, char **err);

/* Starts the prometheus item IT against the server at URL_EXPANDED (its base
 * URL, or the full .../api/v1/query URL) with QUERY_EXPANDED. Same contract
 * as net_start_http. */
int net_start_prometheus(struct net *n, const struct checklist_item *it, const char *url_expanded,
	const char *query_expanded, char **err);

/* Stops check JOB: it ends as "cancelled" (never pass) from the next
 * net_dispatch. No effect on an unknown or finished job or on deliveries. */
void net_cancel(struct net *n, int job);

/* Queues a webhook delivery of event EV for TARGET to URL_EXPANDED (the
 * target's url with variables expanded), when TARGET lists EV. FORMAT
 * "slack" posts {"text": TEXT}; "json" posts {"source": "countersign",
 * "event", "text", "time", "details": DETAILS_JSON (an object, may be NULL)}.
 * Returns the delivery id (> 0), 0 when TARGET does not list EV (nothing
 * sent), or -1 with a malloc'd *ERR (bad URL, DETAILS_JSON not an object).
 * The outcome arrives through the net_on_notified callback. */
int net_notify(struct net *n, const struct checklist_notify *target, const char *url_expanded,
	enum checklist_notify_event ev, const char *text, const char *details_json, char **err);

/* Appends TEXT to the file PATH (created, mode 0644, when missing) for a
 * notify entry with "file": one write with O_APPEND, so that two processes
 * appending at once never interleave, then fsync, so that the copy is on
 * disk when the call returns. Returns true, or false with a malloc'd *ERR
 * (caller frees). Blocks for the write only; needs no struct net. */
bool net_notify_file(const char *path, const char *text, char **err);

/* Checks and deliveries not yet reported. */
size_t net_active(const struct net *n);

/* Poll integration, exactly like the runner's: fills up to MAX pollfds
 * (returns how many are needed), says how long the caller may sleep (ms, -1
 * for no deadline), and handles readiness in FDS[0..N) and any deadline
 * that passed, calling back. */
size_t net_pollfds(struct net *n, struct pollfd *fds, size_t max);
int net_next_timeout_ms(const struct net *n);
void net_dispatch(struct net *n, const struct pollfd *fds, size_t n_fds);

/* Headless use: runs the poll loop until everything is reported or
 * LIMIT_MS passed (-1: no limit). Returns true when nothing is left. */
bool net_wait_all(struct net *n, int limit_ms);

/* URL reduced to its scheme, host and port, with any path or query shown as
 * "***" (https://hooks.slack.com followed by a slash and "***"): webhook
 * URLs carry secrets in their path, query or user info. "***" when URL
 * cannot be parsed. Malloc'd. */
char *net_redact_url(const char *url);

#endif
