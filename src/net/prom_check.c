/* prometheus items: SAMPLES instant queries INTERVAL apart (start to
 * start). As in Argo Rollouts' analysis, the check fails as soon as the
 * failed samples exceed max_failures and passes only once every sample was
 * taken; an error (Prometheus unreachable, a bad query) ends it at once,
 * and a check stopped early is never a pass. */
#include "net/net_curl.h"
#include "net/net_internal.h"
#include "net/net_util.h"
#include "net/prom_parse.h"

#include "countersign/clock.h"
#include "countersign/duration.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct prom_job {
	char *request_url;         /* endpoint with ?query=... */
	char *shown_endpoint;      /* for evidence: no user info, secrets redacted */
	char *query;
	enum checklist_prom_compare cmp;
	double lo, hi;
	int samples, max_failures, taken, failures;
	enum checklist_prom_no_data no_data;
	enum checklist_prom_reduce reduce;
	int64_t timeout_ms, interval_ms;
	int64_t sample_at;         /* monotonic us the current sample started */
	char *threshold;           /* "below 0.01" */
	struct redactor *secrets;
	cJSON *evidence;
};

static void prom_free(void *data)
{
	struct prom_job *p = data;
	if (!p)
		return;
	free(p->request_url);
	free(p->shown_endpoint);
	free(p->query);
	free(p->threshold);
	redactor_destroy(p->secrets);
	cJSON_Delete(p->evidence);
	free(p);
}

static struct xfer *prom_start(struct job *j)
{
	struct prom_job *p = j->data;
	char *accept = "Accept: application/json";
	struct xfer_spec sp = {
		.method = "GET", .url = p->request_url, .headers = &accept, .n_headers = 1,
		.timeout_ms = p->timeout_ms, .keep = NET_BODY_MATCH_BYTES,
	};
	char *err = NULL;
	struct xfer *x = xfer_new(&sp, &err);
	if (!x) {
		j->result.verdict = "error";
		j->result.message = err;
		j->result.evidence = cJSON_PrintUnformatted(p->evidence);
		j->finished = true;
		return NULL;
	}
	p->sample_at = clock_mono_us();
	return x;
}

static void prom_finish(struct job *j, const char *verdict, char *message)
{
	struct prom_job *p = j->data;
	j->result.verdict = verdict;
	j->result.message = redactor_text(p->secrets, message);
	free(message);
	j->result.evidence = cJSON_PrintUnformatted(p->evidence);
	j->result.attempts = p->taken;
	j->result.failures = p->failures;
	j->finished = true;
}

/* " (sample 2/5)" or " (sample 2/5; 2 failed, 1 allowed)". */
static char *where(const struct prom_job *p)
{
	if (p->max_failures > 0)
		return xasprintf(" (sample %d/%d; %d failed, %d allowed)", p->taken, p->samples,
			p->failures, p->max_failures);
	return xasprintf(" (sample %d/%d)", p->taken, p->samples);
}

/* Records sample S in EV and returns its verdict and message. */
static const char *judge_sample(struct job *j, const struct prom_sample *s, cJSON *ev, char **msg)
{
	struct prom_job *p = j->data;
	char v[32];
	net_format_number(s->value, v, sizeof(v));
	if (s->outcome == PROM_VALUE) {
		cJSON_AddNumberToObject(ev, "value", s->value);
		j->result.has_value = true;
		j->result.last_value = s->value;
		bool ok = prom_passes(p->cmp, p->lo, p->hi, s->value);
		*msg = xasprintf("%s is %s%s", v, ok ? "" : "not ", p->threshold);
		return ok ? "pass" : "fail";
	}
	cJSON_AddNullToObject(ev, "value");
	*msg = xasprintf("no data: %s", s->message);
	return s->outcome == PROM_NO_DATA ? "no_data" : "error";
}

/* Adds what the answer in X says to EV; returns the sample's verdict
 * ("pass", "fail", "no_data", "error", "timeout") and a malloc'd *MSG. */
