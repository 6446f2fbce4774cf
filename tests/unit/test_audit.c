/* Unit tests for the audit trail's words and JSON (src/report/audit.c): the
 * line for each kind of event, text from the record made safe, the JSON with
 * exact numbers and the payload as recorded, and the dates the filters
 * take. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "countersign/audit.h"

#define T0 1795720020512339LL /* 2026-11-26 19:07:00.512339 UTC */

static struct store_audit_entry entry(const char *chain, const char *actor, const char *kind, const char *target,
	const char *payload)
{
	struct store_audit_entry e = {.chain = (char *)chain};
	e.ev.seq = 7;
	e.ev.time_us = T0;
	e.ev.actor = (char *)actor;
	e.ev.os_user = "ops";
	e.ev.host = "deploy-01";
	e.ev.tty = "/dev/pts/4";
	e.ev.kind = (char *)kind;
	e.ev.target = (char *)target;
	e.ev.payload = (char *)payload;
	memset(e.ev.prev, 'a', 64);
	memset(e.ev.hash, 'b', 64);
	return e;
}

/* The line for the event holds WANT. */
static void expect_line(const char *kind, const char *target, const char *payload, const char *want, int line)
{
	struct store_audit_entry e = entry("z5317hrnh2", "alice", kind, target, payload);
	char *got = audit_line(&e);
	if (got && strstr(got, want)) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "%s:%d: audit_line\n  got:  %s\n  want: ...%s...\n", __FILE__, line, got ? got : "(null)",
			want);
	}
	free(got);
}

static void test_lines(void)
{
	struct store_audit_entry e = entry("z5317hrnh2", "bob", EV_SIGNED, "code-quality",
		"{\"meaning\":\"reject\",\"comment\":\"lint failed\",\"digest\":\"d\"}");
	char *line = audit_line(&e);
	CHECK_STR(line, "2026-11-26 19:07:00 UTC  z5317hrnh2  code-quality              bob         "
		"signed: rejected; comment \"lint failed\"");
	free(line);

	expect_line(EV_RUN_STARTED, "", "{\"checklist\":\"noa\",\"title\":\"NOA deploy\"}",
		"  -                         alice       run started: NOA deploy (checklist noa)", __LINE__);
	expect_line(EV_CHECK_STARTED, "s/i", "{\"command\":\"kubectl get pods\",\"pid\":4}",
		"check started: kubectl get pods", __LINE__);
	expect_line(EV_CHECK_STARTED, "s/i", "{\"url\":\"http://127.0.0.1/health\"}",
		"check started: http://127.0.0.1/health", __LINE__);
	expect_line(EV_CHECK_STARTED, "s/w", "{\"duration_ms\":600000}", "wait started (600 s)", __LINE__);
	expect_line(EV_CHECK_FINISHED, "s/i", "{\"verdict\":\"fail\",\"message\":\"exit status 1\"}",
		"check finished: fail; message \"exit status 1\"", __LINE__);
	expect_line(EV_ATTESTED, "s/i", "{\"verdict\":\"pass\",\"value\":\"42\",\"note\":\"read twice\"}",
		"attested: pass; value \"42\"; note \"read twice\"", __LINE__);
	expect_line(EV_WAIVED, "s/i", "{\"reason\":\"known flake\"}", "waived; reason \"known flake\"", __LINE__);
	expect_line(EV_CHOSEN, "canary", "{\"group\":\"strategy\"}", "chosen; of the alternatives \"strategy\"",
		__LINE__);
	/* records made before meanings: approve/reject, or nothing */
	expect_line(EV_SIGNED, "s", "{\"meaning\":\"approve\",\"digest\":\"d\"}", "signed: approved", __LINE__);
	expect_line(EV_SIGNED, "s", "{\"digest\":\"d\"}", "signed: approved", __LINE__);
	expect_line(EV_SIGNED, "s", "{\"meaning\":\"performed\",\"roles\":[\"dba\",\"sre\"],\"digest\":\"d\"}",
		"signed: performed as dba, sre", __LINE__);
	expect_line(EV_SIGNED, "s", "{\"meaning\":\"reviewed\",\"roles\":[],\"digest\":\"d\"}", "signed: reviewed",
		__LINE__);
	expect_line(EV_OVERRIDE, "s", "{\"engineers\":[\"alice\",\"bob\"],\"reason\":\"down\",\"incident\":\"INC-1\"}",
		"override: FORCED by alice and bob; reason \"down\"; incident \"INC-1\"", __LINE__);
	expect_line(EV_OVERRIDE_REQUESTED, "s", "{\"reason\":\"down\",\"incident\":\"INC-1\",\"expires_us\":1}",
		"override requested (FORCED once a second engineer confirms); reason \"down\"", __LINE__);
	expect_line(EV_NOTE, "", "{\"text\":\"all good\"}", "note; text \"all good\"", __LINE__);
	expect_line(EV_RUN_ABORTED, "", "{\"reason\":\"wrong window\"}", "run aborted; reason \"wrong window\"",
		__LINE__);
	expect_line(EV_RUN_COMPLETED, "", "{}", "run completed", __LINE__);
	expect_line(EV_NOTIFY_FAILED, "", "{\"event\":\"run_completed\",\"error\":\"timeout\"}",
		"notification not delivered; of \"run_completed\"; error \"timeout\"", __LINE__);
	expect_line(EV_ENGINEER_ADDED, "carol", "{\"full_name\":\"Carol Example\"}",
		"engineer registered; full name \"Carol Example\"", __LINE__);
	expect_line(EV_PIN_CHANGED, "alice", "{}", "PIN changed", __LINE__);
	expect_line(EV_PIN_FAILED, "alice", "{\"command\":\"sign\",\"run\":\"z5317hrnh2\"}",
		"wrong PIN (for sign); run z5317hrnh2", __LINE__);
	expect_line(EV_PIN_FAILED, "alice", "{\"command\":\"engineer passwd\"}", "wrong PIN (for engineer passwd)",
		__LINE__);
	expect_line(EV_PIN_LOCKED, "alice", "{\"until_us\":1795720920512339,\"failures\":5,\"run\":\"z5317hrnh2\"}",
		"locked out after 5 wrong PINs until 2026-11-26 19:22:00 UTC; run z5317hrnh2", __LINE__);
	expect_line("mystery", "", "{\"a\":1}", "mystery {\"a\":1}", __LINE__);
	expect_line(EV_NOTE, "", "not json", "note", __LINE__);

	/* Text from the record cannot drive a terminal or break the line. */
	expect_line(EV_NOTE, "", "{\"text\":\"a\\u001b]0;pwned\\u0007b\\nc\\td\"}", "note; text \"ab^Jc d\"", __LINE__);
	struct store_audit_entry hostile = entry("z5317hrnh2", "\x1b[2Jmallory", EV_NOTE, "s/\x1b[31mi", "{}");
	line = audit_line(&hostile);
	CHECK(line && !strchr(line, '\x1b') && !strchr(line, '\n'));
	free(line);
	/* A long command is cut, on a character boundary. */
	char payload[600];
	snprintf(payload, sizeof(payload), "{\"command\":\"%s\"}",
		"echo \\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
		"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
		"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
		"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
		"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9");
	struct store_audit_entry longer = entry("z5317hrnh2", "alice", EV_CHECK_STARTED, "s/i", payload);
	line = audit_line(&longer);
	const char *cut = line ? strstr(line, "...") : NULL;
	CHECK(cut && cut[3] == '\0');
	CHECK(cut && ((unsigned char)cut[-1] & 0xC0) != 0xC0); /* not half a character */
	free(line);
	line = audit_line(NULL);
	CHECK_STR(line, "");
	free(line);
}

