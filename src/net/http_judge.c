#include "net/http_judge.h"

#include "countersign/net.h"
#include "countersign/regex_check.h"
#include "countersign/utf8.h"
#include "countersign/util.h"
#include "net/net_util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Longest rendering of a found JSON value in a message. */
#define SHOWN_VALUE_CHARS 80
/* Context shown around the place where a body stops being JSON. */
#define SNIPPET_BEFORE 16
#define SNIPPET_CHARS 40

bool http_expect_init(struct http_expect *ex, const struct checklist_item *it, char **err)
{
	memset(ex, 0, sizeof(*ex));
	ex->status_class = it->status_class;
	if (it->n_expect_status > 0) {
		ex->codes = xcalloc(it->n_expect_status, sizeof(int));
		memcpy(ex->codes, it->expect_status, it->n_expect_status * sizeof(int));
		ex->n_codes = it->n_expect_status;
	} else if (ex->status_class == 0) {
		ex->status_class = 2;
	}
	if (it->n_expect_json > 0) {
		ex->json = xcalloc(it->n_expect_json, sizeof(*ex->json));
		for (size_t i = 0; i < it->n_expect_json; i++) {
			ex->json[i] = it->expect_json[i];
			ex->json[i].path = xstrdup(it->expect_json[i].path);
			if (it->expect_json[i].string)
				ex->json[i].string = xstrdup(it->expect_json[i].string);
		}
		ex->n_json = it->n_expect_json;
	}
	ex->max_latency_ms = it->max_latency_ms;
	if (it->expect_body) {
		/* The loader refuses such patterns; an item built elsewhere is
		 * held to the same bounds before regcomp sees it. */
		size_t at;
		const char *bound;
		if (!regex_check(it->expect_body, &at, &bound)) {
			*err = xasprintf("expect_body \"%s\" is refused as a regular expression: %s",
				it->expect_body, bound);
			http_expect_clear(ex);
			return false;
		}
		int rc = regcomp(&ex->re, it->expect_body, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char why[256];
			regerror(rc, &ex->re, why, sizeof(why));
			*err = xasprintf("expect_body \"%s\" is not a valid regular expression: %s",
				it->expect_body, why);
			http_expect_clear(ex);
			return false;
		}
		ex->body_regex = xstrdup(it->expect_body);
	}
	return true;
}

void http_expect_clear(struct http_expect *ex)
{
	free(ex->codes);
	for (size_t i = 0; i < ex->n_json; i++) {
		free(ex->json[i].path);
		free(ex->json[i].string);
	}
	free(ex->json);
	if (ex->body_regex)
		regfree(&ex->re);
	free(ex->body_regex);
	memset(ex, 0, sizeof(*ex));
}

bool http_expect_needs_body(const struct http_expect *ex)
{
	return ex->n_json > 0 || ex->body_regex;
}

bool http_status_ok(long status, int status_class, const int *codes, size_t n_codes)
{
	if (n_codes == 0)
		return status / 100 == (status_class ? status_class : 2);
	for (size_t i = 0; i < n_codes; i++)
		if (codes[i] == status)
			return true;
	return false;
}

char *http_status_text(int status_class, const int *codes, size_t n_codes)
{
	if (n_codes == 0)
		return xasprintf("%dxx", status_class ? status_class : 2);
	struct strbuf sb = {0};
	for (size_t i = 0; i < n_codes; i++)
		strbuf_addf(&sb, "%s%d", i == 0 ? "" : i + 1 == n_codes ? " or " : ", ", codes[i]);
	return strbuf_detach(&sb);
}

static const char *skip_root(const char *path)
{
	if (path[0] == '$' && path[1] == '.')
		return path + 2;
	if (path[0] == '$' && path[1] == '\0')
		return path + 1;
	return path;
}

static bool parse_index(const char *seg, size_t len, int *out)
{
	if (len == 0 || len > 9)
		return false;
	int v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)seg[i]))
			return false;
		v = v * 10 + (seg[i] - '0');
	}
	*out = v;
	return true;
}

const cJSON *http_json_lookup(const cJSON *root, const char *path, size_t *found_prefix)
{
	const char *p = skip_root(path);
	const cJSON *node = root;
	size_t depth = 0;
	while (node && *p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		const cJSON *next = NULL;
		int idx;
		if (cJSON_IsArray(node) && parse_index(p, len, &idx)) {
			next = cJSON_GetArrayItem(node, idx);
		} else if (cJSON_IsObject(node)) {
			char *key = xstrndup(p, len);
			next = cJSON_GetObjectItemCaseSensitive(node, key);
			free(key);
		}
		if (!next)
			break;
		node = next;
		depth++;
		p = dot ? dot + 1 : p + len;
	}
	if (found_prefix)
		*found_prefix = depth;
	return *p ? NULL : node;
}

static const char *type_noun(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	return "an object";
}

/* A found value as a message shows it (malloc'd), with SECRETS masked
 * before it is cut short. */
