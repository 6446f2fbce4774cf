/* Recovery of interrupted checks: decided on the newest state (never over a
 * result another process recorded meanwhile), never by a session that only
 * reads, zombies count as gone, checks from another host are left to the
 * operator (session_recover_check), and what a dead check left running is
 * stopped. */
#include "../store/fixture.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "countersign/clock.h"
#include "countersign/session.h"
#include "countersign/vars.h"
#include "run/proc.h"

static const char checklist_text[] =
	"{\"countersign\": 1, \"id\": \"rec\", \"title\": \"Recovery\", \"sections\": [\n"
	" {\"id\": \"s\", \"title\": \"S\", \"items\": [\n"
	"  {\"id\": \"a\", \"title\": \"A\", \"kind\": \"command\", \"run\": \"true\"},\n"
	"  {\"id\": \"b\", \"title\": \"B\", \"kind\": \"command\", \"run\": \"true\"}]}]}\n";

static char *db_path;

static void quiet(void *data, const char *message)
{
	(void)data;
	(void)message;
}

static void open_session(struct session *s, enum store_mode mode)
{
	memset(s, 0, sizeof(*s));
	s->report.say = quiet;
	if (session_open_store_mode(s, db_path, mode) != CS_OK) {
		fprintf(stderr, "cannot open %s\n", db_path);
		exit(1);
	}
	/* what alice and bob record is signed: their PINs are checked first,
	 * as every front end does */
	if (mode != STORE_READ_ONLY && (session_check_pin(s, "alice", "pin-alice-1", "test") != CS_OK ||
		session_check_pin(s, "bob", "pin-bob-1", "test") != CS_OK)) {
		fprintf(stderr, "cannot check the PINs of alice and bob\n");
		exit(1);
	}
}

static void add_engineers(void)
{
	struct session s;
	memset(&s, 0, sizeof(s));
	s.report.say = quiet;
	if (session_open_store(&s, db_path) != CS_OK || session_add_engineer(&s, "alice", "Alice", "pin-alice-1") != CS_OK ||
		session_add_engineer(&s, "bob", "Bob", "pin-bob-1") != CS_OK) {
		fprintf(stderr, "cannot register alice and bob in %s\n", db_path);
		exit(1);
	}
	session_close(&s);
}

static char *start_run_of(const char *text)
{
	struct session s;
	open_session(&s, STORE_CREATE);
	struct diag_list d;
	diag_list_init(&d, "rec.json");
	struct checklist *cl = checklist_load_text("rec.json", text, strlen(text), &d);
	diag_list_clear(&d);
	if (!cl)
		exit(1);
	struct var_values v = {0};
	vars_assign(&v, cl, NULL, 0, true, &s.report);
	if (session_start_run(&s, cl, &v, NULL, "alice") != CS_OK)
		exit(1);
	char *id = xstrdup(s.run.id);
	vars_clear(&v);
	checklist_destroy(cl);
	session_close(&s);
	return id;
}

static char *start_run(void)
{
	return start_run_of(checklist_text);
}

static const char *check_id;  /* the marker the next record_started names, or NULL */
static const char *pid_ns;    /* the PID namespace it names, or NULL */

/* Records check_started of s/ITEM as if process PID (group PGID, 0: none)
 * on HOST ran it. */
static void record_started(const char *run, const char *item, pid_t pid, pid_t pgid, const char *host)
{
	struct session s;
	open_session(&s, STORE_CREATE);
	session_load_run(&s, run);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "attempt", 1);
	cJSON_AddStringToObject(p, "command", "true");
	cJSON_AddNumberToObject(p, "pid", pid);
	cJSON_AddStringToObject(p, "host", host);
	char *start = proc_start_time(pid);
	cJSON_AddStringToObject(p, "proc_start", start ? start : "1");
	free(start);
	if (pgid) {
		cJSON_AddNumberToObject(p, "pgid", pgid);
		start = proc_start_time(pgid);
		cJSON_AddStringToObject(p, "pgid_start", start ? start : "1");
		free(start);
	}
	if (check_id)
		cJSON_AddStringToObject(p, "check_id", check_id);
	if (pid_ns)
		cJSON_AddStringToObject(p, "pid_ns", pid_ns);
	char *target = xasprintf("s/%s", item);
	CHECK(session_record(&s, NULL, "alice", EV_CHECK_STARTED, target, p) == CS_OK);
	free(target);
	session_close(&s);
}

static void record_pass(const char *run, const char *item)
{
	struct session s;
	open_session(&s, STORE_CREATE);
	/* The item's process is alive while this loads: nothing is recovered. */
	session_load_run(&s, run);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "verdict", "pass");
	char *target = xasprintf("s/%s", item);
	CHECK(session_record(&s, NULL, "alice", EV_CHECK_FINISHED, target, p) == CS_OK);
	free(target);
	session_close(&s);
}

