/* Verification of signatures: the engineers chain folded into each
 * engineer's keys (engineer_added and key_enrolled bring a key signed by
 * itself, key_rotated replaces it with a signature by the one it replaces),
 * and every signature an event carries checked against the key its signer
 * had when the event was recorded. */
#include "store_verify_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

struct verify_engineer *verify_engineer_find(struct verifier *v, const char *name)
{
	for (size_t i = 0; i < v->n_engineers; i++)
		if (strcmp(v->engineers[i].name, name) == 0)
			return &v->engineers[i];
	return NULL;
}

void verify_keys_clear(struct verifier *v)
{
	for (size_t i = 0; i < v->n_engineers; i++) {
		free(v->engineers[i].name);
		free(v->engineers[i].full_name);
		for (size_t k = 0; k < v->engineers[i].n_keys; k++) {
			cJSON_Delete(v->engineers[i].keys[k].until_runs);
			cJSON_Delete(v->engineers[i].keys[k].since_runs);
		}
		free(v->engineers[i].keys);
		verify_roles_clear(&v->engineers[i]);
	}
	free(v->engineers);
	v->engineers = NULL;
	v->n_engineers = 0;
}

static const struct verify_key *key_of(const struct verify_engineer *e, const char *pub)
{
	for (size_t i = 0; i < e->n_keys; i++)
		if (strcmp(e->keys[i].pub, pub) == 0)
			return &e->keys[i];
	return NULL;
}

static struct verify_key *current_key(struct verify_engineer *e)
{
	return e->n_keys && e->keys[e->n_keys - 1].until_seq == 0 ? &e->keys[e->n_keys - 1] : NULL;
}

/* The "heads" of key event payload P (how far the record went when it was
 * recorded) into REGISTRY and a copy of its runs; false when it has none. */
bool verify_read_heads(const cJSON *p, int64_t *registry, cJSON **runs)
{
	const cJSON *heads = cJSON_GetObjectItemCaseSensitive(p, "heads");
	const cJSON *reg = cJSON_GetObjectItemCaseSensitive(heads, "registry");
	const cJSON *open = cJSON_GetObjectItemCaseSensitive(heads, "runs");
	if (!cJSON_IsNumber(reg) || reg->valuedouble < 0 || !cJSON_IsObject(open))
		return false;
	*registry = (int64_t)reg->valuedouble;
	*runs = cJSON_Duplicate(open, true);
	return true;
}

static void add_key(struct verify_engineer *e, const char *pub, const struct sign_params *p, const struct event *ev,
	const cJSON *payload)
{
	e->keys = xreallocarray(e->keys, e->n_keys + 1, sizeof(*e->keys));
	struct verify_key *k = &e->keys[e->n_keys++];
	memset(k, 0, sizeof(*k));
	snprintf(k->pub, sizeof(k->pub), "%s", pub);
	k->params = *p;
	k->seq = ev->seq;
	k->has_since = verify_read_heads(payload, &k->since_registry, &k->since_runs);
}

/* Fails with "NAME_OF_EV: WHAT" (WHAT formatted by the caller). */
static bool fail_event(struct verifier *v, const struct event *ev, const char *what)
{
	char *name = verify_event_name(v, ev);
	verify_fail(v, ev->seq, "%s: %s", name, what);
	free(name);
	return false;
}

