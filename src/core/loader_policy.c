/* Who may sign a section's gate: "signoffs" as a number or a policy object,
 * and "signoff_within", at the top level (the default of every section) or
 * in a section, whose own "signoffs" replaces the default whole. */
#include <stdlib.h>
#include <string.h>

#include "loader_ctx.h"

static const char *const policy_fields[] = {"count", "roles", "independent", "performed", "meaning", NULL};

void lctx_policy_clear(struct checklist_policy *p)
{
	for (size_t r = 0; r < p->n_roles; r++)
		free(p->roles[r]);
	free(p->roles);
	*p = (struct checklist_policy){.count = 2, .meaning = MEANING_APPROVED};
}

static void policy_copy(struct checklist_policy *dst, const struct checklist_policy *src)
{
	lctx_policy_clear(dst);
	*dst = *src;
	dst->roles = src->n_roles ? xcalloc(src->n_roles + 1, sizeof(char *)) : NULL;
	for (size_t r = 0; r < src->n_roles; r++)
		dst->roles[r] = xstrdup(src->roles[r]);
}

static void report_field(struct lctx *c, enum diag_severity sev, const cJSON *obj, const char *key,
	const char *msg)
{
	size_t saved = lctx_enter_key(c, key);
	lctx_report(c, sev, cJSON_GetObjectItemCaseSensitive(obj, key), false, "%s", msg);
	lctx_leave(c, saved);
}

/* A policy lists only the fields it has: a misspelt "independant" must not
 * quietly leave a gate open to the engineer who did the work. */
static void check_policy_fields(struct lctx *c, const cJSON *node)
{
	const cJSON *f;
	cJSON_ArrayForEach(f, node) {
		bool ok = false;
		for (const char *const *k = policy_fields; *k && !ok; k++)
			ok = strcmp(*k, f->string) == 0;
		if (ok)
			continue;
		size_t saved = lctx_enter_key(c, f->string);
		lctx_report(c, DIAG_ERROR, f, true, "unknown field \"%s\" of a sign-off policy; a policy has count, "
			"roles, independent, performed and meaning", f->string);
		lctx_leave(c, saved);
	}
}

static void check_roles(struct lctx *c, const cJSON *node)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(node, "roles");
	if (!cJSON_IsArray(arr))
		return;
	size_t saved = lctx_enter_key(c, "roles"), k = 0;
	const cJSON *r;
	cJSON_ArrayForEach(r, arr) {
		size_t s2 = lctx_enter_index(c, k++);
		bool twice = false;
		for (const cJSON *q = arr->child; cJSON_IsString(r) && q != r && !twice; q = q->next)
			twice = cJSON_IsString(q) && strcmp(q->valuestring, r->valuestring) == 0;
		if (cJSON_IsString(r) && !checklist_role_valid(r->valuestring))
			lctx_report(c, DIAG_ERROR, r, false, "\"%s\" is not a role name: a lower-case letter, then up to "
				"31 lower-case letters, digits, '_' or '-'", r->valuestring);
		else if (twice)
			lctx_report(c, DIAG_ERROR, r, false, "role \"%s\" is listed twice", r->valuestring);
		lctx_leave(c, s2);
	}
	lctx_leave(c, saved);
}

static void read_meaning(struct lctx *c, const cJSON *node, struct checklist_policy *p)
{
	char *m = NULL;
	if (!get_string(c, node, "meaning", false, &m))
		return;
	/* "approve" and "review" read as the words signatures use */
	if (strcmp(m, "approved") == 0 || strcmp(m, "approve") == 0)
		p->meaning = MEANING_APPROVED;
	else if (strcmp(m, "reviewed") == 0 || strcmp(m, "review") == 0)
		p->meaning = MEANING_REVIEWED;
	else {
		char *msg = xasprintf("\"meaning\" is what the signatures the gate counts mean: \"approved\" or "
			"\"reviewed\", not \"%s\"", m);
		report_field(c, DIAG_ERROR, node, "meaning", msg);
		free(msg);
	}
	free(m);
}

