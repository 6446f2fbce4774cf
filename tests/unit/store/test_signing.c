/* Unit tests for what schema 4 writes: events signed inside the append by
 * the keys of the engineers who made them, a key changed by another process
 * refusing the stale one, keys enrolled and rotated, the registry chain that
 * records every run's start and end, migration 4 filling it from an older
 * record (and read-only opens of such a record), and checkpoints. */
#include "fixture.h"

#include <cjson/cJSON.h>
#include <sodium.h>

#include "countersign/checkpoint.h"

static bool contains(const char *s, const char *part)
{
	return s && strstr(s, part) != NULL;
}

/* Loads CHAIN; the caller frees with event_array_free. */
static struct event *load(struct store *st, const char *chain, size_t *n)
{
	struct event *evs = NULL;
	*n = 0;
	if (store_load_events(st, chain, 0, &evs, n) != STORE_OK) {
		fprintf(stderr, "store_load_events(%s): %s\n", chain, store_error(st));
		exit(1);
	}
	return evs;
}

static long long count_on(const char *path, const char *sql)
{
	struct db *db = fixture_sql_open(path);
	long long v = fixture_sql_int(db, sql);
	fixture_sql_close(db);
	return v;
}

/* True when SIGS holds exactly the signatures by NAMES[0..N) with KEYS,
 * each verifying over HASH. */
static bool signed_by(const char *sigs, const char *hash, size_t n, const char *const *names,
	const struct sign_key *const *keys)
{
	struct sign_entry *e = NULL;
	size_t got = 0;
	bool ok = sign_entries_parse(sigs, &e, &got, NULL) && got == n;
	for (size_t i = 0; ok && i < n; i++)
		ok = strcmp(e[i].by, names[i]) == 0 && strcmp(e[i].key, sign_key_public(keys[i])) == 0 &&
			sign_verify(e[i].key, hash, e[i].sig);
	sign_entries_free(e, got);
	return ok;
}

/* A JSON field of PAYLOAD: its string, or its integer printed, or NULL. */
static char *field(const char *payload, const char *path)
{
	cJSON *root = cJSON_Parse(payload);
	const cJSON *o = root;
	char *copy = xstrdup(path), *save = NULL;
	for (char *part = strtok_r(copy, ".", &save); part && o; part = strtok_r(NULL, ".", &save))
		o = cJSON_GetObjectItemCaseSensitive(o, part);
	char *out = NULL;
	if (cJSON_IsString(o))
		out = xstrdup(o->valuestring);
	else if (cJSON_IsNumber(o))
		out = xasprintf("%.0f", o->valuedouble);
	else if (cJSON_IsObject(o))
		out = xasprintf("%d", cJSON_GetArraySize(o));
	free(copy);
	cJSON_Delete(root);
	return out;
}

#define CHECK_FIELD(payload, path, want) do { \
	char *f_ = field((payload), (path)); \
	CHECK_STR(f_, (want)); \
	free(f_); \
} while (0)

