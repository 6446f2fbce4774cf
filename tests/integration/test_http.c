/* http items against testserver.py: the verdict and message a person would
 * expect for a healthy answer, a wrong JSON value, a 503, a response slower
 * than the timeout, a refused connection, a name that does not resolve,
 * invalid JSON, a 10 MiB body, a redirect; retries, methods, headers and
 * bodies, latency, body regex,
 * cancellation, checks that do not wait for each other, proxies from the
 * environment, TLS with and without insecure, and secrets kept out of the
 * evidence. Run through with_servers.sh --tls. */
#include "harness.h"

#include "countersign/sha256.h"

#include <unistd.h>

static const char *base, *tls_base, *closed_port;

/* Runs the one-item checklist ITEM_JSON against URL (base + PATH unless
 * PATH is a whole URL) and returns its outcome. */
static struct outcome *run(struct harness *h, const char *item_json, const char *path)
{
	struct checklist *cl = load_item(item_json);
	char *url = strstr(path, "://") ? xstrdup(path) : xasprintf("%s%s", base, path);
	char *err = NULL;
	int job = net_start_http(h->net, first_item(cl), url, NULL, NULL, &err);
	if (job < 0)
		fprintf(stderr, "net_start_http: %s\n", err);
	free(err);
	free(url);
	checklist_destroy(cl);
	return harness_wait(h, job);
}

#define ITEM(extra) "{\"id\": \"h\", \"title\": \"h\", \"kind\": \"http\", \"url\": \"http://placeholder/\"" extra "}"

static void test_healthy(struct harness *h)
{
	struct outcome *o = run(h, ITEM(", \"expect_status\": 200, "
		"\"expect_json\": {\"status\": \"healthy\", \"data.items.1.state\": \"Ready\", "
		"\"checks.db\": true, \"checks.latency_ms\": 12, \"checks.note\": null}"), "/health");
	CHECK_STR(o->verdict, "pass");
	CHECK_HAS(o->message, "status 200 in ");
	CHECK_HAS(o->message, "5 JSON values as expected");
	CHECK(o->attempts == 1);
	const cJSON *a = ev_at(o, 0);
	CHECK(cJSON_GetArraySize(o->evidence) == 1);
	CHECK(ev_num(a, "status") == 200);
	CHECK(ev_num(a, "latency_ms") >= 0);
	CHECK_HAS(ev_str(a, "url"), "/health");
	CHECK_STR(ev_str(a, "ip"), "127.0.0.1");
	CHECK_STR(ev_str(a, "method"), "GET");
	CHECK_STR(ev_str(a, "verdict"), "pass");
	CHECK(ev_str(a, "started") != NULL);
	CHECK_HAS(ev_str(a, "body_head"), "\"healthy\"");
	CHECK(ev_str(a, "body_sha256") && strlen(ev_str(a, "body_sha256")) == 64);
	CHECK(ev_num(a, "body_bytes") == (double)strlen(ev_str(a, "body_head")));
	CHECK_STR(ev_str(cJSON_GetObjectItemCaseSensitive(a, "headers"), "Content-Type"), "application/json");
	CHECK(!cJSON_GetObjectItemCaseSensitive(a, "insecure"));
}

static void test_wrong_json(struct harness *h)
{
	struct outcome *o = run(h, ITEM(", \"expect_json\": {\"status\": \"healthy\"}"), "/degraded");
	CHECK_STR(o->verdict, "fail");
	CHECK_STR(o->message, "$.status is \"degraded\", expected \"healthy\"");
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(ev_at(o, 0), "failures");
	CHECK(cJSON_GetArraySize(f) == 1);

	o = run(h, ITEM(", \"expect_json\": {\"data.items.5.state\": \"Ready\", \"version\": 1.2, "
		"\"checks.db\": \"yes\"}"), "/health");
	CHECK_STR(o->verdict, "fail");
	CHECK_HAS(o->message, "$.data.items.5.state is missing ($.data.items has 2 elements), expected \"Ready\"");
	CHECK_HAS(o->message, "$.version is \"1.2.3\" (a string), expected 1.2");
	CHECK_HAS(o->message, "$.checks.db is true (a boolean), expected \"yes\"");
}

