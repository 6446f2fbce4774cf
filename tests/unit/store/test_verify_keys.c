/* Unit tests of verify's signature rules: an untouched signed record passes
 * and says what it checked chain by chain; a forged event with a correctly
 * recomputed hash, a signature by a key replaced before the event, a
 * rotation not signed by the key it replaces, an engineer registered without
 * a key, a late pin_changed and an override one engineer did not sign each
 * fail, named at the event. */
#include "test_verify_scene.h"

#include <cjson/cJSON.h>

static void test_untouched(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "untouched");
	struct store_verify_result r;
	CHECK(store_verify(sc.st, NULL, NULL, &r) == STORE_OK && r.ok);
	CHECK(r.n_chains == 3);
	if (r.n_chains == 3) {
		CHECK_STR(r.chains[0].chain, "engineers");
		CHECK(r.chains[0].events == 2);
		CHECK_STR(r.chains[1].chain, "registry");
		CHECK(r.chains[1].events == 3); /* registry_opened, run_registered, run_ended */
		CHECK_STR(r.chains[2].chain, sc.run.id);
		CHECK(r.chains[2].events == 7 && r.chains[2].unsigned_events == 0);
		CHECK_STR(r.head, r.chains[2].head);
	}
	CHECK(r.events == 12 && r.unsigned_events == 0 && r.why == NULL);
	store_verify_result_clear(&r);
	/* One run: only its chain is counted, the others are read for keys. */
	CHECK(store_verify(sc.st, sc.run.id, NULL, &r) == STORE_OK && r.ok);
	CHECK(r.n_chains == 1 && r.events == 7);
	store_verify_result_clear(&r);
	vscene_close(&sc);
}

/* A `signed` event appended by someone who can write the file: its hash is
 * right, its signature is not bob's. */
static void test_forged_signed(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "forged");
	struct event ev = vscene_event("bob", EV_SIGNED, "deploy", "{\"meaning\":\"approve\",\"digest\":\"d2\"}");
	CHECK(vscene_forge(&sc, sc.run.id, &ev, NULL, NULL) == 8);
	EXPECT_FAIL(&sc, NULL, sc.run.id, 8, "event 8 (signed by bob): carries no signature by bob");
	EXPECT_FAIL(&sc, sc.run.id, sc.run.id, 8, "event 8 (signed by bob): carries no signature by bob");
	/* bob's signature of event 5 copied onto it. */
	char *sql = xasprintf("UPDATE events SET sigs = (SELECT sigs FROM events WHERE chain = '%s' AND seq = 5) "
		"WHERE chain = '%s' AND seq = 8", sc.run.id, sc.run.id);
	vscene_tamper(&sc, sql);
	free(sql);
	EXPECT_FAIL(&sc, NULL, sc.run.id, 8,
		"event 8 (signed by bob): bob's signature does not verify (the event was forged or altered)");
	vscene_close(&sc);

	/* Signed as bob with a key of the forger's own. */
	vscene_open(&sc, tmp, "forged-key");
	struct sign_key *mallory = fixture_key("mallory", NULL);
	ev = vscene_event("bob", EV_SIGNED, "deploy", "{\"meaning\":\"approve\",\"digest\":\"d2\"}");
	vscene_forge(&sc, sc.run.id, &ev, "bob", mallory);
	EXPECT_FAIL(&sc, NULL, sc.run.id, 8, "event 8 (signed by bob): carries a signature by bob with a key the "
		"engineers chain never gave bob");
	sign_key_destroy(mallory);
	vscene_close(&sc);

	/* An event of the run altered in place and every hash after it
	 * recomputed: the chain holds, the signatures do not. */
	vscene_open(&sc, tmp, "altered");
	sql = xasprintf("UPDATE events SET payload = '{\"meaning\":\"reject\",\"digest\":\"d1\"}' "
		"WHERE chain = '%s' AND seq = 4", sc.run.id);
	vscene_tamper(&sc, sql);
	free(sql);
	vscene_rehash(&sc, sc.run.id, 4);
	EXPECT_FAIL(&sc, NULL, sc.run.id, 4, "event 4 (signed by alice): alice's signature does not verify");
	vscene_close(&sc);
}

static struct sign_key *rotate(struct vscene *sc, const char *pin, const struct sign_key *old)
{
	struct sign_params p;
	struct sign_key *k = fixture_key(pin, &p);
	struct event origin = fixture_event("bob", "", "", NULL);
	CHECK(store_set_key(sc->st, "bob", EV_KEY_ROTATED, k, &p, old, &origin) == STORE_OK);
	event_clear(&origin);
	return k;
}

