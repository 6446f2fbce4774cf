/* Indexed reads for the reviewer's side through the session: one run with
 * its derived row, filtered run listings, the home screen's pages of runs
 * and the audit trail. Thin on purpose, like session_read.c: front ends
 * and the report module never call store_* themselves. */
#include "countersign/session.h"

#include <assert.h>

#include "countersign/store.h"
#include "run/session_internal.h"

int session_run(struct session *s, const char *id, struct store_run_row *out)
{
	assert(s && s->st && id && out);
	return session_outcome(store_get_run(s->st, id, out));
}

int session_list_runs(struct session *s, const struct store_run_filter *f, struct store_run_row **out, size_t *n)
{
	assert(s && s->st && out && n);
	return session_outcome(store_list_runs_filtered(s->st, f, out, n));
}

int session_audit(struct session *s, const struct store_audit_filter *f, struct store_audit_entry **out, size_t *n)
{
	assert(s && s->st && out && n);
	return session_outcome(store_audit(s->st, f, out, n));
}

int session_audit_each(struct session *s, const struct store_audit_filter *f, store_audit_fn fn, void *user)
{
	assert(s && s->st && fn);
	return session_outcome(store_audit_each(s->st, f, fn, user));
}

int session_open_runs(struct session *s, struct store_run_row **out, size_t *n)
{
	assert(s && s->st && out && n);
	return session_outcome(store_list_open_runs(s->st, out, n));
}

int session_past_runs(struct session *s, const struct store_run_key *after, size_t limit, struct store_run_row **out,
	size_t *n)
{
	assert(s && s->st && out && n && limit > 0);
	return session_outcome(store_list_past_runs(s->st, after, limit, out, n));
}

int session_count_past_runs(struct session *s, int64_t *count)
{
	assert(s && s->st && count);
	return session_outcome(store_count_past_runs(s->st, count));
}
