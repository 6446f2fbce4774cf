/* Engineers' signing keys in a session: the ring of keys unlocked by PINs
 * (session_check_pin), the signers attached to what is recorded, PIN
 * changes, and registering an engineer with a key derived from the PIN.
 * A key stays unlocked only in the memory of the session that checked its
 * PIN (sodium_malloc'd, wiped when forgotten); nothing secret is stored. */
#include "countersign/session.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "countersign/clock.h"
#include "countersign/pin.h"
#include "countersign/sign.h"
#include "countersign/store.h"
#include "countersign/util.h"
#include "run/session_internal.h"

struct keyring_entry {
	char *name;
	struct sign_key *key;
};

struct session_keys {
	struct keyring_entry *v;
	size_t n, cap;
};

void session_keys_destroy(struct session_keys *ring)
{
	if (!ring)
		return;
	for (size_t i = 0; i < ring->n; i++) {
		free(ring->v[i].name);
		sign_key_destroy(ring->v[i].key);
	}
	free(ring->v);
	free(ring);
}

static struct keyring_entry *ring_find(const struct session *s, const char *name)
{
	for (size_t i = 0; s->keys && name && i < s->keys->n; i++)
		if (strcmp(s->keys->v[i].name, name) == 0)
			return &s->keys->v[i];
	return NULL;
}

/* Keeps KEY (taken) unlocked for NAME, replacing the one kept before. */
static void ring_put(struct session *s, const char *name, struct sign_key *key)
{
	assert(name && key);
	struct keyring_entry *e = ring_find(s, name);
	if (e) {
		sign_key_destroy(e->key);
		e->key = key;
		return;
	}
	if (!s->keys)
		s->keys = xcalloc(1, sizeof(*s->keys));
	struct session_keys *ring = s->keys;
	if (ring->n == ring->cap) {
		ring->cap = ring->cap ? ring->cap * 2 : 4;
		ring->v = xreallocarray(ring->v, ring->cap, sizeof(*ring->v));
	}
	ring->v[ring->n++] = (struct keyring_entry){.name = xstrdup(name), .key = key};
}

const struct sign_key *session_unlocked_key(const struct session *s, const char *name)
{
	const struct keyring_entry *e = ring_find(s, name);
	return e ? e->key : NULL;
}

bool session_key_unlocked(const struct session *s, const char *name)
{
	return ring_find(s, name) != NULL;
}

void session_lock(struct session *s, const char *name)
{
	struct keyring_entry *e = ring_find(s, name);
	if (!e)
		return;
	free(e->name);
	sign_key_destroy(e->key);
	*e = s->keys->v[--s->keys->n];
}

/* The first name of an override's "engineers" other than ACTOR whose key is
 * unlocked here: the second engineer who signs it with the actor. */
static struct keyring_entry *override_partner(const struct session *s, const struct event *ev)
{
	cJSON *p = cJSON_Parse(ev->payload ? ev->payload : "{}");
	const cJSON *who = cJSON_GetObjectItemCaseSensitive(p, "engineers"), *name;
	struct keyring_entry *found = NULL;
	cJSON_ArrayForEach(name, who)
		if (!found && cJSON_IsString(name) && strcmp(name->valuestring, ev->actor) != 0)
			found = ring_find(s, name->valuestring);
	cJSON_Delete(p);
	return found;
}

int session_attach_signers(struct session *s, const char *chain, struct event *evs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct event *ev = &evs[i];
		if (!event_needs_signature(chain, ev))
			continue;
		const struct keyring_entry *e = ring_find(s, ev->actor);
		if (!e) {
			/* every front end checks the PIN before it records: a program error */
			reporter_say(&s->report, "cannot record as %s: %s's PIN was not entered", ev->actor, ev->actor);
			return CS_INVALID;
		}
		ev->signers[0] = e->key;
		ev->signer_names[0] = e->name;
		const struct keyring_entry *partner =
			ev->kind && strcmp(ev->kind, EV_OVERRIDE) == 0 ? override_partner(s, ev) : NULL;
		if (partner) {
			ev->signers[1] = partner->key;
			ev->signer_names[1] = partner->name;
		}
	}
	return CS_OK;
}