/* bob changes his PIN: everything signed before stays valid, and a
 * signature made afterwards with the old key (by someone who learnt the old
 * PIN) fails. */
static void test_replaced_key(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "replaced");
	struct store_run_row run2;
	vscene_run(&sc, &run2, "second");
	struct sign_key *fresh = rotate(&sc, "bob-pin-2", sc.bob);
	EXPECT_OK(&sc, NULL);
	sign_key_destroy(sc.bob);
	sc.bob = fresh;
	vscene_append2(&sc, run2.id, "bob", NULL, EV_NOTE, "pre", "{\"text\":\"new key\"}");
	EXPECT_OK(&sc, NULL);

	/* The old key, derived again from the old PIN under its parameters. */
	struct event *evs = NULL;
	size_t n = 0;
	CHECK(store_load_events(sc.st, EVENT_CHAIN_ENGINEERS, 0, &evs, &n) == STORE_OK && n == 3);
	cJSON *p = cJSON_Parse(evs[1].payload);
	char pub[SIGN_KEY_HEX];
	struct sign_params params;
	const char *why = NULL;
	CHECK(sign_key_from_json(cJSON_GetObjectItemCaseSensitive(p, "key"), pub, &params, &why));
	cJSON_Delete(p);
	event_array_free(evs, n);
	struct sign_key *old = sign_key_derive("bob-pin-1", &params, &why);
	CHECK(old && strcmp(sign_key_public(old), pub) == 0);
	struct event ev = vscene_event("bob", EV_NOTE, "pre", "{\"text\":\"signed with the old key\"}");
	int64_t seq = vscene_forge(&sc, run2.id, &ev, "bob", old);
	char *want = xasprintf("event %" PRId64 " (note by bob): signed with a key of bob's that was replaced "
		"(engineers event 3, key_rotated) before this event was recorded", seq);
	EXPECT_FAIL(&sc, NULL, run2.id, seq, want);
	EXPECT_FAIL(&sc, run2.id, run2.id, seq, want);
	free(want);

	sign_key_destroy(old);
	store_run_row_clear(&run2);
	vscene_close(&sc);
}

/* bob's first key, derived again from his old PIN under the parameters
 * the engineers chain gives it (event 2 of the scene's engineers chain). */
static struct sign_key *old_bob_key(struct vscene *sc)
{
	struct event *evs = NULL;
	size_t n = 0;
	CHECK(store_load_events(sc->st, EVENT_CHAIN_ENGINEERS, 0, &evs, &n) == STORE_OK && n >= 2);
	cJSON *p = n >= 2 ? cJSON_Parse(evs[1].payload) : NULL;
	char pub[SIGN_KEY_HEX] = "";
	struct sign_params params = {0};
	const char *why = NULL;
	CHECK(sign_key_from_json(cJSON_GetObjectItemCaseSensitive(p, "key"), pub, &params, &why));
	cJSON_Delete(p);
	event_array_free(evs, n);
	struct sign_key *old = sign_key_derive("bob-pin-1", &params, &why);
	CHECK(old && strcmp(sign_key_public(old), pub) == 0);
	return old;
}

/* The old PIN signs after the rotation and claims a time before it: the
 * rotation's heads say how far each run had gone, so an event past them, in
 * a run open then or in one started since, is refused whatever its time. */
static void test_backdated_old_key(const char *tmp)
{
	const char *where[] = {"open", "later"};
	for (int i = 0; i < 2; i++) {
		struct vscene sc;
		char *name = xasprintf("backdated-%s", where[i]);
		vscene_open(&sc, tmp, name);
		free(name);
		struct store_run_row run2;
		vscene_run(&sc, &run2, "second");
		struct sign_key *fresh = rotate(&sc, "bob-pin-2", sc.bob);
		sign_key_destroy(sc.bob);
		sc.bob = fresh;
		struct store_run_row run3 = {0};
		if (i == 1)
			vscene_run(&sc, &run3, "third");
		const char *target = i == 0 ? run2.id : run3.id;
		EXPECT_OK(&sc, NULL);
		struct db *db = vscene_attacker(&sc);
		int64_t rotated_us = fixture_sql_int(db, "SELECT time_us FROM events WHERE chain = 'engineers' AND "
			"kind = 'key_rotated'");
		fixture_sql_close(db);
		struct sign_key *old = old_bob_key(&sc);
		struct event ev = vscene_event("bob", EV_NOTE, "pre", "{\"text\":\"backdated\"}");
		ev.time_us = rotated_us - 1000000;
		int64_t seq = vscene_forge(&sc, target, &ev, "bob", old);
		char *want = xasprintf("event %" PRId64 " (note by bob): signed with a key of bob's that was replaced "
			"(engineers event 3, key_rotated) before this event was recorded, whatever time it claims", seq);
		EXPECT_FAIL(&sc, NULL, target, seq, want);
		EXPECT_FAIL(&sc, target, target, seq, want);
		free(want);
		sign_key_destroy(old);
		store_run_row_clear(&run2);
		store_run_row_clear(&run3);
		vscene_close(&sc);
	}
}

