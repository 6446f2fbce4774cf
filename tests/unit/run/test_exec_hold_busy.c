/* A check's result that SQLite cannot take because another process holds
 * the record's write lock longer than the busy timeout (10 s) is held, not
 * lost: the executor says the database is busy, holds it, and records it
 * once when the lock is free; verify passes. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../check.h"
#include "exec_hold_fx.h"
#include "countersign/clock.h"
#include "countersign/exec.h"
#include "countersign/session.h"
#include "countersign/util.h"
#include "countersign/vars.h"

static char dir[] = "/tmp/cs-exec-busy-XXXXXX";

/* Another process takes the record's write lock and keeps it until a byte
 * arrives on *RELEASE; returns its pid once it holds the lock. */
static pid_t lock_elsewhere(int *release)
{
	int ready[2], go[2];
	if (pipe(ready) != 0 || pipe(go) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		sqlite3 *h = NULL;
		char c = 0;
		if (sqlite3_open(db, &h) != SQLITE_OK || sqlite3_exec(h, "BEGIN EXCLUSIVE", NULL, NULL, NULL) != SQLITE_OK)
			_exit(1);
		if (write(ready[1], "1", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(h);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	char c = 0;
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		return -1;
	close(ready[0]);
	*release = go[1];
	return pid;
}

int main(void)
{
	session_test_cheap_pins();
	if (!mkdtemp(dir))
		return 1;
	db = xasprintf("%s/cs.db", dir);
	struct session s;
	memset(&s, 0, sizeof(s));
	s.report.say = keep;
	CHECK(session_open_store(&s, db) == CS_OK);
	CHECK(session_add_engineer(&s, "alice", "Alice", "pin-alice-1") == CS_OK);
	CHECK(session_check_pin(&s, "alice", "pin-alice-1", "test") == CS_OK);
	char *text = xasprintf("{\"countersign\": 1, \"id\": \"busy\", \"title\": \"Busy\", \"sections\": [\n"
		" {\"id\": \"s\", \"title\": \"S\", \"items\": [\n"
		"  {\"id\": \"a\", \"title\": \"A\", \"kind\": \"command\", \"run\": \"while [ ! -e %s/a ]; do sleep 0.05; done; echo went\"}]}]}\n",
		dir);
	struct diag_list dl;
	diag_list_init(&dl, "busy.json");
	struct checklist *cl = checklist_load_text("busy.json", text, strlen(text), &dl);
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
	int release = -1;
	pid_t holder = lock_elsewhere(&release);
	CHECK(holder > 0);
	char *go = xasprintf("%s/a", dir);
	FILE *f = fopen(go, "w");
	if (f)
		fclose(f);
	free(go);
	/* the result meets the lock for the whole busy timeout */
	CHECK(drive(x, finished, &d, 30000));
	CHECK(d.rc == CS_ENV);
	CHECK(said_has("not recorded: the database is busy (another process holds its lock)"));
	CHECK(exec_held(x) == 1 && exec_is_held(x, 0, 0));
	CHECK(exec_held_why(x) && strcmp(exec_held_why(x), "database busy/locked") == 0);
	CHECK(exec_held_retry_ms(x) >= 0 && exec_held_retry_ms(x) <= 1000);
	CHECK(finishes(run, "s/a") == 0);

	/* the lock is let go: the next try lands it, once */
	if (release >= 0 && write(release, "1", 1) != 1)
		fprintf(stderr, "cannot release the lock\n");
	int status = 0;
	if (holder > 0)
		waitpid(holder, &status, 0);
	CHECK(drive(x, none_held, NULL, 15000));
	CHECK(said_has("recorded pass of s/a after the database was free again"));
	CHECK(finishes(run, "s/a") == 1);
	CHECK(engine_item(s.eng, 0, 0)->verdict == VERDICT_PASS);
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
	free((char *)db);
	return check_report();
}
