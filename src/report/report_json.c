/* The report as one JSON document (docs/report-format.md, checked against
 * data/report.schema.json): everything the model holds, every time both
 * as UTC text and as microseconds, absent values as null. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "report/report_internal.h"

/* The format of the document, raised when a field changes meaning or goes. */
#define REPORT_JSON_VERSION 2

static void add_text_or_null(cJSON *obj, const char *key, const char *s)
{
	if (s && *s)
		cJSON_AddStringToObject(obj, key, s);
	else
		cJSON_AddNullToObject(obj, key);
}

/* V as JSON text exactly: a double would round a whole number beyond 2^53
 * (an estimate of 640000000000h1ms) and write it as 2.304e+18. */
static void add_int(cJSON *obj, const char *key, int64_t v)
{
	char text[24];
	snprintf(text, sizeof(text), "%" PRId64, v);
	cJSON_AddRawToObject(obj, key, text);
}

static void add_int_or_null(cJSON *obj, const char *key, int64_t v, bool present)
{
	if (present)
		add_int(obj, key, v);
	else
		cJSON_AddNullToObject(obj, key);
}

/* KEY: "2026-11-26T19:00:00Z" and KEY_us: microseconds, or both null. */
static void add_time(cJSON *obj, const char *key, int64_t t_us)
{
	char iso[REPORT_TIME_SIZE], key_us[64];
	report_time_iso(t_us, iso, sizeof(iso));
	snprintf(key_us, sizeof(key_us), "%s_us", key);
	add_text_or_null(obj, key, iso);
	add_int_or_null(obj, key_us, t_us, t_us != 0);
}

static cJSON *strings_json(char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t k = 0; k < n; k++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[k]));
	return a;
}

/* The sign-off policy of a gated section, or null. */
static void add_policy(cJSON *obj, const struct report_section *rs)
{
	if (!rs->policy[0]) {
		cJSON_AddNullToObject(obj, "policy");
		return;
	}
	cJSON *p = cJSON_AddObjectToObject(obj, "policy");
	cJSON_AddNumberToObject(p, "count", rs->signoffs_required);
	cJSON_AddStringToObject(p, "meaning", rs->policy_meaning);
	cJSON_AddItemToObject(p, "roles", strings_json(rs->policy_roles, rs->n_policy_roles));
	cJSON_AddBoolToObject(p, "independent", rs->policy_independent);
	cJSON_AddBoolToObject(p, "performed", rs->policy_performed);
	cJSON_AddStringToObject(p, "text", rs->policy);
}

static cJSON *signature_json(const struct report_signature *rs, bool with_section)
{
	cJSON *j = cJSON_CreateObject();
	if (with_section)
		cJSON_AddStringToObject(j, "section", rs->section);
	cJSON_AddStringToObject(j, "engineer", rs->engineer);
	cJSON_AddStringToObject(j, "full_name", rs->full_name);
	cJSON_AddStringToObject(j, "meaning", rs->meaning);
	cJSON_AddItemToObject(j, "roles", strings_json(rs->roles, rs->n_roles));
	add_text_or_null(j, "comment", rs->comment);
	add_time(j, "time", rs->time_us);
	add_int(j, "seq", rs->seq);
	cJSON_AddStringToObject(j, "os_user", rs->os_user);
	cJSON_AddStringToObject(j, "host", rs->host);
	cJSON_AddStringToObject(j, "tty", rs->tty);
	cJSON_AddStringToObject(j, "digest", rs->digest);
	cJSON_AddBoolToObject(j, "stale", rs->stale);
	cJSON_AddBoolToObject(j, "superseded", rs->superseded);
	cJSON_AddBoolToObject(j, "counted", rs->counted);
	cJSON_AddBoolToObject(j, "performs", rs->performs);
	return j;
}

