/* Option parsing shared by the subcommands. */
#ifndef COUNTERSIGN_CLI_OPTS_H
#define COUNTERSIGN_CLI_OPTS_H

#include <stdbool.h>

#define OPTS_MAX_LIST 64
#define OPTS_MAX_POS 8

struct opts {
	const char *engineers[OPTS_MAX_LIST];
	int n_engineers;
	/* "NAME=VALUE" from --var and --var-file, in order: copies owned by the
	 * options (opts_clear wipes them), since --var values are wiped from
	 * the command line as soon as they are read */
	const char **vars;
	char **var_origins;     /* "--var" or "FILE:LINE", parallel to vars */
	int n_vars;
	const char *title, *reason, *incident, *comment, *note, *anchor, *full_name, *run, *value;
	const char *format, *output;  /* --format; --output or -o */
	const char *since, *until, *kind;  /* audit's filters */
	const char *checkpoint;  /* verify --checkpoint FILE (- is standard input) */
	const char *meaning;     /* sign --meaning WORD */
	bool pin_stdin, yes, json, all, reject, fail, recover, cancel, request, confirm;
	const char *roles[OPTS_MAX_LIST];   /* engineer add --role R, repeatable */
	int n_roles;
	const char *by[OPTS_MAX_LIST];      /* engineer add|role --by A --by B */
	int n_by;
	const char *add_role, *remove_role; /* engineer role --add R | --remove R */
	const char *pos[OPTS_MAX_POS];
	int n_pos;
};

/* Parses ARGV (ARGV[0] is the command name) accepting only the long options
 * named in ALLOWED (space-separated, e.g. "engineer pin-stdin yes"; a name
 * ending in '+' may be given more than once, every other option once).
 * --var values are wiped from ARGV as they are read, so that other users do
 * not see them in /proc/PID/cmdline; --var-file FILE adds NAME=VALUE lines.
 * Prints the problem and returns false (with O cleared) on a bad or
 * repeated option, a variable given twice, a bad variables file or too many
 * positionals. On success the caller clears O with opts_clear. */
bool opts_parse(const char *command, const char *usage, int argc, char **argv,
	const char *allowed, int max_pos, struct opts *o);

/* True when TEXT (NULL reads as valid) is valid UTF-8; else says so for
 * COMMAND, naming WHAT ("--title", "the note") and the offset of the first
 * byte that is not, and returns false. opts_parse checks the options whose
 * text is recorded (--title, --reason, --incident, --comment, --note,
 * --full-name, --value); a command checks such text given as an argument. */
bool opts_text_valid(const char *command, const char *what, const char *text);

/* Wipes and frees the variables O holds; O may be zeroed. */
void opts_clear(struct opts *o);

/* Wipes, frees and removes variable K of O (0 <= K < O->n_vars). */
void opts_drop_var(struct opts *o, int k);

#endif
