/* The text conventions of Markdown runbooks the importer understands, as
 * pure functions on strings (no md4c here): what a heading, a fenced block,
 * a command or a hint in prose means. docs/importing.md lists them; the
 * unit tests (tests/unit/import/test_rules.c) pin each down. Private to
 * src/import. Every returned string is malloc'd; the caller frees it. */
#ifndef COUNTERSIGN_IMPORT_RULES_H
#define COUNTERSIGN_IMPORT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "countersign/util.h"

/* What a heading's text says its section is. */
enum import_heading_kind {
	IMPORT_HEADING_PLAIN,      /* an ordinary phase, section or step */
	IMPORT_HEADING_ROLLBACK,   /* Rollback, Roll back, Backout, Emergency, Disaster
	                            * recovery, "Recovery", Incident response, Revert,
	                            * Troubleshooting...: always_open, no gate ("Backup and
	                            * Recovery" is plain) */
	IMPORT_HEADING_REFERENCE,  /* table of contents, links, related documentation, contacts, command
	                            * reference, appendix, glossary, FAQ, known issues...: left out
	                            * or made ungated */
};
/* Whole words of the title's first KiB, case aside. */
enum import_heading_kind import_heading_kind(const char *title);
/* True for "OPTIONAL Step 3", "Step 4 (optional)", "Optional: ...", "Step 5
 * - optional"; not for "Configure optional features". */
bool import_heading_optional(const char *title);
/* TITLE without decoration a title should not keep: surrounding spaces
 * (runs of white space become one space), trailing '#'s, Markdown emphasis
 * and code markers (*, **, __, `, ~~; a '_' inside a name stays), a
 * trailing time hint "(5-10 minutes)" (which becomes the estimate: call
 * import_estimate on the raw title), a trailing ':' or '-'. Numbers ("3.
 * Build", "Step 0.1") and "(Blue-Green)", "(Immediate)" are kept. */
char *import_clean_title(const char *title);

/* The ids given in one scope, in order (LIST), with a hash index so that
 * making one unique costs about the same for the 10,000th "Verify" as for
 * the first. Zero-initialise; clear with import_ids_clear (NULL: no-op). */
struct import_id_slot;
struct import_ids {
	struct strvec list;           /* the ids, in the order they were added */
	struct import_id_slot *slot;  /* the index (open addressing) */
	size_t cap, used;
};
/* Whether ID is in IDS. */
bool import_ids_has(const struct import_ids *ids, const char *id);
/* The highest N for which BASE-N is taken or was tried (0: none). */
unsigned import_ids_top(const struct import_ids *ids, const char *base);
/* Records that BASE-N is taken or was tried. */
void import_ids_raise(struct import_ids *ids, const char *base, unsigned n);
/* Adds ID, which must not be in IDS yet (a copy is kept). */
void import_ids_add(struct import_ids *ids, const char *id);
/* Frees what IDS holds and zeroes it. */
void import_ids_clear(struct import_ids *ids);

/* An id made from TITLE (docs/checklist-format.md, Ids): lowercase ASCII
 * letters, digits and dashes, from the title's words (accented Latin
 * letters read as ASCII, "é" as "e" and "ß" as "ss"; other non-ASCII
 * letters dropped; "don't" one word), at most 48 characters (cut at a word when it
 * can), never empty ("section", "item"... from FALLBACK), and unique
 * within USED (a "-2", "-3"... suffix past the highest one taken), to
 * which it is added; USED may be NULL. Returns a string the caller frees. */
char *import_make_id(const char *title, const char *fallback, struct import_ids *used);
/* The ASCII letters a Latin letter with a mark is read as in an id or a
 * variable's name ("é" as "e", "ß" as "ss", "œ" as "oe"), so that "Café"
 * gives "cafe", not "caf"; NULL for any other character (static text). */
const char *import_latin_fold(uint32_t cp);

/* What a fenced block's info string says it holds. */
enum import_lang {
	IMPORT_LANG_SHELL,    /* bash, sh, shell, zsh (and the same with attributes: "bash title=x") */
	IMPORT_LANG_CONSOLE,  /* console, shell-session: prompts and sample output */
	IMPORT_LANG_NONE,     /* no info string: shell only when import_looks_like_commands */
	IMPORT_LANG_OTHER,    /* json, yaml, sql, python...: never run */
};
enum import_lang import_lang(const char *info);
/* For an untagged block: true when its lines read as shell commands (a
 * prompt, or first words that are commands: kubectl, oc, curl, helm, git,
 * systemctl, docker, ...) rather than prose, JSON, YAML or output. */
bool import_looks_like_commands(const char *code);

/* Splits a shell or console block into *COMMANDS (prompts "$ " and "# "
 * stripped from prompt lines, "\" continuations kept with their following
 * lines, blank lines dropped at the ends) and *OUTPUT (in console blocks,
 * the lines that are not commands: sample output; "" when none), and
 * *EXPECT: the text of "# Expected: ..." comment lines (SPEC 8), joined by
 * "; " ("" when none), which are taken out of the commands. In a shell
 * (not console) block a "# " line is a comment, kept in the commands; a
 * shell or untagged block whose lines start with "$ " prompts is read as a
 * transcript: its other lines (but comments) are output. In console
 * blocks, "user@host:~$ " and "[root@host ~]# " are prompts too, and a
 * "> " continuation prompt is stripped. Here-document bodies stay with
 * their command. All three are malloc'd; the caller frees them. */
