/* Verification of roles: the engineers chain's role_granted and
 * role_removed folded into each engineer's holdings (each approved and
 * signed by two engineers other than the one whose roles change), the
 * roles column against them, and every signature's claimed roles held
 * when it was recorded, by position in the record (the heads a role event
 * carries), as a key's replacement bounds what the old key signed. */
#include "store_verify_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

void verify_roles_clear(struct verify_engineer *e)
{
	for (size_t i = 0; i < e->n_roles; i++) {
		free(e->roles[i].role);
		cJSON_Delete(e->roles[i].granted_runs);
		cJSON_Delete(e->roles[i].removed_runs);
	}
	free(e->roles);
	e->roles = NULL;
	e->n_roles = 0;
}

static bool fail_roles(struct verifier *v, const struct event *ev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool fail_roles(struct verifier *v, const struct event *ev, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	char *name = verify_event_name(v, ev);
	verify_fail(v, ev->seq, "%s: %s", name, what);
	free(name);
	free(what);
	return false;
}

/* E's holding of ROLE that has not ended, or NULL. */
static struct verify_role *held(struct verify_engineer *e, const char *role)
{
	for (size_t i = 0; i < e->n_roles; i++)
		if (e->roles[i].removed_seq == 0 && strcmp(e->roles[i].role, role) == 0)
			return &e->roles[i];
	return NULL;
}

/* The two approvers "by" of role event payload P: two different names,
 * neither TARGET, the actor one of them; false (failed) otherwise. */
static bool approvers(struct verifier *v, const struct event *ev, const cJSON *p, const char *by[2])
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(p, "by");
	const cJSON *a = cJSON_GetArrayItem(list, 0), *b = cJSON_GetArrayItem(list, 1);
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) != 2 || !cJSON_IsString(a) || !cJSON_IsString(b))
		return fail_roles(v, ev, "a change of roles names the two engineers who approved it; this one does not "
			"(the event was not made by countersign)");
	by[0] = a->valuestring;
	by[1] = b->valuestring;
	if (strcmp(by[0], by[1]) == 0)
		return fail_roles(v, ev, "approved by %s twice: a change of roles needs two different engineers (the "
			"event was not made by countersign)", by[0]);
	if (strcmp(by[0], ev->target) == 0 || strcmp(by[1], ev->target) == 0)
		return fail_roles(v, ev, "%s approved a change of their own roles: two other engineers must (the event "
			"was not made by countersign)", ev->target);
	if (strcmp(ev->actor, by[0]) != 0 && strcmp(ev->actor, by[1]) != 0)
		return fail_roles(v, ev, "recorded by %s, who is not one of its approvers %s and %s (the event was not "
			"made by countersign)", ev->actor, by[0], by[1]);
	return true;
}

/* Each of BY signed EV (each signature it carries was checked already). */
static bool signed_by_both(struct verifier *v, const struct event *ev, const char *const by[2])
{
	struct sign_entry *s = NULL;
	size_t n = 0;
	const char *why = NULL;
	bool found[2] = {false, false};
	if (ev->sigs && ev->sigs[0] && sign_entries_parse(ev->sigs, &s, &n, &why))
		for (size_t i = 0; i < n; i++)
			for (int k = 0; k < 2; k++)
				found[k] |= strcmp(s[i].by, by[k]) == 0;
	sign_entries_free(s, n);
	for (int k = 0; k < 2; k++)
		if (!found[k])
			return fail_roles(v, ev, "carries no signature by %s, whom it names as approving it (the change of "
				"roles was forged)", by[k]);
	return true;
}

/* Folds the checked role event EV of payload P into E. */
static bool fold_role(struct verifier *v, const struct event *ev, const cJSON *p, struct verify_engineer *e,
	const char *role, bool grant)
{
	int64_t registry = 0;
	cJSON *runs = NULL;
	if (!verify_read_heads(p, &registry, &runs))
		return fail_roles(v, ev, "it does not say how far the record went when the role changed (its \"heads\" "
			"are missing or malformed; the record was altered)");
	struct verify_role *r = held(e, role);
	if (grant && r) {
		cJSON_Delete(runs);
		return fail_roles(v, ev, "grants %s the role %s, which %s held already since engineers event %" PRId64
			" (the event was not made by countersign)", e->name, role, e->name, r->granted_seq);
	}
	if (!grant && !r) {
		cJSON_Delete(runs);
		return fail_roles(v, ev, "removes the role %s of %s, who did not hold it (the event was not made by "
			"countersign)", role, e->name);
	}
	if (!grant) {
		r->removed_seq = ev->seq;
		r->removed_registry = registry;
		r->removed_runs = runs;
		return true;
	}
	e->roles = xreallocarray(e->roles, e->n_roles + 1, sizeof(*e->roles));
	e->roles[e->n_roles++] = (struct verify_role){.role = xstrdup(role), .granted_seq = ev->seq,
		.granted_registry = registry, .granted_runs = runs};
	return true;
}

