/* One HTTP request on a libcurl easy handle: options every request shares,
 * the bounded body capture, and what a finished request tells people. */
#include "net/net_curl.h"
#include "net/net_internal.h"
#include "net/net_util.h"

#include "config.h"
#include "countersign/clock.h"
#include "countersign/duration.h"
#include "countersign/utf8.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Response headers worth keeping as evidence. */
static const char *const kept_headers[] = {
	"Content-Type", "Content-Length", "Content-Encoding", "Location", "Retry-After",
	"WWW-Authenticate", "Server",
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct xfer *x = user;
	size_t len = size * nmemb;
	sha256_update(x->sha, data, len);
	x->total += len;
	if (x->body.len < x->keep) {
		size_t room = x->keep - x->body.len;
		strbuf_add(&x->body, data, len < room ? len : room);
	}
	return len;
}

static bool has_header(const struct xfer_spec *sp, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < sp->n_headers; i++)
		if (strncasecmp(sp->headers[i], name, nl) == 0 &&
			(sp->headers[i][nl] == ':' || sp->headers[i][nl] == ';'))
			return true;
	return false;
}

static void set_method(struct xfer *x, const struct xfer_spec *sp)
{
	const struct net_curl *c = net_curl();
	const char *m = sp->method ? sp->method : "GET";
	if (strcmp(m, "HEAD") == 0) {
		c->easy_setopt(x->easy, CURLOPT_NOBODY, 1L);
		return;
	}
	if (sp->body || strcmp(m, "POST") == 0) {
		x->post = sp->body ? xstrndup(sp->body, sp->body_len) : xstrdup("");
		c->easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE,
			(curl_off_t)(sp->body ? sp->body_len : 0));
		c->easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->post);
	}
	if (strcmp(m, "GET") != 0 && strcmp(m, "POST") != 0)
		c->easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, m);
	else if (strcmp(m, "GET") == 0 && sp->body)
		c->easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, "GET");
}

struct xfer *xfer_new(const struct xfer_spec *sp, char **err)
{
	const struct net_curl *c = net_curl();
	CURL *e = c->easy_init();
	if (!e) {
		*err = xstrdup("libcurl could not create a request");
		return NULL;
	}
	struct xfer *x = xcalloc(1, sizeof(*x));
	x->easy = e;
	x->keep = sp->keep;
	x->insecure = sp->insecure;
	x->timeout_ms = sp->timeout_ms;
	x->started_us = clock_wall_us();
	x->sha = sha256_create();
	CURLcode rc = c->easy_setopt(e, CURLOPT_URL, sp->url);
	if (rc == CURLE_OK)
		rc = c->easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (rc != CURLE_OK) {
		*err = xasprintf("cannot request this URL: %s", c->easy_strerror(rc));
		xfer_free(x);
		return NULL;
	}
	/* Redirects are not followed: a 3xx is the answer, and expect_status
	 * decides. Proxies come from http_proxy/https_proxy/no_proxy, which
	 * libcurl reads by default; nothing here turns that off. */
	c->easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	c->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	c->easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)sp->timeout_ms);
	c->easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	c->easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	c->easy_setopt(e, CURLOPT_WRITEDATA, x);
	c->easy_setopt(e, CURLOPT_USERAGENT, "countersign/" COUNTERSIGN_VERSION);
	c->easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	if (sp->insecure) {
		c->easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		c->easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	set_method(x, sp);
	for (size_t i = 0; i < sp->n_headers; i++)
		x->headers = c->slist_append(x->headers, sp->headers[i]);
	if (sp->body && !has_header(sp, "Expect"))
		x->headers = c->slist_append(x->headers, "Expect:");
	if (x->headers)
		c->easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	return x;
}

void xfer_free(struct xfer *x)
{
	if (!x)
		return;
	net_curl()->easy_cleanup(x->easy);
	net_curl()->slist_free_all(x->headers);
	sha256_destroy(x->sha);
	free(x->post);
	strbuf_release(&x->body);
	free(x);
}

/* "host:port" (or "host" without WITH_PORT) of the request, for messages
 * about connections. */
static char *target_of(CURL *e, bool with_port)
{
	const struct net_curl *c = net_curl();
	char *url = NULL;
	c->easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &url);
	CURLU *h = c->url();
	char *host = NULL, *port = NULL, *out = NULL;
	if (h && url && c->url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
		c->url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
		c->url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
		out = with_port ? xasprintf("%s:%s", host, port) : xstrdup(host);
	c->free(host);
	c->free(port);
	c->url_cleanup(h);
	return out ? out : xstrdup("the server");
}

static bool is_tls_error(CURLcode c)
{
	switch (c) {
	case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER: case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND: case CURLE_SSL_ENGINE_SETFAILED: case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE: case CURLE_SSL_ISSUER_ERROR: case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS: case CURLE_SSL_CLIENTCERT:
		return true;
	default:
		return false;
	}
}