static char *show_value(const cJSON *v, const struct redactor *secrets)
{
	if (cJSON_IsObject(v))
		return xstrdup("an object");
	if (cJSON_IsArray(v))
		return xasprintf("an array of %d", cJSON_GetArraySize(v));
	char *s = cJSON_PrintUnformatted(v);
	if (!s)
		return xstrdup("?");
	struct strbuf out = {0};
	size_t len = strlen(s);
	redactor_excerpt(secrets, &out, s, len, 0, SHOWN_VALUE_CHARS);
	if (len > SHOWN_VALUE_CHARS)
		strbuf_addstr(&out, "...");
	cJSON_free(s);
	return strbuf_detach(&out);
}

static char *show_expected(const struct checklist_json_expect *x, const struct redactor *secrets)
{
	cJSON *v;
	switch (x->type) {
	case SCALAR_STRING: v = cJSON_CreateString(x->string ? x->string : ""); break;
	case SCALAR_NUMBER: v = cJSON_CreateNumber(x->number); break;
	case SCALAR_BOOL: v = cJSON_CreateBool(x->boolean); break;
	default: v = cJSON_CreateNull(); break;
	}
	char *s = show_value(v, secrets);
	cJSON_Delete(v);
	return s;
}

static bool value_matches(const cJSON *v, const struct checklist_json_expect *x)
{
	switch (x->type) {
	case SCALAR_STRING: return cJSON_IsString(v) && strcmp(v->valuestring, x->string ? x->string : "") == 0;
	case SCALAR_NUMBER: return cJSON_IsNumber(v) && v->valuedouble == x->number;
	case SCALAR_BOOL: return cJSON_IsBool(v) && cJSON_IsTrue(v) == x->boolean;
	default: return cJSON_IsNull(v);
	}
}

static bool same_type(const cJSON *v, const struct checklist_json_expect *x)
{
	switch (x->type) {
	case SCALAR_STRING: return cJSON_IsString(v);
	case SCALAR_NUMBER: return cJSON_IsNumber(v);
	case SCALAR_BOOL: return cJSON_IsBool(v);
	default: return cJSON_IsNull(v);
	}
}

/* "$.a.b" for the first DEPTH segments of PATH (malloc'd). */
static char *shown_path(const char *path, size_t depth)
{
	const char *p = skip_root(path), *end = p;
	for (size_t i = 0; i < depth && *end; i++) {
		const char *dot = strchr(end, '.');
		end = dot ? dot + 1 : end + strlen(end);
	}
	size_t len = (size_t)(end - p);
	if (len > 0 && p[len - 1] == '.')
		len--;
	return len ? xasprintf("$.%.*s", (int)len, p) : xstrdup("$");
}

/* Segment K (0-based) of PATH (malloc'd). */
static char *segment(const char *path, size_t k)
{
	const char *p = skip_root(path);
	for (size_t i = 0; i < k && p; i++) {
		p = strchr(p, '.');
		p = p ? p + 1 : NULL;
	}
	if (!p)
		return xstrdup("");
	const char *dot = strchr(p, '.');
	return dot ? xstrndup(p, (size_t)(dot - p)) : xstrdup(p);
}

bool http_json_check(const cJSON *root, const struct checklist_json_expect *x, const struct redactor *secrets,
	char **message)
{
	size_t depth = 0;
	const cJSON *v = http_json_lookup(root, x->path, &depth);
	if (v && value_matches(v, x))
		return true;
	char *full = shown_path(x->path, (size_t)-1), *want = show_expected(x, secrets);
	if (!v) {
		char *at = shown_path(x->path, depth);
		const cJSON *parent = http_json_lookup(root, at, NULL);
		const char *rest = skip_root(x->path);
		size_t segs = 1;
		for (const char *c = rest; *c; c++)
			segs += *c == '.';
		if (depth + 1 == segs && cJSON_IsObject(parent))
			*message = xasprintf("%s is missing, expected %s", full, want);
		else if (cJSON_IsArray(parent))
			*message = xasprintf("%s is missing (%s has %d element%s), expected %s", full, at,
				cJSON_GetArraySize(parent), cJSON_GetArraySize(parent) == 1 ? "" : "s", want);
		else if (cJSON_IsObject(parent)) {
			char *key = segment(x->path, depth);
			*message = xasprintf("%s is missing (%s has no \"%s\"), expected %s", full, at, key, want);
			free(key);
		} else
			*message = xasprintf("%s is missing (%s is %s), expected %s", full, at,
				type_noun(parent), want);
		free(at);
	} else {
		char *got = show_value(v, secrets);
		if (same_type(v, x) || cJSON_IsObject(v) || cJSON_IsArray(v))
			*message = xasprintf("%s is %s, expected %s", full, got, want);
		else
			*message = xasprintf("%s is %s (%s), expected %s", full, got, type_noun(v), want);
		free(got);
	}
	free(full);
	free(want);
	return false;
}

