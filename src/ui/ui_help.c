/* Help for the screen it is opened on (home, run, output), scrolled when it
 * does not fit; and what the interface says about notifications switched
 * off because their webhook's variable has no value here. */
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/expand.h"
#include "countersign/util.h"
#include "ui.h"

static size_t help_top;        /* first line shown */

/* --- notifications --- */

char *ui_notify_missing(const struct ui *ui, size_t entry)
{
	char *missing = NULL;
	char *url = expand_string(ui->s.cl->notify[entry].url, vars_lookup, (void *)&ui->vars, &missing);
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
		const struct notify *no = &cl->notify[i];
		char *missing = ui_notify_missing(ui, i);
		struct strbuf events = {0};
		for (int e = 0; e < NOTIFY_EVENT_COUNT; e++)
			if (no->events & (1u << e))
				strbuf_addf(&events, "%s%s", events.len ? " " : "", notify_event_name((enum notify_event)e));
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

/* --- help per screen --- */

static const char *const home_keys[] = {
	"Home screen keys",
	"",
	"  j/k, arrows  move                      g/G, Home/End  first / last",
	"  Enter        on a checklist: start a run of it (its open runs are listed",
	"               first, to resume one); on an open run: sign in and resume",
	"               it; on a past run: open it read-only",
	"  n            a new run of the selected checklist",
	"  a            the audit trail of the selected run, one line per event",
	"  e            export the selected run's report: md, json, html or junit",
	"  E            register another engineer (name, full name, their PIN)",
	"  ?            this help",
	"  q, Ctrl-C    quit",
	NULL,
};

static const char *const review_keys[] = {
	"Review keys (read-only: nothing here records anything)",
	"",
	"  j/k, arrows  move    g/G, Home/End  first / last    PgUp/PgDn  a page",
	"  Enter        open the selected run read-only: its sections, items,",
	"               evidence and output; q on it comes back here",
	"  f            filter the runs: checklist id, state, an engineer who took",
	"               part, started since / until (UTC dates or times)",
	"  F            clear the filters",
	"  v            verify the selected run's chain of events: ok with the",
	"               number of events and the head hash, or what is wrong;",
	"               the chain column keeps the result",
	"  a            the audit trail of the selected run, one line per event",
	"  e            export the selected run's report: md, json, html or junit,",
	"               to ./countersign-RUN.FORMAT or a path typed",
	"  ?            this help",
	"  q, Ctrl-C    quit",
	NULL,
};

static const char *const run_keys[] = {
	"Run screen keys",
	"",
	"  j/k, arrows  move                   Tab, h/l  switch pane",
	"  g/G, PgUp/PgDn  first / last / a page of the pane",
	"  : or /       go to a section as its name is typed (Tab: the next match);",
	"               / on an item searches its output full screen",
	"  Enter        open a section; run the selected item's check (a re-check",
	"               of a signed section asks first and says what will happen)",
	"  Space        attest a manual item (or one waiting for attestation):",
	"               pass or fail, a note, and the value read when it asks one",
	"  w            waive a failed waivable item (asks a reason)",
	"  s            sign the section: engineer, PIN, approve/reject, comment",
	"  c            cancel the selected running check or wait; on a check stuck",
	"               running elsewhere: record it as interrupted (PIN, reason)",
	"  o            output full screen (/ search, n/N next/previous)",
	"  n            add a note to the section or item",
	"  C            choose this alternative of a choice group",
	"  O            override (break glass): reason, incident, two engineers;",
	"               without a second one here, it waits for a second engineer",
	"               to confirm it from their terminal (O there) in 15 minutes",
	"  V            give variables that have no value in this session (secrets)",
	"  E            register another engineer",
	"  A            abort the run (reason, PIN); it cannot be undone",
	"  r            the rollback of the alternative chosen (again: the next one)",
	"  N            recent events: what other terminals recorded (q back)",
	"  J            network evidence as raw JSON or as readable lines",
	"  a            the run's audit trail, one line per event (also in review)",
	"  e            export the run's report to a file: md, json, html, junit",
	"  ?            this help",
	"  q, Ctrl-C    quit (asks while checks run)",
	NULL,
};

static const char *const output_keys[] = {
	"Output screen keys",
	"",
	"  j/k, arrows  scroll a line             PgDn, Space / PgUp  a page",
	"  g/G, Home/End  top / end",
	"  /            search (plain text); n/N next / previous match",
	"  J            network evidence as raw JSON or as readable lines",
	"  ?            this help",
	"  q, Esc, o    back to the run screen",
	NULL,
};

static const char *const audit_keys[] = {
	"Audit view keys",
	"",
	"  The run's record, oldest first, one line per event: when (UTC), the",
	"  run, the section or item, the engineer, what happened and its verdict,",
	"  meaning, comment or reason. Nothing here records anything.",
	"",
	"  j/k, arrows  scroll a line             PgDn, Space / PgUp  a page",
	"  g/G, Home/End  first / last event",
	"  ?            this help",
	"  q, Esc, a    back",
	NULL,
};

static char *help_text(struct ui *ui)
{
	struct strbuf sb = {0};
	const char *const *lines = ui->back_view == &ui_output_view ? output_keys
		: ui->back_view == &ui_audit_view ? audit_keys
		: ui->back_view == &ui_run_view ? run_keys : ui->opt->review ? review_keys : home_keys;
	strbuf_addf(&sb, "%s\n", lines[0]);
	bool run = ui->back_view == &ui_run_view;
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
	char *text = help_text(ui);
	size_t n = 0;
	for (char *p = text; *p; p++)
		n += *p == '\n';
	size_t rows = (size_t)(ui->rows - 3);
	if (help_top + rows > n)
		help_top = n > rows ? n - rows : 0;
	size_t i = 0;
	int row = 1;
	for (char *line = text; *line; i++) {
		char *nl = strchr(line, '\n');
		*nl = '\0';
		if (i >= help_top && row <= (int)rows)
			ui_put(row++, 2, ui->cols - 4, line);
		line = nl + 1;
	}
	free(text);
	bool more = help_top + rows < n;
	char *hint = more || help_top ? xstrdup(" j/k, PgDn/PgUp scroll  any other key goes back")
		: xstrdup(" Press any key to go back.");
	if (more || help_top) {
		char *where = xasprintf(" %s %zu more ", more ? (ui->utf8 ? "↓" : "v") : (ui->utf8 ? "↑" : "^"),
			more ? n - help_top - rows : help_top);
		ui_put(ui->rows - 2, ui->cols - ui_width(where) - 1, ui_width(where), where);
		free(where);
	}
	ui_put(ui->rows - 1, 0, ui->cols, hint);
	free(hint);
}

void ui_help_open(struct ui *ui)
{
	ui->back_view = ui->view;
	ui->view = &ui_help_view;
	help_top = 0;
	ui->dirty = true;
}

static void help_key(struct ui *ui, int key)
{
	size_t page = ui->rows > 6 ? (size_t)ui->rows - 4 : 1;
	ui->dirty = true;
	switch (key) {
	case 'j': case UI_KEY_DOWN: help_top++; break;  /* drawing keeps it in range */
	case 'k': case UI_KEY_UP: if (help_top) help_top--; break;
	case UI_KEY_PGDN: case ' ': help_top += page; break;
	case UI_KEY_PGUP: help_top = help_top > page ? help_top - page : 0; break;
	default: ui->view = ui->back_view; break;
	}
}

/* The run beneath goes on while its help shows. */
static void help_tick(struct ui *ui)
{
	if (ui->back_view->tick)
		ui->back_view->tick(ui);
}

const struct ui_view_ops ui_help_view = {
	.name = "help",
	.draw = help_draw,
	.key = help_key,
	.tick = help_tick,
};
