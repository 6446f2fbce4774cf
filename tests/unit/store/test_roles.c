/* Unit tests of roles in the record: store_set_role needs two engineers
 * other than the one whose roles change, each with their current key, and
 * writes nothing when refused; a grant or removal is a signed event and
 * the row follows it; a signature must claim its signer's roles as they are
 * when it is appended; verify checks the role events, the roles column and
 * that every claimed role was held where the signature stands in the
 * record; a version 4 record is brought to version 5. */
#include "test_verify_scene.h"

#include <cjson/cJSON.h>

struct rscene {
	struct vscene v;   /* alice, bob, and an open run of 3 events */
	struct sign_key *carol;
};

static void rscene_open(struct rscene *sc, const char *tmp, const char *name)
{
	memset(sc, 0, sizeof(*sc));
	sc->v.path = xasprintf("%s/%s.db", tmp, name);
	sc->v.st = fixture_open(sc->v.path);
	sc->v.alice = fixture_engineer(sc->v.st, "alice", "Alice Smith", "alice-pin-1", true);
	sc->v.bob = fixture_engineer(sc->v.st, "bob", "Bob Brown", "bob-pin-1", true);
	sc->carol = fixture_engineer(sc->v.st, "carol", "Carol Jones", "carol-pin-1", true);
	vscene_run(&sc->v, &sc->v.run, name);
	vscene_append(&sc->v, "alice", EV_CHECK_STARTED, "pre/ping", "{\"command\":\"echo all good\"}"); /* 2 */
	vscene_append(&sc->v, "alice", EV_CHECK_FINISHED, "pre/ping", "{\"verdict\":\"pass\"}");         /* 3 */
}

static void rscene_close(struct rscene *sc)
{
	sign_key_destroy(sc->carol);
	vscene_close(&sc->v);
}

static enum store_status set_role(struct rscene *sc, const char *name, const char *role, bool add, const char *a,
	const struct sign_key *ka, const char *b, const struct sign_key *kb)
{
	const char *by[2] = {a, b};
	const struct sign_key *keys[2] = {ka, kb};
	struct event origin = fixture_event("system", "", "", "{}");
	enum store_status s = store_set_role(sc->v.st, name, role, add, by, keys, &origin);
	event_clear(&origin);
	return s;
}

static long long count(struct rscene *sc, const char *sql)
{
	struct db *db = fixture_sql_open(sc->v.path);
	long long n = fixture_sql_int(db, sql);
	fixture_sql_close(db);
	return n;
}

static long long engineers_events(struct rscene *sc)
{
	return count(sc, "SELECT count(*) FROM events WHERE chain = 'engineers'");
}

static char *roles_column(struct rscene *sc, const char *name)
{
	struct db *db = fixture_sql_open(sc->v.path);
	struct db_stmt *stmt = NULL;
	char *out = NULL;
	CHECK(db_prepare(db, "SELECT roles FROM engineers WHERE name = ?1", &stmt) == DB_OK);
	db_bind_text(stmt, 1, name);
	if (db_step(stmt) == DB_ROW)
		out = xstrdup(db_column_text(stmt, 0));
	db_finalize(stmt);
	fixture_sql_close(db);
	return out ? out : xstrdup("(none)");
}

/* A signature by ACTOR claiming ROLES (JSON text, NULL: no field). */
static enum store_status sign_as(struct rscene *sc, const char *actor, const struct sign_key *key, const char *roles)
{
	char *payload = roles ? xasprintf("{\"meaning\":\"approved\",\"digest\":\"d1\",\"roles\":%s}", roles)
		: xstrdup("{\"meaning\":\"approved\",\"digest\":\"d1\"}");
	struct event ev = fixture_event(actor, EV_SIGNED, "pre", payload);
	free(payload);
	ev.signers[0] = key;
	ev.signer_names[0] = actor;
	enum store_status s = store_append(sc->v.st, sc->v.run.id, &ev, 1, NULL, 0);
	event_clear(&ev);
	return s;
}