/* True when NAME's key recorded now is no longer PUBLIC_HEX (or cannot be
 * read): that key was replaced by a PIN change in another process. */
static bool key_replaced(struct session *s, const char *name, const char *public_hex)
{
	struct store_engineer e = {0};
	bool replaced = store_get_engineer(s->st, name, &e) != STORE_OK || strcmp(e.public_key, public_hex) != 0;
	store_engineer_clear(&e);
	return replaced;
}

int session_stale_signers(struct session *s, struct event *evs, size_t n)
{
	struct strvec stale = {0};
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 2; k++) {
			const char *name = evs[i].signer_names[k];
			if (evs[i].signers[k] && strvec_find(&stale, name) < 0 &&
				key_replaced(s, name, sign_key_public(evs[i].signers[k])))
				strvec_push(&stale, name);
			/* the keys may be forgotten below: nothing may sign with them */
			evs[i].signers[k] = NULL;
			evs[i].signer_names[k] = NULL;
		}
	}
	for (size_t i = 0; i < stale.n; i++) {
		session_lock(s, stale.v[i]);
		reporter_say(&s->report, "the PIN of %s was changed since it was entered; enter it again", stale.v[i]);
	}
	if (!stale.n)
		reporter_say(&s->report, "%s", store_error(s->st));
	strvec_clear(&stale);
	return CS_REFUSED;
}

/* Reads NAME into E, saying why when it cannot. */
static int read_engineer(struct session *s, const char *name, struct store_engineer *e)
{
	enum store_status rc = store_get_engineer(s->st, name, e);
	if (rc == STORE_NOT_FOUND) {
		reporter_say(&s->report, "unknown engineer \"%s\"; register with 'countersign engineer add %s "
			"--full-name \"...\"'", name, name);
		return CS_INVALID;
	}
	if (rc != STORE_OK) {
		reporter_say(&s->report, "cannot read engineer %s: %s", name, store_error(s->st));
		return CS_ENV;
	}
	return CS_OK;
}

/* True when K is the key E's row names (constant time). */
static bool key_matches(const struct store_engineer *e, const struct sign_key *k)
{
	return strlen(e->public_key) == SIGN_KEY_HEX - 1 &&
		sodium_memcmp(e->public_key, sign_key_public(k), SIGN_KEY_HEX - 1) == 0;
}

/* Gives the legacy engineer NAME (PIN checked against its hash) a key
 * derived from PIN, recorded as key_enrolled; *OUT gets it unlocked. When
 * another process enrolled NAME first, PIN is tried against that key. */
static int enroll(struct session *s, const char *name, const char *pin, struct sign_key **out)
{
	struct sign_params p;
	sign_params_new(&p);
	const char *why = NULL;
	struct sign_key *k = sign_key_derive(pin, &p, &why);
	if (!k) {
		reporter_say(&s->report, "cannot derive the key of %s: %s", name, why);
		return CS_ENV;
	}
	struct event origin;
	session_origin(&origin, name);
	enum store_status rc = store_set_key(s->st, name, EV_KEY_ENROLLED, k, &p, NULL, &origin);
	event_clear(&origin);
	if (rc == STORE_OK) {
		*out = k;
		return CS_OK;
	}
	sign_key_destroy(k);
	if (rc != STORE_REFUSED) {
		reporter_say(&s->report, "cannot record the key of %s: %s", name, store_error(s->st));
		return CS_ENV;
	}
	struct store_engineer e = {0};
	int result = read_engineer(s, name, &e);
	k = NULL;
	if (result == CS_OK && e.public_key[0] && sign_params_valid(&e.key, &why))
		k = sign_key_derive(pin, &e.key, &why);
	if (result == CS_OK && k && key_matches(&e, k)) {
		*out = k;
	} else if (result == CS_OK) {
		sign_key_destroy(k);
		reporter_say(&s->report, "the PIN of %s was changed meanwhile; enter it again", name);
		result = CS_REFUSED;
	}
	store_engineer_clear(&e);
	return result;
}

/* True when PIN_HASH, the PIN hash of NAME registered before keys, is the
 * one registry_opened recorded for NAME when signatures began
 * (legacy_pins): a hash swapped into the table since must not give anyone
 * NAME's key. */