static bool fail_eventf(struct verifier *v, const struct event *ev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool fail_eventf(struct verifier *v, const struct event *ev, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	fail_event(v, ev, what);
	free(what);
	return false;
}

/* Whether EV, of the chain being checked, was recorded before a key event
 * whose heads are REGISTRY and RUNS and whose seq in the engineers chain is
 * ENGINEERS_SEQ: in the engineers chain, before it; in a run open then,
 * within the events it had; in any other run, one registered and ended by
 * then. Positions in the record, not times, which a clock can get wrong. */
bool verify_recorded_before(const struct verifier *v, const struct event *ev, int64_t engineers_seq,
	int64_t registry, const cJSON *runs)
{
	if (strcmp(v->chain, EVENT_CHAIN_ENGINEERS) == 0)
		return ev->seq < engineers_seq;
	const cJSON *open = cJSON_GetObjectItemCaseSensitive(runs, v->chain);
	if (open)
		return cJSON_IsNumber(open) && ev->seq <= (int64_t)open->valuedouble;
	const struct verify_reg_run *r = verify_registry_find(v, v->chain);
	return r && r->reg_seq && r->reg_seq <= registry && r->end_seq && r->end_seq <= registry &&
		ev->seq <= r->end_events;
}

/* One signature of EV: by a registered engineer, with a key the engineers
 * chain gave them and had not replaced when EV was recorded, and valid. */
static bool check_entry(struct verifier *v, const struct event *ev, const struct sign_entry *s)
{
	struct verify_engineer *eng = verify_engineer_find(v, s->by);
	if (!eng)
		return fail_eventf(v, ev, "carries a signature by %s, whom the engineers chain never registered "
			"(the signature was forged)", s->by);
	const struct verify_key *k = key_of(eng, s->key);
	if (!k)
		return fail_eventf(v, ev, "carries a signature by %s with a key the engineers chain never gave %s "
			"(the signature was forged)", s->by, s->by);
	/* The rotation itself is signed by the key it replaces: seq + 1. */
	if (k->until_seq && !verify_recorded_before(v, ev, k->until_seq + 1, k->until_registry, k->until_runs))
		return fail_eventf(v, ev, "signed with a key of %s's that was replaced (engineers event %" PRId64
			", key_rotated) before this event was recorded, whatever time it claims: whoever signed knew %s's "
			"old PIN", s->by, k->until_seq, s->by);
	if (!sign_verify(s->key, ev->hash, s->sig))
		return fail_eventf(v, ev, "%s's signature does not verify (the event was forged or altered)", s->by);
	return true;
}

/* The same string field of two JSON objects. */
static bool same_text(const cJSON *a, const cJSON *b, const char *field)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, field), *y = cJSON_GetObjectItemCaseSensitive(b, field);
	return cJSON_IsString(x) && cJSON_IsString(y) && strcmp(x->valuestring, y->valuestring) == 0;
}

/* The override request REQ_SEQ answers (NULL, failed, when it is none or
 * is for another section, reason or incident than override P). */
static const struct verify_request *answered(struct verifier *v, const struct event *ev, const cJSON *p,
	int64_t req_seq)
{
	const struct verify_request *r = NULL;
	for (size_t i = 0; i < v->n_requests && !r; i++)
		if (v->requests[i].seq == req_seq)
			r = &v->requests[i];
	if (!r) {
		fail_eventf(v, ev, "it answers event %" PRId64 ", which is no override request", req_seq);
		return NULL;
	}
	cJSON *q = cJSON_Parse(r->payload);
	bool same = strcmp(r->target, ev->target) == 0 && same_text(p, q, "reason") && same_text(p, q, "incident");
	cJSON_Delete(q);
	if (!same) {
		fail_eventf(v, ev, "it answers the override request of event %" PRId64 " by %s, which was for %s with "
			"its own reason and incident, not this one", req_seq, r->actor, r->target);
		return NULL;
	}
	return r;
}

/* The engineers override P names: two different ones, its author among
 * them; false (failed) otherwise. */
static bool two_engineers(struct verifier *v, const struct event *ev, const cJSON *names)
{
	const cJSON *a = cJSON_GetArrayItem(names, 0), *b = cJSON_GetArrayItem(names, 1);
	bool ok = cJSON_IsArray(names) && cJSON_GetArraySize(names) == 2 && cJSON_IsString(a) && cJSON_IsString(b) &&
		strcmp(a->valuestring, b->valuestring) != 0 &&
		(strcmp(a->valuestring, ev->actor) == 0 || strcmp(b->valuestring, ev->actor) == 0);
	return ok || fail_eventf(v, ev, "an override is agreed by two different engineers, %s one of them; it "
		"does not name two (the event was not made by countersign)", ev->actor);
}

/* An override: two engineers, each of whom signed it or (REQUEST_SEQ)
 * made the signed override_requested it answers. */
