/* The command line: global options and subcommand dispatch. */
#ifndef COUNTERSIGN_CLI_H
#define COUNTERSIGN_CLI_H

#include <stdbool.h>

/* Exit codes (CS_OK ...), as docs/cli.md and countersign(1) describe them. */
#include "countersign/exitcode.h"

struct cli_global {
	const char *db_path; /* --db, or NULL for the default */
};

struct cli_command {
	const char *name;
	const char *synopsis;   /* one line: arguments */
	const char *summary;    /* one line: what it does */
	const char *help;       /* the full help text after the synopsis */
	int (*run)(const struct cli_global *g, int argc, char **argv);
};

/* Runs the program; returns the exit code. */
int cli_main(int argc, char **argv);

/* Prints "countersign: WHAT: WHY" to stderr. */
void cli_error(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints a command's help to stdout. */
void cli_print_command_help(const struct cli_command *cmd);

int cmd_lint(const struct cli_global *g, int argc, char **argv);
int cmd_import(const struct cli_global *g, int argc, char **argv);
int cmd_engineer(const struct cli_global *g, int argc, char **argv);
int cmd_start(const struct cli_global *g, int argc, char **argv);
int cmd_runs(const struct cli_global *g, int argc, char **argv);
int cmd_status(const struct cli_global *g, int argc, char **argv);
int cmd_check(const struct cli_global *g, int argc, char **argv);
int cmd_attest(const struct cli_global *g, int argc, char **argv);
int cmd_waive(const struct cli_global *g, int argc, char **argv);
int cmd_choose(const struct cli_global *g, int argc, char **argv);
int cmd_sign(const struct cli_global *g, int argc, char **argv);
int cmd_override(const struct cli_global *g, int argc, char **argv);
int cmd_note(const struct cli_global *g, int argc, char **argv);
int cmd_abort(const struct cli_global *g, int argc, char **argv);
int cmd_verify(const struct cli_global *g, int argc, char **argv);
int cmd_checkpoint(const struct cli_global *g, int argc, char **argv);
int cmd_watch(const struct cli_global *g, int argc, char **argv);
int cmd_db(const struct cli_global *g, int argc, char **argv);
int cmd_export(const struct cli_global *g, int argc, char **argv);
int cmd_audit(const struct cli_global *g, int argc, char **argv);
int cmd_home(const struct cli_global *g);
int cmd_open(const struct cli_global *g, int argc, char **argv);
int cmd_review(const struct cli_global *g, int argc, char **argv);

#endif