static void test_signed_append(const char *tmp)
{
	char *path = xasprintf("%s/signed.db", tmp);
	struct store *st = fixture_open(path);
	struct sign_key *ka = fixture_engineer(st, "alice", "Alice", "alice-pin-1", true);
	struct sign_key *kb = fixture_engineer(st, "bob", "Bob", "bob-pin-1", true);
	struct store_run_row run;
	fixture_run(st, &run, "signed");

	struct event evs[3] = {
		fixture_event("alice", EV_NOTE, "", "{\"text\":\"one\"}"),
		fixture_event("alice", EV_OVERRIDE, "pre", "{\"engineers\":[\"alice\",\"bob\"],\"reason\":\"r\","
			"\"incident\":\"INC-1\"}"),
		fixture_event("system", EV_NOTE, "", "{\"text\":\"unsigned\"}"),
	};
	evs[0].signers[0] = ka;
	evs[0].signer_names[0] = "alice";
	evs[1].signers[0] = ka;
	evs[1].signer_names[0] = "alice";
	evs[1].signers[1] = kb;
	evs[1].signer_names[1] = "bob";
	int64_t before = 0;
	{
		size_t n = 0;
		struct event *cur = load(st, run.id, &n);
		before = cur[n - 1].time_us;
		event_array_free(cur, n);
	}
	CHECK(store_append(st, run.id, evs, 3, NULL, 0) == STORE_OK);
	/* Signed inside the append, over the hash it computed. */
	const char *alice[] = {"alice"}, *both[] = {"alice", "bob"};
	const struct sign_key *k_alice[] = {ka}, *k_both[] = {ka, kb};
	CHECK(signed_by(evs[0].sigs, evs[0].hash, 1, alice, k_alice));
	CHECK(signed_by(evs[1].sigs, evs[1].hash, 2, both, k_both));
	CHECK(!evs[2].sigs || !evs[2].sigs[0]);
	/* The time is assigned in the transaction, after what came before. */
	CHECK(evs[0].time_us >= before && evs[0].time_us > 0);

	size_t n = 0;
	struct event *got = load(st, run.id, &n);
	CHECK(n == 4);
	if (n == 4) {
		CHECK(signed_by(got[0].sigs, got[0].hash, 1, alice, k_alice)); /* run_started */
		CHECK_STR(got[1].sigs, evs[0].sigs);
		CHECK_STR(got[2].sigs, evs[1].sigs);
		CHECK_STR(got[3].sigs, "");
		/* The signatures are not part of the hash. */
		char h[EVENT_HASH_HEX];
		CHECK(event_compute_hash(&got[2], h) && strcmp(h, got[2].hash) == 0);
	}
	event_array_free(got, n);

	/* The audit trail carries them too. */
	struct store_audit_entry *e = NULL;
	struct store_audit_filter f = {.run = run.id, .kind = EV_OVERRIDE};
	CHECK(store_audit(st, &f, &e, &n) == STORE_OK && n == 1);
	if (n == 1)
		CHECK_STR(e[0].ev.sigs, evs[1].sigs);
	store_audit_entry_array_free(e, n);

	/* Signing as someone not registered is refused, nothing written. */
	struct event ghost = fixture_event("carol", EV_NOTE, "", "{}");
	ghost.signers[0] = ka;
	ghost.signer_names[0] = "carol";
	CHECK(store_append(st, run.id, &ghost, 1, NULL, 0) == STORE_NOT_FOUND);
	event_clear(&ghost);
	char *sql = xasprintf("SELECT count(*) FROM events WHERE chain = '%s'", run.id);
	CHECK(count_on(path, sql) == 4);
	free(sql);

	for (size_t i = 0; i < 3; i++)
		event_clear(&evs[i]);
	sign_key_destroy(ka);
	sign_key_destroy(kb);
	store_run_row_clear(&run);
	store_close(st);
	free(path);
}

/* Rotates NAME's key from OLD to a new one derived from PIN (returned). */
static struct sign_key *rotate(struct store *st, const char *name, const struct sign_key *old, const char *pin,
	enum store_status want)
{
	struct sign_params p;
	struct sign_key *k = fixture_key(pin, &p);
	struct event origin = fixture_event(name, "", "", NULL);
	CHECK(store_set_key(st, name, EV_KEY_ROTATED, k, &p, old, &origin) == want);
	event_clear(&origin);
	return k;
}

