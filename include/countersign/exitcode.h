/* The one set of outcomes: what a session operation returns, what a command
 * or the interface exits with, and what docs/cli.md promises scripts. A
 * front end returns an outcome unchanged as its exit code. */
#ifndef COUNTERSIGN_EXITCODE_H
#define COUNTERSIGN_EXITCODE_H

enum cs_exit {
	CS_OK = 0,
	CS_REFUSED = 1,  /* refused by the rules: a locked section, a failed check, a broken chain */
	CS_INVALID = 2,  /* bad input: usage, an unknown name, a wrong PIN, a checklist that does not load */
	CS_ENV = 3,      /* storage or environment failure */
};

#endif
