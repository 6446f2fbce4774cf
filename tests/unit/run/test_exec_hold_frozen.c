/* A PostgreSQL server that accepts connections and then says nothing (its
 * processes stopped with SIGSTOP: the kernel still takes the connection)
 * does not freeze the executor's poll loop: the check's result gives up at
 * the statement deadline (1 s here) and is held, and each timed try of it
 * meanwhile connects without blocking (a probe driven by the loop), so no
 * call of the loop waits for the server; once the server runs again the
 * result lands exactly once. tests/pg/with_pg runs this; skipped (77)
 * without COUNTERSIGN_TEST_PG. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "exec_hold_fx.h"
#include "countersign/clock.h"
#include "countersign/exec.h"
#include "countersign/session.h"
#include "countersign/util.h"
#include "countersign/vars.h"

static char dir[] = "/tmp/cs-exec-frozen-XXXXXX";

/* Sends SIG (STOP or CONT) to the cluster's postmaster and its children. */
static int signal_cluster(const char *sig)
{
	char *cmd = xasprintf("pm=$(head -n 1 '%s/data/postmaster.pid') && kill -%s $pm $(pgrep -P $pm)",
		getenv("COUNTERSIGN_TEST_PG_DIR"), sig);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

static bool never(struct exec *x, void *data)
{
	(void)x;
	(void)data;
	return false;
}

int main(void)
{
	db = getenv("COUNTERSIGN_TEST_PG");
	if (!db || !getenv("COUNTERSIGN_TEST_PG_DIR")) {
		printf("skipped: needs a PostgreSQL cluster (tests/pg/with_pg)\n");
		return 77;
	}
	if (!mkdtemp(dir))
		return 1;
	session_test_cheap_pins();
	session_test_pg_deadline(1000);
	struct session s;
	memset(&s, 0, sizeof(s));
	s.report.say = keep;
	CHECK(session_open_store(&s, db) == CS_OK);
	CHECK(session_add_engineer(&s, "alice", "Alice", "pin-alice-1") == CS_OK);
	CHECK(session_check_pin(&s, "alice", "pin-alice-1", "test") == CS_OK);
	char *text = xasprintf("{\"countersign\": 1, \"id\": \"frozen\", \"title\": \"Frozen\", \"sections\": [\n"
		" {\"id\": \"s\", \"title\": \"S\", \"items\": [\n"
		"  {\"id\": \"a\", \"title\": \"A\", \"kind\": \"command\", \"run\": \"while [ ! -e %s/a ]; do sleep 0.05; done; echo went\"}]}]}\n",
		dir);
	struct diag_list dl;
	diag_list_init(&dl, "frozen.json");
	struct checklist *cl = checklist_load_text("frozen.json", text, strlen(text), &dl);
	diag_list_clear(&dl);
	free(text);
	if (!cl)
		return 1;
	struct var_values v = {0};
	vars_assign(&v, cl, NULL, 0, true, &s.report);
	CHECK(session_start_run(&s, cl, &v, NULL, "alice") == CS_OK);
	char *run = xstrdup(s.run.id);
	struct done d = {0};
	struct exec *x = exec_create(&s, &v, NULL, on_done, &d);
	exec_set_holding(x, true);
	CHECK(exec_start(x, 0, 0, "alice") == CS_OK);

	CHECK(signal_cluster("STOP") == 0);
	char *go = xasprintf("%s/a", dir);
	FILE *f = fopen(go, "w");
	if (f)
		fclose(f);
	free(go);
	/* the result gives up at the deadline and is held */
	CHECK(drive(x, finished, &d, 10000));
	CHECK(d.rc == CS_ENV);
	CHECK(exec_held(x) == 1);
	/* 6 s of the loop with the server stopped: tries due after 1, 2 and
	 * 4 s more; none of them waits for it (PQreset would, 10 s) */
	drive(x, never, NULL, 6000);
	printf("longest dispatch while the server is stopped: %.1f ms\n", (double)longest_us / 1000);
	CHECK(longest_us < 500 * 1000);
	CHECK(exec_held(x) == 1);

	CHECK(signal_cluster("CONT") == 0);
	CHECK(drive(x, none_held, NULL, 30000));
	CHECK(finishes(run, "s/a") == 1);
	free(exec_close(x));

	session_close(&s);
	vars_clear(&v);
	checklist_destroy(cl);
	free(run);
	strvec_clear(&said);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	return check_report();
}