static void test_stale_key(const char *tmp)
{
	char *path = xasprintf("%s/stale.db", tmp);
	struct store *a = fixture_open(path), *b = fixture_open(path);
	struct sign_key *old = fixture_engineer(a, "bob", "Bob", "bob-pin-1", true);
	struct store_run_row run;
	fixture_run(a, &run, "stale");

	/* Another process (connection a) changes bob's PIN... */
	struct sign_key *fresh = rotate(a, "bob", old, "bob-pin-2", STORE_OK);
	char *sql = xasprintf("SELECT count(*) FROM events WHERE chain = '%s'", run.id);
	long long events = count_on(path, sql);
	long long registry = count_on(path, "SELECT count(*) FROM events WHERE chain = 'registry'");

	/* ...so the key this one (b) unlocked before must not sign. */
	struct event evs[2] = {
		fixture_event("bob", EV_NOTE, "", "{\"text\":\"fine\"}"),
		fixture_event("bob", EV_RUN_ABORTED, "", "{\"reason\":\"r\"}"),
	};
	evs[1].signers[0] = old;
	evs[1].signer_names[0] = "bob";
	CHECK(store_append(b, run.id, evs, 2, NULL, 0) == STORE_REFUSED);
	CHECK(contains(store_error(b), "the PIN of bob was changed since it was entered; enter it again"));
	CHECK(count_on(path, sql) == events);
	CHECK(count_on(path, "SELECT count(*) FROM events WHERE chain = 'registry'") == registry);
	/* With the new key the same events go in, signed by it. */
	evs[1].signers[0] = fresh;
	CHECK(store_append(b, run.id, evs, 2, NULL, 0) == STORE_OK);
	const char *bob[] = {"bob"};
	const struct sign_key *k_fresh[] = {fresh};
	CHECK(signed_by(evs[1].sigs, evs[1].hash, 1, bob, k_fresh));
	CHECK(count_on(path, sql) == events + 2);

	/* The rotation: signed by the old key, carrying the new one, the row
	 * updated. Rotating again with the old key is refused. */
	size_t n = 0;
	struct event *eng = load(a, EVENT_CHAIN_ENGINEERS, &n);
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(eng[1].kind, EV_KEY_ROTATED);
		CHECK_STR(eng[1].target, "bob");
		CHECK_STR(eng[1].actor, "bob");
		/* Signed by the key it replaces and by the one it brings, with how
		 * far the record went then: the open run's last seq. */
		const struct sign_key *k_both[] = {old, fresh};
		const char *const bob_twice[] = {"bob", "bob"};
		CHECK(signed_by(eng[1].sigs, eng[1].hash, 2, bob_twice, k_both));
		CHECK_FIELD(eng[1].payload, "key.public", sign_key_public(fresh));
		char *heads_path = xasprintf("heads.runs.%s", run.id);
		char *at = field(eng[1].payload, heads_path);
		CHECK(at && atoll(at) > 0);
		free(at);
		free(heads_path);
		at = field(eng[1].payload, "heads.registry");
		CHECK(at && atoll(at) >= 2);
		free(at);
		CHECK(eng[1].time_us > 0);
	}
	event_array_free(eng, n);
	struct store_engineer e;
	CHECK(store_get_engineer(b, "bob", &e) == STORE_OK);
	CHECK_STR(e.public_key, sign_key_public(fresh));
	CHECK_STR(e.pin_hash, "");
	store_engineer_clear(&e);
	sign_key_destroy(rotate(b, "bob", old, "bob-pin-3", STORE_REFUSED));
	CHECK(contains(store_error(b), "changed since it was entered"));
	sign_key_destroy(rotate(b, "nobody", old, "bob-pin-3", STORE_NOT_FOUND));
	/* Enrolling is for an engineer without a key only. */
	struct event origin = fixture_event("bob", "", "", NULL);
	struct sign_params p;
	struct sign_key *k = fixture_key("bob-pin-4", &p);
	CHECK(store_set_key(a, "bob", EV_KEY_ENROLLED, k, &p, NULL, &origin) == STORE_REFUSED);
	CHECK(store_set_key(a, "bob", EV_NOTE, k, &p, NULL, &origin) == STORE_FAILED);
	sign_key_destroy(k);
	event_clear(&origin);
	n = 0;
	eng = load(a, EVENT_CHAIN_ENGINEERS, &n);
	CHECK(n == 2);
	event_array_free(eng, n);

	event_clear(&evs[0]);
	event_clear(&evs[1]);
	free(sql);
	sign_key_destroy(old);
	sign_key_destroy(fresh);
	store_run_row_clear(&run);
	store_close(b);
	store_close(a);
	free(path);
}

