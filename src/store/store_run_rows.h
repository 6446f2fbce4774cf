/* The run row the listings read: a run's columns with its row of the
 * derived run table, shared by store_runs.c (one run, filtered listings)
 * and store_run_pages.c (the home screen's pages). Internal to the store. */
#ifndef COUNTERSIGN_STORE_RUN_ROWS_H
#define COUNTERSIGN_STORE_RUN_ROWS_H

#include <stddef.h>

#include "store_internal.h"

/* A run with its row of the derived run table (none: a run whose first
 * event is being appended); store_fill_run reads its columns in order. */
#define STORE_RUN_SELECT "SELECT r.id, r.checklist_id, r.checklist_sha, r.title, r.path, r.started_us, r.nonce, " \
	"x.state, x.ended_us, x.events, x.last_us, x.head FROM runs AS r LEFT JOIN run_index AS x ON x.run = r.id"

/* Fills R (all strings malloc'd: clear it with store_run_row_clear) from
 * the current row of STMT, a STORE_RUN_SELECT. */
void store_fill_run(struct db_stmt *stmt, struct store_run_row *r);

/* Steps STMT (a STORE_RUN_SELECT, bound) to its end and finalizes it: the
 * rows into *OUT (free with store_run_row_array_free) and *N. On failure
 * none, and the error (WHAT: the engine's message) set in ST. */
enum store_status store_collect_runs(struct store *st, struct db_stmt *stmt, const char *what,
	struct store_run_row **out, size_t *n);

#endif
