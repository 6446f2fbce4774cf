/* http items: one request per attempt; on error, timeout or an unmet
 * expectation, another attempt after the interval until the retries are
 * used up. The last attempt decides; every attempt is evidence. */
#include "net/http_judge.h"
#include "net/net_curl.h"
#include "net/net_internal.h"
#include "net/net_util.h"

#include "countersign/clock.h"
#include "countersign/duration.h"

#include <stdlib.h>
#include <string.h>

struct http_job {
	char *method, *url, *body;
	size_t body_len;
	char **headers;            /* "Name: value" lines */
	size_t n_headers;
	int64_t timeout_ms, interval_ms;
	int max_attempts, attempts;
	bool insecure;
	struct http_expect ex;
	struct redactor *secrets;
	cJSON *evidence;
	const char *verdict;       /* of the latest attempt */
	char *message;
};

static void http_free(void *data)
{
	struct http_job *h = data;
	if (!h)
		return;
	free(h->method);
	free(h->url);
	free(h->body);
	for (size_t i = 0; i < h->n_headers; i++)
		free(h->headers[i]);
	free(h->headers);
	http_expect_clear(&h->ex);
	redactor_destroy(h->secrets);
	cJSON_Delete(h->evidence);
	free(h->message);
	free(h);
}

static struct xfer *http_start(struct job *j)
{
	struct http_job *h = j->data;
	struct xfer_spec sp = {
		.method = h->method, .url = h->url,
		.headers = h->headers, .n_headers = h->n_headers,
		.body = h->body, .body_len = h->body_len,
		.timeout_ms = h->timeout_ms, .insecure = h->insecure,
		.keep = http_expect_needs_body(&h->ex) ? NET_BODY_MATCH_BYTES : NET_BODY_HEAD_BYTES,
	};
	char *err = NULL;
	struct xfer *x = xfer_new(&sp, &err);
	if (!x) {
		j->result.verdict = "error";
		j->result.message = err;
		j->finished = true;
		return NULL;
	}
	h->attempts++;
	return x;
}

/* Moves the evidence and the latest attempt's outcome into the result. */
static void http_finish(struct job *j, const char *suffix)
{
	struct http_job *h = j->data;
	char *msg = suffix ? xasprintf("%s%s", h->message, suffix) : xstrdup(h->message);
	j->result.message = redactor_text(h->secrets, msg);
	free(msg);
	j->result.evidence = cJSON_PrintUnformatted(h->evidence);
	j->result.attempts = h->attempts;
	j->result.insecure = h->insecure;
	j->finished = true;
}

static void http_done(struct job *j, struct xfer *x, CURLcode code)
{
	struct http_job *h = j->data;
	struct xfer_outcome o;
	xfer_outcome(x, code, &o);
	cJSON *ev = xfer_evidence(x, &o, h->method, h->secrets);
	cJSON_AddNumberToObject(ev, "attempt", h->attempts);
	free(h->message);
	h->message = NULL;
	if (o.verdict) {
		h->verdict = o.verdict;
		h->message = xstrdup(o.error);
	} else {
		xfer_evidence_body(x, &o, ev, h->secrets);
		struct http_response r = {
			.status = o.status, .latency_ms = o.latency_ms,
			.body = x->body.data ? x->body.data : "", .body_len = x->body.len,
			.body_total = x->total, .location = xfer_header(x, "Location"), .secrets = h->secrets,
		};
		cJSON *failures = cJSON_CreateArray();
		h->verdict = http_judge(&h->ex, &r, &h->message, failures);
		if (cJSON_GetArraySize(failures) > 0)
			cJSON_AddItemToObject(ev, "failures", failures);
		else
			cJSON_Delete(failures);
	}
	cJSON_AddStringToObject(ev, "verdict", h->verdict);
	char *shown = redactor_text(h->secrets, h->message);
	cJSON_AddStringToObject(ev, "message", shown);
	cJSON_AddItemToArray(h->evidence, ev);
	xfer_outcome_clear(&o);
	j->result.verdict = h->verdict;
	bool last = h->attempts >= h->max_attempts;
	if (strcmp(h->verdict, "pass") == 0 || last) {
		char suffix[64] = "";
		if (h->max_attempts > 1)
			snprintf(suffix, sizeof(suffix), " (attempt %d of %d)", h->attempts, h->max_attempts);
		http_finish(j, suffix);
	} else {
		char wait[32];
		duration_format(h->interval_ms, wait, sizeof(wait));
		net_progress(j, "attempt %d/%d: %s; retrying in %s", h->attempts, h->max_attempts, shown, wait);
		j->next_at = clock_mono_us() + h->interval_ms * 1000;
	}
	free(shown);
}