void import_split_block(const char *code, enum import_lang lang, char **commands, char **output, char **expect);

/* True when inline code CODE is clearly a command (its first word is a
 * known command or a path to one, e.g. `kubectl get pods`, `./deploy.sh`),
 * not a name or a value (`config.yaml`, `true`, `NOA_ENV`). */
bool import_inline_is_command(const char *code);

/* A placeholder found in a command, made a checklist variable. */
struct import_var {
	char *name;    /* ^[A-Z_][A-Z0-9_]*$, e.g. NODE_POOL_NAME from <node pool name> */
	char *prompt;  /* from the placeholder's words, e.g. "Node pool name" */
};
/* Rewrites CMD with each placeholder (<PROJECT>, <node pool name>, $VAR,
 * ${VAR}; a $VAR or ${VAR} only in capitals and outside single quotes) as
 * ${NAME}, adding a variable for each new NAME to *VARS and *N (the same
 * placeholder twice is one variable; *VARS grows, the caller frees it with
 * import_vars_free). Shell variables the command itself assigns (NAME=,
 * for NAME in, read NAME) or that are well known ($HOME, $PATH, $USER,
 * $KUBECONFIG, $1, $?...) are left to the shell, and so are lower-case
 * ones; since countersign expands every ${NAME} itself, the shell's own
 * "${...}" is written "$${...}" and its "$$" "$$$$" (docs/checklist-format.md,
 * Variables). Every command the importer runs goes through this function.
 * No "<...>" placeholder survives in the result (but see IMPORT_MAX_VARS). */
char *import_placeholders(const char *cmd, struct import_var **vars, size_t *n);
/* At most this many variables are made (each new one is looked up among
 * those before it); past it, a new placeholder is left as it is and
 * import_has_placeholder finds it: the item must not run. */
#define IMPORT_MAX_VARS 1000
/* True when CMD still holds a "<...>" placeholder. */
bool import_has_placeholder(const char *cmd);
void import_vars_free(struct import_var *vars, size_t n);

/* The first time hint in TEXT as a checklist estimate ("5-10m" for "(5-10
 * minutes)", "40m" for "up to 40 minutes", "24h" for "After 24 hours",
 * "45m-1h" for "45 minutes to 1 hour", "2m" for "<2 minutes"), in the
 * units the author wrote; NULL when there is none. Conditions are not
 * hints: "5+ minutes", ">2s", "5%". */
char *import_estimate(const char *text);
/* An explicit wait in TEXT ("wait 15 minutes", "Wait for 2 hours", "wait
 * at least 10 min", "Pause for 1 hour") as a duration ("15m", "2h"); of a
 * range, its lower end ("wait 5-10 minutes" is "5m"); NULL when there is
 * none ("kubectl wait --timeout=300s", "Wait for pods to be ready"). */
char *import_wait(const char *text);

/* Commands that delete, drop, scale to zero, undo a rollout, patch live
 * traffic (ingress, routes, services, an applied VirtualService), rm,
 * helm rollback, terraform destroy, git push --force, SQL DROP / TRUNCATE /
 * DELETE FROM, migrations:down...: confirm: true. Comments are ignored. */
bool import_destructive(const char *cmd);
/* Commands that need a terminal (exec -it, psql without -c, less, more,
 * vi, top, rsh, debug -it, edit, ssh without a command...), and those that
 * never end by themselves in the foreground and wait for a person to stop
 * them (logs -f, tail -f, get -w, port-forward, watch): interactive: true.
 * A command run in the background ("... &") is not. */
bool import_interactive(const char *cmd);

/* The first invisible or direction-changing code point in TEXT (zero-width
 * space and joiners, BOM, bidi marks, embeddings, overrides and isolates,
 * soft hyphen, no-break space, tag characters): its byte offset in *OFFSET
 * (when OFFSET is not NULL) and a static description ("a zero-width space
 * (U+200B)"); NULL when there is none. Bytes that are not UTF-8 are not
 * reported here. */
const char *import_invisible(const char *text, size_t *offset);

/* True when sibling section titles TITLES[0..N) read as alternative
 * procedures for one goal ("Standard Deployment (Blue-Green)", "Canary
 * Deployment", "Rolling Update Deployment"; "Option A: ...", "Option B:
 * ..."), which the importer reports as a likely choice group. */
bool import_alternatives(const char *const *titles, size_t n);
/* Which of TITLES[0..N) are the alternatives (MEMBER[i], N entries the
 * caller provides): a "Database Rollback" beside "Canary Rollback" and
 * "Blue-Green Rollback" is not one. Returns how many are. */
size_t import_alternative_members(const char *const *titles, size_t n, bool *member);

#endif