static int count_kind(const char *run, const char *kind, const char *needle)
{
	char *err = NULL;
	struct store *st = store_open_mode(db_path, STORE_READ_ONLY, &err);
	free(err);
	struct event *evs = NULL;
	size_t n = 0;
	int count = 0;
	if (st && store_load_events(st, run, 0, &evs, &n) == STORE_OK)
		for (size_t i = 0; i < n; i++)
			if (strcmp(evs[i].kind, kind) == 0 && (!needle || strstr(evs[i].payload, needle)))
				count++;
	event_array_free(evs, n);
	store_close(st);
	return count;
}

static char *my_host(void)
{
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	return xstrdup(host);
}

static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		execlp("sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

/* A session that loaded while the check ran, and tries to recover it after
 * another process recorded its pass, must not record "interrupted". */
static void test_stale_snapshot(void)
{
	char *run = start_run();
	char *host = my_host();
	pid_t child = spawn_sleeper();
	record_started(run, "a", child, 0, host);

	struct session stale;
	open_session(&stale, STORE_CREATE);
	CHECK(session_load_run(&stale, run) == CS_OK);  /* alive: nothing recovered */
	CHECK(session_check_liveness(&stale, 0, 0, NULL) == SESSION_LIVE_RUNNING);

	record_pass(run, "a");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	/* The stale session still believes a is running, and its process is gone. */
	CHECK(session_check_liveness(&stale, 0, 0, NULL) == SESSION_LIVE_GONE);
	CHECK(session_recover_interrupted(&stale) == CS_OK);
	session_close(&stale);
	CHECK(count_kind(run, EV_CHECK_FINISHED, "interrupted") == 0);
	CHECK(count_kind(run, EV_CHECK_FINISHED, "\"pass\"") == 1);
	free(host);
	free(run);
}

/* Only sessions that write recover; a read-only one records nothing. */
static void test_read_only_records_nothing(void)
{
	char *run = start_run();
	char *host = my_host();
	pid_t child = spawn_sleeper();
	record_started(run, "a", child, 0, host);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);

	struct session ro;
	open_session(&ro, STORE_READ_ONLY);
	CHECK(session_load_run(&ro, run) == CS_OK);
	CHECK(session_check_liveness(&ro, 0, 0, NULL) == SESSION_LIVE_GONE);
	session_close(&ro);
	CHECK(count_kind(run, EV_CHECK_FINISHED, NULL) == 0);

	struct session rw;
	open_session(&rw, STORE_CREATE);
	CHECK(session_load_run(&rw, run) == CS_OK);
	CHECK(engine_item(rw.eng, 0, 0)->verdict == VERDICT_ERROR);
	session_close(&rw);
	CHECK(count_kind(run, EV_CHECK_FINISHED, "interrupted") == 1);
	free(host);
	free(run);
}

/* A zombie waiting for its parent is not a live check. */
static void test_zombie_is_gone(void)
{
	char *run = start_run();
	char *host = my_host();
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	/* Not reaped: wait until it is a zombie. */
	for (int i = 0; i < 500; i++) {
		char path[64], buf[256] = "";
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)child);
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = '\0';
		char *paren = strrchr(buf, ')');
		if (paren && paren[2] == 'Z')
			break;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	record_started(run, "a", child, 0, host);
	struct session rw;
	open_session(&rw, STORE_CREATE);
	CHECK(session_load_run(&rw, run) == CS_OK);
	CHECK(engine_item(rw.eng, 0, 0)->verdict == VERDICT_ERROR);
	session_close(&rw);
	waitpid(child, NULL, 0);
	free(host);
	free(run);
}

/* Starts PROGRAM (an absolute path, with ARG) with only MARKER in its
 * environment, which is where /proc/PID/environ reads it from. */
static pid_t spawn_marked(const char *program, const char *arg, const char *marker)
{
	pid_t child = fork();
	if (child == 0) {
		char *const argv[] = {(char *)program, (char *)arg, NULL};
		char *const envp[] = {(char *)marker, NULL};
		execve(program, argv, envp);
		_exit(127);
	}
	return child;
}

static bool is_zombie(pid_t pid)
{
	char path[64], buf[256] = "";
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	char *paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] == 'Z';
}

/* A member that exits while the group is searched is not "someone else's
 * process": a zombie's environment cannot be read (ESRCH), and counting it
 * as unknown left a killed check running after its recovery. */
