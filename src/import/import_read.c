/* The Markdown read with md4c (GitHub's dialect) into a flat list of blocks,
 * each with its input line. md4c gives no positions, so lines come from the
 * text callbacks' pointers into the input (import_line_at) and, for a
 * checkbox, from the offset of its mark. Nesting is kept on a fixed-size
 * stack: lists and quotes deeper than IMPORT_MAX_NESTING are left out with a
 * message, so nothing here grows with the input's nesting. */
#include <assert.h>
#include <md4c.h>
#include <stdlib.h>
#include <string.h>

#include "import_internal.h"

void import_lines_init(struct import_lines *li, const char *text, size_t len)
{
	memset(li, 0, sizeof(*li));
	li->text = text;
	li->len = len;
	size_t cap = 0;
	for (const char *p = text; (p = memchr(p, '\n', len - (size_t)(p - text))); p++) {
		if (li->n_nl == cap) {
			cap = cap ? cap * 2 : 256;
			li->nl = xreallocarray(li->nl, cap, sizeof(*li->nl));
		}
		li->nl[li->n_nl++] = (size_t)(p - text);
		if ((size_t)(p - text) + 1 >= len)
			break;
	}
}

void import_lines_free(struct import_lines *li)
{
	free(li->nl);
	li->nl = NULL;
}

int import_line_of(const struct import_lines *li, size_t off)
{
	size_t lo = 0, hi = li->n_nl;  /* count the newlines before OFF */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (li->nl[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int)lo + 1;
}

int import_line_at(const struct import_lines *li, const char *p)
{
	if (!p || p < li->text || p >= li->text + li->len)
		return 0;
	return import_line_of(li, (size_t)(p - li->text));
}

void import_doc_free(struct import_doc *doc)
{
	for (size_t i = 0; i < doc->n; i++) {
		struct import_block *b = &doc->b[i];
		free(b->text);
		free(b->bold);
		free(b->rest);
		free(b->code);
		free(b->info);
		free(b->alert);
		strvec_clear(&b->cells);
		strvec_clear(&b->head);
	}
	free(doc->b);
	memset(doc, 0, sizeof(*doc));
}

#define MAX_FRAMES (IMPORT_MAX_NESTING * 3 + 16)

struct frame {
	MD_BLOCKTYPE type;
	int blk;          /* the block this frame fills, or -1 */
};

struct walk {
	const struct import_lines *li;
	struct import_doc *doc;
	struct import_msgs *ms;
	struct frame f[MAX_FRAMES];
	size_t depth;
	int containers;   /* lists and quotes open */
	size_t ignored;   /* blocks entered beyond the nesting limit, not yet left */
	size_t lost_tasks;
	bool deep_placed;  /* too_deep_line is the line of the first text left out */
	int quote;        /* the open outermost quote's block, or -1 */
	int target;       /* the block receiving text, or -1 */
	struct strbuf buf;
	size_t bold_start, bold_end;
	bool bold_open;
	bool code_start;   /* a code span just opened: its first text places it */
	const char *last;  /* the end of the last text seen in the input */
	const char *code_end;
	const char *code_from;  /* the end of the text before the open code block */
	struct strvec row, head;
	bool in_head;
	struct strbuf cell;
	bool in_cell;
	int row_line;
	bool in_html;       /* in an HTML block: its raw text goes to HTML */
	struct strbuf html;
	int html_line;
	bool in_comment;    /* in an inline <!-- comment --> */
	size_t base;        /* where md4c's input starts: past the front matter */
};

static int add_block(struct walk *w, enum import_block_kind kind, int line)
{
	struct import_doc *d = w->doc;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->b = xreallocarray(d->b, d->cap, sizeof(*d->b));
	}
	struct import_block *b = &d->b[d->n];
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->line = line;
	b->owner = -1;
	for (size_t i = w->depth; i-- > 0;)
		if (w->f[i].type == MD_BLOCK_LI && w->f[i].blk >= 0) {
			b->owner = w->f[i].blk;
			break;
		}
	return (int)d->n++;
}

static int cursor_line(const struct walk *w)
{
	return w->last ? import_line_at(w->li, w->last - 1) : 1;
}

/* Stores the text gathered for list item B: its **bold** lead, the rest, and
 * the code when the whole text is one code span. */
