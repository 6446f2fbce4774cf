/* Validation of one checklist item, by kind. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "loader_ctx.h"

#define K(kind) (1u << (kind))
#define K_ALL 0x1fu

struct field_rule {
	const char *name;
	unsigned kinds;
};

static const struct field_rule item_fields[] = {
	{"id", K_ALL}, {"title", K_ALL}, {"kind", K_ALL}, {"description", K_ALL},
	{"required", K_ALL}, {"waivable", K_ALL}, {"details", K_ALL}, {"expect", K_ALL},
	{"estimate", K_ALL},
	{"confirm", K_ALL}, {"attest_value", K_ALL},
	/* a manual item is shown overdue after its timeout; it never passes by itself */
	{"timeout", K(ITEM_COMMAND) | K(ITEM_HTTP) | K(ITEM_PROMETHEUS) | K(ITEM_MANUAL)},
	{"run", K(ITEM_COMMAND)}, {"cwd", K(ITEM_COMMAND)}, {"env", K(ITEM_COMMAND)},
	{"interactive", K(ITEM_COMMAND)}, {"expect_output", K(ITEM_COMMAND)},
	{"fail_output", K(ITEM_COMMAND)},
	{"url", K(ITEM_HTTP) | K(ITEM_PROMETHEUS)},
	{"interval", K(ITEM_HTTP) | K(ITEM_PROMETHEUS)},
	{"method", K(ITEM_HTTP)}, {"headers", K(ITEM_HTTP)}, {"body", K(ITEM_HTTP)},
	{"expect_status", K(ITEM_HTTP)}, {"expect_json", K(ITEM_HTTP)},
	{"expect_body", K(ITEM_HTTP)}, {"max_latency", K(ITEM_HTTP)},
	{"retries", K(ITEM_HTTP)}, {"insecure", K(ITEM_HTTP)},
	{"query", K(ITEM_PROMETHEUS)}, {"below", K(ITEM_PROMETHEUS)},
	{"above", K(ITEM_PROMETHEUS)}, {"between", K(ITEM_PROMETHEUS)},
	{"samples", K(ITEM_PROMETHEUS)}, {"max_failures", K(ITEM_PROMETHEUS)},
	{"no_data", K(ITEM_PROMETHEUS)}, {"reduce", K(ITEM_PROMETHEUS)},
	{"duration", K(ITEM_WAIT)}, {"after", K(ITEM_WAIT)},
};

static void check_item_fields(struct lctx *c, const cJSON *obj, enum checklist_item_kind kind, bool kind_known)
{
	const cJSON *f;
	cJSON_ArrayForEach(f, obj) {
		const struct field_rule *rule = NULL;
		for (size_t i = 0; i < sizeof(item_fields) / sizeof(item_fields[0]); i++)
			if (strcmp(item_fields[i].name, f->string) == 0)
				rule = &item_fields[i];
		size_t saved = lctx_enter_key(c, f->string);
		if (!rule)
			lctx_report(c, DIAG_WARNING, f, true, "unknown field \"%s\" (ignored)", f->string);
		else if (kind_known && !(rule->kinds & K(kind)))
			lctx_report(c, DIAG_WARNING, f, true, "\"%s\" does not apply to %s items; ignored",
				f->string, checklist_item_kind_name(kind));
		lctx_leave(c, saved);
	}
}

/* "attest_value": "prompt": the attestation asks for the value the engineer
 * read (an error rate from a dashboard) and records it. */
static void load_attest_value(struct lctx *c, const cJSON *obj, struct checklist_item *it)
{
	char *v = NULL;
	if (!get_string(c, obj, "attest_value", false, &v))
		return;
	if (strcmp(v, "prompt") == 0) {
		it->attest_value = true;
	} else {
		size_t saved = lctx_enter_key(c, "attest_value");
		lctx_report(c, DIAG_ERROR, cJSON_GetObjectItemCaseSensitive(obj, "attest_value"), false,
			"attest_value is \"prompt\" (the attestation asks for the value read), not \"%s\"", v);
		lctx_leave(c, saved);
	}
	free(v);
}

