/* Unit tests for the HTML and JUnit renderings (src/report/report_html*.c,
 * report_junit.c, report_markup.c) on a report filled by hand: escaping of
 * every kind of text, characters a document may not hold, what each
 * rendering must show (gates, FORCED, sign-offs, stale, rejections,
 * waivers, the anchor, the checkpoint) and a write that fails. With a folder argument it
 * also writes report.html and report.xml there for check_markup.py, which
 * reads them with Python's parsers. */
#include <stdint.h>
#include <stdlib.h>

#include "../check.h"
#include "countersign/checkpoint.h"
#include "countersign/util.h"
#include "report/report_internal.h"
#include "report/report_markup.h"

#define HOSTILE "<script>alert(\"x\")</script> & 'q' ]]>"
#define T0 INT64_C(1795000000000000) /* 2026-11-18 */

static char *render(bool (*write)(const struct report *, FILE *), const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK(write(r, f));
	fclose(f);
	return buf;
}

static char *markup(const char *in, size_t len, unsigned flags)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	report_markup_textn(f, in, len, flags);
	fclose(f);
	return buf;
}

static void check_markup(const char *in, size_t len, unsigned flags, const char *want, int line)
{
	char *got = markup(in, len, flags);
	if (strcmp(got, want) == 0) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "%s:%d: report_markup_textn\n  got:  \"%s\"\n  want: \"%s\"\n", __FILE__, line, got, want);
	}
	free(got);
}
#define MARKUP(in, flags, want) check_markup((in), sizeof(in) - 1, (flags), (want), __LINE__)

static void escaping(void)
{
	MARKUP("a & b < c > d \" e ' f", 0, "a &amp; b &lt; c &gt; d &quot; e &#39; f");
	MARKUP("line\nnext\ttab", 0, "line\nnext\ttab");
	MARKUP("line\nnext\ttab\rcr", MARKUP_ATTR, "line&#10;next&#9;tab&#13;cr");
	MARKUP("cr\r", MARKUP_XML, "cr&#13;");
	MARKUP("cr\r", 0, "cr\r");
	/* characters neither XML 1.0 nor HTML allow are left out */
	MARKUP("a\x01" "b\x1b[31mc\x7f" "d\0e", 0, "ab[31mcde");
	MARKUP("c1 \xc2\x85 \xc2\x9f end", 0, "c1   end");
	MARKUP("nonchar \xef\xbf\xbe\xef\xbf\xbf \xef\xb7\x90 \xf0\x9f\xbf\xbe.", 0, "nonchar   .");
	/* bytes that are not UTF-8: U+FFFD each */
	MARKUP("bad \xff\xfe x", 0, "bad \xef\xbf\xbd\xef\xbf\xbd x");
	MARKUP("overlong \xc0\xaf surrogate \xed\xa0\x80 cut \xe2\x82", 0,
		"overlong \xef\xbf\xbd\xef\xbf\xbd surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd cut "
		"\xef\xbf\xbd\xef\xbf\xbd");
	/* valid UTF-8 stays as it is */
	MARKUP("Zo\xc3\xab \xe2\x80\x94 \xe6\x97\xa5 \xf0\x9f\x9a\x80 \xef\xbf\xbd", 0,
		"Zo\xc3\xab \xe2\x80\x94 \xe6\x97\xa5 \xf0\x9f\x9a\x80 \xef\xbf\xbd");
	CHECK(report_markup_prefix("abc", 2) == 2);
	CHECK(report_markup_prefix("\xc3\xa9t\xc3\xa9", 2) == 3);
	CHECK(report_markup_prefix("ab", 5) == 2);
}

