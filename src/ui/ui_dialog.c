/* Modal dialogs: a few fields filled in turn (text, hidden PIN, a choice),
 * or a yes/no question whose default is No. */
#include <curses.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include <sodium.h>

#include "countersign/util.h"
#include "ui.h"

struct ui_dialog *ui_dialog_new(const char *title)
{
	struct ui_dialog *d = xcalloc(1, sizeof(*d));
	d->title = xstrdup(title);
	return d;
}

void ui_dialog_info(struct ui_dialog *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	d->info = xreallocarray(d->info, d->n_info + 1, sizeof(char *));
	d->info[d->n_info++] = line;
}

/* Makes room for one more field. Fields may hold PINs, so the old array is
 * wiped before it is freed rather than left behind by realloc. */
static void fields_grow(struct ui_dialog *d)
{
	if (d->n_fields < d->cap_fields)
		return;
	size_t cap = d->cap_fields ? d->cap_fields * 2 : 8;
	struct ui_field *fields = xcalloc(cap, sizeof(*fields));
	if (d->fields) {
		memcpy(fields, d->fields, d->n_fields * sizeof(*fields));
		sodium_memzero(d->fields, d->cap_fields * sizeof(*d->fields));
		free(d->fields);
	}
	d->fields = fields;
	d->cap_fields = cap;
}

struct ui_field *ui_dialog_field(struct ui_dialog *d, const char *label, enum field_kind kind, const char *initial)
{
	fields_grow(d);
	struct ui_field *f = &d->fields[d->n_fields++];
	memset(f, 0, sizeof(*f));
	f->label = label;
	f->kind = kind;
	if (initial) {
		mbstate_t st;
		memset(&st, 0, sizeof(st));
		const char *src = initial;
		size_t n = mbsrtowcs(f->text, &src, sizeof(f->text) / sizeof(f->text[0]) - 1, &st);
		f->len = n == (size_t)-1 ? 0 : n;
		f->text[f->len] = L'\0';
	}
	return f;
}

char *ui_field_text(const struct ui_field *f)
{
	if (f->kind == FIELD_CHOICE)
		return xstrdup(f->choices && f->choices[f->choice] ? f->choices[f->choice] : "");
	char buf[1024];
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	const wchar_t *src = f->text;
	size_t n = wcsrtombs(buf, &src, sizeof(buf) - 1, &st);
	if (n == (size_t)-1)
		n = 0;
	buf[n] = '\0';
	char *text = xstrdup(buf);
	sodium_memzero(buf, sizeof(buf)); /* the field may be a PIN */
	return text;
}

void ui_field_clear(struct ui_field *f)
{
	sodium_memzero(f->text, sizeof(f->text));
	f->len = 0;
}

void ui_text_free(char *text)
{
	if (!text)
		return;
	sodium_memzero(text, strlen(text));
	free(text);
}

static void dialog_free(struct ui_dialog *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_info; i++)
		free(d->info[i]);
	free(d->info);
	if (d->fields)
		sodium_memzero(d->fields, d->cap_fields * sizeof(*d->fields));
	free(d->fields);
	free(d->title);
	free(d);
}

void ui_dialog_open(struct ui *ui, struct ui_dialog *d)
{
	dialog_free(ui->dialog);
	ui->dialog = d;
	ui->dirty = true;
}

void ui_dialog_close(struct ui *ui)
{
	dialog_free(ui->dialog);
	ui->dialog = NULL;
	ui->dirty = true;
}

void ui_message(struct ui *ui, const char *title, const char *fmt, ...)
{
	struct ui_dialog *d = ui_dialog_new(title);
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	ui_dialog_info(d, "%s", text);
	free(text);
	ui_dialog_info(d, "%s", "");
	ui_dialog_info(d, "%s", "(press any key)");
	d->message_only = true;
	ui_dialog_open(ui, d);
}

static bool pattern_ok(const struct ui_field *f)
{
	if (!f->pattern)
		return true;
	char *text = ui_field_text(f);
	regex_t re;
	bool ok = regcomp(&re, f->pattern, REG_EXTENDED | REG_NOSUB) == 0;
	if (ok) {
		ok = regexec(&re, text, 0, NULL, 0) == 0;
		regfree(&re);
	}
	ui_text_free(text); /* a secret variable may have a pattern */
	return ok;
}

/* Splits TEXT into lines of at most WIDTH characters at spaces (code points,
 * which is the width for the text dialogs show). Returns how many lines;
 * each is stored in LINES (malloc'd) up to MAX. */
static size_t wrap(const char *text, int width, char **lines, size_t max)
{
	size_t n = 0;
	const char *p = text;
	do {
		const char *start = p, *cut = NULL, *end = p;
		int chars = 0;
		while (*end && chars < width) {
			if (*end == ' ')
				cut = end;
			end++;
			while ((*end & 0xc0) == 0x80)
				end++;
			chars++;
		}
		if (*end && cut && cut > start)
			end = cut;
		if (n >= max)
			break;
		lines[n++] = xstrndup(start, (size_t)(end - start));
		p = *end == ' ' ? end + 1 : end;
	} while (*p);
	return n;
}

