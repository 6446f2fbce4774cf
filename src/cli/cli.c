#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli_text.h"
#include "config.h"
#include "countersign/sanitize.h"
#include "countersign/util.h"

static const struct cli_command commands[] = {
	{"open", "CHECKLIST.json [--var-file FILE]... [--var NAME=VALUE]... [--title TEXT] | --run ID",
		"open the terminal interface on a checklist (resuming its open run, asked) or on a run",
		"Signs the operator in (name and PIN; offers to register the first engineer on an\n"
		"empty database), then resumes the open run of the checklist if you say so, or asks\n"
		"for the variables and starts a new run. --run opens an existing run (read-only when\n"
		"it is completed or aborted). See docs/interface.md for the keys. --var-file as for start.\n",
		cmd_open},
	{"review", "", "the interface in read-only mode: past runs and their record", "", cmd_review},
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
	{"import", "FILE.md [-o FILE] [--force]",
		"turn a Markdown runbook into a checklist to review (JSON on standard output)",
		"Reads the runbook (GitHub's Markdown: headings, - [ ] checkboxes, fenced shell\n"
		"blocks, tables, alerts) and prints the checklist it makes, pretty-printed, on\n"
		"standard output. Standard error gets one line per thing to look at, as\n"
		"FILE.md:LINE: warning|skipped|note: TEXT (an unclosed fence, a heading or block\n"
		"left out and why, a likely choice group), then the summary: sections, items by\n"
		"kind, variables and skipped parts. docs/importing.md lists the conventions.\n"
		"The result loads and lints clean; review it before a run (countersign lint\n"
		"--outline).\n"
		"\n"
		"  -o, --output F   write the checklist to F whole or not at all (a file beside it,\n"
		"                   renamed into place); - is standard output\n"
		"  --force          replace F when it exists (else it is left as it is)\n"
		"\n"
		"FILE.md - reads standard input. Runbooks over 8 MiB are refused unread.\n"
		"Exit status 0 when imported; 2 when there is nothing to import, the file is not\n"
		"a text runbook, F exists without --force, or on a usage error; 3 when FILE.md\n"
		"cannot be read or F cannot be written.\n",
		cmd_import},
	{"engineer", "add NAME --full-name TEXT [--role ROLE]... [--by A --by B] [--pin-stdin] | "
		"role NAME --add ROLE|--remove ROLE --by A --by B [--pin-stdin] | pin NAME [--pin-stdin] | list [--json]",
		"register an engineer (PIN asked twice on a terminal), grant or remove a role, change a PIN, or list them",
		"  add NAME --full-name TEXT   NAME is a short login-like name, never reused; the PIN\n"
		"                              (at least 6 characters) derives NAME's signing key\n"
		"                              (Argon2id, then Ed25519): only the public key is stored\n"
		"    --role ROLE               grant ROLE at once (repeatable); needs --by A --by B\n"
		"  role NAME --add ROLE        grant NAME a role, or take one away with --remove ROLE;\n"
		"    --by A --by B             approved by two other engineers, each with their PIN: the\n"
		"                              change is an event of the engineers chain signed by both\n"
		"  pin NAME                    change NAME's PIN: the current PIN, then the new one twice;\n"
		"                              the change is signed with the old key, the old PIN stops\n"
		"                              working and what it signed still verifies\n"
		"  list [--json]               the registered engineers and the roles they hold\n"
		"  --pin-stdin                 read the PINs from standard input instead of the terminal,\n"
		"                              one a line: add reads NAME's PIN, then A's and B's when\n"
		"                              --role is given; role reads A's, then B's; pin reads three\n"
		"                              (current, new, new again)\n"
		"\n"
		"A role name is a lowercase letter, then lowercase letters, digits, '_' or '-', at most\n"
		"32 characters (dba, on-call); checklists name roles a sign-off needs. A signature\n"
		"records the roles its signer held then. Exit status 1 when the rules refuse a change\n"
		"(an approver who is NAME or named twice, a role already held or not held).\n"
		"The full name must print as itself: no control characters or escape sequences, valid\n"
		"UTF-8. \"system\" is reserved (the record's name for the program's own events).\n",
		cmd_engineer},
	{"start", "CHECKLIST.json --engineer NAME [--var-file FILE]... [--var NAME=VALUE]... [--title TEXT] "
		"[--pin-stdin]",
		"start a run headless; prints the run id alone on stdout",
		"Variables without a default must be given with --var or --var-file. Secret variables\n"
		"are never stored: give them again to each check or set them in the environment.\n"
		"\n"
		"  --var-file FILE   NAME=VALUE lines (the value is the rest of the line, as it is);\n"
		"                    blank lines and lines starting with # are skipped\n"
		"\n"
		"Give secrets with --var-file (a file only you can read, or <(command)) or in the\n"
		"environment: a --var value is wiped from the command line once read, but other users\n"
		"can see it in the process list until then, and it stays in your shell history.\n"
		"Exit status 3 when the run id cannot be written to standard output (the run is\n"
		"started; its id is named on standard error).\n",
		cmd_start},
	{"runs", "[--all] [--json]", "list open runs (all runs with --all)", "", cmd_runs},
	{"status", "RUN [--json]",
		"sections with lock and gate state, items with verdicts, sign-offs, overrides",
		"Only reads: a check whose process is gone (killed, power lost) is shown as\n"
		"interrupted and recorded so by the next command that records; one started on\n"
		"another host is named with the way out (check --recover).\n",
		cmd_status},
	{"check", "RUN SECTION/ITEM --engineer NAME [--var-file FILE]... [--var NAME=VALUE]... [--pin-stdin] "
		"[--yes]",
		"run an item's check now, record the evidence, print the verdict",
		"Secret variables come from --var-file FILE (NAME=VALUE lines, as for start), the\n"
		"environment or --var (wiped from the command line once read, but briefly visible to\n"
		"other users until then: prefer the other two).\n"
		"Exit status 0 on pass, 1 otherwise. --yes answers a confirm item. A wait item starts\n"
		"its timer and returns at once; a later check or status shows pass once it elapsed.\n"
		"Ctrl-C, a closed terminal or a closed output pipe cancels the check (its whole\n"
		"process group is stopped) and records it.\n"
		"check RUN SECTION/ITEM --recover --engineer NAME --reason TEXT records a check stuck\n"
		"running on another host (or a renamed one) as interrupted.\n"
		"check RUN SECTION/ITEM --cancel --engineer NAME cancels a started wait. A wait starts\n"
		"once the items it follows have passed; the items after it stay locked until it passes.\n",
		cmd_check},
	{"attest", "RUN SECTION/ITEM --engineer NAME [--note TEXT] [--value TEXT] [--fail] [--yes] [--pin-stdin]",
		"record a manual item as done (or failed with --fail)",
		"An item with attest_value \"prompt\" needs --value TEXT, the value read, to attest a pass.\n", cmd_attest},
	{"waive", "RUN SECTION/ITEM --engineer NAME --reason TEXT [--pin-stdin]",
		"waive a failed waivable item", "", cmd_waive},
	{"choose", "RUN SECTION --engineer NAME [--pin-stdin]",
		"choose one section of a group of alternatives", "", cmd_choose},
	{"sign", "RUN SECTION --engineer NAME [--meaning performed|reviewed|approved|rejected] [--reject] "
		"[--comment TEXT] [--pin-stdin]",
		"sign the section's current evidence with a meaning (approved unless --meaning says otherwise)",
		"A signature covers the evidence digest of the section; a new verdict on any of its\n"
		"items makes earlier signatures stale. Each engineer counts once per section.\n"
		"\n"
		"  --meaning M   what the signature says: performed (the signer did this work: only one\n"
		"                who ran, attested or waived an item of the section), reviewed, approved\n"
		"                (the default) or rejected (needs --comment). The gate counts the meaning\n"
		"                its policy names (approved, or reviewed for a review gate)\n"
		"  --reject      --meaning rejected\n"
		"\n"
		"A signature the section's policy refuses (roles, independence) names the engineers\n"
		"who could sign instead.\n",
		cmd_sign},
	{"override", "RUN SECTION --engineer A --engineer B --reason TEXT --incident REF [--pin-stdin]",
		"break glass: open a locked section or pass a failing gate (two PINs); shown as FORCED",
		"With the second engineer at another terminal: --request --engineer A --reason TEXT\n"
		"--incident REF records the request; within 15 minutes a different engineer confirms\n"
		"it with --confirm --engineer B (their own PIN).\n", cmd_override},
	{"note", "RUN [SECTION[/ITEM]] --engineer NAME TEXT [--pin-stdin]",
		"add a free-text note to the record", "", cmd_note},
	{"abort", "RUN --engineer NAME --reason TEXT [--pin-stdin]", "end the run as aborted", "", cmd_abort},
	{"export", "RUN --format md|json|html|junit [-o FILE]",
		"write a run's completion report (standard output without -o)",
		"The report carries the checklist and run, each section's gate (passed, FORCED, open,\n"
		"locked, not chosen), each item's counted verdict with its attempts, times, exit or\n"
		"HTTP status and the end of its output, every signature (with the OS user, host and\n"
		"tty it came from; stale ones marked), rejections, waivers, overrides, notes, wrong\n"
		"PINs, and the audit anchor: the run's event count and head hash, verified now.\n"
		"Secrets appear as ***. A run still open can be exported; the report says so.\n"
		"docs/report-format.md describes the formats.\n"
		"\n"
		"  --format F       md (for a change ticket), json, html (one file) or junit (CI)\n"
		"  -o, --output F   write F whole or not at all (a file beside it, renamed over it);\n"
		"                   - is standard output\n"
		"\n"
		"Only reads the database. Exit status 0 when written; 1 when written but the run's\n"
		"record does not verify (the report says so); 2 for an unknown run or format; 3 when\n"
		"the database cannot be read or FILE cannot be written (an older FILE is left as it was).\n"
		"Check a report's anchor later with: countersign verify RUN --anchor HEAD\n",
		cmd_export},
	{"audit", "[--run ID] [--engineer NAME] [--since DATE] [--until DATE] [--kind KIND] [--json]",
		"the record across runs, oldest first: who did what, when, from where",
		"One line per event: UTC time, run (or \"engineers\" for registrations and PINs),\n"
		"section/item, engineer, and what happened with its verdict or meaning and any\n"
		"comment, reason or note. Wrong PINs and lockouts are events too. Filters combine:\n"
		"\n"
		"  --run ID         one run's events (\"engineers\": the engineers chain)\n"
		"  --engineer NAME  what NAME did, and their registration (\"system\": the program)\n"
		"  --kind KIND      one kind of event (signed, waived, override, pin_failed, ...)\n"
		"  --since DATE     at or after DATE: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], UTC (Z allowed)\n"
		"  --until DATE     up to the end of DATE (--until 2026-11-26 takes in that whole day)\n"
		"  --json           one JSON document: {\"filters\": {...}, \"events\": [...], \"count\": N}\n"
		"\n"
		"Only reads the database. Exit status 0; 2 for an unknown run, engineer or kind, a date\n"
		"it cannot read, or --since after --until; 3 when the database cannot be read.\n",
		cmd_audit},
	{"verify", "[RUN] [--anchor HASH] [--checkpoint FILE|-]",
		"check the record: hash chains, signatures, snapshots, runs, engineers",
		"Recomputes every hash chain and checks every signature against the signer's key at\n"
		"that point of the engineers chain, each checklist snapshot against its SHA-256, each\n"
		"run's row against its first event and the registry, and the engineers table against\n"
		"the engineers chain. Prints \"ok: N events, head HASH\" and exits 0, or names the first\n"
		"failure and exits 1. Events recorded before signatures existed are counted, not\n"
		"failed: \"run ID: 37 of 120 events unsigned (recorded before signatures)\".\n"
		"\n"
		"  --anchor HASH       also fails unless that event (a head printed earlier) is still in\n"
		"                      the record: in RUN's chain, or without RUN in any chain\n"
		"  --checkpoint FILE   the whole record, and that it extends FILE, an earlier\n"
		"                      'countersign checkpoint' (or several, one after another; - reads\n"
		"                      standard input): every chain each names still has its events,\n"
		"                      none cut off or rewritten\n"
		"\n"
		"Only reads the database. Exit status 0 when it verifies, 1 when it does not, 2 for an\n"
		"unknown run or a FILE that is not a checkpoint (or was changed), 3 when the database\n"
		"or FILE cannot be read.\n",
		cmd_verify},
	{"checkpoint", "[RUN] [-o FILE]",
		"print a checkpoint: the record's id and the size and head of each chain",
		"A short text to keep outside the database (a ticket, a log, another host): the host\n"
		"and the record's id, the time, and for the registry, the engineers and each open run\n"
		"(with RUN: that run) the number of events and the hash of the last, with a checksum\n"
		"line. 'countersign verify --checkpoint FILE' later proves that nothing it covered was\n"
		"cut off or rewritten since. docs/record.md describes the format.\n"
		"\n"
		"  -o, --output F   write F whole or not at all (- is standard output)\n"
		"\n"
		"Only reads the database. Exit status 0; 2 for an unknown run or a record from before\n"
		"checkpoints (any command that records brings it up to date); 3 when the database\n"
		"cannot be read or FILE cannot be written.\n",
		cmd_checkpoint},
	{"watch", "RUN [--once]",
		"send a run's gate_waiting notices as they fall due",
		"A section with signoff_within whose items are all done and whose gate is still not\n"
		"signed after that time gets a gate_waiting notice, then another at each further\n"
		"interval: recorded in the run (by system) and sent to the checklist's notify entries\n"
		"subscribed to gate_waiting. watch prints one line per notice it sends. Of several\n"
		"processes watching (or showing) the run, exactly one records and sends each notice;\n"
		"a process that looks after a long while sends only the latest interval's. Other\n"
		"commands never send them; the interface does while it shows the run.\n"
		"\n"
		"  --once   send what is due now and exit\n"
		"\n"
		"Without --once, watch follows what other processes record until the run ends or it\n"
		"gets SIGINT or SIGTERM (exit status 0; deliveries under way get a bounded time).\n"
		"Exit status 0; 2 for an unknown run; 3 when the database cannot be read or written.\n",
		cmd_watch},
	{"db", "info | copy FROM TO",
		"what a database holds; copy a whole record to another location",
		"  info           the database of --db (or the default): its engine (SQLite or\n"
		"                 PostgreSQL), location (never a password), schema version, the\n"
		"                 record's id and how many engineers, runs and events it holds\n"
		"  copy FROM TO   copy the whole record at FROM into TO, each a SQLite path or a\n"
		"                 PostgreSQL location (postgresql://..., postgres://... or\n"
		"                 'service=NAME'): checklist snapshots, engineers, runs, evidence and\n"
		"                 every event as recorded (its hash, signatures and payload), in one\n"
		"                 transaction, so every chain and the record's id are unchanged. TO\n"
		"                 must hold no record: a SQLite file not there yet (created 0600) or\n"
		"                 empty, or an empty PostgreSQL database (the schema is created, so\n"
		"                 connect as its owner role). Then verifies both and prints each one's\n"
		"                 \"ok: N events, head HASH\", as verify does.\n"
		"\n"
		"Exit status 0; 1 when TO already holds a record (nothing is written) or the copy does\n"
		"not verify with the same chains and heads; 2 for a usage error or a FROM that holds\n"
		"no record; 3 when a database cannot be read or written (a server that cannot be\n"
		"reached says so).\n",
		cmd_db},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

void cli_error(const char *what, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *message = xvasprintf(fmt, ap);
	va_end(ap);
	/* messages quote names, titles and arguments: none may drive the terminal */
	char *safe_what = sanitize_text(what, strlen(what), cli_text_flags());
	char *safe_message = sanitize_text(message, strlen(message), cli_text_flags() | SANITIZE_MULTILINE);
	/* Lines after the first are indented: no quoted text can start a line
	 * that reads like another message ("countersign: verify: ok"). */
	struct strbuf sb = {0};
	for (const char *p = safe_message; *p; p++) {
		strbuf_add(&sb, p, 1);
		if (*p == '\n' && p[1])
			strbuf_addstr(&sb, "  ");
	}
	fprintf(stderr, "countersign: %s: %s\n", safe_what, sb.data ? sb.data : "");
	strbuf_release(&sb);
	free(safe_what);
	free(safe_message);
	free(message);
}

static void print_usage(FILE *out)
{
	fputs("usage: countersign [--db PATH] COMMAND [ARGS...]\n"
		"       countersign --help | --version | help COMMAND\n"
		"\n"
		"countersign turns a deployment runbook into a gated, two-person checklist.\n"
		"\n"
		"Without a command, opens the terminal interface's home screen: bundled and\n"
		"local checklists, open runs, past runs.\n"
		"\n"
		"Commands:\n", out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\n"
		"Global options:\n"
		"  --db PATH    the database (else $COUNTERSIGN_DB, else\n"
		"               $XDG_DATA_HOME/countersign/countersign.db, else\n"
		"               ~/.local/share/countersign/countersign.db); a SQLite file, or a\n"
		"               PostgreSQL location (postgresql://..., service=NAME) shared by\n"
		"               several hosts, its password in ~/.pgpass or PGPASSWORD\n"
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
		return CS_INVALID;
	}
	cli_print_command_help(cmd);
	return CS_OK;
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
		bool db = !done && strcmp(argv[i], "--db") == 0, db_eq = !done && strncmp(argv[i], "--db=", 5) == 0;
		if ((db || db_eq) && g->db_path) {
			cli_error("--db", "is given more than once; give one database");
			ok = false;
			break;
		}
		if (db) {
			if (i + 1 >= *argc) {
				cli_error("--db", "needs a path to the database file");
				ok = false;
				break;
			}
			g->db_path = argv[++i];
			continue;
		}
		if (db_eq) {
			g->db_path = argv[i] + 5;
			continue;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	*argc = out;
	return ok;
}

/* Scripts rely on what a command prints (RUN=$(countersign start ...)): a
 * write that failed (a full disk, a closed pipe) must not pass as success.
 * Returns RC, or CS_ENV after a message when standard output failed. */
static int close_stdout(const char *command, int rc)
{
	errno = 0;
	bool failed = fflush(stdout) != 0 || ferror(stdout);
	int err = errno;
	if (fclose(stdout) != 0 && !failed) {
		failed = true;
		err = errno;
	}
	if (!failed)
		return rc;
	cli_error(command, "cannot write to standard output: %s", err ? strerror(err) : "write error");
	return CS_ENV;
}

static int run_command(int argc, char **argv);

int cli_main(int argc, char **argv)
{
	int rc = run_command(argc, argv);
	/* the global options are out of ARGV by now: ARGV[1] names the command */
	rc = close_stdout(argc > 1 && argv[1] ? argv[1] : "output", rc);
	cli_text_release();
	return rc;
}

static int run_command(int argc, char **argv)
{
	if (sodium_init() < 0) {
		cli_error("init", "libsodium failed to initialise");
		return CS_ENV;
	}
	struct cli_global g = {0};
	if (!take_global_options(&argc, argv, &g))
		return CS_INVALID;
	if (argc < 2)
		return cmd_home(&g);
	const char *name = argv[1];
	if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
		print_usage(stdout);
		return CS_OK;
	}
	if (strcmp(name, "--version") == 0) {
		printf("countersign %s\n", COUNTERSIGN_VERSION);
		return CS_OK;
	}
	if (strcmp(name, "help") == 0) {
		if (argc < 3) {
			print_usage(stdout);
			return CS_OK;
		}
		return help_command(argv[2]);
	}
	const struct cli_command *cmd = find_command(name);
	if (!cmd) {
		cli_error(name, name[0] == '-' ? "unknown option; run 'countersign --help'"
			: "unknown command; run 'countersign --help' for the list");
		return CS_INVALID;
	}
	for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			cli_print_command_help(cmd);
			return CS_OK;
		}
	}
	return cmd->run(&g, argc - 1, argv + 1);
}