static void test_enrol(const char *tmp)
{
	char *path = xasprintf("%s/enrol.db", tmp);
	struct store *st = fixture_open(path);
	/* An engineer registered before keys: a row with a PIN hash. */
	struct db *db = fixture_sql_open(path);
	CHECK(fixture_sql(db, "INSERT INTO engineers (name, full_name, pin_hash, created_us) "
		"VALUES ('dave', 'Dave', '$argon2id$legacy', 1)", NULL) == DB_OK);
	fixture_sql_close(db);
	struct store_engineer e;
	CHECK(store_get_engineer(st, "dave", &e) == STORE_OK);
	CHECK_STR(e.public_key, "");
	CHECK_STR(e.pin_hash, "$argon2id$legacy");
	store_engineer_clear(&e);

	struct sign_params p;
	struct sign_key *k = fixture_key("dave-pin-1", &p), *other = fixture_key("dave-pin-2", NULL);
	struct event origin = fixture_event("dave", "", "", NULL);
	/* A rotation needs the key it replaces; dave has none yet. */
	CHECK(store_set_key(st, "dave", EV_KEY_ROTATED, k, &p, NULL, &origin) == STORE_FAILED);
	CHECK(store_set_key(st, "dave", EV_KEY_ROTATED, k, &p, other, &origin) == STORE_REFUSED);
	/* Enrolling is signed by the new key itself. */
	CHECK(store_set_key(st, "dave", EV_KEY_ENROLLED, k, &p, NULL, &origin) == STORE_OK);
	CHECK(store_get_engineer(st, "dave", &e) == STORE_OK);
	CHECK_STR(e.public_key, sign_key_public(k));
	CHECK_STR(e.key.salt, p.salt);
	CHECK(e.key.ops == p.ops && e.key.mem == p.mem);
	CHECK_STR(e.pin_hash, "");
	store_engineer_clear(&e);
	size_t n = 0;
	struct event *eng = load(st, EVENT_CHAIN_ENGINEERS, &n);
	CHECK(n == 1);
	if (n == 1) {
		CHECK_STR(eng[0].kind, EV_KEY_ENROLLED);
		const char *dave[] = {"dave"};
		const struct sign_key *keys[] = {k};
		CHECK(signed_by(eng[0].sigs, eng[0].hash, 1, dave, keys));
		CHECK_FIELD(eng[0].payload, "key.salt", p.salt);
	}
	event_array_free(eng, n);
	CHECK(store_set_key(st, "dave", EV_KEY_ENROLLED, k, &p, NULL, &origin) == STORE_REFUSED);
	CHECK(contains(store_error(st), "already has a signing key"));
	event_clear(&origin);
	sign_key_destroy(k);
	sign_key_destroy(other);
	store_close(st);
	free(path);
}

static void expect_registered(const struct event *ev, const struct store_run_row *run)
{
	CHECK_STR(ev->kind, EV_RUN_REGISTERED);
	CHECK_STR(ev->target, run->id);
	CHECK_STR(ev->actor, "system");
	CHECK_FIELD(ev->payload, "checklist", run->checklist_id);
	CHECK_FIELD(ev->payload, "sha256", run->checklist_sha);
	CHECK_FIELD(ev->payload, "title", run->title);
	CHECK_FIELD(ev->payload, "path", run->path);
	CHECK_FIELD(ev->payload, "nonce", run->nonce);
	char *started = xasprintf("%lld", (long long)run->started_us);
	CHECK_FIELD(ev->payload, "started_us", started);
	free(started);
	CHECK(!ev->sigs || !ev->sigs[0]);
}

static void expect_ended(const struct event *ev, const char *run, const char *kind, const struct event *end)
{
	CHECK_STR(ev->kind, EV_RUN_ENDED);
	CHECK_STR(ev->target, run);
	CHECK_STR(ev->actor, "system");
	CHECK_FIELD(ev->payload, "kind", kind);
	char *seq = xasprintf("%lld", (long long)end->seq);
	CHECK_FIELD(ev->payload, "events", seq);
	free(seq);
	CHECK_FIELD(ev->payload, "head", end->hash);
}

