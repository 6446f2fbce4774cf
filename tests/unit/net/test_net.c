/* Unit tests for the pure parts of the network checks: dotted JSON paths
 * and their messages, status expectations, judging a response, Prometheus
 * answers (scalar, vector, reduce, NaN/Inf, empty, matrix and errors),
 * thresholds, URL redaction and secrets in the judge's messages. */
#include "../check.h"

#include "countersign/net.h"
#include "countersign/redact.h"
#include "countersign/util.h"
#include "net/http_judge.h"
#include "net/net_util.h"
#include "net/prom_parse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *doc = "{\"status\": \"degraded\", \"count\": 12, \"ok\": false, \"none\": null, "
	"\"version\": \"5\", \"data\": {\"items\": [{\"state\": \"Ready\"}, {\"state\": \"Pending\"}], "
	"\"0\": \"zero key\"}}";

static struct checklist_json_expect str_expect(const char *path, const char *s)
{
	return (struct checklist_json_expect){ .path = (char *)path, .type = SCALAR_STRING, .string = (char *)s };
}

static struct checklist_json_expect num_expect(const char *path, double v)
{
	return (struct checklist_json_expect){ .path = (char *)path, .type = SCALAR_NUMBER, .number = v };
}

/* Checks expectation X against doc: MESSAGE NULL means it must hold. */
static void expect_msg(struct checklist_json_expect x, const char *message)
{
	cJSON *root = cJSON_Parse(doc);
	char *got = NULL;
	bool ok = http_json_check(root, &x, NULL, &got);
	CHECK(ok == (message == NULL));
	if (message)
		CHECK_STR(got, message);
	free(got);
	cJSON_Delete(root);
}

static void test_json_paths(void)
{
	cJSON *root = cJSON_Parse(doc);
	size_t depth = 99;
	const cJSON *v = http_json_lookup(root, "data.items.1.state", &depth);
	CHECK(cJSON_IsString(v) && strcmp(v->valuestring, "Pending") == 0);
	CHECK(depth == 4);
	CHECK(http_json_lookup(root, "$.data.items.0.state", NULL) == http_json_lookup(root, "data.items.0.state", NULL));
	CHECK(http_json_lookup(root, "$", NULL) == root);
	/* A numeric segment on an object is a key. */
	v = http_json_lookup(root, "data.0", NULL);
	CHECK(cJSON_IsString(v) && strcmp(v->valuestring, "zero key") == 0);
	CHECK(http_json_lookup(root, "data.items.2.state", &depth) == NULL);
	CHECK(depth == 2);
	CHECK(http_json_lookup(root, "status.code", &depth) == NULL);
	CHECK(depth == 1);
	CHECK(http_json_lookup(root, "data.items.x", NULL) == NULL);
	CHECK(http_json_lookup(root, "data.items.-1", NULL) == NULL);
	CHECK(http_json_lookup(root, "data.items.99999999999", NULL) == NULL);
	cJSON_Delete(root);

	expect_msg(str_expect("status", "degraded"), NULL);
	expect_msg(str_expect("data.items.0.state", "Ready"), NULL);
	expect_msg(num_expect("count", 12.0), NULL);
	expect_msg((struct checklist_json_expect){ .path = "ok", .type = SCALAR_BOOL, .boolean = false }, NULL);
	expect_msg((struct checklist_json_expect){ .path = "none", .type = SCALAR_NULL }, NULL);
	expect_msg(str_expect("status", "healthy"), "$.status is \"degraded\", expected \"healthy\"");
	expect_msg(str_expect("$.status", "healthy"), "$.status is \"degraded\", expected \"healthy\"");
	expect_msg(str_expect("missing", "x"), "$.missing is missing, expected \"x\"");
	expect_msg(str_expect("data.items.5.state", "Ready"),
		"$.data.items.5.state is missing ($.data.items has 2 elements), expected \"Ready\"");
	expect_msg(str_expect("data.nothing.state", "Ready"),
		"$.data.nothing.state is missing ($.data has no \"nothing\"), expected \"Ready\"");
	expect_msg(str_expect("status.code", "x"), "$.status.code is missing ($.status is a string), expected \"x\"");
	expect_msg(num_expect("version", 5), "$.version is \"5\" (a string), expected 5");
	expect_msg(str_expect("count", "12"), "$.count is 12 (a number), expected \"12\"");
	expect_msg(num_expect("count", 13), "$.count is 12, expected 13");
	expect_msg(str_expect("data", "x"), "$.data is an object, expected \"x\"");
	expect_msg(str_expect("data.items", "x"), "$.data.items is an array of 2, expected \"x\"");
	expect_msg((struct checklist_json_expect){ .path = "none", .type = SCALAR_BOOL, .boolean = true },
		"$.none is null (null), expected true");
	expect_msg((struct checklist_json_expect){ .path = "count", .type = SCALAR_NULL }, "$.count is 12 (a number), expected null");
}

