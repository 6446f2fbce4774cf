/* The executor holds a check's result that the database could not take
 * (the PostgreSQL server down: tests/pg/with_pg runs this, pg_tmp halts and
 * starts the cluster) and tries it again from its poll loop with backoff:
 * nothing is recorded meanwhile, the wait doubles while the server stays
 * down, the result lands exactly once when it is back, a result whose
 * attempt another process ended meanwhile is dropped and said, another
 * append of the session that lands makes the held results due at once
 * (not after the backoff), and closing
 * the executor with a result still held gives the list of what was lost.
 * Skipped (77) without COUNTERSIGN_TEST_PG. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../check.h"
#include "exec_hold_fx.h"
#include "countersign/clock.h"
#include "countersign/exec.h"
#include "countersign/session.h"
#include "countersign/util.h"
#include "countersign/vars.h"

static char dir[] = "/tmp/cs-exec-hold-XXXXXX";

/* Runs tests/pg/pg_tmp CMD on the test's cluster; its exit status. */
static int pg_tmp(const char *cmd)
{
	const char *script = getenv("COUNTERSIGN_PG_TMP"), *pgdir = getenv("COUNTERSIGN_TEST_PG_DIR");
	if (!script || !pgdir)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execl(script, script, cmd, pgdir, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool backed_off(struct exec *x, void *data)
{
	(void)data;
	return exec_held_retry_ms(x) > 1000;
}

static void touch(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f)
		fclose(f);
	free(path);
}

/* Starts S/ITEM, halts the server, lets the check end: its result held. */
static void hold_one(struct exec *x, size_t item, const char *file, struct done *d)
{
	memset(d, 0, sizeof(*d));
	CHECK(exec_start(x, 0, item, "alice") == CS_OK);
	CHECK(pg_tmp("halt") == 0);
	touch(file);
	CHECK(drive(x, finished, d, 20000));
	CHECK(d->rc == CS_ENV);
	CHECK_STR(d->verdict, "pass");
	CHECK(exec_held(x) == 1 && exec_is_held(x, 0, item));
}

int main(void)
{
	db = getenv("COUNTERSIGN_TEST_PG");
	if (!db || !*db) {
		printf("skipped: COUNTERSIGN_TEST_PG is not set (run through tests/pg/with_pg)\n");
		return 77;
	}
	session_test_cheap_pins();
	if (!mkdtemp(dir))
		return 1;
	struct session s;
	open_session(&s);
	CHECK(session_add_engineer(&s, "alice", "Alice", "pin-alice-1") == CS_OK);
	CHECK(session_check_pin(&s, "alice", "pin-alice-1", "test") == CS_OK);
	char *text = xasprintf("{\"countersign\": 1, \"id\": \"hold\", \"title\": \"Hold\", \"sections\": [\n"
		" {\"id\": \"s\", \"title\": \"S\", \"items\": [\n"
		"  {\"id\": \"a\", \"title\": \"A\", \"kind\": \"command\", \"run\": \"while [ ! -e %s/a ]; do sleep 0.05; done; echo went\"},\n"
		"  {\"id\": \"b\", \"title\": \"B\", \"kind\": \"command\", \"run\": \"while [ ! -e %s/b ]; do sleep 0.05; done\"},\n"
		"  {\"id\": \"c\", \"title\": \"C\", \"kind\": \"command\", \"run\": \"while [ ! -e %s/c ]; do sleep 0.05; done\"},\n"
		"  {\"id\": \"d\", \"title\": \"D\", \"kind\": \"command\", \"run\": \"while [ ! -e %s/d ]; do sleep 0.05; done\"}]}]}\n",
		dir, dir, dir, dir);
	struct diag_list dl;
	diag_list_init(&dl, "hold.json");
	struct checklist *cl = checklist_load_text("hold.json", text, strlen(text), &dl);
	diag_list_clear(&dl);
	free(text);
	struct var_values v = {0};
	if (!cl)
		return 1;
	vars_assign(&v, cl, NULL, 0, true, &s.report);
	CHECK(session_start_run(&s, cl, &v, NULL, "alice") == CS_OK);
	char *run = xstrdup(s.run.id);
	struct done d;
	struct exec *x = exec_create(&s, &v, NULL, on_done, &d);
	exec_set_holding(x, true);
	CHECK(exec_held(x) == 0 && exec_held_text(x) == NULL && exec_held_retry_ms(x) == -1);

	/* 1. held while the server is down; the wait doubles; lands once */
	hold_one(x, 0, "a", &d);
	int ms = exec_held_retry_ms(x);
	CHECK(ms >= 0 && ms <= 1000);
	CHECK(exec_next_timeout_ms(x) >= 0 && exec_next_timeout_ms(x) <= 1000);
	char *held = exec_held_text(x);
	CHECK(held && strncmp(held, "s/a: pass, finished ", 20) == 0 && strstr(held, " UTC, evidence "));
	CHECK(held && strlen(held) > 64 && strcspn(strstr(held, "evidence ") + 9, "\n") == 64);
	free(held);
	CHECK(drive(x, backed_off, NULL, 5000));  /* a try failed: the next comes 2 s later */
	CHECK(exec_held(x) == 1);
	CHECK(!said_has_quiet("recorded pass of s/a"));
	CHECK(pg_tmp("start") == 0);
	CHECK(finishes(run, "s/a") == 0);  /* nothing recorded while held */
	CHECK(drive(x, none_held, NULL, 35000));
	CHECK(said_has("recorded pass of s/a after the database came back"));
	CHECK(finishes(run, "s/a") == 1);
	CHECK(engine_item(s.eng, 0, 0)->verdict == VERDICT_PASS);

	/* 2. another process ends the attempt before the try: dropped, said */
	hold_one(x, 1, "b", &d);
	CHECK(pg_tmp("start") == 0);
	struct session other;
	open_session(&other);
	CHECK(session_load_run(&other, run) == CS_OK);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "verdict", "interrupted");
	CHECK(session_record(&other, NULL, "system", EV_CHECK_FINISHED, "s/b", p) == CS_OK);
	session_close(&other);
	CHECK(drive(x, none_held, NULL, 35000));
	CHECK(said_has("the result of s/b was not recorded: that attempt was recorded as error by system meanwhile (held while"));
	CHECK(finishes(run, "s/b") == 1);

	/* 3. an append that lands (a note, the server back) makes the held
	 * result due at once, not after the backoff */
	hold_one(x, 3, "d", &d);
	CHECK(drive(x, backed_off, NULL, 5000));
	CHECK(pg_tmp("start") == 0);
	cJSON *note = cJSON_CreateObject();
	cJSON_AddStringToObject(note, "text", "the server is back");
	CHECK(session_record(&s, NULL, "alice", EV_NOTE, "", note) == CS_OK);
	CHECK(exec_held(x) == 1);
	CHECK(exec_next_timeout_ms(x) == 0);
	exec_dispatch(x, NULL, 0);
	CHECK(exec_held(x) == 0);
	CHECK(said_has("recorded pass of s/d after the database came back"));
	CHECK(finishes(run, "s/d") == 1);

	/* 4. closed with a result held: what is lost is given back */
	hold_one(x, 2, "c", &d);
	char *lost = exec_close(x);
	CHECK(lost && strncmp(lost, "s/c: pass, finished ", 20) == 0);
	CHECK(lost && strstr(lost, "s/a") == NULL);
	free(lost);
	CHECK(pg_tmp("start") == 0);
	CHECK(finishes(run, "s/c") == 0);

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
