/* The commands that record a decision: attest, waive, choose, sign,
 * override, note, abort. Each checks the engine's rule first (nothing is
 * written when refused), then the PINs, then appends one event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/opts.h"
#include "cli/cli_session.h"
#include "cli/cli_text.h"
#include "countersign/exec.h"
#include "countersign/util.h"
#include "countersign/vars.h"

struct recorder {
	struct session s;
	struct opts o;
	size_t sec, item;
	struct var_values vars;
	struct exec *notifier;
};

/* Parses, opens the run and resolves TARGET_POS (or none when < 0). */
static int begin(struct recorder *r, const struct cli_global *g, const char *command, const char *usage,
	int argc, char **argv, const char *allowed, int n_pos, int target_pos, bool want_item)
{
	memset(r, 0, sizeof(*r));
	if (!opts_parse(command, usage, argc, argv, allowed, n_pos, &r->o))
		return CS_INVALID;
	if (r->o.n_pos < 1 || (target_pos >= 0 && r->o.n_pos <= target_pos) || r->o.n_engineers < 1) {
		cli_error(command, "missing arguments; usage: %s", usage);
		return CS_INVALID;
	}
	int rc = cli_session_open(&r->s, g, command);
	if (rc == CS_OK)
		rc = session_load_run(&r->s, r->o.pos[0]);
	if (rc == CS_OK && target_pos >= 0)
		rc = session_find(&r->s, r->o.pos[target_pos], &r->sec, want_item ? &r->item : NULL);
	if (rc == CS_OK)
		r->notifier = cli_notifier_begin(&r->s, &r->vars);
	return rc;
}

static int record(struct recorder *r, const struct session_guard *guard, const char *actor, const char *kind,
	const char *target, cJSON *payload)
{
	return session_record(&r->s, guard, actor, kind, target, payload);
}

static char *item_target(const struct recorder *r)
{
	const struct checklist_section *sec = &r->s.cl->sections[r->sec];
	return xasprintf("%s/%s", sec->id, sec->items[r->item].id);
}

static void print_gate(struct recorder *r)
{
	const struct checklist_section *sec = &r->s.cl->sections[r->sec];
	const struct engine_section_state *ss = engine_section(r->s.eng, r->sec);
	printf("%s: %s · items %d/%d · sign-offs %d/%d%s\n", cli_safe(sec->id), engine_section_mark_name(ss->mark),
		ss->required_done, ss->required_total, ss->approvals, sec->signoffs,
		ss->gate_passed ? " · gate passed" : "");
	char *needs = engine_gate_needs(r->s.eng, r->sec, session_roster(&r->s));
	if (needs)
		printf("the gate still needs %s\n", cli_safe(needs));
	free(needs);
	if (engine_status(r->s.eng) == RUN_COMPLETED)
		printf("run %s completed: every gate has passed\n", cli_safe(r->s.run.id));
}

static int finish(struct recorder *r, int rc)
{
	cli_notifier_end(r->notifier);
	r->notifier = NULL;
	vars_clear(&r->vars);
	session_close(&r->s);
	return rc;
}

int cmd_attest(const struct cli_global *g, int argc, char **argv)
{
	struct recorder r;
	const char *usage = "countersign attest RUN SECTION/ITEM --engineer NAME [--note TEXT] [--value TEXT] [--fail] "
		"[--yes] [--pin-stdin]";
	int rc = begin(&r, g, "attest", usage, argc, argv, "engineer note value fail yes pin-stdin", 2, 1, true);
	char *why = NULL;
	if (rc != CS_OK)
		return finish(&r, rc);
	const struct checklist_item *it = &r.s.cl->sections[r.sec].items[r.item];
	if (it->attest_value && !r.o.fail && (!r.o.value || r.o.value[strspn(r.o.value, " \t")] == '\0')) {
		cli_error("attest", "%s asks for the value read (%s): add --value TEXT", it->id,
			cli_safe(it->expect ? it->expect : it->title));
		return finish(&r, CS_INVALID);
	}
	if (!engine_can_attest(r.s.eng, r.sec, r.item, &why))
		return finish(&r, session_refuse(&r.s, why));
	/* Attesting again after the gate passed is a re-check: asked like one. */
	char *warning = session_recheck_warning(&r.s, r.sec, r.item);
	if (warning && !r.o.yes) {
		cli_error("attest", "%s Add --yes to attest it again.", warning);
		free(warning);
		return finish(&r, CS_REFUSED);
	}
	free(warning);
	if ((rc = cli_authenticate(&r.s, r.s.report.data, r.o.engineers[0], r.o.pin_stdin)) != CS_OK)
		return finish(&r, rc);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "verdict", r.o.fail ? "fail" : "pass");
	if (r.o.note)
		cJSON_AddStringToObject(p, "note", r.o.note);
	if (r.o.value)
		cJSON_AddStringToObject(p, "value", r.o.value);
	char *target = item_target(&r);
	rc = record(&r, &(struct session_guard){.action = ACTION_ATTEST, .sec = r.sec, .item = r.item}, r.o.engineers[0], EV_ATTESTED, target, p);
	if (rc == CS_OK)
		printf("%s: %s attested by %s\n", r.o.fail ? "fail" : "pass", cli_safe(target), cli_safe(r.o.engineers[0]));
	free(target);
	if (rc == CS_OK)
		print_gate(&r);
	return finish(&r, rc);
}

