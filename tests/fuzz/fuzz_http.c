/* The HTTP judge and its dotted JSON paths. The input is two status/flag
 * bytes, then an object of expectations written as in a checklist's
 * expect_json (the key "~body" is an expect_body pattern), a NUL, and the
 * response body. Judging gives pass, fail or error with a message, and
 * every expectation gives a verdict. */
#include "fuzz.h"

#include "net/http_judge.h"

static const int statuses[] = {200, 204, 301, 404, 500, 100, 299, 599};

/* Fills IT's expectations from the object EXPECT (borrowed strings). */
static void expectations(const cJSON *expect, struct checklist_item *it, size_t cap)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, expect) {
		if (strcmp(e->string, "~body") == 0 && cJSON_IsString(e)) {
			it->expect_body = e->valuestring;
			continue;
		}
		if (it->n_expect_json == cap)
			break;
		struct checklist_json_expect *x = &it->expect_json[it->n_expect_json];
		x->path = e->string;
		if (cJSON_IsString(e)) {
			x->type = SCALAR_STRING;
			x->string = e->valuestring;
		} else if (cJSON_IsNumber(e)) {
			x->type = SCALAR_NUMBER;
			x->number = e->valuedouble;
		} else if (cJSON_IsBool(e)) {
			x->type = SCALAR_BOOL;
			x->boolean = cJSON_IsTrue(e);
		} else if (cJSON_IsNull(e)) {
			x->type = SCALAR_NULL;
		} else {
			continue;
		}
		it->n_expect_json++;
	}
}

static void judge(const struct checklist_item *it, uint8_t flags, const char *body, size_t body_len)
{
	struct http_expect ex;
	char *err = NULL;
	if (!http_expect_init(&ex, it, &err)) {
		FUZZ_ASSERT(err != NULL);
		free(err);
		return;
	}
	struct http_response r = {
		.status = statuses[flags & 7],
		.latency_ms = flags & 8 ? 900 : 10,
		.body = body, .body_len = body_len,
		.body_total = flags & 16 ? body_len + 1 : body_len,
		.location = flags & 32 ? "http://127.0.0.1/elsewhere" : NULL,
	};
	cJSON *failures = cJSON_CreateArray();
	char *msg = NULL;
	const char *verdict = http_judge(&ex, &r, &msg, failures);
	FUZZ_ASSERT(msg != NULL);
	FUZZ_ASSERT(strcmp(verdict, "pass") == 0 || strcmp(verdict, "fail") == 0 ||
		strcmp(verdict, "error") == 0);
	/* An "error" verdict may follow a failure (a slow answer whose body
	 * cannot be judged), so only pass and fail say how many there are. */
	if (strcmp(verdict, "pass") == 0)
		FUZZ_ASSERT(cJSON_GetArraySize(failures) == 0);
	if (strcmp(verdict, "fail") == 0)
		FUZZ_ASSERT(cJSON_GetArraySize(failures) > 0);
	free(msg);
	cJSON_Delete(failures);
	http_expect_clear(&ex);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t status_sel = data[0], flags = data[1];
	char *text = fuzz_text(data + 2, size - 2);
	size_t split = strlen(text);
	const char *body = split < size - 2 ? text + split + 1 : "";
	size_t body_len = split < size - 2 ? size - 2 - split - 1 : 0;
	cJSON *expect = cJSON_Parse(text);

	struct checklist_item it = {0};
	struct checklist_json_expect xs[16];
	memset(xs, 0, sizeof(xs));
	it.expect_json = xs;
	int codes[2] = {statuses[status_sel & 7], statuses[(status_sel >> 3) & 7]};
	if (status_sel & 64) {
		it.expect_status = codes;
		it.n_expect_status = status_sel & 128 ? 2 : 1;
	} else {
		it.status_class = 1 + (status_sel & 3);
	}
	it.max_latency_ms = flags & 64 ? 100 : 0;
	if (cJSON_IsObject(expect))
		expectations(expect, &it, sizeof(xs) / sizeof(xs[0]));
	judge(&it, flags, body, body_len);

	/* The paths on their own, against the body when it is JSON. */
	cJSON *root = strlen(body) == body_len ? cJSON_Parse(body) : NULL;
	for (size_t i = 0; root && i < it.n_expect_json; i++) {
		size_t depth = 0;
		(void)http_json_lookup(root, xs[i].path, &depth);
		char *msg = NULL;
		if (!http_json_check(root, &xs[i], NULL, &msg))
			FUZZ_ASSERT(msg != NULL && msg[0]);
		free(msg);
	}
	char *st = http_status_text(it.status_class, it.expect_status, it.n_expect_status);
	free(st);
	cJSON_Delete(root);
	cJSON_Delete(expect);
	free(text);
	return 0;
}
