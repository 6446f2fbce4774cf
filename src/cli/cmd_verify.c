/* countersign verify [RUN] [--anchor HASH] [--checkpoint FILE|-] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opts.h"
#include "cli/cli_session.h"
#include "cli/cli_text.h"
#include "countersign/event.h"
#include "countersign/util.h"

/* A checkpoint is a few lines per open run: anything larger is a mistake. */
#define CHECKPOINT_FILE_MAX (16 << 20)

/* Reads the checkpoint in PATH (- is standard input) into a malloc'd
 * buffer; NULL after a message. */
static char *read_checkpoint(const char *path, size_t *len)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	if (!f) {
		cli_error("verify", "cannot read the checkpoint %s: %s", path, strerror(errno));
		return NULL;
	}
	struct strbuf sb = {0};
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0 && sb.len <= CHECKPOINT_FILE_MAX)
		strbuf_add(&sb, chunk, got);
	int e = errno;
	bool failed = ferror(f);
	if (!is_stdin)
		fclose(f);
	if (failed || sb.len > CHECKPOINT_FILE_MAX) {
		cli_error("verify", "cannot read the checkpoint %s: %s", is_stdin ? "on standard input" : path,
			failed ? strerror(e ? e : EIO) : "it is far larger than a checkpoint");
		strbuf_release(&sb);
		return NULL;
	}
	*len = sb.len;
	return sb.data ? strbuf_detach(&sb) : xstrdup("");
}

static bool is_hash(const char *s)
{
	size_t len = strlen(s);
	bool hex = len == EVENT_HASH_HEX - 1;
	for (size_t i = 0; hex && i < len; i++)
		hex = strchr("0123456789abcdef", s[i]) != NULL;
	return hex;
}

/* The verdict of RES: the ok line (and how many events of each chain were
 * recorded before signatures) or the first failure. Returns an exit code. */
static int print_verdict(const struct store_verify_result *res, bool checkpoint)
{
	if (!res->ok) {
		const char *why = res->why ? res->why : "does not verify";
		/* name the event once: some reasons start with it already */
		if (res->bad_seq && strncmp(why, "event ", 6) != 0)
			cli_error("verify", "%s: event %lld: %s", res->chain ? res->chain : "?", (long long)res->bad_seq, why);
		else if (res->chain)
			cli_error("verify", "%s: %s", res->chain, why);
		else /* not one chain's failure (the schema, the checkpoint) */
			cli_error("verify", "%s", why);
		return CS_REFUSED;
	}
	printf("ok: %lld events, head %s%s\n", (long long)res->events, cli_safe(res->head),
		checkpoint ? "; every chain of the checkpoint is still there, as it was or extended" : "");
	for (size_t i = 0; i < res->n_chains; i++) {
		const struct store_verify_chain *c = &res->chains[i];
		if (!c->unsigned_events)
			continue;
		bool run = strcmp(c->chain, EVENT_CHAIN_ENGINEERS) != 0 && strcmp(c->chain, EVENT_CHAIN_REGISTRY) != 0;
		printf("%s%s%s: %lld of %lld events unsigned (recorded before signatures)\n", run ? "run " : "the ",
			cli_safe(c->chain), run ? "" : " chain", (long long)c->unsigned_events, (long long)c->events);
	}
	/* an ok with a remark: a record that predates signatures, read as it is */
	if (res->why)
		printf("note: %s\n", cli_safe(res->why));
	return CS_OK;
}

int cmd_verify(const struct cli_global *g, int argc, char **argv)
{
	const char *usage = "countersign verify [RUN] [--anchor HASH] [--checkpoint FILE|-]";
	struct opts o;
	if (!opts_parse("verify", usage, argc, argv, "anchor checkpoint", 1, &o))
		return CS_INVALID;
	if (o.anchor && !is_hash(o.anchor)) {
		cli_error("verify", "--anchor \"%s\" is not a SHA-256 hash: give a head as verify printed it "
			"(64 lowercase hex digits)", o.anchor);
		return CS_INVALID;
	}
	if (o.checkpoint && (o.n_pos || o.anchor)) {
		cli_error("verify", "--checkpoint verifies the whole record: give it without RUN or --anchor");
		return CS_INVALID;
	}
	size_t len = 0;
	char *text = o.checkpoint ? read_checkpoint(o.checkpoint, &len) : NULL;
	if (o.checkpoint && !text)
		return CS_ENV;
	struct session s;
	int rc = cli_session_open_read(&s, g, "verify");
	struct store_verify_result res = {0};
	if (rc == CS_OK && text)
		rc = session_verify_checkpoint(&s, text, len, &res);
	else if (rc == CS_OK)
		rc = session_verify(&s, o.n_pos ? o.pos[0] : NULL, o.anchor, &res);
	if (rc == CS_INVALID && !text) {
		cli_error("verify", "no run \"%s\"; 'countersign runs --all' lists them", o.n_pos ? o.pos[0] : "");
	} else if (rc == CS_INVALID) {
		/* session_verify_checkpoint said why it is not a checkpoint */
	} else if (rc == CS_OK) {
		rc = print_verdict(&res, text != NULL);
	} else if (s.st) {
		cli_error("verify", "cannot read the record: %s", session_store_error(&s));
		rc = CS_ENV;
	}
	free(text);
	store_verify_result_clear(&res);
	session_close(&s);
	return rc;
}
