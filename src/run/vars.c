#include "countersign/vars.h"

#include <assert.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "countersign/expand.h"
#include "countersign/util.h"

static int var_index(const struct checklist *cl, const char *name, size_t len)
{
	for (size_t i = 0; i < cl->n_variables; i++)
		if (strlen(cl->variables[i].name) == len && strncmp(cl->variables[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static bool matches(const char *pattern, const char *value)
{
	regex_t re;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	bool ok = regexec(&re, value, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

bool vars_assign(struct var_values *v, const struct checklist *cl, const char *const *assign,
	int n, bool defaults, const struct reporter *r)
{
	if (!v->values) {
		v->cl = cl;
		v->values = xcalloc(cl->n_variables + 1, sizeof(char *));
		for (size_t i = 0; defaults && i < cl->n_variables; i++)
			if (cl->variables[i].default_value)
				v->values[i] = xstrdup(cl->variables[i].default_value);
	}
	/* The values are indexed by CL's variables: another checklist's
	 * indexes could run past them. */
	assert(v->cl == cl);
	for (int k = 0; k < n; k++) {
		const char *eq = strchr(assign[k], '=');
		if (!eq || eq == assign[k]) {
			reporter_say(r, "--var takes NAME=VALUE, not \"%s\"", assign[k]);
			return false;
		}
		int i = var_index(cl, assign[k], (size_t)(eq - assign[k]));
		if (i < 0) {
			reporter_say(r, "checklist %s has no variable \"%.*s\"", cl->id, (int)(eq - assign[k]), assign[k]);
			return false;
		}
		const struct checklist_variable *var = &cl->variables[i];
		if (var->pattern && !matches(var->pattern, eq + 1)) {
			reporter_say(r, "%s=%s does not match the variable's pattern %s", var->name,
				var->secret ? "***" : eq + 1, var->pattern);
			return false;
		}
		if (v->values[i])
			sodium_memzero(v->values[i], strlen(v->values[i]));
		free(v->values[i]);
		v->values[i] = xstrdup(eq + 1);
	}
	return true;
}

void vars_clear(struct var_values *v)
{
	/* Secret values are wiped; the others cost nothing to wipe too. */
	for (size_t i = 0; v->cl && v->values && i < v->cl->n_variables; i++) {
		if (v->values[i])
			sodium_memzero(v->values[i], strlen(v->values[i]));
		free(v->values[i]);
	}
	free(v->values);
	v->values = NULL;
}

void vars_from_record(struct var_values *v, const char *json)
{
	cJSON *rec = cJSON_Parse(json ? json : "{}");
	for (size_t i = 0; i < v->cl->n_variables; i++) {
		if (v->values[i])
			continue;
		const struct checklist_variable *var = &v->cl->variables[i];
		const cJSON *val = cJSON_GetObjectItemCaseSensitive(rec, var->name);
		if (!var->secret && cJSON_IsString(val))
			v->values[i] = xstrdup(val->valuestring);
		else if (getenv(var->name))
			v->values[i] = xstrdup(getenv(var->name));
	}
	cJSON_Delete(rec);
}

const struct checklist_variable *vars_missing(const struct var_values *v)
{
	for (size_t i = 0; i < v->cl->n_variables; i++)
		if (!v->values[i])
			return &v->cl->variables[i];
	return NULL;
}

const char *vars_lookup(const char *name, void *data)
{
	const struct var_values *v = data;
	int i = var_index(v->cl, name, strlen(name));
	if (i >= 0 && v->values[i])
		return v->values[i];
	return i >= 0 ? NULL : getenv(name);
}

struct ref_check {
	const struct var_values *v;
	const char *missing;
	char *name;
};

static bool on_ref(const char *name, size_t offset, void *data)
{
	(void)offset;
	struct ref_check *rc = data;
	if (vars_lookup(name, (void *)rc->v))
		return true;
	rc->name = xstrdup(name);
	return false;
}

static bool check_one(struct ref_check *rc, const char *text)
{
	size_t bad;
	const char *why;
	if (!text || rc->name)
		return !rc->name;
	expand_scan(text, on_ref, rc, &bad, &why);
	return !rc->name;
}

static bool check_kv(struct ref_check *rc, const struct checklist_kv_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		if (!check_one(rc, l->items[i].value))
			return false;
	return true;
}

bool vars_check_refs(const struct var_values *v, const struct reporter *r)
{
	const struct checklist *cl = v->cl;
	struct ref_check rc = {.v = v};
	check_one(&rc, cl->cwd);
	check_kv(&rc, &cl->env);
	for (size_t s = 0; s < cl->n_sections && !rc.name; s++) {
		for (size_t i = 0; i < cl->sections[s].n_items && !rc.name; i++) {
			const struct checklist_item *it = &cl->sections[s].items[i];
			check_one(&rc, it->run);
			check_one(&rc, it->cwd);
			check_one(&rc, it->url);
			check_one(&rc, it->query);
			check_one(&rc, it->body_is_json ? NULL : it->body);
			check_kv(&rc, &it->env);
			check_kv(&rc, &it->headers);
			if (rc.name) {
				reporter_say(r, "${%s} in %s/%s is neither a variable of the run nor set in the "
					"environment; set it (export %s=...) or declare it in the checklist",
					rc.name, cl->sections[s].id, it->id, rc.name);
				free(rc.name);
				return false;
			}
		}
	}
	if (rc.name) {
		reporter_say(r, "${%s} is neither a variable of the run nor set in the environment; "
			"set it (export %s=...) or declare it in the checklist", rc.name, rc.name);
		free(rc.name);
		return false;
	}
	return true;
}

char *vars_record_json(const struct var_values *v)
{
	cJSON *obj = cJSON_CreateObject();
	for (size_t i = 0; i < v->cl->n_variables; i++) {
		const struct checklist_variable *var = &v->cl->variables[i];
		if (v->values[i])
			cJSON_AddStringToObject(obj, var->name, var->secret ? "***" : v->values[i]);
	}
	char *text = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	return text;
}

const char **vars_secrets(const struct var_values *v)
{
	const char **out = xcalloc(v->cl->n_variables + 1, sizeof(char *));
	size_t n = 0;
	for (size_t i = 0; i < v->cl->n_variables; i++)
		if (v->cl->variables[i].secret && v->values[i] && v->values[i][0])
			out[n++] = v->values[i];
	return out;
}

char *vars_expand_text(const struct var_values *v, const char *text)
{
	size_t bad;
	const char *why;
	if (!text)
		return xstrdup("");
	/* malformed text is lint's to report: it is shown as written */
	if (!expand_scan(text, NULL, NULL, &bad, &why))
		return xstrdup(text);
	struct strbuf sb = {0};
	for (const char *p = text; *p;) {
		if (p[0] == '$' && p[1] == '$') {
			strbuf_addstr(&sb, "$");
			p += 2;
		} else if (p[0] == '$' && p[1] == '{') {
			const char *close = strchr(p, '}');  /* there is one: expand_scan said so */
			int i = var_index(v->cl, p + 2, (size_t)(close - p - 2));
			if (i >= 0 && v->values[i])
				strbuf_addstr(&sb, v->cl->variables[i].secret ? "***" : v->values[i]);
			else
				strbuf_add(&sb, p, (size_t)(close - p) + 1);
			p = close + 1;
		} else {
			strbuf_add(&sb, p++, 1);
		}
	}
	return strbuf_detach(&sb);
}
