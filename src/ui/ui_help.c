/* Help for the screen it is opened on (home, run, output), scrolled when it
 * does not fit; and what the interface says about notifications switched
 * off because their webhook's variable has no value here. */
#include <assert.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/expand.h"
#include "countersign/util.h"
#include "ui.h"
#include "ui_runscreen.h"

/* The help screen's state. */
struct ui_help {
	const struct ui_view_ops *back;  /* the screen it is about, and goes back to */
	size_t top;                      /* first line shown */
};

/* --- notifications --- */

char *ui_notify_missing(const struct ui *ui, size_t entry)
{
	char *missing = NULL;
	char *url = expand_string(checklist_notify_target(&ui->s.cl->notify[entry]), vars_lookup, (void *)&ui->vars,
		&missing);
	if (url) {
		free(url);
		free(missing);
		return NULL;
	}
	return missing ? missing : xstrdup("?");
}

void ui_notify_say_off(struct ui *ui)
{
	if (!ui->have_run || !ui->s.cl || engine_status(ui->s.eng) != RUN_OPEN || ui->opt->review)
		return;
	struct strbuf entries = {0}, names = {0};
	size_t off = 0;
	for (size_t i = 0; i < ui->s.cl->n_notify; i++) {
		char *missing = ui_notify_missing(ui, i);
		if (!missing)
			continue;
		strbuf_addf(&entries, "%s%zu", off ? ", " : "", i + 1);
		if (!names.data || !strstr(names.data, missing))
			strbuf_addf(&names, "%s${%s}", names.len ? ", " : "", missing);
		off++;
		free(missing);
	}
	if (off == 1)
		ui_set_status(ui, false, "note: %s is not set, so notify entry %s will not deliver (see ?)",
			names.data, entries.data);
	else if (off)
		ui_set_status(ui, false, "note: %s not set, so notify entries %s will not deliver (see ?)",
			names.data, entries.data);
	strbuf_release(&entries);
	strbuf_release(&names);
}

static void notify_lines(const struct ui *ui, struct strbuf *sb)
{
	const struct checklist *cl = ui->s.cl;
	strbuf_addstr(sb, "\n");
	if (!cl->n_notify) {
		strbuf_addstr(sb, "Notifications: this checklist sends none.\n");
		return;
	}
	strbuf_addstr(sb, "Notifications (the checklist's webhooks):\n");
	for (size_t i = 0; i < cl->n_notify; i++) {
		const struct checklist_notify *no = &cl->notify[i];
		char *missing = ui_notify_missing(ui, i);
		struct strbuf events = {0};
		for (int e = 0; e < NOTIFY_EVENT_COUNT; e++)
			if (no->events & (1u << e))
				strbuf_addf(&events, "%s%s", events.len ? " " : "", checklist_notify_event_name((enum checklist_notify_event)e));
		if (missing)
			strbuf_addf(sb, "  %zu %-5s off: ${%s} is not set here, so it will not deliver\n", i + 1,
				no->format == NOTIFY_SLACK ? "slack" : "json", missing);
		else
			strbuf_addf(sb, "  %zu %-5s on: %s\n", i + 1, no->format == NOTIFY_SLACK ? "slack" : "json",
				events.data ? events.data : "");
		strbuf_release(&events);
		free(missing);
	}
}

/* --- help for the screen it is opened on (struct ui_view_ops, help) --- */

static char *help_text(struct ui *ui)
{
	struct strbuf sb = {0};
	const char *const *lines = ui->help->back->help;
	assert(lines && lines[0]);
	strbuf_addf(&sb, "%s\n", lines[0]);
	bool run = ui->help->back == &ui_run_view;
	if (run) {
		/* what the screen shows first, then the keys */
		strbuf_addstr(&sb, "\n");
		strbuf_addf(&sb, "Sections: %s locked  %s open  %s passed  %s failed  %s running\n", ui_mark(ui, MARK_LOCKED),
			ui_mark(ui, MARK_OPEN), ui_mark(ui, MARK_PASSED), ui_mark(ui, MARK_FAILED), ui_mark(ui, MARK_RUNNING));
		strbuf_addf(&sb, "          %s FORCED  %s not chosen  %s choose one of a group\n", ui_mark(ui, MARK_FORCED),
			ui_mark(ui, MARK_NOT_CHOSEN), ui_mark(ui, MARK_CHOOSE));
	}
	for (size_t i = 1; lines[i]; i++)
		strbuf_addf(&sb, "%s\n", lines[i]);
	if (run) {
		bool ro = ui->opt->review || engine_status(ui->s.eng) != RUN_OPEN;
		if (ro)
			strbuf_addstr(&sb, "  (this run is read-only: keys that would record something only say so)\n");
		else
			notify_lines(ui, &sb);
	}
	return strbuf_detach(&sb);
}

static void help_draw(struct ui *ui)
{
	struct ui_help *h = ui->help;
	char *text = help_text(ui);
	size_t n = 0;
	for (char *p = text; *p; p++)
		n += *p == '\n';
	size_t rows = (size_t)(ui->rows - 3);
	if (h->top + rows > n)
		h->top = n > rows ? n - rows : 0;
	size_t i = 0;
	int row = 1;
	for (char *line = text; *line; i++) {
		char *nl = strchr(line, '\n');
		*nl = '\0';
		if (i >= h->top && row <= (int)rows)
			ui_put(row++, 2, ui->cols - 4, line);
		line = nl + 1;
	}
	free(text);
	bool more = h->top + rows < n;
	char *hint = more || h->top ? xstrdup(" j/k, PgDn/PgUp scroll  any other key goes back")
		: xstrdup(" Press any key to go back.");
	if (more || h->top) {
		char *where = xasprintf(" %s %zu more ", more ? (ui->utf8 ? "↓" : "v") : (ui->utf8 ? "↑" : "^"),
			more ? n - h->top - rows : h->top);
		ui_put(ui->rows - 2, ui->cols - ui_width(where) - 1, ui_width(where), where);
		free(where);
	}
	ui_put(ui->rows - 1, 0, ui->cols, hint);
	free(hint);
}

void ui_help_open(struct ui *ui)
{
	assert(ui->view != &ui_help_view && ui->view->help);
	if (!ui->help)
		ui->help = xcalloc(1, sizeof(*ui->help));
	ui->help->back = ui->view;
	ui->help->top = 0;
	ui->view = &ui_help_view;
	ui->dirty = true;
}

static void help_key(struct ui *ui, int key)
{
	struct ui_help *h = ui->help;
	size_t page = ui->rows > 6 ? (size_t)ui->rows - 4 : 1;
	ui->dirty = true;
	if (!ui_scroll_key(&h->top, page, key))
		ui->view = h->back;  /* any other key closes the help */
}

/* The run beneath goes on while its help shows. */
static void help_tick(struct ui *ui)
{
	if (ui->help->back->tick)
		ui->help->back->tick(ui);
}

static void help_destroy(struct ui *ui)
{
	free(ui->help);
	ui->help = NULL;
}

const struct ui_view_ops ui_help_view = {
	.name = "help",
	.draw = help_draw,
	.key = help_key,
	.tick = help_tick,
	.destroy = help_destroy,
};