static void test_grant_and_remove(const char *tmp)
{
	struct rscene sc;
	rscene_open(&sc, tmp, "grant");
	long long before = engineers_events(&sc);
	CHECK(set_role(&sc, "carol", "dba", true, "alice", sc.v.alice, "bob", sc.v.bob) == STORE_OK);
	CHECK(set_role(&sc, "carol", "sre", true, "bob", sc.v.bob, "alice", sc.v.alice) == STORE_OK);
	CHECK(engineers_events(&sc) == before + 2);
	char *col = roles_column(&sc, "carol");
	CHECK_STR(col, "[\"dba\",\"sre\"]");
	free(col);
	/* The event: by the first approver, about carol, signed by both. */
	struct event *evs = NULL;
	size_t n = 0;
	CHECK(store_load_events(sc.v.st, EVENT_CHAIN_ENGINEERS, before, &evs, &n) == STORE_OK && n == 2);
	if (n == 2) {
		CHECK_STR(evs[0].kind, EV_ROLE_GRANTED);
		CHECK_STR(evs[0].actor, "alice");
		CHECK_STR(evs[0].target, "carol");
		cJSON *p = cJSON_Parse(evs[0].payload);
		CHECK_STR(cJSON_GetObjectItemCaseSensitive(p, "role")->valuestring, "dba");
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "by")) == 2);
		CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(p, "heads")));
		cJSON_Delete(p);
		struct sign_entry *s = NULL;
		size_t ns = 0;
		const char *why = NULL;
		CHECK(sign_entries_parse(evs[0].sigs, &s, &ns, &why) && ns == 2);
		if (ns == 2) {
			CHECK_STR(s[0].by, "alice");
			CHECK_STR(s[1].by, "bob");
		}
		sign_entries_free(s, ns);
	}
	event_array_free(evs, n);
	/* The listings read them. */
	struct store_engineer e;
	CHECK(store_get_engineer(sc.v.st, "carol", &e) == STORE_OK && e.n_roles == 2);
	CHECK(store_engineer_has_role(&e, "dba") && store_engineer_has_role(&e, "sre"));
	store_engineer_clear(&e);
	CHECK(e.roles == NULL && e.n_roles == 0);
	struct store_engineer *list = NULL;
	CHECK(store_list_engineers(sc.v.st, &list, &n) == STORE_OK && n == 3);
	if (n == 3)
		CHECK(list[0].n_roles == 0 && list[2].n_roles == 2 && strcmp(list[2].roles[1], "sre") == 0);
	for (size_t i = 0; i < n; i++)
		store_engineer_clear(&list[i]);
	free(list);
	EXPECT_OK(&sc.v, NULL);
	CHECK(set_role(&sc, "carol", "dba", false, "alice", sc.v.alice, "bob", sc.v.bob) == STORE_OK);
	col = roles_column(&sc, "carol");
	CHECK_STR(col, "[\"sre\"]");
	free(col);
	EXPECT_OK(&sc.v, NULL);
	EXPECT_OK(&sc.v, EVENT_CHAIN_ENGINEERS);
	rscene_close(&sc);
}