static void test_status(void)
{
	int codes[] = { 200, 201, 204 };
	CHECK(http_status_ok(200, 2, NULL, 0));
	CHECK(http_status_ok(299, 2, NULL, 0));
	CHECK(!http_status_ok(302, 2, NULL, 0));
	CHECK(http_status_ok(302, 3, NULL, 0));
	CHECK(http_status_ok(204, 0, codes, 3));
	CHECK(!http_status_ok(202, 0, codes, 3));
	char *t = http_status_text(2, NULL, 0);
	CHECK_STR(t, "2xx");
	free(t);
	t = http_status_text(0, codes, 1);
	CHECK_STR(t, "200");
	free(t);
	t = http_status_text(0, codes, 2);
	CHECK_STR(t, "200 or 201");
	free(t);
	t = http_status_text(0, codes, 3);
	CHECK_STR(t, "200, 201 or 204");
	free(t);
}

/* Judges BODY with status STATUS against EX; returns the verdict, MESSAGE in *MSG. */
static const char *judge(const struct http_expect *ex, long status, const char *body, uint64_t total,
	int64_t latency, char **msg)
{
	struct http_response r = { .status = status, .latency_ms = latency, .body = body,
		.body_len = strlen(body), .body_total = total ? total : strlen(body),
		.location = status / 100 == 3 ? "https://elsewhere/" : NULL };
	cJSON *failures = cJSON_CreateArray();
	const char *v = http_judge(ex, &r, msg, failures);
	CHECK((strcmp(v, "fail") == 0) == (cJSON_GetArraySize(failures) > 0));
	cJSON_Delete(failures);
	return v;
}

static void test_judge(void)
{
	struct checklist_item it;
	memset(&it, 0, sizeof(it));
	it.kind = ITEM_HTTP;
	it.status_class = 2;
	struct checklist_json_expect je[2] = { str_expect("status", "healthy"), num_expect("count", 3) };
	it.expect_json = je;
	it.n_expect_json = 2;
	it.max_latency_ms = 500;
	struct http_expect ex;
	char *err = NULL, *msg = NULL;
	CHECK(http_expect_init(&ex, &it, &err));
	CHECK(http_expect_needs_body(&ex));

	CHECK_STR(judge(&ex, 200, "{\"status\": \"healthy\", \"count\": 3}", 0, 12, &msg), "pass");
	CHECK_STR(msg, "status 200 in 12 ms, 2 JSON values as expected");
	free(msg);
	CHECK_STR(judge(&ex, 200, "{\"status\": \"sick\", \"count\": 4}", 0, 900, &msg), "fail");
	CHECK_STR(msg, "latency 900 ms, expected at most 500 ms; $.status is \"sick\", expected \"healthy\"; "
		"$.count is 4, expected 3");
	free(msg);
	CHECK_STR(judge(&ex, 503, "<html>down</html>", 0, 1, &msg), "fail");
	CHECK_STR(msg, "status 503, expected 2xx");
	free(msg);
	CHECK_STR(judge(&ex, 301, "", 0, 1, &msg), "fail");
	CHECK_STR(msg, "status 301, expected 2xx (redirect to https://elsewhere/, not followed)");
	free(msg);
	CHECK_STR(judge(&ex, 200, "<html>", 0, 1, &msg), "error");
	CHECK_STR(msg, "the response is not valid JSON (near byte 0: <html>)");
	free(msg);
	CHECK_STR(judge(&ex, 200, "", 0, 1, &msg), "error");
	CHECK_STR(msg, "the response body is empty, expected JSON");
	free(msg);
	CHECK_STR(judge(&ex, 200, "{\"status\": \"healthy\"} trailing", 0, 1, &msg), "error");
	free(msg);
	CHECK_STR(judge(&ex, 200, "{\"status\": \"healthy\"}", 10u << 20, 1, &msg), "error");
	CHECK_STR(msg, "the response body is 10485760 bytes; expect_json reads at most 4 MiB");
	free(msg);
	http_expect_clear(&ex);

	/* Listed codes and a body regex, on a body with a NUL byte. */
	memset(&it, 0, sizeof(it));
	int codes[] = { 200, 204 };
	it.expect_status = codes;
	it.n_expect_status = 2;
	it.expect_body = "ready: (yes|true)";
	CHECK(http_expect_init(&ex, &it, &err));
	CHECK_STR(judge(&ex, 204, "ready: yes", 0, 1, &msg), "pass");
	CHECK_STR(msg, "status 204 in 1 ms, body matches");
	free(msg);
	CHECK_STR(judge(&ex, 200, "ready: no", 0, 1, &msg), "fail");
	CHECK_STR(msg, "the body does not match /ready: (yes|true)/");
	free(msg);
	CHECK_STR(judge(&ex, 202, "ready: yes", 0, 1, &msg), "fail");
	CHECK_STR(msg, "status 202, expected 200 or 204");
	free(msg);
	http_expect_clear(&ex);

	it.expect_body = "(unclosed";
	CHECK(!http_expect_init(&ex, &it, &err));
	CHECK(err && strstr(err, "not a valid regular expression"));
	free(err);

	/* A pattern that would take gigabytes to compile is never compiled. */
	err = NULL;
	it.expect_body = "t+++++++++++++++++++++++++";
	CHECK(!http_expect_init(&ex, &it, &err));
	CHECK(err && strstr(err, "is refused as a regular expression"));
	free(err);
}