static bool parse_kind(const char *s, enum checklist_item_kind *kind)
{
	for (int k = ITEM_COMMAND; k <= ITEM_MANUAL; k++)
		if (strcmp(s, checklist_item_kind_name((enum checklist_item_kind)k)) == 0) {
			*kind = (enum checklist_item_kind)k;
			return true;
		}
	return false;
}

static void load_run(struct lctx *c, const cJSON *obj, struct checklist_item *it)
{
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(obj, "run");
	size_t saved = lctx_enter_key(c, "run");
	if (!run) {
		lctx_leave(c, saved);
		lctx_report(c, DIAG_ERROR, obj, false,
			"command item needs \"run\": the shell script to execute (a string or an array of lines)");
		return;
	}
	struct strbuf sb = {0};
	if (cJSON_IsString(run)) {
		check_refs(c, run);
		strbuf_addstr(&sb, run->valuestring);
	} else if (cJSON_IsArray(run)) {
		size_t i = 0;
		const cJSON *line;
		cJSON_ArrayForEach(line, run) {
			size_t s2 = lctx_enter_index(c, i);
			if (!cJSON_IsString(line))
				lctx_report(c, DIAG_ERROR, line, false,
					"every line of \"run\" must be a string, not %s", lctx_type_name(line));
			else {
				check_refs(c, line);
				if (i)
					strbuf_add(&sb, "\n", 1);
				strbuf_addstr(&sb, line->valuestring);
			}
			lctx_leave(c, s2);
			i++;
		}
	} else {
		lctx_report(c, DIAG_ERROR, run, false,
			"\"run\" must be a string or an array of strings, not %s", lctx_type_name(run));
	}
	if (sb.len == 0 && (cJSON_IsString(run) || cJSON_IsArray(run)))
		lctx_report(c, DIAG_ERROR, run, false, "\"run\" is empty: give the command to execute");
	lctx_leave(c, saved);
	it->run = strbuf_detach(&sb);
}

static bool url_has_scheme(const char *u)
{
	return strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0 ||
		strncmp(u, "${", 2) == 0;
}

static void load_url(struct lctx *c, const cJSON *obj, struct checklist_item *it)
{
	if (!get_string(c, obj, "url", true, &it->url))
		return;
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(obj, "url");
	size_t saved = lctx_enter_key(c, "url");
	check_refs(c, node);
	if (!url_has_scheme(it->url) && strstr(it->url, "://"))
		lctx_report(c, DIAG_ERROR, node, false,
			"url \"%s\" must use http:// or https://", it->url);
	else if (!url_has_scheme(it->url))
		lctx_report(c, DIAG_ERROR, node, false,
			"url \"%s\" has no scheme: write http://%s or https://%s", it->url, it->url, it->url);
	lctx_leave(c, saved);
}

