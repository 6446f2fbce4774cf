/* Unit tests of store_verify_checkpoint: a record still extends an earlier
 * checkpoint of it (also after more was recorded, and through the text
 * form); a run cut short after it, a chain rewritten and re-hashed (its
 * signatures aside), and a checkpoint of another record fail, named. */
#include "test_verify_scene.h"

#include "countersign/checkpoint.h"

/* A checkpoint of SC now, through its text form (as kept outside). */
static void take(struct vscene *sc, const char *run_id, struct checkpoint *cp)
{
	struct checkpoint taken = {0};
	CHECK(store_checkpoint(sc->st, run_id, &taken) == STORE_OK);
	char *text = checkpoint_format(&taken);
	checkpoint_clear(&taken);
	char *why = NULL;
	CHECK(checkpoint_parse(text, strlen(text), cp, &why));
	free(why);
	free(text);
}

static void expect_cp(struct vscene *sc, const struct checkpoint *cp, const char *chain, int64_t bad_seq,
	const char *why, int line)
{
	struct store_verify_result r;
	enum store_status s = store_verify_checkpoint(sc->st, cp, 1, &r);
	if (!why) {
		if (s != STORE_OK || !r.ok)
			fprintf(stderr, "line %d: %s\n", line, r.why ? r.why : store_error(sc->st));
		CHECK(s == STORE_OK && r.ok);
	} else {
		vscene_check_fail(&r, s, chain, bad_seq, why, line);
	}
	store_verify_result_clear(&r);
}

/* An open run of five events (the checkpoint's runs are the open ones). */
static void open_run(struct vscene *sc, struct store_run_row *run)
{
	vscene_run(sc, run, "open");
	for (int i = 0; i < 4; i++)
		vscene_append2(sc, run->id, i % 2 ? "bob" : "alice", NULL, EV_NOTE, "pre", "{\"text\":\"step\"}");
}

static void test_extends(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "extends");
	struct store_run_row run;
	open_run(&sc, &run);
	struct checkpoint cp = {0};
	take(&sc, NULL, &cp);
	CHECK(cp.n_chains == 3); /* registry, engineers, the open run */
	expect_cp(&sc, &cp, NULL, 0, NULL, __LINE__);
	vscene_append2(&sc, run.id, "bob", NULL, EV_NOTE, "pre", "{\"text\":\"later\"}");
	expect_cp(&sc, &cp, NULL, 0, NULL, __LINE__);
	checkpoint_clear(&cp);
	store_run_row_clear(&run);
	vscene_close(&sc);
}

static void test_truncated(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "cp-truncated");
	struct store_run_row run;
	open_run(&sc, &run);
	struct checkpoint cp = {0};
	take(&sc, run.id, &cp);
	char taken[40];
	clock_strftime_utc(cp.time_us, "%Y-%m-%d %H:%M:%S UTC", taken, sizeof(taken));
	/* The last two events cut, the derived run table made to match: the
	 * chain alone verifies. */
	char *sql = xasprintf("DELETE FROM events WHERE chain = '%s' AND seq > 3; "
		"UPDATE run_index SET last_seq = 3, events = 3, head = (SELECT hash FROM events WHERE chain = '%s' AND "
		"seq = 3), last_us = (SELECT time_us FROM events WHERE chain = '%s' AND seq = 3) WHERE run = '%s'",
		run.id, run.id, run.id, run.id);
	vscene_tamper(&sc, sql);
	free(sql);
	EXPECT_OK(&sc, NULL);
	char *want = xasprintf("chain %s has 3 events, fewer than the 5 of the checkpoint taken %s: events were "
		"removed from its end", run.id, taken);
	expect_cp(&sc, &cp, run.id, 0, want, __LINE__);
	free(want);
	checkpoint_clear(&cp);
	store_run_row_clear(&run);
	vscene_close(&sc);
}

static void test_rewritten(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "cp-rewritten");
	struct store_run_row run;
	open_run(&sc, &run);
	struct checkpoint cp = {0};
	take(&sc, NULL, &cp);
	char *sql = xasprintf("UPDATE events SET payload = '{\"text\":\"rewritten\"}' WHERE chain = '%s' AND seq = 2",
		run.id);
	vscene_tamper(&sc, sql);
	free(sql);
	vscene_rehash(&sc, run.id, 2);
	char *want = xasprintf("event 5 of chain %s is not the one the checkpoint recorded: the chain was rewritten",
		run.id);
	expect_cp(&sc, &cp, run.id, 5, want, __LINE__);
	free(want);
	checkpoint_clear(&cp);

	/* The registry chain rewritten from its start (a run's registration
	 * removed and the rest re-numbered would look the same). */
	take(&sc, NULL, &cp);
	vscene_tamper(&sc, "UPDATE events SET host = 'elsewhere' WHERE chain = 'registry' AND seq = 1");
	vscene_rehash(&sc, EVENT_CHAIN_REGISTRY, 1);
	char n[32];
	snprintf(n, sizeof(n), "event %" PRId64 " of chain registry", cp.chains[0].events);
	expect_cp(&sc, &cp, "registry", cp.chains[0].events, n, __LINE__);
	checkpoint_clear(&cp);
	store_run_row_clear(&run);
	vscene_close(&sc);
}

static void test_other_record(const char *tmp)
{
	struct vscene a, b;
	vscene_open(&a, tmp, "record-a");
	vscene_open(&b, tmp, "record-b");
	struct checkpoint cp = {0};
	take(&a, NULL, &cp);
	char id[CHECKPOINT_RECORD_HEX];
	CHECK(store_record_id(b.st, id) == STORE_OK);
	char *want = xasprintf("the checkpoint is of another record (the checkpoint's is %s, this one is %s)",
		cp.record, id);
	expect_cp(&b, &cp, NULL, 0, want, __LINE__);
	free(want);
	checkpoint_clear(&cp);
	vscene_close(&a);
	vscene_close(&b);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char *tmp = fixture_tmpdir();
	test_extends(tmp);
	test_truncated(tmp);
	test_rewritten(tmp);
	test_other_record(tmp);
	fixture_rm_rf(tmp);
	return check_report();
}
