#include "net/prom_parse.h"

#include "countersign/util.h"
#include "net/net_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Series named in the "several series" error message. */
#define SERIES_NAMED 3

void prom_sample_clear(struct prom_sample *s)
{
	free(s->value_text);
	free(s->result_type);
	free(s->message);
	cJSON_Delete(s->series);
	memset(s, 0, sizeof(*s));
}

bool prom_parse_value(const char *text, double *out)
{
	if (!text || !text[0])
		return false;
	char *end = NULL;
	double v = strtod(text, &end);
	if (end == text || *end != '\0')
		return false;
	*out = v;
	return true;
}

double prom_reduce_values(enum checklist_prom_reduce reduce, const double *v, size_t n)
{
	double acc = v[0];
	for (size_t i = 1; i < n; i++) {
		switch (reduce) {
		case REDUCE_MIN: acc = v[i] < acc ? v[i] : acc; break;
		case REDUCE_SUM: case REDUCE_AVG: acc += v[i]; break;
		default: acc = v[i] > acc ? v[i] : acc; break;
		}
	}
	return reduce == REDUCE_AVG ? acc / (double)n : acc;
}

const char *prom_reduce_name(enum checklist_prom_reduce reduce)
{
	static const char *const names[] = {"none", "max", "min", "sum", "avg"};
	return (unsigned)reduce < 5 ? names[reduce] : "none";
}

bool prom_passes(enum checklist_prom_compare cmp, double lo, double hi, double v)
{
	switch (cmp) {
	case PROM_BELOW: return v < hi;
	case PROM_ABOVE: return v > lo;
	default: return v >= lo && v <= hi;
	}
}

char *prom_threshold_text(enum checklist_prom_compare cmp, double lo, double hi)
{
	char a[32], b[32];
	net_format_number(lo, a, sizeof(a));
	net_format_number(hi, b, sizeof(b));
	switch (cmp) {
	case PROM_BELOW: return xasprintf("below %s", b);
	case PROM_ABOVE: return xasprintf("above %s", a);
	default: return xasprintf("between %s and %s", a, b);
	}
}

/* metric{label="value",...} as Prometheus writes a series (malloc'd). */
static char *series_name(const cJSON *metric)
{
	struct strbuf sb = {0};
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(metric, "__name__");
	if (cJSON_IsString(name))
		strbuf_addstr(&sb, name->valuestring);
	strbuf_addstr(&sb, "{");
	bool first = true;
	const cJSON *l;
	cJSON_ArrayForEach(l, metric) {
		if (!cJSON_IsString(l) || strcmp(l->string, "__name__") == 0)
			continue;
		strbuf_addf(&sb, "%s%s=\"%s\"", first ? "" : ",", l->string, l->valuestring);
		first = false;
	}
	strbuf_addstr(&sb, "}");
	return strbuf_detach(&sb);
}

/* Reads [time, "value"]; false when it is not that shape. */
static bool read_pair(const cJSON *pair, double *time, const char **text)
{
	const cJSON *t = cJSON_GetArrayItem(pair, 0), *v = cJSON_GetArrayItem(pair, 1);
	if (!cJSON_IsArray(pair) || !cJSON_IsNumber(t) || !cJSON_IsString(v))
		return false;
	*time = t->valuedouble;
	*text = v->valuestring;
	return true;
}

static void set_error(struct prom_sample *s, char *msg)
{
	s->outcome = PROM_ERROR;
	free(s->message);
	s->message = msg;
}

static void no_data_if_not_finite(struct prom_sample *s, const char *what)
{
	if (isfinite(s->value))
		return;
	char v[32];
	net_format_number(s->value, v, sizeof(v));
	s->outcome = PROM_NO_DATA;
	s->message = xasprintf("%s is %s", what, v);
}

static void several_series(struct prom_sample *s, const cJSON *result)
{
	struct strbuf names = {0};
	int k = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, result) {
		if (k++ == SERIES_NAMED) {
			strbuf_addstr(&names, ", ...");
			break;
		}
		char *nm = series_name(cJSON_GetObjectItemCaseSensitive(e, "metric"));
		strbuf_addf(&names, "%s%s", k > 1 ? ", " : "", nm);
		free(nm);
	}
	set_error(s, xasprintf("the query returned %d series (%s); set \"reduce\" (max, min, sum or avg) "
		"or narrow the query to one series", s->n_series, names.data));
	strbuf_release(&names);
}

