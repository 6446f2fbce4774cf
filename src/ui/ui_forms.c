/* The run screen's forms that record or change what the session knows:
 * attesting an item (pass or fail, a note, the value read), aborting the
 * run, registering another engineer, and giving variables that have no
 * value in this session. Every one asks the engine (or the session) for its
 * rule; none decides one itself. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/util.h"
#include "ui.h"

bool ui_read_only(struct ui *ui)
{
	if (ui->opt->review || engine_status(ui->s.eng) != RUN_OPEN) {
		ui_set_status(ui, true, "this run is read-only (%s)",
			ui->opt->review ? "review" : engine_run_status_name(engine_status(ui->s.eng)));
		return true;
	}
	return false;
}

bool ui_refused(struct ui *ui, bool allowed, char *why)
{
	if (allowed)
		return false;
	ui_set_status(ui, true, "%s", why ? why : "not allowed");
	free(why);
	return true;
}

const struct checklist_item *ui_selected_item(struct ui *ui)
{
	const struct checklist_section *sec = &ui->s.cl->sections[ui->sec];
	if (ui->pane != 1 || ui->item >= sec->n_items) {
		ui_set_status(ui, true, "select an item first (Tab or Enter moves to the items)");
		return NULL;
	}
	return &sec->items[ui->item];
}

/* --- attesting --- */

enum { ATTEST_OUTCOME, ATTEST_NOTE, ATTEST_VALUE };
static const char *const attest_outcomes[] = {"pass", "fail", NULL};

/* An item whose own check ran and did not pass (an interactive command
 * that failed, an inconclusive metric): a pass over it needs a reason. */
static bool ran_and_failed(const struct engine_item_state *is)
{
	return is->needs_attestation && is->verdict != VERDICT_PASS;
}

static bool submit_attest(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	const struct checklist_section *sec = &ui->s.cl->sections[d->sec];
	const struct checklist_item *it = &sec->items[d->item];
	bool pass = d->fields[ATTEST_OUTCOME].choice == 0;
	char *note = ui_field_text(&d->fields[ATTEST_NOTE]);
	char *value = it->attest_value ? ui_field_text(&d->fields[ATTEST_VALUE]) : NULL;
	bool close = false;
	if (pass && value && value[strspn(value, " \t")] == '\0') {
		ui_set_status(ui, true, "%s asks for the value read: %s", it->id, it->expect ? it->expect : it->title);
		d->focus = ATTEST_VALUE;
	} else if (pass && !note[0] && ran_and_failed(engine_item(ui->s.eng, d->sec, d->item))) {
		ui_set_status(ui, true, "its check did not pass: a pass needs a note saying why it is right");
		d->focus = ATTEST_NOTE;
	} else {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "verdict", pass ? "pass" : "fail");
		if (note[0])
			cJSON_AddStringToObject(p, "note", note);
		if (value && value[0])
			cJSON_AddStringToObject(p, "value", value);
		char *target = xasprintf("%s/%s", sec->id, it->id);
		struct session_guard guard = {.action = ACTION_ATTEST, .sec = d->sec, .item = d->item};
		if (session_record(&ui->s, &guard, ui->operator, EV_ATTESTED, target, p) == CS_OK) {
			ui_set_status(ui, !pass, "%s: %s attested by %s%s%s", pass ? "pass" : "fail", target, ui->operator,
				value && value[0] ? ", value " : "", value && value[0] ? value : "");
			close = true;
		}
		free(target);
	}
	free(note);
	free(value);
	return close;
}

