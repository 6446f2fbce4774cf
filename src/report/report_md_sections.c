/* The Markdown rendering's sections (gate, items, output excerpts,
 * sign-offs) and the record's exceptions: rejections, waivers, overrides,
 * notes and wrong PINs, each a table or "None.". */
#include <stdlib.h>
#include <string.h>

#include "report/report_md.h"

/* The item's verdict cell: a waiver shows what it waived, a failure is loud. */
static void verdict_cell(struct strbuf *sb, const struct report_item *ri)
{
	char *v;
	if (strcmp(ri->verdict, "waived") == 0)
		v = xasprintf("**WAIVED** (was %s)", ri->checked[0] ? ri->checked : "?");
	else if (report_verdict_failed(ri->verdict))
		v = xasprintf("**%s**", ri->verdict);
	else
		v = xstrdup(ri->verdict);
	if (ri->rechecks) {
		char *w = xasprintf("%s, re-checked %dx after sign-off", v, ri->rechecks);
		free(v);
		v = w;
	}
	md_cell_raw(sb, v);
	free(v);
}

static void add_items(struct strbuf *sb, const struct report *r, const struct report_section *rs)
{
	MD_HEADER(sb, "Item", "Kind", "Verdict", "Attempts", "Started", "Finished", "Duration", "Status", "By",
		"Message");
	for (size_t i = 0; i < rs->n_items; i++) {
		const struct report_item *ri = &rs->items[i];
		char n[16], dur[32], st[32] = "";
		strbuf_addf(sb, "| `%s` ", ri->id);
		md_text(sb, ri->title, true);
		if (!ri->required)
			strbuf_addstr(sb, " (optional)");
		strbuf_addstr(sb, " |");
		md_cell_raw(sb, ri->kind);
		verdict_cell(sb, ri);
		snprintf(n, sizeof(n), "%d", ri->attempts);
		md_cell_raw(sb, n);
		md_cell_time(sb, ri->started_us);
		md_cell_time(sb, ri->finished_us);
		report_duration_text(ri->duration_ms, dur, sizeof(dur));
		md_cell_raw(sb, dur);
		if (ri->http_status > 0)
			snprintf(st, sizeof(st), "HTTP %d", ri->http_status);
		else if (ri->exit_status >= 0)
			snprintf(st, sizeof(st), "exit %d", ri->exit_status);
		md_cell_raw(sb, st);
		md_cell(sb, ri->actor);
		const struct report_waiver *w = strcmp(ri->verdict, "waived") == 0 ? report_waiver_of(r, rs->id, ri->id) : NULL;
		struct strbuf m = {0};
		strbuf_addstr(&m, w ? "waived: " : "");
		strbuf_addstr(&m, ri->message);
		if (ri->value[0])
			strbuf_addf(&m, "%svalue: %s", m.len ? "; " : "", ri->value);
		md_cell(sb, m.data);
		strbuf_release(&m);
		strbuf_addstr(sb, "\n");
	}
	strbuf_addstr(sb, "\n");
}

void md_fenced(struct strbuf *sb, const char *text)
{
	size_t run = 0, longest = 0;
	for (const char *p = text; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		longest = run > longest ? run : longest;
	}
	size_t fence = longest < 3 ? 3 : longest + 1;
	for (size_t k = 0; k < fence; k++)
		strbuf_addstr(sb, "`");
	strbuf_addstr(sb, "text\n");
	strbuf_addstr(sb, text);  /* as it is, not through a format */
	strbuf_addstr(sb, "\n");
	for (size_t k = 0; k < fence; k++)
		strbuf_addstr(sb, "`");
	strbuf_addstr(sb, "\n");
}

