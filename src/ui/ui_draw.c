/* Drawing helpers: clipped text, boxes, marks and the status line. */
#include <curses.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "countersign/utf8.h"
#include "countersign/util.h"
#include "ui.h"
#include "ui_runscreen.h"

void ui_fill(int y, int x, int width)
{
	for (int i = 0; i < width; i++)
		mvaddch(y, x + i, ' ');
}

/* Whether the locale is UTF-8 (ui_box_style). Boxes are drawn with Unicode
 * lines (ASCII without UTF-8) rather than the alternate character set, so
 * that screen dumps read as they look. */
static bool box_utf8;

/* Without a UTF-8 locale, the interface's own Unicode marks and separators
 * become ASCII; any other non-ASCII byte shows as '?'. */
static const struct {
	const char *utf8, *ascii;
} fallbacks[] = {
	{"·", "-"}, {"…", "..."}, {"✓", "+"}, {"✗", "x"}, {"▶", ">"}, {"‼", "!"}, {"–", "-"},
	{"◇", "?"}, {"⊘", "#"}, {"○", "o"}, {"≈", "~"}, {"∅", "0"}, {"⌛", "T"}, {"■", "C"},
	{"─", "-"}, {"│", "|"}, {"┌", "+"}, {"┐", "+"}, {"└", "+"}, {"┘", "+"},
};

/* The ASCII form of the interface's own mark at P, or NULL; *LEN gets the
 * length of the UTF-8 text it replaces. */
static const char *fallback_at(const char *p, size_t *len)
{
	for (size_t k = 0; k < sizeof(fallbacks) / sizeof(fallbacks[0]); k++) {
		*len = strlen(fallbacks[k].utf8);
		if (strncmp(p, fallbacks[k].utf8, *len) == 0)
			return fallbacks[k].ascii;
	}
	return NULL;
}

/* Converts UTF8 to at most MAX-1 wide characters; returns how many. Each
 * character is converted on its own, so that one byte that is not UTF-8
 * costs one '?' and not the rest of the line: in a UTF-8 locale every valid
 * character (a check's ✓ and ✖) shows as itself, in another one only
 * ASCII does. */
static size_t to_wide(const char *utf8, wchar_t *buf, size_t max)
{
	size_t n = 0, left = strlen(utf8);
	for (const char *p = utf8; *p && n < max - 1;) {
		uint32_t cp;
		int used = utf8_decode((const unsigned char *)p, left, &cp);
		if (used > 0 && (box_utf8 || cp < 0x80)) {
			buf[n++] = (wchar_t)cp;
			p += used;
			left -= (size_t)used;
			continue;
		}
		size_t len = 0;
		const char *ascii = fallback_at(p, &len);
		if (ascii) {
			for (; *ascii && n < max - 1; ascii++)
				buf[n++] = (wchar_t)*ascii;
			p += len;
			left -= len;
			continue;
		}
		unsigned char c = (unsigned char)*p++;
		left--;
		buf[n++] = c < 0x80 && c >= 0x20 ? (wchar_t)c : L'?';
		if (c >= 0xc0) { /* one '?' for a whole multibyte character */
			size_t next = utf8_boundary_after(p, left, 0);
			p += next;
			left -= next;
		}
	}
	buf[n] = L'\0';
	return n;
}

int ui_width(const char *utf8)
{
	wchar_t buf[1024];
	size_t n = to_wide(utf8, buf, sizeof(buf) / sizeof(buf[0]));
	int w = 0;
	for (size_t i = 0; i < n; i++) {
		int cw = utf8_cp_width((uint32_t)buf[i]);
		w += cw < 0 ? 1 : cw;
	}
	return w;
}

void ui_put(int y, int x, int width, const char *utf8)
{
	if (width <= 0 || !utf8)
		return;
	wchar_t buf[1024];
	size_t n = to_wide(utf8, buf, sizeof(buf) / sizeof(buf[0]));
	int used = 0;
	move(y, x);
	for (size_t i = 0; i < n; i++) {
		wchar_t wc = buf[i];
		if (wc < 0x20 || wc == 0x7f)
			wc = L'?';
		int w = utf8_cp_width((uint32_t)wc);
		if (w < 0)
			w = 1, wc = L'?';
		if (used + w > width)
			break;
		wchar_t one[2] = {wc, 0};
		addnwstr(one, 1);
		used += w;
	}
	for (; used < width; used++)
		addch(' ');
}

void ui_box_style(bool utf8)
{
	box_utf8 = utf8;
}

void ui_box(int y, int x, int h, int w, const char *title)
{
	if (h < 2 || w < 2)
		return;
	const char *hz = box_utf8 ? "─" : "-", *vt = box_utf8 ? "│" : "|";
	const char *c[4] = {box_utf8 ? "┌" : "+", box_utf8 ? "┐" : "+", box_utf8 ? "└" : "+", box_utf8 ? "┘" : "+"};
	struct strbuf line = {0};
	for (int i = 0; i < w - 2; i++)
		strbuf_addstr(&line, hz);
	mvaddstr(y, x, c[0]);
	addstr(line.data ? line.data : "");
	addstr(c[1]);
	mvaddstr(y + h - 1, x, c[2]);
	addstr(line.data ? line.data : "");
	addstr(c[3]);
	strbuf_release(&line);
	for (int r = 1; r < h - 1; r++) {
		mvaddstr(y + r, x, vt);
		mvaddstr(y + r, x + w - 1, vt);
	}
	if (title && w > 6) {
		char *t = xasprintf(" %s ", title);
		int len = ui_width(t); /* columns: a title may hold wide characters */
		ui_put(y, x + 2, len < w - 4 ? len : w - 4, t);
		free(t);
	}
}