/* A writer rewrites registry_opened so that it allows the run's events to
 * be unsigned and dates it after them, re-hashes the registry chain, and
 * strips every signature of the run: the engineers' registrations signed
 * the registry's head, which no longer is registry_opened. (On a record
 * whose key events name no registry head, cli tamper_adversary shows the
 * signed events and the keys' heads catch it.) */
static void test_unsigned_through_raised(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "unsigned-raised");
	char *sql = fixture_on_pg()
		? xasprintf("UPDATE events SET payload = jsonb_set(payload::jsonb, '{unsigned_through,%s}', '100')::text, "
			"time_us = time_us + 86400000000 WHERE chain = 'registry' AND seq = 1", sc.run.id)
		: xasprintf("UPDATE events SET payload = json_set(payload, '$.unsigned_through.%s', 100), "
			"time_us = time_us + 86400000000 WHERE chain = 'registry' AND seq = 1", sc.run.id);
	vscene_tamper(&sc, sql);
	free(sql);
	vscene_rehash(&sc, EVENT_CHAIN_REGISTRY, 1);
	sql = xasprintf("UPDATE events SET sigs = '' WHERE chain = '%s'", sc.run.id);
	vscene_tamper(&sc, sql);
	free(sql);
	EXPECT_FAIL(&sc, NULL, EVENT_CHAIN_REGISTRY, 1, "event 1 of the registry chain (registry_opened of nobody): is not the registry event 1 that engineers event 1 "
		"signed as the registry's head then (the registry chain was rewritten)");
	vscene_close(&sc);
}

/* The clock steps back between bob's note and his PIN change: the note
 * came first in the record, so the old key's signature on it stands. */
static void test_clock_step_back(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "clock-back");
	struct db *db = vscene_attacker(&sc);
	char *sql = xasprintf("SELECT max(time_us) FROM events WHERE chain = '%s'", sc.run.id);
	int64_t last_us = fixture_sql_int(db, sql);
	free(sql);
	fixture_sql_close(db);
	struct sign_params p;
	struct sign_key *k = fixture_key("bob-pin-2", &p);
	struct event origin = fixture_event("bob", "", "", NULL);
	origin.time_us = last_us - 1000000;
	CHECK(store_set_key(sc.st, "bob", EV_KEY_ROTATED, k, &p, sc.bob, &origin) == STORE_OK);
	event_clear(&origin);
	sign_key_destroy(sc.bob);
	sc.bob = k;
	EXPECT_OK(&sc, NULL);
	EXPECT_OK(&sc, sc.run.id);
	vscene_close(&sc);
}

/* A key_rotated written into the engineers chain by someone without bob's
 * PIN: signed "as bob" with the new key itself. */
static void test_forged_rotation(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "forged-rotation");
	struct sign_params params;
	struct sign_key *mallory = fixture_key("mallory", &params);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddItemToObject(p, "key", sign_key_to_json(sign_key_public(mallory), &params));
	char *payload = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	struct event ev = vscene_event("bob", EV_KEY_ROTATED, "bob", payload);
	CHECK(vscene_forge(&sc, EVENT_CHAIN_ENGINEERS, &ev, "bob", mallory) == 3);
	EXPECT_FAIL(&sc, NULL, "engineers", 3,
		"event 3 of the engineers chain (key_rotated of bob): not signed by bob's current key");
	/* verify RUN folds the engineers chain for the keys, and fails there too. */
	EXPECT_FAIL(&sc, sc.run.id, "engineers", 3, "not signed by bob's current key");
	free(payload);
	sign_key_destroy(mallory);
	vscene_close(&sc);
}

