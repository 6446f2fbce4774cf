/* Signing a section and breaking glass. The sign-off dialog says at once
 * when an approval cannot succeed; an override is given by two engineers at
 * this keyboard, or asked for here and confirmed by a second engineer from
 * their own terminal within ENGINE_OVERRIDE_CONFIRM_US. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/clock.h"
#include "countersign/duration.h"
#include "countersign/report.h"
#include "countersign/util.h"
#include "ui.h"

/* An engineer other than the operator who types their PIN here does so for
 * one action: their key is not left unlocked in this session after it. */
static void lock_guest(struct ui *ui, const char *name)
{
	if (name[0] && (!ui->operator || strcmp(name, ui->operator) != 0))
		session_lock(&ui->s, name);
}

/* --- the sign-off dialog --- */

enum { SIGN_ENGINEER, SIGN_PIN, SIGN_MEANING, SIGN_COMMENT };
/* in the order of enum checklist_meaning: the choice is the meaning */
static const char *const meanings[] = {"performed", "reviewed", "approved", "rejected", NULL};
_Static_assert(MEANING_PERFORMED == 0 && MEANING_REVIEWED == 1 && MEANING_APPROVED == 2 && MEANING_REJECTED == 3,
	"the sign dialog's choices follow enum checklist_meaning");

/* The registered engineers and their roles: whose roles count, and who
 * could sign instead when the policy refuses. */
static const struct engine_roster *roster(struct ui *ui)
{
	return session_roster(&ui->s);
}

static bool submit_sign(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	char *name = ui_field_text(&d->fields[SIGN_ENGINEER]);
	char *pin = ui_field_text(&d->fields[SIGN_PIN]);
	enum checklist_meaning meaning = (enum checklist_meaning)d->fields[SIGN_MEANING].choice;
	char *comment = ui_field_text(&d->fields[SIGN_COMMENT]);
	bool close = false;
	char *why = NULL;
	bool pin_wrong = false;
	if (meaning == MEANING_REJECTED && !comment[0]) {
		ui_set_status(ui, true, "a rejection needs a comment saying what is wrong");
		d->focus = SIGN_COMMENT;
	} else if (!engine_can_sign(ui->s.eng, d->sec, name, meaning, roster(ui), &why)) {
		ui_refused(ui, false, why); /* refused by the rules: nothing recorded */
	} else if (session_check_pin(&ui->s, name, pin, "sign") != CS_OK) {
		pin_wrong = true;
	} else {
		/* sign what the dialog showed, and only if it is still current */
		const struct engine_section_state *ss = engine_section(ui->s.eng, d->sec);
		if (strcmp(ss->digest, d->digest) != 0) {
			ui_set_status(ui, true, "the evidence changed while signing; look again and sign anew");
			close = true;
		} else {
			cJSON *p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "meaning", checklist_meaning_name(meaning));
			if (comment[0])
				cJSON_AddStringToObject(p, "comment", comment);
			cJSON_AddStringToObject(p, "digest", ss->digest);
			const struct checklist_section *sec = &ui->s.cl->sections[d->sec];
			struct session_guard guard = {.action = ACTION_SIGN, .sec = d->sec, .engineer = name,
				.meaning = meaning, .digest = d->digest};
			if (session_record(&ui->s, &guard, name, EV_SIGNED, sec->id, p) == CS_OK) {
				ss = engine_section(ui->s.eng, d->sec);
				ui_set_status(ui, false, "%s %s %s · sign-offs %d/%d%s", name, checklist_meaning_name(meaning),
					sec->id, ss->approvals, sec->signoffs, ss->gate_passed ? " · gate passed" : "");
				close = true;
			}
		}
	}
	ui_text_free(pin);
	lock_guest(ui, name);
	free(name);
	free(comment);
	if (!close && pin_wrong) {
		ui_field_clear(&d->fields[SIGN_PIN]);
		d->focus = SIGN_PIN;
	}
	return close;
}

