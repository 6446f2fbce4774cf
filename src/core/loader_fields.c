/* Typed field readers for the checklist loader: each one reports what was
 * wrong, where, and what to write instead. */
#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/duration.h"
#include "countersign/expand.h"
#include "countersign/regex_check.h"
#include "loader_ctx.h"

static void vreport(struct lctx *c, enum diag_severity sev, int line, int col,
	const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void vreport(struct lctx *c, enum diag_severity sev, int line, int col,
	const char *fmt, va_list ap)
{
	char *msg = xvasprintf(fmt, ap);
	diag_add(c->diags, sev, line, col, c->path.data, "%s", msg);
	free(msg);
}

void lctx_report(struct lctx *c, enum diag_severity sev, const cJSON *node, bool at_key,
	const char *fmt, ...)
{
	int line = 0, col = 0;
	if (node)
		jpos_node(&c->pos, node, at_key, &line, &col);
	va_list ap;
	va_start(ap, fmt);
	vreport(c, sev, line, col, fmt, ap);
	va_end(ap);
}

void lctx_report_in_string(struct lctx *c, enum diag_severity sev, const cJSON *node,
	size_t off, const char *fmt, ...)
{
	int line = 0, col = 0;
	jpos_in_string(&c->pos, node, off, &line, &col);
	va_list ap;
	va_start(ap, fmt);
	vreport(c, sev, line, col, fmt, ap);
	va_end(ap);
}

size_t lctx_enter_key(struct lctx *c, const char *key)
{
	size_t saved = c->path.len;
	if (c->path.len)
		strbuf_add(&c->path, ".", 1);
	strbuf_addstr(&c->path, key);
	return saved;
}

size_t lctx_enter_index(struct lctx *c, size_t i)
{
	size_t saved = c->path.len;
	strbuf_addf(&c->path, "[%zu]", i);
	return saved;
}

void lctx_leave(struct lctx *c, size_t saved)
{
	if (c->path.data) {
		c->path.len = saved;
		c->path.data[saved] = '\0';
	}
}

const char *lctx_type_name(const cJSON *node)
{
	if (cJSON_IsString(node))
		return "a string";
	if (cJSON_IsNumber(node))
		return "a number";
	if (cJSON_IsBool(node))
		return "true/false";
	if (cJSON_IsNull(node))
		return "null";
	if (cJSON_IsArray(node))
		return "an array";
	if (cJSON_IsObject(node))
		return "an object";
	return "something else";
}

/* Looks KEY up; reports a missing required field at OBJ. */
static const cJSON *lookup(struct lctx *c, const cJSON *obj, const char *key, bool required)
{
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!node && required)
		lctx_report(c, DIAG_ERROR, obj, false, "missing required field \"%s\"", key);
	return node;
}

static void wrong_type(struct lctx *c, const cJSON *node, const char *key, const char *want)
{
	size_t saved = lctx_enter_key(c, key);
	lctx_report(c, DIAG_ERROR, node, false, "\"%s\" must be %s, not %s", key, want,
		lctx_type_name(node));
	lctx_leave(c, saved);
}

bool get_string(struct lctx *c, const cJSON *obj, const char *key, bool required, char **out)
{
	const cJSON *node = lookup(c, obj, key, required);
	if (!node)
		return false;
	if (!cJSON_IsString(node)) {
		wrong_type(c, node, key, "a string");
		return false;
	}
	if (required && !node->valuestring[0]) {
		size_t saved = lctx_enter_key(c, key);
		lctx_report(c, DIAG_ERROR, node, false, "\"%s\" must not be empty", key);
		lctx_leave(c, saved);
		return false;
	}
	free(*out);
	*out = xstrdup(node->valuestring);
	return true;
}

bool get_bool(struct lctx *c, const cJSON *obj, const char *key, bool *out)
{
	const cJSON *node = lookup(c, obj, key, false);
	if (!node)
		return false;
	if (!cJSON_IsBool(node)) {
		wrong_type(c, node, key, "true or false");
		return false;
	}
	*out = cJSON_IsTrue(node);
	return true;
}