void ui_attest_selected(struct ui *ui)
{
	const struct checklist_item *it = ui_selected_item(ui);
	char *why = NULL;
	if (!it || ui_read_only(ui))
		return;
	bool allowed = engine_can_attest(ui->s.eng, ui->sec, ui->item, &why);
	if (ui_refused(ui, allowed, why))
		return;
	const struct checklist_section *sec = &ui->s.cl->sections[ui->sec];
	const struct engine_item_state *is = engine_item(ui->s.eng, ui->sec, ui->item);
	struct ui_dialog *d = ui_dialog_new("Attest");
	ui_dialog_info(d, "%s/%s: %s", sec->id, it->id, it->title);
	/* attesting again after the gate passed is a re-check: say what it does */
	char *warning = session_recheck_warning(&ui->s, ui->sec, ui->item);
	if (warning)
		ui_dialog_info(d, "%s", warning);
	free(warning);
	if (it->expect && !it->attest_value)
		ui_dialog_info(d, "expect: %s", it->expect);
	if (is->needs_attestation)
		ui_dialog_info(d, "Its check ended %s: %s", engine_verdict_name(is->verdict), is->message ? is->message : "");
	if (ran_and_failed(is))
		ui_dialog_info(d, "It did not pass: a pass needs a note saying why it is right anyway.");
	ui_dialog_info(d, "Recorded as %s's attestation. Space changes the outcome.", ui->operator);
	struct ui_field *f = ui_dialog_field(d, "Outcome", FIELD_CHOICE, NULL);
	f->choices = attest_outcomes;
	f->choice = ran_and_failed(is) ? 1 : 0;
	ui_dialog_field(d, "Note", FIELD_TEXT, NULL);
	if (it->attest_value)
		ui_dialog_field(d, it->expect ? it->expect : "Value read", FIELD_TEXT, NULL);
	d->sec = ui->sec;
	d->item = ui->item;
	d->submit = submit_attest;
	ui_dialog_open(ui, d);
}

/* --- aborting the run --- */

enum { ABORT_REASON, ABORT_PIN };

static bool submit_abort(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	char *reason = ui_field_text(&d->fields[ABORT_REASON]);
	char *pin = ui_field_text(&d->fields[ABORT_PIN]);
	char *why = NULL;
	bool close = false;
	if (!reason[0]) {
		ui_set_status(ui, true, "aborting a run needs a reason");
		d->focus = ABORT_REASON;
	} else if (!engine_can_abort(ui->s.eng, &why)) {
		close = ui_refused(ui, false, why);
	} else if (session_check_pin(&ui->s, ui->operator, pin, "abort") != CS_OK) {
		ui_field_clear(&d->fields[ABORT_PIN]);
		d->focus = ABORT_PIN;
	} else {
		/* What still runs is stopped and recorded as cancelled before the
		 * run ends, so that nothing is recorded after its end; a fresh
		 * executor (running nothing) delivers the run_aborted notification. */
		if (ui->exec && exec_active(ui->exec)) {
			exec_destroy(ui->exec);
			ui->exec = exec_create(&ui->s, &ui->vars, NULL, NULL, NULL);
		}
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "reason", reason);
		if (session_record(&ui->s, &(struct session_guard){.action = ACTION_ABORT}, ui->operator, EV_RUN_ABORTED,
			"", p) == CS_OK)
			ui_set_status(ui, false, "run %s aborted by %s: %s; it is read-only now", ui->s.run.id, ui->operator,
				reason);
		close = true;
	}
	ui_text_free(pin);
	free(reason);
	return close;
}

void ui_abort_run(struct ui *ui)
{
	char *why = NULL;
	if (ui_read_only(ui))
		return;
	bool allowed = engine_can_abort(ui->s.eng, &why);
	if (ui_refused(ui, allowed, why))
		return;
	struct ui_dialog *d = ui_dialog_new("Abort the run");
	ui_dialog_info(d, "Abort run %s (%s)? It ends the run for everyone: nothing more can be recorded in it, "
		"and it cannot be undone. Recorded as aborted by %s.", ui->s.run.id, ui->s.run.title, ui->operator);
	if (ui->exec && exec_active(ui->exec))
		ui_dialog_info(d, "%zu check(s) still running are cancelled first.", exec_active(ui->exec));
	ui_dialog_field(d, "Reason", FIELD_TEXT, NULL);
	ui_dialog_field(d, "PIN", FIELD_SECRET, NULL);
	d->submit = submit_abort;
	ui_dialog_open(ui, d);
}

