/* The export form (e): the completion report of a run, in a format and to a
 * path asked for (./countersign-RUN.FORMAT by default, following the format
 * until the path is typed into), written as `countersign export` writes it.
 * The run is read through its own read-only connection, so that exporting
 * never records anything, whatever screen it starts from. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "countersign/report.h"
#include "countersign/util.h"
#include "ui.h"

enum { EXPORT_FORMAT, EXPORT_PATH };

static const char *const formats[] = {"md", "json", "html", "junit", NULL};

/* What the form is about; the dialog's data. */
struct export_form {
	char *run_id;
	char *confirmed;   /* a path that exists and Enter was pressed on once: replaced on the next */
};

static void form_free(void *data)
{
	struct export_form *f = data;
	if (!f)
		return;
	free(f->run_id);
	free(f->confirmed);
	free(f);
}

static char *default_path(const char *run_id, const char *format)
{
	return xasprintf("./countersign-%s.%s", run_id, strcmp(format, "junit") == 0 ? "xml" : format);
}

/* The path follows the format until it is typed into. */
static void format_changed(struct ui *ui, struct ui_dialog *d, size_t field)
{
	(void)ui;
	struct export_form *f = d->data;
	if (field != EXPORT_FORMAT || d->fields[EXPORT_PATH].edited)
		return;
	char *path = default_path(f->run_id, formats[d->fields[EXPORT_FORMAT].choice]);
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	const char *src = path;
	struct ui_field *p = &d->fields[EXPORT_PATH];
	size_t n = mbsrtowcs(p->text, &src, sizeof(p->text) / sizeof(p->text[0]) - 1, &st);
	p->len = n == (size_t)-1 ? 0 : n;
	p->text[p->len] = L'\0';
	free(path);
}

/* Writes the report of F->run_id as FORMAT to PATH; returns false with the
 * reason on the status line. */
static bool write_report(struct ui *ui, const struct export_form *f, enum report_format format, const char *path)
{
	struct session s;
	memset(&s, 0, sizeof(s));
	s.report = ui->s.report;
	char *err = NULL;
	bool ok = false;
	if (session_open_store_mode(&s, ui->opt->db_path, STORE_READ_ONLY) != CS_OK ||
		session_load_run(&s, f->run_id) != CS_OK) {
		if (!ui->status)
			ui_set_status(ui, true, "cannot read run %s", f->run_id);
	} else if (report_export(&s, format, path, &err) != CS_OK) {
		ui_set_status(ui, true, "not exported: %s", err ? err : "the report could not be written");
	} else {
		char *where = realpath(path, NULL);
		ui_set_status(ui, false, "exported run %s as %s to %s", f->run_id, report_format_name(format),
			where ? where : path);
		free(where);
		ok = true;
	}
	free(err);
	session_close(&s);
	return ok;
}

static bool submit_export(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	struct export_form *f = d->data;
	enum report_format format;
	bool known = report_format_parse(formats[d->fields[EXPORT_FORMAT].choice], &format);
	assert(known);
	(void)known;
	char *path = ui_field_text(&d->fields[EXPORT_PATH]);
	bool done = false;
	struct stat sb;
	if (!path[strspn(path, " ")]) {
		ui_set_status(ui, true, "give the path of the file to write");
	} else if (strcmp(path, "-") == 0) {
		/* report_export's standard output is the screen drawn here */
		ui_set_status(ui, true, "- is standard output, the terminal: give a file's path");
	} else if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		ui_set_status(ui, true, "%s is a folder: give a file's path", path);
	} else if (stat(path, &sb) == 0 && (!f->confirmed || strcmp(f->confirmed, path) != 0)) {
		/* an older report is never replaced by a reflexive Enter */
		free(f->confirmed);
		f->confirmed = xstrdup(path);
		ui_set_status(ui, true, "%s exists: Enter again replaces it", path);
	} else {
		done = write_report(ui, f, format, path);
	}
	free(path);
	return done;
}

void ui_export_open(struct ui *ui, const char *run_id)
{
	struct export_form *f = xcalloc(1, sizeof(*f));
	f->run_id = xstrdup(run_id);
	struct ui_dialog *d = ui_dialog_new("Export a report");
	ui_dialog_info(d, "The completion report of run %s, as `countersign export` writes it. Space changes the "
		"format; the path is relative to the folder countersign was started in.", run_id);
	struct ui_field *format = ui_dialog_field(d, "Format", FIELD_CHOICE, NULL);
	format->choices = formats;
	char *path = default_path(run_id, formats[0]);
	ui_dialog_field(d, "Path", FIELD_TEXT, path);
	free(path);
	d->data = f;
	d->free_data = form_free;
	d->submit = submit_export;
	d->changed = format_changed;
	ui_dialog_open(ui, d);
}