/* Parses JSON (status 200) with REDUCE into *S. */
static void parse(const char *json, enum checklist_prom_reduce reduce, struct prom_sample *s)
{
	prom_parse(json, strlen(json), 200, reduce, s);
}

#define VEC1(v) "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[" \
	"{\"metric\":{\"__name__\":\"m\",\"job\":\"a\"},\"value\":[1700000000.5,\"" v "\"]}]}}"
#define VEC3 "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[" \
	"{\"metric\":{\"shard\":\"a\"},\"value\":[1700000000,\"3\"]}," \
	"{\"metric\":{\"shard\":\"b\"},\"value\":[1700000000,\"7\"]}," \
	"{\"metric\":{\"shard\":\"c\"},\"value\":[1700000000,\"5\"]}]}}"

static void test_prom_parse(void)
{
	struct prom_sample s;
	parse(VEC1("0.034"), REDUCE_NONE, &s);
	CHECK(s.outcome == PROM_VALUE && s.value == 0.034 && s.n_series == 1);
	CHECK(s.eval_time == 1700000000.5);
	CHECK_STR(s.value_text, "0.034");
	CHECK_STR(s.result_type, "vector");
	prom_sample_clear(&s);

	parse("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1700000001,\"42\"]}}",
		REDUCE_NONE, &s);
	CHECK(s.outcome == PROM_VALUE && s.value == 42 && s.eval_time == 1700000001);
	prom_sample_clear(&s);

	const struct { enum checklist_prom_reduce r; double v; } reductions[] = {
		{REDUCE_MAX, 7}, {REDUCE_MIN, 3}, {REDUCE_SUM, 15}, {REDUCE_AVG, 5},
	};
	for (size_t i = 0; i < 4; i++) {
		parse(VEC3, reductions[i].r, &s);
		CHECK(s.outcome == PROM_VALUE && s.value == reductions[i].v && s.n_series == 3);
		CHECK(cJSON_GetArraySize(s.series) == 3);
		prom_sample_clear(&s);
	}
	parse(VEC3, REDUCE_NONE, &s);
	CHECK(s.outcome == PROM_ERROR);
	CHECK_STR(s.message, "the query returned 3 series ({shard=\"a\"}, {shard=\"b\"}, {shard=\"c\"}); "
		"set \"reduce\" (max, min, sum or avg) or narrow the query to one series");
	prom_sample_clear(&s);

	parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}", REDUCE_MAX, &s);
	CHECK(s.outcome == PROM_NO_DATA && s.n_series == 0);
	CHECK_STR(s.message, "the query returned no series");
	prom_sample_clear(&s);

	parse(VEC1("NaN"), REDUCE_NONE, &s);
	CHECK(s.outcome == PROM_NO_DATA);
	CHECK_STR(s.message, "the value of m{job=\"a\"} is NaN");
	prom_sample_clear(&s);
	parse(VEC1("+Inf"), REDUCE_NONE, &s);
	CHECK(s.outcome == PROM_NO_DATA);
	CHECK_STR(s.message, "the value of m{job=\"a\"} is +Inf");
	prom_sample_clear(&s);
	parse(VEC1("-Inf"), REDUCE_SUM, &s);
	CHECK(s.outcome == PROM_NO_DATA);
	prom_sample_clear(&s);
	parse("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"NaN\"]}}", REDUCE_NONE, &s);
	CHECK(s.outcome == PROM_NO_DATA);
	CHECK_STR(s.message, "the value is NaN");
	prom_sample_clear(&s);

	parse("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}", REDUCE_NONE, &s);
	CHECK(s.outcome == PROM_ERROR && strstr(s.message, "range vector (matrix)"));
	prom_sample_clear(&s);
	parse("{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[1,\"x\"]}}", REDUCE_NONE, &s);
	CHECK(s.outcome == PROM_ERROR);
	CHECK_STR(s.message, "the query returned a string, not a number");
	prom_sample_clear(&s);
	parse(VEC1("fast"), REDUCE_NONE, &s);
	CHECK(s.outcome == PROM_ERROR);
	prom_sample_clear(&s);
	parse("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}", REDUCE_NONE, &s);
	CHECK(s.outcome == PROM_ERROR);
	CHECK_STR(s.message, "Prometheus: bad_data: parse error");
	prom_sample_clear(&s);
	prom_parse("<html>Bad Gateway</html>", 24, 502, REDUCE_NONE, &s);
	CHECK(s.outcome == PROM_ERROR);
	CHECK_STR(s.message, "status 502 from Prometheus (is this the Prometheus URL?)");
	prom_sample_clear(&s);
	parse("[1, 2]", REDUCE_NONE, &s);
	CHECK(s.outcome == PROM_ERROR && strstr(s.message, "not a Prometheus API response"));
	prom_sample_clear(&s);
	parse("{\"status\":\"success\"}", REDUCE_NONE, &s);
	CHECK(s.outcome == PROM_ERROR);
	prom_sample_clear(&s);
}