static void finish_item(struct walk *w, int blk)
{
	struct import_block *b = &w->doc->b[blk];
	char *text = strbuf_detach(&w->buf);
	if (w->bold_open || w->bold_end > w->bold_start) {
		size_t end = w->bold_open ? strlen(text) : w->bold_end;
		b->bold = import_trim(xstrndup(text + w->bold_start, end - w->bold_start));
		b->rest = import_trim(xstrdup(text + end));
		/* "**Take** a backup": emphasis inside a sentence, which goes on in
		 * lower case; the whole text is the title */
		bool sentence = b->rest[0] >= 'a' && b->rest[0] <= 'z';
		/* "**Freeze deploys**: no merges" or "**Notify** - in #ops": the
		 * separator is no part of the detail */
		size_t sep = strspn(b->rest, ":-\xe2\x80\x93\x94");
		if (sep && (!b->rest[sep] || b->rest[sep] == ' ') && strncmp(b->rest, "--", 2) != 0)
			memmove(b->rest, b->rest + sep, strlen(b->rest + sep) + 1), import_trim(b->rest);
		if (!*b->bold || sentence) {
			free(b->bold);
			free(b->rest);
			b->bold = b->rest = NULL;
		}
	}
	import_trim(text);
	size_t n = strlen(text);
	if (n > 2 && text[0] == '`' && text[n - 1] == '`' && !memchr(text + 1, '`', n - 2))
		b->code = import_trim(xstrndup(text + 1, n - 2));
	b->text = text;
	w->bold_open = false;
	w->bold_start = w->bold_end = 0;
	w->target = -1;
}

static void finish_target(struct walk *w)
{
	if (w->target < 0)
		return;
	struct import_block *b = &w->doc->b[w->target];
	if (b->kind == BLK_ITEM) {
		finish_item(w, w->target);
		return;
	}
	char *text = strbuf_detach(&w->buf);
	if (b->kind != BLK_CODE)
		import_trim(text);
	if (b->kind == BLK_QUOTE) {
		if (b->text && *text) {
			char *both = xasprintf("%s\n%s", b->text, text);  /* a detail a paragraph */
			free(b->text);
			free(text);
			text = both;
		} else if (b->text) {
			free(text);
			text = b->text;
		}
	}
	b->text = text;
	w->target = -1;
}

static void set_target(struct walk *w, int blk)
{
	finish_target(w);
	w->target = blk;
	strbuf_release(&w->buf);
	strbuf_addstr(&w->buf, "");
}

static struct frame *top(struct walk *w)
{
	return w->depth ? &w->f[w->depth - 1] : NULL;
}

static int enter_item(struct walk *w, const MD_BLOCK_LI_DETAIL *d)
{
	int line = 0;
	if (d->is_task)
		line = import_line_of(w->li, w->base + d->task_mark_offset);
	if (w->quote >= 0 && !d->is_task) {
		if (w->target == w->quote)
			strbuf_addstr(&w->buf, "\n- ");  /* a plain bullet in a quote is the quote's text */
		return -1;
	}
	int blk = add_block(w, BLK_ITEM, line);
	struct import_block *b = &w->doc->b[blk];
	b->task = d->is_task;
	b->checked = d->is_task && (d->task_mark == 'x' || d->task_mark == 'X');
	b->level = w->containers;
	set_target(w, blk);
	return blk;
}

/* A code block, with its info string; LEVEL holds the fence character until
 * the block is left, where the fence is checked. */
static int enter_code(struct walk *w, const MD_BLOCK_CODE_DETAIL *cd)
{
	int blk = add_block(w, BLK_CODE, import_line_at(w->li, cd->info.text));
	struct import_block *b = &w->doc->b[blk];
	b->fenced = cd->fence_char != 0;
	b->info = import_trim(xstrndup(cd->info.text ? cd->info.text : "", cd->info.size));
	b->level = cd->fence_char;
	/* the fence's line ends where its info string does */
	w->code_end = import_line_at(w->li, cd->info.text) ? cd->info.text + cd->info.size : NULL;
	w->code_from = w->last;
	set_target(w, blk);
	return blk;
}

