/* Engineers' roles: the engineers.roles column (schema 5), a JSON array of
 * role names kept sorted, changed only by role_granted and role_removed
 * events of the engineers chain, each approved and signed by two engineers
 * other than the one whose roles change; and the check, inside every
 * append, that a signature claims its signer's current roles. */
#include "store_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/checklist.h"
#include "countersign/clock.h"
#include "countersign/util.h"

#define ROLE_MAX_LENGTH 32

bool store_role_valid(const char *role)
{
	/* The one rule, shared with the checklists' sign-off policies. */
	return checklist_role_valid(role);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void store_roles_free(char **roles, size_t n)
{
	for (size_t i = 0; roles && i < n; i++)
		free(roles[i]);
	free(roles);
}

/* Sorts ROLES[0..*N) and drops repeated names. */
static void roles_normalise(char **roles, size_t *n)
{
	if (*n < 2)
		return;
	qsort(roles, *n, sizeof(*roles), compare_names);
	size_t k = 1;
	for (size_t i = 1; i < *n; i++) {
		if (strcmp(roles[i], roles[k - 1]) == 0)
			free(roles[i]);
		else
			roles[k++] = roles[i];
	}
	*n = k;
}

/* The strings of the JSON array ARR into *OUT, normalised; false (none)
 * when ARR is not an array of strings. */
static bool roles_from_json(const cJSON *arr, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!cJSON_IsArray(arr))
		return false;
	const cJSON *item;
	cJSON_ArrayForEach(item, arr)
		if (!cJSON_IsString(item))
			return false;
	size_t count = (size_t)cJSON_GetArraySize(arr);
	char **roles = xcalloc(count + 1, sizeof(*roles));
	size_t k = 0;
	cJSON_ArrayForEach(item, arr)
		roles[k++] = xstrdup(item->valuestring);
	roles_normalise(roles, &k);
	*out = roles;
	*n = k;
	return true;
}

bool store_roles_parse(const char *text, char ***out, size_t *n)
{
	cJSON *arr = cJSON_Parse(text ? text : "");
	bool ok = roles_from_json(arr, out, n);
	cJSON_Delete(arr);
	return ok;
}

char *store_roles_text(char *const *roles, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(roles[i]));
	char *text = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	if (!text)
		abort(); /* cJSON fails only when out of memory */
	char *copy = xstrdup(text);
	cJSON_free(text);
	return copy;
}

/* "dba, sre", or "none" (malloc'd). */
static char *roles_words(char *const *roles, size_t n)
{
	struct strbuf b = {0};
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&b, "%s%s", i ? ", " : "", roles[i]);
	if (!b.len)
		return xstrdup("none");
	return strbuf_detach(&b);
}

/* NAME's roles as the table says now, inside the caller's transaction;
 * STORE_NOT_FOUND for an unknown NAME. */
static enum store_status read_roles(struct store *st, const char *name, char ***roles, size_t *n)
{
	*roles = NULL;
	*n = 0;
	char *text = NULL;
	enum store_status s = store_engineer_column(st, name, "roles", &text);
	if (s == STORE_OK && !store_roles_parse(text, roles, n)) {
		store_set_err(st, "the roles recorded for %s are not a list of names: the database was damaged "
			"or edited; run 'countersign verify'", name);
		s = STORE_REFUSED;
	}
	free(text);
	return s;
}

static bool same_roles(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

enum store_status store_check_signed_roles(struct store *st, const struct event *ev)
{
	if (!ev->kind || strcmp(ev->kind, EV_SIGNED) != 0)
		return STORE_OK;
	cJSON *p = cJSON_Parse(ev->payload ? ev->payload : "{}");
	const cJSON *claimed_json = cJSON_GetObjectItemCaseSensitive(p, "roles");
	char **claimed = NULL, **current = NULL;
	size_t n_claimed = 0, n_current = 0;
	enum store_status s = STORE_OK;
	if (claimed_json && !roles_from_json(claimed_json, &claimed, &n_claimed)) {
		store_set_err(st, "the signature of %s names its roles wrongly (not a list of names)", ev->actor);
		s = STORE_REFUSED;
	}
	if (s == STORE_OK)
		s = read_roles(st, ev->actor, &current, &n_current);
	if (s == STORE_OK && !same_roles(claimed, n_claimed, current, n_current)) {
		char *now = roles_words(current, n_current), *said = roles_words(claimed, n_claimed);
		store_set_err(st, "the roles of %s changed meanwhile (now %s; the signature was made with %s); "
			"sign again", ev->actor, now, said);
		free(now);
		free(said);
		s = STORE_REFUSED;
	}
	store_roles_free(claimed, n_claimed);
	store_roles_free(current, n_current);
	cJSON_Delete(p);
	return s;
}

static enum store_status write_roles(struct store *st, const char *name, char *const *roles, size_t n)
{
	struct db_stmt *stmt = store_stmt(st, "UPDATE engineers SET roles = ?2 WHERE name = ?1");
	if (!stmt)
		return store_last_failure(st);
	char *text = store_roles_text(roles, n);
	store_bind_str(stmt, 1, name);
	store_bind_str(stmt, 2, text);
	enum store_status s = STORE_OK;
	enum db_rc rc = db_step(stmt);
	if (rc != DB_DONE)
		s = store_fail(st, rc, "cannot record the engineer's roles");
	db_finalize(stmt);
	free(text);
	return s;
}

/* {role, by: [A, B], heads} as malloc'd JSON text into *OUT. */
static enum store_status role_payload(struct store *st, const char *role, const char *const by[2], char **out)
{
	cJSON *obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "role", role);
	cJSON *who = cJSON_AddArrayToObject(obj, "by");
	cJSON_AddItemToArray(who, cJSON_CreateString(by[0]));
	cJSON_AddItemToArray(who, cJSON_CreateString(by[1]));
	enum store_status s = store_add_heads(st, obj);
	char *text = s == STORE_OK ? cJSON_PrintUnformatted(obj) : NULL;
	cJSON_Delete(obj);
	if (s != STORE_OK)
		return s;
	if (!text)
		abort();
	*out = xstrdup(text);
	cJSON_free(text);
	return STORE_OK;
}