static void test_unavailable(struct harness *h)
{
	struct outcome *o = run(h, ITEM(""), "/unavailable");
	CHECK_STR(o->verdict, "fail");
	CHECK_STR(o->message, "status 503, expected 2xx");
	CHECK(ev_num(ev_at(o, 0), "status") == 503);
	CHECK_STR(ev_str(cJSON_GetObjectItemCaseSensitive(ev_at(o, 0), "headers"), "Retry-After"), "30");

	o = run(h, ITEM(", \"expect_status\": [200, 204]"), "/unavailable");
	CHECK_STR(o->message, "status 503, expected 200 or 204");
	/* An error page is not judged as JSON. */
	o = run(h, ITEM(", \"expect_json\": {\"status\": \"healthy\"}"), "/unavailable");
	CHECK_STR(o->verdict, "fail");
	CHECK_STR(o->message, "status 503, expected 2xx");
}

static void test_slow(struct harness *h)
{
	struct outcome *o = run(h, ITEM(", \"timeout\": \"500ms\""), "/slow?ms=3000");
	CHECK_STR(o->verdict, "timeout");
	char *want = xasprintf("no response from %s within 500ms", strstr(base, "127.0.0.1:"));
	CHECK_STR(o->message, want);
	free(want);
	CHECK_STR(ev_str(ev_at(o, 0), "verdict"), "timeout");
	CHECK(!cJSON_GetObjectItemCaseSensitive(ev_at(o, 0), "status"));

	o = run(h, ITEM(", \"max_latency\": \"100ms\""), "/slow?ms=400");
	CHECK_STR(o->verdict, "fail");
	CHECK_HAS(o->message, "expected at most 100 ms");
	CHECK_HAS(o->message, "latency ");
}

static void test_refused(struct harness *h)
{
	char *url = xasprintf("http://127.0.0.1:%s/health", closed_port);
	char *want = xasprintf("connection refused: 127.0.0.1:%s", closed_port);
	struct outcome *o = run(h, ITEM(""), url);
	CHECK_STR(o->verdict, "error");
	CHECK_STR(o->message, want);
	CHECK_STR(ev_str(ev_at(o, 0), "error"), want);
	free(url);
	free(want);
}

/* A label longer than 63 characters is refused by the resolver itself, so
 * this name fails to resolve without a query leaving the machine. */
static void test_unresolvable(struct harness *h)
{
	char label[65];
	memset(label, 'a', 64);
	label[64] = '\0';
	char *url = xasprintf("http://%s.invalid/health", label);
	char *want = xasprintf("cannot resolve host %s.invalid", label);
	struct outcome *o = run(h, ITEM(", \"timeout\": \"5s\""), url);
	CHECK_STR(o->verdict, "error");
	CHECK_STR(o->message, want);
	free(url);
	free(want);
}

static void test_invalid_json(struct harness *h)
{
	struct outcome *o = run(h, ITEM(", \"expect_json\": {\"status\": \"healthy\"}"), "/invalid-json");
	CHECK_STR(o->verdict, "error");
	CHECK_STR(o->message, "the response is not valid JSON (near byte 22: us\": \"healthy\",, \"version\": 1})");
	/* Without expectations on the body, any body will do. */
	o = run(h, ITEM(""), "/invalid-json");
	CHECK_STR(o->verdict, "pass");
}

static void test_big_body(struct harness *h)
{
	struct outcome *o = run(h, ITEM(""), "/big");
	CHECK_STR(o->verdict, "pass");
	const cJSON *a = ev_at(o, 0);
	CHECK(ev_num(a, "body_bytes") == 10 * 1024 * 1024);
	CHECK(ev_str(a, "body_head") && strlen(ev_str(a, "body_head")) == NET_BODY_HEAD_BYTES);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "body_truncated")));
	/* The hash covers the whole body, not only the head. */
	struct sha256 *st = sha256_create();
	for (int i = 0; i < 10 * 1024 * 1024 / 16; i++)
		sha256_update(st, "0123456789abcdef", 16);
	char hex[SHA256_HEX];
	sha256_final_hex(st, hex);
	sha256_destroy(st);
	CHECK_STR(ev_str(a, "body_sha256"), hex);
	CHECK(strlen(o->message) < 200);

	o = run(h, ITEM(", \"expect_body\": \"0123\""), "/big");
	CHECK_STR(o->verdict, "error");
	CHECK_STR(o->message, "the response body is 10485760 bytes; expect_body reads at most 4 MiB");
}

