#include "countersign/checklist.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void kv_list_clear(struct checklist_kv_list *l)
{
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
}

static void item_clear(struct checklist_item *it)
{
	free(it->id);
	free(it->title);
	free(it->description);
	free(it->expect);
	for (size_t i = 0; i < it->n_details; i++)
		free(it->details[i]);
	free(it->details);
	for (size_t i = 0; i < it->n_after; i++)
		free(it->after[i]);
	free(it->after);
	free(it->cwd);
	kv_list_clear(&it->env);
	free(it->run);
	free(it->expect_output);
	free(it->fail_output);
	free(it->url);
	free(it->method);
	kv_list_clear(&it->headers);
	free(it->body);
	free(it->expect_status);
	for (size_t i = 0; i < it->n_expect_json; i++) {
		free(it->expect_json[i].path);
		free(it->expect_json[i].string);
	}
	free(it->expect_json);
	free(it->expect_body);
	free(it->query);
}

void checklist_destroy(struct checklist *cl)
{
	if (!cl)
		return;
	free(cl->id);
	free(cl->title);
	free(cl->description);
	free(cl->window_starts_at);
	for (size_t i = 0; i < cl->n_variables; i++) {
		struct checklist_variable *v = &cl->variables[i];
		free(v->name);
		free(v->prompt);
		free(v->default_value);
		free(v->pattern);
	}
	free(cl->variables);
	for (size_t i = 0; i < cl->n_environment; i++)
		free(cl->environment[i]);
	free(cl->environment);
	free(cl->shell);
	free(cl->cwd);
	kv_list_clear(&cl->env);
	for (size_t i = 0; i < cl->n_notify; i++) {
		free(cl->notify[i].url);
		free(cl->notify[i].file);
	}
	free(cl->notify);
	for (size_t s = 0; s < cl->n_sections; s++) {
		struct checklist_section *sec = &cl->sections[s];
		free(sec->id);
		free(sec->title);
		free(sec->phase);
		free(sec->description);
		free(sec->choice);
		free(sec->rollback_for);
		for (size_t r = 0; r < sec->policy.n_roles; r++)
			free(sec->policy.roles[r]);
		free(sec->policy.roles);
		for (size_t i = 0; i < sec->n_items; i++)
			item_clear(&sec->items[i]);
		free(sec->items);
	}
	free(cl->sections);
	free(cl->path);
	free(cl->dir);
	free(cl->text);
	free(cl);
}

struct checklist_section *checklist_section(const struct checklist *cl, const char *id)
{
	for (size_t i = 0; i < cl->n_sections; i++)
		if (cl->sections[i].id && strcmp(cl->sections[i].id, id) == 0)
			return &cl->sections[i];
	return NULL;
}

struct checklist_item *checklist_section_item(const struct checklist_section *s, const char *id)
{
	for (size_t i = 0; i < s->n_items; i++)
		if (s->items[i].id && strcmp(s->items[i].id, id) == 0)
			return &s->items[i];
	return NULL;
}

const struct checklist_variable *checklist_variable(const struct checklist *cl, const char *name)
{
	for (size_t i = 0; i < cl->n_variables; i++)
		if (cl->variables[i].name && strcmp(cl->variables[i].name, name) == 0)
			return &cl->variables[i];
	return NULL;
}

static const char *const kind_names[] = {"command", "http", "prometheus", "wait", "manual"};

const char *checklist_item_kind_name(enum checklist_item_kind kind)
{
	return (unsigned)kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[kind] : "?";
}

static const char *const event_names[NOTIFY_EVENT_COUNT] = {
	"run_started", "run_completed", "run_aborted", "check_passed", "check_failed",
	"signoff", "rejection", "gate_passed", "override", "waiver", "choice", "note",
	"gate_reopened", "checkpoint", "gate_waiting",
};

const char *checklist_notify_event_name(enum checklist_notify_event ev)
{
	return (unsigned)ev < NOTIFY_EVENT_COUNT ? event_names[ev] : "?";
}

const char *checklist_notify_target(const struct checklist_notify *n)
{
	assert(n && (n->url != NULL) != (n->file != NULL));
	return n->url ? n->url : n->file;
}

int checklist_notify_event_parse(const char *name)
{
	for (int i = 0; i < NOTIFY_EVENT_COUNT; i++)
		if (strcmp(event_names[i], name) == 0)
			return i;
	return -1;
}

static const char *const meaning_names[CHECKLIST_MEANING_COUNT] = {"performed", "reviewed", "approved", "rejected"};

const char *checklist_meaning_name(enum checklist_meaning m)
{
	assert((unsigned)m < CHECKLIST_MEANING_COUNT);
	return meaning_names[m];
}

bool checklist_meaning_parse(const char *name, enum checklist_meaning *out)
{
	if (!name)
		return false;
	for (int m = 0; m < CHECKLIST_MEANING_COUNT; m++) {
		if (strcmp(name, meaning_names[m]) == 0) {
			*out = (enum checklist_meaning)m;
			return true;
		}
	}
	/* what records made before meanings existed say */
	if (strcmp(name, "approve") == 0 || strcmp(name, "reject") == 0) {
		*out = name[0] == 'a' ? MEANING_APPROVED : MEANING_REJECTED;
		return true;
	}
	return false;
}

bool checklist_role_valid(const char *role)
{
	/* ^[a-z][a-z0-9_-]{0,31}$: short, lower-case, safe in a shell and in JSON */
	if (!role || role[0] < 'a' || role[0] > 'z')
		return false;
	size_t n = 1;
	for (; role[n]; n++) {
		char c = role[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return n <= 32;
}
