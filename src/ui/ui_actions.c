/* Keys of the run screen turned into engine commands: every action asks the
 * engine first and shows its reason when refused; nothing is shown before
 * it is committed to the record. */
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/util.h"
#include "ui.h"
#include "ui_runscreen.h"

/* Appends one event by the operator (or ACTOR) about TARGET. */
static int record(struct ui *ui, const struct session_guard *guard, const char *actor, const char *kind,
	const char *target, cJSON *payload)
{
	return session_record(&ui->s, guard, actor, kind, target, payload);
}

/* --- running checks --- */

static void start_check(struct ui *ui, size_t sec, size_t item)
{
	const struct checklist_item *it = &ui->s.cl->sections[sec].items[item];
	struct ui_output *o = &ui->outputs[sec][item];
	free(o->data);
	memset(o, 0, sizeof(*o)); /* a new attempt starts a new output */
	int rc;
	if (it->interactive) {
		ui_term_suspend(ui);
		rc = exec_run_interactive(ui->exec, sec, item, ui->operator);
		ui_term_resume(ui);
		if (rc == CS_OK)
			ui_interactive_outcome(ui, sec, item);
	} else {
		rc = exec_start(ui->exec, sec, item, ui->operator);
	}
	if (rc == CS_OK && it->kind == ITEM_WAIT)
		ui_set_status(ui, false, "wait started: %s/%s", ui->s.cl->sections[sec].id, it->id);
	else if (rc == CS_OK && !it->interactive)
		ui_set_status(ui, false, "running %s/%s", ui->s.cl->sections[sec].id, it->id);
	ui->dirty = true;
}

/* The answer to a question asked before running item D->sec/D->item: No
 * says NO; yes goes on with THEN if the rules still allow the check. */
static bool go_on(struct ui *ui, struct ui_dialog *d, bool yes, const char *no,
	void (*then)(struct ui *ui, size_t sec, size_t item))
{
	if (!yes) {
		ui_set_status(ui, false, "%s", no);
		return true;
	}
	size_t sec = d->sec, item = d->item;
	ui_dialog_close(ui);
	char *why = NULL;
	bool allowed = engine_can_check(ui->s.eng, sec, item, &why);
	if (!ui_refused(ui, allowed, why))
		then(ui, sec, item);
	ui_hint_variables(ui);
	return false;
}

static bool submit_confirm(struct ui *ui, struct ui_dialog *d, bool yes)
{
	return go_on(ui, d, yes, "not run", start_check);
}

/* A confirm item shows what it will run and asks (default No); any other
 * starts at once. */
static void confirm_or_start(struct ui *ui, size_t sec, size_t item)
{
	const struct checklist_item *it = &ui->s.cl->sections[sec].items[item];
	if (!it->confirm) {
		start_check(ui, sec, item);
		return;
	}
	char *cmd = exec_preview(ui->exec, sec, item);
	if (!cmd)
		return;
	struct ui_dialog *d = ui_dialog_new("Confirm");
	ui_dialog_info(d, "%s asks before it runs:", it->title);
	for (char *line = cmd; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		ui_dialog_info(d, "  %s", line);
		line = nl ? nl + 1 : NULL;
	}
	ui_dialog_info(d, "%s", "");
	ui_dialog_info(d, "Run it? (y/N)");
	free(cmd);
	d->yes_no = true;
	d->sec = sec;
	d->item = item;
	d->submit = submit_confirm;
	ui_dialog_open(ui, d);
}

static bool submit_recheck(struct ui *ui, struct ui_dialog *d, bool yes)
{
	return go_on(ui, d, yes, "not run: the signed result stands", confirm_or_start);
}

static void run_selected(struct ui *ui)
{
	const struct checklist_item *it = ui_selected_item(ui);
	if (!it || ui_read_only(ui))
		return;
	char *why = NULL;
	bool allowed = engine_can_check(ui->s.eng, ui->sec, ui->item, &why);
	if (ui_refused(ui, allowed, why))
		return;
	/* a re-check of a section whose gate passed says first what it does */
	char *warning = session_recheck_warning(&ui->s, ui->sec, ui->item);
	if (!warning) {
		confirm_or_start(ui, ui->sec, ui->item);
		ui_hint_variables(ui);
		return;
	}
	struct ui_dialog *d = ui_dialog_new("Re-check a signed section");
	ui_dialog_info(d, "%s", warning);
	ui_dialog_info(d, "%s", "");
	ui_dialog_info(d, "Re-check %s? (y/N)", it->title);
	free(warning);
	d->yes_no = true;
	d->sec = ui->sec;
	d->item = ui->item;
	d->submit = submit_recheck;
	ui_dialog_open(ui, d);
}