/* Why a request ended without a response, in words. */
static char *error_text(struct xfer *x, CURLcode c)
{
	const char *detail = x->errbuf[0] ? x->errbuf : net_curl()->easy_strerror(c);
	long os_errno = 0, status = 0;
	net_curl()->easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
	char *target = target_of(x->easy, c != CURLE_COULDNT_RESOLVE_HOST), *msg;
	char dur[32];
	switch (c) {
	case CURLE_COULDNT_CONNECT:
		if (os_errno == ECONNREFUSED)
			msg = xasprintf("connection refused: %s", target);
		else
			msg = xasprintf("cannot connect to %s: %s", target,
				os_errno ? strerror((int)os_errno) : detail);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		msg = xasprintf("cannot resolve host %s", target);
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
		msg = xasprintf("cannot resolve the proxy: %s", detail);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		duration_format(x->timeout_ms, dur, sizeof(dur));
		net_curl()->easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status > 0)
			msg = xasprintf("the response from %s did not complete within %s (status %ld, %llu bytes received)",
				target, dur, status, (unsigned long long)x->total);
		else
			msg = xasprintf("no response from %s within %s", target, dur);
		break;
	case CURLE_GOT_NOTHING:
		msg = xasprintf("%s closed the connection without answering", target);
		break;
	default:
		if (is_tls_error(c))
			msg = xasprintf("TLS: %s", detail);
		else
			msg = xasprintf("%s: %s", target, detail);
	}
	free(target);
	return msg;
}

void xfer_outcome(struct xfer *x, CURLcode code, struct xfer_outcome *o)
{
	const struct net_curl *c = net_curl();
	memset(o, 0, sizeof(*o));
	o->code = code;
	c->easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &o->status);
	curl_off_t total_us = 0;
	c->easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &total_us);
	o->latency_ms = (int64_t)(total_us / 1000);
	char *url = NULL, *ip = NULL;
	c->easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url);
	c->easy_getinfo(x->easy, CURLINFO_PRIMARY_IP, &ip);
	c->easy_getinfo(x->easy, CURLINFO_PRIMARY_PORT, &o->port);
	o->url = net_url_without_userinfo(url ? url : "");
	o->ip = ip && ip[0] ? xstrdup(ip) : NULL;
	sha256_peek_hex(x->sha, o->sha256);
	if (code != CURLE_OK) {
		o->verdict = code == CURLE_OPERATION_TIMEDOUT ? "timeout" : "error";
		o->error = error_text(x, code);
	}
}

void xfer_outcome_clear(struct xfer_outcome *o)
{
	free(o->error);
	free(o->url);
	free(o->ip);
	memset(o, 0, sizeof(*o));
}

const char *xfer_header(struct xfer *x, const char *name)
{
	struct curl_header *h = NULL;
	if (net_curl()->easy_header(x->easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h)
		return NULL;
	return h->value;
}

static void add_redacted(cJSON *obj, const char *key, const char *value, const struct redactor *secrets)
{
	char *r = redactor_text(secrets, value);
	cJSON_AddStringToObject(obj, key, r);
	free(r);
}

cJSON *xfer_evidence(const struct xfer *x, const struct xfer_outcome *o, const char *method,
	const struct redactor *secrets)
{
	cJSON *ev = cJSON_CreateObject();
	char when[40];
	clock_format_iso(x->started_us, 3, when, sizeof(when));
	cJSON_AddStringToObject(ev, "started", when);
	cJSON_AddStringToObject(ev, "method", method ? method : "GET");
	add_redacted(ev, "url", o->url, secrets);
	if (o->ip) {
		cJSON_AddStringToObject(ev, "ip", o->ip);
		cJSON_AddNumberToObject(ev, "port", (double)o->port);
	}
	if (o->status > 0)
		cJSON_AddNumberToObject(ev, "status", (double)o->status);
	cJSON_AddNumberToObject(ev, "latency_ms", (double)o->latency_ms);
	if (o->error)
		add_redacted(ev, "error", o->error, secrets);
	if (x->insecure)
		cJSON_AddTrueToObject(ev, "insecure");
	return ev;
}

void xfer_evidence_body(const struct xfer *x, const struct xfer_outcome *o, cJSON *ev,
	const struct redactor *secrets)
{
	cJSON *hdrs = cJSON_CreateObject();
	for (size_t i = 0; i < sizeof(kept_headers) / sizeof(kept_headers[0]); i++) {
		const char *v = xfer_header((struct xfer *)x, kept_headers[i]);
		if (v)
			add_redacted(hdrs, kept_headers[i], v, secrets);
	}
	cJSON_AddItemToObject(ev, "headers", hdrs);
	size_t head = x->body.len < NET_BODY_HEAD_BYTES ? x->body.len : NET_BODY_HEAD_BYTES;
	bool truncated = x->total > head;
	/* Redacted before it is cut to valid UTF-8; where the head ends inside
	 * what may be a secret, those bytes are left out. */
	struct strbuf red = {0};
	redactor_append(secrets, &red, x->body.data ? x->body.data : "", head, !truncated);
	char *text = utf8_repair(red.data ? red.data : "", red.len, truncated);
	cJSON_AddStringToObject(ev, "body_head", text);
	free(text);
	strbuf_release(&red);
	cJSON_AddNumberToObject(ev, "body_bytes", (double)x->total);
	cJSON_AddStringToObject(ev, "body_sha256", o->sha256);
	if (truncated)
		cJSON_AddTrueToObject(ev, "body_truncated");
}