static void test_refusals(const char *tmp)
{
	struct rscene sc;
	rscene_open(&sc, tmp, "refusals");
	CHECK(set_role(&sc, "carol", "dba", true, "alice", sc.v.alice, "bob", sc.v.bob) == STORE_OK);
	long long before = engineers_events(&sc);
	/* carol approving her own role, alice twice, one approver. */
	CHECK(set_role(&sc, "carol", "sre", true, "carol", sc.carol, "bob", sc.v.bob) == STORE_REFUSED);
	CHECK(strstr(store_error(sc.v.st), "their own roles") != NULL);
	CHECK(set_role(&sc, "carol", "sre", true, "bob", sc.v.bob, "carol", sc.carol) == STORE_REFUSED);
	CHECK(set_role(&sc, "carol", "sre", true, "alice", sc.v.alice, "alice", sc.v.alice) == STORE_REFUSED);
	CHECK(strstr(store_error(sc.v.st), "two different engineers") != NULL);
	CHECK(set_role(&sc, "carol", "sre", true, "alice", sc.v.alice, "bob", NULL) == STORE_REFUSED);
	/* A key that is not bob's (a wrong PIN's), a held role, a role not held. */
	struct sign_key *mallory = fixture_key("mallory", NULL);
	CHECK(set_role(&sc, "carol", "sre", true, "alice", sc.v.alice, "bob", mallory) == STORE_REFUSED);
	sign_key_destroy(mallory);
	CHECK(set_role(&sc, "carol", "dba", true, "alice", sc.v.alice, "bob", sc.v.bob) == STORE_REFUSED);
	CHECK(strstr(store_error(sc.v.st), "already holds the role dba") != NULL);
	CHECK(set_role(&sc, "carol", "sre", false, "alice", sc.v.alice, "bob", sc.v.bob) == STORE_REFUSED);
	CHECK(strstr(store_error(sc.v.st), "does not hold the role sre") != NULL);
	/* Bad role names, an unknown engineer, an unknown approver. */
	CHECK(set_role(&sc, "carol", "DBA", true, "alice", sc.v.alice, "bob", sc.v.bob) == STORE_FAILED);
	CHECK(set_role(&sc, "carol", "9x", true, "alice", sc.v.alice, "bob", sc.v.bob) == STORE_FAILED);
	CHECK(set_role(&sc, "carol", "a23456789012345678901234567890123", true, "alice", sc.v.alice, "bob",
		sc.v.bob) == STORE_FAILED);
	CHECK(set_role(&sc, "dave", "sre", true, "alice", sc.v.alice, "bob", sc.v.bob) == STORE_NOT_FOUND);
	CHECK(set_role(&sc, "carol", "sre", true, "alice", sc.v.alice, "dave", sc.v.bob) == STORE_NOT_FOUND);
	CHECK(engineers_events(&sc) == before);
	char *col = roles_column(&sc, "carol");
	CHECK_STR(col, "[\"dba\"]");
	free(col);
	CHECK(store_role_valid("dba") && store_role_valid("on-call_2") && store_role_valid("a2345678901234567890123456789012"));
	CHECK(!store_role_valid("") && !store_role_valid("-x") && !store_role_valid("d.b") && !store_role_valid(NULL));
	EXPECT_OK(&sc.v, NULL);
	rscene_close(&sc);
}

/* A signature claims its signer's roles as they are when it is appended. */
static void test_signed_roles(const char *tmp)
{
	struct rscene sc;
	rscene_open(&sc, tmp, "signed");
	CHECK(sign_as(&sc, "carol", sc.carol, "[]") == STORE_OK);                    /* 4 */
	CHECK(sign_as(&sc, "bob", sc.v.bob, NULL) == STORE_OK);                       /* 5: no field, no roles */
	CHECK(set_role(&sc, "carol", "dba", true, "alice", sc.v.alice, "bob", sc.v.bob) == STORE_OK);
	long long events = count(&sc, "SELECT count(*) FROM events");
	CHECK(sign_as(&sc, "carol", sc.carol, "[]") == STORE_REFUSED);
	CHECK(strstr(store_error(sc.v.st), "the roles of carol changed meanwhile (now dba; the signature was made "
		"with none); sign again") != NULL);
	CHECK(sign_as(&sc, "carol", sc.carol, NULL) == STORE_REFUSED);
	CHECK(sign_as(&sc, "carol", sc.carol, "[\"dba\",\"sre\"]") == STORE_REFUSED);
	CHECK(sign_as(&sc, "carol", sc.carol, "\"dba\"") == STORE_REFUSED);
	CHECK(count(&sc, "SELECT count(*) FROM events") == events);
	CHECK(sign_as(&sc, "carol", sc.carol, "[\"dba\"]") == STORE_OK);              /* 6 */
	CHECK(set_role(&sc, "carol", "dba", false, "alice", sc.v.alice, "bob", sc.v.bob) == STORE_OK);
	/* Another process removed it: the signature made with it is refused. */
	CHECK(sign_as(&sc, "carol", sc.carol, "[\"dba\"]") == STORE_REFUSED);
	CHECK(count(&sc, "SELECT count(*) FROM events") == events + 2);
	EXPECT_OK(&sc.v, NULL);
	EXPECT_OK(&sc.v, sc.v.run.id);
	rscene_close(&sc);
}