static void test_registry(const char *tmp)
{
	char *path = xasprintf("%s/registry.db", tmp);
	struct store *st = fixture_open(path);
	size_t n = 0;
	struct event *reg = load(st, EVENT_CHAIN_REGISTRY, &n);
	/* A new record: its id, nothing from before signatures. */
	CHECK(n == 1);
	char record[CHECKPOINT_RECORD_HEX];
	CHECK(store_record_id(st, record) == STORE_OK && strlen(record) == 32);
	if (n == 1) {
		CHECK_STR(reg[0].kind, EV_REGISTRY_OPENED);
		CHECK_STR(reg[0].actor, "system");
		CHECK_FIELD(reg[0].payload, "record", record);
		CHECK_FIELD(reg[0].payload, "schema", "4");
		CHECK_FIELD(reg[0].payload, "unsigned_through", "0");
		CHECK_FIELD(reg[0].payload, "legacy_pins", "0");
		char genesis[EVENT_HASH_HEX];
		event_sha256_hex("countersign-registry-v1", 23, genesis);
		CHECK_STR(reg[0].prev, genesis);
	}
	event_array_free(reg, n);

	struct store_run_row a, b;
	fixture_run(st, &a, "first");
	fixture_run(st, &b, "second");
	reg = load(st, EVENT_CHAIN_REGISTRY, &n);
	CHECK(n == 3);
	if (n == 3) {
		expect_registered(&reg[1], &a);
		expect_registered(&reg[2], &b);
		CHECK_STR(reg[1].host, "deploy-01"); /* the run_started event's */
	}
	event_array_free(reg, n);
	/* A run's chain is not the registry: the derived run table has no
	 * row for it. */
	CHECK(count_on(path, "SELECT count(*) FROM run_index WHERE run = 'registry'") == 0);

	/* The first ending event registers the end; what follows does not. */
	struct event end[2] = {
		fixture_event("alice", EV_NOTE, "", "{\"text\":\"last\"}"),
		fixture_event("system", EV_RUN_COMPLETED, "", NULL),
	};
	CHECK(store_append(st, a.id, end, 2, NULL, 0) == STORE_OK);
	CHECK(fixture_append(st, a.id, "system", EV_NOTIFY_FAILED, "", "{}", NULL) == STORE_OK);
	CHECK(fixture_append(st, a.id, "alice", EV_RUN_ABORTED, "", "{}", NULL) == STORE_OK);
	struct event aborted = fixture_event("bob", EV_RUN_ABORTED, "", "{\"reason\":\"r\"}");
	CHECK(store_append(st, b.id, &aborted, 1, NULL, 0) == STORE_OK);
	reg = load(st, EVENT_CHAIN_REGISTRY, &n);
	CHECK(n == 5);
	if (n == 5) {
		expect_ended(&reg[3], a.id, EV_RUN_COMPLETED, &end[1]);
		expect_ended(&reg[4], b.id, EV_RUN_ABORTED, &aborted);
		CHECK_STR(reg[4].os_user, "ops");
	}
	event_array_free(reg, n);
	/* The trail leaves the registry out unless asked for it. */
	struct store_audit_entry *e = NULL;
	CHECK(store_audit(st, NULL, &e, &n) == STORE_OK);
	bool any = false;
	for (size_t i = 0; i < n; i++)
		any |= strcmp(e[i].chain, EVENT_CHAIN_REGISTRY) == 0;
	CHECK(n > 0 && !any);
	store_audit_entry_array_free(e, n);
	struct store_audit_filter f = {.run = EVENT_CHAIN_REGISTRY};
	CHECK(store_audit(st, &f, &e, &n) == STORE_OK && n == 5);
	store_audit_entry_array_free(e, n);

	event_clear(&end[0]);
	event_clear(&end[1]);
	event_clear(&aborted);
	store_run_row_clear(&a);
	store_run_row_clear(&b);
	store_close(st);
	free(path);
}