/* True when ENGINEER has a signature on the section's current evidence. */
static bool has_signed(const struct engine_section_state *ss, const char *engineer)
{
	for (size_t k = 0; engineer && k < ss->n_signoffs; k++)
		if (!ss->signoffs[k].stale && strcmp(ss->signoffs[k].engineer, engineer) == 0)
			return true;
	return false;
}

/* When no approval can succeed (a required item has not passed): says so
 * in the dialog, naming every such item, before anyone types a PIN. */
static void approval_blocked(struct ui *ui, struct ui_dialog *d, size_t s)
{
	const struct checklist_section *sec = &ui->s.cl->sections[s];
	struct strbuf sb = {0};
	for (size_t i = 0; i < sec->n_items; i++) {
		const struct engine_item_state *is = engine_item(ui->s.eng, s, i);
		bool waiting = is->needs_attestation && !is->rechecking;
		if (!sec->items[i].required ||
			((is->gate_verdict == VERDICT_PASS || is->gate_verdict == VERDICT_WAIVED) && !waiting))
			continue;
		strbuf_addf(&sb, "%s%s (%s)", sb.len ? ", " : "", sec->items[i].id,
			waiting ? "to attest" : engine_verdict_name(is->gate_verdict));
	}
	/* every item done: what the policy still asks is the "still needs" line */
	if (sb.data)
		ui_dialog_info(d, "Approval cannot succeed yet: %s not passed. Only a rejection (with a comment) can "
			"be recorded now.", sb.data);
	strbuf_release(&sb);
}

void ui_sign_section(struct ui *ui)
{
	if (ui_read_only(ui))
		return;
	char *why = NULL;
	const struct checklist_section *sec = &ui->s.cl->sections[ui->sec];
	/* check with a name nobody has, so that only the section's rules speak */
	bool allowed = engine_can_sign(ui->s.eng, ui->sec, "", MEANING_REJECTED, NULL, &why);
	if (ui_refused(ui, allowed, why))
		return;
	const struct engine_section_state *ss = engine_section(ui->s.eng, ui->sec);
	struct ui_dialog *d = ui_dialog_new("Sign section");
	ui_dialog_info(d, "%s · items %d/%d · sign-offs %d/%d", sec->title, ss->required_done, ss->required_total,
		ss->approvals, sec->signoffs);
	char *policy = report_policy_text(&sec->policy);
	ui_dialog_info(d, "Policy: %s", policy);
	free(policy);
	for (size_t i = 0; i < sec->n_items; i++)
		ui_dialog_info(d, "  %s %-9s %s", ui_verdict_mark(ui, engine_item(ui->s.eng, ui->sec, i)->verdict),
			engine_verdict_name(engine_item(ui->s.eng, ui->sec, i)->verdict), sec->items[i].title);
	ui_dialog_info(d, "evidence digest %.16s…%s", ss->digest, ss->digest + 56);
	approval_blocked(ui, d, ui->sec);
	char *needs = engine_gate_needs(ui->s.eng, ui->sec, roster(ui));
	if (needs)
		ui_dialog_info(d, "The gate still needs %s.", needs);
	free(needs);
	snprintf(d->digest, sizeof(d->digest), "%s", ss->digest);
	/* the operator signs first as a rule; typing another name replaces it */
	ui_dialog_field(d, "Engineer", FIELD_TEXT, has_signed(ss, ui->operator) ? NULL : ui->operator);
	ui_dialog_field(d, "PIN", FIELD_SECRET, NULL);
	/* preselected: the meaning the gate counts; Space goes through the others */
	struct ui_field *m = ui_dialog_field(d, "Meaning (Space)", FIELD_CHOICE, NULL);
	m->choices = meanings;
	m->choice = (int)sec->policy.meaning;
	ui_dialog_field(d, "Comment", FIELD_TEXT, NULL);
	d->sec = ui->sec;
	d->submit = submit_sign;
	ui_dialog_open(ui, d);
}

