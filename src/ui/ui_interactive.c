/* The end of an interactive item: the command had the terminal (and Ctrl-C)
 * to itself; its exit status says little (Ctrl-C is how `kubectl logs -f`
 * ends), so the engineer who watched it says what it showed: pass with a
 * note, fail, or leave it pending for a later attestation. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/util.h"
#include "ui.h"

enum { OUTCOME_PENDING, OUTCOME_PASS, OUTCOME_FAIL };
static const char *const outcomes[] = {"pending", "pass", "fail", NULL};

/* Field positions: the outcome, the note, and the value when the item
 * declares attest_value. */
enum { FIELD_OUTCOME, FIELD_NOTE, FIELD_VALUE };

static bool submit_outcome(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	const struct checklist_section *sec = &ui->s.cl->sections[d->sec];
	const struct checklist_item *it = &sec->items[d->item];
	int outcome = d->fields[FIELD_OUTCOME].choice;
	if (outcome == OUTCOME_PENDING) {
		ui_set_status(ui, false, "%s/%s left pending: attest it later (Space)", sec->id, it->id);
		return true;
	}
	char *note = ui_field_text(&d->fields[FIELD_NOTE]);
	char *value = d->n_fields > FIELD_VALUE ? ui_field_text(&d->fields[FIELD_VALUE]) : NULL;
	bool close = false;
	if (outcome == OUTCOME_PASS && !note[0]) {
		/* the exit status of a command ended with Ctrl-C proves nothing */
		ui_set_status(ui, true, "a pass needs a note: what did %s show?", it->id);
		d->focus = FIELD_NOTE;
	} else if (value && !value[0]) {
		ui_set_status(ui, true, "%s asks for the value read", it->id);
		d->focus = FIELD_VALUE;
	} else {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "verdict", outcomes[outcome]);
		if (note[0])
			cJSON_AddStringToObject(p, "note", note);
		if (value)
			cJSON_AddStringToObject(p, "value", value);
		char *target = xasprintf("%s/%s", sec->id, it->id);
		struct session_guard guard = {.action = ACTION_ATTEST, .sec = d->sec, .item = d->item};
		int rc = session_record(&ui->s, &guard, ui->operator, EV_ATTESTED, target, p);
		if (rc == CS_OK)
			ui_set_status(ui, false, "%s: %s attested by %s", outcomes[outcome], target, ui->operator);
		free(target);
		close = true;  /* a refusal is on the status line; the item stays pending */
	}
	free(note);
	free(value);
	return close;
}

void ui_interactive_outcome(struct ui *ui, size_t sec, size_t item)
{
	const struct engine_item_state *is = engine_item(ui->s.eng, sec, item);
	if (!is->needs_attestation || engine_status(ui->s.eng) != RUN_OPEN)
		return;
	const struct checklist_item *it = &ui->s.cl->sections[sec].items[item];
	struct ui_dialog *d = ui_dialog_new("What did it show?");
	ui_dialog_info(d, "%s ended: %s", it->title, is->message ? is->message : "");
	ui_dialog_info(d, "pass (with a note), fail, or leave it pending and attest it later with Space.");
	struct ui_field *f = ui_dialog_field(d, "Outcome", FIELD_CHOICE, NULL);
	f->choices = outcomes;
	f->choice = OUTCOME_PENDING;  /* a reflexive Enter records nothing */
	ui_dialog_field(d, "Note", FIELD_TEXT, NULL);
	if (it->attest_value)
		ui_dialog_field(d, "Value", FIELD_TEXT, NULL);
	d->sec = sec;
	d->item = item;
	d->submit = submit_outcome;
	ui_dialog_open(ui, d);
}