int cmd_waive(const struct cli_global *g, int argc, char **argv)
{
	struct recorder r;
	const char *usage = "countersign waive RUN SECTION/ITEM --engineer NAME --reason TEXT [--pin-stdin]";
	int rc = begin(&r, g, "waive", usage, argc, argv, "engineer reason pin-stdin", 2, 1, true);
	char *why = NULL;
	if (rc != CS_OK)
		return finish(&r, rc);
	if (!r.o.reason || !r.o.reason[0]) {
		cli_error("waive", "a waiver needs --reason TEXT");
		return finish(&r, CS_INVALID);
	}
	if (!engine_can_waive(r.s.eng, r.sec, r.item, &why))
		return finish(&r, session_refuse(&r.s, why));
	if ((rc = cli_authenticate(&r.s, r.s.report.data, r.o.engineers[0], r.o.pin_stdin)) != CS_OK)
		return finish(&r, rc);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "reason", r.o.reason);
	char *target = item_target(&r);
	rc = record(&r, &(struct session_guard){.action = ACTION_WAIVE, .sec = r.sec, .item = r.item}, r.o.engineers[0], EV_WAIVED, target, p);
	if (rc == CS_OK)
		printf("waived: %s by %s\n", cli_safe(target), cli_safe(r.o.engineers[0]));
	free(target);
	if (rc == CS_OK)
		print_gate(&r);
	return finish(&r, rc);
}

int cmd_choose(const struct cli_global *g, int argc, char **argv)
{
	struct recorder r;
	const char *usage = "countersign choose RUN SECTION --engineer NAME [--pin-stdin]";
	int rc = begin(&r, g, "choose", usage, argc, argv, "engineer pin-stdin", 2, 1, false);
	char *why = NULL;
	if (rc != CS_OK)
		return finish(&r, rc);
	if (!engine_can_choose(r.s.eng, r.sec, &why))
		return finish(&r, session_refuse(&r.s, why));
	if ((rc = cli_authenticate(&r.s, r.s.report.data, r.o.engineers[0], r.o.pin_stdin)) != CS_OK)
		return finish(&r, rc);
	const struct checklist_section *sec = &r.s.cl->sections[r.sec];
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "group", sec->choice);
	rc = record(&r, &(struct session_guard){.action = ACTION_CHOOSE, .sec = r.sec}, r.o.engineers[0], EV_CHOSEN, sec->id, p);
	if (rc == CS_OK)
		printf("chosen: %s for \"%s\"; the other alternatives are skipped\n", cli_safe(sec->id), cli_safe(sec->choice));
	return finish(&r, rc);
}

/* The meaning --meaning (or --reject) gives; false with the problem printed. */
static bool sign_meaning(const struct opts *o, enum checklist_meaning *out)
{
	*out = o->reject ? MEANING_REJECTED : MEANING_APPROVED;
	if (!o->meaning)
		return true;
	if (!checklist_meaning_parse(o->meaning, out)) {
		cli_error("sign", "unknown meaning \"%s\": give performed, reviewed, approved or rejected",
			cli_safe(o->meaning));
		return false;
	}
	if (o->reject && *out != MEANING_REJECTED) {
		cli_error("sign", "--reject is --meaning rejected: give one meaning");
		return false;
	}
	return true;
}