static void test_checkpoint(const char *tmp)
{
	char *path = xasprintf("%s/checkpoint.db", tmp);
	struct store *st = fixture_open(path);
	struct store_run_row done, open1, open2;
	fixture_run(st, &done, "done");
	fixture_run(st, &open1, "open one");
	fixture_run(st, &open2, "open two");
	CHECK(fixture_append(st, done.id, "system", EV_RUN_COMPLETED, "", NULL, NULL) == STORE_OK);
	char head[EVENT_HASH_HEX];
	CHECK(fixture_append(st, open2.id, "alice", EV_NOTE, "", "{\"text\":\"x\"}", head) == STORE_OK);

	/* No engineer yet: the engineers chain is left out. Every open run. */
	struct checkpoint cp;
	CHECK(store_checkpoint(st, NULL, &cp) == STORE_OK);
	char record[CHECKPOINT_RECORD_HEX];
	CHECK(store_record_id(st, record) == STORE_OK);
	CHECK_STR(cp.record, record);
	CHECK(cp.host && cp.host[0] && !strchr(cp.host, ' '));
	CHECK(cp.time_us > 0);
	CHECK(cp.n_chains == 3);
	size_t n = 0;
	struct event *reg = load(st, EVENT_CHAIN_REGISTRY, &n);
	if (cp.n_chains == 3) {
		CHECK_STR(cp.chains[0].name, EVENT_CHAIN_REGISTRY);
		CHECK(cp.chains[0].events == (int64_t)n);
		CHECK_STR(cp.chains[0].head, reg[n - 1].hash);
		CHECK_STR(cp.chains[1].name, open1.id);
		CHECK(cp.chains[1].events == 1);
		CHECK_STR(cp.chains[2].name, open2.id);
		CHECK(cp.chains[2].events == 2);
		CHECK_STR(cp.chains[2].head, head);
	}
	event_array_free(reg, n);
	/* What is printed parses back to the same. */
	char *text = checkpoint_format(&cp);
	struct checkpoint back;
	char *why = NULL;
	CHECK(checkpoint_parse(text, strlen(text), &back, &why));
	CHECK(back.n_chains == cp.n_chains);
	CHECK_STR(back.record, cp.record);
	checkpoint_clear(&back);
	free(why);
	free(text);
	checkpoint_clear(&cp);

	/* One run (ended or not), with the engineers chain once it has events. */
	fixture_engineer(st, "alice", "Alice", "alice-pin-1", false);
	CHECK(store_checkpoint(st, done.id, &cp) == STORE_OK);
	CHECK(cp.n_chains == 3);
	if (cp.n_chains == 3) {
		CHECK_STR(cp.chains[1].name, EVENT_CHAIN_ENGINEERS);
		CHECK(cp.chains[1].events == 1);
		CHECK_STR(cp.chains[2].name, done.id);
		CHECK(cp.chains[2].events == 2);
	}
	checkpoint_clear(&cp);
	CHECK(store_checkpoint(st, "nosuchrun0", &cp) == STORE_NOT_FOUND);
	checkpoint_clear(&cp);

	/* A doctored head, or record id, is said, not put in a checkpoint
	 * (whose text could not hold it). */
	struct db *db = fixture_sql_open(path);
	fixture_guards_off(db);
	char *sql = xasprintf("UPDATE events SET hash = 'not a hash' WHERE chain = '%s' AND seq = 2", open2.id);
	CHECK(fixture_sql(db, sql, NULL) == DB_OK);
	free(sql);
	CHECK(store_checkpoint(st, NULL, &cp) == STORE_FAILED);
	CHECK(contains(store_error(st), "holds no valid hash"));
	CHECK(cp.n_chains == 0 && !cp.host);
	checkpoint_clear(&cp);
	CHECK(store_checkpoint(st, done.id, &cp) == STORE_OK);
	checkpoint_clear(&cp);
	CHECK(fixture_sql2(db, "UPDATE events SET payload = json_set(payload, '$.record', 'XYZ' || "
		"substr(json_extract(payload, '$.record'), 4)) WHERE chain = 'registry' AND seq = 1",
		"UPDATE events SET payload = regexp_replace(payload, '(\"record\":\")...', '\\1XYZ') "
		"WHERE chain = 'registry' AND seq = 1", NULL) == DB_OK);
	CHECK(db_changes(db) == 1);
	fixture_sql_close(db);
	CHECK(store_checkpoint(st, done.id, &cp) == STORE_FAILED);
	CHECK(contains(store_error(st), "registry_opened"));
	checkpoint_clear(&cp);

	store_run_row_clear(&done);
	store_run_row_clear(&open1);
	store_run_row_clear(&open2);
	store_close(st);
	free(path);
}

