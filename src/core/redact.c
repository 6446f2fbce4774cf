/* The one secret redactor (countersign/redact.h). */
#include "countersign/redact.h"

#include <assert.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct secret {
	char *value;
	size_t len;
};

struct redactor {
	struct secret *secrets;
	size_t n;
	bool first_byte[256]; /* bytes a secret can start with: most bytes are skipped at once */
};

static void add(struct strbuf *sb, const char *data, size_t len)
{
	if (len > 0)
		strbuf_add(sb, data, len);
}

/* Appends to a buffer that holds unredacted bytes: a buffer outgrown is
 * wiped before it is freed, so that no secret is left in freed memory. */
static void add_wiped(struct strbuf *sb, const char *data, size_t len)
{
	if (len == 0)
		return;
	if (sb->len + len + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 64;
		while (cap < sb->len + len + 1)
			cap *= 2;
		char *grown = xmalloc(cap);
		if (sb->data) {
			memcpy(grown, sb->data, sb->len);
			sodium_memzero(sb->data, sb->cap);
			free(sb->data);
		}
		sb->data = grown;
		sb->cap = cap;
	}
	memcpy(sb->data + sb->len, data, len);
	sb->len += len;
	sb->data[sb->len] = '\0';
}

static void release_wiped(struct strbuf *sb)
{
	if (sb->data)
		sodium_memzero(sb->data, sb->cap);
	strbuf_release(sb);
}

struct redactor *redactor_create(const char *const *secrets)
{
	size_t n = 0;
	while (secrets && secrets[n])
		n++;
	struct redactor *r = xcalloc(1, sizeof(*r));
	r->secrets = xcalloc(n ? n : 1, sizeof(*r->secrets));
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(secrets[i]);
		if (len == 0)
			continue; /* an empty secret would match everywhere */
		r->secrets[r->n++] = (struct secret){xstrndup(secrets[i], len), len};
		r->first_byte[(unsigned char)secrets[i][0]] = true;
	}
	return r;
}

struct redactor *redactor_copy(const struct redactor *r)
{
	if (!r)
		return NULL;
	struct redactor *c = xcalloc(1, sizeof(*c));
	c->secrets = xcalloc(r->n ? r->n : 1, sizeof(*c->secrets));
	for (size_t i = 0; i < r->n; i++)
		c->secrets[i] = (struct secret){xstrndup(r->secrets[i].value, r->secrets[i].len), r->secrets[i].len};
	c->n = r->n;
	memcpy(c->first_byte, r->first_byte, sizeof(c->first_byte));
	return c;
}

void redactor_destroy(struct redactor *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		sodium_memzero(r->secrets[i].value, r->secrets[i].len);
		free(r->secrets[i].value);
	}
	free(r->secrets);
	free(r);
}

bool redactor_is_empty(const struct redactor *r)
{
	return !r || r->n == 0;
}

/* The length of the longest secret at P (AVAIL bytes), 0 for none; *UNDECIDED
 * when, unless FINAL, a secret longer than AVAIL begins there: the bytes
 * that follow decide it. */
static size_t longest_at(const struct redactor *r, const char *p, size_t avail, bool final, bool *undecided)
{
	size_t best = 0;
	*undecided = false;
	for (size_t k = 0; k < r->n; k++) {
		const struct secret *s = &r->secrets[k];
		if (s->len <= avail) {
			if (s->len > best && memcmp(p, s->value, s->len) == 0)
				best = s->len;
		} else if (!final && memcmp(p, s->value, avail) == 0) {
			*undecided = true;
		}
	}
	return best;
}

/* Bytes [LO, HI) of W are shown: plain bytes outside are left out, and a
 * mask only where its span reaches into the window. */
struct window {
	size_t lo, hi;
};

static void add_plain(struct strbuf *out, const char *w, size_t from, size_t to, struct window win)
{
	from = from > win.lo ? from : win.lo;
	to = to < win.hi ? to : win.hi;
	if (to > from)
		add(out, w + from, to - from);
}

