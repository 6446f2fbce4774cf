/* Drawing a dialog: its text, pick list and fields as rows that scroll when
 * they do not fit (with "N more" on the border that hides them), a field
 * whose prompt is long has it on its own rows above the value, the value
 * being typed always shows its end, and the reason of a refusal sits above
 * the key hints. */
#include <assert.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/utf8.h"
#include "countersign/util.h"
#include "countersign/wrap.h"
#include "ui.h"

/* A prompt longer than this leaves too little room for the value on its
 * row: it goes above the value. */
#define LABEL_BESIDE_MAX 36

struct rows {
	char **text;
	int *attr;
	size_t n, cap;
};

static void rows_add(struct rows *r, char *text, int attr)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 32;
		r->text = xreallocarray(r->text, r->cap, sizeof(char *));
		r->attr = xreallocarray(r->attr, r->cap, sizeof(int));
	}
	r->text[r->n] = text;
	r->attr[r->n++] = attr;
}

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->text[i]);
	free(r->text);
	free(r->attr);
}

/* Splits TEXT into rows of at most WIDTH columns (an empty text is one
 * empty row), PREFIX before the first and as many blanks before the others
 * when it marks the first ("> "). */
static void wrap(struct rows *r, const char *prefix, const char *text, int width, int attr)
{
	size_t n = 0;
	struct wrap_row *at = wrap_rows(text, strlen(text), width, &n);
	for (size_t i = 0; i < (n ? n : 1); i++)
		rows_add(r, xasprintf("%s%.*s", i == 0 || prefix[0] != '>' ? prefix : "  ", n ? (int)at[i].len : 0,
			n ? text + at[i].start : ""), attr);
	free(at);
}

/* The last characters of VALUE that fit in WIDTH columns, "…" first when
 * some were left out: what is being typed stays in view. */
static char *tail_fit(const char *value, int width)
{
	if (ui_width(value) <= width)
		return xstrdup(value);
	const char *p = value;
	while (*p && ui_width(p) > width - 1)
		p += utf8_boundary_after(p, strlen(p), 1);
	return xasprintf("…%s", p);
}

static char *field_value(const struct ui *ui, const struct ui_field *f)
{
	if (f->kind == FIELD_SECRET) {
		char *stars = xcalloc(f->len + 1, 1);
		memset(stars, '*', f->len);
		return stars;
	}
	if (f->kind == FIELD_CHOICE) {
		struct strbuf sb = {0};
		for (int k = 0; f->choices[k]; k++)
			strbuf_addf(&sb, k == f->choice ? "[%s] " : " %s  ", f->choices[k]);
		return strbuf_detach(&sb);
	}
	(void)ui;
	return ui_field_text(f);
}

/* Adds field I's rows: a blank one (or its long prompt) and the value.
 * Returns the index of its first row. */
static size_t add_field(const struct ui *ui, const struct ui_dialog *d, size_t i, int inner, struct rows *r)
{
	const struct ui_field *f = &d->fields[i];
	bool focus = i == d->focus;
	size_t first = r->n;
	char *value = field_value(ui, f);
	const char *check = f->pattern
		? (ui_field_matches(f) ? (ui->utf8 ? " ✓" : " ok") : (ui->utf8 ? " ✗ " : " no ")) : "";
	const char *cursor = focus && f->kind != FIELD_CHOICE ? "_" : "";
	const char *mark = focus ? "> " : "  ";
	int attr = focus ? A_BOLD : 0;
	rows_add(r, xstrdup(""), 0);
	char *line;
	if (ui_width(f->label) > LABEL_BESIDE_MAX) {
		wrap(r, mark, f->label, inner - 2, attr);
		mark = "    ";
		char *shown = tail_fit(value, inner - 4 - 1 - ui_width(check));
		line = xasprintf("%s%s%s%s", mark, shown, cursor, check);
		free(shown);
	} else {
		int room = inner - ui_width(f->label) - 4 - 1 - ui_width(check);
		char *shown = f->kind == FIELD_CHOICE ? xstrdup(value) : tail_fit(value, room > 8 ? room : 8);
		line = xasprintf("%s%s: %s%s%s", mark, f->label, shown, cursor, check);
		free(shown);
	}
	rows_add(r, line, attr);
	free(value);
	return first;
}

/* Keeps rows FIRST..LAST in view when the focus (or the pick) moved. */
static void follow(struct ui_dialog *d, size_t first, size_t last, size_t view)
{
	if (first < d->top)
		d->top = first;
	if (last >= d->top + view)
		d->top = last + 1 - view;
}

