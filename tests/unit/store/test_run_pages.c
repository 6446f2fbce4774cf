/* The reads of the home screen's first frame and its scrolling: the open
 * runs, the past runs a page at a time by the key (started_us, id), and
 * their count. Pages of every size from one run to more than all of them
 * put together must give exactly the full listing's past runs in its
 * order: with runs that share a start time split across a page's end, a
 * page that ends exactly at the oldest run, and an empty record. On SQLite,
 * and on PostgreSQL too when COUNTERSIGN_TEST_PG holds a connection string
 * (tests/pg/with_pg). */
#include "fixture.h"

static const int64_t hour = 3600 * 1000000LL;
static const int64_t t0 = 1750000000000000LL;

/* Starts a run at START by alice; ENDING (EV_RUN_ABORTED, EV_RUN_COMPLETED
 * or NULL: it stays open) ends it. The id goes into ID (malloc'd). */
static char *add_run(struct store *st, int64_t start, const char *ending)
{
	static const char text[] = "{\"countersign\": 1, \"id\": \"noa\", \"title\": \"NOA\", \"sections\": []}";
	char sha[EVENT_HASH_HEX];
	CHECK(store_put_checklist(st, text, sizeof(text) - 1, sha) == STORE_OK);
	struct store_run_row run = {0};
	run.checklist_id = xstrdup("noa");
	run.checklist_sha = xstrdup(sha);
	run.title = xstrdup("paged");
	run.path = xstrdup("noa.json");
	run.started_us = start;
	char *payload = fixture_run_started_payload(&run);
	struct event first = fixture_event("alice", EV_RUN_STARTED, "", payload);
	free(payload);
	first.time_us = start;
	fixture_sign(st, "run", &first, 1);
	if (store_create_run(st, &run, &first) != STORE_OK) {
		fprintf(stderr, "store_create_run: %s\n", store_error(st));
		exit(1);
	}
	event_clear(&first);
	if (ending)
		CHECK(fixture_append(st, run.id, "alice", ending, "", "{\"reason\":\"r\"}", NULL) == STORE_OK);
	char *id = xstrdup(run.id);
	store_run_row_clear(&run);
	return id;
}

/* Every past run read through pages of LIMIT, concatenated, must be ALL's
 * past runs (ALL: the full listing) in ALL's order, each page full but
 * the last. */
static void check_pages(struct store *st, const struct store_run_row *all, size_t n_all, size_t limit)
{
	size_t at = 0, pages = 0;
	char *last_id = NULL;
	int64_t last_start = 0;
	bool more = true;
	while (more && pages <= n_all + 1) {
		struct store_run_key key = {last_start, last_id};
		struct store_run_row *rows = NULL;
		size_t n = 99;
		CHECK(store_list_past_runs(st, last_id ? &key : NULL, limit, &rows, &n) == STORE_OK);
		CHECK(n <= limit);
		for (size_t i = 0; i < n; i++) {
			while (at < n_all && !all[at].ended)
				at++;  /* the open runs are not in the pages */
			CHECK(at < n_all);
			if (at >= n_all)
				break;
			CHECK_STR(rows[i].id, all[at].id);
			CHECK(rows[i].started_us == all[at].started_us && rows[i].ended);
			at++;
		}
		if (n) {
			free(last_id);
			last_id = xstrdup(rows[n - 1].id);
			last_start = rows[n - 1].started_us;
		}
		more = n == limit;
		store_run_row_array_free(rows, n);
		pages++;
	}
	while (at < n_all && !all[at].ended)
		at++;
	CHECK(at == n_all);  /* every past run was in a page */
	free(last_id);
}

static void test_empty(struct store *st)
{
	struct store_run_row *rows = NULL;
	size_t n = 99;
	int64_t count = -1;
	CHECK(store_list_open_runs(st, &rows, &n) == STORE_OK && n == 0 && !rows);
	n = 99;
	CHECK(store_list_past_runs(st, NULL, 10, &rows, &n) == STORE_OK && n == 0 && !rows);
	struct store_run_key key = {t0, "zzzzzzzzzz"};
	n = 99;
	CHECK(store_list_past_runs(st, &key, 1, &rows, &n) == STORE_OK && n == 0 && !rows);
	CHECK(store_count_past_runs(st, &count) == STORE_OK && count == 0);
}

