#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "countersign/net.h"
#include "countersign/session.h"

/* Hooks for the test suites exist only in the program built for them
 * (countersign-test, compiled with COUNTERSIGN_TEST_HOOKS); the installed
 * countersign never reads them, so no environment can weaken its PIN hashes
 * or feed its interface keys. The interface's hooks are in ui_term.c. */
static void test_hooks(void)
{
#ifdef COUNTERSIGN_TEST_HOOKS
	const char *cost = getenv("COUNTERSIGN_TEST_PIN_COST");
	if (cost && strcmp(cost, "min") == 0)
		session_test_cheap_pins();
	/* Where libcurl is loaded from when a network check first needs it:
	 * a path that does not exist shows what a machine without it sees. */
	const char *libcurl = getenv("COUNTERSIGN_LIBCURL");
	if (libcurl && libcurl[0])
		net_set_libcurl(libcurl);
	/* The same for libpq, when a PostgreSQL location is first opened. */
	const char *libpq = getenv("COUNTERSIGN_LIBPQ");
	if (libpq && libpq[0])
		session_test_libpq(libpq);
	/* A PostgreSQL server that does not answer is given up after this
	 * many milliseconds instead of 30 s. */
	const char *deadline = getenv("COUNTERSIGN_TEST_PG_DEADLINE_MS");
	if (deadline && atoi(deadline) > 0)
		session_test_pg_deadline(atoi(deadline));
	/* Text that is not UTF-8 recorded as it comes, as before the record
	 * held to UTF-8: to make the SQLite records of then (PostgreSQL's
	 * server still refuses it). */
	const char *legacy = getenv("COUNTERSIGN_TEST_LEGACY_TEXT");
	if (legacy && strcmp(legacy, "1") == 0)
		session_test_legacy_text();
#endif
}

/* A reader that went away (`countersign start ... | head`) must not kill the
 * program between recording and reporting: a write then fails with EPIPE and
 * the command ends with exit 3 and a message. A handler, not SIG_IGN, so
 * that the commands a check runs start with the default disposition. */
static void on_sigpipe(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_sigpipe};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	setlocale(LC_ALL, "");
	test_hooks();
	return cli_main(argc, argv);
}