/* A record of schema version 3: bob and carol (PIN hashes, no keys), a
 * completed, an aborted and an open run, run COMPLETED being the first. */
static void make_legacy(const char *path, struct store_run_row runs[3])
{
	struct store *st = fixture_open(path);
	fixture_legacy_engineer(st, path, "bob", "Bob", "bob-pin-1", 1700000000000000LL);
	fixture_legacy_engineer(st, path, "carol", "Carol", "carol-pin-1", 1700000000000000LL);
	for (int i = 0; i < 3; i++)
		fixture_run(st, &runs[i], i == 0 ? "completed" : i == 1 ? "aborted" : "open");
	CHECK(fixture_append(st, runs[0].id, "bob", EV_NOTE, "", "{\"text\":\"a\"}", NULL) == STORE_OK);
	CHECK(fixture_append(st, runs[0].id, "system", EV_RUN_COMPLETED, "", NULL, NULL) == STORE_OK);
	CHECK(fixture_append(st, runs[0].id, "system", EV_NOTIFY_FAILED, "", "{}", NULL) == STORE_OK);
	CHECK(fixture_append(st, runs[1].id, "carol", EV_RUN_ABORTED, "", "{\"reason\":\"r\"}", NULL) == STORE_OK);
	store_close(st);
	CHECK(fixture_make_version_3(path));
	struct db *db = fixture_sql_open(path);
	CHECK(fixture_sql(db, "UPDATE engineers SET pin_hash = '$argon2id$v=19$m=8,t=1,p=1$' || name", NULL) == DB_OK);
	fixture_sql_close(db);
}

static void test_read_only_v3(const char *path, const struct store_run_row runs[3])
{
	char *err = NULL;
	struct store *st = store_open_mode(fixture_location(path), STORE_READ_ONLY, &err);
	CHECK(st != NULL);
	if (!st) {
		fprintf(stderr, "read-only open of a version 3 database: %s\n", err);
		free(err);
		return;
	}
	size_t n = 0;
	struct event *evs = load(st, runs[0].id, &n);
	CHECK(n == 4);
	for (size_t i = 0; i < n; i++)
		CHECK_STR(evs[i].sigs, "");
	event_array_free(evs, n);
	evs = load(st, EVENT_CHAIN_REGISTRY, &n);
	CHECK(n == 0);
	event_array_free(evs, n);
	struct store_engineer e;
	CHECK(store_get_engineer(st, "bob", &e) == STORE_OK);
	CHECK_STR(e.public_key, "");
	CHECK(e.key.ops == 0 && e.key.salt[0] == '\0');
	CHECK(contains(e.pin_hash, "$argon2id$"));
	store_engineer_clear(&e);
	struct store_audit_entry *a = NULL;
	CHECK(store_audit(st, NULL, &a, &n) == STORE_OK && n > 0);
	if (n > 0)
		CHECK_STR(a[0].ev.sigs, "");
	store_audit_entry_array_free(a, n);
	/* No registry: no record id, no checkpoint, said so. */
	char record[CHECKPOINT_RECORD_HEX];
	CHECK(store_record_id(st, record) == STORE_NOT_FOUND);
	CHECK(contains(store_error(st), "predates the registry chain"));
	struct checkpoint cp;
	CHECK(store_checkpoint(st, NULL, &cp) == STORE_NOT_FOUND);
	checkpoint_clear(&cp);
	/* Verify reads it too, and says what it cannot check. */
	struct store_verify_result vr;
	CHECK(store_verify(st, NULL, NULL, &vr) == STORE_OK && vr.ok && contains(vr.why, "predates signatures"));
	store_verify_result_clear(&vr);
	store_close(st);
	CHECK(count_on(path, "PRAGMA user_version") == 3);
}

