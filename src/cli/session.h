/* What every run command shares: the database, the run with its checklist
 * and engine, who is acting, and PIN checks. */
#ifndef COUNTERSIGN_CLI_SESSION_H
#define COUNTERSIGN_CLI_SESSION_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"
#include "countersign/checklist.h"
#include "countersign/engine.h"
#include "countersign/store.h"

struct session {
	const char *command;     /* for messages */
	struct store *st;
	struct run_row run;
	struct checklist *cl;
	struct engine *eng;
	bool have_run;
	bool pin_stdin;
};

/* Current UTC time in microseconds. */
int64_t now_us(void);
/* Formats T_US as "2026-11-26 19:00:00 UTC" into BUF. */
void format_time(int64_t t_us, char *buf, size_t size);

/* Opens the database; returns EXIT_OK or EXIT_ENV after printing why. */
int session_open_store(struct session *s, const struct cli_global *g, const char *command);
/* Loads run RUN_ID with its checklist snapshot and events, recovers
 * interrupted checks, and refreshes the engine. Returns an exit code. */
int session_load_run(struct session *s, const char *run_id);
void session_close(struct session *s);

/* Fills ORIGIN's actor, os_user, host and tty (malloc'd; event_clear frees). */
void session_origin(struct event *origin, const char *actor);

/* Appends events (and evidence) to the run, folds them, refreshes, and
 * completes the run when every gate has passed. Returns an exit code. */
int session_append(struct session *s, struct event *evs, size_t n, struct evidence *ev, size_t n_ev);

/* Reads one PIN for NAME: from stdin with --pin-stdin, else from the
 * terminal with echo off. Returns malloc'd text or NULL (message printed). */
char *session_read_pin(struct session *s, const char *name, const char *prompt);

/* Checks NAME's PIN (read here), the lockout, and records a failure.
 * Returns EXIT_OK, EXIT_REFUSED (locked out) or EXIT_USAGE (unknown, wrong). */
int session_authenticate(struct session *s, const char *name);

/* Resolves "SECTION/ITEM" (or "SECTION" when ITEM is NULL) in the run's
 * checklist; prints why and returns EXIT_USAGE when unknown. */
int session_find(struct session *s, const char *target, size_t *sec, size_t *item);

/* The message for a refusal from the engine: prints it, frees WHY, returns EXIT_REFUSED. */
int session_refuse(struct session *s, char *why);

#endif