static void test_marked_exiting(void)
{
	const char *marker = "COUNTERSIGN_CHECK_ID=0123456789abcdef";
	pid_t live = spawn_marked("/bin/sleep", "30", marker);
	pid_t other = spawn_marked("/bin/sleep", "30", "COUNTERSIGN_CHECK_ID=fedcba9876543210");
	pid_t dead = spawn_marked("/bin/true", "x", marker);
	bool exec_done = false;
	for (int i = 0; i < 500 && !(exec_done && is_zombie(dead)); i++) {
		exec_done = proc_marked(live, marker) == 1;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	CHECK(exec_done);
	CHECK(is_zombie(dead));
	CHECK(proc_marked(live, marker) == 1);
	CHECK(proc_marked(other, marker) == 0);
	CHECK(proc_marked(dead, marker) == 0);
	kill(live, SIGKILL);
	kill(other, SIGKILL);
	waitpid(live, NULL, 0);
	waitpid(other, NULL, 0);
	waitpid(dead, NULL, 0);
	CHECK(proc_marked(dead, marker) == 0);  /* gone altogether */
}

/* A check recorded on another host is left alone, shown as such, and the
 * operator records it as interrupted; one alive here cannot be. */
static void test_elsewhere_and_recover(void)
{
	char *run = start_run();
	char *host = my_host();
	record_started(run, "a", 4242, 0, "another-host.example");
	pid_t child = spawn_sleeper();
	record_started(run, "b", child, 0, host);

	struct session rw;
	open_session(&rw, STORE_CREATE);
	CHECK(session_load_run(&rw, run) == CS_OK);
	char *where = NULL;
	CHECK(session_check_liveness(&rw, 0, 0, &where) == SESSION_LIVE_ELSEWHERE);
	CHECK(where && strstr(where, "another-host.example"));
	free(where);
	CHECK(engine_item(rw.eng, 0, 0)->verdict == VERDICT_RUNNING);
	CHECK(session_recover_check(&rw, 0, 1, "bob", "stuck") == CS_REFUSED);  /* alive here */
	CHECK(session_recover_check(&rw, 0, 0, "bob", "host renamed after a restart") == CS_OK);
	CHECK(engine_item(rw.eng, 0, 0)->verdict == VERDICT_ERROR);
	CHECK(session_recover_check(&rw, 0, 0, "bob", "again") == CS_REFUSED);  /* not running */
	session_close(&rw);
	CHECK(count_kind(run, EV_CHECK_FINISHED, "recovered by bob") == 1);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	free(host);
	free(run);
}

/* The process group a dead check left behind is stopped by the recovery. */
static void test_leftovers_stopped(void)
{
	char *run = start_run();
	char *host = my_host();
	pid_t runner = fork();  /* stands for the countersign process, already gone */
	if (runner == 0)
		_exit(0);
	waitpid(runner, NULL, 0);
	pid_t group = spawn_sleeper();
	record_started(run, "a", runner, group, host);
	struct session rw;
	open_session(&rw, STORE_CREATE);
	CHECK(session_load_run(&rw, run) == CS_OK);
	session_close(&rw);
	/* The sleeper was killed: reaping it gives its signal at once. */
	int status = 0;
	CHECK(waitpid(group, &status, 0) == group && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(count_kind(run, EV_CHECK_FINISHED, "were stopped") + count_kind(run, EV_CHECK_FINISHED, "was stopped") == 1);
	free(host);
	free(run);
}

static bool alive(pid_t pid)
{
	char path[64], buf[512] = "";
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *paren = strrchr(buf, ')');
	return paren && paren[2] != 'Z' && paren[2] != 'X';
}

static bool gone_within(pid_t pid, int ms)
{
	for (int waited = 0; waited < ms; waited += 10) {
		if (!alive(pid))
			return true;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return !alive(pid);
}

/* Whether PID runs `sleep` within MS: a child forked and not yet exec'd
 * still has its parent's environment, without the marker. */
static bool sleeping_within(pid_t pid, int ms)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	for (int waited = 0; waited <= ms; waited += 10) {
		char buf[32] = "";
		FILE *f = fopen(path, "r");
		if (f) {
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
			buf[n] = 0;
			if (strcmp(buf, "sleep\n") == 0)
				return true;
		}
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return false;
}

/* Only the processes that carry the check's marker are stopped: a process
 * in a group with the same number but without the marker (the number was
 * reused) is left alone, even with the group's leader gone. */
static void test_marked_members(void)
{
	char *run = start_run();
	char *host = my_host();
	int fds[2];
	if (pipe(fds) != 0)
		exit(1);
	pid_t leader = fork();
	if (leader == 0) {
		setpgid(0, 0);
		pid_t kids[2];
		for (int k = 0; k < 2; k++) {
			kids[k] = fork();
			if (kids[k] == 0) {
				char *marked[] = {(char *)"COUNTERSIGN_CHECK_ID=feedface", NULL};
				char *plain[] = {(char *)"PATH=/usr/bin:/bin", NULL};
				execle("/bin/sleep", "sleep", "60", (char *)NULL, k == 0 ? marked : plain);
				_exit(127);
			}
		}
		ssize_t w = write(fds[1], kids, sizeof(kids));
		_exit(w == (ssize_t)sizeof(kids) ? 0 : 1);
	}
	close(fds[1]);
	pid_t kids[2] = {0, 0};
	ssize_t got = read(fds[0], kids, sizeof(kids));
	close(fds[0]);
	waitpid(leader, NULL, 0);
	CHECK(got == (ssize_t)sizeof(kids) && alive(kids[0]) && alive(kids[1]));
	/* recovery reads each member's environment: the marker is there only
	 * once the member has exec'd (a busy machine may not have yet) */
	CHECK(sleeping_within(kids[0], 5000) && sleeping_within(kids[1], 5000));
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	check_id = "feedface";
	record_started(run, "a", dead, leader, host);
	check_id = NULL;
	struct session rw;
	open_session(&rw, STORE_CREATE);
	CHECK(session_load_run(&rw, run) == CS_OK);
	session_close(&rw);
	CHECK(gone_within(kids[0], 2000));
	CHECK(alive(kids[1]));
	CHECK(count_kind(run, EV_CHECK_FINISHED, "1 process it left running was stopped") == 1);
	/* both, so that a failed recovery does not leave a sleeper holding
	 * the test's output open for a minute */
	kill(kids[0], SIGKILL);
	kill(kids[1], SIGKILL);
	free(host);
	free(run);
}

/* A check recorded in another PID namespace (a container sharing the host
 * name) cannot be looked up here: left to the operator, never recovered by
 * process numbers that mean something else here. */
static void test_other_pid_namespace(void)
{
	char *run = start_run();
	char *host = my_host();
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	pid_ns = "pid:[1]";
	record_started(run, "a", dead, 0, host);
	pid_ns = NULL;
	struct session rw;
	open_session(&rw, STORE_CREATE);
	CHECK(session_load_run(&rw, run) == CS_OK);
	char *where = NULL;
	CHECK(session_check_liveness(&rw, 0, 0, &where) == SESSION_LIVE_ELSEWHERE);
	CHECK(where && strstr(where, "another PID namespace"));
	free(where);
	CHECK(engine_item(rw.eng, 0, 0)->verdict == VERDICT_RUNNING);
	session_close(&rw);
	CHECK(count_kind(run, EV_CHECK_FINISHED, NULL) == 0);
	free(host);
	free(run);
}

/* A rule is checked on the state as it is when the event is written, not as
 * it was when the front end asked (a dialog left open while a wait passed):
 * a wait that has passed can no longer be cancelled. */
static void test_rules_on_current_state(void)
{
	static const char text[] =
		"{\"countersign\": 1, \"id\": \"w\", \"title\": \"W\", \"sections\": [\n"
		" {\"id\": \"s\", \"title\": \"S\", \"signoffs\": 0, \"items\": [\n"
		"  {\"id\": \"soak\", \"title\": \"Soak\", \"kind\": \"wait\", \"duration\": \"200ms\"}]}]}\n";
	char *run = start_run_of(text);
	struct session s;
	open_session(&s, STORE_CREATE);
	CHECK(session_load_run(&s, run) == CS_OK);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "duration_ms", 200);
	CHECK(session_record(&s, &(struct session_guard){.action = ACTION_CHECK}, "alice", EV_CHECK_STARTED, "s/soak", p) ==
		CS_OK);
	char *why = NULL;
	CHECK(engine_can_cancel_wait(s.eng, 0, 0, &why));  /* what a dialog opened now would see */
	free(why);
	int64_t until = engine_item(s.eng, 0, 0)->wait_until_us;
	while (clock_wall_us() <= until + 1000) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	CHECK(session_cancel_wait(&s, 0, 0, "bob") == CS_REFUSED);
	session_close(&s);
	CHECK(count_kind(run, EV_CHECK_FINISHED, NULL) == 0);
	free(run);
}

int main(void)
{
	session_test_cheap_pins();
	char *dir = fixture_tmpdir();
	db_path = xasprintf("%s/rec.db", dir);
	add_engineers();
	test_stale_snapshot();
	test_read_only_records_nothing();
	test_zombie_is_gone();
	test_elsewhere_and_recover();
	test_leftovers_stopped();
	test_marked_members();
	test_marked_exiting();
	test_other_pid_namespace();
	test_rules_on_current_state();
	free(db_path);
	fixture_rm_rf(dir);
	return check_report();
}
