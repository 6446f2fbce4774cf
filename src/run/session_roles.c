/* Engineers' roles in a session: granting and removing one with two other
 * engineers' PINs, the roster the sign-off rules read (who holds which
 * roles now), and the roles every signature carries. */
#include "countersign/session.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/store.h"
#include "countersign/util.h"
#include "run/session_internal.h"

struct session_roster {
	struct store_engineer *list;
	size_t n;
	struct engine_person *people;
	struct engine_roster roster;
};

void session_roster_destroy(struct session_roster *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		store_engineer_clear(&r->list[i]);
	free(r->list);
	free(r->people);
	free(r);
}

const struct engine_roster *session_roster(struct session *s)
{
	assert(s && s->st);
	/* Read afresh each time: a role granted or removed by another process
	 * counts from the next decision on. */
	session_roster_destroy(s->roster);
	s->roster = NULL;
	struct session_roster *r = xcalloc(1, sizeof(*r));
	if (store_list_engineers(s->st, &r->list, &r->n) != STORE_OK) {
		reporter_say(&s->report, "cannot read who holds which roles: %s", store_error(s->st));
		free(r);
		return NULL;
	}
	r->people = xcalloc(r->n + 1, sizeof(*r->people));
	for (size_t i = 0; i < r->n; i++)
		r->people[i] = (struct engine_person){.name = r->list[i].name,
			.roles = (const char *const *)r->list[i].roles, .n_roles = r->list[i].n_roles};
	r->roster = (struct engine_roster){.people = r->people, .n = r->n};
	s->roster = r;
	return &r->roster;
}

int session_check_role(const struct reporter *r, const char *role)
{
	if (store_role_valid(role))
		return CS_OK;
	reporter_say(r, "\"%s\" is not a valid role name: a lowercase letter, then lowercase letters, digits, '_' "
		"or '-', at most 32 characters (like dba or on-call)", role ? role : "");
	return CS_INVALID;
}

int session_check_role_approvers(const struct reporter *r, const char *name, const char *by1, const char *by2)
{
	if (!by1 || !by2 || !by1[0] || !by2[0]) {
		reporter_say(r, "a change of roles needs two other engineers who approve it, each with their PIN");
		return CS_REFUSED;
	}
	if (strcmp(by1, by2) == 0) {
		reporter_say(r, "a change of roles needs two different engineers; %s was named twice", by1);
		return CS_REFUSED;
	}
	if (strcmp(by1, name) == 0 || strcmp(by2, name) == 0) {
		reporter_say(r, "%s cannot approve a change of their own roles: two other engineers must", name);
		return CS_REFUSED;
	}
	return CS_OK;
}

/* The approvers' rules, and each with their PIN entered here. */
static int check_approvers(struct session *s, const char *name, const char *by1, const char *by2)
{
	int rc = session_check_role_approvers(&s->report, name, by1, by2);
	if (rc != CS_OK)
		return rc;
	const char *by[2] = {by1, by2};
	for (int i = 0; i < 2; i++) {
		if (!session_unlocked_key(s, by[i])) {
			/* every front end checks the PINs first: a program error */
			reporter_say(&s->report, "cannot record as %s: %s's PIN was not entered", by[i], by[i]);
			return CS_INVALID;
		}
	}
	return CS_OK;
}

int session_set_role(struct session *s, const char *name, const char *role, bool add, const char *by1,
	const char *by2)
{
	assert(s && s->st && name);
	int rc = session_check_role(&s->report, role);
	if (rc == CS_OK)
		rc = check_approvers(s, name, by1, by2);
	if (rc != CS_OK)
		return rc;
	const char *by[2] = {by1, by2};
	const struct sign_key *keys[2] = {session_unlocked_key(s, by1), session_unlocked_key(s, by2)};
	struct event origin;
	session_origin(&origin, by1);
	enum store_status st = store_set_role(s->st, name, role, add, by, keys, &origin);
	event_clear(&origin);
	if (st == STORE_OK)
		return CS_OK;
	if (st == STORE_NOT_FOUND) {
		reporter_say(&s->report, "%s; 'countersign engineer list' lists the engineers", store_error(s->st));
		return CS_INVALID;
	}
	if (st == STORE_REFUSED) {
		reporter_say(&s->report, "%s", store_error(s->st));
		return CS_REFUSED;
	}
	reporter_say(&s->report, "cannot record the change of roles: %s", store_error(s->st));
	return CS_ENV;
}

/* EV's payload with "roles" set to ROLES[0..N). */
static void set_payload_roles(struct event *ev, char *const *roles, size_t n)
{
	cJSON *p = cJSON_Parse(ev->payload ? ev->payload : "{}");
	if (!cJSON_IsObject(p)) {
		/* the store refuses a payload that is not an object, and says so */
		cJSON_Delete(p);
		return;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(p, "roles");
	cJSON *arr = cJSON_AddArrayToObject(p, "roles");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(roles[i]));
	char *text = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	if (!text)
		abort(); /* cJSON fails only when out of memory */
	free(ev->payload);
	ev->payload = xstrdup(text);
	cJSON_free(text);
}

int session_sign_roles(struct session *s, struct event *evs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct event *ev = &evs[i];
		if (!ev->kind || strcmp(ev->kind, EV_SIGNED) != 0 || !ev->actor)
			continue;
		struct store_engineer e = {0};
		enum store_status st = store_get_engineer(s->st, ev->actor, &e);
		if (st == STORE_OK)
			set_payload_roles(ev, e.roles, e.n_roles);
		store_engineer_clear(&e);
		/* an unknown signer is refused by the store when it appends */
		if (st != STORE_OK && st != STORE_NOT_FOUND) {
			reporter_say(&s->report, "cannot read the roles of %s: %s", ev->actor, store_error(s->st));
			return CS_ENV;
		}
	}
	return CS_OK;
}
