/* The JUnit XML report (docs/report-format.md), as CI dashboards read it (Jenkins,
 * GitLab): <testsuites> with one <testsuite> per section and one
 * <testcase> per item. A failed item carries <failure> with its output
 * excerpt; a waived item, an item of a section not chosen and an item that
 * never ran carry <skipped>. The schema has no place for the run itself,
 * so each testsuite's <properties> starts with the run's (run.*,
 * checklist.*, variable.*, audit.*) and goes on with its section's: its
 * gate, its override and every signature (signoff.N.*). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/util.h"
#include "report/report_internal.h"
#include "report/report_markup.h"

static void esc(FILE *out, const char *s)
{
	report_markup_text(out, s, MARKUP_XML);
}

static void attr(FILE *out, const char *name, const char *value)
{
	fprintf(out, " %s=\"", name);
	report_markup_text(out, value, MARKUP_XML | MARKUP_ATTR);
	fputc('"', out);
}

static void seconds_attr(FILE *out, const char *name, int64_t ms)
{
	fprintf(out, " %s=\"%" PRId64 ".%03" PRId64 "\"", name, ms > 0 ? ms / 1000 : 0, ms > 0 ? ms % 1000 : 0);
}

/* JUnit's timestamp: ISO 8601 without a zone (the schema's pattern), UTC. */
static void timestamp_attr(FILE *out, int64_t t_us)
{
	char iso[REPORT_TIME_SIZE];
	report_time_iso(t_us, iso, sizeof(iso));
	if (iso[0])
		fprintf(out, " timestamp=\"%.19s\"", iso);
}

static void prop(FILE *out, const char *name, const char *value)
{
	fputs("      <property", out);
	attr(out, "name", name);
	attr(out, "value", value);
	fputs("/>\n", out);
}

static void propf(FILE *out, const char *value, const char *name_fmt, ...) __attribute__((format(printf, 3, 4)));
static void propf(FILE *out, const char *value, const char *name_fmt, ...)
{
	va_list ap;
	va_start(ap, name_fmt);
	char *name = xvasprintf(name_fmt, ap);
	va_end(ap);
	prop(out, name, value);
	free(name);
}

static void prop_time(FILE *out, const char *name, int64_t t_us)
{
	char buf[REPORT_TIME_SIZE];
	report_time_iso(t_us, buf, sizeof(buf));
	if (buf[0])
		prop(out, name, buf);
}

static void prop_int(FILE *out, const char *name, int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	prop(out, name, buf);
}

static void run_properties(FILE *out, const struct report *r)
{
	char d[32];
	prop(out, "run.id", r->run_id);
	prop(out, "run.title", r->title);
	prop(out, "run.state", r->state);
	prop(out, "run.started_by", r->started_by);
	prop_time(out, "run.started", r->started_us);
	prop_time(out, "run.ended", r->ended_us);
	if (r->abort_reason[0]) {
		prop(out, "run.aborted_by", r->aborted_by);
		prop(out, "run.abort_reason", r->abort_reason);
	}
	if (r->window_ms > 0) {
		report_duration_text(r->window_ms, d, sizeof(d));
		prop(out, "run.window", d);
		prop(out, "run.window_starts_at", r->window_starts_at);
		prop_time(out, "run.window_started", r->window_started_us);
	}
	prop(out, "checklist.id", r->checklist_id);
	prop(out, "checklist.title", r->checklist_title);
	prop(out, "checklist.sha256", r->checklist_sha256);
	for (size_t i = 0; i < r->n_variables; i++)
		propf(out, r->variables[i].value, "variable.%s", r->variables[i].name);
	prop_int(out, "audit.events", r->events);
	prop(out, "audit.head", r->head);
	prop(out, "audit.verify", r->verified ? "ok" : "FAILED");
	prop(out, "audit.verify_message", r->verify_message);
	char *cmd = report_verify_command(r);
	prop(out, "audit.verify_command", cmd);
	free(cmd);
	if (r->checkpoint[0])
		prop(out, "audit.checkpoint", r->checkpoint);
}