static bool submit_recover(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	char *pin = ui_field_text(&d->fields[0]);
	char *reason = ui_field_text(&d->fields[1]);
	bool close = false;
	if (!reason[0]) {
		ui_set_status(ui, true, "recovering a check needs a reason");
	} else if (session_check_pin(&ui->s, ui->operator, pin, "recover") == CS_OK) {
		close = session_recover_check(&ui->s, d->sec, d->item, ui->operator, reason) != CS_ENV;
		if (engine_item(ui->s.eng, d->sec, d->item)->verdict != VERDICT_RUNNING)
			ui_set_status(ui, false, "%s/%s recorded as interrupted by %s", ui->s.cl->sections[d->sec].id,
				ui->s.cl->sections[d->sec].items[d->item].id, ui->operator);
	} else {
		ui_field_clear(&d->fields[0]);
		d->focus = 0;
	}
	ui_text_free(pin);
	free(reason);
	return close;
}

/* A check stuck "running" that no process here runs: the operator records
 * it as interrupted, with their PIN and a reason. */
static void recover_selected(struct ui *ui)
{
	char *where = NULL;
	enum session_liveness live = session_check_liveness(&ui->s, ui->sec, ui->item, &where);
	if (live == SESSION_LIVE_RUNNING) {
		ui_set_status(ui, true, "%s runs on this host; it can only be cancelled where it was started", where);
		free(where);
		return;
	}
	const struct checklist_item *it = &ui->s.cl->sections[ui->sec].items[ui->item];
	struct ui_dialog *d = ui_dialog_new("Recover a stuck check");
	ui_dialog_info(d, "%s was started by %s,", it->title, where);
	ui_dialog_info(d, "which cannot be seen from here. Record it as interrupted (error)");
	ui_dialog_info(d, "by %s? Only if it is really not running any more.", ui->operator);
	free(where);
	ui_dialog_field(d, "PIN", FIELD_SECRET, NULL);
	ui_dialog_field(d, "Reason", FIELD_TEXT, NULL);
	d->sec = ui->sec;
	d->item = ui->item;
	d->submit = submit_recover;
	ui_dialog_open(ui, d);
}

static bool submit_cancel_wait(struct ui *ui, struct ui_dialog *d, bool yes)
{
	if (!yes) {
		ui_set_status(ui, false, "the wait goes on");
		return true;
	}
	if (session_cancel_wait(&ui->s, d->sec, d->item, ui->operator) == CS_OK)
		ui_set_status(ui, false, "wait cancelled: %s/%s; it can be started afresh", ui->s.cl->sections[d->sec].id,
			ui->s.cl->sections[d->sec].items[d->item].id);
	return true;
}

static void cancel_wait_selected(struct ui *ui)
{
	char *why = NULL;
	if (ui_read_only(ui))
		return;
	bool allowed = engine_can_cancel_wait(ui->s.eng, ui->sec, ui->item, &why);
	if (ui_refused(ui, allowed, why))
		return;
	char *text = session_wait_text(&ui->s, ui->sec, ui->item, false);
	struct ui_dialog *d = ui_dialog_new("Cancel the wait");
	ui_dialog_info(d, "%s %s.", ui->s.cl->sections[ui->sec].items[ui->item].title, text ? text : "");
	ui_dialog_info(d, "Cancel it? It is recorded as cancelled and can be started afresh. (y/N)");
	free(text);
	d->yes_no = true;
	d->sec = ui->sec;
	d->item = ui->item;
	d->submit = submit_cancel_wait;
	ui_dialog_open(ui, d);
}

