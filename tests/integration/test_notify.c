/* Notifications against testserver.py's webhook receiver, which records
 * every delivery: one message per listed event and none for the others,
 * Slack and generic JSON bodies, a receiver answering 500 (retried, then
 * reported as a failed delivery), 404 (not retried), a refused connection,
 * deliveries that never hold up a check, and webhook URLs that are never
 * shown whole. Run through with_servers.sh. */
#include "harness.h"

#include <curl/curl.h>

static const char *base, *closed_port;

static size_t collect(char *data, size_t size, size_t nmemb, void *user)
{
	strbuf_add(user, data, size * nmemb);
	return size * nmemb;
}

/* The deliveries the receiver recorded on PATH (a parsed JSON array the
 * caller deletes). The test may block here: it is not the program. */
static cJSON *deliveries_to(const char *path)
{
	struct strbuf sb = {0};
	char *url = xasprintf("%s/deliveries", base);
	CURL *e = curl_easy_init();
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &sb);
	CHECK(curl_easy_perform(e) == CURLE_OK);
	curl_easy_cleanup(e);
	free(url);
	cJSON *all = cJSON_Parse(sb.data ? sb.data : ""), *mine = cJSON_CreateArray();
	strbuf_release(&sb);
	const cJSON *d;
	cJSON_ArrayForEach(d, all)
		if (strcmp(ev_str(d, "path"), path) == 0)
			cJSON_AddItemToArray(mine, cJSON_Duplicate(d, 1));
	cJSON_Delete(all);
	return mine;
}

static int notify(struct harness *h, const struct checklist_notify *t, const char *path, enum checklist_notify_event ev,
	const char *text, const char *details)
{
	char *url = strstr(path, "://") ? xstrdup(path) : xasprintf("%s%s", base, path), *err = NULL;
	int id = net_notify(h->net, t, url, ev, text, details, &err);
	if (id < 0)
		fprintf(stderr, "net_notify: %s\n", err);
	free(err);
	free(url);
	return id;
}

static void test_listed_events_only(struct harness *h)
{
	struct checklist_notify t = { .format = NOTIFY_SLACK,
		.events = 1u << NOTIFY_CHECK_FAILED | 1u << NOTIFY_GATE_PASSED };
	const char *path = "/hook/ok/T0KEN-slack";
	int a = notify(h, &t, path, NOTIFY_CHECK_FAILED, "deploy/health failed: status 503", NULL);
	CHECK(notify(h, &t, path, NOTIFY_RUN_STARTED, "run started", NULL) == 0);
	CHECK(notify(h, &t, path, NOTIFY_SIGNOFF, "signed", NULL) == 0);
	int b = notify(h, &t, path, NOTIFY_GATE_PASSED, "gate of \"deploy\" passed", NULL);
	CHECK(a > 0 && b > 0 && a != b);
	CHECK(net_wait_all(h->net, WAIT_LIMIT_MS));
	struct outcome *oa = outcome_of(h, a), *ob = outcome_of(h, b);
	CHECK(oa->delivered && oa->delivery_ok && ob->delivered && ob->delivery_ok);
	CHECK(oa->delivery_attempts == 1);
	CHECK(oa->delivery_status == 200);
	CHECK(oa->delivery_error == NULL);
	CHECK_STR(oa->delivery_event, "check_failed");
	CHECK_STR(ob->delivery_event, "gate_passed");
	char *shown = xasprintf("%s/***", base);
	CHECK_STR(oa->delivery_url, shown);
	free(shown);

	cJSON *got = deliveries_to(path);
	CHECK(cJSON_GetArraySize(got) == 2);
	const cJSON *d;
	int k = 0;
	cJSON_ArrayForEach(d, got) {
		CHECK_STR(ev_str(d, "method"), "POST");
		CHECK_STR(ev_str(d, "content_type"), "application/json");
		cJSON *body = cJSON_Parse(ev_str(d, "body"));
		CHECK(cJSON_GetArraySize(body) == 1);
		const char *text = ev_str(body, "text");
		CHECK(text && (strcmp(text, "deploy/health failed: status 503") == 0 ||
			strcmp(text, "gate of \"deploy\" passed") == 0));
		k += text && strstr(text, "gate") ? 2 : 1;
		cJSON_Delete(body);
	}
	CHECK(k == 3);
	cJSON_Delete(got);
}