bool get_number(struct lctx *c, const cJSON *obj, const char *key, double *out)
{
	const cJSON *node = lookup(c, obj, key, false);
	if (!node)
		return false;
	if (!cJSON_IsNumber(node) || !isfinite(node->valuedouble)) {
		wrong_type(c, node, key, "a finite number");
		return false;
	}
	*out = node->valuedouble;
	return true;
}

bool get_int(struct lctx *c, const cJSON *obj, const char *key, int lo, int hi, int *out)
{
	const cJSON *node = lookup(c, obj, key, false);
	if (!node)
		return false;
	if (!cJSON_IsNumber(node)) {
		wrong_type(c, node, key, "a whole number");
		return false;
	}
	double v = node->valuedouble;
	size_t saved = lctx_enter_key(c, key);
	bool ok = false;
	if (v != floor(v))
		lctx_report(c, DIAG_ERROR, node, false, "\"%s\" must be a whole number, not %g", key, v);
	else if (v < lo || v > hi)
		lctx_report(c, DIAG_ERROR, node, false, "\"%s\" is %g; it must be from %d to %d",
			key, v, lo, hi);
	else {
		*out = (int)v;
		ok = true;
	}
	lctx_leave(c, saved);
	return ok;
}

static bool duration_node(struct lctx *c, const cJSON *node, const char *key, bool range,
	int64_t *lo, int64_t *hi)
{
	if (!cJSON_IsString(node)) {
		wrong_type(c, node, key, range ? "a duration string like \"5m\" or \"5-10m\""
			: "a duration string like \"90s\", \"5m\" or \"1h30m\"");
		return false;
	}
	const char *why = NULL;
	bool ok = range ? duration_parse_range(node->valuestring, lo, hi, &why)
		: duration_parse(node->valuestring, lo, &why);
	if (!ok) {
		size_t saved = lctx_enter_key(c, key);
		lctx_report(c, DIAG_ERROR, node, false,
			"\"%s\" is not a %s: %s (write it like %s)", node->valuestring,
			range ? "duration or range" : "duration", why,
			range ? "\"15m\" or \"5-10m\"" : "\"90s\", \"5m\" or \"1h30m\"");
		lctx_leave(c, saved);
	}
	return ok;
}

bool get_duration(struct lctx *c, const cJSON *obj, const char *key, bool required, int64_t *out)
{
	const cJSON *node = lookup(c, obj, key, required);
	int64_t hi;
	return node && duration_node(c, node, key, false, out, &hi);
}

bool get_range(struct lctx *c, const cJSON *obj, const char *key, int64_t *lo, int64_t *hi)
{
	const cJSON *node = lookup(c, obj, key, false);
	return node && duration_node(c, node, key, true, lo, hi);
}

bool get_string_array(struct lctx *c, const cJSON *obj, const char *key, char ***out, size_t *n)
{
	const cJSON *node = lookup(c, obj, key, false);
	if (!node)
		return false;
	if (!cJSON_IsArray(node)) {
		wrong_type(c, node, key, "an array of strings");
		return false;
	}
	size_t count = (size_t)cJSON_GetArraySize(node), i = 0;
	char **v = xcalloc(count + 1, sizeof(char *));
	bool ok = true;
	const cJSON *e;
	cJSON_ArrayForEach(e, node) {
		if (!cJSON_IsString(e)) {
			size_t saved = lctx_enter_key(c, key);
			size_t s2 = lctx_enter_index(c, i);
			lctx_report(c, DIAG_ERROR, e, false, "every entry of \"%s\" must be a string, not %s",
				key, lctx_type_name(e));
			lctx_leave(c, s2);
			lctx_leave(c, saved);
			ok = false;
			continue;
		}
		v[i++] = xstrdup(e->valuestring);
	}
	for (size_t k = 0; k < *n; k++)
		free((*out)[k]);
	free(*out);
	*out = v;
	*n = i;
	return ok;
}

