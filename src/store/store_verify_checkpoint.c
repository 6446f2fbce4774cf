/* Verification against a checkpoint kept outside the database: the same
 * record, and every chain it names still holds at least the events it
 * counted, the last of them the one it recorded (not cut short, not
 * rewritten). The full verification follows, in the same transaction. */
#include "store_verify_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "countersign/clock.h"

/* The number of events of CHAIN into *N and the hash of its event SEQ into
 * HASH ("" when there is none); false when the database failed. */
static bool chain_at(struct verifier *v, struct db_stmt *count, struct db_stmt *at, const char *chain, int64_t seq,
	int64_t *n, char hash[EVENT_HASH_HEX])
{
	db_reset(count);
	db_bind_text(count, 1, chain);
	enum db_rc rc = db_step(count);
	if (rc != DB_ROW)
		return verify_db_fail(v, rc == DB_DONE ? DB_ERROR : rc, "cannot count events");
	*n = db_column_int64(count, 0);
	db_reset(at);
	db_bind_text(at, 1, chain);
	db_bind_int64(at, 2, seq);
	rc = db_step(at);
	if (rc != DB_ROW && rc != DB_DONE)
		return verify_db_fail(v, rc, "cannot read events");
	snprintf(hash, EVENT_HASH_HEX, "%s", rc == DB_ROW ? store_col_str(at, 0) : "");
	return true;
}

static bool check_chains(struct verifier *v, const struct checkpoint *cp, struct db_stmt *count, struct db_stmt *at)
{
	char taken[40];
	clock_strftime_utc(cp->time_us, "%Y-%m-%d %H:%M:%S UTC", taken, sizeof(taken));
	for (size_t i = 0; i < cp->n_chains; i++) {
		const struct checkpoint_chain *c = &cp->chains[i];
		int64_t n = 0;
		char hash[EVENT_HASH_HEX];
		if (!chain_at(v, count, at, c->name, c->events, &n, hash))
			return false;
		v->chain = c->name;
		if (n < c->events)
			return verify_fail(v, 0, "chain %s has %" PRId64 " events, fewer than the %" PRId64 " of the "
				"checkpoint taken %s: events were removed from its end", c->name, n, c->events, taken);
		if (strcmp(hash, c->head) != 0)
			return verify_fail(v, c->events, "event %" PRId64 " of chain %s is not the one the checkpoint "
				"recorded: the chain was rewritten", c->events, c->name);
	}
	return true;
}

bool verify_checkpoint_chains(struct verifier *v, const struct checkpoint *cp)
{
	v->chain = NULL;
	if (!v->signatures)
		return verify_fail(v, 0, "the record predates signatures and has no record id, so no checkpoint can be "
			"checked against it (any command that records brings it up to date)");
	if (strcmp(cp->record, v->reg.record) != 0)
		return verify_fail(v, 0, "the checkpoint is of another record (the checkpoint's is %s, this one is %s)",
			cp->record, v->reg.record);
	struct db_stmt *count = verify_prepare(v, "SELECT count(*) FROM events WHERE chain = ?1", "cannot read events");
	struct db_stmt *at = count ? verify_prepare(v, "SELECT hash FROM events WHERE chain = ?1 AND seq = ?2",
		"cannot read events") : NULL;
	bool ok = count && at && check_chains(v, cp, count, at);
	db_finalize(count);
	db_finalize(at);
	return ok;
}