static int enter_block(MD_BLOCKTYPE type, void *detail, void *data)
{
	struct walk *w = data;
	bool container = type == MD_BLOCK_UL || type == MD_BLOCK_OL || type == MD_BLOCK_QUOTE;
	if (w->ignored || w->depth == MAX_FRAMES || (container && w->containers == IMPORT_MAX_NESTING)) {
		if (!w->doc->too_deep) {
			w->doc->too_deep = true;
			w->doc->too_deep_line = cursor_line(w);
		}
		if (type == MD_BLOCK_LI && ((MD_BLOCK_LI_DETAIL *)detail)->is_task)
			w->lost_tasks++;
		w->ignored++;
		return 0;
	}
	w->in_comment = false;  /* an inline comment never spans blocks */
	struct frame *parent = top(w);
	/* A list item's own text ends where a block inside it starts. */
	if (parent && parent->type == MD_BLOCK_LI && w->target == parent->blk && parent->blk >= 0 &&
		!(type == MD_BLOCK_P && w->buf.len == 0 && !w->doc->b[parent->blk].text))
		finish_target(w);
	struct frame fr = {type, -1};
	switch (type) {
	case MD_BLOCK_UL:
	case MD_BLOCK_OL:
		w->containers++;
		break;
	case MD_BLOCK_QUOTE:
		w->containers++;
		if (w->quote < 0) {
			finish_target(w);
			w->quote = add_block(w, BLK_QUOTE, 0);
		}
		break;
	case MD_BLOCK_LI:
		fr.blk = enter_item(w, detail);
		break;
	case MD_BLOCK_H:
		if (w->quote >= 0) {
			set_target(w, w->quote);
			break;
		}
		fr.blk = add_block(w, BLK_HEADING, 0);
		w->doc->b[fr.blk].level = (int)((MD_BLOCK_H_DETAIL *)detail)->level;
		set_target(w, fr.blk);
		break;
	case MD_BLOCK_P:
		if (parent && parent->type == MD_BLOCK_LI && parent->blk >= 0 && w->target == parent->blk)
			break;  /* the first paragraph of a loose list item is its text */
		if (w->quote >= 0) {
			set_target(w, w->quote);
			break;
		}
		fr.blk = add_block(w, BLK_PARA, 0);
		set_target(w, fr.blk);
		break;
	case MD_BLOCK_CODE:
		fr.blk = enter_code(w, detail);
		break;
	case MD_BLOCK_HTML:
		if (w->target != w->quote || w->quote < 0)
			finish_target(w);
		w->in_html = true;
		w->html_line = 0;
		strbuf_release(&w->html);
		strbuf_addstr(&w->html, "");
		break;
	case MD_BLOCK_THEAD:
		w->in_head = true;
		break;
	case MD_BLOCK_TR:
		strvec_clear(&w->row);
		w->row_line = 0;
		break;
	case MD_BLOCK_TH:
	case MD_BLOCK_TD:
		finish_target(w);
		strbuf_release(&w->cell);
		strbuf_addstr(&w->cell, "");
		w->in_cell = true;
		break;
	default:
		break;
	}
	w->f[w->depth++] = fr;
	return 0;
}

/* Whether the line after the code that ended at END closes the fence: md4c
 * runs an unclosed fence to the end of its container without saying so. */
static bool fence_closed(const struct walk *w, const char *end, char fence)
{
	const char *p = end, *stop = w->li->text + w->li->len;
	if (!p)
		return true;  /* nothing known to look at */
	while (p < stop && *p != '\n')
		p++;
	if (p >= stop)
		return false;
	p++;
	while (p < stop && (*p == ' ' || *p == '\t' || *p == '>'))
		p++;
	int n = 0;
	while (p < stop && *p == fence)
		p++, n++;
	return n >= 3;
}

/* The first fence line (three FENCE characters after the indentation and
 * quote markers) at or after FROM: an empty block's opening fence, which
 * md4c points at with nothing when it has no info string. */
static const char *find_fence(const struct walk *w, const char *from, char fence)
{
	const char *p = from ? from : w->li->text, *stop = w->li->text + w->li->len;
	while (p > w->li->text && p[-1] != '\n')
		p--;
	while (p < stop) {
		const char *q = p;
		while (q < stop && (*q == ' ' || *q == '\t' || *q == '>'))
			q++;
		if (q + 2 < stop && q[0] == fence && q[1] == fence && q[2] == fence)
			return q;
		p = memchr(p, '\n', (size_t)(stop - p));
		if (!p)
			break;
		p++;
	}
	return NULL;
}

