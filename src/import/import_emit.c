/* The model written as pretty-printed JSON in a stable key order (cJSON for
 * the values, two-space indentation, short arrays and objects on one line),
 * then loaded and linted with core's loader: an import that would not load
 * is never handed out. */
#include <assert.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/checklist.h"
#include "import_internal.h"

static void add_str(cJSON *o, const char *key, const char *v)
{
	if (v && *v)
		cJSON_AddItemToObject(o, key, cJSON_CreateString(v));
}

static void add_strs(cJSON *o, const char *key, const struct strvec *sv)
{
	if (!sv->n)
		return;
	cJSON *a = cJSON_AddArrayToObject(o, key);
	for (size_t i = 0; i < sv->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(sv->v[i]));
}

static cJSON *item_json(const struct import_item *it)
{
	cJSON *o = cJSON_CreateObject();
	add_str(o, "id", it->id);
	add_str(o, "title", it->title);
	add_str(o, "kind", it->kind);
	if (it->optional)
		cJSON_AddFalseToObject(o, "required");
	if (it->confirm && it->run.n)
		cJSON_AddTrueToObject(o, "confirm");
	if (it->interactive && it->run.n)
		cJSON_AddTrueToObject(o, "interactive");
	if (it->run.n == 1)
		add_str(o, "run", it->run.v[0]);
	else
		add_strs(o, "run", &it->run);
	add_str(o, "expect", it->expect);
	if (!it->run.n)
		add_str(o, "duration", it->duration);
	add_str(o, "estimate", it->estimate);
	add_strs(o, "details", &it->details);
	return o;
}

static cJSON *model_json(const struct import_model *m)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "countersign", 1);
	add_str(root, "id", m->id);
	add_str(root, "title", m->title);
	add_str(root, "description", m->description);
	if (m->n_vars) {
		cJSON *vars = cJSON_AddArrayToObject(root, "variables");
		for (size_t i = 0; i < m->n_vars; i++) {
			cJSON *v = cJSON_CreateObject();
			add_str(v, "name", m->vars[i].name);
			add_str(v, "prompt", m->vars[i].prompt);
			cJSON_AddItemToArray(vars, v);
		}
	}
	cJSON *secs = cJSON_AddArrayToObject(root, "sections");
	for (size_t s = 0; s < m->n_sections; s++) {
		const struct import_section *sec = &m->sections[s];
		cJSON *o = cJSON_CreateObject();
		add_str(o, "id", sec->id);
		add_str(o, "title", sec->title);
		add_str(o, "phase", sec->phase);
		add_str(o, "description", sec->description);
		add_str(o, "estimate", sec->estimate);
		if (sec->ungated) {
			cJSON_AddFalseToObject(o, "gate");
			cJSON_AddTrueToObject(o, "always_open");
		}
		cJSON *items = cJSON_AddArrayToObject(o, "items");
		for (size_t i = 0; i < sec->n_items; i++)
			cJSON_AddItemToArray(items, item_json(&sec->items[i]));
		cJSON_AddItemToArray(secs, o);
	}
	return root;
}

static bool scalar(const cJSON *j)
{
	return !cJSON_IsArray(j) && !cJSON_IsObject(j);
}

/* Whether J fits on one line: scalars only, at most WIDTH characters. */
static bool one_line(const cJSON *j, size_t width)
{
	size_t len = 0;
	for (const cJSON *c = j->child; c; c = c->next) {
		if (!scalar(c))
			return false;
		char *s = cJSON_PrintUnformatted(c);
		len += strlen(s) + 2 + (c->string ? strlen(c->string) + 4 : 0);
		free(s);
	}
	return len <= width;
}

static void print_key(struct strbuf *sb, const char *key)
{
	cJSON *k = cJSON_CreateString(key);
	char *s = cJSON_PrintUnformatted(k);
	strbuf_addf(sb, "%s: ", s);
	free(s);
	cJSON_Delete(k);
}

/* Depth is bounded by the model (checklist, section, item, details): four.
 * Arrays of strings and the variables' objects go on one line when short;
 * sections and items never do, so that an edit changes only its lines. */
