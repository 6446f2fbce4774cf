/* The engine's private state, shared by its source files. */
#ifndef COUNTERSIGN_ENGINE_INTERNAL_H
#define COUNTERSIGN_ENGINE_INTERNAL_H

#include <assert.h>

#include "countersign/engine.h"

/* Section S, and item I of it, exist in the engine's checklist: callers
 * resolve names to indexes first (session_find), so an index out of range
 * is a caller's bug that would otherwise read past the state arrays. */
#define ENGINE_ASSERT_SECTION(e, s) assert((s) < (e)->cl->n_sections)
#define ENGINE_ASSERT_ITEM(e, s, i) \
	assert((s) < (e)->cl->n_sections && (i) < (e)->cl->sections[(s)].n_items)

struct engine {
	const struct checklist *cl;
	struct engine_section_state *sections;
	struct engine_item_state **items;
	enum engine_run_status status;
	char *abort_reason;
	char *abort_actor;
	char *variables;
	int64_t started_us, ended_us, last_seq;
	struct engine_note *notes;
	size_t n_notes;
	bool dirty;
};

/* Whether section S's gate has passed as of NOW_US, derived from what has
 * been folded so far (used while folding, to tell a re-check after the gate
 * passed from an ordinary check). */
bool engine_gate_passed_at(struct engine *e, size_t s, int64_t now_us);

/* Whether NAME ran, attested or waived an item of the section of SS
 * (engine_derive.c): under an "independent" policy, such a signer does not count. */
bool engine_is_executor(const struct engine_section_state *ss, const char *name);

struct cJSON;
/* The derived times (engine_times.c): when each section opened, since when
 * its items are done, how long its gate has waited, and which manual items
 * are overdue, as of NOW_US. Called last by engine_refresh. */
void engine_times_refresh(struct engine *e, int64_t now_us);
/* Folds a gate_waiting event of section S (payload P). */
void engine_times_apply(struct engine *e, size_t s, const struct event *ev, const struct cJSON *p);

#endif