/* An engineer added by SQL after signatures began: no key. */
static void test_added_without_key(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "no-key");
	struct event ev = vscene_event("system", EV_ENGINEER_ADDED, "mallory", "{\"full_name\":\"Mallory\"}");
	vscene_forge(&sc, EVENT_CHAIN_ENGINEERS, &ev, NULL, NULL);
	vscene_tamper(&sc, "INSERT INTO engineers (name, full_name, pin_hash, created_us) "
		"VALUES ('mallory', 'Mallory', '$argon2id$m', 1)");
	EXPECT_FAIL(&sc, NULL, "engineers", 3, "event 3 of the engineers chain (engineer_added of mallory): carries "
		"no key (an engineer registered since signatures began has one)");
	vscene_close(&sc);

	/* With a key, but not signed by it. */
	vscene_open(&sc, tmp, "unsigned-key");
	struct sign_params params;
	struct sign_key *mallory = fixture_key("mallory", &params);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "full_name", "Mallory");
	cJSON_AddItemToObject(p, "key", sign_key_to_json(sign_key_public(mallory), &params));
	char *payload = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	ev = vscene_event("system", EV_ENGINEER_ADDED, "mallory", payload);
	vscene_forge(&sc, EVENT_CHAIN_ENGINEERS, &ev, "alice", sc.alice);
	EXPECT_FAIL(&sc, NULL, "engineers", 3,
		"event 3 of the engineers chain (engineer_added of mallory): not signed by mallory's new key");
	free(payload);
	sign_key_destroy(mallory);
	vscene_close(&sc);
}

static void test_late_pin_changed(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "late-pin-changed");
	struct event ev = vscene_event("system", EV_PIN_CHANGED, "bob", "{}");
	vscene_forge(&sc, EVENT_CHAIN_ENGINEERS, &ev, NULL, NULL);
	EXPECT_FAIL(&sc, NULL, "engineers", 3, "event 3 of the engineers chain (pin_changed of bob): a PIN change "
		"recorded since signatures began must be a key_rotated signed by the old key");
	vscene_close(&sc);

	/* A run's event appended to the engineers chain. */
	vscene_open(&sc, tmp, "engineers-kind");
	ev = vscene_event("system", EV_SIGNED, "pre", "{\"meaning\":\"approve\",\"digest\":\"d1\"}");
	vscene_forge(&sc, EVENT_CHAIN_ENGINEERS, &ev, NULL, NULL);
	EXPECT_FAIL(&sc, NULL, "engineers", 3, "event 3 of the engineers chain (signed of pre): it is not an event of "
		"the engineers chain, which holds registrations, keys, roles and wrong PINs only");
	vscene_close(&sc);
}

/* An override names two engineers: both sign it, or the second made the
 * signed request it answers. */
static void test_override(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "override");
	struct store_run_row run2;
	vscene_run(&sc, &run2, "override");
	static const char both[] = "{\"engineers\":[\"alice\",\"bob\"],\"reason\":\"r\",\"incident\":\"INC-1\"}";
	vscene_append2(&sc, run2.id, "alice", "bob", EV_OVERRIDE, "pre", both);                   /* 2 */
	int64_t req = vscene_append2(&sc, run2.id, "bob", NULL, EV_OVERRIDE_REQUESTED, "pre",
		"{\"reason\":\"r\",\"incident\":\"INC-2\",\"expires_us\":1}");                            /* 3 */
	char *answer = xasprintf("{\"engineers\":[\"bob\",\"alice\"],\"reason\":\"r\",\"incident\":\"INC-2\","
		"\"request_seq\":%" PRId64 "}", req);
	vscene_append2(&sc, run2.id, "alice", NULL, EV_OVERRIDE, "pre", answer);                  /* 4 */
	EXPECT_OK(&sc, NULL);
	vscene_append2(&sc, run2.id, "alice", NULL, EV_OVERRIDE, "pre", both);                    /* 5 */
	EXPECT_FAIL(&sc, NULL, run2.id, 5,
		"event 5 (override by alice): carries no signature by bob, whom it names as agreeing to it");
	free(answer);
	store_run_row_clear(&run2);
	vscene_close(&sc);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char *tmp = fixture_tmpdir();
	test_untouched(tmp);
	test_forged_signed(tmp);
	test_replaced_key(tmp);
	test_forged_rotation(tmp);
	test_backdated_old_key(tmp);
	test_unsigned_through_raised(tmp);
	test_clock_step_back(tmp);
	test_added_without_key(tmp);
	test_late_pin_changed(tmp);
	test_override(tmp);
	fixture_rm_rf(tmp);
	return check_report();
}
