/* The store on a PostgreSQL record (COUNTERSIGN_TEST_PG, a throwaway
 * cluster from tests/pg/with_pg): two processes opening the empty
 * database at once both find the schema made once; engineers, a run, its
 * checklist and evidence; two connections appending to one run at the same
 * moment, every event landing in a gap-free chain that verifies; the run
 * read back, listed and checkpointed; another connection's commit seen
 * through store_notify_fd; a read-only connection. */
#include "fixture.h"

#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>

#include <sodium.h>

#include "countersign/clock.h"

#define WRITERS 2
#define PER_WRITER 40
#define NOTIFY_DEADLINE_MS 10000

/* Two processes open the empty database at the same moment (the first
 * use by two hosts): both must create or find the schema and record. */
static void test_first_open(const char *conn)
{
	int gate[2];
	if (pipe(gate) != 0) {
		perror("pipe");
		exit(1);
	}
	fflush(NULL);
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			close(gate[1]);
			char c;
			while (read(gate[0], &c, 1) > 0)
				;
			char *err = NULL;
			struct store *st = store_open(conn, &err);
			if (!st)
				fprintf(stderr, "first open, process %d: %s\n", w, err);
			int status = st && fixture_append(st, EVENT_CHAIN_ENGINEERS, "system", EV_PIN_FAILED, "x", "{}",
				NULL) == STORE_OK ? 0 : 1;
			if (st && status)
				fprintf(stderr, "first open, process %d: %s\n", w, store_error(st));
			store_close(st);
			free(err);
			_exit(status);
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (int w = 0; w < WRITERS; w++) {
		int status = 0;
		CHECK(pids[w] > 0 && waitpid(pids[w], &status, 0) == pids[w]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	struct store *st = fixture_open(conn);
	struct store_verify_result r;
	/* Their two events and one registry_opened: the schema and the
	 * registry were made once. */
	CHECK(store_verify(st, NULL, NULL, &r) == STORE_OK && r.ok && r.events == WRITERS + 1);
	if (!r.ok)
		fprintf(stderr, "verify: %s\n", r.why ? r.why : store_error(st));
	store_verify_result_clear(&r);
	struct event *evs = NULL;
	size_t n = 0;
	CHECK(store_load_events(st, EVENT_CHAIN_REGISTRY, 0, &evs, &n) == STORE_OK && n == 1);
	CHECK(n >= 1 && strcmp(evs[0].kind, EV_REGISTRY_OPENED) == 0);
	event_array_free(evs, n);
	store_close(st);
}

struct writer {
	const char *conn;
	const char *run;
	int id;
	pthread_barrier_t *barrier;
	int failures;
};

/* One engineer's terminal: its own connection, one event per round, each
 * round released with the other writer's so that their transactions meet. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char *err = NULL;
	struct store *st = store_open(w->conn, &err);
	if (!st) {
		fprintf(stderr, "writer %d: %s\n", w->id, err);
		free(err);
	}
	for (int i = 0; i < PER_WRITER; i++) {
		pthread_barrier_wait(w->barrier);
		if (!st) {
			w->failures++;
			continue;
		}
		char *payload = xasprintf("{\"text\":\"writer %d\",\"writer\":%d,\"n\":%d}", w->id, w->id, i);
		struct event ev = fixture_event(w->id ? "bob" : "alice", EV_NOTE, "", payload);
		free(payload);
		fixture_sign(st, w->run, &ev, 1);
		if (store_append(st, w->run, &ev, 1, NULL, 0) != STORE_OK) {
			fprintf(stderr, "writer %d, event %d: %s\n", w->id, i, store_error(st));
			w->failures++;
		}
		event_clear(&ev);
	}
	store_close(st);
	return NULL;
}

static int json_int(const char *json, const char *field)
{
	cJSON *root = cJSON_Parse(json);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, field);
	int n = cJSON_IsNumber(v) ? v->valueint : -1;
	cJSON_Delete(root);
	return n;
}

/* Both writers' events are in the chain, in gap-free order, each writer's
 * in the order it appended them. */
static void check_chain(struct store *st, const char *run)
{
	struct event *evs = NULL;
	size_t n = 0;
	CHECK(store_load_events(st, run, 0, &evs, &n) == STORE_OK);
	/* run_started and the evidence note before the writers' */
	CHECK(n == 2 + WRITERS * PER_WRITER);
	int next[WRITERS] = {0};
	for (size_t i = 0; i < n; i++) {
		CHECK(evs[i].seq == (int64_t)i + 1);
		int w = json_int(evs[i].payload, "writer");
		CHECK(i < 2 ? w == -1 : w >= 0 && w < WRITERS);
		if (w >= 0 && w < WRITERS)
			CHECK(json_int(evs[i].payload, "n") == next[w]++);
	}
	for (int w = 0; w < WRITERS; w++)
		CHECK(next[w] == PER_WRITER);
	event_array_free(evs, n);
}

/* Another connection's append is seen: the notify descriptor becomes
 * readable and the data version changes. */
static void test_notify(const char *conn, const char *run)
{
	struct store *watcher = fixture_open(conn), *other = fixture_open(conn);
	int64_t before = store_data_version(watcher);
	CHECK(before >= 0);
	CHECK(store_notify_fd(watcher) >= 0);
	CHECK(fixture_append(other, run, "alice", EV_NOTE, "", "{\"text\":\"seen?\"}", NULL) == STORE_OK);
	int64_t deadline = clock_mono_us() + NOTIFY_DEADLINE_MS * 1000;
	bool seen = false;
	while (!seen && clock_mono_us() < deadline) {
		struct pollfd pfd = {.fd = store_notify_fd(watcher), .events = POLLIN};
		poll(&pfd, 1, 100);
		seen = store_data_version(watcher) != before;
	}
	CHECK(seen);
	store_close(other);
	store_close(watcher);
}

/* The run as the reviewer's side reads it: its row, the lists with their
 * filters, the checklist, the evidence, a checkpoint. */
static void test_read_back(struct store *st, const struct store_run_row *run, const char *evidence_sha)
{
	struct store_run_row got;
	CHECK(store_get_run(st, run->id, &got) == STORE_OK);
	CHECK(strcmp(got.state, "open") == 0 && got.events == 2 + WRITERS * PER_WRITER);
	CHECK(strcmp(got.nonce, run->nonce) == 0);
	store_run_row_clear(&got);
	struct store_run_row *rows = NULL;
	size_t n = 0;
	struct store_run_filter f = {.engineer = "bob", .state = "open"};
	CHECK(store_list_runs_filtered(st, &f, &rows, &n) == STORE_OK && n == 1);
	CHECK(n == 1 && strcmp(rows[0].id, run->id) == 0);
	store_run_row_array_free(rows, n);
	f = (struct store_run_filter){.state = "completed"};
	CHECK(store_list_runs_filtered(st, &f, &rows, &n) == STORE_OK && n == 0);
	store_run_row_array_free(rows, n);
	size_t len = 0;
	char *text = store_get_checklist(st, run->checklist_sha, &len);
	CHECK(text && len == strlen(text) && strstr(text, "\"noa\""));
	free(text);
	void *bytes = store_get_evidence(st, evidence_sha, &len);
	CHECK(bytes && len == 5 && memcmp(bytes, "\0log\n", 5) == 0);
	free(bytes);
	struct checkpoint cp;
	CHECK(store_checkpoint(st, run->id, &cp) == STORE_OK);
	checkpoint_clear(&cp);
}

/* Runs tests/pg/pg_tmp CMD on the test's cluster; its exit status. */
static int pg_tmp(const char *cmd)
{
	const char *script = getenv("COUNTERSIGN_PG_TMP"), *dir = getenv("COUNTERSIGN_TEST_PG_DIR");
	if (!script || !dir)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execl(script, script, cmd, dir, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The server gone in the middle of a command's work: the store says so in
 * the words the front ends print ("the database cannot be reached"), with
 * the status they map to exit 3, and reads again once it is back. */
static void test_server_gone(struct store *st, const char *run_id)
{
	if (pg_tmp("halt") != 0) {
		CHECK(!"pg_tmp halt");
		return;
	}
	struct store_run_row got;
	CHECK(store_get_run(st, run_id, &got) == STORE_UNAVAILABLE);
	CHECK(strstr(store_error(st), "the database cannot be reached") != NULL);
	if (!strstr(store_error(st), "the database cannot be reached"))
		fprintf(stderr, "server gone: %s\n", store_error(st));
	CHECK(pg_tmp("start") == 0);
	CHECK(store_get_run(st, run_id, &got) == STORE_OK);
	store_run_row_clear(&got);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const char *conn = getenv("COUNTERSIGN_TEST_PG");
	if (!conn || !conn[0]) {
		printf("skipped: COUNTERSIGN_TEST_PG is not set (run through tests/pg/with_pg)\n");
		return 77;
	}
	test_first_open(conn);

	struct store *st = fixture_open(conn);
	fixture_engineer(st, "alice", "Alice", "alice-pin-1", false);
	fixture_engineer(st, "bob", "Bob", "bob-pin-1", false);
	struct store_run_row run;
	fixture_run(st, &run, "two hosts");
	/* Evidence with a NUL byte: a blob, not text. */
	struct store_evidence ev_blob = {.bytes = "\0log\n", .len = 5};
	char sha[EVENT_HASH_HEX];
	event_sha256_hex(ev_blob.bytes, ev_blob.len, sha);
	char *payload = xasprintf("{\"text\":\"log\",\"evidence\":\"%s\"}", sha);
	struct event note = fixture_event("alice", EV_NOTE, "", payload);
	free(payload);
	fixture_sign(st, run.id, &note, 1);
	CHECK(store_append(st, run.id, &note, 1, &ev_blob, 1) == STORE_OK);
	event_clear(&note);

	pthread_barrier_t barrier;
	pthread_barrier_init(&barrier, NULL, WRITERS);
	struct writer w[WRITERS];
	pthread_t threads[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){.conn = conn, .run = run.id, .id = i, .barrier = &barrier};
		CHECK(pthread_create(&threads[i], NULL, writer_main, &w[i]) == 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(threads[i], NULL);
		CHECK(w[i].failures == 0);
	}
	pthread_barrier_destroy(&barrier);
	check_chain(st, run.id);

	/* The first event, the evidence note, then both writers'. */
	struct event *evs = NULL;
	size_t n = 0;
	CHECK(store_load_events(st, run.id, 1, &evs, &n) == STORE_OK && n == 1 + WRITERS * PER_WRITER);
	CHECK(n > 0 && strcmp(evs[0].kind, EV_NOTE) == 0 && strstr(evs[0].payload, "\"log\""));
	event_array_free(evs, n);
	test_read_back(st, &run, ev_blob.sha);

	struct store_verify_result r;
	CHECK(store_verify(st, run.id, NULL, &r) == STORE_OK && r.ok);
	if (!r.ok)
		fprintf(stderr, "verify %s: %s\n", run.id, r.why ? r.why : store_error(st));
	store_verify_result_clear(&r);
	CHECK(store_verify(st, NULL, NULL, &r) == STORE_OK && r.ok);
	store_verify_result_clear(&r);

	test_notify(conn, run.id);

	/* A read-only connection reads the same run. */
	char *err = NULL;
	struct store *ro = store_open_mode(conn, STORE_READ_ONLY, &err);
	CHECK(ro != NULL);
	if (ro) {
		CHECK(store_read_only(ro));
		struct store_run_row got;
		CHECK(store_get_run(ro, run.id, &got) == STORE_OK && got.events == 3 + WRITERS * PER_WRITER);
		store_run_row_clear(&got);
		CHECK(fixture_append(ro, run.id, "alice", EV_NOTE, "", "{}", NULL) != STORE_OK);
	} else {
		fprintf(stderr, "read-only open: %s\n", err);
	}
	free(err);
	store_close(ro);
	test_server_gone(st, run.id);
	store_run_row_clear(&run);
	store_close(st);
	return check_report();
}