static void section_properties(FILE *out, const struct report *r, const struct report_section *sec)
{
	char lo[32], hi[32], act[32];
	prop(out, "section.id", sec->id);
	prop(out, "section.phase", sec->phase);
	prop(out, "section.gate", sec->gate);
	prop_int(out, "section.signoffs_required", sec->signoffs_required);
	if (sec->estimate_hi_ms > 0) {
		report_duration_text(sec->estimate_lo_ms, lo, sizeof(lo));
		report_duration_text(sec->estimate_hi_ms, hi, sizeof(hi));
		char est[72];
		if (sec->estimate_lo_ms == sec->estimate_hi_ms)
			snprintf(est, sizeof(est), "%s", hi);
		else
			snprintf(est, sizeof(est), "%s-%s", lo, hi);
		prop(out, "section.estimate", est);
	}
	report_duration_text(sec->actual_ms, act, sizeof(act));
	prop(out, "section.actual", act);
	if (sec->policy[0])
		prop(out, "section.policy", sec->policy);
	prop_time(out, "section.began", sec->first_us);
	prop_time(out, "section.passed", sec->passed_us);
	if (sec->same_origin_warning)
		prop(out, "section.same_origin_warning", sec->same_origin_warning);
	const struct report_override *o = report_override_of(r, sec->id);
	if (o) {
		prop(out, "override.engineer_a", o->engineer_a);
		prop(out, "override.engineer_b", o->engineer_b);
		prop_time(out, "override.time", o->time_us);
		prop(out, "override.reason", o->reason);
		prop(out, "override.incident", o->incident);
	}
	for (size_t i = 0; i < sec->n_signatures; i++) {
		const struct report_signature *g = &sec->signatures[i];
		char t[REPORT_TIME_SIZE];
		report_time_iso(g->time_us, t, sizeof(t));
		propf(out, g->engineer, "signoff.%zu.engineer", i + 1);
		propf(out, g->full_name, "signoff.%zu.full_name", i + 1);
		propf(out, t, "signoff.%zu.time", i + 1);
		propf(out, g->meaning, "signoff.%zu.meaning", i + 1);
		char *roles = report_roles_text((const char *const *)g->roles, g->n_roles);
		propf(out, roles, "signoff.%zu.roles", i + 1);
		free(roles);
		propf(out, g->counted ? "true" : "false", "signoff.%zu.counted", i + 1);
		propf(out, g->comment, "signoff.%zu.comment", i + 1);
		propf(out, g->os_user, "signoff.%zu.os_user", i + 1);
		propf(out, g->host, "signoff.%zu.host", i + 1);
		propf(out, g->tty, "signoff.%zu.tty", i + 1);
		propf(out, g->stale ? "true" : "false", "signoff.%zu.stale", i + 1);
		propf(out, g->superseded ? "true" : "false", "signoff.%zu.superseded", i + 1);
		propf(out, g->digest, "signoff.%zu.digest", i + 1);
	}
}

enum outcome { OUT_PASSED, OUT_FAILED, OUT_SKIPPED };

static enum outcome outcome_of(const struct report_section *sec, const struct report_item *it)
{
	if (strcmp(sec->gate, "not chosen") == 0 || strcmp(it->verdict, "waived") == 0)
		return OUT_SKIPPED;
	if (report_verdict_failed(it->verdict))
		return OUT_FAILED;
	return strcmp(it->verdict, "pass") == 0 ? OUT_PASSED : OUT_SKIPPED;
}

/* <skipped message="...">: why the item counts as neither passed nor failed. */
static void skipped(FILE *out, const struct report *r, const struct report_section *sec, const struct report_item *it)
{
	const struct report_waiver *w = report_waiver_of(r, sec->id, it->id);
	char *msg;
	if (strcmp(sec->gate, "not chosen") == 0)
		msg = xasprintf("not chosen: section %s was not the alternative taken", sec->id);
	else if (strcmp(it->verdict, "waived") == 0 && w)
		msg = xasprintf("waived by %s: %s", w->engineer, w->reason);
	else
		msg = xasprintf("not run (%s)", it->verdict);
	fputs("      <skipped", out);
	attr(out, "message", msg);
	free(msg);
	fputs("/>\n", out);
}

