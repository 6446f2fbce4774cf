/* Two processes append to one run's chain at the same moment, as two
 * engineers at their own terminals do: every event must land, the chain must
 * stay gap-free, and verification must pass. Before that, two processes open
 * a database that does not exist yet at the same moment. */
#include "fixture.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#define WRITERS 2
#define PER_WRITER 200
#define ROUND_DEADLINE_MS 30000

/* Each round, both writers say they are ready, the parent releases them
 * together, and each appends one event in its own transaction: the two
 * BEGIN IMMEDIATEs meet every time, rather than one writer finishing before
 * the other gets the lock. */
static int writer(const char *path, const char *run_id, int id, int ready, int go)
{
	struct store *st = fixture_open(path);
	int status = 0;
	for (int i = 0; i < PER_WRITER; i++) {
		char c = 'r';
		if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1) {
			status = 1;
			break;
		}
		if (status)
			continue; /* keep step with the other writer */
		char *payload = xasprintf("{\"text\":\"writer %d\",\"writer\":%d,\"n\":%d}", id, id, i);
		struct event ev = fixture_event(id ? "bob" : "alice", EV_NOTE, "", payload);
		free(payload);
		fixture_sign(st, run_id, &ev, 1);
		enum store_status s = store_append(st, run_id, &ev, 1, NULL, 0);
		event_clear(&ev);
		if (s != STORE_OK) {
			fprintf(stderr, "writer %d, event %d: %s\n", id, i, store_error(st));
			status = 1;
		}
	}
	store_close(st);
	return status;
}

/* Releases the writers round by round; false when one stopped answering. */
static bool conduct(int ready, const int go[WRITERS])
{
	for (int round = 0; round < PER_WRITER; round++) {
		for (int got = 0; got < WRITERS;) {
			struct pollfd pfd = {.fd = ready, .events = POLLIN};
			char c;
			if (poll(&pfd, 1, ROUND_DEADLINE_MS) != 1 || read(ready, &c, 1) != 1) {
				fprintf(stderr, "round %d: a writer stopped answering\n", round);
				return false;
			}
			got++;
		}
		for (int w = 0; w < WRITERS; w++)
			if (write(go[w], "g", 1) != 1)
				return false;
	}
	return true;
}

/* Two processes opening a database that does not exist yet, at once (two
 * terminals on first use): both must create, migrate and open it. */
static void test_first_open(const char *tmp, int attempt)
{
	char *path = xasprintf("%s/first-%d/countersign.db", tmp, attempt);
	(void)fixture_location(path); /* made before the fork: every process opens the same one */
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
			struct store *st = store_open(fixture_location(path), &err);
			if (!st)
				fprintf(stderr, "first open, process %d: %s\n", w, err);
			int status = st && fixture_append(st, EVENT_CHAIN_ENGINEERS, "system", EV_PIN_FAILED, "x", "{}",
				NULL) == STORE_OK ? 0 : 1;
			store_close(st);
			free(err);
			free(path);
			exit(status);
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (int w = 0; w < WRITERS; w++) {
		int status = 0;
		CHECK(pids[w] > 0 && waitpid(pids[w], &status, 0) == pids[w]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	struct store *st = fixture_open(path);
	struct store_verify_result r;
	/* Their events, and one registry_opened: one migration won. */
	CHECK(store_verify(st, NULL, NULL, &r) == STORE_OK && r.ok && r.events == WRITERS + 1);
	store_verify_result_clear(&r);
	store_close(st);
	struct db *db = fixture_sql_open(path);
	CHECK(fixture_sql_int(db, "SELECT count(*) FROM events WHERE chain = 'registry'") == 1);
	fixture_sql_close(db);
	free(path);
}

static int json_int(const char *json, const char *field)
{
	cJSON *root = cJSON_Parse(json);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, field);
	int n = cJSON_IsNumber(v) ? v->valueint : -1;
	cJSON_Delete(root);
	return n;
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char *tmp = fixture_tmpdir();
	for (int attempt = 0; attempt < 5; attempt++)
		test_first_open(tmp, attempt);
	char *path = xasprintf("%s/shared.db", tmp);
	struct store *st = fixture_open(path);
	fixture_engineer(st, "alice", "Alice", "alice-pin-1", false);
	fixture_engineer(st, "bob", "Bob", "bob-pin-1", false);
	struct store_run_row run;
	fixture_run(st, &run, "concurrent");
	store_close(st);

	int ready[2], go[WRITERS][2];
	if (pipe(ready) != 0 || pipe(go[0]) != 0 || pipe(go[1]) != 0) {
		perror("pipe");
		return 1;
	}
	fflush(NULL);
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		if (pids[w] < 0) {
			perror("fork");
			return 1;
		}
		if (pids[w] == 0) {
			close(ready[0]);
			for (int k = 0; k < WRITERS; k++) {
				close(go[k][1]);
				if (k != w)
					close(go[k][0]);
			}
			int status = writer(path, run.id, w, ready[1], go[w][0]);
			store_run_row_clear(&run);
			free(path);
			free(tmp);
			exit(status);
		}
	}
	close(ready[1]);
	int go_write[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		close(go[w][0]);
		go_write[w] = go[w][1];
	}
	bool conducted = conduct(ready[0], go_write);
	CHECK(conducted);
	if (!conducted)
		for (int w = 0; w < WRITERS; w++)
			kill(pids[w], SIGKILL);
	for (int w = 0; w < WRITERS; w++) {
		close(go_write[w]);
		int status = 0;
		CHECK(waitpid(pids[w], &status, 0) == pids[w]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	close(ready[0]);

	st = fixture_open(path);
	struct event *evs = NULL;
	size_t n = 0;
	CHECK(store_load_events(st, run.id, 0, &evs, &n) == STORE_OK);
	CHECK(n == 1 + WRITERS * PER_WRITER);
	/* seq is 1..n with no gap, and each writer's events are all there in its order. */
	bool gap_free = true, in_order = true;
	int next[WRITERS] = {0};
	bool each_round = true;
	for (size_t i = 0; i < n; i++) {
		if (evs[i].seq != (int64_t)i + 1)
			gap_free = false;
		if (i == 0)
			continue;
		int w = json_int(evs[i].payload, "writer"), k = json_int(evs[i].payload, "n");
		if (w < 0 || w >= WRITERS || k != next[w]++)
			in_order = false;
		/* Round r made events 2r+2 and 2r+3 (indices 2r+1, 2r+2): one from each writer. */
		if (i % 2 == 1 && i + 1 < n &&
			json_int(evs[i + 1].payload, "writer") == w)
			each_round = false;
	}
	CHECK(gap_free);
	CHECK(in_order);
	CHECK(each_round);
	for (int w = 0; w < WRITERS; w++)
		CHECK(next[w] == PER_WRITER);
	event_array_free(evs, n);

	struct store_verify_result r;
	CHECK(store_verify(st, run.id, NULL, &r) == STORE_OK);
	CHECK(r.ok);
	CHECK(r.events == 1 + WRITERS * PER_WRITER);
	if (!r.ok)
		fprintf(stderr, "verify: %s\n", r.why ? r.why : "(no reason)");
	store_verify_result_clear(&r);
	store_close(st);
	store_run_row_clear(&run);
	free(path);
	fixture_rm_rf(tmp);
	return check_report();
}