static void load_expect_status(struct lctx *c, const cJSON *obj, struct checklist_item *it)
{
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(obj, "expect_status");
	it->status_class = 2;
	if (!node)
		return;
	size_t saved = lctx_enter_key(c, "expect_status");
	const char *hint = "\"expect_status\" must be a status code (200), a list ([200, 204]) or a class (\"2xx\")";
	if (cJSON_IsString(node)) {
		const char *s = node->valuestring;
		if (strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' && s[1] == 'x' && s[2] == 'x')
			it->status_class = s[0] - '0';
		else
			lctx_report(c, DIAG_ERROR, node, false, "%s; \"%s\" is none of these", hint, s);
	} else if (cJSON_IsNumber(node) || cJSON_IsArray(node)) {
		size_t n = cJSON_IsArray(node) ? (size_t)cJSON_GetArraySize(node) : 1;
		it->expect_status = xcalloc(n, sizeof(int));
		it->status_class = 0;
		if (n == 0)
			lctx_report(c, DIAG_ERROR, node, false, "%s; the list is empty", hint);
		const cJSON *e = cJSON_IsArray(node) ? node->child : node;
		for (size_t i = 0; i < n && e; i++, e = e->next) {
			double v = cJSON_IsNumber(e) ? e->valuedouble : -1;
			if (v < 100 || v > 599 || v != (int)v)
				lctx_report(c, DIAG_ERROR, e, false,
					"%s; an HTTP status code is a whole number from 100 to 599", hint);
			else
				it->expect_status[it->n_expect_status++] = (int)v;
		}
	} else {
		lctx_report(c, DIAG_ERROR, node, false, "%s, not %s", hint, lctx_type_name(node));
	}
	lctx_leave(c, saved);
}

static void load_expect_json(struct lctx *c, const cJSON *obj, struct checklist_item *it)
{
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(obj, "expect_json");
	if (!node)
		return;
	size_t saved = lctx_enter_key(c, "expect_json");
	if (!cJSON_IsObject(node)) {
		lctx_report(c, DIAG_ERROR, node, false,
			"\"expect_json\" must be an object of dotted paths to expected values, like {\"status\": \"healthy\"}");
		lctx_leave(c, saved);
		return;
	}
	it->expect_json = xcalloc((size_t)cJSON_GetArraySize(node) + 1, sizeof(struct checklist_json_expect));
	const cJSON *e;
	cJSON_ArrayForEach(e, node) {
		struct checklist_json_expect *x = &it->expect_json[it->n_expect_json];
		size_t s2 = lctx_enter_key(c, e->string);
		if (!e->string[0] || e->string[0] == '.' || e->string[strlen(e->string) - 1] == '.' ||
			strstr(e->string, "..")) {
			lctx_report(c, DIAG_ERROR, e, true,
				"\"%s\" is not a dotted path: write names and array indexes joined by '.', like \"data.items.0.state\"",
				e->string);
		} else if (cJSON_IsString(e) || cJSON_IsNumber(e) || cJSON_IsBool(e) || cJSON_IsNull(e)) {
			x->path = xstrdup(e->string);
			if (cJSON_IsString(e)) {
				x->type = SCALAR_STRING;
				x->string = xstrdup(e->valuestring);
			} else if (cJSON_IsNumber(e)) {
				x->type = SCALAR_NUMBER;
				x->number = e->valuedouble;
			} else if (cJSON_IsBool(e)) {
				x->type = SCALAR_BOOL;
				x->boolean = cJSON_IsTrue(e);
			} else {
				x->type = SCALAR_NULL;
			}
			it->n_expect_json++;
		} else {
			lctx_report(c, DIAG_ERROR, e, false,
				"the expected value at \"%s\" must be a string, number, true/false or null, not %s "
				"(name a deeper path instead)", e->string, lctx_type_name(e));
		}
		lctx_leave(c, s2);
	}
	lctx_leave(c, saved);
}

/* Strings anywhere inside a JSON body are expanded too. */
static void check_json_refs(struct lctx *c, const cJSON *node)
{
	if (cJSON_IsString(node)) {
		check_refs(c, node);
		return;
	}
	size_t k = 0;
	for (const cJSON *ch = node->child; ch; ch = ch->next, k++) {
		size_t saved = cJSON_IsObject(node) ? lctx_enter_key(c, ch->string) : lctx_enter_index(c, k);
		check_json_refs(c, ch);
		lctx_leave(c, saved);
	}
}

static void load_http(struct lctx *c, const cJSON *obj, struct checklist_item *it)
{
	static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
	load_url(c, obj, it);
	it->method = xstrdup("GET");
	if (get_string(c, obj, "method", false, &it->method)) {
		bool known = false;
		for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
			known |= strcmp(methods[i], it->method) == 0;
		if (!known) {
			size_t saved = lctx_enter_key(c, "method");
			lctx_report(c, DIAG_ERROR, cJSON_GetObjectItemCaseSensitive(obj, "method"), false,
				"unknown HTTP method \"%s\": use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS",
				it->method);
			lctx_leave(c, saved);
		}
	}
	get_kv(c, obj, "headers", &it->headers);
	const cJSON *body = cJSON_GetObjectItemCaseSensitive(obj, "body");
	if (body) {
		size_t saved = lctx_enter_key(c, "body");
		if (cJSON_IsString(body)) {
			check_refs(c, body);
			it->body = xstrdup(body->valuestring);
		} else {
			check_json_refs(c, body);
			it->body = cJSON_PrintUnformatted(body);
			it->body_is_json = true;
		}
		lctx_leave(c, saved);
	}
	load_expect_status(c, obj, it);
	load_expect_json(c, obj, it);
	get_regex(c, obj, "expect_body", &it->expect_body);
	get_duration(c, obj, "max_latency", false, &it->max_latency_ms);
	get_int(c, obj, "retries", 0, 100, &it->retries);
	it->interval_ms = 5000;
	get_duration(c, obj, "interval", false, &it->interval_ms);
	if (!it->timeout_ms)
		it->timeout_ms = 10000;
	get_bool(c, obj, "insecure", &it->insecure);
}

static bool parse_enum(struct lctx *c, const cJSON *obj, const char *key,
	const char *const *names, size_t n, int *out)
{
	char *s = NULL;
	if (!get_string(c, obj, key, false, &s))
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0) {
			*out = (int)i;
			free(s);
			return true;
		}
	struct strbuf list = {0};
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&list, "%s\"%s\"", i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
	size_t saved = lctx_enter_key(c, key);
	lctx_report(c, DIAG_ERROR, cJSON_GetObjectItemCaseSensitive(obj, key), false,
		"\"%s\" must be %s, not \"%s\"", key, list.data, s);
	lctx_leave(c, saved);
	strbuf_release(&list);
	free(s);
	return false;
}