static bool check_override(struct verifier *v, const struct event *ev, const struct sign_entry *s, size_t n)
{
	cJSON *p = cJSON_Parse(ev->payload);
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(p, "engineers");
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(p, "request_seq");
	const struct verify_request *r = NULL;
	bool ok = two_engineers(v, ev, names) && (!cJSON_IsNumber(req) ||
		(r = answered(v, ev, p, (int64_t)req->valuedouble)) != NULL);
	const cJSON *name;
	cJSON_ArrayForEach(name, names) {
		if (!ok)
			break;
		bool found = r && r->signed_by_actor && strcmp(r->actor, name->valuestring) == 0;
		for (size_t i = 0; i < n && !found; i++)
			found = strcmp(s[i].by, name->valuestring) == 0;
		if (!found)
			ok = fail_eventf(v, ev, "carries no signature by %s, whom it names as agreeing to it%s",
				name->valuestring, r ? " (nor did they make the signed request it answers)" : "");
	}
	cJSON_Delete(p);
	return ok;
}

static void count_unsigned(struct verifier *v)
{
	v->cur->unsigned_events++;
	if (v->listed)
		v->out->unsigned_events++;
}

/* EV carries no signature. Fine when it needs none; counted when it was
 * recorded before signatures; else a failure. */
static bool check_unsigned(struct verifier *v, const struct event *ev, bool needs)
{
	if (!needs)
		return true;
	if (ev->seq > v->unsigned_through)
		return fail_eventf(v, ev, "carries no signature by %s", ev->actor);
	/* Whoever has a key signs with it: an unsigned event of theirs recorded
	 * after they had one lost its signature, whatever registry_opened
	 * (which a writer could rewrite) allows. */
	const struct verify_engineer *e = verify_engineer_find(v, ev->actor);
	const struct verify_key *first = e && e->n_keys ? &e->keys[0] : NULL;
	if (first && first->has_since && !verify_recorded_before(v, ev, first->seq, first->since_registry, first->since_runs))
		return fail_eventf(v, ev, "carries no signature by %s, who had a key since engineers event %" PRId64
			" (its signature was removed)", ev->actor, e->keys[0].seq);
	count_unsigned(v);
	return true;
}

/* The signatures of EV: each valid, by the actor when it needs one, and
 * (NEED_BY) one by NEED_BY with key NEED_KEY, WHAT in the message. */
static bool check_sigs(struct verifier *v, const struct event *ev, const char *need_by, const char *need_key,
	const char *what)
{
	bool needs = event_needs_signature(v->chain, ev);
	bool is_request = strcmp(ev->kind, EV_OVERRIDE_REQUESTED) == 0;
	struct sign_entry *s = NULL;
	size_t n = 0;
	const char *why = NULL;
	bool ok = true, by_actor = false, by_needed = false;
	if (!ev->sigs || !ev->sigs[0]) {
		ok = need_by ? fail_eventf(v, ev, "not signed by %s's %s", need_by, what) : check_unsigned(v, ev, needs);
	} else if (ev->seq <= v->unsigned_through) {
		/* Nothing was signed before signatures existed: registry_opened
		 * (unsigned, so rewritable) was made to cover signed events, which
		 * would let "system" or an unregistered name record anything. */
		ok = fail_eventf(v, ev, "carries a signature, yet registry_opened's unsigned_through says the chain's "
			"first %" PRId64 " events were recorded before signatures existed (the registry chain was altered)",
			v->unsigned_through);
	} else if (!sign_entries_parse(ev->sigs, &s, &n, &why)) {
		ok = fail_eventf(v, ev, "its signatures cannot be read (%s; the record was altered)", why);
	} else {
		/* A key event names the key that must sign it: its absence is the
		 * failure to report, before whatever else was put in its place. */
		for (size_t i = 0; i < n; i++)
			by_needed |= need_by && strcmp(s[i].by, need_by) == 0 && strcmp(s[i].key, need_key) == 0;
		if (need_by && !by_needed)
			ok = fail_eventf(v, ev, "not signed by %s's %s", need_by, what);
		for (size_t i = 0; i < n && ok; i++) {
			ok = check_entry(v, ev, &s[i]);
			by_actor |= strcmp(s[i].by, ev->actor) == 0;
		}
		if (ok && needs && !by_actor)
			ok = fail_eventf(v, ev, "carries no signature by %s", ev->actor);
		else if (ok && ev->seq > v->unsigned_through && strcmp(ev->kind, EV_OVERRIDE) == 0)
			ok = check_override(v, ev, s, n);
	}
	if (ok && is_request) {
		v->requests = xreallocarray(v->requests, v->n_requests + 1, sizeof(*v->requests));
		v->requests[v->n_requests++] = (struct verify_request){.seq = ev->seq, .actor = xstrdup(ev->actor),
			.target = xstrdup(ev->target), .payload = xstrdup(ev->payload), .signed_by_actor = by_actor};
	}
	sign_entries_free(s, n);
	return ok;
}