/* --- registering another engineer --- */

static bool submit_add_engineer(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	char *name = ui_register_fields(ui, d);
	if (!name)
		return false;
	ui_set_status(ui, false, "registered %s; they can sign in, sign and confirm overrides now", name);
	free(name);
	return true;
}

void ui_add_engineer(struct ui *ui)
{
	struct ui_dialog *d = ui_dialog_new("Register an engineer");
	ui_dialog_info(d, "Another engineer registers here: they choose their short name (never reused) and type "
		"their own PIN.%s%s%s", ui->operator ? " The operator stays " : "", ui->operator ? ui->operator : "",
		ui->operator ? "." : "");
	ui_register_dialog_fields(d);
	d->submit = submit_add_engineer;
	ui_dialog_open(ui, d);
}

/* --- variables without a value in this session --- */

static bool submit_variables(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	const struct checklist *cl = ui->s.cl;
	char **assign = xcalloc(d->n_fields + 1, sizeof(char *));
	int n = 0;
	size_t k = 0;
	for (size_t i = 0; i < cl->n_variables && k < d->n_fields; i++) {
		if (ui->vars.values[i])
			continue;
		char *value = ui_field_text(&d->fields[k++]);
		if (value[0])
			assign[n++] = xasprintf("%s=%s", cl->variables[i].name, value);
		ui_text_free(value);
	}
	/* only variables without a value are set: nothing a running check
	 * holds is replaced; the pattern is checked as for a new run */
	bool ok = vars_assign(&ui->vars, cl, (const char *const *)assign, n, false, &ui->s.report);
	struct strbuf names = {0};
	for (int i = 0; i < n; i++) {
		strbuf_addf(&names, "%s%.*s", i ? ", " : "", (int)strcspn(assign[i], "="), assign[i]);
		ui_text_free(assign[i]);
	}
	free(assign);
	if (n)
		exec_vars_changed(ui->exec); /* what was set is redacted from now on */
	if (ok && n)
		ui_set_status(ui, false, "given for this session: %s", names.data);
	else if (ok)
		ui_set_status(ui, false, "nothing given: every field was left empty");
	strbuf_release(&names);
	return ok;
}

void ui_give_variables(struct ui *ui)
{
	if (ui_read_only(ui))
		return;
	const struct checklist *cl = ui->s.cl;
	struct ui_dialog *d = NULL;
	for (size_t i = 0; i < cl->n_variables; i++) {
		if (ui->vars.values[i])
			continue;
		if (!d) {
			d = ui_dialog_new("Variables");
			ui_dialog_info(d, "These variables have no value in this session (secrets are never stored): "
				"checks that use them are refused until they are given. Leave one empty to skip it.");
			ui_dialog_info(d, "From the command line, each check takes them with --var-file FILE or from the "
				"environment.");
		}
		const struct checklist_variable *v = &cl->variables[i];
		ui_dialog_field(d, v->prompt ? v->prompt : v->name, v->secret ? FIELD_SECRET : FIELD_TEXT, NULL);
	}
	if (!d) {
		ui_set_status(ui, false, "every variable has a value in this session");
		return;
	}
	d->submit = submit_variables;
	ui_dialog_open(ui, d);
}

void ui_hint_variables(struct ui *ui)
{
	if (!ui->status || !ui->status_error)
		return;
	const struct checklist *cl = ui->s.cl;
	for (size_t i = 0; i < cl->n_variables; i++) {
		if (ui->vars.values[i])
			continue;
		char *said = xasprintf("${%s} has no value", cl->variables[i].name);
		bool found = strstr(ui->status, said) != NULL;
		free(said);
		if (found) {
			ui_set_status(ui, true, "${%s} has no value in this session: V gives it", cl->variables[i].name);
			return;
		}
	}
}
