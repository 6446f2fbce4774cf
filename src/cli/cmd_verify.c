/* countersign verify [RUN] [--anchor HASH] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opts.h"
#include "cli/cli_session.h"
#include "cli/cli_text.h"

int cmd_verify(const struct cli_global *g, int argc, char **argv)
{
	const char *usage = "countersign verify [RUN] [--anchor HASH]";
	struct opts o;
	if (!opts_parse("verify", usage, argc, argv, "anchor", 1, &o))
		return CS_INVALID;
	if (o.anchor) {
		size_t len = strlen(o.anchor);
		bool hex = len == 64;
		for (size_t i = 0; hex && i < len; i++)
			hex = strchr("0123456789abcdef", o.anchor[i]) != NULL;
		if (!hex) {
			cli_error("verify", "--anchor \"%s\" is not a SHA-256 hash: give a head as verify printed it "
				"(64 lowercase hex digits)", o.anchor);
			return CS_INVALID;
		}
	}
	struct session s;
	int rc = cli_session_open_read(&s, g, "verify");
	if (rc != CS_OK)
		return rc;
	struct store_verify_result res = {0};
	rc = session_verify(&s, o.n_pos ? o.pos[0] : NULL, o.anchor, &res);
	if (rc == CS_INVALID) {
		cli_error("verify", "no run \"%s\"; 'countersign runs --all' lists them", o.pos[0]);
	} else if (rc != CS_OK) {
		cli_error("verify", "cannot read the record: %s", session_store_error(&s));
		rc = CS_ENV;
	} else if (!res.ok) {
		const char *why = res.why ? res.why : "does not verify";
		/* name the event once: some reasons start with it already */
		if (res.bad_seq && strncmp(why, "event ", 6) != 0)
			cli_error("verify", "%s: event %lld: %s", res.chain ? res.chain : "?", (long long)res.bad_seq, why);
		else if (res.chain)
			cli_error("verify", "%s: %s", res.chain, why);
		else /* not one chain's failure (the schema) */
			cli_error("verify", "%s", why);
		rc = CS_REFUSED;
	} else {
		printf("ok: %lld events, head %s\n", (long long)res.events, cli_safe(res.head));
		rc = CS_OK;
	}
	store_verify_result_clear(&res);
	session_close(&s);
	return rc;
}