static void test_thresholds(void)
{
	double v;
	CHECK(prom_parse_value("1e3", &v) && v == 1000);
	CHECK(prom_parse_value("NaN", &v) && isnan(v));
	CHECK(prom_parse_value("+Inf", &v) && isinf(v) && v > 0);
	CHECK(prom_parse_value("-Inf", &v) && isinf(v) && v < 0);
	CHECK(!prom_parse_value("", &v));
	CHECK(!prom_parse_value("1x", &v));
	double vals[] = { 2, -1, 5 };
	CHECK(prom_reduce_values(REDUCE_MAX, vals, 3) == 5);
	CHECK(prom_reduce_values(REDUCE_MIN, vals, 3) == -1);
	CHECK(prom_reduce_values(REDUCE_SUM, vals, 3) == 6);
	CHECK(prom_reduce_values(REDUCE_AVG, vals, 3) == 2);
	CHECK(prom_passes(PROM_BELOW, 0, 0.01, 0.0099));
	CHECK(!prom_passes(PROM_BELOW, 0, 0.01, 0.01));
	CHECK(prom_passes(PROM_ABOVE, 5, 0, 5.1));
	CHECK(!prom_passes(PROM_ABOVE, 5, 0, 5));
	CHECK(prom_passes(PROM_BETWEEN, 0.5, 0.8, 0.5));
	CHECK(prom_passes(PROM_BETWEEN, 0.5, 0.8, 0.8));
	CHECK(!prom_passes(PROM_BETWEEN, 0.5, 0.8, 0.81));
	char *t = prom_threshold_text(PROM_BELOW, 0, 0.01);
	CHECK_STR(t, "below 0.01");
	free(t);
	t = prom_threshold_text(PROM_ABOVE, 1234567, 0);
	CHECK_STR(t, "above 1.23457e+06");
	free(t);
	t = prom_threshold_text(PROM_BETWEEN, 0.5, 0.8);
	CHECK_STR(t, "between 0.5 and 0.8");
	free(t);
	char buf[32];
	net_format_number(NAN, buf, sizeof(buf));
	CHECK_STR(buf, "NaN");
	net_format_number(-INFINITY, buf, sizeof(buf));
	CHECK_STR(buf, "-Inf");
	net_format_number(0.034, buf, sizeof(buf));
	CHECK_STR(buf, "0.034");
}