static const char *record_sample(struct job *j, struct xfer *x, const struct xfer_outcome *o,
	cJSON *ev, char **msg)
{
	struct prom_job *p = j->data;
	if (o->verdict) {
		*msg = xstrdup(o->error);
		return o->verdict;
	}
	struct prom_sample s;
	prom_parse(x->body.data ? x->body.data : "", x->body.len, o->status, p->reduce, &s);
	char when[40];
	clock_format_iso(s.eval_time > 0 ? (int64_t)(s.eval_time * 1e6) : x->started_us, 3, when, sizeof(when));
	cJSON_AddStringToObject(ev, "time", when);
	const char *verdict = "error";
	if (s.outcome == PROM_ERROR)
		*msg = xstrdup(s.message);
	else
		verdict = judge_sample(j, &s, ev, msg);
	if (s.value_text)
		cJSON_AddStringToObject(ev, "value_text", s.value_text);
	if (s.result_type)
		cJSON_AddStringToObject(ev, "result_type", s.result_type);
	cJSON_AddNumberToObject(ev, "series", s.n_series);
	if (s.series && s.n_series > 1) {
		cJSON_AddItemToObject(ev, "series_values", s.series);
		s.series = NULL;
	}
	prom_sample_clear(&s);
	return verdict;
}

/* What sample VERDICT (message MSG, taken over) means for the check: the
 * end of it, or the next sample after the interval. */
static void after_sample(struct job *j, const char *verdict, char *msg)
{
	struct prom_job *p = j->data;
	bool no_data = strcmp(verdict, "no_data") == 0;
	char *w = NULL, *m = NULL;
	if (strcmp(verdict, "error") == 0 || strcmp(verdict, "timeout") == 0) {
		prom_finish(j, verdict, xasprintf("sample %d/%d: %s", p->taken, p->samples, msg));
	} else if (no_data && p->no_data == NO_DATA_INCONCLUSIVE) {
		w = where(p);
		j->result.needs_attestation = true;
		prom_finish(j, "no_data", xasprintf("%s%s; an engineer must attest this item", msg, w));
	} else {
		if (strcmp(verdict, "fail") == 0 || (no_data && p->no_data == NO_DATA_FAIL))
			p->failures++;
		if (p->failures > p->max_failures) {
			w = where(p);
			prom_finish(j, no_data ? "no_data" : "fail", xasprintf("%s%s", msg, w));
		} else if (p->taken >= p->samples) {
			if (p->samples == 1)
				m = xasprintf("%s%s", msg, no_data ? " (counted as a pass: no_data is \"pass\")" : "");
			else if (p->failures)
				m = xasprintf("%d/%d samples, %d failed (%d allowed); last: %s", p->taken, p->samples,
					p->failures, p->max_failures, msg);
			else
				m = xasprintf("%d/%d samples passed; last: %s", p->taken, p->samples, msg);
			prom_finish(j, "pass", m);
		} else {
			char wait[32], failed[64] = "";
			duration_format(p->interval_ms, wait, sizeof(wait));
			if (p->failures)
				snprintf(failed, sizeof(failed), "; %d failed, %d allowed", p->failures, p->max_failures);
			char *shown = redactor_text(p->secrets, msg);
			net_progress(j, "%d/%d samples, last: %s%s; next in %s", p->taken, p->samples, shown, failed, wait);
			free(shown);
			int64_t next = p->sample_at + p->interval_ms * 1000, now = clock_mono_us();
			j->next_at = next > now ? next : now;
		}
	}
	free(w);
	free(msg);
}

static void prom_done(struct job *j, struct xfer *x, CURLcode code)
{
	struct prom_job *p = j->data;
	struct xfer_outcome o;
	xfer_outcome(x, code, &o);
	p->taken++;
	cJSON *ev = xfer_evidence(x, &o, "GET", p->secrets);
	cJSON_ReplaceItemInObject(ev, "url", cJSON_CreateString(p->shown_endpoint));
	cJSON_AddNumberToObject(ev, "sample", p->taken);
	char *q = redactor_text(p->secrets, p->query);
	cJSON_AddStringToObject(ev, "query", q);
	free(q);
	cJSON_AddStringToObject(ev, "threshold", p->threshold);
	char *msg = NULL;
	const char *verdict = record_sample(j, x, &o, ev, &msg);
	cJSON_AddStringToObject(ev, "verdict", verdict);
	char *shown = redactor_text(p->secrets, msg);
	cJSON_AddStringToObject(ev, "message", shown);
	free(shown);
	cJSON_AddItemToArray(p->evidence, ev);
	xfer_outcome_clear(&o);
	after_sample(j, verdict, msg);
}

