#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli/cli_text.h"
#include "countersign/checklist.h"
#include "countersign/outline.h"

static void summary(const char *file, const struct checklist *cl, const struct diag_list *d)
{
	if (d->errors) {
		printf("%s: %zu error%s, %zu warning%s\n", cli_safe(file), d->errors, d->errors == 1 ? "" : "s",
			d->warnings, d->warnings == 1 ? "" : "s");
		return;
	}
	size_t items = 0;
	for (size_t s = 0; s < cl->n_sections; s++)
		items += cl->sections[s].n_items;
	printf("%s: ok, %zu sections, %zu items", cli_safe(file), cl->n_sections, items);
	if (d->warnings)
		printf(", %zu warning%s", d->warnings, d->warnings == 1 ? "" : "s");
	putchar('\n');
}

int cmd_lint(const struct cli_global *g, int argc, char **argv)
{
	(void)g;
	static const struct option opts[] = {
		{"outline", no_argument, NULL, 'o'},
		{0, 0, 0, 0},
	};
	bool outline = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'o') {
			outline = true;
		} else {
			cli_error("lint", "unknown option \"%s\"; usage: countersign lint FILE... [--outline]",
				argv[optind - 1]);
			return CS_INVALID;
		}
	}
	/* Options may also follow the files. */
	int n_files = 0;
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "--outline") == 0)
			outline = true;
		else if (argv[i][0] == '-' && argv[i][1]) {
			cli_error("lint", "unknown option \"%s\"; usage: countersign lint FILE... [--outline]", argv[i]);
			return CS_INVALID;
		} else
			argv[optind + n_files++] = argv[i];
	}
	if (n_files == 0) {
		cli_error("lint", "no file given; usage: countersign lint FILE... [--outline]");
		return CS_INVALID;
	}
	int rc = CS_OK;
	for (int i = 0; i < n_files; i++) {
		const char *file = argv[optind + i];
		struct diag_list d;
		diag_list_init(&d, file);
		struct checklist *cl = checklist_load_file(file, &d);
		struct cli_capture text;
		fflush(stdout);
		diag_list_print(&d, cli_capture_begin(&text));
		cli_capture_end(&text, stderr);
		summary(file, cl, &d);
		fflush(stdout);
		if (cl && outline) {
			outline_print(cl, cli_capture_begin(&text));
			cli_capture_end(&text, stdout);
			if (i + 1 < n_files)
				putchar('\n');
		}
		if (!cl)
			rc = CS_INVALID;
		checklist_destroy(cl);
		diag_list_clear(&d);
	}
	return rc;
}
