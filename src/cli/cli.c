#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const struct cli_command commands[] = {
	{"lint", "FILE... [--outline]",
		"validate checklists; --outline also prints each one's sections, gates and items",
		"Checks each checklist FILE against the format (docs/checklist-format.md) and prints\n"
		"every problem as FILE:LINE:COL: error: MESSAGE (at JSON.PATH) on stderr; warnings\n"
		"(unknown fields, ${NAME} that must come from the environment) use \"warning\".\n"
		"Prints one summary line per file on stdout.\n"
		"\n"
		"  --outline   after a file that loads, print its sections by phase with gates and items\n"
		"\n"
		"Exit status: 0 when every file is clean or has warnings only, 2 on any error.\n",
		cmd_lint},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

void cli_error(const char *what, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "countersign: %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void print_usage(FILE *out)
{
	fputs("usage: countersign [--db PATH] COMMAND [ARGS...]\n"
		"       countersign --help | --version | help COMMAND\n"
		"\n"
		"countersign turns a deployment runbook into a gated, two-person checklist.\n"
		"\n"
		"Commands:\n", out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("\n"
		"Global options:\n"
		"  --db PATH    the database (else $COUNTERSIGN_DB, else\n"
		"               $XDG_DATA_HOME/countersign/countersign.db, else\n"
		"               ~/.local/share/countersign/countersign.db)\n"
		"  -h, --help   this help; 'countersign help COMMAND' for one command\n"
		"  --version    print the version\n"
		"\n"
		"Exit status: 0 success, 1 refused by the rules, 2 usage error or invalid input,\n"
		"3 environment or storage failure.\n", out);
}

void cli_print_command_help(const struct cli_command *cmd)
{
	printf("usage: countersign %s %s\n\n%s\n%s", cmd->name, cmd->synopsis, cmd->summary,
		cmd->help[0] ? "\n" : "");
	fputs(cmd->help, stdout);
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int help_command(const char *name)
{
	const struct cli_command *cmd = find_command(name);
	if (!cmd) {
		cli_error("help", "unknown command \"%s\"; run 'countersign --help' for the list", name);
		return EXIT_USAGE;
	}
	cli_print_command_help(cmd);
	return EXIT_OK;
}

/* Takes --db out of ARGV wherever it stands before "--", so that every
 * command accepts it in any position. Returns false on a missing value. */
static bool take_global_options(int *argc, char **argv, struct cli_global *g)
{
	int out = 1;
	bool ok = true, done = false;
	for (int i = 1; i < *argc; i++) {
		if (!done && strcmp(argv[i], "--") == 0)
			done = true;
		if (!done && strcmp(argv[i], "--db") == 0) {
			if (i + 1 >= *argc) {
				cli_error("--db", "needs a path to the database file");
				ok = false;
				break;
			}
			g->db_path = argv[++i];
			continue;
		}
		if (!done && strncmp(argv[i], "--db=", 5) == 0) {
			g->db_path = argv[i] + 5;
			continue;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	*argc = out;
	return ok;
}

int cli_main(int argc, char **argv)
{
	struct cli_global g = {0};
	if (!take_global_options(&argc, argv, &g))
		return EXIT_USAGE;
	if (argc < 2) {
		print_usage(stdout);
		return EXIT_OK;
	}
	const char *name = argv[1];
	if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
		print_usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(name, "--version") == 0) {
		printf("countersign %s\n", COUNTERSIGN_VERSION);
		return EXIT_OK;
	}
	if (strcmp(name, "help") == 0) {
		if (argc < 3) {
			print_usage(stdout);
			return EXIT_OK;
		}
		return help_command(argv[2]);
	}
	const struct cli_command *cmd = find_command(name);
	if (!cmd) {
		cli_error(name, name[0] == '-' ? "unknown option; run 'countersign --help'"
			: "unknown command; run 'countersign --help' for the list");
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			cli_print_command_help(cmd);
			return EXIT_OK;
		}
	}
	return cmd->run(&g, argc - 1, argv + 1);
}