static void draw_more(struct ui *ui, int y, int x, int w, size_t n, bool up)
{
	char *text = xasprintf(" %s %zu more%s ", up ? (ui->utf8 ? "↑" : "^") : (ui->utf8 ? "↓" : "v"), n,
		up ? " · PgUp" : " · PgDn");
	int tw = ui_width(text);
	if (tw < w - 4)
		ui_put(y, x + w - tw - 2, tw, text);
	free(text);
}

void ui_dialog_draw(struct ui *ui)
{
	struct ui_dialog *d = ui->dialog;
	if (!d)
		return;
	assert(d->n_fields == 0 || d->focus < d->n_fields);
	assert(d->n_rows == 0 || d->sel < d->n_rows);
	int w = ui->cols - 8 < 100 ? ui->cols - 8 : 100;
	int inner = w - 4;
	struct rows r = {0}, err = {0};
	for (size_t i = 0; i < d->n_info; i++)
		wrap(&r, "", d->info[i], inner, 0);
	size_t want_first = (size_t)-1, want_last = 0;
	for (size_t i = 0; i < d->n_rows; i++) {
		if (i == d->sel)
			want_first = r.n;
		/* a row may take several lines: all of them are the choice */
		for (const char *line = d->rows[i]; line;) {
			const char *nl = strchr(line, '\n');
			int len = nl ? (int)(nl - line) : (int)strlen(line);
			rows_add(&r, xasprintf("%s%.*s", i != d->sel ? "  " : line == d->rows[i] ? "> " : "  ", len, line),
				i == d->sel ? A_REVERSE : 0);
			line = nl ? nl + 1 : NULL;
		}
		if (i == d->sel)
			want_last = r.n - 1;
	}
	for (size_t i = 0; i < d->n_fields; i++) {
		size_t first = add_field(ui, d, i, inner, &r);
		if (i == d->focus)
			want_first = first, want_last = r.n - 1;
	}
	for (int k = 0; k < 1 + (d->yes_no ? 2 : 0); k++)
		rows_add(&r, xstrdup(""), 0);
	if (d->error_field != (size_t)-1 && d->error_field < d->n_fields && ui_field_matches(&d->fields[d->error_field])) {
		free(d->error); /* fixed: the complaint goes */
		d->error = NULL;
		d->error_field = (size_t)-1;
	}
	if (d->error)
		wrap(&err, "", d->error, inner, A_BOLD);
	int h = (int)(r.n + err.n) + 3;
	if (h > ui->rows - 2)
		h = ui->rows - 2;
	int view = h - 3 - (int)err.n;
	if (view < 1)
		view = 1;
	d->view = view;
	size_t focus = d->n_rows ? d->sel : d->focus;
	if (want_first != (size_t)-1 && d->shown_focus != focus) {
		follow(d, want_first, want_last, (size_t)view);
		d->shown_focus = focus;
	}
	if (d->top + (size_t)view > r.n)
		d->top = r.n > (size_t)view ? r.n - (size_t)view : 0;
	int y = (ui->rows - h) / 2, x = (ui->cols - w) / 2;
	for (int k = 0; k < h; k++)
		ui_fill(y + k, x, w);
	ui_box(y, x, h, w, d->title);
	for (int k = 0; k < view && d->top + (size_t)k < r.n; k++) {
		size_t i = d->top + (size_t)k;
		if (r.attr[i])
			attron(r.attr[i]);
		ui_put(y + 1 + k, x + 2, inner, r.text[i]);
		if (r.attr[i])
			attroff(r.attr[i]);
	}
	if (d->top > 0)
		draw_more(ui, y, x, w, d->top, true);
	if (d->top + (size_t)view < r.n)
		draw_more(ui, y + h - 1, x, w, r.n - d->top - (size_t)view, false);
	for (size_t k = 0; k < err.n; k++) {
		if (ui->color)
			attron(COLOR_PAIR(2));
		attron(A_BOLD);
		ui_put(y + 1 + view + (int)k, x + 2, inner, err.text[k]);
		attroff(A_BOLD);
		if (ui->color)
			attroff(COLOR_PAIR(2));
	}
	const char *hint = d->message_only ? "" : d->yes_no ? "y yes · n/Enter no · Esc cancel"
		: d->n_rows ? "j/k move · Enter open · Esc cancel"
		: "Enter next/submit · Tab next field · Esc cancel";
	ui_put(y + h - 2, x + 2, inner, hint);
	rows_free(&r);
	rows_free(&err);
}
