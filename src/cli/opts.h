/* Option parsing shared by the subcommands. */
#ifndef COUNTERSIGN_CLI_OPTS_H
#define COUNTERSIGN_CLI_OPTS_H

#include <stdbool.h>

#define OPTS_MAX_LIST 64
#define OPTS_MAX_POS 8

struct opts {
	const char *engineers[OPTS_MAX_LIST];
	int n_engineers;
	const char *vars[OPTS_MAX_LIST];
	int n_vars;
	const char *title, *reason, *incident, *comment, *note, *anchor, *full_name, *run;
	bool pin_stdin, yes, json, all, reject, fail;
	const char *pos[OPTS_MAX_POS];
	int n_pos;
};

/* Parses ARGV (ARGV[0] is the command name) accepting only the long options
 * named in ALLOWED (space-separated, e.g. "engineer pin-stdin yes"). Prints
 * the problem and returns false on a bad option or too many positionals. */
bool opts_parse(const char *command, const char *usage, int argc, char **argv,
	const char *allowed, int max_pos, struct opts *o);

#endif
