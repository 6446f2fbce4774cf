/* The database as a whole, for 'countersign db': what it holds, and a copy
 * of its record to another location verified on both sides. */
#include "countersign/session.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/store.h"
#include "countersign/store_copy.h"
#include "run/session_internal.h"

int session_db_info(struct session *s, const char *db_path, struct store_db_info *out)
{
	assert(s && out);
	char *location = store_default_path(db_path);
	char *err = NULL;
	enum store_status rc = store_db_info(location, out, &err);
	if (rc != STORE_OK)
		reporter_say(&s->report, "%s", err ? err : "cannot read the database");
	free(err);
	free(location);
	return session_outcome(rc) == CS_OK ? CS_OK : CS_ENV;
}

void session_db_copy_clear(struct session_db_copy *c)
{
	if (!c)
		return;
	store_verify_result_clear(&c->from);
	store_verify_result_clear(&c->to);
	memset(c, 0, sizeof(*c));
}

/* Verifies the whole record at LOCATION into OUT; CS_OK when a verdict was
 * reached. */
static int verify_at(struct session *s, const char *location, struct store_verify_result *out)
{
	char *err = NULL;
	struct store *st = store_open_mode(location, STORE_READ_ONLY, &err);
	if (!st) {
		reporter_say(&s->report, "cannot open %s to verify it: %s", location, err ? err : "unknown error");
		free(err);
		return CS_ENV;
	}
	enum store_status rc = store_verify(st, NULL, NULL, out);
	if (rc != STORE_OK)
		reporter_say(&s->report, "cannot verify %s: %s", location, store_error(st));
	store_close(st);
	return rc == STORE_OK ? CS_OK : CS_ENV;
}

static bool same_chains(const struct store_verify_result *a, const struct store_verify_result *b)
{
	if (!a->ok || !b->ok || a->n_chains != b->n_chains || a->events != b->events ||
		strcmp(a->head, b->head) != 0)
		return false;
	for (size_t i = 0; i < a->n_chains; i++) {
		const struct store_verify_chain *x = &a->chains[i], *y = &b->chains[i];
		if (strcmp(x->chain, y->chain) != 0 || x->events != y->events || strcmp(x->head, y->head) != 0)
			return false;
	}
	return true;
}

int session_db_copy(struct session *s, const char *from, const char *to, struct session_db_copy *out)
{
	assert(s && from && to && out);
	memset(out, 0, sizeof(*out));
	char *err = NULL;
	enum store_status rc = store_copy(from, to, &out->counts, &err);
	if (rc != STORE_OK) {
		reporter_say(&s->report, "%s", err ? err : "the copy failed");
		free(err);
		return rc == STORE_CONFLICT || rc == STORE_REFUSED ? CS_REFUSED : rc == STORE_NOT_FOUND ? CS_INVALID : CS_ENV;
	}
	out->from_verified = verify_at(s, from, &out->from) == CS_OK;
	out->to_verified = verify_at(s, to, &out->to) == CS_OK;
	if (!out->from_verified || !out->to_verified)
		return CS_ENV;
	out->same_heads = same_chains(&out->from, &out->to);
	return out->same_heads ? CS_OK : CS_REFUSED;
}