static void cancel_selected(struct ui *ui)
{
	if (!ui_selected_item(ui))
		return;
	if (ui->s.cl->sections[ui->sec].items[ui->item].kind == ITEM_WAIT) {
		cancel_wait_selected(ui);
		return;
	}
	if (!ui->exec || !exec_is_running(ui->exec, ui->sec, ui->item)) {
		if (engine_item(ui->s.eng, ui->sec, ui->item)->verdict == VERDICT_RUNNING &&
			ui->s.cl->sections[ui->sec].items[ui->item].kind != ITEM_WAIT && !ui_read_only(ui))
			recover_selected(ui);
		else if (engine_item(ui->s.eng, ui->sec, ui->item)->verdict != VERDICT_RUNNING)
			ui_set_status(ui, true, "nothing of this item runs in this session");
		return;
	}
	exec_cancel(ui->exec, ui->sec, ui->item);
	ui_set_status(ui, false, "cancelling...");
}

/* --- dialogs that record --- */

static bool submit_waive(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	char *reason = ui_field_text(&d->fields[0]);
	if (!reason[0]) {
		free(reason);
		ui_set_status(ui, true, "a waiver needs a reason");
		return false;
	}
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "reason", reason);
	free(reason);
	const struct checklist_section *sec = &ui->s.cl->sections[d->sec];
	char *target = xasprintf("%s/%s", sec->id, sec->items[d->item].id);
	int rc = record(ui, &(struct session_guard){.action = ACTION_WAIVE, .sec = d->sec, .item = d->item}, ui->operator, EV_WAIVED, target, p);
	if (rc == CS_OK)
		ui_set_status(ui, false, "waived %s", target);
	free(target);
	return rc == CS_OK;
}

static void waive_selected(struct ui *ui)
{
	const struct checklist_item *it = ui_selected_item(ui);
	if (!it || ui_read_only(ui))
		return;
	char *why = NULL;
	bool allowed = engine_can_waive(ui->s.eng, ui->sec, ui->item, &why);
	if (ui_refused(ui, allowed, why))
		return;
	struct ui_dialog *d = ui_dialog_new("Waive");
	ui_dialog_info(d, "Waive %s (%s)?", it->title, engine_verdict_name(engine_item(ui->s.eng, ui->sec, ui->item)->verdict));
	ui_dialog_field(d, "Reason", FIELD_TEXT, NULL);
	d->sec = ui->sec;
	d->item = ui->item;
	d->submit = submit_waive;
	ui_dialog_open(ui, d);
}

static bool submit_note(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	char *text = ui_field_text(&d->fields[0]);
	bool ok = text[0] != '\0';
	if (ok) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "text", text);
		ok = record(ui, &(struct session_guard){.action = ACTION_NOTE}, ui->operator, EV_NOTE, d->title + strlen("Note on "), p) == CS_OK;
		if (ok)
			ui_set_status(ui, false, "note recorded");
	}
	free(text);
	return ok;
}

static void add_note(struct ui *ui)
{
	if (ui_read_only(ui))
		return;
	const struct checklist_section *sec = &ui->s.cl->sections[ui->sec];
	char *title = ui->pane == 1 && ui->item < sec->n_items
		? xasprintf("Note on %s/%s", sec->id, sec->items[ui->item].id) : xasprintf("Note on %s", sec->id);
	struct ui_dialog *d = ui_dialog_new(title);
	free(title);
	ui_dialog_field(d, "Note", FIELD_TEXT, NULL);
	d->submit = submit_note;
	ui_dialog_open(ui, d);
}

static bool submit_choose(struct ui *ui, struct ui_dialog *d, bool yes)
{
	if (!yes)
		return true;
	const struct checklist_section *sec = &ui->s.cl->sections[d->sec];
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "group", sec->choice);
	if (record(ui, &(struct session_guard){.action = ACTION_CHOOSE, .sec = d->sec}, ui->operator, EV_CHOSEN, sec->id, p) == CS_OK)
		ui_set_status(ui, false, "chose %s for \"%s\"", sec->id, sec->choice);
	return true;
}

static void choose_section(struct ui *ui)
{
	if (ui_read_only(ui))
		return;
	char *why = NULL;
	bool allowed = engine_can_choose(ui->s.eng, ui->sec, &why);
	if (ui_refused(ui, allowed, why))
		return;
	const struct checklist_section *sec = &ui->s.cl->sections[ui->sec];
	struct ui_dialog *d = ui_dialog_new("Choose");
	ui_dialog_info(d, "Choose %s for \"%s\"? The other alternatives are skipped. (y/N)", sec->title, sec->choice);
	d->yes_no = true;
	d->sec = ui->sec;
	d->submit = submit_choose;
	ui_dialog_open(ui, d);
}