static cJSON *item_json(const struct report_item *ri)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", ri->id);
	cJSON_AddStringToObject(j, "title", ri->title);
	cJSON_AddStringToObject(j, "kind", ri->kind);
	cJSON_AddBoolToObject(j, "required", ri->required);
	cJSON_AddStringToObject(j, "verdict", ri->verdict);
	add_text_or_null(j, "checked", ri->checked);
	cJSON_AddNumberToObject(j, "attempts", ri->attempts);
	add_time(j, "started", ri->started_us);
	add_time(j, "finished", ri->finished_us);
	add_int_or_null(j, "duration_ms", ri->duration_ms, ri->duration_ms >= 0);
	add_int_or_null(j, "exit_status", ri->exit_status, ri->exit_status >= 0);
	add_int_or_null(j, "http_status", ri->http_status, ri->http_status > 0);
	add_text_or_null(j, "message", ri->message);
	add_text_or_null(j, "by", ri->actor);
	add_text_or_null(j, "value", ri->value);
	if (ri->output_bytes >= 0 || ri->excerpt[0]) {
		cJSON *o = cJSON_AddObjectToObject(j, "output");
		add_int_or_null(o, "bytes", ri->output_bytes, ri->output_bytes >= 0);
		add_int(o, "omitted", ri->output_omitted);
		add_text_or_null(o, "sha256", ri->output_sha256);
		cJSON_AddStringToObject(o, "excerpt", ri->excerpt);
	} else {
		cJSON_AddNullToObject(j, "output");
	}
	cJSON_AddNumberToObject(j, "rechecks", ri->rechecks);
	return j;
}

static cJSON *section_json(const struct report_section *rs)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", rs->id);
	cJSON_AddStringToObject(j, "title", rs->title);
	add_text_or_null(j, "phase", rs->phase);
	cJSON_AddStringToObject(j, "gate", rs->gate);
	cJSON_AddNumberToObject(j, "signoffs_required", rs->signoffs_required);
	add_policy(j, rs);
	if (rs->estimate_hi_ms) {
		cJSON *e = cJSON_AddObjectToObject(j, "estimate");
		add_int(e, "low_ms", rs->estimate_lo_ms);
		add_int(e, "high_ms", rs->estimate_hi_ms);
	} else {
		cJSON_AddNullToObject(j, "estimate");
	}
	add_time(j, "first_activity", rs->first_us);
	add_time(j, "gate_passed", rs->passed_us);
	add_int_or_null(j, "actual_ms", rs->actual_ms, rs->actual_ms >= 0);
	cJSON_AddStringToObject(j, "digest", rs->digest);
	add_text_or_null(j, "same_origin_warning", rs->same_origin_warning);
	cJSON *items = cJSON_AddArrayToObject(j, "items");
	for (size_t i = 0; i < rs->n_items; i++)
		cJSON_AddItemToArray(items, item_json(&rs->items[i]));
	cJSON *sigs = cJSON_AddArrayToObject(j, "signatures");
	for (size_t k = 0; k < rs->n_signatures; k++)
		cJSON_AddItemToArray(sigs, signature_json(&rs->signatures[k], false));
	return j;
}

static cJSON *run_json(const struct report *r)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", r->run_id);
	cJSON_AddStringToObject(j, "title", r->title);
	cJSON_AddStringToObject(j, "state", r->state);
	add_time(j, "started", r->started_us);
	add_time(j, "ended", r->ended_us);
	cJSON_AddStringToObject(j, "started_by", r->started_by);
	add_text_or_null(j, "current_section", r->current_section);
	add_text_or_null(j, "aborted_by", r->aborted_by);
	add_text_or_null(j, "abort_reason", r->abort_reason);
	cJSON *vars = cJSON_AddArrayToObject(j, "variables");
	for (size_t k = 0; k < r->n_variables; k++) {
		cJSON *v = cJSON_CreateObject();
		cJSON_AddStringToObject(v, "name", r->variables[k].name);
		cJSON_AddStringToObject(v, "value", r->variables[k].value);
		cJSON_AddBoolToObject(v, "secret", r->variables[k].secret);
		cJSON_AddItemToArray(vars, v);
	}
	if (r->window_ms) {
		cJSON *w = cJSON_AddObjectToObject(j, "window");
		add_int(w, "duration_ms", r->window_ms);
		add_text_or_null(w, "starts_at", r->window_starts_at);
		add_time(w, "started", r->window_started_us);
	} else {
		cJSON_AddNullToObject(j, "window");
	}
	return j;
}

/* A waiver or a note: who said WHAT (under KEY) about TARGET, and when.
 * Both carry the same fields, so one shape serves both. Returns a new
 * object; the caller adds it to a document, which then owns it. */
static cJSON *remark_json(const char *target, const char *engineer, const char *key,
	const char *what, int64_t time_us)
{
	cJSON *w = cJSON_CreateObject();
	cJSON_AddStringToObject(w, "target", target);
	cJSON_AddStringToObject(w, "engineer", engineer);
	cJSON_AddStringToObject(w, key, what);
	add_time(w, "time", time_us);
	return w;
}