static void print_value(struct strbuf *sb, const cJSON *j, int indent, bool may_inline)
{
	if (scalar(j)) {
		char *s = cJSON_PrintUnformatted(j);
		strbuf_addstr(sb, s);
		free(s);
		return;
	}
	bool obj = cJSON_IsObject(j);
	if (!j->child) {
		strbuf_addstr(sb, obj ? "{}" : "[]");
		return;
	}
	assert(indent < 16);
	bool inline_ = (!obj || may_inline) && one_line(j, obj ? 100 : 90);
	bool vars = j->string && strcmp(j->string, "variables") == 0;
	strbuf_addstr(sb, obj ? "{" : "[");
	for (const cJSON *c = j->child; c; c = c->next) {
		if (inline_)
			strbuf_addstr(sb, c == j->child ? "" : " ");
		else
			strbuf_addf(sb, "\n%*s", (indent + 1) * 2, "");
		if (obj)
			print_key(sb, c->string);
		print_value(sb, c, indent + 1, vars);
		if (c->next)
			strbuf_addstr(sb, ",");
	}
	if (!inline_)
		strbuf_addf(sb, "\n%*s", indent * 2, "");
	strbuf_addstr(sb, obj ? "}" : "]");
}

char *import_emit(const struct import_model *m)
{
	cJSON *root = model_json(m);
	struct strbuf sb = {0};
	print_value(&sb, root, 0, false);
	strbuf_addstr(&sb, "\n");
	cJSON_Delete(root);
	return strbuf_detach(&sb);
}

char *import_summary(const struct import_result *r)
{
	return xasprintf("imported %zu section%s, %zu item%s (%zu command, %zu manual, %zu wait), "
		"%zu variable%s; skipped %zu part%s",
		r->sections, r->sections == 1 ? "" : "s", r->items, r->items == 1 ? "" : "s",
		r->commands, r->manuals, r->waits, r->variables, r->variables == 1 ? "" : "s",
		r->skipped, r->skipped == 1 ? "" : "s");
}

void import_too_big(struct import_msgs *ms, int line)
{
	import_msg(ms, IMPORT_WARNING, line, "the checklist made from this runbook would be larger than the %u MiB "
		"a checklist may be: split the runbook into several files", CHECKLIST_MAX_BYTES / (1024u * 1024u));
}

enum import_status import_finish(struct import_model *m, const char *name, struct import_result *out,
	struct import_msgs *ms)
{
	if (!m->id) {
		struct import_ids used = {0};
		m->id = import_make_id(m->title, "checklist", &used);
		import_ids_clear(&used);
	}
	char *json = import_emit(m);
	out->skipped = m->skipped;
	if (strlen(json) > CHECKLIST_MAX_BYTES) {
		import_too_big(ms, 0);
		free(json);
		return IMPORT_REFUSED;
	}
	struct diag_list d;
	diag_list_init(&d, name ? name : "import");
	struct checklist *cl = checklist_load_text(name ? name : "import", json, strlen(json), &d);
	for (size_t i = 0; i < d.count; i++)
		import_msg(ms, IMPORT_WARNING, 0, "the imported checklist %s lint: %s%s%s",
			d.items[i].severity == DIAG_ERROR ? "fails" : "warns in", d.items[i].message,
			d.items[i].path ? " at " : "", d.items[i].path ? d.items[i].path : "");
	bool ok = cl && d.errors == 0;
	if (ok) {
		out->json = json;
		json = NULL;
		out->sections = m->n_sections;
		for (size_t s = 0; s < m->n_sections; s++)
			for (size_t i = 0; i < m->sections[s].n_items; i++) {
				const char *k = m->sections[s].items[i].kind;
				out->items++;
				out->commands += strcmp(k, "command") == 0;
				out->manuals += strcmp(k, "manual") == 0;
				out->waits += strcmp(k, "wait") == 0;
			}
		out->variables = m->n_vars;
	}
	out->skipped = m->skipped;
	checklist_destroy(cl);
	diag_list_clear(&d);
	free(json);
	return ok ? IMPORT_OK : IMPORT_NOTHING;
}