/* What the program records in a run as "system", which signs nothing: a
 * run's completion, a failed notification, a gate waiting for its
 * signatures, and a check it found interrupted (verdict error). Anything
 * else by system since signatures began was written by someone else,
 * unsigned. */
static bool system_may_record(const struct event *ev)
{
	if (strcmp(ev->kind, EV_RUN_COMPLETED) == 0 || strcmp(ev->kind, EV_NOTIFY_FAILED) == 0 ||
		strcmp(ev->kind, EV_GATE_WAITING) == 0)
		return true;
	if (strcmp(ev->kind, EV_CHECK_FINISHED) != 0)
		return false;
	cJSON *p = cJSON_Parse(ev->payload);
	const cJSON *verdict = cJSON_GetObjectItemCaseSensitive(p, "verdict");
	bool ok = cJSON_IsString(verdict) && strcmp(verdict->valuestring, "error") == 0;
	cJSON_Delete(p);
	return ok;
}

bool verify_signatures(struct verifier *v, const struct event *ev)
{
	if (strcmp(ev->actor, "system") == 0 && ev->seq > v->unsigned_through &&
		strcmp(v->chain, EVENT_CHAIN_ENGINEERS) != 0 && !system_may_record(ev))
		return fail_event(v, ev, "recorded as system, which signs nothing and records in a run only its "
			"completion, a failed notification or a check found interrupted (the event was not made by "
			"countersign)");
	return check_sigs(v, ev, NULL, NULL, NULL);
}

/* The "key" of a key event's payload P into PUB and PARAMS: false when it
 * is malformed, or missing and REQUIRED (then failed); *HAS says whether
 * there was one. */
static bool payload_key(struct verifier *v, const struct event *ev, const cJSON *p, bool required,
	char pub[SIGN_KEY_HEX], struct sign_params *params, bool *has)
{
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(p, "key");
	*has = key != NULL;
	if (!key)
		return !required || fail_eventf(v, ev, "carries no key (%s)", strcmp(ev->kind, EV_ENGINEER_ADDED) == 0
			? "an engineer registered since signatures began has one" : "it is the key's only record");
	const char *why = NULL;
	if (!sign_key_from_json(key, pub, params, &why))
		return fail_eventf(v, ev, "its key cannot be read (%s)", why);
	return true;
}

static bool engineer_added(struct verifier *v, const struct event *ev, const cJSON *p)
{
	const struct verify_engineer *was = verify_engineer_find(v, ev->target);
	/* countersign registers short ASCII names only, never "system": a
	 * name that only looks like another's (or the program's) was
	 * registered by someone else. Before signatures, names are taken as
	 * they were. */
	if (ev->seq > v->unsigned_through && (!event_valid_engineer_name(ev->target) ||
		strcmp(ev->target, "system") == 0))
		return fail_eventf(v, ev, "\"%s\" is not a name countersign registers (lowercase ASCII letters, digits, "
			"'-', '_' or '.', not \"system\"): someone else registered it, perhaps to pass for another "
			"engineer", ev->target);
	if (was)
		return fail_eventf(v, ev, "%s was already registered (event %" PRId64 "; a name is never reused)",
			ev->target, was->added_seq);
	char pub[SIGN_KEY_HEX];
	struct sign_params params;
	bool has = false;
	if (!payload_key(v, ev, p, ev->seq > v->unsigned_through, pub, &params, &has))
		return false;
	v->engineers = xreallocarray(v->engineers, v->n_engineers + 1, sizeof(*v->engineers));
	struct verify_engineer *e = &v->engineers[v->n_engineers++];
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(ev->target);
	const cJSON *full = cJSON_GetObjectItemCaseSensitive(p, "full_name");
	e->full_name = xstrdup(cJSON_IsString(full) ? full->valuestring : "");
	e->added_seq = ev->seq;
	if (has)
		add_key(e, pub, &params, ev, p);
	return has ? check_sigs(v, ev, e->name, pub, "new key") : verify_signatures(v, ev);
}

