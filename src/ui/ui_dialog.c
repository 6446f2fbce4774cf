/* Modal dialogs: a few fields filled in turn (text, hidden PIN, a choice),
 * a list to pick one from, or a yes/no question whose default is No. Why an
 * Enter was refused shows inside the dialog, next to what must change, and
 * goes away once it is fixed (ui_dialog_draw.c draws them). */
#include <assert.h>
#include <curses.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include <sodium.h>

#include "countersign/util.h"
#include "ui.h"

/* Counts every dialog opened or closed, so that a submit callback that
 * replaced its dialog is told apart from one that kept it (a new dialog may
 * be allocated where the old one was). */
static unsigned long dialog_serial;

struct ui_dialog *ui_dialog_new(const char *title)
{
	struct ui_dialog *d = xcalloc(1, sizeof(*d));
	d->title = xstrdup(title);
	d->error_field = (size_t)-1;
	d->shown_focus = (size_t)-1;
	return d;
}

static void lines_add(char ***lines, size_t *n, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
static void lines_add(char ***lines, size_t *n, const char *fmt, va_list ap)
{
	char *line = xvasprintf(fmt, ap);
	*lines = xreallocarray(*lines, *n + 1, sizeof(char *));
	(*lines)[(*n)++] = line;
}

void ui_dialog_info(struct ui_dialog *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lines_add(&d->info, &d->n_info, fmt, ap);
	va_end(ap);
}

void ui_dialog_row(struct ui_dialog *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lines_add(&d->rows, &d->n_rows, fmt, ap);
	va_end(ap);
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
	assert(d->n_fields < d->cap_fields);
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

bool ui_field_matches(const struct ui_field *f)
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

static void dialog_free(struct ui_dialog *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_info; i++)
		free(d->info[i]);
	free(d->info);
	for (size_t i = 0; i < d->n_rows; i++)
		free(d->rows[i]);
	free(d->rows);
	if (d->fields)
		sodium_memzero(d->fields, d->cap_fields * sizeof(*d->fields));
	free(d->fields);
	free(d->error);
	free(d->title);
	if (d->free_data)
		d->free_data(d->data);
	free(d);
}

void ui_dialog_open(struct ui *ui, struct ui_dialog *d)
{
	dialog_free(ui->dialog);
	ui->dialog = d;
	ui->dirty = true;
	dialog_serial++;
}

void ui_dialog_close(struct ui *ui)
{
	dialog_free(ui->dialog);
	ui->dialog = NULL;
	ui->dirty = true;
	dialog_serial++;
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

static void set_error(struct ui_dialog *d, size_t field, char *text)
{
	free(d->error);
	d->error = text;
	d->error_field = field;
}

/* Returns true when the key changed the field's value. */
static bool field_key(struct ui_field *f, int key)
{
	assert(f->len < sizeof(f->text) / sizeof(f->text[0]) && f->text[f->len] == L'\0');
	if (f->kind == FIELD_CHOICE) {
		int n = 0, old = f->choice;
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
		return f->choice != old;
	}
	bool printable = key >= 0x20 && key < 0x110000 && key != 0x7f && iswprint((wint_t)key);
	if (printable && !f->edited)
		ui_field_clear(f); /* typing over a default (or a value given before) replaces it */
	if (key == UI_KEY_BACKSPACE) {
		if (f->len)
			f->text[--f->len] = L'\0';
	} else if (key == UI_CTRL('u')) {
		ui_field_clear(f);
	} else if (printable && f->len + 1 < sizeof(f->text) / sizeof(f->text[0])) {
		f->text[f->len++] = (wchar_t)key;
		f->text[f->len] = L'\0';
	} else {
		return false;
	}
	f->edited = true;
	return true;
}

/* Runs the dialog's submit. What it reports as an error while its dialog
 * stays open belongs to the dialog, not to the status line, which keeps
 * what it said before. */
static void submit(struct ui *ui, struct ui_dialog *d, bool yes)
{
	char *saved = ui->status;
	bool saved_error = ui->status_error;
	ui->status = NULL;
	unsigned long serial = dialog_serial;
	bool close = d->submit(ui, d, yes);
	bool kept = dialog_serial == serial && !close;
	if (kept && ui->status && ui->status_error) {
		set_error(d, (size_t)-1, ui->status);
		ui->status = NULL;
	}
	if (!ui->status) {
		ui->status = saved;
		ui->status_error = saved_error;
	} else {
		free(saved);
	}
	if (close && dialog_serial == serial)
		ui_dialog_close(ui);
}

static void dialog_scroll(struct ui_dialog *d, int key)
{
	size_t page = d->view > 2 ? (size_t)d->view - 1 : 1;
	if (key == UI_KEY_PGUP)
		d->top = d->top > page ? d->top - page : 0;
	else
		d->top += page; /* drawing keeps it in range */
}

static void list_key(struct ui *ui, struct ui_dialog *d, int key)
{
	if (key == 'j' || key == UI_KEY_DOWN || key == UI_KEY_TAB) {
		if (d->sel + 1 < d->n_rows)
			d->sel++;
	} else if (key == 'k' || key == UI_KEY_UP || key == UI_KEY_BTAB) {
		if (d->sel > 0)
			d->sel--;
	} else if (key == 'g' || key == UI_KEY_HOME) {
		d->sel = 0;
	} else if (key == 'G' || key == UI_KEY_END) {
		d->sel = d->n_rows - 1;
	} else if (key == UI_KEY_ENTER) {
		submit(ui, d, true);
	}
}

static void fields_enter(struct ui *ui, struct ui_dialog *d)
{
	if (d->n_fields && !ui_field_matches(&d->fields[d->focus])) {
		set_error(d, d->focus, xasprintf("%s does not match %s", d->fields[d->focus].label,
			d->fields[d->focus].pattern));
		return;
	}
	if (d->focus + 1 < d->n_fields) {
		d->focus++;
		return;
	}
	for (size_t i = 0; i < d->n_fields; i++) {
		if (!ui_field_matches(&d->fields[i])) {
			d->focus = i;
			set_error(d, i, xasprintf("%s does not match %s", d->fields[i].label, d->fields[i].pattern));
			return;
		}
	}
	submit(ui, d, true);
}

void ui_dialog_key(struct ui *ui, int key)
{
	struct ui_dialog *d = ui->dialog;
	assert(d && d->n_fields <= d->cap_fields);
	assert(d->n_fields == 0 || d->focus < d->n_fields);
	assert(d->n_rows == 0 || d->sel < d->n_rows);
	ui->dirty = true;
	if (d->message_only) {
		ui_dialog_close(ui);
		return;
	}
	if (key == UI_KEY_ESC) {
		ui_dialog_close(ui);
		ui_set_status(ui, false, "cancelled");
		return;
	}
	if (key == UI_KEY_PGUP || key == UI_KEY_PGDN) {
		dialog_scroll(d, key);
		return;
	}
	if (d->yes_no) {
		bool yes = key == 'y' || key == 'Y';
		if (yes || key == 'n' || key == 'N' || key == UI_KEY_ENTER)
			submit(ui, d, yes);
		return;
	}
	if (d->n_rows) {
		list_key(ui, d, key);
		return;
	}
	if (key == UI_KEY_TAB || key == UI_KEY_DOWN) {
		d->focus = (d->focus + 1) % (d->n_fields ? d->n_fields : 1);
	} else if (key == UI_KEY_BTAB || key == UI_KEY_UP) {
		d->focus = (d->focus + d->n_fields - 1) % (d->n_fields ? d->n_fields : 1);
	} else if (key == UI_KEY_ENTER) {
		fields_enter(ui, d);
	} else if (d->n_fields && field_key(&d->fields[d->focus], key)) {
		/* an error about a pattern goes once the value matches; any other
		 * once something was changed to answer it */
		if (d->error && (d->error_field == (size_t)-1 || ui_field_matches(&d->fields[d->error_field])))
			set_error(d, (size_t)-1, NULL);
		if (d->changed)
			d->changed(ui, d, d->focus);
	}
}