static void failure(FILE *out, const struct report_item *it)
{
	char *msg = it->message[0] ? xasprintf("%s: %s", it->verdict, it->message) : xstrdup(it->verdict);
	fputs("      <failure", out);
	attr(out, "message", msg);
	attr(out, "type", it->verdict);
	fputs(">", out);
	esc(out, it->excerpt);
	fputs("</failure>\n", out);
	free(msg);
}

static void testcase(FILE *out, const struct report *r, const struct report_section *sec, const struct report_item *it)
{
	fputs("    <testcase", out);
	attr(out, "classname", sec->id);
	attr(out, "name", it->title[0] ? it->title : it->id);
	seconds_attr(out, "time", it->duration_ms);
	enum outcome o = outcome_of(sec, it);
	if (o == OUT_PASSED && !it->excerpt[0]) {
		fputs("/>\n", out);
		return;
	}
	fputs(">\n", out);
	if (o == OUT_FAILED)
		failure(out, it);
	else if (o == OUT_SKIPPED)
		skipped(out, r, sec, it);
	if (o != OUT_FAILED && it->excerpt[0]) {
		fputs("      <system-out>", out);
		esc(out, it->excerpt);
		fputs("</system-out>\n", out);
	}
	fputs("    </testcase>\n", out);
}

struct counts {
	size_t tests, failures, skipped;
	int64_t ms;
};

static struct counts count_section(const struct report_section *sec)
{
	struct counts c = {.tests = sec->n_items};
	for (size_t k = 0; k < sec->n_items; k++) {
		enum outcome o = outcome_of(sec, &sec->items[k]);
		c.failures += o == OUT_FAILED;
		c.skipped += o == OUT_SKIPPED;
		c.ms += sec->items[k].duration_ms > 0 ? sec->items[k].duration_ms : 0;
	}
	/* the section's own span when it has one: waits and signatures take time too */
	if (sec->actual_ms >= 0)
		c.ms = sec->actual_ms;
	return c;
}

static void testsuite(FILE *out, const struct report *r, size_t i)
{
	const struct report_section *sec = &r->sections[i];
	struct counts c = count_section(sec);
	fputs("  <testsuite", out);
	attr(out, "name", sec->title[0] ? sec->title : sec->id);
	fprintf(out, " id=\"%zu\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\"", i, c.tests,
		c.failures, c.skipped);
	seconds_attr(out, "time", c.ms);
	timestamp_attr(out, sec->first_us ? sec->first_us : r->started_us);
	fputs(">\n    <properties>\n", out);
	run_properties(out, r);
	section_properties(out, r, sec);
	fputs("    </properties>\n", out);
	for (size_t k = 0; k < sec->n_items; k++)
		testcase(out, r, sec, &sec->items[k]);
	fputs("  </testsuite>\n", out);
}

bool report_write_junit(const struct report *r, FILE *out)
{
	struct counts all = {0};
	for (size_t i = 0; i < r->n_sections; i++) {
		struct counts c = count_section(&r->sections[i]);
		all.tests += c.tests;
		all.failures += c.failures;
		all.skipped += c.skipped;
	}
	int64_t end = r->ended_us ? r->ended_us : r->generated_us;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", out);
	char *name = xasprintf("%s (run %s)", r->title, r->run_id);
	attr(out, "name", name);
	free(name);
	fprintf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\"", all.tests, all.failures,
		all.skipped);
	seconds_attr(out, "time", (end - r->started_us) / 1000);
	timestamp_attr(out, r->started_us);
	fputs(">\n", out);
	for (size_t i = 0; i < r->n_sections; i++)
		testsuite(out, r, i);
	fputs("</testsuites>\n", out);
	return fflush(out) == 0 && !ferror(out);
}