int cmd_sign(const struct cli_global *g, int argc, char **argv)
{
	struct recorder r;
	const char *usage = "countersign sign RUN SECTION --engineer NAME [--meaning performed|reviewed|approved|rejected] "
		"[--reject] [--comment TEXT] [--pin-stdin]";
	int rc = begin(&r, g, "sign", usage, argc, argv, "engineer meaning reject comment pin-stdin", 2, 1, false);
	char *why = NULL;
	if (rc != CS_OK)
		return finish(&r, rc);
	enum checklist_meaning meaning;
	if (!sign_meaning(&r.o, &meaning))
		return finish(&r, CS_INVALID);
	if (meaning == MEANING_REJECTED && (!r.o.comment || !r.o.comment[0])) {
		cli_error("sign", "a rejection needs --comment TEXT saying what is wrong");
		return finish(&r, CS_INVALID);
	}
	const char *who = r.o.engineers[0];
	if (!engine_can_sign(r.s.eng, r.sec, who, meaning, session_roster(&r.s), &why))
		return finish(&r, session_refuse(&r.s, why));
	if ((rc = cli_authenticate(&r.s, "sign", who, r.o.pin_stdin)) != CS_OK)
		return finish(&r, rc);
	const struct checklist_section *sec = &r.s.cl->sections[r.sec];
	const struct engine_section_state *ss = engine_section(r.s.eng, r.sec);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "meaning", checklist_meaning_name(meaning));
	if (r.o.comment)
		cJSON_AddStringToObject(p, "comment", r.o.comment);
	cJSON_AddStringToObject(p, "digest", ss->digest);
	char digest[EVENT_HASH_HEX];
	memcpy(digest, ss->digest, sizeof(digest));
	struct session_guard guard = {.action = ACTION_SIGN, .sec = r.sec, .engineer = who, .meaning = meaning,
		.digest = digest};
	rc = record(&r, &guard, who, EV_SIGNED, sec->id, p);
	if (rc == CS_OK) {
		printf("%s: %s signed evidence %.16s... of %s\n", checklist_meaning_name(meaning), cli_safe(who), digest,
			cli_safe(sec->id));
		print_gate(&r);
	}
	return finish(&r, rc);
}

/* override --request / --confirm: the two engineers of a break glass at two
 * terminals (or hosts), one asking, the other confirming within the limit. */
static int override_remote(struct recorder *r, const char *usage)
{
	const struct checklist_section *sec = &r->s.cl->sections[r->sec];
	char *why = NULL;
	int rc;
	if (r->o.request == r->o.confirm || r->o.n_engineers != 1) {
		cli_error("override", "give --request or --confirm, with one --engineer; usage: %s", usage);
		return CS_INVALID;
	}
	if (r->o.request) {
		if (!r->o.reason || !r->o.reason[0] || !r->o.incident || !r->o.incident[0]) {
			cli_error("override", "an override needs --reason TEXT and --incident REF");
			return CS_INVALID;
		}
		if (!engine_can_request_override(r->s.eng, r->sec, &why))
			return session_refuse(&r->s, why);
		if ((rc = cli_authenticate(&r->s, "override", r->o.engineers[0], r->o.pin_stdin)) != CS_OK)
			return rc;
		rc = session_request_override(&r->s, r->sec, r->o.engineers[0], r->o.reason, r->o.incident);
		if (rc == CS_OK)
			printf("pending: override of %s asked by %s; a second engineer confirms it within 15 minutes with\n"
				"  countersign override %s %s --confirm --engineer NAME\n", cli_safe(sec->id),
				cli_safe(r->o.engineers[0]), cli_safe(r->s.run.id), cli_safe(sec->id));
		return rc;
	}
	if (r->o.reason || r->o.incident) {
		cli_error("override", "--confirm takes the reason and incident of the request; give neither");
		return CS_INVALID;
	}
	if (!engine_can_confirm_override(r->s.eng, r->sec, r->o.engineers[0], &why))
		return session_refuse(&r->s, why);
	const struct engine_section_state *ss = engine_section(r->s.eng, r->sec);
	fprintf(stderr, "Override of %s asked by %s: %s (incident %s)\n", cli_safe(sec->id), cli_safe(ss->pending_by),
		cli_safe(ss->pending_reason), cli_safe(ss->pending_incident));
	if ((rc = cli_authenticate(&r->s, "override", r->o.engineers[0], r->o.pin_stdin)) != CS_OK)
		return rc;
	char *by = xstrdup(ss->pending_by), *incident = xstrdup(ss->pending_incident ? ss->pending_incident : "");
	rc = session_confirm_override(&r->s, r->sec, r->o.engineers[0]);
	if (rc == CS_OK) {
		printf("FORCED: %s by %s and %s (incident %s)\n", cli_safe(sec->id), cli_safe(by),
			cli_safe(r->o.engineers[0]), cli_safe(incident));
		print_gate(r);
	}
	free(by);
	free(incident);
	return rc;
}

