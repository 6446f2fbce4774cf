/* countersign db info | db copy FROM TO */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_session.h"
#include "cli/cli_text.h"
#include "cli/opts.h"

static int db_info(const struct cli_global *g, int argc, char **argv)
{
	struct opts o;
	if (!opts_parse("db info", "countersign db info", argc, argv, "", 0, &o))
		return CS_INVALID;
	opts_clear(&o);
	struct session s;
	cli_session_init(&s, "db info");
	struct store_db_info info;
	int rc = session_db_info(&s, g->db_path, &info);
	if (rc != CS_OK)
		return rc;
	printf("engine: %s\n", info.postgres ? "PostgreSQL" : "SQLite");
	printf("location: %s\n", cli_safe(info.location));
	if (info.schema == 0) {
		printf("schema version: none (an empty database: no record yet)\n");
	} else {
		printf("schema version: %d\n", info.schema);
		if (info.record)
			printf("record: %s\n", cli_safe(info.record));
		printf("engineers: %" PRId64 "\nruns: %" PRId64 "\nevents: %" PRId64 "\n", info.engineers, info.runs,
			info.events);
	}
	store_db_info_clear(&info);
	session_close(&s);
	return CS_OK;
}

/* "ok: N events, head HASH" as verify prints it, or why it failed. */
static void print_verdict(const char *side, const char *location, const struct store_verify_result *r,
	bool verified)
{
	if (!verified)
		printf("%s %s: not verified (see the message above)\n", side, cli_safe(location));
	else if (r->ok)
		printf("%s %s: ok: %" PRId64 " events, head %s\n", side, cli_safe(location), r->events, r->head);
	else
		printf("%s %s: DOES NOT VERIFY: %s%s%s\n", side, cli_safe(location), r->chain ? cli_safe(r->chain) : "",
			r->chain ? ": " : "", cli_safe(r->why ? r->why : "does not verify"));
}

static int db_copy(int argc, char **argv)
{
	const char *usage = "countersign db copy FROM TO";
	struct opts o;
	if (!opts_parse("db copy", usage, argc, argv, "", 2, &o))
		return CS_INVALID;
	if (o.n_pos != 2) {
		cli_error("db copy", "give the record's location and the new one; usage: %s", usage);
		opts_clear(&o);
		return CS_INVALID;
	}
	struct session s;
	cli_session_init(&s, "db copy");
	struct session_db_copy c;
	int rc = session_db_copy(&s, o.pos[0], o.pos[1], &c);
	if (c.from_verified || c.to_verified || c.counts.events) {
		printf("copied %" PRId64 " checklist snapshots, %" PRId64 " engineers, %" PRId64 " runs, %" PRId64
			" evidence, %" PRId64 " events\n", c.counts.checklists, c.counts.engineers, c.counts.runs,
			c.counts.evidence, c.counts.events);
		print_verdict("from", o.pos[0], &c.from, c.from_verified);
		print_verdict("to", o.pos[1], &c.to, c.to_verified);
		if (rc == CS_REFUSED)
			cli_error("db copy", "the copy at %s was written but does not verify with the same chains "
				"and heads as %s", o.pos[1], o.pos[0]);
	}
	session_db_copy_clear(&c);
	session_close(&s);
	opts_clear(&o);
	return rc;
}

int cmd_db(const struct cli_global *g, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "info") == 0)
		return db_info(g, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "copy") == 0)
		return db_copy(argc - 1, argv + 1);
	if (argc < 2)
		cli_error("db", "give info or copy; usage: countersign db info | db copy FROM TO");
	else
		cli_error("db", "unknown subcommand \"%s\"; use info or copy", argv[1]);
	return CS_INVALID;
}