/* Appends W[0..N) to OUT with the secrets masked. A mask is written when
 * its span closes, once no occurrence that starts inside it can extend it.
 * *MASKED is how many bytes at the start of W lie in a span still open, and
 * on return how many of the bytes not used do. Returns how many bytes were
 * used: unless FINAL, it stops where a secret may begin but W ends before
 * it is decided. */
static size_t scan(const struct redactor *r, struct strbuf *out, const char *w, size_t n, bool final,
	size_t *masked, struct window win)
{
	size_t i = 0, start = 0, end = *masked; /* the open span; plain bytes from END */
	bool open = end > 0;
	assert(end <= n);
	for (; i < n && (open || i < win.hi); i++) {
		if (open && i >= end) {
			if (start < win.hi && end > win.lo)
				add(out, REDACT_MASK, strlen(REDACT_MASK));
			open = false;
		}
		if (!r->first_byte[(unsigned char)w[i]])
			continue;
		bool undecided;
		size_t len = longest_at(r, w + i, n - i, final, &undecided);
		if (undecided)
			break;
		if (len > 0 && !open) {
			add_plain(out, w, end, i, win);
			open = true;
			start = i;
		}
		if (len > 0 && i + len > end)
			end = i + len;
	}
	if (open && i >= end) {
		if (start < win.hi && end > win.lo)
			add(out, REDACT_MASK, strlen(REDACT_MASK));
		open = false;
	}
	if (!open)
		add_plain(out, w, end, i, win);
	*masked = open ? end - i : 0;
	return i;
}

static const struct window everything = {0, SIZE_MAX};

size_t redactor_append(const struct redactor *r, struct strbuf *out, const char *data, size_t len,
	bool final)
{
	if (redactor_is_empty(r)) {
		add(out, data, len);
		return len;
	}
	size_t masked = 0;
	return scan(r, out, data, len, final, &masked, everything);
}

void redactor_excerpt(const struct redactor *r, struct strbuf *out, const char *data, size_t len,
	size_t from, size_t n)
{
	if (from >= len)
		return;
	struct window win = {from, n < len - from ? from + n : len};
	if (redactor_is_empty(r)) {
		add(out, data + win.lo, win.hi - win.lo);
		return;
	}
	size_t masked = 0;
	scan(r, out, data, len, true, &masked, win);
}

char *redactor_text(const struct redactor *r, const char *text)
{
	if (!text)
		return NULL;
	struct strbuf sb = {0};
	redactor_append(r, &sb, text, strlen(text), true);
	return strbuf_detach(&sb);
}

char *redact_string(const char *text, const char *const *secrets)
{
	struct redactor *r = redactor_create(secrets);
	char *out = redactor_text(r, text);
	redactor_destroy(r);
	return out;
}

void redactor_stream_init(struct redactor_stream *st, const struct redactor *r)
{
	memset(st, 0, sizeof(*st));
	st->r = r;
}

void redactor_stream_feed(struct redactor_stream *st, struct strbuf *out, const char *data, size_t len,
	bool final)
{
	if (redactor_is_empty(st->r)) {
		add(out, data, len);
		return;
	}
	const char *w = data;
	size_t n = len;
	if (st->carry.len > 0) {
		st->work.len = 0;
		add_wiped(&st->work, st->carry.data, st->carry.len);
		add_wiped(&st->work, data, len);
		w = st->work.data;
		n = st->work.len;
	}
	size_t used = scan(st->r, out, w, n, final, &st->masked, everything);
	/* W may be the work buffer; the carry is a separate one. */
	if (st->carry.data)
		sodium_memzero(st->carry.data, st->carry.len);
	st->carry.len = 0;
	add_wiped(&st->carry, w + used, n - used);
	if (st->work.data)
		sodium_memzero(st->work.data, st->work.len);
}

void redactor_stream_release(struct redactor_stream *st)
{
	if (!st)
		return;
	release_wiped(&st->carry);
	release_wiped(&st->work);
	memset(st, 0, sizeof(*st));
}