static void test_redirect(struct harness *h)
{
	struct outcome *o = run(h, ITEM(""), "/redirect");
	CHECK_STR(o->verdict, "fail");
	CHECK_STR(o->message, "status 302, expected 2xx (redirect to /health, not followed)");
	CHECK_STR(ev_str(cJSON_GetObjectItemCaseSensitive(ev_at(o, 0), "headers"), "Location"), "/health");
	o = run(h, ITEM(", \"expect_status\": 302"), "/redirect");
	CHECK_STR(o->verdict, "pass");
}

static void test_retries(struct harness *h)
{
	struct outcome *o = run(h, ITEM(", \"retries\": 3, \"interval\": \"100ms\", "
		"\"expect_json\": {\"status\": \"healthy\"}"), "/flaky?key=retries&fail=2");
	CHECK_STR(o->verdict, "pass");
	CHECK_HAS(o->message, "(attempt 3 of 4)");
	CHECK(o->attempts == 3);
	CHECK(cJSON_GetArraySize(o->evidence) == 3);
	CHECK_STR(ev_str(ev_at(o, 0), "verdict"), "fail");
	CHECK_STR(ev_str(ev_at(o, 2), "verdict"), "pass");
	CHECK(ev_num(ev_at(o, 1), "attempt") == 2);
	CHECK(o->n_progress == 2);
	CHECK_HAS(o->progress.data, "attempt 1/4: status 503, expected 2xx; retrying in 100ms");

	o = run(h, ITEM(", \"retries\": 1, \"interval\": \"50ms\""), "/unavailable");
	CHECK_STR(o->verdict, "fail");
	CHECK_STR(o->message, "status 503, expected 2xx (attempt 2 of 2)");
	CHECK(cJSON_GetArraySize(o->evidence) == 2);
}

static void test_methods(struct harness *h)
{
	struct outcome *o = run(h, "{\"id\": \"h\", \"title\": \"h\", \"kind\": \"http\", \"url\": \"http://x/\", "
		"\"method\": \"POST\", \"headers\": {\"X-Token\": \"abc\"}, \"body\": {\"user\": \"smoke\"}, "
		"\"expect_json\": {\"method\": \"POST\", \"headers.x-token\": \"abc\", "
		"\"headers.content-type\": \"application/json\", \"body\": \"{\\\"user\\\":\\\"smoke\\\"}\"}}", "/echo");
	CHECK_STR(o->verdict, "pass");
	CHECK_STR(ev_str(ev_at(o, 0), "method"), "POST");

	o = run(h, "{\"id\": \"h\", \"title\": \"h\", \"kind\": \"http\", \"url\": \"http://x/\", "
		"\"method\": \"PUT\", \"body\": \"plain text\", "
		"\"expect_json\": {\"method\": \"PUT\", \"body\": \"plain text\"}}", "/echo");
	CHECK_STR(o->verdict, "pass");

	o = run(h, "{\"id\": \"h\", \"title\": \"h\", \"kind\": \"http\", \"url\": \"http://x/\", "
		"\"method\": \"DELETE\", \"expect_json\": {\"method\": \"DELETE\", \"body\": \"\"}}", "/echo");
	CHECK_STR(o->verdict, "pass");

	o = run(h, "{\"id\": \"h\", \"title\": \"h\", \"kind\": \"http\", \"url\": \"http://x/\", "
		"\"method\": \"HEAD\"}", "/health");
	CHECK_STR(o->verdict, "pass");
	CHECK(ev_num(ev_at(o, 0), "body_bytes") == 0);

	/* Headers given expanded by the caller replace the item's. */
	struct checklist *cl = load_item(ITEM(", \"headers\": {\"X-Token\": \"${TOKEN}\"}, "
		"\"expect_json\": {\"headers.x-token\": \"expanded\"}"));
	struct checklist_kv kv = { "X-Token", "expanded" };
	struct checklist_kv_list list = { &kv, 1 };
	char *url = xasprintf("%s/echo", base), *err = NULL;
	int job = net_start_http(h->net, first_item(cl), url, &list, NULL, &err);
	CHECK_STR(harness_wait(h, job)->verdict, "pass");
	free(url);
	checklist_destroy(cl);
}