/* key_enrolled (ROTATE false) or key_rotated. */
/* Whether EV carries a signature by BY with key PUB (each signature it
 * carries was checked already); fails otherwise. */
static bool signed_with(struct verifier *v, const struct event *ev, const char *by, const char *pub)
{
	struct sign_entry *s = NULL;
	size_t n = 0;
	const char *why = NULL;
	bool found = false;
	if (sign_entries_parse(ev->sigs, &s, &n, &why))
		for (size_t i = 0; i < n && !found; i++)
			found = strcmp(s[i].by, by) == 0 && strcmp(s[i].key, pub) == 0;
	sign_entries_free(s, n);
	return found || fail_eventf(v, ev, "not signed by the new key it gives %s (the rotation was forged)", by);
}

static bool new_key(struct verifier *v, const struct event *ev, const cJSON *p, bool rotate)
{
	struct verify_engineer *e = verify_engineer_find(v, ev->target);
	if (!e)
		return fail_eventf(v, ev, "%s was never registered", ev->target);
	struct verify_key *cur = current_key(e);
	if (!rotate && cur)
		return fail_eventf(v, ev, "%s already has a key (a key is enrolled once, by an engineer registered "
			"before signatures)", e->name);
	if (rotate && !cur)
		return fail_eventf(v, ev, "%s has no key to replace", e->name);
	char pub[SIGN_KEY_HEX], old[SIGN_KEY_HEX];
	struct sign_params params;
	bool has = false;
	if (!payload_key(v, ev, p, true, pub, &params, &has))
		return false;
	if (!rotate) {
		add_key(e, pub, &params, ev, p);
		return check_sigs(v, ev, e->name, pub, "new key");
	}
	/* Signed by the key it replaces, which was current until now, and by
	 * the new one (known to the engineer from here on); its heads bound
	 * what the old key signed. */
	size_t was = (size_t)(cur - e->keys);
	snprintf(old, sizeof(old), "%s", cur->pub);
	add_key(e, pub, &params, ev, p);
	if (!check_sigs(v, ev, e->name, old, "current key") || !signed_with(v, ev, e->name, pub))
		return false;
	struct verify_key *replaced = &e->keys[was];
	if (!verify_read_heads(p, &replaced->until_registry, &replaced->until_runs))
		return fail_event(v, ev, "it does not say how far the record went when the key was replaced (its "
			"\"heads\" are missing or malformed; the record was altered)");
	replaced->until_seq = ev->seq;
	return true;
}

bool verify_keys_event(struct verifier *v, const struct event *ev)
{
	bool added = strcmp(ev->kind, EV_ENGINEER_ADDED) == 0;
	bool enrolled = strcmp(ev->kind, EV_KEY_ENROLLED) == 0;
	bool rotated = strcmp(ev->kind, EV_KEY_ROTATED) == 0;
	if (strcmp(ev->kind, EV_PIN_CHANGED) == 0 && ev->seq > v->unsigned_through)
		return fail_event(v, ev, "a PIN change recorded since signatures began must be a key_rotated signed by "
			"the old key (this one was not made by countersign)");
	if (strcmp(ev->kind, EV_ROLE_GRANTED) == 0 || strcmp(ev->kind, EV_ROLE_REMOVED) == 0) {
		if (!verify_signatures(v, ev) || !verify_role_event(v, ev))
			return false;
		cJSON *p = cJSON_Parse(ev->payload);
		verify_note_registry_head(v, ev, p);
		cJSON_Delete(p);
		return true;
	}
	if (!added && !enrolled && !rotated && strcmp(ev->kind, EV_PIN_CHANGED) != 0 &&
		strcmp(ev->kind, EV_PIN_FAILED) != 0 && strcmp(ev->kind, EV_PIN_LOCKED) != 0)
		return fail_event(v, ev, "it is not an event of the engineers chain, which holds registrations, keys, "
			"roles and wrong PINs only (the record was altered)");
	if (!added && !enrolled && !rotated)
		return verify_signatures(v, ev);
	cJSON *p = cJSON_Parse(ev->payload);
	bool ok = added ? engineer_added(v, ev, p) : new_key(v, ev, p, rotated);
	if (ok)
		verify_note_registry_head(v, ev, p);
	cJSON_Delete(p);
	return ok;
}