static void add_excerpts(struct strbuf *sb, const struct report_section *rs)
{
	for (size_t i = 0; i < rs->n_items; i++) {
		const struct report_item *ri = &rs->items[i];
		if (!ri->excerpt[0])
			continue;
		strbuf_addf(sb, "Output of `%s/%s`", rs->id, ri->id);
		if (ri->output_bytes >= 0)
			strbuf_addf(sb, " (%lld bytes%s%s%s)", (long long)ri->output_bytes,
				ri->output_sha256[0] ? ", sha256 `" : "", ri->output_sha256, ri->output_sha256[0] ? "`" : "");
		strbuf_addstr(sb, strlen(ri->excerpt) >= REPORT_EXCERPT_BYTES ? ", its last lines:\n\n" : ":\n\n");
		md_fenced(sb, ri->excerpt);  /* up to 4 KiB */
		strbuf_addstr(sb, "\n");
	}
}

/* POLICY_MEANING: what the section's gate counts (NULL in the rejections table). */
static void signature_row(struct strbuf *sb, const struct report_signature *so, bool with_section,
	const char *policy_meaning)
{
	strbuf_addstr(sb, "|");
	if (with_section)
		strbuf_addf(sb, " `%s` |", so->section);
	md_cell(sb, so->engineer);
	md_cell(sb, so->full_name);
	char *roles = report_roles_text((const char *const *)so->roles, so->n_roles);
	md_cell(sb, roles);
	free(roles);
	if (report_signature_rejects(so))
		md_cell_raw(sb, "**REJECTED**");
	else
		md_cell(sb, so->meaning);
	md_cell_time(sb, so->time_us);
	md_cell(sb, so->os_user);
	md_cell(sb, so->host);
	md_cell(sb, so->tty);
	const char *status = report_signature_status(so, policy_meaning);
	md_cell_raw(sb, strcmp(status, "STALE") == 0 ? "**STALE**" : status);
	md_cell(sb, so->comment);
	strbuf_addstr(sb, "\n");
}

void md_section(struct strbuf *sb, const struct report *r, const struct report_section *rs)
{
	strbuf_addf(sb, "## Section `%s`: ", rs->id);
	md_text(sb, rs->title, false);
	strbuf_addf(sb, "\n\nGate: %s", md_gate_mark(rs->gate));
	if (rs->passed_us) {
		char t[REPORT_TIME_SIZE];
		report_time_text(rs->passed_us, t, sizeof(t));
		strbuf_addf(sb, " at %s", t);
	}
	const struct report_override *o = strcmp(rs->gate, "FORCED") == 0 ? report_override_of(r, rs->id) : NULL;
	if (o) {
		strbuf_addstr(sb, " by ");
		md_text(sb, o->engineer_a, false);
		strbuf_addstr(sb, " and ");
		md_text(sb, o->engineer_b, false);
		strbuf_addstr(sb, " (incident ");
		md_text(sb, o->incident, false);
		strbuf_addstr(sb, "): ");
		md_text(sb, o->reason, false);
	}
	strbuf_addstr(sb, "\n\n");
	if (rs->policy[0]) {
		strbuf_addstr(sb, "Policy: ");
		md_text(sb, rs->policy, false);
		strbuf_addstr(sb, "\n\n");
	}
	if (rs->same_origin_warning) {
		strbuf_addstr(sb, "> **WARNING: SAME OS USER AND TTY.** ");
		md_text(sb, rs->same_origin_warning, false);
		strbuf_addstr(sb, "\n\n");
	}
	add_items(sb, r, rs);
	add_excerpts(sb, rs);
	if (rs->n_signatures) {
		strbuf_addstr(sb, "Sign-offs:\n\n");
		MD_HEADER(sb, "Engineer", "Name", "Roles", "Meaning", "Time", "OS user", "Host", "TTY", "Status",
			"Comment");
		for (size_t k = 0; k < rs->n_signatures; k++)
			signature_row(sb, &rs->signatures[k], false, rs->policy_meaning);
		strbuf_addstr(sb, "\n");
	}
}