/* The checks and writes of store_set_role, inside its transaction. */
static enum store_status set_role_locked(struct store *st, const char *name, const char *role, bool add,
	const char *const by[2], struct event *ev)
{
	char **roles = NULL;
	size_t n = 0;
	enum store_status s = read_roles(st, name, &roles, &n);
	if (s != STORE_OK)
		return s;
	size_t at = n;
	for (size_t i = 0; i < n; i++)
		if (strcmp(roles[i], role) == 0)
			at = i;
	if (add && at < n) {
		store_set_err(st, "%s already holds the role %s; nothing was recorded", name, role);
		s = STORE_REFUSED;
	} else if (!add && at == n) {
		store_set_err(st, "%s does not hold the role %s; nothing was recorded", name, role);
		s = STORE_REFUSED;
	}
	if (s == STORE_OK)
		s = role_payload(st, role, by, &ev->payload);
	/* The approvers' keys are checked against their rows and sign here. */
	if (s == STORE_OK)
		s = store_append_locked(st, EVENT_CHAIN_ENGINEERS, ev, 1, NULL, 0);
	if (s == STORE_OK && add) {
		roles = xreallocarray(roles, n + 1, sizeof(*roles));
		roles[n++] = xstrdup(role);
		roles_normalise(roles, &n);
	} else if (s == STORE_OK) {
		free(roles[at]);
		memmove(&roles[at], &roles[at + 1], (n - at - 1) * sizeof(*roles));
		n--;
	}
	if (s == STORE_OK)
		s = write_roles(st, name, roles, n);
	store_roles_free(roles, n);
	return s;
}

/* The rules that need no database: a valid role, two approvers, neither
 * the engineer whose roles change. */
static enum store_status role_args(struct store *st, const char *name, const char *role, const char *const by[2],
	const struct sign_key *const keys[2])
{
	if (!store_role_valid(role)) {
		store_set_err(st, "\"%s\" is not a valid role name: a lowercase letter, then lowercase letters, digits, "
			"'_' or '-', at most %d characters", role ? role : "", ROLE_MAX_LENGTH);
		return STORE_FAILED;
	}
	if (!by[0] || !by[1] || !by[0][0] || !by[1][0] || !keys[0] || !keys[1]) {
		store_set_err(st, "a change of roles needs two engineers who approve it, each with their PIN");
		return STORE_REFUSED;
	}
	if (strcmp(by[0], by[1]) == 0) {
		store_set_err(st, "a change of roles needs two different engineers; %s was named twice", by[0]);
		return STORE_REFUSED;
	}
	for (int i = 0; i < 2; i++) {
		if (strcmp(by[i], name) == 0) {
			store_set_err(st, "%s cannot approve a change of their own roles: two other engineers must", name);
			return STORE_REFUSED;
		}
	}
	return STORE_OK;
}

enum store_status store_set_role(struct store *st, const char *name, const char *role, bool add,
	const char *const by[2], const struct sign_key *const keys[2], const struct event *origin)
{
	assert(st && name && by && keys);
	enum store_status s = role_args(st, name, role, by, keys);
	if (s != STORE_OK)
		return s;
	struct event ev = {0};
	if (origin) {
		ev.time_us = origin->time_us;
		ev.os_user = origin->os_user;
		ev.host = origin->host;
		ev.tty = origin->tty;
	}
	ev.actor = (char *)by[0];
	ev.kind = (char *)(add ? EV_ROLE_GRANTED : EV_ROLE_REMOVED);
	ev.target = (char *)name;
	for (int i = 0; i < 2; i++) {
		ev.signers[i] = keys[i];
		ev.signer_names[i] = by[i];
	}
	s = store_begin(st, true, "cannot record the engineer's roles");
	if (s != STORE_OK)
		return s;
	if (ev.time_us == 0)
		ev.time_us = clock_wall_us();
	s = set_role_locked(st, name, role, add, by, &ev);
	if (s == STORE_OK)
		s = store_commit(st, "cannot commit the engineer's roles");
	else
		store_rollback(st);
	free(ev.sigs);
	free(ev.payload);
	return s;
}