bool verify_role_event(struct verifier *v, const struct event *ev)
{
	bool grant = strcmp(ev->kind, EV_ROLE_GRANTED) == 0;
	struct verify_engineer *e = verify_engineer_find(v, ev->target);
	if (!e)
		return fail_roles(v, ev, "%s was never registered", ev->target);
	cJSON *p = cJSON_Parse(ev->payload);
	const cJSON *role = cJSON_GetObjectItemCaseSensitive(p, "role");
	const char *by[2] = {NULL, NULL};
	bool ok = true;
	if (!cJSON_IsString(role) || !store_role_valid(role->valuestring))
		ok = fail_roles(v, ev, "it names no valid role (the event was not made by countersign)");
	ok = ok && approvers(v, ev, p, by) && signed_by_both(v, ev, by) &&
		fold_role(v, ev, p, e, role->valuestring, grant);
	cJSON_Delete(p);
	return ok;
}

/* Why E did not hold ROLE when EV was recorded (malloc'd), or NULL when it
 * did: some holding began before EV and had not ended. */
static char *not_held(struct verifier *v, const struct event *ev, const struct verify_engineer *e, const char *role)
{
	const struct verify_role *later = NULL, *ended = NULL;
	for (size_t i = 0; i < e->n_roles; i++) {
		const struct verify_role *r = &e->roles[i];
		if (strcmp(r->role, role) != 0)
			continue;
		if (verify_recorded_before(v, ev, r->granted_seq, r->granted_registry, r->granted_runs)) {
			later = later ? later : r;
			continue;
		}
		if (!r->removed_seq || verify_recorded_before(v, ev, r->removed_seq, r->removed_registry, r->removed_runs))
			return NULL;
		ended = r;
	}
	if (ended)
		return xasprintf("the role was removed (engineers event %" PRId64 ") before this signature was recorded",
			ended->removed_seq);
	if (later)
		return xasprintf("the role was granted only after this signature was recorded (engineers event %" PRId64
			")", later->granted_seq);
	return xasprintf("the engineers chain never gave %s that role", e->name);
}

bool verify_signed_roles(struct verifier *v, const struct event *ev)
{
	if (strcmp(ev->kind, EV_SIGNED) != 0)
		return true;
	cJSON *p = cJSON_Parse(ev->payload);
	const cJSON *roles = cJSON_GetObjectItemCaseSensitive(p, "roles"), *role;
	bool ok = true;
	if (roles && !cJSON_IsArray(roles))
		ok = fail_roles(v, ev, "its roles are not a list of role names (the record was altered)");
	struct verify_engineer *e = ok && roles ? verify_engineer_find(v, ev->actor) : NULL;
	const cJSON *list = ok ? roles : NULL;
	cJSON_ArrayForEach(role, list) {
		if (!cJSON_IsString(role)) {
			ok = fail_roles(v, ev, "its roles are not a list of role names (the record was altered)");
			break;
		}
		char *why = e ? not_held(v, ev, e, role->valuestring)
			: xasprintf("the engineers chain never registered %s", ev->actor);
		if (why) {
			ok = fail_roles(v, ev, "%s signed as holding the role %s, which %s did not hold then: %s", ev->actor,
				role->valuestring, ev->actor, why);
			free(why);
			break;
		}
	}
	cJSON_Delete(p);
	return ok;
}

bool verify_roles_row(struct verifier *v, const struct verify_engineer *e, const char *roles)
{
	char **want = xcalloc(e->n_roles + 1, sizeof(*want));
	size_t n = 0;
	for (size_t i = 0; i < e->n_roles; i++)
		if (e->roles[i].removed_seq == 0)
			want[n++] = e->roles[i].role;
	/* Held roles are distinct (a grant of a held role fails): sorting is
	 * all the table's order needs. */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && strcmp(want[k - 1], want[k]) > 0; k--) {
			char *t = want[k];
			want[k] = want[k - 1];
			want[k - 1] = t;
		}
	char *text = store_roles_text(want, n);
	free(want);
	bool ok = strcmp(text, roles) == 0 || verify_fail(v, 0, "the engineers table disagrees with the engineers "
		"chain: %s's roles are %s, the chain gives %s %s (the table was edited)", e->name, roles, e->name, text);
	free(text);
	return ok;
}
