#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "countersign/pin.h"

/* Hooks for the test suites exist only in the program built for them
 * (countersign-test, compiled with COUNTERSIGN_TEST_HOOKS); the installed
 * countersign never reads them, so no environment can weaken its PIN hashes
 * or feed its interface keys. The interface's hooks are in ui_term.c. */
static void test_hooks(void)
{
#ifdef COUNTERSIGN_TEST_HOOKS
	const char *cost = getenv("COUNTERSIGN_TEST_PIN_COST");
	if (cost && strcmp(cost, "min") == 0)
		pin_set_cost(PIN_COST_MIN);
#endif
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	test_hooks();
	return cli_main(argc, argv);
}
