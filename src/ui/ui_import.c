/* Enter on a Markdown runbook of the home screen: the runbook is imported
 * as `countersign import` does (docs/importing.md) and the dialog shows
 * the summary and every message of the importer (PgUp/PgDn scroll them);
 * y saves NAME.json beside NAME.md, asking first when one is there; then
 * the checklist is offered to be opened as the home screen opens one. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "countersign/import.h"
#include "countersign/util.h"
#include "ui.h"

/* The import shown, passed from one dialog of it to the next. */
struct import_form {
	char *md_path, *json_path;
	char *json;         /* the checklist to save */
	char *summary;
};

static void form_free(void *data)
{
	struct import_form *f = data;
	if (!f)
		return;
	free(f->md_path);
	free(f->json_path);
	free(f->json);
	free(f->summary);
	free(f);
}

/* Takes the form from D, whose dialog is about to be replaced (replacing
 * it frees what it owns). */
static struct import_form *take_form(struct ui_dialog *d)
{
	struct import_form *f = d->data;
	d->data = NULL;
	return f;
}

static void attach_form(struct ui_dialog *d, struct import_form *f)
{
	d->data = f;
	d->free_data = form_free;
}

static bool submit_open(struct ui *ui, struct ui_dialog *d, bool yes)
{
	struct import_form *f = take_form(d);
	char *path = xstrdup(f->json_path);
	form_free(f);
	if (!yes) {
		ui_set_status(ui, false, "saved %s: Enter on it starts a run", path);
		free(path);
		return true;
	}
	/* closed first: opening the checklist may show no dialog at all */
	ui_dialog_close(ui);
	ui_begin_new_run(ui, path);
	free(path);
	return false;
}

/* Writes the checklist; on success asks whether to open it. */
static bool save(struct ui *ui, struct ui_dialog *d, bool replace)
{
	struct import_form *f = d->data;
	char *err = NULL;
	int rc = ui_import_write(f->json_path, f->json, replace, f->md_path, &err);
	if (rc != CS_OK) {
		ui_set_status(ui, true, "not saved: %s", err ? err : "the checklist could not be written");
		free(err);
		return true;
	}
	ui_home_load(ui);
	f = take_form(d);
	struct ui_dialog *next = ui_dialog_new("Runbook imported");
	ui_dialog_info(next, "Saved %s.", f->json_path);
	ui_dialog_info(next, "%s", f->summary);
	ui_dialog_info(next, "%s", "");
	ui_dialog_info(next, "%s", "Open it now to start a run? (y/n)");
	next->yes_no = true;
	next->submit = submit_open;
	attach_form(next, f);
	ui_dialog_open(ui, next);
	return false;
}

static bool submit_replace(struct ui *ui, struct ui_dialog *d, bool yes)
{
	if (!yes) {
		ui_set_status(ui, false, "not saved: %s is left as it was", ((struct import_form *)d->data)->json_path);
		return true;
	}
	return save(ui, d, true);
}

static bool submit_save(struct ui *ui, struct ui_dialog *d, bool yes)
{
	struct import_form *f = d->data;
	if (!yes) {
		ui_set_status(ui, false, "not imported: nothing was saved");
		return true;
	}
	struct stat st;
	if (lstat(f->json_path, &st) != 0)
		return save(ui, d, false);
	/* an older checklist (perhaps refined by hand) is never replaced unasked */
	f = take_form(d);
	struct ui_dialog *next = ui_dialog_new("Replace the checklist?");
	ui_dialog_info(next, "%s exists. Replace it with the checklist imported from %s? (y/n)", f->json_path,
		f->md_path);
	next->yes_no = true;
	next->submit = submit_replace;
	attach_form(next, f);
	ui_dialog_open(ui, next);
	return false;
}

/* The messages, one a line: "line 12: warning: ...". */
static void add_messages(struct ui_dialog *d, const struct import_result *r)
{
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct import_message *m = &r->messages[i];
		if (m->line > 0)
			ui_dialog_info(d, "line %d: %s: %s", m->line, import_message_kind_name(m->kind), m->text);
		else
			ui_dialog_info(d, "%s: %s", import_message_kind_name(m->kind), m->text);
	}
}

static bool submit_close(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)ui;
	(void)d;
	(void)yes;
	return true;
}

void ui_import_open(struct ui *ui, const char *md_path)
{
	assert(md_path);
	char *text = NULL, *err = NULL;
	size_t len = 0;
	if (ui_import_read(md_path, &text, &len, &err) != CS_OK) {
		ui_message(ui, "Runbook not imported", "%s", err);
		free(err);
		return;
	}
	struct import_result r;
	enum import_status st = import_markdown(text, len, md_path, &r);
	free(text);
	struct ui_dialog *d = ui_dialog_new("Import a runbook");
	if (st != IMPORT_OK) {
		ui_dialog_info(d, "%s: %s", md_path, st == IMPORT_REFUSED ? "refused, for the reason below; nothing saved"
			: "nothing to import; nothing saved");
		if (r.n_messages)
			ui_dialog_info(d, "%s", "");
		add_messages(d, &r);
		ui_dialog_info(d, "%s", "");
		ui_dialog_info(d, "%s", "Enter or Esc closes.");
		d->submit = submit_close;
		ui_dialog_open(ui, d);
		import_result_clear(&r);
		return;
	}
	struct import_form *f = xcalloc(1, sizeof(*f));
	f->md_path = xstrdup(md_path);
	f->json_path = ui_import_json_path(md_path);
	f->json = r.json;
	r.json = NULL;
	f->summary = xstrdup(r.summary ? r.summary : "imported");
	ui_dialog_info(d, "%s, read as `countersign import` reads it:", md_path);
	ui_dialog_info(d, "%s", f->summary);
	if (r.n_messages) {
		ui_dialog_info(d, "%s", "");
		ui_dialog_info(d, "%zu message%s to look at (PgUp/PgDn scroll):", r.n_messages,
			r.n_messages == 1 ? "" : "s");
	}
	add_messages(d, &r);
	ui_dialog_info(d, "%s", "");
	ui_dialog_info(d, "Save it as %s? (y/n) Review it before a run.", f->json_path);
	d->yes_no = true;
	d->submit = submit_save;
	attach_form(d, f);
	ui_dialog_open(ui, d);
	import_result_clear(&r);
}
