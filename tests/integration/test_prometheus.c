/* prometheus items against a real Prometheus scraping testserver.py's
 * /metrics (values in metrics.txt): below, above, between; several series
 * with and without reduce; an empty result, NaN and Inf under each no_data
 * policy; scalar, range-vector and invalid queries; samples with
 * max_failures, a value that changes between samples, cancellation.
 * With the argument "goes-away", Prometheus is killed mid-check instead,
 * which must give an error, never a pass. Run through with_servers.sh
 * --prometheus. */
#include "harness.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <unistd.h>

static const char *prom_url;

/* A prometheus item with threshold/options EXTRA; the query is passed expanded. */
static char *item_json(const char *extra)
{
	return xasprintf("{\"id\": \"p\", \"title\": \"p\", \"kind\": \"prometheus\", "
		"\"url\": \"http://placeholder/\", \"query\": \"q\", %s}", extra);
}

static int start(struct harness *h, const char *extra, const char *query)
{
	char *js = item_json(extra);
	struct checklist *cl = load_item(js);
	char *err = NULL;
	int job = net_start_prometheus(h->net, first_item(cl), prom_url, query, &err);
	if (job < 0)
		fprintf(stderr, "net_start_prometheus: %s\n", err);
	CHECK(job > 0);
	free(err);
	free(js);
	checklist_destroy(cl);
	return job;
}

struct one_sample_case {
	const char *extra, *query;
	const char *verdict, *message;  /* message: a substring */
	double value;                   /* NAN: no value expected */
};

static const struct one_sample_case cases[] = {
	{"\"below\": 0.01", "cs_error_ratio", "pass", "0.004 is below 0.01", 0.004},
	{"\"below\": 0.01", "cs_error_ratio_bad", "fail", "0.034 is not below 0.01 (sample 1/1)", 0.034},
	{"\"above\": 0.5", "cs_ready_ratio", "pass", "0.65 is above 0.5", 0.65},
	{"\"above\": 0.9", "cs_ready_ratio", "fail", "0.65 is not above 0.9 (sample 1/1)", 0.65},
	{"\"between\": [0.5, 0.8]", "cs_ready_ratio", "pass", "0.65 is between 0.5 and 0.8", 0.65},
	{"\"between\": [0.7, 0.8]", "cs_ready_ratio", "fail", "0.65 is not between 0.7 and 0.8", 0.65},
	/* Spaces and '+' in the query survive the URL encoding. */
	{"\"below\": 0.01", "cs_error_ratio + 0.001", "pass", "0.005 is below 0.01", 0.005},
	{"\"between\": [0.5, 0.8]", "scalar(cs_ready_ratio)", "pass", "0.65 is between 0.5 and 0.8", 0.65},
	/* Several series. */
	{"\"below\": 10", "cs_queue_depth", "error",
		"sample 1/1: the query returned 3 series (cs_queue_depth{", NAN},
	{"\"below\": 10, \"reduce\": \"max\"", "cs_queue_depth", "pass", "7 is below 10", 7},
	{"\"below\": 10, \"reduce\": \"min\"", "cs_queue_depth", "pass", "3 is below 10", 3},
	{"\"below\": 10, \"reduce\": \"sum\"", "cs_queue_depth", "fail", "15 is not below 10", 15},
	{"\"below\": 10, \"reduce\": \"avg\"", "cs_queue_depth", "pass", "5 is below 10", 5},
	{"\"below\": 10", "cs_queue_depth{shard=\"b\"}", "pass", "7 is below 10", 7},
	/* No data: empty, NaN, Inf, under each policy. */
	{"\"below\": 1", "cs_not_exported", "no_data", "no data: the query returned no series (sample 1/1)", NAN},
	{"\"below\": 1, \"no_data\": \"pass\"", "cs_not_exported", "pass", "counted as a pass", NAN},
	{"\"below\": 1", "cs_nan_value", "no_data", "is NaN (sample 1/1)", NAN},
	{"\"below\": 1", "cs_inf_value", "no_data", "is +Inf (sample 1/1)", NAN},
	{"\"below\": 1", "scalar(cs_inf_value)", "no_data", "no data: the value is +Inf", NAN},
	{"\"below\": 1", "-1 * cs_inf_value", "no_data", "is -Inf", NAN},
	{"\"below\": 1, \"reduce\": \"max\"", "cs_nan_value or cs_error_ratio", "no_data", "is NaN", NAN},
	/* Answers that cannot be judged. */
	{"\"below\": 1", "cs_error_ratio[1m]", "error", "range vector (matrix)", NAN},
	{"\"below\": 1", "sum(cs_error_ratio", "error", "sample 1/1: Prometheus: bad_data: ", NAN},
};