/* The policy object NODE into *P (count 2 and "approved" unless it says). */
static void read_policy_object(struct lctx *c, const cJSON *node, struct checklist_policy *p)
{
	check_policy_fields(c, node);
	get_int(c, node, "count", 0, 16, &p->count);
	get_string_array(c, node, "roles", &p->roles, &p->n_roles);
	check_roles(c, node);
	get_bool(c, node, "independent", &p->independent);
	get_bool(c, node, "performed", &p->performed);
	read_meaning(c, node, p);
	if (p->count == 0) {
		const char *what = p->n_roles ? "roles" : p->independent ? "independent" : p->performed ? "performed" : NULL;
		if (what) {
			char *msg = xasprintf("\"count\" is 0, so the gate takes no signature and \"%s\" applies to nobody; "
				"give a count of 1 or more, or drop \"%s\"", what, what);
			report_field(c, DIAG_ERROR, node, "count", msg);
			free(msg);
		}
	} else if ((size_t)p->count < p->n_roles) {
		char *msg = xasprintf("%d signature%s for %zu roles: the gate needs one engineer holding several of "
			"them", p->count, p->count == 1 ? "" : "s", p->n_roles);
		report_field(c, DIAG_WARNING, node, "roles", msg);
		free(msg);
	}
}

/* "signoffs" of OBJ (the root or a section) replacing *P whole. Returns
 * true when OBJ has it; *IS_OBJECT tells a policy object from a number. */
static bool read_signoffs(struct lctx *c, const cJSON *obj, struct checklist_policy *p, bool *is_object)
{
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(obj, "signoffs");
	*is_object = cJSON_IsObject(node);
	if (!node)
		return false;
	struct checklist_policy np = {.count = 2, .meaning = MEANING_APPROVED};
	if (cJSON_IsNumber(node)) {
		get_int(c, obj, "signoffs", 0, 16, &np.count);
	} else if (cJSON_IsObject(node)) {
		size_t saved = lctx_enter_key(c, "signoffs");
		read_policy_object(c, node, &np);
		lctx_leave(c, saved);
	} else {
		char *msg = xasprintf("\"signoffs\" must be a number of signatures or a policy object like "
			"{\"count\": 1, \"roles\": [\"dba\"]}, not %s", lctx_type_name(node));
		report_field(c, DIAG_ERROR, obj, "signoffs", msg);
		free(msg);
	}
	lctx_policy_clear(p);
	*p = np;
	return true;
}

void load_policy_defaults(struct lctx *c, const cJSON *root)
{
	bool is_object;
	read_signoffs(c, root, &c->default_policy, &is_object);
	if (get_duration(c, root, "signoff_within", false, &c->default_within_ms) && c->default_policy.count == 0)
		report_field(c, DIAG_WARNING, root, "signoff_within",
			"\"signoff_within\" has no effect: the default \"signoffs\" is 0, so gates take no signature");
}

/* A warning at FIELD of OBJ, when present, that it does nothing there. */
static void warn_no_effect(struct lctx *c, const cJSON *obj, const char *field, const char *why)
{
	if (!cJSON_GetObjectItemCaseSensitive(obj, field))
		return;
	char *msg = xasprintf("\"%s\" has no effect: %s", field, why);
	report_field(c, DIAG_WARNING, obj, field, msg);
	free(msg);
}

void load_section_policy(struct lctx *c, const cJSON *obj, struct checklist_section *s)
{
	policy_copy(&s->policy, &c->default_policy);
	bool is_object;
	read_signoffs(c, obj, &s->policy, &is_object);
	s->signoffs = s->policy.count;
	s->signoff_within_ms = c->default_within_ms;
	get_duration(c, obj, "signoff_within", false, &s->signoff_within_ms);
	if (!s->gate) {
		if (is_object)
			warn_no_effect(c, obj, "signoffs", "the section has \"gate\": false, so nothing is signed");
		warn_no_effect(c, obj, "signoff_within", "the section has \"gate\": false, so nothing is signed");
	} else if (s->always_open) {
		if (is_object)
			warn_no_effect(c, obj, "signoffs", "the section is always_open, so its gate holds nothing back");
		warn_no_effect(c, obj, "signoff_within", "the section is always_open, so its gate holds nothing back");
	} else if (s->policy.count == 0) {
		warn_no_effect(c, obj, "signoff_within", "the section takes no signature (its signoffs are 0)");
	}
	/* Only a gate that waits for signatures can be waited for too long. */
	if (!s->gate || s->always_open || s->policy.count == 0)
		s->signoff_within_ms = 0;
}