/* Places code block BLK at its fence and says whether the fence was closed. */
static void leave_code(struct walk *w, int blk, const MD_BLOCK_CODE_DETAIL *cd)
{
	struct import_block *b = &w->doc->b[blk];
	if (b->fenced && !import_line_at(w->li, cd ? cd->info.text : NULL)) {
		/* no info string to place the fence: look for it */
		const char *open = find_fence(w, w->code_from, (char)b->level);
		if (open)
			b->line = import_line_at(w->li, open);
		if (!w->code_end)
			w->code_end = open;
	}
	if (b->line == 0)
		b->line = cursor_line(w);
	finish_target(w);
	if (b->fenced)
		b->unclosed = !fence_closed(w, w->code_end ? w->code_end : w->li->text + w->li->len,
			(char)b->level);
	b->level = 0;
}

/* A header row's cells are kept for the rows after it; a body row is a block. */
static void leave_row(struct walk *w)
{
	if (w->in_head) {
		strvec_clear(&w->head);
		for (size_t i = 0; i < w->row.n; i++)
			strvec_push(&w->head, w->row.v[i]);
	} else {
		int blk = add_block(w, BLK_ROW, w->row_line ? w->row_line : cursor_line(w));
		struct import_block *b = &w->doc->b[blk];
		for (size_t i = 0; i < w->row.n; i++)
			strvec_push(&b->cells, w->row.v[i]);
		for (size_t i = 0; i < w->head.n; i++)
			strvec_push(&b->head, w->head.v[i]);
	}
}

/* The first line of TEXT (from input line LINE) that Markdown would read as
 * a heading, a checkbox or a code fence, or 0. */