static void test_one_sample_cases(struct harness *h)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);
	int jobs[sizeof(cases) / sizeof(cases[0])];
	/* All at once: they share the multi handle. */
	for (size_t i = 0; i < n; i++)
		jobs[i] = start(h, cases[i].extra, cases[i].query);
	for (size_t i = 0; i < n; i++) {
		struct outcome *o = harness_wait(h, jobs[i]);
		if (!o->verdict || strcmp(o->verdict, cases[i].verdict) != 0 || !o->message ||
			!strstr(o->message, cases[i].message))
			fprintf(stderr, "case %zu (%s, %s):\n", i, cases[i].query, cases[i].extra);
		CHECK_STR(o->verdict, cases[i].verdict);
		CHECK_HAS(o->message, cases[i].message);
		CHECK(o->attempts == 1);
		CHECK(o->has_value == !isnan(cases[i].value));
		if (!isnan(cases[i].value))
			CHECK(fabs(o->last_value - cases[i].value) < 1e-9);
		CHECK(!o->needs_attestation);
		const cJSON *s = ev_at(o, 0);
		CHECK(cJSON_GetArraySize(o->evidence) == 1);
		CHECK_STR(ev_str(s, "query"), cases[i].query);
		CHECK(ev_num(s, "sample") == 1);
		CHECK(ev_str(s, "threshold") != NULL);
		CHECK(ev_str(s, "time") != NULL);
		CHECK_HAS(ev_str(s, "url"), "/api/v1/query");
		CHECK(ev_str(s, "verdict") != NULL);
	}
	/* The sample evidence of one case in detail. */
	struct outcome *o = outcome_of(h, jobs[0]);
	const cJSON *s = ev_at(o, 0);
	CHECK_STR(ev_str(s, "value_text"), "0.004");
	CHECK(ev_num(s, "value") == 0.004);
	CHECK_STR(ev_str(s, "threshold"), "below 0.01");
	CHECK_STR(ev_str(s, "verdict"), "pass");
	CHECK_STR(ev_str(s, "result_type"), "vector");
	CHECK(ev_num(s, "status") == 200);
	/* reduce keeps every series as evidence. */
	o = outcome_of(h, jobs[9]);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ev_at(o, 0), "series_values")) == 3);
	CHECK(ev_num(ev_at(o, 0), "series") == 3);
	CHECK_HAS(outcome_of(h, jobs[8])->message, "set \"reduce\" (max, min, sum or avg)");
}

static void test_inconclusive(struct harness *h)
{
	struct outcome *o = harness_wait(h, start(h, "\"below\": 1, \"no_data\": \"inconclusive\"", "cs_not_exported"));
	CHECK_STR(o->verdict, "no_data");
	CHECK(o->needs_attestation);
	CHECK_HAS(o->message, "an engineer must attest this item");
}

static void test_samples(struct harness *h)
{
	/* Every sample taken, then pass. */
	struct outcome *o = harness_wait(h, start(h, "\"below\": 0.01, \"samples\": 3, \"interval\": \"200ms\"",
		"cs_error_ratio"));
	CHECK_STR(o->verdict, "pass");
	CHECK_STR(o->message, "3/3 samples passed; last: 0.004 is below 0.01");
	CHECK(o->attempts == 3);
	CHECK(cJSON_GetArraySize(o->evidence) == 3);
	CHECK(ev_num(ev_at(o, 2), "sample") == 3);
	CHECK(o->n_progress == 2);
	CHECK_HAS(o->progress.data, "1/3 samples, last: 0.004 is below 0.01; next in 200ms\n");
	CHECK_HAS(o->progress.data, "2/3 samples, last: 0.004 is below 0.01; next in 200ms\n");

	/* Fails as soon as failures exceed max_failures: at sample 2 of 4. */
	o = harness_wait(h, start(h, "\"below\": 0.01, \"samples\": 4, \"max_failures\": 1, \"interval\": \"100ms\"",
		"cs_error_ratio_bad"));
	CHECK_STR(o->verdict, "fail");
	CHECK_STR(o->message, "0.034 is not below 0.01 (sample 2/4; 2 failed, 1 allowed)");
	CHECK(o->attempts == 2);
	CHECK(o->failures == 2);
	CHECK(cJSON_GetArraySize(o->evidence) == 2);
	CHECK_HAS(o->progress.data, "1/4 samples, last: 0.034 is not below 0.01; 1 failed, 1 allowed; next in 100ms");

	/* No data counts as a failure by default. */
	o = harness_wait(h, start(h, "\"below\": 1, \"samples\": 3, \"max_failures\": 1, \"interval\": \"100ms\"",
		"cs_not_exported"));
	CHECK_STR(o->verdict, "no_data");
	CHECK(o->attempts == 2);
	CHECK_STR(ev_str(ev_at(o, 0), "verdict"), "no_data");
}