/* Twelve past runs, four of them starting at one moment and three at
 * another, and three open runs among them (one at the shared moment). */
static void test_pages(struct store *st)
{
	static const struct { int64_t at; const char *ending; } spec[] = {
		{0, EV_RUN_COMPLETED}, {1, EV_RUN_ABORTED}, {2, EV_RUN_ABORTED}, {2, EV_RUN_COMPLETED},
		{2, NULL}, {2, EV_RUN_ABORTED}, {2, EV_RUN_ABORTED}, {3, NULL}, {4, EV_RUN_COMPLETED},
		{5, EV_RUN_ABORTED}, {5, EV_RUN_ABORTED}, {5, EV_RUN_COMPLETED}, {6, EV_RUN_ABORTED}, {7, NULL},
		{8, EV_RUN_COMPLETED},
	};
	const size_t n_spec = sizeof(spec) / sizeof(spec[0]), n_past = 12, n_open = 3;
	for (size_t i = 0; i < n_spec; i++)
		free(add_run(st, t0 + spec[i].at * hour, spec[i].ending));

	struct store_run_row *all = NULL;
	size_t n_all = 0;
	CHECK(store_list_runs(st, &all, &n_all) == STORE_OK && n_all == n_spec);

	int64_t count = -1;
	CHECK(store_count_past_runs(st, &count) == STORE_OK && count == (int64_t)n_past);

	/* the open runs, all of them, in the listing's order */
	struct store_run_row *open = NULL;
	size_t n = 0, k = 0;
	CHECK(store_list_open_runs(st, &open, &n) == STORE_OK && n == n_open);
	for (size_t i = 0; i < n_all && k < n; i++)
		if (!all[i].ended)
			CHECK_STR(open[k++].id, all[i].id);
	CHECK(k == n_open);
	for (size_t i = 0; i < n; i++)
		CHECK(!open[i].ended && strcmp(open[i].state, "open") == 0);
	store_run_row_array_free(open, n);

	/* 1, 2 and 3 split the groups of equal starts; 4, 6 and 12 end a page
	 * exactly at the oldest run (the next page is empty); 5 and 7 do not;
	 * 13 and 100 take everything at once */
	static const size_t limits[] = {1, 2, 3, 4, 5, 6, 7, 12, 13, 100};
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		check_pages(st, all, n_all, limits[i]);

	/* a key past the oldest run: nothing; a key before the newest: all */
	struct store_run_row *rows = NULL;
	struct store_run_key oldest = {t0 - hour, "0"};
	CHECK(store_list_past_runs(st, &oldest, 5, &rows, &n) == STORE_OK && n == 0);
	store_run_row_array_free(rows, n);
	struct store_run_key newest = {t0 + 100 * hour, ""};
	CHECK(store_list_past_runs(st, &newest, 100, &rows, &n) == STORE_OK && n == n_past);
	store_run_row_array_free(rows, n);
	store_run_row_array_free(all, n_all);
}

static void run_all(struct store *st, const char *engine)
{
	int failed = check_failed;
	fixture_engineer(st, "alice", "Alice", "pin-of-alice", false);
	test_empty(st);
	test_pages(st);
	printf("%s: %s\n", engine, check_failed == failed ? "ok" : "FAILED");
}

int main(void)
{
	char *dir = fixture_tmpdir();
	char *path = xasprintf("%s/pages.db", dir);
	struct store *st = fixture_open(path);
	run_all(st, "SQLite");
	store_close(st);
	free(path);
	fixture_rm_rf(dir);
	const char *pg = getenv("COUNTERSIGN_TEST_PG");
	if (pg && *pg) {
		st = fixture_open(pg);
		run_all(st, "PostgreSQL");
		store_close(st);
	} else {
		printf("skipped: PostgreSQL (COUNTERSIGN_TEST_PG not set)\n");
	}
	return check_report();
}