const char *ui_mark(const struct ui *ui, enum engine_section_mark m)
{
	static const char *const unicode[] = {"⊘", "○", "✓", "✗", "▶", "‼", "–", "◇"};
	static const char *const ascii[] = {"#", "o", "+", "x", ">", "!", "-", "?"};
	return (unsigned)m < 8 ? (ui->utf8 ? unicode[m] : ascii[m]) : "?";
}

const char *ui_verdict_mark(const struct ui *ui, enum engine_verdict v)
{
	static const char *const unicode[] = {"·", "▶", "✓", "✗", "✗", "∅", "⌛", "■", "≈"};
	static const char *const ascii[] = {".", ">", "+", "x", "x", "0", "T", "C", "~"};
	return (unsigned)v < 9 ? (ui->utf8 ? unicode[v] : ascii[v]) : "?";
}

void ui_set_status(struct ui *ui, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(ui->status);
	ui->status = xvasprintf(fmt, ap);
	va_end(ap);
	ui->status_error = error;
	ui->status_serial++;
	ui->dirty = true;
}

static int wide_width(wchar_t wc)
{
	int w = utf8_cp_width((uint32_t)wc);
	return w < 0 ? 1 : w;
}

static void add_wide(struct strbuf *sb, const wchar_t *w, size_t n)
{
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	char mb[MB_LEN_MAX];
	for (size_t i = 0; i < n; i++) {
		size_t len = wcrtomb(mb, w[i], &st);
		if (len == (size_t)-1) {
			memset(&st, 0, sizeof(st));
			strbuf_addstr(sb, "?");
		} else {
			strbuf_add(sb, mb, len);
		}
	}
}

char *ui_fit_middle(const char *utf8, int width, bool utf8_locale)
{
	wchar_t buf[1024];
	size_t n = to_wide(utf8, buf, sizeof(buf) / sizeof(buf[0]));
	int total = 0;
	for (size_t i = 0; i < n; i++)
		total += wide_width(buf[i]);
	if (total <= width || width <= 0)
		return xstrdup(width <= 0 ? "" : utf8);
	const wchar_t *ell = utf8_locale ? L"\u2026" : L"...";
	int ew = utf8_locale ? 1 : 3;
	int avail = width - ew > 0 ? width - ew : 0;
	int tail_w = width > 12 ? avail / 2 : 0, head_w = avail - tail_w;
	size_t head = 0, tail = 0;
	for (int used = 0; head < n && used + wide_width(buf[head]) <= head_w; head++)
		used += wide_width(buf[head]);
	for (int used = 0; tail < n - head && used + wide_width(buf[n - 1 - tail]) <= tail_w; tail++)
		used += wide_width(buf[n - 1 - tail]);
	/* no blank next to the ellipsis */
	while (head > 0 && buf[head - 1] == L' ')
		head--;
	while (tail > 0 && buf[n - tail] == L' ')
		tail--;
	struct strbuf sb = {0};
	add_wide(&sb, buf, head);
	if (width >= ew)
		add_wide(&sb, ell, wcslen(ell));
	add_wide(&sb, buf + n - tail, tail);
	return strbuf_detach(&sb);
}

void ui_border_more(const struct ui *ui, int y, int x, int w, size_t n, bool up)
{
	if (!n)
		return;
	char *text = xasprintf(" %s %zu more ", up ? (ui->utf8 ? "\u2191" : "^") : (ui->utf8 ? "\u2193" : "v"), n);
	int tw = ui_width(text);
	if (tw < w - 4)
		ui_put(y, x + w - 2 - tw, tw, text);
	free(text);
}

bool ui_scroll_key(size_t *top, size_t page, int key)
{
	switch (key) {
	case 'j': case UI_KEY_DOWN: ++*top; return true;
	case 'k': case UI_KEY_UP: if (*top) --*top; return true;
	case UI_KEY_PGDN: case ' ': *top += page; return true;
	case UI_KEY_PGUP: *top = *top > page ? *top - page : 0; return true;
	default: return false;
	}
}

bool ui_scroll_key_ends(size_t *top, size_t page, size_t end, int key)
{
	switch (key) {
	case 'g': case UI_KEY_HOME: *top = 0; return true;
	case 'G': case UI_KEY_END: *top = end; return true;
	default: return ui_scroll_key(top, page, key);
	}
}

void ui_title_bar(const struct ui *ui, const char *title)
{
	if (ui->color)
		attron(COLOR_PAIR(5));
	ui_put(0, 0, ui->cols, title);
	if (ui->color)
		attroff(COLOR_PAIR(5));
}
