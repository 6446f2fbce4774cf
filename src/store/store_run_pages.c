/* What the home screen's first frame and its scrolling read: the open runs,
 * the past runs a page at a time (by the key started_us, id: each page
 * reads only its own rows, however far down it is) and how many past runs
 * there are. Each is an indexed query whose cost does not grow with the
 * record's history beyond the rows it returns. */
#include "store_internal.h"
#include "store_run_rows.h"

#include <assert.h>

enum store_status store_list_open_runs(struct store *st, struct store_run_row **out, size_t *n)
{
	assert(st && out && n);
	*out = NULL;
	*n = 0;
	/* run_index_by_state finds the few open runs; the order is theirs */
	struct db_stmt *stmt = store_stmt(st, STORE_RUN_SELECT " WHERE x.state = 'open' "
		"ORDER BY r.started_us DESC, r.id");
	if (!stmt)
		return store_last_failure(st);
	return store_collect_runs(st, stmt, "cannot list the open runs", out, n);
}

enum store_status store_list_past_runs(struct store *st, const struct store_run_key *after, size_t limit,
	struct store_run_row **out, size_t *n)
{
	assert(st && out && n && (!after || after->id) && limit > 0 && limit <= INT64_MAX);
	*out = NULL;
	*n = 0;
	/* "<> 'open'" rather than IN (...): a condition the state index cannot
	 * serve, so that both engines walk runs_by_start backwards and stop
	 * after LIMIT rows instead of sorting every past run. Within one start
	 * time the ids ascend, as in every listing. */
	struct db_stmt *stmt = store_stmt(st, after
		? STORE_RUN_SELECT " WHERE x.state <> 'open' AND r.started_us <= ?1 "
			"AND (r.started_us < ?1 OR r.id > ?2) ORDER BY r.started_us DESC, r.id LIMIT ?3"
		: STORE_RUN_SELECT " WHERE x.state <> 'open' ORDER BY r.started_us DESC, r.id LIMIT ?1");
	if (!stmt)
		return store_last_failure(st);
	/* PostgreSQL types every parameter from its use: none is left unused */
	if (after) {
		db_bind_int64(stmt, 1, after->started_us);
		db_bind_text(stmt, 2, after->id);
	}
	db_bind_int64(stmt, after ? 3 : 1, (int64_t)limit);
	return store_collect_runs(st, stmt, "cannot list the past runs", out, n);
}

enum store_status store_count_past_runs(struct store *st, int64_t *count)
{
	assert(st && count);
	*count = 0;
	struct db_stmt *stmt = store_stmt(st, "SELECT count(*) FROM run_index WHERE state IN ('completed', 'aborted')");
	if (!stmt)
		return store_last_failure(st);
	enum db_rc rc = db_step(stmt);
	enum store_status s = rc == DB_ROW ? STORE_OK : store_fail(st, rc, "cannot count the past runs");
	if (s == STORE_OK)
		*count = db_column_int64(stmt, 0);
	db_finalize(stmt);
	return s;
}
