#include "cli/cli_text.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "countersign/sanitize.h"
#include "countersign/utf8.h"

/* The longest escape sequence or character kept back between two pieces of
 * a stream; an unterminated string beyond it is settled as it stands. */
#define STREAM_CARRY_MAX 4096

/* The copies cli_safe hands out: printing code stays one printf a line. */
static struct strvec pool;

unsigned cli_text_flags(void)
{
	static int ascii = -1;
	if (ascii < 0) {
		const char *codeset = nl_langinfo(CODESET);
		ascii = !(codeset && strcmp(codeset, "UTF-8") == 0);
	}
	return ascii ? SANITIZE_ASCII : 0;
}

static const char *keep(char *copy)
{
	strvec_push_owned(&pool, copy);
	return copy;
}

const char *cli_safe(const char *s)
{
	s = s ? s : "";
	return keep(sanitize_text(s, strlen(s), cli_text_flags()));
}

const char *cli_safe_lines(const char *s)
{
	s = s ? s : "";
	return keep(sanitize_text(s, strlen(s), cli_text_flags() | SANITIZE_MULTILINE));
}

void cli_text_release(void)
{
	strvec_clear(&pool);
}

void cli_put_json(const char *text)
{
	if (!isatty(STDOUT_FILENO)) {
		/* exact, but for bytes that are not UTF-8 (the record takes a
		 * title as it was typed): JSON text cannot hold them */
		char *valid = utf8_repair(text, strlen(text), false);
		puts(valid);
		free(valid);
		return;
	}
	char *clean = sanitize_text(text, strlen(text), cli_text_flags() | SANITIZE_MULTILINE);
	puts(clean);
	free(clean);
}

void cli_stream_init(struct cli_stream *st, FILE *out)
{
	memset(st, 0, sizeof(*st));
	st->out = out;
	st->sanitise = isatty(fileno(out));
}

static void stream_flush(struct cli_stream *st, bool final)
{
	struct strbuf clean = {0};
	unsigned flags = cli_text_flags() | SANITIZE_MULTILINE;
	size_t used = sanitize_append(&clean, st->carry.data, st->carry.len, flags,
		final || st->carry.len > STREAM_CARRY_MAX);
	if (clean.len)
		fwrite(clean.data, 1, clean.len, st->out);
	strbuf_release(&clean);
	memmove(st->carry.data, st->carry.data + used, st->carry.len - used);
	st->carry.len -= used;
	st->carry.data[st->carry.len] = '\0';
}

void cli_stream_write(struct cli_stream *st, const char *data, size_t len)
{
	if (!st->sanitise) {
		fwrite(data, 1, len, st->out);
		fflush(st->out);
		return;
	}
	strbuf_add(&st->carry, data, len);
	stream_flush(st, false);
	fflush(st->out);
}

void cli_stream_end(struct cli_stream *st)
{
	if (st->carry.len)
		stream_flush(st, true);
	fflush(st->out);
	strbuf_release(&st->carry);
}

FILE *cli_capture_begin(struct cli_capture *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->data, &c->len);
	if (!c->f) {
		fputs("countersign: out of memory\n", stderr);
		abort();
	}
	return c->f;
}

void cli_capture_end(struct cli_capture *c, FILE *to)
{
	fclose(c->f);
	char *clean = sanitize_text(c->data, c->len, cli_text_flags() | SANITIZE_MULTILINE);
	fputs(clean, to);
	free(clean);
	free(c->data);
	memset(c, 0, sizeof(*c));
}