static void parse_vector(struct prom_sample *s, const cJSON *result, enum checklist_prom_reduce reduce)
{
	s->n_series = cJSON_GetArraySize(result);
	if (s->n_series == 0) {
		s->outcome = PROM_NO_DATA;
		s->message = xstrdup("the query returned no series");
		return;
	}
	double *vals = xcalloc((size_t)s->n_series, sizeof(double));
	s->series = cJSON_CreateArray();
	int i = 0, bad_idx = 0;
	const cJSON *e, *bad = NULL;
	cJSON_ArrayForEach(e, result) {
		const char *text = NULL;
		double t = 0;
		if (!read_pair(cJSON_GetObjectItemCaseSensitive(e, "value"), &t, &text) ||
			!prom_parse_value(text, &vals[i])) {
			set_error(s, xstrdup("a series in Prometheus' answer has no readable value"));
			free(vals);
			return;
		}
		if (i == 0) {
			s->eval_time = t;
			s->value_text = xstrdup(text);
		}
		if (!bad && !isfinite(vals[i])) {
			bad = e;
			bad_idx = i;
		}
		if (i < PROM_SERIES_KEPT) {
			cJSON *one = cJSON_CreateObject();
			const cJSON *metric = cJSON_GetObjectItemCaseSensitive(e, "metric");
			cJSON_AddItemToObject(one, "labels", metric ? cJSON_Duplicate(metric, 1) : cJSON_CreateObject());
			cJSON_AddStringToObject(one, "value", text);
			cJSON_AddItemToArray(s->series, one);
		}
		i++;
	}
	if (s->n_series > 1 && reduce == REDUCE_NONE) {
		several_series(s, result);
	} else if (bad) {
		/* A non-finite series makes any combination meaningless. */
		char *nm = series_name(cJSON_GetObjectItemCaseSensitive(bad, "metric"));
		char *what = xasprintf("the value of %s", nm);
		s->value = vals[bad_idx];
		no_data_if_not_finite(s, what);
		free(what);
		free(nm);
	} else {
		s->outcome = PROM_VALUE;
		s->value = s->n_series == 1 ? vals[0] : prom_reduce_values(reduce, vals, (size_t)s->n_series);
		if (s->n_series > 1) {
			free(s->value_text);
			s->value_text = xasprintf("%.17g", s->value);
		}
	}
	free(vals);
}

static void parse_data(struct prom_sample *s, const cJSON *data, enum checklist_prom_reduce reduce)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(data, "resultType");
	const cJSON *result = cJSON_GetObjectItemCaseSensitive(data, "result");
	if (!cJSON_IsString(type) || !result) {
		set_error(s, xstrdup("Prometheus' answer has no result"));
		return;
	}
	s->result_type = xstrdup(type->valuestring);
	if (strcmp(type->valuestring, "vector") == 0 && cJSON_IsArray(result)) {
		parse_vector(s, result, reduce);
	} else if (strcmp(type->valuestring, "scalar") == 0) {
		const char *text = NULL;
		if (!read_pair(result, &s->eval_time, &text) || !prom_parse_value(text, &s->value)) {
			set_error(s, xstrdup("Prometheus' scalar result has no readable value"));
			return;
		}
		s->n_series = 1;
		s->value_text = xstrdup(text);
		s->outcome = PROM_VALUE;
		no_data_if_not_finite(s, "the value");
	} else if (strcmp(type->valuestring, "matrix") == 0) {
		set_error(s, xstrdup("the query returned a range vector (matrix), not an instant value; "
			"drop the [range] selector or wrap it in a function such as rate()"));
	} else {
		set_error(s, xasprintf("the query returned a %s, not a number", type->valuestring));
	}
}

void prom_parse(const char *body, size_t len, long status, enum checklist_prom_reduce reduce,
	struct prom_sample *out)
{
	memset(out, 0, sizeof(*out));
	cJSON *root = body && strlen(body) == len ? cJSON_Parse(body) : NULL;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "status");
	if (!root || !cJSON_IsString(st)) {
		if (status != 200)
			set_error(out, xasprintf("status %ld from Prometheus (is this the Prometheus URL?)", status));
		else
			set_error(out, xstrdup("the answer is not a Prometheus API response (not JSON with a \"status\")"));
	} else if (strcmp(st->valuestring, "success") != 0) {
		const cJSON *et = cJSON_GetObjectItemCaseSensitive(root, "errorType");
		const cJSON *er = cJSON_GetObjectItemCaseSensitive(root, "error");
		set_error(out, xasprintf("Prometheus: %s: %s",
			cJSON_IsString(et) ? et->valuestring : st->valuestring,
			cJSON_IsString(er) ? er->valuestring : "query failed"));
	} else {
		parse_data(out, cJSON_GetObjectItemCaseSensitive(root, "data"), reduce);
	}
	cJSON_Delete(root);
}
