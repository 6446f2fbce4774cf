/* The HTML report's tables after the sections (report_html.h): the
 * sign-off table, rejections, waivers, overrides, notes, failed PIN
 * attempts and the audit anchor. */
#include "report/report_html.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"
#include "report/report_markup.h"

static void cell(FILE *out, const char *s)
{
	fputs("<td>", out);
	report_html_esc(out, s);
	fputs("</td>", out);
}

static void text_cell(FILE *out, const char *s)
{
	fputs("<td class=\"text\">", out);
	report_html_esc(out, s);
	fputs("</td>", out);
}

static void time_cell(FILE *out, int64_t t_us)
{
	fputs("<td class=\"when\">", out);
	report_html_time(out, t_us);
	fputs("</td>", out);
}

static void ref_cell(FILE *out, const struct report *r, const char *target)
{
	fputs("<td>", out);
	report_html_section_ref(out, r, target);
	fputs("</td>", out);
}

static void none(FILE *out)
{
	fputs("<p class=\"mute\">None.</p>\n", out);
}

/* WITH_NAME: a row of the sign-off table (full name, roles, origin), with
 * its section's POLICY_MEANING; otherwise of the rejections table. */
static void signature_row(FILE *out, const struct report *r, const struct report_signature *g, bool with_name,
	const char *policy_meaning)
{
	bool reject = report_signature_rejects(g);
	fprintf(out, "<tr class=\"%s%s\">", reject ? "reject" : g->meaning, g->stale ? " stale" : "");
	ref_cell(out, r, g->section);
	cell(out, g->engineer);
	if (with_name) {
		cell(out, g->full_name);
		char *roles = report_roles_text((const char *const *)g->roles, g->n_roles);
		cell(out, roles);
		free(roles);
	}
	time_cell(out, g->time_us);
	fputs("<td class=\"meaning\">", out);
	report_html_esc(out, reject ? "REJECTED" : g->meaning);
	fputs("</td>", out);
	text_cell(out, g->comment);
	if (with_name) {
		cell(out, g->os_user);
		cell(out, g->host);
		cell(out, g->tty);
	}
	fprintf(out, "<td class=\"status\">%s</td></tr>\n", report_signature_status(g, policy_meaning));
}

