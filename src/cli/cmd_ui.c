/* countersign (home), open, review: the terminal interface. */
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "ui/ui.h"

int cmd_home(const struct cli_global *g)
{
	struct ui_options opt = {.db_path = g->db_path};
	return ui_main(&opt);
}

int cmd_open(const struct cli_global *g, int argc, char **argv)
{
	const char *usage = "countersign open CHECKLIST.json [--var-file FILE]... [--var NAME=VALUE]... "
		"[--title TEXT] | open --run ID";
	struct opts o;
	if (!opts_parse("open", usage, argc, argv, "var+ var-file+ title run", 1, &o))
		return CS_INVALID;
	if ((o.n_pos == 1) == (o.run != NULL)) {
		cli_error("open", "give a checklist file or --run ID; usage: %s", usage);
		opts_clear(&o);
		return CS_INVALID;
	}
	struct ui_options opt = {
		.db_path = g->db_path, .checklist = o.n_pos ? o.pos[0] : NULL, .run_id = o.run,
		.vars = o.vars, .n_vars = o.n_vars, .title = o.title,
	};
	int rc = ui_main(&opt);
	opts_clear(&o);
	return rc;
}

int cmd_review(const struct cli_global *g, int argc, char **argv)
{
	struct opts o;
	if (!opts_parse("review", "countersign review", argc, argv, "", 0, &o))
		return CS_INVALID;
	struct ui_options opt = {.db_path = g->db_path, .review = true};
	return ui_main(&opt);
}