bool get_kv(struct lctx *c, const cJSON *obj, const char *key, struct checklist_kv_list *out)
{
	const cJSON *node = lookup(c, obj, key, false);
	if (!node)
		return false;
	if (!cJSON_IsObject(node)) {
		wrong_type(c, node, key, "an object of names to strings");
		return false;
	}
	size_t count = (size_t)cJSON_GetArraySize(node);
	out->items = xcalloc(count + 1, sizeof(struct checklist_kv));
	out->count = 0;
	bool ok = true;
	size_t saved = lctx_enter_key(c, key);
	const cJSON *e;
	cJSON_ArrayForEach(e, node) {
		if (!cJSON_IsString(e)) {
			size_t s2 = lctx_enter_key(c, e->string);
			lctx_report(c, DIAG_ERROR, e, false, "the value of \"%s\" must be a string, not %s",
				e->string, lctx_type_name(e));
			lctx_leave(c, s2);
			ok = false;
			continue;
		}
		size_t s2 = lctx_enter_key(c, e->string);
		check_refs(c, e);
		lctx_leave(c, s2);
		out->items[out->count].key = xstrdup(e->string);
		out->items[out->count++].value = xstrdup(e->valuestring);
	}
	lctx_leave(c, saved);
	return ok;
}

static bool valid_id(const char *s)
{
	if (!(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return false;
	for (const char *p = s; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
			return false;
	return true;
}

bool get_id(struct lctx *c, const cJSON *obj, const char *key, bool required, char **out)
{
	char *s = NULL;
	if (!get_string(c, obj, key, required, &s))
		return false;
	if (!valid_id(s)) {
		size_t saved = lctx_enter_key(c, key);
		lctx_report(c, DIAG_ERROR, cJSON_GetObjectItemCaseSensitive(obj, key), false,
			"\"%s\" is not a valid %s: use lowercase letters, digits and '-', starting with a letter or digit",
			s, key);
		lctx_leave(c, saved);
		free(s);
		return false;
	}
	free(*out);
	*out = s;
	return true;
}

bool get_regex(struct lctx *c, const cJSON *obj, const char *key, char **out)
{
	char *s = NULL;
	if (!get_string(c, obj, key, false, &s))
		return false;
	/* Bound the pattern before compiling it: some take gigabytes. */
	size_t at;
	const char *bound;
	if (!regex_check(s, &at, &bound)) {
		size_t saved = lctx_enter_key(c, key);
		lctx_report_in_string(c, DIAG_ERROR, cJSON_GetObjectItemCaseSensitive(obj, key), at,
			"\"%s\" is refused as a regular expression: %s", s, bound);
		lctx_leave(c, saved);
		free(s);
		return false;
	}
	regex_t re;
	int rc = regcomp(&re, s, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char why[256];
		regerror(rc, &re, why, sizeof(why));
		size_t saved = lctx_enter_key(c, key);
		lctx_report(c, DIAG_ERROR, cJSON_GetObjectItemCaseSensitive(obj, key), false,
			"\"%s\" is not a valid regular expression (POSIX extended): %s", s, why);
		lctx_leave(c, saved);
		free(s);
		return false;
	}
	regfree(&re);
	free(*out);
	*out = s;
	return true;
}

struct ref_state {
	struct lctx *c;
	const cJSON *node;
	char *warned[16];
	size_t n_warned;
};

static bool on_ref(const char *name, size_t offset, void *data)
{
	struct ref_state *st = data;
	if (checklist_variable(st->c->cl, name))
		return true;
	for (size_t i = 0; i < st->c->cl->n_environment; i++)
		if (strcmp(st->c->cl->environment[i], name) == 0)
			return true;
	for (size_t i = 0; i < st->n_warned; i++)
		if (strcmp(st->warned[i], name) == 0)
			return true;
	if (st->n_warned < sizeof(st->warned) / sizeof(st->warned[0]))
		st->warned[st->n_warned++] = xstrdup(name);
	lctx_report_in_string(st->c, DIAG_WARNING, st->node, offset,
		"${%s} is not a declared variable: it must be set in the environment when a run starts "
		"(declare it under \"variables\" if it belongs to the run, or list it under \"environment\")", name);
	return true;
}

void check_refs(struct lctx *c, const cJSON *node)
{
	if (!cJSON_IsString(node))
		return;
	struct ref_state st = {.c = c, .node = node};
	size_t bad;
	const char *why;
	if (!expand_scan(node->valuestring, on_ref, &st, &bad, &why))
		lctx_report_in_string(c, DIAG_ERROR, node, bad, "bad variable reference: %s", why);
	for (size_t i = 0; i < st.n_warned; i++)
		free(st.warned[i]);
}