static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0 || (n == 2 && *p < 0xc2))
			return false;
		for (int k = 1; k < n; k++)
			if ((p[k] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

/* No byte a document may not hold: C0 controls but tab, newline, CR. */
static bool no_controls(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
			return false;
	return true;
}

static struct report_item items_prep[] = {
	{.id = "build", .title = "Build " HOSTILE, .kind = "command", .required = true, .verdict = "pass", .checked = "",
	 .attempts = 2, .started_us = T0 + 10000000, .finished_us = T0 + 12500000, .duration_ms = 2500,
	 .exit_status = 0, .message = "exit status 0", .actor = "alice", .value = "",
	 .excerpt = "compiling\nlinking with token ***\nbuild ok\n", .output_bytes = 44, .output_sha256 = "ab12",
	 .rechecks = 1},
	{.id = "lint", .title = "Lint is clean", .kind = "command", .required = true, .verdict = "waived",
	 .checked = "fail", .attempts = 1, .started_us = T0 + 20000000, .finished_us = T0 + 21000000,
	 .duration_ms = 1000, .exit_status = 3, .message = "exit status 3", .actor = "carol", .value = "",
	 .excerpt = "warning: bad \x01\x1b[31m \xff\xef\xbf\xbe ]]> </pre>\n", .output_bytes = 9000,
	 .output_sha256 = "cd34"},
	{.id = "review", .title = "Change reviewed", .kind = "manual", .required = true, .verdict = "pass",
	 .checked = "", .attempts = 1, .started_us = T0 + 30000000, .finished_us = T0 + 30000000, .duration_ms = -1,
	 .exit_status = -1, .message = "", .actor = "alice", .value = "", .excerpt = "", .output_bytes = -1,
	 .output_sha256 = ""},
};

static struct report_item items_canary[] = {
	{.id = "shift", .title = "Shift traffic", .kind = "command", .required = true, .verdict = "fail",
	 .checked = "", .attempts = 1, .started_us = T0 + 60000000, .finished_us = T0 + 61000000, .duration_ms = 1000,
	 .exit_status = 1, .message = "exit status 1", .actor = "alice", .value = "",
	 .excerpt = "error: shift refused\n", .output_bytes = 21, .output_sha256 = "ef56"},
	{.id = "probe", .title = "", .kind = "http", .required = true, .verdict = "timeout", .checked = "",
	 .attempts = 1, .started_us = T0 + 62000000, .finished_us = T0 + 72000000, .duration_ms = 10000,
	 .exit_status = -1, .http_status = 0, .message = "no answer in 10s", .actor = "alice", .value = "",
	 .excerpt = "", .output_bytes = -1, .output_sha256 = ""},
};

static struct report_item items_other[] = {
	{.id = "switch", .title = "Switch traffic", .kind = "command", .required = true, .verdict = "pending",
	 .checked = "", .exit_status = -1, .duration_ms = -1, .message = "", .actor = "", .value = "", .excerpt = "",
	 .output_bytes = -1, .output_sha256 = ""},
};

static struct report_item items_post[] = {
	{.id = "health", .title = "Health", .kind = "http", .required = false, .verdict = "pending", .checked = "",
	 .exit_status = -1, .duration_ms = -1, .message = "", .actor = "", .value = "", .excerpt = "",
	 .output_bytes = -1, .output_sha256 = ""},
};

static char *dba_sre[] = {"dba", "sre"};

static struct report_signature sigs_prep[] = {
	{.section = "prep", .engineer = "bob", .full_name = "Bob Example", .meaning = "rejected",
	 .comment = "lint failed:\n" HOSTILE, .os_user = "bob", .host = "h1", .tty = "/dev/pts/1",
	 .time_us = T0 + 40000000, .seq = 5, .stale = true},
	{.section = "prep", .engineer = "alice", .full_name = "Alice Example", .meaning = "approved", .comment = "",
	 .roles = dba_sre, .n_roles = 2, .os_user = "ops", .host = "h1", .tty = "/dev/pts/2", .time_us = T0 + 50000000,
	 .seq = 7, .counted = true},
	{.section = "prep", .engineer = "carol", .full_name = "Carol Example", .meaning = "approved", .comment = "ok", .counted = true,
	 .os_user = "ops", .host = "h1", .tty = "/dev/pts/2", .time_us = T0 + 55000000, .seq = 8},
};

static struct report_section sections[] = {
	{.id = "prep", .title = "Preparation " HOSTILE, .phase = "Pre-Deployment", .gate = "passed",
	 .signoffs_required = 2, .policy = "needs 2 approvals · roles dba, sre · independent", .policy_meaning = "approved",
	 .policy_roles = dba_sre, .n_policy_roles = 2, .policy_independent = true, .estimate_lo_ms = 300000, .estimate_hi_ms = 600000, .first_us = T0 + 10000000,
	 .passed_us = T0 + 55000000, .actual_ms = 45000, .items = items_prep, .n_items = 3, .signatures = sigs_prep,
	 .n_signatures = 3, .same_origin_warning = "alice and carol both signed as ops on /dev/pts/2"},
	{.id = "canary\"<x>", .title = "Canary", .phase = "Deployment", .gate = "FORCED", .signoffs_required = 2,
	 .policy = "needs 2 approvals", .policy_meaning = "approved",
	 .estimate_lo_ms = 900000, .estimate_hi_ms = 900000, .first_us = T0 + 60000000, .passed_us = T0 + 3000000000,
	 .actual_ms = 2940000, .items = items_canary, .n_items = 2},
	{.id = "blue-green", .title = "Blue-Green", .phase = "Deployment", .gate = "not chosen",
	 .signoffs_required = 2, .policy = "needs 2 approvals", .policy_meaning = "approved", .actual_ms = -1, .items = items_other, .n_items = 1},
	{.id = "post", .title = "Post", .phase = "Post-Deployment", .gate = "open", .signoffs_required = 1,
	 .policy = "needs 1 approval", .policy_meaning = "approved",
	 .actual_ms = -1, .items = items_post, .n_items = 1},
};

static struct report_variable variables[] = {
	{.name = "ENVNAME", .value = "staging"},
	{.name = "API_TOKEN", .value = "***", .secret = true},
};
static struct report_waiver waivers[] = {
	{.target = "prep/lint", .engineer = "carol", .reason = "warnings only | " HOSTILE, .time_us = T0 + 45000000},
};
static struct report_override overrides[] = {
	{.section = "canary\"<x>", .engineer_a = "alice", .engineer_b = "bob", .reason = "dashboard down",
	 .incident = "INC-4711", .time_us = T0 + 3000000000},
};
static struct report_note notes[] = {
	{.target = "canary\"<x>", .engineer = "alice", .text = "error rate flat", .time_us = T0 + 70000000},
	{.target = "", .engineer = "bob", .text = "run note " HOSTILE, .time_us = T0 + 80000000},
};
static struct report_pin_failure pins[] = {
	{.engineer = "carol", .command = "note", .os_user = "carol", .host = "h1", .tty = "/dev/pts/3",
	 .time_us = T0 + 90000000, .lockout = true},
};

/* A checkpoint whose host holds markup characters (one word may), as
 * checkpoint_format prints it: it must reach both documents byte for byte. */
static char *the_checkpoint(void)
{
	struct checkpoint cp = {.host = xstrdup("ops<&'\"1>"), .time_us = T0};
	memcpy(cp.record, "00112233445566778899aabbccddeeff", sizeof(cp.record));
	checkpoint_add(&cp, "registry", 9, "1111111111111111111111111111111111111111111111111111111111111111");
	checkpoint_add(&cp, "engineers", 4, "2222222222222222222222222222222222222222222222222222222222222222");
	checkpoint_add(&cp, "r-20261118-abcd", 42, "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
	char *text = checkpoint_format(&cp);
	checkpoint_clear(&cp);
	return text;
}

static struct report the_report(void)
{
	struct report r = {
		.checklist_title = "Checklist " HOSTILE, .checklist_id = "cli-report",
		.checklist_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		.run_id = "r-20261118-abcd", .title = "Release 1.4 | " HOSTILE, .state = "open",
		.started_us = T0, .abort_reason = "", .aborted_by = "", .started_by = "alice",
		.current_section = "post", .variables = variables, .n_variables = 2, .window_ms = 1800000,
		.window_started_us = T0, .window_starts_at = "", .sections = sections, .n_sections = 4,
		.rejections = sigs_prep, .n_rejections = 1, .waivers = waivers, .n_waivers = 1,
		.overrides = overrides, .n_overrides = 1, .notes = notes, .n_notes = 2, .pin_failures = pins,
		.n_pin_failures = 1, .events = 42,
		.head = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210", .verified = true,
		.verify_message = "ok: 42 events", .generated_us = T0 + 3600000000, .generator = "countersign 0.1.0",
		.checkpoint = "",
	};
	return r;
}

static void html(const struct report *r, const char *dir)
{
	char *doc = render(report_write_html, r);
	CHECK(strncmp(doc, "<!DOCTYPE html>", 15) == 0);
	CHECK(valid_utf8(doc));
	CHECK(no_controls(doc));
	CHECK(!strstr(doc, "<script"));
	CHECK(strstr(doc, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;"));
	CHECK(!strstr(doc, "src="));
	for (const char *h = strstr(doc, "href="); h; h = strstr(h + 1, "href="))
		CHECK(strncmp(h, "href=\"#", 7) == 0);
	CHECK(strstr(doc, "<table class=\"signoffs\" id=\"signoffs\">"));
	CHECK(strstr(doc, "Bob Example"));
	CHECK(strstr(doc, "<td class=\"status\">STALE</td>"));
	CHECK(strstr(doc, "<td class=\"meaning\">REJECTED</td>"));
	CHECK(strstr(doc, "<td>dba, sre</td>"));
	CHECK(strstr(doc, "policy: needs 2 approvals · roles dba, sre · independent"));
	CHECK(strstr(doc, "<td class=\"status\">counts</td>"));
	CHECK(strstr(doc, "<b>WAIVED</b> by <b>carol</b>"));
	CHECK(strstr(doc, "<b>FORCED by override</b>"));
	CHECK(strstr(doc, "INC-4711"));
	CHECK(strstr(doc, "<code class=\"head\">fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210</code>"));
	CHECK(strstr(doc, "countersign verify r-20261118-abcd --anchor fedcba98"));
	CHECK(strstr(doc, "alice and carol both signed as ops on /dev/pts/2"));
	CHECK(strstr(doc, "LOCKED OUT"));
	CHECK(strstr(doc, "<code>***</code> <span class=\"mute\">(secret)</span>"));
	CHECK(strstr(doc, "@media print"));
	CHECK(strstr(doc, "<details><summary>Output: 9000 bytes, the last lines shown"));
	CHECK(strstr(doc, "<svg "));
	CHECK(strstr(doc, "window ends"));
	/* the section id with a quote stays inside its attribute and its text */
	CHECK(strstr(doc, "canary&quot;&lt;x&gt;"));
	CHECK(!strstr(doc, "canary\"<x>"));
	CHECK(strstr(doc, "<pre class=\"checkpoint\">countersign checkpoint v1\norigin ops&lt;&amp;&#39;&quot;1&gt; "
		"record 00112233445566778899aabbccddeeff\ntime 2026-11-18T"));
	CHECK(strstr(doc, "\nrun r-20261118-abcd 42 fedcba98"));
	CHECK(strstr(doc, "pre.checkpoint{white-space:pre"));
	if (dir) {
		char *path = xasprintf("%s/report.html", dir);
		FILE *f = fopen(path, "w");
		CHECK(f && fputs(doc, f) >= 0 && fclose(f) == 0);
		free(path);
	}
	free(doc);
}

static void junit(const struct report *r, const char *dir)
{
	char *doc = render(report_write_junit, r);
	CHECK(strncmp(doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", 50) == 0);
	CHECK(valid_utf8(doc));
	CHECK(no_controls(doc));
	CHECK(!strstr(doc, "\xef\xbf\xbe"));
	CHECK(strstr(doc, "tests=\"7\" failures=\"2\" errors=\"0\" skipped=\"3\""));
	CHECK(strstr(doc, "<testcase classname=\"canary&quot;&lt;x&gt;\" name=\"probe\" time=\"10.000\">"));
	CHECK(strstr(doc, "<failure message=\"fail: exit status 1\" type=\"fail\">error: shift refused\n</failure>"));
	CHECK(strstr(doc, "<skipped message=\"waived by carol: warnings only | &lt;script&gt;"));
	CHECK(strstr(doc, "<skipped message=\"not chosen: section blue-green was not the alternative taken\"/>"));
	CHECK(strstr(doc, "<skipped message=\"not run (pending)\"/>"));
	CHECK(strstr(doc, "<property name=\"signoff.1.comment\" value=\"lint failed:&#10;&lt;script&gt;"));
	CHECK(strstr(doc, "<property name=\"signoff.1.stale\" value=\"true\"/>"));
	CHECK(strstr(doc, "<property name=\"signoff.1.meaning\" value=\"rejected\"/>"));
	CHECK(strstr(doc, "<property name=\"signoff.2.roles\" value=\"dba, sre\"/>"));
	CHECK(strstr(doc, "<property name=\"signoff.2.counted\" value=\"true\"/>"));
	CHECK(strstr(doc, "<property name=\"section.policy\" value=\"needs 2 approvals · roles dba, sre · independent\"/>"));
	CHECK(strstr(doc, "<property name=\"audit.head\" value=\"fedcba98"));
	CHECK(strstr(doc, "<property name=\"variable.API_TOKEN\" value=\"***\"/>"));
	CHECK(strstr(doc, "<property name=\"audit.checkpoint\" value=\"countersign checkpoint v1&#10;origin "
		"ops&lt;&amp;&#39;&quot;1&gt; record 00112233445566778899aabbccddeeff&#10;time 2026-11-18T"));
	CHECK(strstr(doc, "]]&gt;"));
	if (dir) {
		char *path = xasprintf("%s/report.xml", dir);
		FILE *f = fopen(path, "w");
		CHECK(f && fputs(doc, f) >= 0 && fclose(f) == 0);
		free(path);
	}
	free(doc);
}

/* A full disk: both say so rather than leave a truncated file unnoticed. */
static void write_fails(const struct report *r)
{
	FILE *f = fopen("/dev/full", "w");
	if (!f) {
		fprintf(stderr, "no /dev/full: write failure not checked\n");
		return;
	}
	CHECK(!report_write_html(r, f));
	clearerr(f);
	CHECK(!report_write_junit(r, f));
	fclose(f);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : NULL;
	escaping();
	struct report r = the_report();
	/* without a checkpoint (an older record read only) neither shows one */
	char *doc = render(report_write_html, &r);
	CHECK(!strstr(doc, "checkpoint\">"));
	free(doc);
	doc = render(report_write_junit, &r);
	CHECK(!strstr(doc, "audit.checkpoint"));
	free(doc);
	char *cp = the_checkpoint();
	r.checkpoint = cp;
	html(&r, dir);
	junit(&r, dir);
	write_fails(&r);
	free(cp);
	return check_report();
}
