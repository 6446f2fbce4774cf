/* countersign export RUN --format md|json|html|junit [-o FILE] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opts.h"
#include "cli/cli_session.h"
#include "cli/cli_text.h"
#include "countersign/report.h"

int cmd_export(const struct cli_global *g, int argc, char **argv)
{
	const char *usage = "countersign export RUN --format md|json|html|junit [-o FILE]";
	struct opts o;
	if (!opts_parse("export", usage, argc, argv, "format output", 1, &o))
		return CS_INVALID;
	if (o.n_pos != 1) {
		cli_error("export", "which run? usage: %s", usage);
		return CS_INVALID;
	}
	enum report_format format;
	if (!o.format) {
		cli_error("export", "--format is needed (md, json, html or junit); usage: %s", usage);
		return CS_INVALID;
	}
	if (!report_format_parse(o.format, &format)) {
		cli_error("export", "unknown format \"%s\"; give md, json, html or junit", o.format);
		return CS_INVALID;
	}
	if (o.output && !o.output[0]) {
		cli_error("export", "-o needs a file name (or - for standard output)");
		return CS_INVALID;
	}
	/* Only reads: the database is opened read-only and nothing is recorded. */
	struct session s;
	int rc = cli_session_open_read(&s, g, "export");
	if (rc == CS_OK)
		rc = session_load_run(&s, o.pos[0]);
	if (rc == CS_OK) {
		char *err = NULL;
		rc = report_export(&s, format, o.output, &err);
		if (err)
			cli_error("export", "%s", err);
		free(err);
		/* a failed standard output is said above, with its reason: the
		 * check every command gets at exit would say it again, without */
		if (rc == CS_ENV && (!o.output || strcmp(o.output, "-") == 0))
			clearerr(stdout);
	}
	session_close(&s);
	return rc;
}