static void add_exceptions(struct strbuf *sb, const struct report *r)
{
	strbuf_addstr(sb, "## Rejections\n\n");
	if (!r->n_rejections)
		strbuf_addstr(sb, "None.\n\n");
	else
		MD_HEADER(sb, "Section", "Engineer", "Name", "Roles", "Meaning", "Time", "OS user", "Host", "TTY", "Status",
			"Comment");
	for (size_t k = 0; k < r->n_rejections; k++)
		signature_row(sb, &r->rejections[k], true, NULL);
	strbuf_addstr(sb, r->n_rejections ? "\n## Waivers\n\n" : "## Waivers\n\n");
	if (!r->n_waivers)
		strbuf_addstr(sb, "None.\n\n");
	else
		MD_HEADER(sb, "Item", "WAIVED by", "Time", "Reason");
	for (size_t k = 0; k < r->n_waivers; k++) {
		strbuf_addf(sb, "| `%s` |", r->waivers[k].target);
		md_cell(sb, r->waivers[k].engineer);
		md_cell_time(sb, r->waivers[k].time_us);
		md_cell(sb, r->waivers[k].reason);
		strbuf_addstr(sb, "\n");
	}
	strbuf_addstr(sb, r->n_waivers ? "\n## Overrides\n\n" : "## Overrides\n\n");
	if (!r->n_overrides)
		strbuf_addstr(sb, "None.\n\n");
	else
		MD_HEADER(sb, "Section", "FORCED by", "Second engineer", "Time", "Incident", "Reason");
	for (size_t k = 0; k < r->n_overrides; k++) {
		const struct report_override *o = &r->overrides[k];
		strbuf_addf(sb, "| `%s` |", o->section);
		md_cell(sb, o->engineer_a);
		md_cell(sb, o->engineer_b);
		md_cell_time(sb, o->time_us);
		md_cell(sb, o->incident);
		md_cell(sb, o->reason);
		strbuf_addstr(sb, "\n");
	}
	if (r->n_overrides)
		strbuf_addstr(sb, "\n");
}

static void notes_and_pins(struct strbuf *sb, const struct report *r)
{
	strbuf_addstr(sb, "## Notes\n\n");
	if (!r->n_notes)
		strbuf_addstr(sb, "None.\n\n");
	else
		MD_HEADER(sb, "About", "Engineer", "Time", "Note");
	for (size_t k = 0; k < r->n_notes; k++) {
		if (r->notes[k].target[0])
			strbuf_addf(sb, "| `%s` |", r->notes[k].target);
		else
			strbuf_addstr(sb, "| the run |");
		md_cell(sb, r->notes[k].engineer);
		md_cell_time(sb, r->notes[k].time_us);
		md_cell(sb, r->notes[k].text);
		strbuf_addstr(sb, "\n");
	}
	strbuf_addstr(sb, r->n_notes ? "\n## Failed PIN attempts\n\n" : "## Failed PIN attempts\n\n");
	if (!r->n_pin_failures)
		strbuf_addstr(sb, "None.\n\n");
	else
		MD_HEADER(sb, "Engineer", "Time", "Command", "OS user", "Host", "TTY", "Lockout");
	for (size_t k = 0; k < r->n_pin_failures; k++) {
		const struct report_pin_failure *f = &r->pin_failures[k];
		strbuf_addstr(sb, "|");
		md_cell(sb, f->engineer);
		md_cell_time(sb, f->time_us);
		md_cell(sb, f->command);
		md_cell(sb, f->os_user);
		md_cell(sb, f->host);
		md_cell(sb, f->tty);
		md_cell_raw(sb, f->lockout ? "**LOCKED OUT**" : "no");
		strbuf_addstr(sb, "\n");
	}
	if (r->n_pin_failures)
		strbuf_addstr(sb, "\n");
}

void md_record(struct strbuf *sb, const struct report *r)
{
	add_exceptions(sb, r);
	notes_and_pins(sb, r);
}
