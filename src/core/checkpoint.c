#include "countersign/checkpoint.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "countersign/clock.h"
#include "countersign/util.h"

#define CHECKPOINT_HEADER "countersign checkpoint v1"
#define CHECKPOINT_SUM "\xe2\x80\x94 sha256 " /* an em dash, U+2014, in UTF-8 */

void checkpoint_clear(struct checkpoint *cp)
{
	if (!cp)
		return;
	free(cp->host);
	for (size_t i = 0; i < cp->n_chains; i++)
		free(cp->chains[i].name);
	free(cp->chains);
	memset(cp, 0, sizeof(*cp));
}

void checkpoint_add(struct checkpoint *cp, const char *name, int64_t events, const char *head)
{
	assert(cp && name && head);
	cp->chains = xreallocarray(cp->chains, cp->n_chains + 1, sizeof(*cp->chains));
	struct checkpoint_chain *c = &cp->chains[cp->n_chains++];
	c->name = xstrdup(name);
	c->events = events;
	snprintf(c->head, sizeof(c->head), "%s", head);
}

/* A word of a line: printable ASCII other than a space, at least one. */
static bool is_word(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* Exactly LEN lowercase hex digits. */
static bool is_hex(const char *s, size_t want)
{
	if (strlen(s) != want)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* The chain line's name: the two shared chains by their own keyword, a run
 * as "run ID". */
static bool chain_is_shared(const char *name)
{
	return strcmp(name, "registry") == 0 || strcmp(name, "engineers") == 0;
}

char *checkpoint_format(const struct checkpoint *cp)
{
	assert(cp && cp->host && is_word(cp->host, strlen(cp->host)) && is_hex(cp->record, 32));
	struct strbuf sb = {0};
	char when[32];
	clock_format_iso(cp->time_us, 0, when, sizeof(when));
	strbuf_addf(&sb, CHECKPOINT_HEADER "\norigin %s record %s\ntime %s\n", cp->host, cp->record, when);
	for (size_t i = 0; i < cp->n_chains; i++) {
		const struct checkpoint_chain *c = &cp->chains[i];
		assert(c->events >= 1 && is_word(c->name, strlen(c->name)) && is_hex(c->head, 64));
		strbuf_addf(&sb, "%s%s %lld %s\n", chain_is_shared(c->name) ? "" : "run ", c->name,
			(long long)c->events, c->head);
	}
	char sum[EVENT_HASH_HEX];
	event_sha256_hex(sb.data, sb.len, sum);
	strbuf_addf(&sb, "\n" CHECKPOINT_SUM "%s\n", sum);
	return strbuf_detach(&sb);
}

/* --- parsing --- */

#define MAX_WORDS 5

/* Splits LINE (modified) at single spaces into at most MAX_WORDS words;
 * returns their number, or 0 when a word is empty, holds a control or
 * non-ASCII byte, or there are more. */
static size_t split_words(char *line, char *words[MAX_WORDS])
{
	size_t n = 0;
	for (char *p = line;;) {
		char *sp = strchr(p, ' ');
		if (sp)
			*sp = '\0';
		if (n == MAX_WORDS || !is_word(p, strlen(p)))
			return 0;
		words[n++] = p;
		if (!sp)
			return n;
		p = sp + 1;
	}
}

/* A count of events: decimal without sign or leading zero, at least 1. */
static bool parse_count(const char *s, int64_t *out)
{
	if (s[0] < '1' || s[0] > '9' || strlen(s) > 18)
		return false;
	int64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

/* The number the DIGITS characters at S spell (all decimal digits), or -1. */
static int digits_at(const char *s, int digits)
{
	int v = 0;
	for (int i = 0; i < digits; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "2026-11-30T22:41:07Z", exactly as checkpoint_format writes it. */
static bool parse_time(const char *s, int64_t *out)
{
	if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
			s[19] != 'Z')
		return false;
	struct tm tm = {
		.tm_year = digits_at(s, 4) - 1900, .tm_mon = digits_at(s + 5, 2) - 1, .tm_mday = digits_at(s + 8, 2),
		.tm_hour = digits_at(s + 11, 2), .tm_min = digits_at(s + 14, 2), .tm_sec = digits_at(s + 17, 2),
	};
	time_t t = timegm(&tm);
	if (t == (time_t)-1 || t < 0)
		return false;
	/* timegm moves 2026-02-30 to March and takes -1 fields: only the
	 * spelling of a real second passes the round trip */
	char again[32];
	clock_format_iso((int64_t)t * 1000000, 0, again, sizeof(again));
	if (strcmp(again, s) != 0)
		return false;
	*out = (int64_t)t * 1000000;
	return true;
}

static bool has_chain(const struct checkpoint *cp, const char *name)
{
	for (size_t i = 0; i < cp->n_chains; i++)
		if (strcmp(cp->chains[i].name, name) == 0)
			return true;
	return false;
}

/* Parses line number NO (1-based), WORDS of it, into CP; a malloc'd reason
 * when it is not the line that belongs there. */
static char *parse_line(size_t no, char **w, size_t n, struct checkpoint *cp)
{
	if (no == 1)
		return n == 3 && strcmp(w[0], "countersign") == 0 && strcmp(w[1], "checkpoint") == 0 &&
				strcmp(w[2], "v1") == 0 ? NULL
			: xstrdup("line 1 is not \"" CHECKPOINT_HEADER "\": not a checkpoint, or of a later version");
	if (no == 2) {
		if (n != 4 || strcmp(w[0], "origin") != 0 || strcmp(w[2], "record") != 0)
			return xstrdup("line 2 is not \"origin HOST record ID\"");
		if (!is_hex(w[3], CHECKPOINT_RECORD_HEX - 1))
			return xstrdup("line 2: the record id is not 32 lowercase hex digits");
		cp->host = xstrdup(w[1]);
		memcpy(cp->record, w[3], CHECKPOINT_RECORD_HEX);
		return NULL;
	}
	if (no == 3) {
		if (n != 2 || strcmp(w[0], "time") != 0 || !parse_time(w[1], &cp->time_us))
			return xstrdup("line 3 is not \"time YYYY-MM-DDTHH:MM:SSZ\"");
		return NULL;
	}
	bool run = n == 4 && strcmp(w[0], "run") == 0;
	bool shared = n == 3 && chain_is_shared(w[0]);
	if (!run && !shared)
		return xasprintf("line %zu is not \"registry N HEAD\", \"engineers N HEAD\" or \"run ID N HEAD\"", no);
	const char *name = run ? w[1] : w[0];
	int64_t events;
	if (run && chain_is_shared(name))
		return xasprintf("line %zu: \"%s\" is not a run id", no, name);
	if (!parse_count(w[n - 2], &events))
		return xasprintf("line %zu: the number of events is not a whole number of at least 1", no);
	if (!is_hex(w[n - 1], EVENT_HASH_HEX - 1))
		return xasprintf("line %zu: the head is not 64 lowercase hex digits", no);
	if (has_chain(cp, name))
		return xasprintf("line %zu: chain %s is named twice", no, name);
	checkpoint_add(cp, name, events, w[n - 1]);
	return NULL;
}

/* Parses BODY (the text the checksum covers, each line ended by '\n'). */
static char *parse_body(const char *body, size_t len, struct checkpoint *cp)
{
	char *copy = xstrndup(body, len), *reason = NULL;
	size_t no = 0;
	for (char *line = copy; *line && !reason;) {
		char *nl = strchr(line, '\n');
		assert(nl); /* the body ends with a newline */
		*nl = '\0';
		char *w[MAX_WORDS];
		size_t n = split_words(line, w);
		no++;
		reason = n ? parse_line(no, w, n, cp) : xasprintf("line %zu is malformed (empty, doubled spaces, "
			"or a control or non-ASCII character)", no);
		line = nl + 1;
	}
	if (!reason && no < 4)
		reason = xstrdup("the checkpoint names no chain");
	free(copy);
	return reason;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool checkpoint_parse(const char *text, size_t len, struct checkpoint *out, char **why)
{
	assert(text && out && why);
	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (memchr(text, '\0', len)) {
		*why = xstrdup("the checkpoint holds a NUL byte");
		return false;
	}
	size_t start = 0, end = len;
	while (start < end && is_blank(text[start]))
		start++;
	while (end > start && is_blank(text[end - 1]))
		end--;
	/* A file a notify entry appends to holds one checkpoint per completed
	 * run: say so rather than report the first one's lines as a change. */
	size_t headers = 0;
	for (size_t i = start; i + strlen(CHECKPOINT_HEADER) < end; i++)
		if ((i == start || text[i - 1] == '\n') && memcmp(text + i, CHECKPOINT_HEADER "\n",
				strlen(CHECKPOINT_HEADER) + 1) == 0)
			headers++;
	if (headers > 1) {
		*why = xasprintf("the text holds %zu checkpoints, not one: give one of them (the last is the latest)",
			headers);
		return false;
	}
	/* the checksum line follows the last empty line */
	const char *base = text + start, *gap = NULL;
	for (const char *p = base; p + 1 < text + end; p++)
		if (p[0] == '\n' && p[1] == '\n')
			gap = p;
	size_t sum_len = strlen(CHECKPOINT_SUM);
	const char *sum = gap ? gap + 2 : NULL;
	if (!sum || (size_t)(text + end - sum) != sum_len + 64 || memcmp(sum, CHECKPOINT_SUM, sum_len) != 0) {
		*why = xstrdup("the checkpoint does not end with an empty line and its "
			"\"\xe2\x80\x94 sha256 HEX\" line");
		return false;
	}
	char want[EVENT_HASH_HEX], got[EVENT_HASH_HEX];
	memcpy(got, sum + sum_len, 64);
	got[64] = '\0';
	event_sha256_hex(base, (size_t)(gap + 1 - base), want);
	if (!is_hex(got, 64) || sodium_memcmp(want, got, 64) != 0) {
		*why = xstrdup("the checkpoint was changed or damaged: its checksum does not match");
		return false;
	}
	*why = parse_body(base, (size_t)(gap + 1 - base), out);
	if (*why) {
		checkpoint_clear(out);
		return false;
	}
	return true;
}

/* Whether a line starting at TEXT + I (within LEN) is the header line. */
static bool header_at(const char *text, size_t len, size_t i)
{
	size_t h = strlen(CHECKPOINT_HEADER);
	return (i == 0 || text[i - 1] == '\n') && len - i >= h + 1 && memcmp(text + i, CHECKPOINT_HEADER "\n", h + 1) == 0;
}

static bool parse_all(const char *text, size_t len, struct checkpoint **out, size_t *n, char **why);

/* TEXT with each CRLF made LF (a copy that passed through a mail client or
 * a Windows editor), malloc'd, its length in *LEN. */
static char *without_crlf(const char *text, size_t *len)
{
	char *copy = xmalloc(*len + 1);
	size_t k = 0;
	for (size_t i = 0; i < *len; i++)
		if (!(text[i] == '\r' && i + 1 < *len && text[i + 1] == '\n'))
			copy[k++] = text[i];
	copy[k] = '\0';
	*len = k;
	return copy;
}

bool checkpoint_parse_all(const char *text, size_t len, struct checkpoint **out, size_t *n, char **why)
{
	assert(text && out && n && why);
	char *plain = without_crlf(text, &len);
	bool ok = parse_all(plain, len, out, n, why);
	free(plain);
	return ok;
}

static bool parse_all(const char *text, size_t len, struct checkpoint **out, size_t *n, char **why)
{
	*out = NULL;
	*n = 0;
	*why = NULL;
	size_t *starts = NULL, count = 0;
	for (size_t i = 0; i < len; i++)
		if (header_at(text, len, i)) {
			starts = xreallocarray(starts, count + 1, sizeof(*starts));
			starts[count++] = i;
		}
	if (count == 0) {
		/* checkpoint_parse says what is wrong with it */
		starts = xmalloc(sizeof(*starts));
		starts[count++] = 0;
	}
	struct checkpoint *cps = xcalloc(count, sizeof(*cps));
	bool ok = true;
	for (size_t k = 0; k < count && ok; k++) {
		/* what comes before the first header belongs to it, so that
		 * stray text there is refused rather than skipped */
		size_t from = k == 0 ? 0 : starts[k], to = k + 1 < count ? starts[k + 1] : len;
		char *reason = NULL;
		ok = checkpoint_parse(text + from, to - from, &cps[k], &reason);
		if (!ok && count > 1) {
			size_t line = 1;
			for (size_t i = 0; i < from; i++)
				line += text[i] == '\n';
			*why = xasprintf("checkpoint %zu of %zu (line %zu): %s", k + 1, count, line, reason);
			free(reason);
		} else if (!ok) {
			*why = reason;
		}
	}
	free(starts);
	if (!ok) {
		for (size_t k = 0; k < count; k++)
			checkpoint_clear(&cps[k]);
		free(cps);
		return false;
	}
	*out = cps;
	*n = count;
	return true;
}