static void test_body_regex(struct harness *h)
{
	struct outcome *o = run(h, ITEM(", \"expect_body\": \"\\\"version\\\": \\\"1\\\\.2\""), "/health");
	CHECK_STR(o->verdict, "pass");
	CHECK_HAS(o->message, "body matches");
	o = run(h, ITEM(", \"expect_body\": \"\\\"status\\\": \\\"ok\\\"\""), "/health");
	CHECK_STR(o->verdict, "fail");
	CHECK_STR(o->message, "the body does not match /\"status\": \"ok\"/");
}

static void test_cancel(struct harness *h)
{
	struct checklist *cl = load_item(ITEM(", \"retries\": 2"));
	char *url = xasprintf("%s/slow?ms=5000", base), *err = NULL;
	int job = net_start_http(h->net, first_item(cl), url, NULL, NULL, &err);
	CHECK(job > 0);
	harness_step(h, 200);
	harness_step(h, 200);
	CHECK(!outcome_of(h, job)->done);
	net_cancel(h->net, job);
	struct outcome *o = harness_wait(h, job);
	CHECK_STR(o->verdict, "cancelled");
	CHECK_STR(o->message, "cancelled during attempt 1 of 3");
	CHECK(cJSON_GetArraySize(o->evidence) == 1);
	CHECK_STR(ev_str(ev_at(o, 0), "verdict"), "cancelled");
	free(url);
	checklist_destroy(cl);
}

/* A slow check does not hold up a fast one started after it. */
static void test_independent(struct harness *h)
{
	struct checklist *cl = load_item(ITEM(""));
	char *slow = xasprintf("%s/slow?ms=2000", base), *fast = xasprintf("%s/health", base), *err = NULL;
	int a = net_start_http(h->net, first_item(cl), slow, NULL, NULL, &err);
	int b = net_start_http(h->net, first_item(cl), fast, NULL, NULL, &err);
	struct outcome *ob = harness_wait(h, b);
	CHECK_STR(ob->verdict, "pass");
	CHECK(!outcome_of(h, a)->done);
	CHECK(net_active(h->net) == 1);
	CHECK_STR(harness_wait(h, a)->verdict, "pass");
	CHECK(net_active(h->net) == 0);
	free(slow);
	free(fast);
	checklist_destroy(cl);
}

static void test_proxy(struct harness *h)
{
	/* http_proxy from the environment is used ... */
	char *proxy = xasprintf("%s", base);
	setenv("http_proxy", proxy, 1);
	struct outcome *o = run(h, ITEM(", \"expect_json\": {\"proxied\": true, "
		"\"target\": \"http://upstream.invalid/probe\"}"), "http://upstream.invalid/probe");
	CHECK_STR(o->verdict, "pass");
	/* ... and no_proxy too: the proxy below is closed, the check goes direct. */
	char *closed = xasprintf("http://127.0.0.1:%s", closed_port);
	setenv("http_proxy", closed, 1);
	setenv("no_proxy", "127.0.0.1", 1);
	o = run(h, ITEM(", \"expect_json\": {\"status\": \"healthy\"}"), "/health");
	CHECK_STR(o->verdict, "pass");
	unsetenv("no_proxy");
	o = run(h, ITEM(""), "/health");
	CHECK_STR(o->verdict, "error");
	unsetenv("http_proxy");
	free(proxy);
	free(closed);
}

static void test_tls(struct harness *h)
{
	if (!tls_base) {
		fprintf(stderr, "TLS tests skipped: TEST_HTTPS_URL is not set (openssl missing)\n");
		return;
	}
	char *url = xasprintf("%s/health", tls_base);
	struct outcome *o = run(h, ITEM(""), url);
	CHECK_STR(o->verdict, "error");
	CHECK_HAS(o->message, "TLS: ");
	CHECK(!o->insecure);
	o = run(h, ITEM(", \"insecure\": true, \"expect_json\": {\"status\": \"healthy\"}"), url);
	CHECK_STR(o->verdict, "pass");
	CHECK(o->insecure);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev_at(o, 0), "insecure")));
	free(url);
}