static void prom_cancelled(struct job *j, struct xfer *in_flight)
{
	struct prom_job *p = j->data;
	if (in_flight) {
		cJSON *ev = cJSON_CreateObject();
		char when[40];
		clock_format_iso(in_flight->started_us, 3, when, sizeof(when));
		cJSON_AddNumberToObject(ev, "sample", p->taken + 1);
		cJSON_AddStringToObject(ev, "started", when);
		cJSON_AddStringToObject(ev, "url", p->shown_endpoint);
		char *q = redactor_text(p->secrets, p->query);
		cJSON_AddStringToObject(ev, "query", q);
		free(q);
		cJSON_AddStringToObject(ev, "threshold", p->threshold);
		cJSON_AddStringToObject(ev, "verdict", "cancelled");
		cJSON_AddItemToArray(p->evidence, ev);
	}
	prom_finish(j, "cancelled", xasprintf("cancelled after %d of %d samples; a check stopped "
		"early is never a pass", p->taken, p->samples));
}

const struct job_ops prom_job_ops = { prom_start, prom_done, prom_cancelled, prom_free };

/* The query endpoint for URL: URL itself when it already names
 * /api/v1/query, else URL's path + "/api/v1/query". Malloc'd, or NULL with
 * *ERR. */
static char *endpoint_of(const char *url, char **err)
{
	const struct net_curl *c = net_curl();
	CURLU *u = c->url();
	char *path = NULL, *out = NULL, *s = NULL;
	CURLUcode rc = u ? c->url_set(u, CURLUPART_URL, url, 0) : CURLUE_OUT_OF_MEMORY;
	if (rc == CURLUE_OK)
		rc = c->url_get(u, CURLUPART_PATH, &path, 0);
	if (rc == CURLUE_OK) {
		size_t len = strlen(path);
		while (len > 0 && path[len - 1] == '/')
			len--;
		const char *api = "/api/v1/query";
		char *np = len >= strlen(api) && strncmp(path + len - strlen(api), api, strlen(api)) == 0 ?
			xstrndup(path, len) : xasprintf("%.*s%s", (int)len, path, api);
		rc = c->url_set(u, CURLUPART_PATH, np, 0);
		free(np);
	}
	if (rc == CURLUE_OK)
		rc = c->url_get(u, CURLUPART_URL, &s, 0);
	if (rc == CURLUE_OK) {
		out = xstrdup(s);
	} else {
		char *shown = net_redact_url(url);
		*err = xasprintf("url %s is not a valid URL: %s", shown, c->url_strerror(rc));
		free(shown);
	}
	c->free(s);
	c->free(path);
	c->url_cleanup(u);
	return out;
}

int net_start_prometheus(struct net *n, const struct checklist_item *it, const char *url_expanded,
	const char *query_expanded, char **err)
{
	if (!it || it->kind != ITEM_PROMETHEUS) {
		*err = xstrdup("not a prometheus item");
		return -1;
	}
	const char *url = url_expanded ? url_expanded : it->url;
	const char *query = query_expanded ? query_expanded : it->query;
	if (!url || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)) {
		char *shown = net_redact_url(url ? url : "");
		*err = xasprintf("url %s must start with http:// or https://", shown);
		free(shown);
		return -1;
	}
	if (!query || !query[0]) {
		*err = xstrdup("the item has no query");
		return -1;
	}
	char *endpoint = endpoint_of(url, err);
	if (!endpoint)
		return -1;
	char *escaped = net_curl()->easy_escape(NULL, query, 0);
	struct prom_job *p = xcalloc(1, sizeof(*p));
	p->request_url = xasprintf("%s%squery=%s", endpoint, strchr(endpoint, '?') ? "&" : "?", escaped);
	net_curl()->free(escaped);
	p->secrets = net_secrets_copy(n);
	char *bare = net_url_without_userinfo(endpoint);
	p->shown_endpoint = redactor_text(p->secrets, bare);
	free(bare);
	free(endpoint);
	p->query = xstrdup(query);
	p->cmp = it->compare;
	p->lo = it->lo;
	p->hi = it->hi;
	p->samples = it->samples > 0 ? it->samples : 1;
	p->max_failures = it->max_failures > 0 ? it->max_failures : 0;
	p->no_data = it->no_data;
	p->reduce = it->reduce;
	p->timeout_ms = it->timeout_ms > 0 ? it->timeout_ms : NET_PROM_TIMEOUT_MS;
	p->interval_ms = it->interval_ms > 0 ? it->interval_ms : 0;
	p->threshold = prom_threshold_text(p->cmp, p->lo, p->hi);
	p->evidence = cJSON_CreateArray();
	struct job *j = net_add_job(n, JOB_PROM, &prom_job_ops, p);
	j->result.last_value = NAN;
	return j->id;
}