static int structure_line(const char *text, int line)
{
	for (const char *p = text; *p; line++) {
		while (*p == ' ' || *p == '\t')
			p++;
		bool bullet = (*p == '-' || *p == '*' || *p == '+') && p[1] == ' ';
		const char *q = bullet ? p + 2 : p;
		while (bullet && *q == ' ')
			q++;
		if ((*p == '#' && (p[strspn(p, "#")] == ' ' || p[strspn(p, "#")] == '\n')) ||
				(bullet && q[0] == '[' && strchr(" xX", q[1]) && q[1] && q[2] == ']') ||
				strncmp(p, "```", 3) == 0 || strncmp(p, "~~~", 3) == 0)
			return line;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return 0;
}

/* An HTML block: a comment is left out whole (what an author commented out
 * is never imported, least of all a command); other HTML (<details>,
 * <summary>) is prose, as its text. Either way a heading, checkbox or fence
 * inside it is no part of the checklist, and stderr says so. */
static void leave_html(struct walk *w)
{
	w->in_html = false;
	char *text = strbuf_detach(&w->html);
	int line = w->html_line ? w->html_line : cursor_line(w);
	const char *t = text + strspn(text, " \t\n");
	bool comment = strncmp(t, "<!--", 4) == 0;
	int hidden = structure_line(text, line);
	if (hidden)
		import_msg(w->ms, IMPORT_NOTE, hidden, comment ?
			"a heading, checkbox or code block inside an HTML comment (from line %d) is left out" :
			"a heading, checkbox or code block inside an HTML block (from line %d) is read as its text: "
			"a blank line after the HTML makes it Markdown", line);
	if (comment || !*import_trim(text)) {
		free(text);
		return;
	}
	int blk = w->quote >= 0 ? w->quote : add_block(w, BLK_PARA, line);
	if (blk != w->quote)
		set_target(w, blk);
	else if (w->target != blk)
		set_target(w, blk);
	else
		strbuf_addstr(&w->buf, " ");
	for (char *p = text; *p; p++)
		if (*p == '\n')
			*p = ' ';
	strbuf_addstr(&w->buf, text);
	free(text);
	if (blk != w->quote)
		finish_target(w);
}

static int leave_block(MD_BLOCKTYPE type, void *detail, void *data)
{
	struct walk *w = data;
	if (w->ignored) {
		w->ignored--;
		return 0;
	}
	assert(w->depth > 0);
	struct frame fr = w->f[--w->depth];
	switch (type) {
	case MD_BLOCK_UL:
	case MD_BLOCK_OL:
		w->containers--;
		break;
	case MD_BLOCK_QUOTE:
		w->containers--;
		if (w->quote >= 0) {
			bool outermost = true;
			for (size_t i = 0; i < w->depth; i++)
				outermost &= w->f[i].type != MD_BLOCK_QUOTE;
			if (outermost) {
				if (w->target == w->quote)
					finish_target(w);
				w->quote = -1;
			}
		}
		break;
	case MD_BLOCK_CODE:
		leave_code(w, fr.blk, detail);
		break;
	case MD_BLOCK_HTML:
		leave_html(w);
		break;
	case MD_BLOCK_TH:
	case MD_BLOCK_TD:
		strvec_push_owned(&w->row, import_trim(strbuf_detach(&w->cell)));
		w->in_cell = false;
		break;
	case MD_BLOCK_TR:
		leave_row(w);
		break;
	case MD_BLOCK_THEAD:
		w->in_head = false;
		break;
	case MD_BLOCK_TABLE:
		strvec_clear(&w->head);
		break;
	default:
		break;
	}
	if (fr.blk >= 0 && w->target == fr.blk)
		finish_target(w);
	if (fr.blk >= 0 && w->doc->b[fr.blk].line == 0)
		w->doc->b[fr.blk].line = cursor_line(w);
	return 0;
}

static int enter_span(MD_SPANTYPE type, void *detail, void *data)
{
	(void)detail;
	struct walk *w = data;
	if (w->ignored)
		return 0;
	struct strbuf *sb = w->in_cell ? &w->cell : &w->buf;
	if (type == MD_SPAN_CODE) {
		strbuf_addstr(sb, "`");
		w->code_start = true;
	} else if (type == MD_SPAN_STRONG && w->target >= 0 && !w->in_cell &&
		w->doc->b[w->target].kind == BLK_ITEM && !w->bold_open && w->bold_end == 0) {
		size_t i = 0;
		while (i < w->buf.len && w->buf.data[i] == ' ')
			i++;
		if (i == w->buf.len) {
			w->bold_open = true;
			w->bold_start = w->buf.len;
		}
	}
	return 0;
}

static int leave_span(MD_SPANTYPE type, void *detail, void *data)
{
	(void)detail;
	struct walk *w = data;
	if (w->ignored)
		return 0;
	struct strbuf *sb = w->in_cell ? &w->cell : &w->buf;
	if (type == MD_SPAN_CODE)
		strbuf_addstr(sb, "`");
	else if (type == MD_SPAN_STRONG && w->bold_open && !w->in_cell) {
		w->bold_open = false;
		w->bold_end = w->buf.len;
	}
	return 0;
}

static const char *entity(const char *s, size_t n)
{
	static const char *const map[][2] = {
		{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", " "},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i][0]) == n && memcmp(map[i][0], s, n) == 0)
			return map[i][1];
	return NULL;
}

static int on_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *data)
{
	struct walk *w = data;
	int line = import_line_at(w->li, text);
	if (w->ignored) {
		if (line && !w->deep_placed) {
			w->doc->too_deep_line = line;
			w->deep_placed = true;
		}
		return 0;
	}
	if (line) {
		w->last = text + size;
		/* an item's text wraps: its command may be on a later line than
		 * its checkbox, and a warning about it belongs there */
		if (w->code_start && type == MD_TEXT_CODE && w->target >= 0 && !w->in_cell &&
			w->doc->b[w->target].kind == BLK_ITEM)
			w->doc->b[w->target].code_line = line;
		w->code_start = false;
		if (w->in_cell && !w->row_line)
			w->row_line = line;
		if (w->target >= 0 && !w->in_cell && w->doc->b[w->target].line == 0)
			w->doc->b[w->target].line = line;
		if (w->target >= 0 && w->doc->b[w->target].kind == BLK_CODE) {
			w->code_end = text + size;
			if (!w->doc->b[w->target].content_line) {
				/* blank lines before it came as newlines that point nowhere
				 * in the text: the code starts that many lines earlier */
				int blank = 0;
				for (size_t i = 0; i < w->buf.len; i++)
					blank += w->buf.data[i] == '\n';
				w->doc->b[w->target].content_line = line - blank;
			}
		}
	}
	if (w->in_html) {
		if (line && !w->html_line)
			w->html_line = line;
		strbuf_add(&w->html, text, size);
		return 0;
	}
	if (type == MD_TEXT_HTML && (w->in_comment || (size >= 4 && memcmp(text, "<!--", 4) == 0))) {
		/* an inline comment is the author's aside, not the text */
		w->in_comment = !(size >= 3 && memcmp(text + size - 3, "-->", 3) == 0);
		return 0;
	}
	struct strbuf *sb = w->in_cell ? &w->cell : &w->buf;
	if (!w->in_cell && w->target < 0)
		return 0;
	switch (type) {
	case MD_TEXT_SOFTBR:
	case MD_TEXT_BR:
		strbuf_addstr(sb, " ");
		break;
	case MD_TEXT_ENTITY: {
		const char *e = entity(text, size);
		if (e)
			strbuf_addstr(sb, e);
		else
			strbuf_add(sb, text, size);
		break;
	}
	case MD_TEXT_NULLCHAR:
		break;
	default:
		strbuf_add(sb, text, size);
		break;
	}
	return 0;
}

/* Whether line P (of the text up to STOP) is MARK alone, spaces and a
 * carriage return allowed after it. */
static bool mark_line(const char *p, const char *stop, const char *mark)
{
	size_t n = strlen(mark);
	if ((size_t)(stop - p) < n || memcmp(p, mark, n) != 0)
		return false;
	for (p += n; p < stop && (*p == ' ' || *p == '\t' || *p == '\r'); p++)
		;
	return p == stop || *p == '\n';
}

/* The length of the front matter TEXT starts with ("---" YAML up to "---"
 * or "...", "+++" TOML up to "+++", as static site generators and wikis
 * write it), or 0. md4c would read it as a rule and a heading. */
static size_t front_matter(const char *text, size_t len)
{
	const char *stop = text + len;
	const char *open = mark_line(text, stop, "---") ? "---" : mark_line(text, stop, "+++") ? "+++" : NULL;
	if (!open)
		return 0;
	bool first = true;
	for (const char *p = memchr(text, '\n', len); p && p + 1 < stop; p = memchr(p, '\n', (size_t)(stop - p))) {
		p++;
		const char *eol = memchr(p, '\n', (size_t)(stop - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(stop - p);
		if (first && n && *p != '\r' && !mark_line(p, stop, open)) {
			/* a rule and then prose or a heading is no front matter: it starts with a key */
			const char *sep = memchr(p, open[0] == '-' ? ':' : '=', n);
			if ((!sep && *p != '[') || *p == '#' || *p == ' ' || *p == '\t')
				return 0;
			first = false;
		}
		if (mark_line(p, stop, open) || (open[0] == '-' && mark_line(p, stop, "..."))) {
			const char *end = memchr(p, '\n', (size_t)(stop - p));
			return end ? (size_t)(end + 1 - text) : len;
		}
	}
	return 0;
}

bool import_read(const char *text, size_t len, const struct import_lines *li, struct import_doc *doc,
	struct import_msgs *ms)
{
	struct walk *w = xcalloc(1, sizeof(*w));
	w->li = li;
	w->doc = doc;
	w->ms = ms;
	w->quote = -1;
	w->target = -1;
	MD_PARSER p = {
		.flags = MD_DIALECT_GITHUB,
		.enter_block = enter_block,
		.leave_block = leave_block,
		.enter_span = enter_span,
		.leave_span = leave_span,
		.text = on_text,
	};
	/* a byte order mark before the first line would make its "# Title" a
	 * paragraph: it is not part of the Markdown */
	size_t bom = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	w->base = front_matter(text + bom, len - bom);
	w->base = w->base ? w->base + bom : bom;
	if (w->base > bom)
		import_msg(ms, IMPORT_NOTE, 1, "the front matter (lines 1-%d) is metadata, not steps: left out",
			import_line_of(li, w->base - 1));
	int rc = md_parse(text + w->base, (MD_SIZE)(len - w->base), &p, w);
	finish_target(w);
	if (doc->too_deep && w->lost_tasks)
		import_msg(ms, IMPORT_SKIPPED, doc->too_deep_line,
			"lists and quotes nested deeper than %d levels are left out, with the %zu checkbox%s in them",
			IMPORT_MAX_NESTING, w->lost_tasks, w->lost_tasks == 1 ? "" : "es");
	else if (doc->too_deep)
		import_msg(ms, IMPORT_WARNING, doc->too_deep_line,
			"lists and quotes nested deeper than %d levels are left out", IMPORT_MAX_NESTING);
	doc->skipped_deep = w->lost_tasks;
	strbuf_release(&w->buf);
	strbuf_release(&w->cell);
	strbuf_release(&w->html);
	strvec_clear(&w->row);
	strvec_clear(&w->head);
	free(w);
	if (rc != 0) {
		import_msg(ms, IMPORT_WARNING, 0, "the Markdown reader gave up on this file");
		return false;
	}
	return true;
}