/* Adds a failure line, SECRETS masked, to LIST and FAILURES; frees MSG. */
static void add_failure(struct strbuf *list, cJSON *failures, const struct redactor *secrets, char *msg)
{
	char *shown = redactor_text(secrets, msg);
	free(msg);
	msg = shown;
	if (list->len)
		strbuf_addstr(list, "; ");
	strbuf_addstr(list, msg);
	if (failures)
		cJSON_AddItemToArray(failures, cJSON_CreateString(msg));
	free(msg);
}

/* Parses the body as JSON; on failure returns NULL with a message. */
static cJSON *parse_body(const struct http_response *r, char **why)
{
	if (r->body_len == 0) {
		*why = xstrdup("the response body is empty, expected JSON");
		return NULL;
	}
	const char *end = NULL;
	cJSON *root = NULL;
	if (strlen(r->body) == r->body_len)
		root = cJSON_ParseWithOpts(r->body, &end, 1);
	if (!root) {
		/* cJSON stops at or just after the problem: show both sides. */
		size_t at = end && end >= r->body ? (size_t)(end - r->body) : strlen(r->body);
		size_t from = at > SNIPPET_BEFORE ? at - SNIPPET_BEFORE : 0;
		struct strbuf shown = {0};
		redactor_excerpt(r->secrets, &shown, r->body, r->body_len, from, SNIPPET_CHARS);
		char *snip = utf8_repair(shown.data ? shown.data : "", shown.len, true);
		strbuf_release(&shown);
		for (char *c = snip; *c; c++)
			if ((unsigned char)*c < 0x20)
				*c = ' ';
		*why = xasprintf("the response is not valid JSON (near byte %zu: %s)", at, snip);
		free(snip);
	}
	return root;
}

static char *body_too_large(const struct http_response *r, const struct http_expect *ex)
{
	return xasprintf("the response body is %llu bytes; %s reads at most %u MiB",
		(unsigned long long)r->body_total, ex->n_json ? "expect_json" : "expect_body",
		NET_BODY_MATCH_BYTES / (1024u * 1024u));
}

static bool body_matches(const struct http_expect *ex, const struct http_response *r)
{
#ifdef REG_STARTEND
	regmatch_t m = { .rm_so = 0, .rm_eo = (regoff_t)r->body_len };
	return regexec(&ex->re, r->body, 1, &m, REG_STARTEND) == 0;
#else
	return regexec(&ex->re, r->body, 0, NULL, 0) == 0;
#endif
}

const char *http_judge(const struct http_expect *ex, const struct http_response *r,
	char **message, cJSON *failures)
{
	struct strbuf list = {0};
	bool status_ok = http_status_ok(r->status, ex->status_class, ex->codes, ex->n_codes);
	if (!status_ok) {
		char *want = http_status_text(ex->status_class, ex->codes, ex->n_codes);
		if (r->status / 100 == 3 && r->location)
			add_failure(&list, failures, r->secrets, xasprintf("status %ld, expected %s (redirect to %s, not followed)",
				r->status, want, r->location));
		else
			add_failure(&list, failures, r->secrets, xasprintf("status %ld, expected %s", r->status, want));
		free(want);
	}
	if (ex->max_latency_ms > 0 && r->latency_ms > ex->max_latency_ms)
		add_failure(&list, failures, r->secrets, xasprintf("latency %lld ms, expected at most %lld ms",
			(long long)r->latency_ms, (long long)ex->max_latency_ms));
	/* An error page's body is not what expect_json describes: judge the
	 * body only when the status is right. */
	if (status_ok && http_expect_needs_body(ex)) {
		char *why = NULL;
		cJSON *root = NULL;
		if (r->body_total > r->body_len)
			why = body_too_large(r, ex);
		else if (ex->n_json > 0)
			root = parse_body(r, &why);
		if (why) {
			strbuf_release(&list);
			*message = why;
			return "error";
		}
		for (size_t i = 0; i < ex->n_json; i++) {
			char *msg = NULL;
			if (!http_json_check(root, &ex->json[i], r->secrets, &msg))
				add_failure(&list, failures, r->secrets, msg);
		}
		cJSON_Delete(root);
		if (ex->body_regex && !body_matches(ex, r))
			add_failure(&list, failures, r->secrets, xasprintf("the body does not match /%s/", ex->body_regex));
	}
	if (list.len) {
		*message = strbuf_detach(&list);
		return "fail";
	}
	struct strbuf ok = {0};
	strbuf_addf(&ok, "status %ld in %lld ms", r->status, (long long)r->latency_ms);
	if (ex->n_json)
		strbuf_addf(&ok, ", %zu JSON value%s as expected", ex->n_json, ex->n_json == 1 ? "" : "s");
	if (ex->body_regex)
		strbuf_addstr(&ok, ", body matches");
	*message = strbuf_detach(&ok);
	return "pass";
}