static void add_record(cJSON *doc, const struct report *r)
{
	cJSON *rej = cJSON_AddArrayToObject(doc, "rejections");
	for (size_t k = 0; k < r->n_rejections; k++)
		cJSON_AddItemToArray(rej, signature_json(&r->rejections[k], true));
	cJSON *wv = cJSON_AddArrayToObject(doc, "waivers");
	for (size_t k = 0; k < r->n_waivers; k++)
		cJSON_AddItemToArray(wv, remark_json(r->waivers[k].target, r->waivers[k].engineer,
			"reason", r->waivers[k].reason, r->waivers[k].time_us));
	cJSON *ov = cJSON_AddArrayToObject(doc, "overrides");
	for (size_t k = 0; k < r->n_overrides; k++) {
		const struct report_override *o = &r->overrides[k];
		cJSON *w = cJSON_CreateObject();
		cJSON_AddStringToObject(w, "section", o->section);
		const char *who[] = {o->engineer_a, o->engineer_b};
		cJSON_AddItemToObject(w, "engineers", cJSON_CreateStringArray(who, o->engineer_b[0] ? 2 : 1));
		cJSON_AddStringToObject(w, "reason", o->reason);
		cJSON_AddStringToObject(w, "incident", o->incident);
		add_time(w, "time", o->time_us);
		cJSON_AddItemToArray(ov, w);
	}
	cJSON *nt = cJSON_AddArrayToObject(doc, "notes");
	for (size_t k = 0; k < r->n_notes; k++)
		cJSON_AddItemToArray(nt, remark_json(r->notes[k].target, r->notes[k].engineer,
			"text", r->notes[k].text, r->notes[k].time_us));
	cJSON *pf = cJSON_AddArrayToObject(doc, "pin_failures");
	for (size_t k = 0; k < r->n_pin_failures; k++) {
		const struct report_pin_failure *f = &r->pin_failures[k];
		cJSON *w = cJSON_CreateObject();
		cJSON_AddStringToObject(w, "engineer", f->engineer);
		cJSON_AddStringToObject(w, "command", f->command);
		cJSON_AddStringToObject(w, "os_user", f->os_user);
		cJSON_AddStringToObject(w, "host", f->host);
		cJSON_AddStringToObject(w, "tty", f->tty);
		cJSON_AddBoolToObject(w, "lockout", f->lockout);
		add_time(w, "time", f->time_us);
		cJSON_AddItemToArray(pf, w);
	}
}

static cJSON *audit_json(const struct report *r)
{
	cJSON *a = cJSON_CreateObject();
	add_int(a, "events", r->events);
	cJSON_AddStringToObject(a, "head", r->head);
	cJSON_AddBoolToObject(a, "verified", r->verified);
	cJSON_AddStringToObject(a, "verify_message", r->verify_message);
	char *cmd = report_verify_command(r);
	cJSON_AddStringToObject(a, "verify_command", cmd);
	free(cmd);
	if (r->checkpoint[0])
		cJSON_AddStringToObject(a, "checkpoint", r->checkpoint);
	else
		cJSON_AddNullToObject(a, "checkpoint");
	return a;
}

bool report_write_json(const struct report *r, FILE *out)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "format", "countersign-report");
	cJSON_AddNumberToObject(doc, "format_version", REPORT_JSON_VERSION);
	cJSON_AddStringToObject(doc, "generator", r->generator);
	add_time(doc, "generated", r->generated_us);
	cJSON *cl = cJSON_AddObjectToObject(doc, "checklist");
	cJSON_AddStringToObject(cl, "id", r->checklist_id);
	cJSON_AddStringToObject(cl, "title", r->checklist_title);
	cJSON_AddStringToObject(cl, "sha256", r->checklist_sha256);
	cJSON_AddItemToObject(doc, "run", run_json(r));
	cJSON *secs = cJSON_AddArrayToObject(doc, "sections");
	for (size_t s = 0; s < r->n_sections; s++)
		cJSON_AddItemToArray(secs, section_json(&r->sections[s]));
	add_record(doc, r);
	cJSON_AddItemToObject(doc, "audit", audit_json(r));
	char *text = cJSON_Print(doc);
	cJSON_Delete(doc);
	bool ok = text && fputs(text, out) >= 0 && fputc('\n', out) != EOF;
	free(text);
	return ok;
}