static void http_cancelled(struct job *j, struct xfer *in_flight)
{
	struct http_job *h = j->data;
	free(h->message);
	if (in_flight) {
		cJSON *ev = cJSON_CreateObject();
		char when[40];
		clock_format_iso(in_flight->started_us, 3, when, sizeof(when));
		cJSON_AddStringToObject(ev, "started", when);
		cJSON_AddStringToObject(ev, "method", h->method);
		char *url = net_url_without_userinfo(h->url), *shown = redactor_text(h->secrets, url);
		cJSON_AddStringToObject(ev, "url", shown);
		free(shown);
		free(url);
		cJSON_AddNumberToObject(ev, "attempt", h->attempts);
		cJSON_AddStringToObject(ev, "verdict", "cancelled");
		cJSON_AddItemToArray(h->evidence, ev);
		h->message = xasprintf("cancelled during attempt %d of %d", h->attempts, h->max_attempts);
	} else {
		h->message = xasprintf("cancelled after %d attempt%s", h->attempts, h->attempts == 1 ? "" : "s");
	}
	http_finish(j, NULL);
	j->result.verdict = "cancelled";
}

const struct job_ops http_job_ops = { http_start, http_done, http_cancelled, http_free };

static bool has_crlf(const char *s)
{
	return s && strpbrk(s, "\r\n");
}

/* "Name: value" lines from KV; false when a name or value would break the
 * request (a line break, a colon in the name). */
static bool header_lines(struct http_job *h, const struct checklist_kv_list *kv, char **err)
{
	h->headers = xcalloc(kv->count + 1, sizeof(char *));
	for (size_t i = 0; i < kv->count; i++) {
		const char *k = kv->items[i].key, *v = kv->items[i].value ? kv->items[i].value : "";
		if (!k[0] || strchr(k, ':') || has_crlf(k) || has_crlf(v)) {
			*err = xasprintf("header \"%s\" cannot be sent: names need no colon, and neither "
				"name nor value may contain a line break", k);
			return false;
		}
		/* "Name;" is how libcurl sends a header with an empty value. */
		h->headers[h->n_headers++] = v[0] ? xasprintf("%s: %s", k, v) : xasprintf("%s;", k);
	}
	return true;
}

static bool kv_has(const struct checklist_kv_list *kv, const char *name)
{
	for (size_t i = 0; i < kv->count; i++)
		if (strcasecmp(kv->items[i].key, name) == 0)
			return true;
	return false;
}

static bool http_url_ok(const char *url, char **err)
{
	const struct net_curl *c = net_curl();
	if (!url || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)) {
		char *shown = net_redact_url(url ? url : "");
		*err = xasprintf("url %s must start with http:// or https://", shown);
		free(shown);
		return false;
	}
	CURLU *u = c->url();
	CURLUcode rc = u ? c->url_set(u, CURLUPART_URL, url, 0) : CURLUE_OUT_OF_MEMORY;
	c->url_cleanup(u);
	if (rc != CURLUE_OK) {
		char *shown = net_redact_url(url);
		*err = xasprintf("url %s is not a valid URL: %s", shown, c->url_strerror(rc));
		free(shown);
		return false;
	}
	return true;
}

int net_start_http(struct net *n, const struct checklist_item *it, const char *url_expanded,
	const struct checklist_kv_list *headers_expanded, const char *body_expanded, char **err)
{
	if (!it || it->kind != ITEM_HTTP) {
		*err = xstrdup("not an http item");
		return -1;
	}
	const char *url = url_expanded ? url_expanded : it->url;
	if (!http_url_ok(url, err))
		return -1;
	struct http_job *h = xcalloc(1, sizeof(*h));
	const struct checklist_kv_list *kv = headers_expanded ? headers_expanded : &it->headers;
	if (!header_lines(h, kv, err) || !http_expect_init(&h->ex, it, err)) {
		http_free(h);
		return -1;
	}
	const char *body = body_expanded ? body_expanded : it->body;
	if (body) {
		h->body = xstrdup(body);
		h->body_len = strlen(body);
		if (it->body_is_json && !kv_has(kv, "Content-Type"))
			h->headers[h->n_headers++] = xstrdup("Content-Type: application/json");
	}
	h->method = xstrdup(it->method ? it->method : "GET");
	h->url = xstrdup(url);
	h->timeout_ms = it->timeout_ms > 0 ? it->timeout_ms : NET_HTTP_TIMEOUT_MS;
	h->interval_ms = it->interval_ms > 0 ? it->interval_ms : 0;
	h->max_attempts = 1 + (it->retries > 0 ? it->retries : 0);
	h->insecure = it->insecure;
	h->secrets = net_secrets_copy(n);
	h->evidence = cJSON_CreateArray();
	return net_add_job(n, JOB_HTTP, &http_job_ops, h)->id;
}
