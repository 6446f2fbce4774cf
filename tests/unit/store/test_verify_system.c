/* Unit tests of what verify allows "system" (which signs nothing) to have
 * recorded in a run: its completion once every gate passed, a failed
 * notification, and an interruption of a check that was running. A sign-off
 * or waiver by system, a completion while a gate is closed, and an
 * interruption of a check that had finished each fail, named. */
#include "test_verify_scene.h"

static void test_system_signs_nothing(const char *tmp)
{
	static const char *const forged[][3] = {
		{EV_SIGNED, "pre", "{\"meaning\":\"approve\",\"digest\":\"d1\"}"},
		{EV_WAIVED, "pre/ping", "{\"reason\":\"forged\"}"},
		{EV_CHECK_FINISHED, "pre/ping", "{\"verdict\":\"pass\"}"},
	};
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		struct vscene sc;
		char name[32];
		snprintf(name, sizeof(name), "system-%zu", i);
		vscene_open(&sc, tmp, name);
		struct event ev = vscene_event("system", forged[i][0], forged[i][1], forged[i][2]);
		vscene_forge(&sc, sc.run.id, &ev, NULL, NULL);
		char *want = xasprintf("event 8 (%s by system): recorded as system, which signs nothing and records in a "
			"run only its completion, a failed notification or a check found interrupted", forged[i][0]);
		EXPECT_FAIL(&sc, NULL, sc.run.id, 8, want);
		EXPECT_FAIL(&sc, sc.run.id, sc.run.id, 8, want);
		free(want);
		vscene_close(&sc);
	}
}

static void test_completion_gate(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "gate");
	EXPECT_OK(&sc, NULL); /* completed once ping passed */
	struct store_run_row run;
	vscene_run(&sc, &run, "gate-closed");
	struct event ev = vscene_event("system", EV_RUN_COMPLETED, "", "{}");
	vscene_forge(&sc, run.id, &ev, NULL, NULL);
	EXPECT_FAIL(&sc, NULL, run.id, 2, "event 2 (run_completed by system): the run is recorded as completed while "
		"the gate of section pre is closed");
	store_run_row_clear(&run);
	vscene_close(&sc);
}

static void test_interruption(const char *tmp)
{
	struct vscene sc;
	vscene_open(&sc, tmp, "interrupted");
	/* An interruption of a check under way, as recovery records it. */
	struct store_run_row run;
	vscene_run(&sc, &run, "running");
	vscene_append2(&sc, run.id, "alice", NULL, EV_CHECK_STARTED, "pre/ping", "{\"command\":\"echo all good\"}");
	vscene_append2(&sc, run.id, "system", NULL, EV_CHECK_FINISHED, "pre/ping",
		"{\"verdict\":\"error\",\"message\":\"interrupted\",\"interrupted_seq\":2}");
	vscene_append2(&sc, run.id, "system", NULL, EV_NOTIFY_FAILED, "", "{\"event\":\"x\"}");
	EXPECT_OK(&sc, NULL);
	/* One of ping in the first run, which passed at event 3. */
	struct event ev = vscene_event("system", EV_CHECK_FINISHED, "pre/ping",
		"{\"verdict\":\"error\",\"message\":\"interrupted: forged\",\"interrupted_seq\":2}");
	vscene_forge(&sc, sc.run.id, &ev, NULL, NULL);
	EXPECT_FAIL(&sc, NULL, sc.run.id, 8, "event 8 (check_finished by system): an interruption recorded as system "
		"for pre/ping, whose check was not running");
	store_run_row_clear(&run);
	vscene_close(&sc);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char *tmp = fixture_tmpdir();
	test_system_signs_nothing(tmp);
	test_completion_gate(tmp);
	test_interruption(tmp);
	fixture_rm_rf(tmp);
	return check_report();
}