/* --- override: break glass --- */

enum { OV_FIRST, OV_FIRST_PIN, OV_SECOND, OV_SECOND_PIN, OV_REASON, OV_INCIDENT };

/* Records the override by A and B (both PINs checked). */
static bool record_override(struct ui *ui, size_t s, const char *a, const char *b, const char *reason,
	const char *incident)
{
	cJSON *p = cJSON_CreateObject();
	cJSON *who = cJSON_AddArrayToObject(p, "engineers");
	cJSON_AddItemToArray(who, cJSON_CreateString(a));
	cJSON_AddItemToArray(who, cJSON_CreateString(b));
	cJSON_AddStringToObject(p, "reason", reason);
	cJSON_AddStringToObject(p, "incident", incident);
	const struct checklist_section *sec = &ui->s.cl->sections[s];
	struct session_guard guard = {.action = ACTION_OVERRIDE, .sec = s};
	if (session_record(&ui->s, &guard, a, EV_OVERRIDE, sec->id, p) != CS_OK)
		return false;
	ui_set_status(ui, false, "FORCED %s by %s and %s (incident %s)", sec->id, a, b, incident);
	return true;
}

/* "until 16:40:00 UTC (in 14m58s)" for a pending request, malloc'd. */
static char *pending_until(const struct engine_section_state *ss)
{
	char when[64], left[32];
	clock_format_utc(ss->pending_expires_us, when, sizeof(when));
	int64_t ms = (ss->pending_expires_us - clock_wall_us()) / 1000;
	duration_format(ms > 0 ? ms / 1000 * 1000 : 0, left, sizeof(left));
	return xasprintf("until %s (in %s)", when + 11, left);
}

static bool submit_override(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	char *a = ui_field_text(&d->fields[OV_FIRST]), *pa = ui_field_text(&d->fields[OV_FIRST_PIN]);
	char *b = ui_field_text(&d->fields[OV_SECOND]), *pb = ui_field_text(&d->fields[OV_SECOND_PIN]);
	char *reason = ui_field_text(&d->fields[OV_REASON]), *incident = ui_field_text(&d->fields[OV_INCIDENT]);
	bool close = false;
	if (!a[0] || strcmp(a, b) == 0) {
		ui_set_status(ui, true, "an override needs two distinct engineers");
	} else if (!reason[0] || !incident[0]) {
		ui_set_status(ui, true, "an override needs a reason and an incident reference");
	} else if (session_check_pin(&ui->s, a, pa, "override") != CS_OK) {
		ui_field_clear(&d->fields[OV_FIRST_PIN]);
		d->focus = OV_FIRST_PIN;
	} else if (!b[0]) {
		/* no second engineer here: ask for one elsewhere */
		const struct checklist_section *sec = &ui->s.cl->sections[d->sec];
		if (session_request_override(&ui->s, d->sec, a, reason, incident) == CS_OK) {
			char when[64];
			clock_format_utc(engine_section(ui->s.eng, d->sec)->pending_expires_us, when, sizeof(when));
			ui_set_status(ui, false, "override of %s asked: a second engineer confirms it with O until %s",
				sec->id, when + 11);
		}
		close = true;
	} else if (session_check_pin(&ui->s, b, pb, "override") != CS_OK) {
		ui_field_clear(&d->fields[OV_SECOND_PIN]);
		d->focus = OV_SECOND_PIN;
	} else {
		close = record_override(ui, d->sec, a, b, reason, incident);
	}
	ui_text_free(pa);
	ui_text_free(pb);
	lock_guest(ui, a);
	lock_guest(ui, b);
	free(a), free(b), free(reason), free(incident);
	return close;
}