void ui_dialog_draw(struct ui *ui)
{
	struct ui_dialog *d = ui->dialog;
	if (!d)
		return;
	int w = ui->cols - 8 < 100 ? ui->cols - 8 : 100;
	char *wrapped[64];
	size_t n_wrapped = 0;
	for (size_t i = 0; i < d->n_info; i++)
		n_wrapped += wrap(d->info[i], w - 4, wrapped + n_wrapped, 64 - n_wrapped);
	int h = (int)(n_wrapped + d->n_fields * 2) + 4 + (d->yes_no ? 2 : 0);
	if (h > ui->rows - 2)
		h = ui->rows - 2;
	int y = (ui->rows - h) / 2, x = (ui->cols - w) / 2;
	for (int r = 0; r < h; r++)
		ui_fill(y + r, x, w);
	ui_box(y, x, h, w, d->title);
	int row = y + 1;
	for (size_t i = 0; i < n_wrapped; i++) {
		if (row < y + h - 2)
			ui_put(row++, x + 2, w - 4, wrapped[i]);
		free(wrapped[i]);
	}
	size_t visible = (size_t)((y + h - 2 - row) / 2), first = 0;
	if (visible && d->focus >= visible)
		first = d->focus - visible + 1;
	for (size_t i = first; i < d->n_fields && row < y + h - 2; i++) {
		const struct ui_field *f = &d->fields[i];
		row++;
		bool focus = i == d->focus;
		char *value;
		if (f->kind == FIELD_SECRET) {
			value = xcalloc(f->len + 1, 1);
			memset(value, '*', f->len);
		} else if (f->kind == FIELD_CHOICE) {
			struct strbuf sb = {0};
			for (int k = 0; f->choices[k]; k++)
				strbuf_addf(&sb, k == f->choice ? "[%s] " : " %s  ", f->choices[k]);
			value = strbuf_detach(&sb);
		} else {
			value = ui_field_text(f);
		}
		const char *check = f->pattern ? (pattern_ok(f) ? (ui->utf8 ? " ✓" : " ok") : (ui->utf8 ? " ✗ " : " no ")) : "";
		char *line = xasprintf("%s%s: %s%s%s", focus ? "> " : "  ", f->label, value,
			focus && f->kind != FIELD_CHOICE ? "_" : "", check);
		if (focus)
			attron(A_BOLD);
		ui_put(row++, x + 2, w - 4, line);
		if (focus)
			attroff(A_BOLD);
		free(line);
		free(value);
	}
	const char *hint = d->message_only ? "" : d->yes_no ? "y yes · n/Enter no · Esc cancel"
		: "Enter next/submit · Tab next field · Esc cancel";
	ui_put(y + h - 2, x + 2, w - 4, hint);
}

static void field_key(struct ui_field *f, int key)
{
	if (f->kind == FIELD_CHOICE) {
		int n = 0;
		while (f->choices[n])
			n++;
		if (key == ' ' || key == UI_KEY_RIGHT || key == 'l')
			f->choice = (f->choice + 1) % n;
		else if (key == UI_KEY_LEFT || key == 'h')
			f->choice = (f->choice + n - 1) % n;
		else
			for (int k = 0; k < n; k++)
				if (key == (unsigned char)f->choices[k][0])
					f->choice = k;
		return;
	}
	if (key == UI_KEY_BACKSPACE) {
		if (f->len)
			f->text[--f->len] = L'\0';
	} else if (key == UI_CTRL('u')) {
		ui_field_clear(f);
	} else if (key >= 0x20 && key < 0x110000 && key != 0x7f && iswprint((wint_t)key) &&
		f->len + 1 < sizeof(f->text) / sizeof(f->text[0])) {
		f->text[f->len++] = (wchar_t)key;
		f->text[f->len] = L'\0';
	}
}

void ui_dialog_key(struct ui *ui, int key)
{
	struct ui_dialog *d = ui->dialog;
	ui->dirty = true;
	if (d->message_only) {
		ui_dialog_close(ui);
		return;
	}
	if (d->yes_no) {
		bool yes = key == 'y' || key == 'Y';
		if (key == UI_KEY_ESC) {
			ui_dialog_close(ui);
			ui_set_status(ui, false, "cancelled");
			return;
		}
		if (yes || key == 'n' || key == 'N' || key == UI_KEY_ENTER) {
			if (d->submit(ui, d, yes))
				ui_dialog_close(ui);
		}
		return;
	}
	if (key == UI_KEY_ESC) {
		ui_dialog_close(ui);
		ui_set_status(ui, false, "cancelled");
		return;
	}
	if (key == UI_KEY_TAB || key == UI_KEY_DOWN) {
		d->focus = (d->focus + 1) % (d->n_fields ? d->n_fields : 1);
		return;
	}
	if (key == UI_KEY_BTAB || key == UI_KEY_UP) {
		d->focus = (d->focus + d->n_fields - 1) % (d->n_fields ? d->n_fields : 1);
		return;
	}
	if (key == UI_KEY_ENTER) {
		if (d->n_fields && !pattern_ok(&d->fields[d->focus])) {
			ui_set_status(ui, true, "%s does not match %s", d->fields[d->focus].label, d->fields[d->focus].pattern);
			return;
		}
		if (d->focus + 1 < d->n_fields) {
			d->focus++;
			return;
		}
		for (size_t i = 0; i < d->n_fields; i++) {
			if (!pattern_ok(&d->fields[i])) {
				d->focus = i;
				ui_set_status(ui, true, "%s does not match %s", d->fields[i].label, d->fields[i].pattern);
				return;
			}
		}
		if (d->submit(ui, d, true))
			ui_dialog_close(ui);
		return;
	}
	if (d->n_fields)
		field_key(&d->fields[d->focus], key);
}
