/* countersign import FILE.md [-o FILE] [--force]: a Markdown runbook turned
 * into a checklist (docs/importing.md). The checklist goes to standard
 * output alone (or to FILE); every message of the importer goes to standard
 * error as FILE.md:LINE: KIND: TEXT, and the summary last (or, when nothing
 * was imported, the reason). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_text.h"
#include "countersign/import.h"
#include "countersign/util.h"
#include "ui/ui.h"

static const char *const usage = "countersign import FILE.md [-o FILE] [--force]";

struct import_args {
	const char *input, *output;
	bool force;
};

/* Options may come before or after the file. Returns false after saying
 * what is wrong. */
static bool parse_args(int argc, char **argv, struct import_args *a)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"force", no_argument, NULL, 'f'},
		{0, 0, 0, 0},
	};
	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	int c;
	/* "-" first: a positional comes back as option 1, in its place */
	while ((c = getopt_long(argc, argv, "-:o:", opts, NULL)) != -1) {
		if (c == 'o' && a->output) {
			cli_error("import", "-o is given more than once; give one file");
			return false;
		} else if (c == 'o') {
			a->output = optarg;
		} else if (c == 'f') {
			a->force = true;
		} else if (c == 1 && a->input) {
			cli_error("import", "one runbook at a time (\"%s\" and \"%s\"); usage: %s", a->input, optarg,
				usage);
			return false;
		} else if (c == 1) {
			a->input = optarg;
		} else if (c == ':') {
			cli_error("import", "%s needs a file name; usage: %s", argv[optind - 1], usage);
			return false;
		} else {
			cli_error("import", "unknown option \"%s\"; usage: %s", argv[optind - 1], usage);
			return false;
		}
	}
	for (int i = optind; i < argc; i++) {  /* after "--" */
		if (a->input) {
			cli_error("import", "one runbook at a time; usage: %s", usage);
			return false;
		}
		a->input = argv[i];
	}
	if (!a->input) {
		cli_error("import", "which runbook? usage: %s", usage);
		return false;
	}
	if (a->output && !a->output[0]) {
		cli_error("import", "-o needs a file name (or - for standard output)");
		return false;
	}
	if (a->output && strcmp(a->output, "-") == 0)
		a->output = NULL;
	return true;
}

/* The messages, in line order, then the summary of an import that made a
 * checklist, on standard error. */
static void print_messages(const char *input, const struct import_result *r, bool imported)
{
	const char *shown = strcmp(input, "-") == 0 ? "<stdin>" : cli_safe(input);
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct import_message *m = &r->messages[i];
		if (m->line > 0)
			fprintf(stderr, "%s:%d: %s: %s\n", shown, m->line, import_message_kind_name(m->kind),
				cli_safe(m->text));
		else
			fprintf(stderr, "%s: %s: %s\n", shown, import_message_kind_name(m->kind), cli_safe(m->text));
	}
	if (imported && r->summary)
		fprintf(stderr, "%s: %s\n", shown, cli_safe(r->summary));
}

/* The checklist to standard output (without its final newline, which
 * cli_put_json adds) or to OUTPUT. */
static int put_checklist(const struct import_args *a, const char *json)
{
	if (!a->output) {
		char *copy = xstrdup(json);
		size_t n = strlen(copy);
		if (n && copy[n - 1] == '\n')
			copy[n - 1] = '\0';
		cli_put_json(copy);
		free(copy);
		return CS_OK;
	}
	char *err = NULL;
	int rc = ui_import_write(a->output, json, a->force, strcmp(a->input, "-") == 0 ? NULL : a->input, &err);
	if (rc != CS_OK)
		cli_error("import", "%s", err ? err : "the checklist could not be written");
	free(err);
	return rc;
}

int cmd_import(const struct cli_global *g, int argc, char **argv)
{
	(void)g;
	struct import_args a;
	if (!parse_args(argc, argv, &a))
		return CS_INVALID;
	char *text = NULL, *err = NULL;
	size_t len = 0;
	int rc = ui_import_read(a.input, &text, &len, &err);
	if (rc != CS_OK) {
		cli_error("import", "%s", err);
		free(err);
		return rc;
	}
	struct import_result r;
	enum import_status st = import_markdown(text, len, strcmp(a.input, "-") == 0 ? NULL : a.input, &r);
	free(text);
	print_messages(a.input, &r, st == IMPORT_OK);
	switch (st) {
	case IMPORT_OK:
		rc = put_checklist(&a, r.json);
		break;
	case IMPORT_NOTHING:
		cli_error("import", "%s: nothing to import; no checklist written",
			strcmp(a.input, "-") == 0 ? "standard input" : a.input);
		rc = CS_INVALID;
		break;
	case IMPORT_REFUSED:
		cli_error("import", "%s is refused (the reason is above); no checklist written",
			strcmp(a.input, "-") == 0 ? "standard input" : a.input);
		rc = CS_INVALID;
		break;
	}
	import_result_clear(&r);
	return rc;
}