static bool submit_confirm_override(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	char *name = ui_field_text(&d->fields[0]);
	char *pin = ui_field_text(&d->fields[1]);
	char *why = NULL;
	bool close = false;
	if (!engine_can_confirm_override(ui->s.eng, d->sec, name, &why)) {
		close = ui_refused(ui, false, why) && !engine_section(ui->s.eng, d->sec)->pending_active;
	} else if (session_check_pin(&ui->s, name, pin, "override") != CS_OK) {
		ui_field_clear(&d->fields[1]);
		d->focus = 1;
	} else if (session_confirm_override(&ui->s, d->sec, name) == CS_OK) {
		const struct engine_section_state *ss = engine_section(ui->s.eng, d->sec);
		ui_set_status(ui, false, "FORCED %s by %s (incident %s)", ui->s.cl->sections[d->sec].id,
			ss->override_by ? ss->override_by : name, ss->override_incident ? ss->override_incident : "");
		close = true;
	} else {
		close = true; /* refused on the newest record: the status line says why */
	}
	ui_text_free(pin);
	lock_guest(ui, name);
	free(name);
	return close;
}

/* The second engineer's half of an override asked for elsewhere. */
static void confirm_override(struct ui *ui)
{
	const struct checklist_section *sec = &ui->s.cl->sections[ui->sec];
	const struct engine_section_state *ss = engine_section(ui->s.eng, ui->sec);
	char asked[64];
	clock_format_utc(ss->pending_us, asked, sizeof(asked));
	char *until = pending_until(ss);
	struct ui_dialog *d = ui_dialog_new("Confirm override");
	ui_dialog_info(d, "%s asked at %s to force %s open and its gate passed:", ss->pending_by, asked + 11, sec->title);
	ui_dialog_info(d, "  reason: %s", ss->pending_reason ? ss->pending_reason : "");
	ui_dialog_info(d, "  incident: %s", ss->pending_incident ? ss->pending_incident : "");
	ui_dialog_info(d, "It waits for a second engineer %s. Confirming records the override by both; it shows "
		"as FORCED everywhere.", until);
	free(until);
	bool self = ui->operator && strcmp(ui->operator, ss->pending_by) == 0;
	if (self)
		ui_dialog_info(d, "You asked for it: another engineer confirms it, here with their name and PIN or "
			"from their own terminal.");
	ui_dialog_field(d, "Second engineer", FIELD_TEXT, self ? NULL : ui->operator);
	ui_dialog_field(d, "PIN", FIELD_SECRET, NULL);
	d->sec = ui->sec;
	d->submit = submit_confirm_override;
	ui_dialog_open(ui, d);
}

void ui_override_section(struct ui *ui)
{
	if (ui_read_only(ui))
		return;
	char *why = NULL;
	bool allowed = engine_can_override(ui->s.eng, ui->sec, &why);
	if (ui_refused(ui, allowed, why))
		return;
	if (engine_section(ui->s.eng, ui->sec)->pending_active) {
		confirm_override(ui);
		return;
	}
	const struct checklist_section *sec = &ui->s.cl->sections[ui->sec];
	struct ui_dialog *d = ui_dialog_new("Override (break glass)");
	ui_dialog_info(d, "Force %s open and its gate passed; shown as FORCED everywhere. Two engineers, a "
		"reason and an incident reference.", sec->title);
	ui_dialog_info(d, "No second engineer here? Leave theirs empty: the request then waits 15 minutes for one "
		"to confirm it from their own terminal (O on this section).");
	ui_dialog_field(d, "First engineer", FIELD_TEXT, ui->operator);
	ui_dialog_field(d, "First PIN", FIELD_SECRET, NULL);
	ui_dialog_field(d, "Second engineer", FIELD_TEXT, NULL);
	ui_dialog_field(d, "Second PIN", FIELD_SECRET, NULL);
	ui_dialog_field(d, "Reason", FIELD_TEXT, NULL);
	ui_dialog_field(d, "Incident", FIELD_TEXT, NULL);
	d->sec = ui->sec;
	d->submit = submit_override;
	ui_dialog_open(ui, d);
}