/* The roles column edited. */
static void test_tampered_column(const char *tmp)
{
	struct rscene sc;
	rscene_open(&sc, tmp, "column");
	CHECK(set_role(&sc, "carol", "dba", true, "alice", sc.v.alice, "bob", sc.v.bob) == STORE_OK);
	vscene_tamper(&sc.v, "UPDATE engineers SET roles = '[\"dba\",\"sre\"]' WHERE name = 'carol'");
	EXPECT_FAIL(&sc.v, NULL, "engineers", 0, "the engineers table disagrees with the engineers chain: carol's "
		"roles are [\"dba\",\"sre\"], the chain gives carol [\"dba\"] (the table was edited)");
	vscene_tamper(&sc.v, "UPDATE engineers SET roles = '[\"dba\"]' WHERE name = 'carol'");
	EXPECT_OK(&sc.v, NULL);
	vscene_tamper(&sc.v, "UPDATE engineers SET roles = '[\"dba\"]' WHERE name = 'alice'");
	EXPECT_FAIL(&sc.v, NULL, "engineers", 0, "alice's roles are [\"dba\"], the chain gives alice []");
	rscene_close(&sc);
}

/* Role events forged or altered by someone who can write the file. */
static void test_forged_role_events(const char *tmp)
{
	struct rscene sc;
	rscene_open(&sc, tmp, "forged-one");
	/* alice alone, naming bob as the second approver. */
	struct event ev = vscene_event("alice", EV_ROLE_GRANTED, "carol",
		"{\"role\":\"dba\",\"by\":[\"alice\",\"bob\"],\"heads\":{\"registry\":2,\"runs\":{}}}");
	int64_t seq = vscene_forge(&sc.v, "engineers", &ev, "alice", sc.v.alice);
	char *want = xasprintf("event %" PRId64 " of the engineers chain (role_granted of carol): carries no signature by bob, whom it "
		"names as approving it", seq);
	EXPECT_FAIL(&sc.v, NULL, "engineers", seq, want);
	free(want);
	rscene_close(&sc);

	/* carol approving her own role (her signature genuine). */
	rscene_open(&sc, tmp, "forged-self");
	ev = vscene_event("carol", EV_ROLE_GRANTED, "carol",
		"{\"role\":\"dba\",\"by\":[\"carol\",\"bob\"],\"heads\":{\"registry\":2,\"runs\":{}}}");
	seq = vscene_forge(&sc.v, "engineers", &ev, "carol", sc.carol);
	EXPECT_FAIL(&sc.v, NULL, "engineers", seq, "carol approved a change of their own roles");
	rscene_close(&sc);

	/* A genuine grant whose role is changed afterwards, the chain re-hashed. */
	rscene_open(&sc, tmp, "altered");
	CHECK(set_role(&sc, "carol", "dba", true, "alice", sc.v.alice, "bob", sc.v.bob) == STORE_OK);
	seq = count(&sc, "SELECT max(seq) FROM events WHERE chain = 'engineers'");
	char *sql = xasprintf("UPDATE events SET payload = replace(payload, '\"dba\"', '\"sre\"') WHERE chain = "
		"'engineers' AND seq = %" PRId64, seq);
	vscene_tamper(&sc.v, sql);
	free(sql);
	vscene_tamper(&sc.v, "UPDATE engineers SET roles = '[\"sre\"]' WHERE name = 'carol'");
	vscene_rehash(&sc.v, "engineers", seq);
	want = xasprintf("event %" PRId64 " of the engineers chain (role_granted of carol): alice's signature does not verify", seq);
	EXPECT_FAIL(&sc.v, NULL, "engineers", seq, want);
	free(want);
	rscene_close(&sc);

	/* A role event with an unknown kind of approval list. */
	rscene_open(&sc, tmp, "forged-by");
	ev = vscene_event("alice", EV_ROLE_REMOVED, "carol", "{\"role\":\"dba\",\"heads\":{\"registry\":2,\"runs\":{}}}");
	seq = vscene_forge(&sc.v, "engineers", &ev, "alice", sc.v.alice);
	EXPECT_FAIL(&sc.v, NULL, "engineers", seq, "names the two engineers who approved it");
	rscene_close(&sc);
}