static bool submit_quit(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)d;
	if (yes)
		ui->quit = true;
	return true;
}

void ui_ask_quit(struct ui *ui);
void ui_ask_quit(struct ui *ui)
{
	size_t held = ui->exec ? exec_held(ui->exec) : 0;
	if (!ui->exec || (exec_active(ui->exec) == 0 && held == 0)) {
		ui->quit = true;
		return;
	}
	struct ui_dialog *d = ui_dialog_new("Quit");
	if (held) {
		char *text = exec_held_text(ui->exec);
		const char *why = exec_held_why(ui->exec);
		bool busy = why && strcmp(why, "database busy/locked") == 0;
		ui_dialog_info(d, "%zu result%s not recorded: %s. Quitting loses %s "
			"(what was lost is printed when the screen closes):", held, held == 1 ? " is" : "s are",
			busy ? "the database is busy (another process holds its lock)"
			: why && strcmp(why, "database unreachable") != 0 ? why : "the database cannot be reached",
			held == 1 ? "it" : "them");
		for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			ui_dialog_info(d, "  %s", line);
		}
		free(text);
	}
	if (exec_active(ui->exec))
		ui_dialog_info(d, "%zu check(s) still run. Quitting cancels them (recorded as cancelled).",
			exec_active(ui->exec));
	ui_dialog_info(d, held ? "Quit and lose them? (y/N)" : "Quit? (y/N)");
	d->yes_no = true;
	d->submit = submit_quit;
	ui_dialog_open(ui, d);
}

static void move_sel(struct ui *ui, int delta)
{
	if (ui->pane == 0) {
		size_t n = ui->s.cl->n_sections;
		if (delta > 0 && ui->sec + 1 < n)
			ui->sec++;
		else if (delta < 0 && ui->sec > 0)
			ui->sec--;
		ui->item = 0;
	} else {
		size_t n = ui->s.cl->sections[ui->sec].n_items;
		if (delta > 0 && ui->item + 1 < n)
			ui->item++;
		else if (delta < 0 && ui->item > 0)
			ui->item--;
	}
}

static void run_key(struct ui *ui, int key)
{
	ui->dirty = true;
	if (ui_nav_key(ui, key))
		return;  /* moving around, prompts, the news list */
	switch (key) {
	case 'j': case UI_KEY_DOWN: move_sel(ui, 1); break;
	case 'k': case UI_KEY_UP: move_sel(ui, -1); break;
	case UI_KEY_TAB: case UI_KEY_BTAB: ui->pane = !ui->pane; break;
	case 'h': case UI_KEY_LEFT: ui->pane = 0; break;
	case 'l': case UI_KEY_RIGHT: ui->pane = 1; break;
	case UI_KEY_ENTER:
		if (ui->pane == 0)
			ui->pane = 1, ui->item = 0;
		else
			run_selected(ui);
		break;
	case ' ': ui_attest_selected(ui); break;
	case 'w': waive_selected(ui); break;
	case 's': ui_sign_section(ui); break;
	case 'c': cancel_selected(ui); break;
	case 'o': ui_output_open(ui, false); break;
	case 'n': add_note(ui); break;
	case 'C': choose_section(ui); break;
	case 'O': ui_override_section(ui); break;
	case 'V': ui_give_variables(ui); break;
	case 'E':
		/* registering records in the engineers' chain: not from a run
		 * that is only looked at */
		if (!ui_read_only(ui))
			ui_add_engineer(ui);
		break;
	case 'A': ui_abort_run(ui); break;
	case 'e': ui_export_open(ui, ui->s.run.id); break;
	case 'a': ui_audit_open(ui, ui->s.run.id); break;
	case '?': ui_help_open(ui); break;
	case 'q':
		if (ui->opt->review)
			ui_review_back(ui); /* to the list of runs */
		else
			ui_ask_quit(ui);
		break;
	case UI_CTRL('c'): ui_ask_quit(ui); break;
	}
}

static const char *const run_help[] = {
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
	"  s            sign the section: engineer, PIN, meaning, comment",
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

const struct ui_view_ops ui_run_view = {
	.name = "run",
	.help = run_help,
	.draw = ui_run_draw,
	.key = run_key,
	.tick = ui_run_tick,
	.destroy = ui_run_screen_destroy,
};