static void test_secrets(struct harness *h)
{
	const char *secrets[] = { "s3cr3t-token", NULL };
	net_set_secrets(h->net, secrets);
	struct outcome *o = run(h, ITEM(", \"expect_json\": {\"status\": \"nope\"}"), "/echo?token=s3cr3t-token");
	CHECK_STR(o->verdict, "fail");
	char *text = cJSON_PrintUnformatted(o->evidence);
	CHECK(!strstr(text, "s3cr3t-token"));
	CHECK_HAS(text, "token=***");
	CHECK(!strstr(o->message, "s3cr3t-token"));
	free(text);

	/* One secret the prefix of another: the longer is masked whole, in the
	 * URL, the echoed request header in the body, the failure and the
	 * message, and no part of either is left. */
	const char *both[] = { "hunter2", "hunter2-prod-key", NULL };
	net_set_secrets(h->net, both);
	struct checklist *cl = load_item(ITEM(", \"expect_json\": {\"headers.authorization\": \"nope\"}"));
	char *url = xasprintf("%s/echo?token=hunter2&key=hunter2-prod-key", base);
	struct checklist_kv kv = { "Authorization", "Bearer hunter2-prod-key" };
	struct checklist_kv_list headers = { &kv, 1 };
	char *err = NULL;
	int job = net_start_http(h->net, first_item(cl), url, &headers, NULL, &err);
	free(err);
	free(url);
	checklist_destroy(cl);
	o = harness_wait(h, job);
	CHECK_STR(o->verdict, "fail");
	text = cJSON_PrintUnformatted(o->evidence);
	CHECK_HAS(text, "Bearer ***");
	CHECK_HAS(text, "token=***&key=***");
	CHECK(!strstr(text, "hunter2") && !strstr(text, "prod-key"));
	CHECK_STR(o->message, "$.headers.authorization is \"Bearer ***\", expected \"nope\"");
	free(text);
	net_set_secrets(h->net, NULL);
}

static void test_refusals(struct harness *h)
{
	struct checklist *cl = load_item(ITEM(""));
	char *err = NULL;
	CHECK(net_start_http(h->net, first_item(cl), "ftp://127.0.0.1/x", NULL, NULL, &err) == -1);
	CHECK_HAS(err, "must start with http:// or https://");
	free(err);
	err = NULL;
	struct checklist_kv kv = { "X-Bad", "a\r\nInjected: yes" };
	struct checklist_kv_list list = { &kv, 1 };
	CHECK(net_start_http(h->net, first_item(cl), base, &list, NULL, &err) == -1);
	CHECK_HAS(err, "line break");
	free(err);
	err = NULL;
	CHECK(net_start_prometheus(h->net, first_item(cl), base, "up", &err) == -1);
	CHECK_STR(err, "not a prometheus item");
	free(err);
	CHECK(net_active(h->net) == 0);
	checklist_destroy(cl);
}

static int destroyed_done;

static void count_done(int job, struct net_result *r, void *user)
{
	destroyed_done++;
}

/* Destroying the module with checks and deliveries in flight stops them
 * without calling back (and, under ASan, without leaking). */
static void test_destroy_in_flight(void)
{
	struct net *n = net_create(NULL, count_done, NULL);
	struct checklist *cl = load_item(ITEM(", \"retries\": 3"));
	char *slow = xasprintf("%s/slow?ms=3000", base), *hook = xasprintf("%s/hook/slow/x?ms=3000", base);
	char *err = NULL;
	struct checklist_notify t = { .format = NOTIFY_SLACK, .events = 1u << NOTIFY_NOTE };
	CHECK(net_start_http(n, first_item(cl), slow, NULL, NULL, &err) > 0);
	CHECK(net_notify(n, &t, hook, NOTIFY_NOTE, "note", NULL, &err) > 0);
	CHECK(!net_wait_all(n, 300));
	CHECK(net_active(n) == 2);
	net_destroy(n);
	net_destroy(NULL);
	CHECK(destroyed_done == 0);
	free(slow);
	free(hook);
	checklist_destroy(cl);
}

int main(void)
{
	base = env_or_die("TEST_HTTP_URL");
	tls_base = getenv("TEST_HTTPS_URL");
	closed_port = env_or_die("TEST_CLOSED_PORT");
	struct harness h;
	harness_init(&h);
	test_healthy(&h);
	test_wrong_json(&h);
	test_unavailable(&h);
	test_slow(&h);
	test_refused(&h);
	test_unresolvable(&h);
	test_invalid_json(&h);
	test_big_body(&h);
	test_redirect(&h);
	test_retries(&h);
	test_methods(&h);
	test_body_regex(&h);
	test_cancel(&h);
	test_independent(&h);
	test_proxy(&h);
	test_tls(&h);
	test_secrets(&h);
	test_refusals(&h);
	test_destroy_in_flight();
	harness_clear(&h);
	return check_report();
}