/* Replaces the payload of the last event SEQ of the run (by carol) with
 * PAYLOAD, re-hashed and re-signed with carol's key: a genuine signature
 * of a claim made afterwards. */
static void resign_last(struct rscene *sc, int64_t seq, const char *payload)
{
	struct db *db = vscene_attacker(&sc->v);
	struct event ev = vscene_event("carol", EV_SIGNED, "pre", payload);
	struct db_stmt *stmt = NULL;
	CHECK(db_prepare(db, "SELECT time_us, os_user, host, tty, prev FROM events WHERE chain = ?1 AND seq = ?2",
		&stmt) == DB_OK);
	db_bind_text(stmt, 1, sc->v.run.id);
	db_bind_int64(stmt, 2, seq);
	CHECK(db_step(stmt) == DB_ROW);
	ev.seq = seq;
	ev.time_us = db_column_int64(stmt, 0);
	char *os_user = xstrdup(db_column_text(stmt, 1));
	char *host = xstrdup(db_column_text(stmt, 2));
	char *tty = xstrdup(db_column_text(stmt, 3));
	snprintf(ev.prev, sizeof(ev.prev), "%s", db_column_text(stmt, 4));
	db_finalize(stmt);
	ev.os_user = os_user;
	ev.host = host;
	ev.tty = tty;
	CHECK(event_compute_hash(&ev, ev.hash));
	char *sigs = sign_entries_add(NULL, "carol", sc->carol, ev.hash);
	CHECK(db_prepare(db, "UPDATE events SET payload = ?3, hash = ?4, sigs = ?5 WHERE chain = ?1 AND seq = ?2",
		&stmt) == DB_OK);
	db_bind_text(stmt, 1, sc->v.run.id);
	db_bind_int64(stmt, 2, seq);
	db_bind_text(stmt, 3, payload);
	db_bind_text(stmt, 4, ev.hash);
	db_bind_text(stmt, 5, sigs);
	CHECK(db_step(stmt) == DB_DONE);
	db_finalize(stmt);
	/* the derived run table follows the chain's head */
	CHECK(db_prepare(db, "UPDATE run_index SET head = ?2 WHERE run = ?1", &stmt) == DB_OK);
	db_bind_text(stmt, 1, sc->v.run.id);
	db_bind_text(stmt, 2, ev.hash);
	CHECK(db_step(stmt) == DB_DONE);
	db_finalize(stmt);
	free(sigs);
	free(os_user);
	free(host);
	free(tty);
	fixture_sql_close(db);
}

/* A signature claiming a role its signer did not hold where it stands in
 * the record: granted only after it, or removed before it. */
static void test_claims_by_position(const char *tmp)
{
	struct rscene sc;
	rscene_open(&sc, tmp, "before-grant");
	CHECK(sign_as(&sc, "carol", sc.carol, "[]") == STORE_OK);                    /* 4 */
	CHECK(set_role(&sc, "carol", "dba", true, "alice", sc.v.alice, "bob", sc.v.bob) == STORE_OK);
	int64_t grant = count(&sc, "SELECT max(seq) FROM events WHERE chain = 'engineers'");
	EXPECT_OK(&sc.v, NULL);
	resign_last(&sc, 4, "{\"meaning\":\"approved\",\"digest\":\"d1\",\"roles\":[\"dba\"]}");
	char *want = xasprintf("event 4 (signed by carol): carol signed as holding the role dba, which carol did not "
		"hold then: the role was granted only after this signature was recorded (engineers event %" PRId64 ")",
		grant);
	EXPECT_FAIL(&sc.v, NULL, sc.v.run.id, 4, want);
	EXPECT_FAIL(&sc.v, sc.v.run.id, sc.v.run.id, 4, want);
	free(want);
	rscene_close(&sc);

	rscene_open(&sc, tmp, "after-removal");
	CHECK(set_role(&sc, "carol", "dba", true, "alice", sc.v.alice, "bob", sc.v.bob) == STORE_OK);
	CHECK(sign_as(&sc, "carol", sc.carol, "[\"dba\"]") == STORE_OK);              /* 4 */
	CHECK(set_role(&sc, "carol", "dba", false, "alice", sc.v.alice, "bob", sc.v.bob) == STORE_OK);
	int64_t removal = count(&sc, "SELECT max(seq) FROM events WHERE chain = 'engineers'");
	CHECK(sign_as(&sc, "carol", sc.carol, "[]") == STORE_OK);                    /* 5 */
	EXPECT_OK(&sc.v, NULL);
	resign_last(&sc, 5, "{\"meaning\":\"approved\",\"digest\":\"d1\",\"roles\":[\"dba\"]}");
	want = xasprintf("event 5 (signed by carol): carol signed as holding the role dba, which carol did not hold "
		"then: the role was removed (engineers event %" PRId64 ") before this signature was recorded", removal);
	EXPECT_FAIL(&sc.v, NULL, sc.v.run.id, 5, want);
	free(want);
	resign_last(&sc, 5, "{\"meaning\":\"approved\",\"digest\":\"d1\",\"roles\":[\"sre\"]}");
	EXPECT_FAIL(&sc.v, NULL, sc.v.run.id, 5, "the engineers chain never gave carol that role");
	resign_last(&sc, 5, "{\"meaning\":\"approved\",\"digest\":\"d1\",\"roles\":[]}");
	EXPECT_OK(&sc.v, NULL);
	rscene_close(&sc);
}