static bool legacy_hash_recorded(struct session *s, const char *name, const char *pin_hash)
{
	struct store_audit_filter f = {.kind = EV_REGISTRY_OPENED};
	struct store_audit_entry *e = NULL;
	size_t n = 0;
	bool same = false;
	if (store_audit(s->st, &f, &e, &n) == STORE_OK && n == 1) {
		cJSON *p = cJSON_Parse(e[0].ev.payload ? e[0].ev.payload : "{}");
		const cJSON *want = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "legacy_pins"), name);
		char got[EVENT_HASH_HEX];
		event_sha256_hex(pin_hash, strlen(pin_hash), got);
		same = cJSON_IsString(want) && strcmp(want->valuestring, got) == 0;
		cJSON_Delete(p);
	}
	store_audit_entry_array_free(e, n);
	return same;
}

/* Records the wrong PIN of NAME (reserved as TICKET) and says so. */
static void wrong_pin(struct session *s, const char *name, const char *what, int64_t ticket, int64_t now,
	int failures)
{
	struct event ev;
	session_origin(&ev, name);
	ev.kind = xstrdup(EV_PIN_FAILED);
	free(ev.target);
	ev.target = xstrdup(name);
	free(ev.payload);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "command", what ? what : "");
	/* A reviewer of the run sees the attempts made on it. */
	if (s->have_run && s->run.id)
		cJSON_AddStringToObject(p, "run", s->run.id);
	ev.payload = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	bool locked = false;
	if (store_pin_settle(s->st, ticket, &ev, now - PIN_WINDOW_US, PIN_WINDOW_US, PIN_MAX_FAILURES, &locked) !=
		STORE_OK)
		reporter_say(&s->report, "cannot record the wrong PIN: %s", store_error(s->st));
	event_clear(&ev);
	reporter_say(&s->report, "wrong PIN for %s (%d of %d attempts within 15 minutes)", name, failures + 1,
		PIN_MAX_FAILURES);
}

/* Compares PIN with E's record: the key derived under E's parameters
 * (or, before keys, the PIN hash). *KEY gets the derived key when it
 * matches. Returns CS_OK (match), CS_INVALID (no match) or CS_ENV. */
static int compare_pin(struct session *s, const struct store_engineer *e, const char *pin, struct sign_key **key)
{
	*key = NULL;
	if (!e->public_key[0])
		return pin_verify(e->pin_hash, pin) ? CS_OK : CS_INVALID;
	const char *why = NULL;
	struct sign_key *k = sign_key_derive(pin, &e->key, &why);
	if (!k) {
		reporter_say(&s->report, "cannot derive the key of %s: %s", e->name, why);
		return CS_ENV;
	}
	if (!key_matches(e, k)) {
		sign_key_destroy(k);
		return CS_INVALID;
	}
	*key = k;
	return CS_OK;
}