void report_html_signoffs(FILE *out, const struct report *r)
{
	fputs("<section id=\"signoffs-section\">\n<h2>Sign-offs</h2>\n", out);
	size_t n = 0;
	for (size_t i = 0; i < r->n_sections; i++)
		n += r->sections[i].n_signatures;
	/* the table is there, with its headings, even when nobody signed:
	 * "nobody signed" is a finding */
	fputs("<table class=\"signoffs\" id=\"signoffs\"><thead><tr><th>Section</th><th>Engineer</th>"
		"<th>Full name</th><th>Roles</th><th>Time (UTC)</th><th>Meaning</th><th>Comment</th><th>OS user</th>"
		"<th>Host</th><th>TTY</th><th>Status</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < r->n_sections; i++)
		for (size_t k = 0; k < r->sections[i].n_signatures; k++)
			signature_row(out, r, &r->sections[i].signatures[k], true, r->sections[i].policy_meaning);
	if (n == 0)
		fputs("<tr><td colspan=\"11\" class=\"mute\">No signatures.</td></tr>\n", out);
	fputs("</tbody></table>\n<p class=\"mute\">Meaning: performed (the signer did this work), reviewed, "
		"approved or rejected. Counts: it counts toward the gate under the section's policy (a rejection "
		"that stands keeps the gate closed); does not count: the meaning the gate counts, by a signer its "
		"policy leaves out; recorded: another meaning, kept on the record. STALE: the engineer signed other "
		"evidence than the section's current evidence (an item was checked again after the signature). "
		"Superseded: the same engineer signed the current evidence again.</p>\n</section>\n", out);
}

static void rejections(FILE *out, const struct report *r)
{
	fputs("<h3 id=\"rejections\">Rejections</h3>\n", out);
	if (r->n_rejections == 0) {
		none(out);
		return;
	}
	fputs("<table class=\"rejections\"><thead><tr><th>Section</th><th>Engineer</th><th>Time (UTC)</th>"
		"<th>Meaning</th><th>Comment</th><th>Status</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < r->n_rejections; i++)
		signature_row(out, r, &r->rejections[i], false, NULL);
	fputs("</tbody></table>\n", out);
}

static void waivers(FILE *out, const struct report *r)
{
	fputs("<h3 id=\"waivers\">Waivers</h3>\n", out);
	if (r->n_waivers == 0) {
		none(out);
		return;
	}
	fputs("<table class=\"waivers\"><thead><tr><th>Item</th><th>Engineer</th><th>Time (UTC)</th>"
		"<th>Reason</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < r->n_waivers; i++) {
		const struct report_waiver *w = &r->waivers[i];
		fputs("<tr class=\"waived\">", out);
		ref_cell(out, r, w->target);
		cell(out, w->engineer);
		time_cell(out, w->time_us);
		text_cell(out, w->reason);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

static void overrides(FILE *out, const struct report *r)
{
	fputs("<h3 id=\"overrides\">Overrides</h3>\n", out);
	if (r->n_overrides == 0) {
		none(out);
		return;
	}
	fputs("<table class=\"overrides\"><thead><tr><th>Section</th><th>Asked by</th><th>Confirmed by</th>"
		"<th>Time (UTC)</th><th>Incident</th><th>Reason</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < r->n_overrides; i++) {
		const struct report_override *o = &r->overrides[i];
		fputs("<tr class=\"override\">", out);
		ref_cell(out, r, o->section);
		cell(out, o->engineer_a);
		cell(out, o->engineer_b);
		time_cell(out, o->time_us);
		cell(out, o->incident);
		text_cell(out, o->reason);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

static void notes(FILE *out, const struct report *r)
{
	fputs("<h2 id=\"notes\">Notes</h2>\n", out);
	if (r->n_notes == 0) {
		none(out);
		return;
	}
	fputs("<table class=\"notes\"><thead><tr><th>Time (UTC)</th><th>Engineer</th><th>On</th><th>Note</th>"
		"</tr></thead><tbody>\n", out);
	for (size_t i = 0; i < r->n_notes; i++) {
		const struct report_note *n = &r->notes[i];
		fputs("<tr>", out);
		time_cell(out, n->time_us);
		cell(out, n->engineer);
		ref_cell(out, r, n->target);
		text_cell(out, n->text);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

static void pin_failures(FILE *out, const struct report *r)
{
	fputs("<h2 id=\"pin-failures\">Failed PIN attempts</h2>\n", out);
	if (r->n_pin_failures == 0) {
		none(out);
		return;
	}
	fputs("<table class=\"pin-failures\"><thead><tr><th>Time (UTC)</th><th>Engineer</th><th>Command</th>"
		"<th>OS user</th><th>Host</th><th>TTY</th><th>Lockout</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < r->n_pin_failures; i++) {
		const struct report_pin_failure *p = &r->pin_failures[i];
		fprintf(out, "<tr%s>", p->lockout ? " class=\"reject\"" : "");
		time_cell(out, p->time_us);
		cell(out, p->engineer);
		cell(out, p->command);
		cell(out, p->os_user);
		cell(out, p->host);
		cell(out, p->tty);
		fputs(p->lockout ? "<td class=\"bad\"><b>LOCKED OUT</b></td>" : "<td></td>", out);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

void report_html_exceptions(FILE *out, const struct report *r)
{
	fputs("<section id=\"exceptions\">\n<h2>Rejections, waivers and overrides</h2>\n", out);
	rejections(out, r);
	waivers(out, r);
	overrides(out, r);
	fputs("</section>\n<section>\n", out);
	notes(out, r);
	pin_failures(out, r);
	fputs("</section>\n", out);
}

void report_html_anchor(FILE *out, const struct report *r)
{
	fputs("<section id=\"audit-anchor\">\n<h2>Audit anchor</h2>\n<table class=\"kv anchor\"><tbody>\n", out);
	fprintf(out, "<tr><th>Events in the run's chain</th><td>%" PRId64 "</td></tr>\n", r->events);
	fputs("<tr><th>Head hash</th><td><code class=\"head\">", out);
	report_html_esc(out, r->head);
	fputs("</code></td></tr>\n<tr><th>Verified at export</th><td>", out);
	fputs(r->verified ? "<b class=\"ok\">VERIFIED</b> (" : "<b class=\"bad\">FAILED</b>: ", out);
	report_html_esc(out, r->verify_message);
	fputs(r->verified ? ")" : "", out);
	fputs("</td></tr>\n<tr><th>Check it later</th><td><code>", out);
	char *cmd = report_verify_command(r);
	report_html_esc(out, cmd);
	free(cmd);
	fputs("</code><br><span class=\"mute\">passes while the record still holds this run's chain up to this "
		"head, unchanged</span></td></tr>\n", out);
	if (r->checkpoint[0]) {
		fputs("<tr><th>Checkpoint</th><td><pre class=\"checkpoint\">", out);
		report_html_esc(out, r->checkpoint);
		fputs("</pre><span class=\"mute\">keep a copy outside the database: <code>countersign verify "
			"--checkpoint FILE</code> checks that the record still extends it</span></td></tr>\n", out);
	}
	fputs("<tr><th>Exported</th><td>", out);
	report_html_time(out, r->generated_us);
	fputs(" by ", out);
	report_html_esc(out, r->generator);
	fputs("</td></tr>\n</tbody></table>\n</section>\n", out);
}
