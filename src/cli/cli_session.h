/* The command line's side of a session: messages on stderr, PINs from the
 * terminal (echo off) or from standard input with --pin-stdin. */
#ifndef COUNTERSIGN_CLI_SESSION_H
#define COUNTERSIGN_CLI_SESSION_H

#include <stdbool.h>

#include "cli/cli.h"
#include "countersign/session.h"

/* Zeroes S and makes its messages print as "countersign: COMMAND: ...". */
void cli_session_init(struct session *s, const char *command);
/* cli_session_init, then opens the database of G. Returns an exit code. */
int cli_session_open(struct session *s, const struct cli_global *g, const char *command);
/* For commands that only read: the database must exist, is opened
 * read-only, and nothing is recorded. Returns an exit code. */
int cli_session_open_read(struct session *s, const struct cli_global *g, const char *command);

/* Reads one PIN for NAME, from stdin when PIN_STDIN, else from the terminal
 * with echo off. Returns malloc'd text (caller frees) or NULL after a message. */
char *cli_read_pin(const char *command, bool pin_stdin, const char *name, const char *prompt);

/* Reads NAME's PIN and checks it with session_check_pin. Returns an exit code. */
int cli_authenticate(struct session *s, const char *command, const char *name, bool pin_stdin);

struct exec;
struct var_values;
/* Attaches webhook delivery to S when its checklist has notify entries
 * (variables from the record and the environment); NULL otherwise. */
struct exec *cli_notifier_begin(struct session *s, struct var_values *v);
/* Waits a bounded time for deliveries under way, then detaches; NULL is a no-op. */
void cli_notifier_end(struct exec *x);

#endif