int session_check_pin(struct session *s, const char *name, const char *pin, const char *what)
{
	struct store_engineer eng = {0};
	int result = read_engineer(s, name, &eng);
	if (result != CS_OK)
		return result;
	/* Bounded parameters only: a doctored row must not make a PIN check
	 * take minutes or gigabytes. */
	const char *why = NULL;
	size_t pk_len = strlen(eng.public_key);
	if (pk_len && (pk_len != SIGN_KEY_HEX - 1 || strspn(eng.public_key, "0123456789abcdef") != pk_len))
		why = "the public key is not 64 lowercase hex digits";
	if (eng.public_key[0] && (why || !sign_params_valid(&eng.key, &why))) {
		reporter_say(&s->report, "the key and its parameters recorded for %s are not valid (%s): the database was "
			"damaged or edited; run 'countersign verify'", name, why);
		store_engineer_clear(&eng);
		return CS_REFUSED;
	}
	if (!eng.public_key[0] && !legacy_hash_recorded(s, name, eng.pin_hash)) {
		reporter_say(&s->report, "the PIN hash of %s is not the one recorded when signatures began: the "
			"engineers table was edited; run 'countersign verify'", name);
		store_engineer_clear(&eng);
		return CS_REFUSED;
	}
	/* The attempt is counted and reserved before the slow comparison, in
	 * one transaction: a burst of simultaneous guesses gets at most
	 * PIN_MAX_FAILURES comparisons per window. */
	int failures = 0;
	int64_t oldest = 0, ticket = 0, now = clock_wall_us();
	enum store_status rc =
		store_pin_reserve(s->st, name, now - PIN_WINDOW_US, PIN_MAX_FAILURES, &failures, &oldest, &ticket);
	struct sign_key *key = NULL;
	if (rc == STORE_REFUSED) {
		char when[64];
		clock_format_utc(oldest + PIN_WINDOW_US, when, sizeof(when));
		reporter_say(&s->report, "%s is locked after %d wrong PINs within 15 minutes; try again after %s",
			name, failures, when);
		result = CS_REFUSED;
	} else if (rc != STORE_OK) {
		reporter_say(&s->report, "cannot read the PIN record of %s: %s", name, store_error(s->st));
		result = CS_ENV;
	} else if ((result = compare_pin(s, &eng, pin, &key)) == CS_INVALID) {
		wrong_pin(s, name, what, ticket, now, failures);
	} else if (store_pin_settle(s->st, ticket, NULL, 0, PIN_WINDOW_US, PIN_MAX_FAILURES, NULL) != STORE_OK) {
		reporter_say(&s->report, "cannot record the PIN check of %s: %s", name, store_error(s->st));
		result = CS_ENV;
	} else if (result == CS_OK && !eng.public_key[0]) {
		/* registered before keys: the right PIN gives the engineer one */
		result = enroll(s, name, pin, &key);
	}
	if (result == CS_OK)
		ring_put(s, name, key);
	else
		sign_key_destroy(key);
	store_engineer_clear(&eng);
	return result;
}

int session_change_pin(struct session *s, const char *name, const char *old_pin, const char *new_pin)
{
	int rc = session_check_new_pin(&s->report, new_pin);
	if (rc == CS_OK)
		rc = session_check_pin(s, name, old_pin, "engineer pin");
	if (rc != CS_OK)
		return rc;
	const struct keyring_entry *old = ring_find(s, name);
	assert(old);
	struct sign_params p;
	sign_params_new(&p);
	const char *why = NULL;
	struct sign_key *k = sign_key_derive(new_pin, &p, &why);
	if (!k) {
		reporter_say(&s->report, "cannot derive the new key of %s: %s", name, why);
		return CS_ENV;
	}
	struct event origin;
	session_origin(&origin, name);
	enum store_status st = store_set_key(s->st, name, EV_KEY_ROTATED, k, &p, old->key, &origin);
	event_clear(&origin);
	if (st == STORE_OK) {
		ring_put(s, name, k);
		return CS_OK;
	}
	sign_key_destroy(k);
	if (st == STORE_REFUSED) {
		session_lock(s, name);
		reporter_say(&s->report, "the PIN of %s was changed since it was entered; enter it again", name);
		return CS_REFUSED;
	}
	reporter_say(&s->report, "cannot record the new key of %s: %s", name, store_error(s->st));
	return session_outcome(st);
}

int session_add_engineer(struct session *s, const char *name, const char *full_name, const char *pin)
{
	int rc = session_check_new_engineer(&s->report, name, full_name);
	if (rc == CS_OK)
		rc = session_check_new_pin(&s->report, pin);
	if (rc != CS_OK)
		return rc;
	struct store_engineer e = {.name = (char *)name, .full_name = (char *)full_name, .pin_hash = (char *)""};
	sign_params_new(&e.key);
	const char *why = NULL;
	struct sign_key *k = sign_key_derive(pin, &e.key, &why);
	if (!k) {
		reporter_say(&s->report, "cannot derive the key of %s: %s", name, why);
		return CS_ENV;
	}
	snprintf(e.public_key, sizeof(e.public_key), "%s", sign_key_public(k));
	struct event origin;
	session_origin(&origin, name);
	enum store_status st = store_add_engineer(s->st, &e, &origin, k);
	event_clear(&origin);
	/* registering is not signing in: the key is not kept */
	sign_key_destroy(k);
	if (st == STORE_CONFLICT) {
		reporter_say(&s->report, "engineer \"%s\" already exists; short names are never reused", name);
		return CS_INVALID;
	}
	if (st != STORE_OK) {
		reporter_say(&s->report, "cannot record the engineer: %s", store_error(s->st));
		return CS_ENV;
	}
	return CS_OK;
}
