/* The engine's private state, shared by its source files. */
#ifndef COUNTERSIGN_ENGINE_INTERNAL_H
#define COUNTERSIGN_ENGINE_INTERNAL_H

#include "countersign/engine.h"

struct engine {
	const struct checklist *cl;
	struct section_state *sections;
	struct item_state **items;
	enum run_status status;
	char *abort_reason;
	char *variables;
	int64_t started_us, ended_us, last_seq;
	struct note *notes;
	size_t n_notes;
	bool dirty;
};

#endif