static void test_json(void)
{
	struct store_audit_entry e = entry(EVENT_CHAIN_ENGINEERS, "carol", EV_PIN_LOCKED, "carol",
		"{\"until_us\":1795720920512339,\"failures\":5}");
	cJSON *o = audit_json(&e);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	CHECK_STR(text, "{\"chain\":\"engineers\",\"seq\":7,\"time\":\"2026-11-26T19:07:00.512339Z\","
		"\"time_us\":1795720020512339,\"actor\":\"carol\",\"os_user\":\"ops\",\"host\":\"deploy-01\","
		"\"tty\":\"/dev/pts/4\",\"kind\":\"pin_locked\",\"target\":\"carol\","
		"\"payload\":{\"until_us\":1795720920512339,\"failures\":5},"
		"\"prev\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
		"\"hash\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}");
	/* the document reads back, numbers exact */
	cJSON *back = cJSON_Parse(text);
	CHECK(cJSON_IsObject(cJSON_GetObjectItem(back, "payload")));
	cJSON_Delete(back);
	cJSON_free(text);

	e = entry("r", "alice", EV_NOTE, "", "[1, 2]");
	o = audit_json(&e);
	CHECK(cJSON_GetObjectItem(o, "payload") == NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "payload_text")), "[1, 2]");
	cJSON_Delete(o);
}

static void expect_date(const char *text, bool end, bool ok, int64_t want, int line)
{
	int64_t got = -1;
	bool parsed = audit_parse_date(text, end, &got);
	if (parsed == ok && (!ok || got == want)) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "%s:%d: audit_parse_date(\"%s\", %d): %d %lld, want %d %lld\n", __FILE__, line, text,
			(int)end, (int)parsed, (long long)got, (int)ok, (long long)want);
	}
}

static void test_dates(void)
{
	const int64_t day = 1795651200LL * 1000000; /* 2026-11-26 00:00:00 UTC */
	const int64_t s = 1000000;
	expect_date("2026-11-26", false, true, day, __LINE__);
	expect_date("2026-11-26", true, true, day + 86400 * s, __LINE__);
	expect_date("2026-11-26Z", false, true, day, __LINE__);
	expect_date("2026-11-26T19:07", false, true, day + (19 * 3600 + 7 * 60) * s, __LINE__);
	expect_date("2026-11-26T19:07", true, true, day + (19 * 3600 + 8 * 60) * s, __LINE__);
	expect_date("2026-11-26 19:07:05", false, true, day + (19 * 3600 + 7 * 60 + 5) * s, __LINE__);
	expect_date("2026-11-26T19:07:05Z", true, true, day + (19 * 3600 + 7 * 60 + 6) * s, __LINE__);
	expect_date("2026-12-31T23:59:59", true, true, (1798761600LL) * s, __LINE__);
	expect_date("2028-02-29", false, true, 1835395200LL * s, __LINE__);
	static const char *const bad[] = {
		"", "2026", "2026-11", "2026-1-26", "26-11-26", "2026-13-01", "2026-00-10", "2026-11-31",
		"2026-02-29", "2026-11-26T24:00", "2026-11-26T19:60", "2026-11-26T19:07:60", "2026-11-26T19",
		"2026-11-26T19:07+02:00", "2026-11-26T19:07:05.5", "2026-11-26 ", "2026-11-26ZZ", "1969-12-31",
		"yesterday", "2026-11-26T1:07",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_date(bad[i], false, false, 0, __LINE__);
	int64_t us = 0;
	CHECK(!audit_parse_date(NULL, false, &us));
}

int main(void)
{
	test_lines();
	test_json();
	test_dates();
	return check_report();
}