static void redact_url_is(const char *url, const char *want)
{
	char *got = net_redact_url(url);
	CHECK_STR(got, want);
	free(got);
}

static void test_redaction(void)
{
	redact_url_is("https://hooks.slack.com/services/T000/B000/XXXXSECRET", "https://hooks.slack.com/***");
	redact_url_is("http://user:pass@127.0.0.1:8080/hook?token=abc", "http://127.0.0.1:8080/***");
	redact_url_is("https://example.com", "https://example.com");
	redact_url_is("https://example.com/", "https://example.com");
	redact_url_is("https://example.com/?key=1", "https://example.com/***");
	redact_url_is("not a url", "***");
	redact_url_is("", "***");

	char *r = net_url_without_userinfo("https://u:p@host/path");
	CHECK_STR(r, "https://host/path");
	free(r);
}

/* Judges BODY (status 200) against "$.token == expected" with the secrets
 * hunter2 and hunter2-prod-key; checks that the message and every failure
 * hold no part of either beyond "hunter" cut at a word, and returns the
 * message. */
static char *judge_secret(const char *body)
{
	const char *const secrets[] = { "hunter2", "hunter2-prod-key", NULL };
	struct redactor *red = redactor_create(secrets);
	struct checklist_item it;
	memset(&it, 0, sizeof(it));
	it.kind = ITEM_HTTP;
	it.status_class = 2;
	struct checklist_json_expect je = str_expect("token", "expected");
	it.expect_json = &je;
	it.n_expect_json = 1;
	struct http_expect ex;
	char *err = NULL, *msg = NULL;
	CHECK(http_expect_init(&ex, &it, &err));
	struct http_response r = { .status = 200, .body = body, .body_len = strlen(body),
		.body_total = strlen(body), .secrets = red };
	cJSON *failures = cJSON_CreateArray();
	http_judge(&ex, &r, &msg, failures);
	char *all = cJSON_PrintUnformatted(failures);
	CHECK(!strstr(msg, "prod") && !strstr(msg, "hunter2") && !strstr(msg, "-key"));
	CHECK(!strstr(all, "prod") && !strstr(all, "hunter2") && !strstr(all, "-key"));
	if (strstr(msg, "prod") || strstr(msg, "-key") || strstr(all, "prod"))
		fprintf(stderr, "  leaked: %s / %s\n", msg, all);
	free(all);
	cJSON_Delete(failures);
	http_expect_clear(&ex);
	redactor_destroy(red);
	return msg;
}

/* The judge masks secrets in the values it shows, in its failures (kept as
 * evidence) and where it cuts a value or an excerpt of the body short. */
static void test_judge_secrets(void)
{
	char *msg = judge_secret("{\"token\": \"Bearer hunter2-prod-key\"}");
	CHECK_STR(msg, "$.token is \"Bearer ***\", expected \"expected\"");
	free(msg);
	/* a value of more than 80 characters cut inside the secret */
	msg = judge_secret("{\"token\": \"0123456789012345678901234567890123456789012345678901234567890123456789"
		"Bearer hunter2-prod-key\"}");
	CHECK(strstr(msg, "Bearer ***...") != NULL);
	free(msg);
	/* not JSON: the excerpt around the error starts inside the secret */
	msg = judge_secret("{\"token\": \"hunter2-prod-key\" \"x\": 1}");
	CHECK_STR(msg, "the response is not valid JSON (near byte 29: ***\" \"x\": 1})");
	free(msg);
}

int main(void)
{
	test_json_paths();
	test_status();
	test_judge();
	test_prom_parse();
	test_thresholds();
	test_redaction();
	test_judge_secrets();
	return check_report();
}
