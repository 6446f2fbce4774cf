/* Inside the network module: the jobs (http check, prometheus check,
 * webhook delivery) that share one libcurl multi handle, and the requests
 * they make. */
#ifndef COUNTERSIGN_NET_INTERNAL_H
#define COUNTERSIGN_NET_INTERNAL_H

#include "countersign/net.h"
#include "countersign/redact.h"
#include "countersign/sha256.h"
#include "countersign/util.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <sodium.h>

/* One HTTP request and what came back of it. */
struct xfer {
	CURL *easy;
	struct curl_slist *headers;
	char *post;               /* request body (libcurl does not copy it) */
	struct strbuf body;       /* the first KEEP bytes of the response body */
	size_t keep;
	uint64_t total;           /* response body bytes */
	struct sha256 *sha;       /* of the response body */
	char errbuf[CURL_ERROR_SIZE];
	int64_t started_us;       /* wall clock */
	int64_t timeout_ms;
	bool insecure;
};

struct xfer_spec {
	const char *method;       /* NULL: GET */
	const char *url;
	char *const *headers;     /* "Name: value" lines */
	size_t n_headers;
	const char *body;         /* NULL: none */
	size_t body_len;
	int64_t timeout_ms;
	bool insecure;
	size_t keep;              /* response body bytes to keep */
};

/* What a finished request gave. Strings are owned by the outcome. */
struct xfer_outcome {
	CURLcode code;
	const char *verdict;      /* NULL when a response arrived, else "error" or "timeout" */
	char *error;              /* why no response arrived (NULL when one did) */
	long status;
	int64_t latency_ms;
	char *url;                /* effective URL, user info removed */
	char *ip;
	long port;
	char sha256[65];          /* of the whole response body */
};

/* Creates the request (not yet added to the multi handle). Returns NULL
 * with a malloc'd *ERR when libcurl refuses it. */
struct xfer *xfer_new(const struct xfer_spec *spec, char **err);
void xfer_free(struct xfer *x);
/* Fills OUT for a request that ended with CODE; release with
 * xfer_outcome_clear. */
void xfer_outcome(struct xfer *x, CURLcode code, struct xfer_outcome *out);
void xfer_outcome_clear(struct xfer_outcome *out);
/* An evidence object with the fields every request records: url, ip, port,
 * method, started, status, latency_ms, error, insecure, with SECRETS
 * (may be NULL) masked. */
cJSON *xfer_evidence(const struct xfer *x, const struct xfer_outcome *o, const char *method,
	const struct redactor *secrets);
/* Adds the response's headers that matter, the body head, its size and
 * SHA-256 to EV. */
void xfer_evidence_body(const struct xfer *x, const struct xfer_outcome *o, cJSON *ev,
	const struct redactor *secrets);
/* Value of response header NAME (borrowed, valid until xfer_free) or NULL. */
const char *xfer_header(struct xfer *x, const char *name);

enum job_kind { JOB_HTTP, JOB_PROM, JOB_NOTIFY };

struct job;

/* What each kind does. START builds the next request (NULL after finishing
 * the job with an error); DONE takes a finished request and either finishes
 * the job or sets next_at; CANCELLED fills the result of a stopped job,
 * given the request that was in flight (or NULL); FREE releases the kind's
 * data. */
struct job_ops {
	struct xfer *(*start)(struct job *j);
	void (*done)(struct job *j, struct xfer *x, CURLcode code);
	void (*cancelled)(struct job *j, struct xfer *in_flight);
	void (*free)(void *data);
};

struct job {
	int id;
	enum job_kind kind;
	struct net *net;
	const struct job_ops *ops;
	void *data;
	struct xfer *xfer;        /* request in flight, or NULL */
	int64_t next_at;          /* monotonic us at which to start a request; 0: none */
	bool cancel;              /* net_cancel asked */
	bool finished;            /* RESULT or DELIVERY ready to report */
	bool reported;
	struct net_result result;
	struct net_delivery delivery;
	char *delivery_error, *delivery_url, *delivery_event;
};

/* Adds a job whose first request starts at the next dispatch. */
struct job *net_add_job(struct net *n, enum job_kind kind, const struct job_ops *ops, void *data);
/* Calls the progress callback with a formatted line. */
void net_progress(struct job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A copy of N's redactor (NULL when no secrets were set), for a job that
 * must keep its own; the job destroys it. */
struct redactor *net_secrets_copy(const struct net *n);
void net_notify_policy(const struct net *n, int *attempts, int *retry_ms, int *timeout_ms);

/* The per-kind starters and ops. */
extern const struct job_ops http_job_ops, prom_job_ops, notify_job_ops;

#endif