static void test_json_format(struct harness *h)
{
	struct checklist_notify t = { .format = NOTIFY_JSON, .events = 1u << NOTIFY_RUN_COMPLETED };
	const char *path = "/hook/ok/json-events";
	int id = notify(h, &t, path, NOTIFY_RUN_COMPLETED, "run 42 completed",
		"{\"run\": \"42\", \"checklist\": \"noa-server-deploy\"}");
	CHECK(id > 0);
	CHECK(harness_wait(h, id)->delivery_ok);
	cJSON *got = deliveries_to(path);
	CHECK(cJSON_GetArraySize(got) == 1);
	cJSON *body = cJSON_Parse(ev_str(cJSON_GetArrayItem(got, 0), "body"));
	CHECK_STR(ev_str(body, "source"), "countersign");
	CHECK_STR(ev_str(body, "event"), "run_completed");
	CHECK_STR(ev_str(body, "text"), "run 42 completed");
	CHECK(ev_str(body, "time") && strlen(ev_str(body, "time")) == 24);
	CHECK_STR(ev_str(cJSON_GetObjectItemCaseSensitive(body, "details"), "run"), "42");
	cJSON_Delete(body);
	cJSON_Delete(got);
}

static void test_failed_deliveries(struct harness *h)
{
	net_set_notify_policy(h->net, 3, 50, 2000);
	struct checklist_notify t = { .format = NOTIFY_SLACK, .events = 1u << NOTIFY_OVERRIDE };

	int id = notify(h, &t, "/hook/fail/SECRET-500", NOTIFY_OVERRIDE, "override", NULL);
	struct outcome *o = harness_wait(h, id);
	CHECK(!o->delivery_ok);
	CHECK(o->delivery_attempts == 3);
	CHECK(o->delivery_status == 500);
	CHECK_STR(o->delivery_error, "status 500 from the receiver (3 attempts)");
	CHECK(!strstr(o->delivery_url, "SECRET"));
	cJSON *got = deliveries_to("/hook/fail/SECRET-500");
	CHECK(cJSON_GetArraySize(got) == 3);
	cJSON_Delete(got);

	/* A 404 will not get better: one attempt. */
	o = harness_wait(h, notify(h, &t, "/hook/missing/SECRET-404", NOTIFY_OVERRIDE, "override", NULL));
	CHECK(!o->delivery_ok);
	CHECK(o->delivery_attempts == 1);
	CHECK_STR(o->delivery_error, "status 404 from the receiver (1 attempt)");

	char *url = xasprintf("http://127.0.0.1:%s/services/SECRET-refused", closed_port);
	char *want = xasprintf("connection refused: 127.0.0.1:%s (3 attempts)", closed_port);
	o = harness_wait(h, notify(h, &t, url, NOTIFY_OVERRIDE, "override", NULL));
	CHECK(!o->delivery_ok);
	CHECK(o->delivery_status == 0);
	CHECK_STR(o->delivery_error, want);
	char *shown = xasprintf("http://127.0.0.1:%s/***", closed_port);
	CHECK_STR(o->delivery_url, shown);
	free(shown);
	free(want);
	free(url);
	net_set_notify_policy(h->net, NET_NOTIFY_ATTEMPTS, NET_NOTIFY_RETRY_MS, NET_NOTIFY_TIMEOUT_MS);
}

/* A delivery to a slow receiver does not hold up a check. */
static void test_never_blocks(struct harness *h)
{
	struct checklist_notify t = { .format = NOTIFY_SLACK, .events = 1u << NOTIFY_CHECK_PASSED };
	int d = notify(h, &t, "/hook/slow/x?ms=1500", NOTIFY_CHECK_PASSED, "passed", NULL);
	struct checklist *cl = load_item("{\"id\": \"h\", \"title\": \"h\", \"kind\": \"http\", \"url\": \"http://x/\"}");
	char *url = xasprintf("%s/health", base), *err = NULL;
	int c = net_start_http(h->net, first_item(cl), url, NULL, NULL, &err);
	CHECK_STR(harness_wait(h, c)->verdict, "pass");
	CHECK(!outcome_of(h, d)->delivered);
	CHECK(harness_wait(h, d)->delivery_ok);
	free(url);
	checklist_destroy(cl);
}

static void test_refusals(struct harness *h)
{
	struct checklist_notify t = { .format = NOTIFY_JSON, .events = 1u << NOTIFY_NOTE };
	char *err = NULL;
	CHECK(net_notify(h->net, &t, "ftp://hooks.example/SECRET", NOTIFY_NOTE, "x", NULL, &err) == -1);
	CHECK_STR(err, "notification url ftp://hooks.example/*** must start with http:// or https://");
	free(err);
	err = NULL;
	char *url = xasprintf("%s/hook/ok/x", base);
	CHECK(net_notify(h->net, &t, url, NOTIFY_NOTE, "x", "[1, 2]", &err) == -1);
	CHECK_STR(err, "notification details must be a JSON object");
	free(err);
	free(url);
	CHECK(net_active(h->net) == 0);
}

int main(void)
{
	base = env_or_die("TEST_HTTP_URL");
	closed_port = env_or_die("TEST_CLOSED_PORT");
	struct harness h;
	harness_init(&h);
	test_listed_events_only(&h);
	test_json_format(&h);
	test_failed_deliveries(&h);
	test_never_blocks(&h);
	test_refusals(&h);
	harness_clear(&h);
	return check_report();
}