static void test_migration(const char *tmp)
{
	if (fixture_skip_sqlite_file("migrating a record of schema version 3 (PostgreSQL records start at 5)"))
		return;
	char *path = xasprintf("%s/legacy.db", tmp);
	struct store_run_row runs[3];
	make_legacy(path, runs);
	test_read_only_v3(path, runs);

	/* A connection that writes migrates it and opens the registry. */
	struct store *st = fixture_open(path);
	CHECK(count_on(path, "PRAGMA user_version") == store_schema_version());
	size_t n = 0;
	struct event *reg = load(st, EVENT_CHAIN_REGISTRY, &n);
	CHECK(n == 1 + 3 + 2);
	if (n == 6) {
		CHECK_STR(reg[0].kind, EV_REGISTRY_OPENED);
		CHECK_FIELD(reg[0].payload, "unsigned_through.engineers", "2");
		CHECK_FIELD(reg[0].payload, "unsigned_through", "4");
		char *at = xasprintf("unsigned_through.%s", runs[0].id);
		CHECK_FIELD(reg[0].payload, at, "4");
		free(at);
		at = xasprintf("unsigned_through.%s", runs[1].id);
		CHECK_FIELD(reg[0].payload, at, "2");
		free(at);
		char sha[EVENT_HASH_HEX];
		const char bob_pin[] = "$argon2id$v=19$m=8,t=1,p=1$bob";
		event_sha256_hex(bob_pin, sizeof(bob_pin) - 1, sha);
		CHECK_FIELD(reg[0].payload, "legacy_pins.bob", sha);
		CHECK_FIELD(reg[0].payload, "legacy_pins", "2");
		char record[CHECKPOINT_RECORD_HEX];
		CHECK(store_record_id(st, record) == STORE_OK);
		CHECK_FIELD(reg[0].payload, "record", record);
		for (int i = 0; i < 3; i++)
			expect_registered(&reg[1 + i], &runs[i]);
		struct event *evs = NULL;
		size_t m = 0;
		evs = load(st, runs[0].id, &m);
		if (m == 4)
			expect_ended(&reg[4], runs[0].id, EV_RUN_COMPLETED, &evs[2]);
		event_array_free(evs, m);
		evs = load(st, runs[1].id, &m);
		if (m == 2)
			expect_ended(&reg[5], runs[1].id, EV_RUN_ABORTED, &evs[1]);
		event_array_free(evs, m);
	}
	event_array_free(reg, n);
	/* Engineers keep their PIN hash until they enrol a key; from now on
	 * the derived run table leaves the registry out. */
	struct store_engineer e;
	CHECK(store_get_engineer(st, "carol", &e) == STORE_OK);
	CHECK(contains(e.pin_hash, "$argon2id$") && e.public_key[0] == '\0');
	store_engineer_clear(&e);
	CHECK(count_on(path, "SELECT count(*) FROM run_index WHERE run = 'registry'") == 0);
	CHECK(fixture_append(st, runs[2].id, "system", EV_RUN_COMPLETED, "", NULL, NULL) == STORE_OK);
	reg = load(st, EVENT_CHAIN_REGISTRY, &n);
	CHECK(n == 7 && strcmp(reg[n - 1].kind, EV_RUN_ENDED) == 0);
	event_array_free(reg, n);
	CHECK(count_on(path, "SELECT count(*) FROM run_index WHERE run = 'registry'") == 0);
	store_close(st);

	/* Reopening migrates nothing twice. */
	st = fixture_open(path);
	reg = load(st, EVENT_CHAIN_REGISTRY, &n);
	CHECK(n == 7);
	event_array_free(reg, n);
	struct store_verify_result vr;
	CHECK(store_verify(st, NULL, NULL, &vr) == STORE_OK && vr.ok);
	if (!vr.ok)
		fprintf(stderr, "verify after migration: %s\n", vr.why ? vr.why : "?");
	store_verify_result_clear(&vr);
	store_close(st);
	for (int i = 0; i < 3; i++)
		store_run_row_clear(&runs[i]);
	free(path);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char *tmp = fixture_tmpdir();
	test_signed_append(tmp);
	test_stale_key(tmp);
	test_enrol(tmp);
	test_registry(tmp);
	test_checkpoint(tmp);
	test_migration(tmp);
	fixture_rm_rf(tmp);
	return check_report();
}