static void load_threshold(struct lctx *c, const cJSON *obj, struct checklist_item *it)
{
	const char *which[3] = {"below", "above", "between"};
	int given = 0;
	for (int i = 0; i < 3; i++)
		given += cJSON_GetObjectItemCaseSensitive(obj, which[i]) != NULL;
	if (given != 1) {
		lctx_report(c, DIAG_ERROR, obj, false,
			"prometheus item needs exactly one of \"below\", \"above\" or \"between\" (found %d)", given);
		return;
	}
	if (get_number(c, obj, "below", &it->hi)) {
		it->compare = PROM_BELOW;
	} else if (get_number(c, obj, "above", &it->lo)) {
		it->compare = PROM_ABOVE;
	} else {
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(obj, "between");
		if (!b)
			return;
		size_t saved = lctx_enter_key(c, "between");
		it->compare = PROM_BETWEEN;
		if (!cJSON_IsArray(b) || cJSON_GetArraySize(b) != 2 ||
			!cJSON_IsNumber(cJSON_GetArrayItem(b, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(b, 1))) {
			lctx_report(c, DIAG_ERROR, b, false,
				"\"between\" must be two numbers [low, high], like [0.5, 0.8]");
		} else {
			it->lo = cJSON_GetArrayItem(b, 0)->valuedouble;
			it->hi = cJSON_GetArrayItem(b, 1)->valuedouble;
			if (it->lo > it->hi)
				lctx_report(c, DIAG_ERROR, b, false,
					"\"between\": the low bound %g is above the high bound %g; write [%g, %g]",
					it->lo, it->hi, it->hi, it->lo);
		}
		lctx_leave(c, saved);
	}
}

static void load_prometheus(struct lctx *c, const cJSON *obj, struct checklist_item *it)
{
	static const char *const no_data[] = {"fail", "pass", "inconclusive"};
	static const char *const reduce[] = {"max", "min", "sum", "avg"};
	load_url(c, obj, it);
	if (get_string(c, obj, "query", true, &it->query)) {
		size_t saved = lctx_enter_key(c, "query");
		check_refs(c, cJSON_GetObjectItemCaseSensitive(obj, "query"));
		lctx_leave(c, saved);
	}
	load_threshold(c, obj, it);
	it->samples = 1;
	get_int(c, obj, "samples", 1, 10000, &it->samples);
	it->interval_ms = 60000;
	get_duration(c, obj, "interval", false, &it->interval_ms);
	if (get_int(c, obj, "max_failures", 0, 10000, &it->max_failures) &&
		it->max_failures >= it->samples) {
		size_t saved = lctx_enter_key(c, "max_failures");
		lctx_report(c, DIAG_ERROR, cJSON_GetObjectItemCaseSensitive(obj, "max_failures"), false,
			"\"max_failures\" is %d but there are only %d samples, so the check could never fail; "
			"make it smaller than \"samples\"", it->max_failures, it->samples);
		lctx_leave(c, saved);
	}
	int v;
	if (parse_enum(c, obj, "no_data", no_data, 3, &v))
		it->no_data = (enum checklist_prom_no_data)v;
	if (parse_enum(c, obj, "reduce", reduce, 4, &v))
		it->reduce = (enum checklist_prom_reduce)(v + 1);
	if (!it->timeout_ms)
		it->timeout_ms = 30000;
}

static void load_command(struct lctx *c, const cJSON *obj, struct checklist_item *it)
{
	load_run(c, obj, it);
	if (get_string(c, obj, "cwd", false, &it->cwd)) {
		size_t saved = lctx_enter_key(c, "cwd");
		check_refs(c, cJSON_GetObjectItemCaseSensitive(obj, "cwd"));
		lctx_leave(c, saved);
	}
	get_kv(c, obj, "env", &it->env);
	get_bool(c, obj, "interactive", &it->interactive);
	get_regex(c, obj, "expect_output", &it->expect_output);
	get_regex(c, obj, "fail_output", &it->fail_output);
}

void load_item(struct lctx *c, const cJSON *obj, struct checklist_item *it)
{
	if (!cJSON_IsObject(obj)) {
		lctx_report(c, DIAG_ERROR, obj, false, "an item must be an object, not %s", lctx_type_name(obj));
		return;
	}
	jpos_node(&c->pos, obj, false, &it->line, &it->col);
	it->required = true;
	get_id(c, obj, "id", true, &it->id);
	get_string(c, obj, "title", true, &it->title);
	get_string(c, obj, "description", false, &it->description);
	get_string(c, obj, "expect", false, &it->expect);
	get_bool(c, obj, "required", &it->required);
	get_bool(c, obj, "waivable", &it->waivable);
	get_bool(c, obj, "confirm", &it->confirm);
	get_string_array(c, obj, "details", &it->details, &it->n_details);
	load_attest_value(c, obj, it);
	get_range(c, obj, "estimate", &it->estimate_lo_ms, &it->estimate_hi_ms);
	get_duration(c, obj, "timeout", false, &it->timeout_ms);

	char *kind = NULL;
	bool kind_known = false;
	if (get_string(c, obj, "kind", true, &kind)) {
		kind_known = parse_kind(kind, &it->kind);
		if (!kind_known) {
			size_t saved = lctx_enter_key(c, "kind");
			lctx_report(c, DIAG_ERROR, cJSON_GetObjectItemCaseSensitive(obj, "kind"), false,
				"unknown item kind \"%s\": use command, http, prometheus, wait or manual", kind);
			lctx_leave(c, saved);
		}
	}
	free(kind);
	check_item_fields(c, obj, it->kind, kind_known);
	if (!kind_known)
		return;
	switch (it->kind) {
	case ITEM_COMMAND: load_command(c, obj, it); break;
	case ITEM_HTTP: load_http(c, obj, it); break;
	case ITEM_PROMETHEUS: load_prometheus(c, obj, it); break;
	case ITEM_WAIT:
		if (!cJSON_GetObjectItemCaseSensitive(obj, "duration"))
			lctx_report(c, DIAG_ERROR, obj, false,
				"wait item needs \"duration\", how long to wait, like \"15m\"");
		else
			get_duration(c, obj, "duration", true, &it->duration_ms);
		get_string_array(c, obj, "after", &it->after, &it->n_after);
		break;
	case ITEM_MANUAL: break;
	}
}