/* cs_flip is 0.5 for the first sample, then the test sets it to 0.05. */
static void flip_value(struct harness *h, int job, const char *text)
{
	if (job != *(int *)h->data || !strstr(text, "1/3 samples"))
		return;
	const char *path = env_or_die("TEST_METRICS_FILE");
	char *tmp = xasprintf("%s.new", path);
	FILE *in = fopen(path, "r"), *out = fopen(tmp, "w");
	CHECK(in && out);
	char line[512];
	while (in && out && fgets(line, sizeof(line), in))
		fputs(strncmp(line, "cs_flip ", 8) == 0 ? "cs_flip 0.05\n" : line, out);
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	CHECK(rename(tmp, path) == 0);
	free(tmp);
}

static void test_changing_value(struct harness *h)
{
	int job = 0;
	h->data = &job;
	h->on_progress = flip_value;
	/* 3 s between samples leaves Prometheus (scraping every second) time
	 * to see the new value. */
	job = start(h, "\"below\": 0.1, \"samples\": 3, \"max_failures\": 1, \"interval\": \"3s\"", "cs_flip");
	struct outcome *o = harness_wait(h, job);
	CHECK_STR(o->verdict, "pass");
	CHECK_STR(o->message, "3/3 samples, 1 failed (1 allowed); last: 0.05 is below 0.1");
	CHECK(o->failures == 1);
	CHECK_STR(ev_str(ev_at(o, 0), "verdict"), "fail");
	CHECK_STR(ev_str(ev_at(o, 1), "verdict"), "pass");
	CHECK_STR(ev_str(ev_at(o, 2), "verdict"), "pass");
	h->on_progress = NULL;
}

static void cancel_after_first(struct harness *h, int job, const char *text)
{
	net_cancel(h->net, job);
}

static void test_cancel(struct harness *h)
{
	h->on_progress = cancel_after_first;
	struct outcome *o = harness_wait(h, start(h, "\"below\": 0.01, \"samples\": 5, \"interval\": \"30s\"",
		"cs_error_ratio"));
	CHECK_STR(o->verdict, "cancelled");
	CHECK_STR(o->message, "cancelled after 1 of 5 samples; a check stopped early is never a pass");
	CHECK(cJSON_GetArraySize(o->evidence) == 1);
	h->on_progress = NULL;
}

static void test_urls(struct harness *h)
{
	/* The full endpoint and a trailing slash both work. */
	const char *forms[] = { "/", "/api/v1/query" };
	for (size_t i = 0; i < 2; i++) {
		char *url = xasprintf("%s%s", prom_url, forms[i]);
		char *js = item_json("\"below\": 0.01");
		struct checklist *cl = load_item(js);
		char *err = NULL;
		int job = net_start_prometheus(h->net, first_item(cl), url, "cs_error_ratio", &err);
		CHECK_STR(harness_wait(h, job)->verdict, "pass");
		free(url);
		free(js);
		checklist_destroy(cl);
	}
	/* Something that is not Prometheus. */
	char *js = item_json("\"below\": 0.01");
	struct checklist *cl = load_item(js);
	char *err = NULL;
	int job = net_start_prometheus(h->net, first_item(cl), env_or_die("TEST_HTTP_URL"), "up", &err);
	struct outcome *o = harness_wait(h, job);
	CHECK_STR(o->verdict, "error");
	CHECK_STR(o->message, "sample 1/1: status 404 from Prometheus (is this the Prometheus URL?)");
	free(js);
	checklist_destroy(cl);
}

static void kill_prometheus(struct harness *h, int job, const char *text)
{
	if (!strstr(text, "1/3 samples"))
		return;
	pid_t pid = (pid_t)atol(env_or_die("TEST_PROM_PID"));
	CHECK(pid > 1 && kill(pid, SIGKILL) == 0);
}

static void test_goes_away(struct harness *h)
{
	h->on_progress = kill_prometheus;
	struct outcome *o = harness_wait(h, start(h, "\"below\": 0.01, \"samples\": 3, \"interval\": \"1s\"",
		"cs_error_ratio"));
	CHECK_STR(o->verdict, "error");
	char *port = strrchr(prom_url, ':');
	char *want = xasprintf("sample 2/3: connection refused: 127.0.0.1%s", port ? port : "");
	CHECK_STR(o->message, want);
	free(want);
	CHECK(o->attempts == 2);
	CHECK_STR(ev_str(ev_at(o, 0), "verdict"), "pass");
	CHECK_STR(ev_str(ev_at(o, 1), "verdict"), "error");
	h->on_progress = NULL;
}

int main(int argc, char **argv)
{
	prom_url = env_or_die("TEST_PROM_URL");
	struct harness h;
	harness_init(&h);
	if (argc > 1 && strcmp(argv[1], "goes-away") == 0) {
		test_goes_away(&h);
	} else {
		test_one_sample_cases(&h);
		test_inconclusive(&h);
		test_samples(&h);
		test_urls(&h);
		test_cancel(&h);
		test_changing_value(&h);
	}
	harness_clear(&h);
	return check_report();
}
