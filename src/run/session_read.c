/* What the reviewer's side reads through the session: engineers, evidence,
 * a chain's events, and the verification of a chain. Thin on purpose: the
 * front ends and the report module never call store_* themselves, so that
 * another storage engine changes nothing above src/run. */
#include "countersign/session.h"

#include <assert.h>
#include <stdlib.h>

#include "countersign/checkpoint.h"
#include "countersign/store.h"
#include "run/session_internal.h"

int session_outcome(enum store_status rc)
{
	switch (rc) {
	case STORE_OK: return CS_OK;
	case STORE_NOT_FOUND: return CS_INVALID;
	case STORE_REFUSED: return CS_REFUSED;
	case STORE_CONFLICT: return CS_REFUSED;
	case STORE_FAILED: break;
	case STORE_UNAVAILABLE: break;
	}
	return CS_ENV;
}

int session_engineer(struct session *s, const char *name, struct store_engineer *out)
{
	assert(s && s->st && name && out);
	return session_outcome(store_get_engineer(s->st, name, out));
}

int session_engineers(struct session *s, struct store_engineer **out, size_t *n)
{
	assert(s && s->st && out && n);
	return session_outcome(store_list_engineers(s->st, out, n));
}

void *session_evidence(struct session *s, const char *sha, size_t *len)
{
	assert(s && s->st && sha && len);
	return store_get_evidence(s->st, sha, len);
}

int session_chain_events(struct session *s, const char *chain, int64_t after_seq, struct event **out, size_t *n)
{
	assert(s && s->st && chain && out && n);
	return session_outcome(store_load_events(s->st, chain, after_seq, out, n));
}

int session_verify(struct session *s, const char *run_id, const char *anchor, struct store_verify_result *out)
{
	assert(s && s->st && out);
	return session_outcome(store_verify(s->st, run_id, anchor, out));
}

int session_checkpoint(struct session *s, const char *run_id, char **text)
{
	assert(s && s->st && text);
	*text = NULL;
	/* a record from before the registry chain has no id to name */
	char record[CHECKPOINT_RECORD_HEX];
	enum store_status rc = store_record_id(s->st, record);
	if (rc != STORE_OK) {
		reporter_say(&s->report, "cannot take a checkpoint: %s", store_error(s->st));
		return session_outcome(rc);
	}
	struct checkpoint cp = {0};
	rc = store_checkpoint(s->st, run_id, &cp);
	if (rc == STORE_NOT_FOUND && run_id)
		reporter_say(&s->report, "no run \"%s\"; 'countersign runs --all' lists them", run_id);
	else if (rc != STORE_OK)
		reporter_say(&s->report, "cannot read the record: %s", store_error(s->st));
	else
		*text = checkpoint_format(&cp);
	checkpoint_clear(&cp);
	return session_outcome(rc);
}

int session_verify_checkpoint(struct session *s, const char *text, size_t len, struct store_verify_result *out)
{
	assert(s && s->st && text && out);
	struct checkpoint *cps = NULL;
	size_t n = 0;
	char *why = NULL;
	if (!checkpoint_parse_all(text, len, &cps, &n, &why)) {
		reporter_say(&s->report, "%s", why ? why : "not a checkpoint");
		free(why);
		return CS_INVALID;
	}
	enum store_status rc = store_verify_checkpoint(s->st, cps, n, out);
	for (size_t i = 0; i < n; i++)
		checkpoint_clear(&cps[i]);
	free(cps);
	return session_outcome(rc);
}

const char *session_store_error(const struct session *s)
{
	assert(s && s->st);
	return store_error(s->st);
}