int cmd_override(const struct cli_global *g, int argc, char **argv)
{
	struct recorder r;
	const char *usage = "countersign override RUN SECTION --engineer A --engineer B --reason TEXT "
		"--incident REF [--pin-stdin]\n"
		"       countersign override RUN SECTION --request --engineer A --reason TEXT --incident REF [--pin-stdin]\n"
		"       countersign override RUN SECTION --confirm --engineer B [--pin-stdin]";
	int rc = begin(&r, g, "override", usage, argc, argv, "engineer+ reason incident pin-stdin request confirm", 2, 1,
		false);
	char *why = NULL;
	if (rc != CS_OK)
		return finish(&r, rc);
	if (r.o.request || r.o.confirm)
		return finish(&r, override_remote(&r, usage));
	if (r.o.n_engineers != 2 || strcmp(r.o.engineers[0], r.o.engineers[1]) == 0) {
		cli_error("override", "an override needs two distinct engineers (--engineer A --engineer B)");
		return finish(&r, CS_INVALID);
	}
	if (!r.o.reason || !r.o.reason[0] || !r.o.incident || !r.o.incident[0]) {
		cli_error("override", "an override needs --reason TEXT and --incident REF");
		return finish(&r, CS_INVALID);
	}
	if (!engine_can_override(r.s.eng, r.sec, &why))
		return finish(&r, session_refuse(&r.s, why));
	for (int i = 0; i < 2; i++)
		if ((rc = cli_authenticate(&r.s, "override", r.o.engineers[i], r.o.pin_stdin)) != CS_OK)
			return finish(&r, rc);
	const struct checklist_section *sec = &r.s.cl->sections[r.sec];
	cJSON *p = cJSON_CreateObject();
	cJSON *who = cJSON_AddArrayToObject(p, "engineers");
	cJSON_AddItemToArray(who, cJSON_CreateString(r.o.engineers[0]));
	cJSON_AddItemToArray(who, cJSON_CreateString(r.o.engineers[1]));
	cJSON_AddStringToObject(p, "reason", r.o.reason);
	cJSON_AddStringToObject(p, "incident", r.o.incident);
	rc = record(&r, &(struct session_guard){.action = ACTION_OVERRIDE, .sec = r.sec}, r.o.engineers[0], EV_OVERRIDE, sec->id, p);
	if (rc == CS_OK) {
		printf("FORCED: %s by %s and %s (incident %s)\n", cli_safe(sec->id), cli_safe(r.o.engineers[0]),
			cli_safe(r.o.engineers[1]), cli_safe(r.o.incident));
		print_gate(&r);
	}
	return finish(&r, rc);
}

int cmd_note(const struct cli_global *g, int argc, char **argv)
{
	struct recorder r;
	const char *usage = "countersign note RUN [SECTION[/ITEM]] --engineer NAME TEXT [--pin-stdin]";
	int rc = begin(&r, g, "note", usage, argc, argv, "engineer pin-stdin", 3, -1, false);
	char *why = NULL;
	if (rc != CS_OK)
		return finish(&r, rc);
	if (r.o.n_pos < 2) {
		cli_error("note", "no text; usage: %s", usage);
		return finish(&r, CS_INVALID);
	}
	const char *target = r.o.n_pos == 3 ? r.o.pos[1] : "";
	const char *text = r.o.pos[r.o.n_pos - 1];
	if (!opts_text_valid("note", "the note's TEXT", text))
		return finish(&r, CS_INVALID);
	if (target[0]) {
		size_t sec, item;
		rc = session_find(&r.s, target, &sec, strchr(target, '/') ? &item : NULL);
		if (rc != CS_OK)
			return finish(&r, rc);
	}
	if (!engine_can_note(r.s.eng, &why))
		return finish(&r, session_refuse(&r.s, why));
	if ((rc = cli_authenticate(&r.s, r.s.report.data, r.o.engineers[0], r.o.pin_stdin)) != CS_OK)
		return finish(&r, rc);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "text", text);
	rc = record(&r, &(struct session_guard){.action = ACTION_NOTE}, r.o.engineers[0], EV_NOTE, target, p);
	if (rc == CS_OK)
		printf("noted%s%s\n", target[0] ? " on " : "", cli_safe(target));
	return finish(&r, rc);
}

int cmd_abort(const struct cli_global *g, int argc, char **argv)
{
	struct recorder r;
	const char *usage = "countersign abort RUN --engineer NAME --reason TEXT [--pin-stdin]";
	int rc = begin(&r, g, "abort", usage, argc, argv, "engineer reason pin-stdin", 1, -1, false);
	char *why = NULL;
	if (rc != CS_OK)
		return finish(&r, rc);
	if (!r.o.reason || !r.o.reason[0]) {
		cli_error("abort", "aborting a run needs --reason TEXT");
		return finish(&r, CS_INVALID);
	}
	if (!engine_can_abort(r.s.eng, &why))
		return finish(&r, session_refuse(&r.s, why));
	if ((rc = cli_authenticate(&r.s, r.s.report.data, r.o.engineers[0], r.o.pin_stdin)) != CS_OK)
		return finish(&r, rc);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "reason", r.o.reason);
	rc = record(&r, &(struct session_guard){.action = ACTION_ABORT}, r.o.engineers[0], EV_RUN_ABORTED, "", p);
	if (rc == CS_OK)
		printf("run %s aborted: %s\n", cli_safe(r.s.run.id), cli_safe(r.o.reason));
	return finish(&r, rc);
}