/* SC's record made one of schema version 4 (carol's signature in it),
 * brought to 5 by a connection that writes, and read as it is by one that
 * does not. */
static void migrate_from_4(struct rscene *sc)
{
	store_close(sc->v.st);
	CHECK(fixture_make_version_4(sc->v.path));
	char *err = NULL;
	struct store *ro = store_open_mode(fixture_location(sc->v.path), STORE_READ_ONLY, &err);
	CHECK(ro != NULL);
	free(err);
	if (ro) {
		struct store_engineer e;
		CHECK(store_get_engineer(ro, "carol", &e) == STORE_OK && e.n_roles == 0);
		store_engineer_clear(&e);
		struct store_verify_result r;
		CHECK(store_verify(ro, NULL, NULL, &r) == STORE_OK && r.ok);
		store_verify_result_clear(&r);
		store_close(ro);
	}
	CHECK(count(sc, "PRAGMA user_version") == 4);
	sc->v.st = fixture_open(sc->v.path);
	CHECK(count(sc, "PRAGMA user_version") == 5);
	char *col = roles_column(sc, "carol");
	CHECK_STR(col, "[]");
	free(col);
	EXPECT_OK(&sc->v, NULL);
}

/* Roles in a record of schema 5 (on SQLite, also one migrated from 4);
 * the guard on names lets roles change but not names. */
static void test_migration(const char *tmp)
{
	struct rscene sc;
	rscene_open(&sc, tmp, "v4");
	CHECK(sign_as(&sc, "carol", sc.carol, NULL) == STORE_OK);
	if (!fixture_skip_sqlite_file("a record of schema version 4 is a SQLite file (PostgreSQL records start at 5)"))
		migrate_from_4(&sc);
	CHECK(set_role(&sc, "carol", "dba", true, "alice", sc.v.alice, "bob", sc.v.bob) == STORE_OK);
	CHECK(sign_as(&sc, "carol", sc.carol, "[\"dba\"]") == STORE_OK);
	EXPECT_OK(&sc.v, NULL);
	/* The trigger (on SQLite, remade by the migration) still guards names. */
	struct db *db = fixture_sql_open(sc.v.path);
	char *msg = NULL;
	CHECK(fixture_sql(db, "UPDATE engineers SET full_name = 'x' WHERE name = 'carol'", &msg) == DB_CONSTRAINT);
	CHECK(strstr(msg, "only an engineer's PIN, key and roles can be changed") != NULL);
	free(msg);
	fixture_sql_close(db);
	rscene_close(&sc);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char *tmp = fixture_tmpdir();
	test_grant_and_remove(tmp);
	test_refusals(tmp);
	test_signed_roles(tmp);
	test_tampered_column(tmp);
	test_forged_role_events(tmp);
	test_claims_by_position(tmp);
	test_migration(tmp);
	fixture_rm_rf(tmp);
	return check_report();
}
