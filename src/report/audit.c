/* The audit trail in words and in JSON: one event of the record as one line
 * a person reads (countersign audit, the review screen's audit view) or as
 * an object with every field. Text from the record is sanitised here, so
 * neither caller has to remember it. */
#include "countersign/audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "countersign/clock.h"
#include "countersign/sanitize.h"
#include "countersign/session.h"
#include "countersign/utf8.h"
#include "countersign/util.h"

/* A command or a URL longer than this is cut in the line (JSON has it all). */
#define AUDIT_TEXT_MAX 120

/* Appends S sanitised to one line, cut at MAX bytes (0: no limit) on a
 * character boundary with "..." after it. */
static void put_text(struct strbuf *sb, const char *s, size_t max)
{
	/* Most of the record is printable ASCII: nothing to make safe. */
	size_t plain = 0;
	while (s && s[plain] >= 0x20 && s[plain] < 0x7f)
		plain++;
	if (s && !s[plain] && (!max || plain <= max)) {
		strbuf_add(sb, s, plain);
		return;
	}
	char *clean = sanitize_text(s ? s : "", s ? strlen(s) : 0, 0);
	size_t len = strlen(clean);
	if (max && len > max) {
		len = utf8_boundary_before(clean, len, max);
		strbuf_add(sb, clean, len);
		strbuf_addstr(sb, "...");
	} else {
		strbuf_add(sb, clean, len);
	}
	free(clean);
}

/* Appends "LABEL "TEXT"" when field NAME of P is a non-empty string. A
 * quote or backslash inside TEXT gets a backslash, so that a comment cannot
 * end its quotes and imitate another field of the line. */
static void put_quoted(struct strbuf *sb, const cJSON *p, const char *name, const char *label)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, name);
	if (!cJSON_IsString(v) || !v->valuestring[0])
		return;
	struct strbuf text = {0};
	put_text(&text, v->valuestring, 0);
	strbuf_addf(sb, "; %s \"", label);
	for (size_t i = 0; i < text.len; i++) {
		if (text.data[i] == '"' || text.data[i] == '\\')
			strbuf_add(sb, "\\", 1);
		strbuf_add(sb, &text.data[i], 1);
	}
	strbuf_addstr(sb, "\"");
	strbuf_release(&text);
}

static const char *str(const cJSON *p, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* "signed: approved as dba, sre; comment ...": records before meanings
 * said "approve"/"reject" (approved/rejected), the oldest nothing (approved). */
static void describe_signed(struct strbuf *sb, const cJSON *p)
{
	enum checklist_meaning m = MEANING_APPROVED;
	const char *meaning = str(p, "meaning");
	if (meaning && !checklist_meaning_parse(meaning, &m)) {
		strbuf_addstr(sb, "signed: ");
		put_text(sb, meaning, 40);  /* a word this version does not know: as recorded */
	} else {
		strbuf_addf(sb, "signed: %s", checklist_meaning_name(m));
	}
	const cJSON *roles = cJSON_GetObjectItemCaseSensitive(p, "roles"), *role;
	if (!cJSON_IsArray(roles))
		roles = NULL;
	bool first = true;
	cJSON_ArrayForEach(role, roles) {
		if (!cJSON_IsString(role))
			continue;
		strbuf_addstr(sb, first ? " as " : ", ");
		put_text(sb, role->valuestring, 40);
		first = false;
	}
	put_quoted(sb, p, "comment", "comment");
}

static void describe_check_started(struct strbuf *sb, const cJSON *p)
{
	const cJSON *wait = cJSON_GetObjectItemCaseSensitive(p, "duration_ms");
	const char *command = str(p, "command"), *url = str(p, "url"), *query = str(p, "query");
	if (cJSON_IsNumber(wait) && !command && !url) {
		strbuf_addf(sb, "wait started (%.0f s)", wait->valuedouble / 1000.0);
		return;
	}
	strbuf_addstr(sb, "check started");
	if (query) {
		strbuf_addstr(sb, ": query ");
		put_text(sb, query, AUDIT_TEXT_MAX);
		strbuf_addstr(sb, " at ");
		put_text(sb, url, AUDIT_TEXT_MAX);
	} else if (command || url) {
		strbuf_addstr(sb, ": ");
		put_text(sb, command ? command : url, AUDIT_TEXT_MAX);
	}
}

static void describe_pin(struct strbuf *sb, const struct event *ev, const cJSON *p)
{
	const char *run = str(p, "run");
	if (strcmp(ev->kind, EV_PIN_FAILED) == 0) {
		strbuf_addstr(sb, "wrong PIN");
		const char *command = str(p, "command");
		if (command && command[0]) {
			strbuf_addstr(sb, " (for ");
			put_text(sb, command, AUDIT_TEXT_MAX);
			strbuf_addstr(sb, ")");
		}
	} else {
		const cJSON *failures = cJSON_GetObjectItemCaseSensitive(p, "failures");
		const cJSON *until = cJSON_GetObjectItemCaseSensitive(p, "until_us");
		strbuf_addstr(sb, "locked out");
		if (cJSON_IsNumber(failures))
			strbuf_addf(sb, " after %d wrong PINs", failures->valueint);
		if (cJSON_IsNumber(until)) {
			char when[64];
			clock_format_utc((int64_t)until->valuedouble, when, sizeof(when));
			strbuf_addf(sb, " until %s", when);
		}
	}
	if (run) {
		strbuf_addstr(sb, "; run ");
		put_text(sb, run, 0);
	}
}

static void describe_override(struct strbuf *sb, const struct event *ev, const cJSON *p)
{
	if (strcmp(ev->kind, EV_OVERRIDE_REQUESTED) == 0) {
		strbuf_addstr(sb, "override requested (FORCED once a second engineer confirms)");
	} else {
		strbuf_addstr(sb, "override: FORCED");
		const cJSON *who = cJSON_GetObjectItemCaseSensitive(p, "engineers");
		const cJSON *e;
		bool first = true;
		cJSON_ArrayForEach(e, who) {
			if (!cJSON_IsString(e))
				continue;
			strbuf_addstr(sb, first ? " by " : " and ");
			put_text(sb, e->valuestring, 0);
			first = false;
		}
	}
	put_quoted(sb, p, "reason", "reason");
	put_quoted(sb, p, "incident", "incident");
}

/* What happened, in words, for the kinds the record knows; the kind and its
 * payload for any other. */
static void describe(struct strbuf *sb, const struct event *ev, const cJSON *p)
{
	const char *k = ev->kind ? ev->kind : "";
	const char *verdict = str(p, "verdict");
	if (strcmp(k, EV_RUN_STARTED) == 0) {
		strbuf_addstr(sb, "run started: ");
		put_text(sb, str(p, "title"), AUDIT_TEXT_MAX);
		strbuf_addstr(sb, " (checklist ");
		put_text(sb, str(p, "checklist"), 0);
		strbuf_addstr(sb, ")");
	} else if (strcmp(k, EV_CHECK_STARTED) == 0) {
		describe_check_started(sb, p);
	} else if (strcmp(k, EV_CHECK_FINISHED) == 0) {
		strbuf_addstr(sb, "check finished: ");
		put_text(sb, verdict ? verdict : "?", 0);
		put_quoted(sb, p, "message", "message");
	} else if (strcmp(k, EV_ATTESTED) == 0) {
		strbuf_addstr(sb, "attested: ");
		put_text(sb, verdict ? verdict : "?", 0);
		put_quoted(sb, p, "value", "value");
		put_quoted(sb, p, "note", "note");
	} else if (strcmp(k, EV_WAIVED) == 0) {
		strbuf_addstr(sb, "waived");
		put_quoted(sb, p, "reason", "reason");
	} else if (strcmp(k, EV_CHOSEN) == 0) {
		strbuf_addstr(sb, "chosen");
		put_quoted(sb, p, "group", "of the alternatives");
	} else if (strcmp(k, EV_SIGNED) == 0) {
		describe_signed(sb, p);
	} else if (strcmp(k, EV_OVERRIDE) == 0 || strcmp(k, EV_OVERRIDE_REQUESTED) == 0) {
		describe_override(sb, ev, p);
	} else if (strcmp(k, EV_NOTE) == 0) {
		strbuf_addstr(sb, "note");
		put_quoted(sb, p, "text", "text");
	} else if (strcmp(k, EV_RUN_ABORTED) == 0) {
		strbuf_addstr(sb, "run aborted");
		put_quoted(sb, p, "reason", "reason");
	} else if (strcmp(k, EV_RUN_COMPLETED) == 0) {
		strbuf_addstr(sb, "run completed");
	} else if (strcmp(k, EV_NOTIFY_FAILED) == 0) {
		strbuf_addstr(sb, "notification not delivered");
		put_quoted(sb, p, "event", "of");
		put_quoted(sb, p, "error", "error");
	} else if (strcmp(k, EV_ENGINEER_ADDED) == 0) {
		strbuf_addstr(sb, "engineer registered");
		put_quoted(sb, p, "full_name", "full name");
	} else if (strcmp(k, EV_PIN_CHANGED) == 0) {
		strbuf_addstr(sb, "PIN changed");
	} else if (strcmp(k, EV_PIN_FAILED) == 0 || strcmp(k, EV_PIN_LOCKED) == 0) {
		describe_pin(sb, ev, p);
	} else {
		put_text(sb, k, 0);
		strbuf_addstr(sb, " ");
		put_text(sb, ev->payload, AUDIT_TEXT_MAX);
	}
}

/* Appends S made safe and padded with spaces to WIDTH bytes. */
static void put_column(struct strbuf *sb, const char *s, size_t width)
{
	size_t start = sb->len;
	put_text(sb, s, 0);
	for (size_t n = sb->len - start; n < width; n++)
		strbuf_add(sb, " ", 1);
	strbuf_add(sb, "  ", 2);
}

char *audit_line(const struct store_audit_entry *e)
{
	if (!e)
		return xstrdup("");
	const struct event *ev = &e->ev;
	/* A trail is many lines of few different seconds: format each once. */
	static _Thread_local int64_t last_second = -1;
	static _Thread_local char when[64];
	if (ev->time_us / 1000000 != last_second) {
		last_second = ev->time_us / 1000000;
		clock_format_utc(ev->time_us, when, sizeof(when));
	}
	struct strbuf sb = {0};
	strbuf_addstr(&sb, when);
	strbuf_add(&sb, "  ", 2);
	put_column(&sb, e->chain, 10);
	put_column(&sb, ev->target && ev->target[0] ? ev->target : "-", 24);
	put_column(&sb, ev->actor, 10);
	cJSON *p = cJSON_Parse(ev->payload ? ev->payload : "");
	describe(&sb, ev, p);
	cJSON_Delete(p);
	return strbuf_detach(&sb);
}

/* A whole number as JSON text exactly (a double would round microseconds). */
static cJSON *exact_number(int64_t v)
{
	char text[24];
	snprintf(text, sizeof(text), "%" PRId64, v);
	return cJSON_CreateRaw(text);
}

cJSON *audit_json(const struct store_audit_entry *e)
{
	const struct event *ev = &e->ev;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "chain", e->chain ? e->chain : "");
	cJSON_AddItemToObject(o, "seq", exact_number(ev->seq));
	static _Thread_local int64_t last_second = -1;
	static _Thread_local char date[32];
	if (ev->time_us / 1000000 != last_second) {
		last_second = ev->time_us / 1000000;
		clock_strftime_utc(last_second * 1000000, "%Y-%m-%dT%H:%M:%S", date, sizeof(date));
	}
	char iso[48];
	snprintf(iso, sizeof(iso), "%s.%06dZ", date, (int)(ev->time_us % 1000000));
	cJSON_AddStringToObject(o, "time", iso);
	cJSON_AddItemToObject(o, "time_us", exact_number(ev->time_us));
	cJSON_AddStringToObject(o, "actor", ev->actor ? ev->actor : "");
	cJSON_AddStringToObject(o, "os_user", ev->os_user ? ev->os_user : "");
	cJSON_AddStringToObject(o, "host", ev->host ? ev->host : "");
	cJSON_AddStringToObject(o, "tty", ev->tty ? ev->tty : "");
	cJSON_AddStringToObject(o, "kind", ev->kind ? ev->kind : "");
	cJSON_AddStringToObject(o, "target", ev->target ? ev->target : "");
	/* The payload as recorded (the text that was hashed) when it is a JSON
	 * object, so that no number is rounded; otherwise, as a string. */
	cJSON *parsed = cJSON_Parse(ev->payload ? ev->payload : "");
	if (cJSON_IsObject(parsed))
		cJSON_AddItemToObject(o, "payload", cJSON_CreateRaw(ev->payload));
	else
		cJSON_AddStringToObject(o, "payload_text", ev->payload ? ev->payload : "");
	cJSON_Delete(parsed);
	cJSON_AddStringToObject(o, "prev", ev->prev);
	cJSON_AddStringToObject(o, "hash", ev->hash);
	return o;
}

/* Reads exactly N digits at *P into *OUT, advancing *P. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

bool audit_parse_date(const char *text, bool end, int64_t *us)
{
	if (!text)
		return false;
	const char *p = text;
	struct tm tm = {0};
	int year, month, day, hour = 0, min = 0, sec = 0;
	int64_t unit = 86400; /* the precision given, in seconds */
	if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &month) || *p++ != '-' || !digits(&p, 2, &day))
		return false;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &hour) || *p++ != ':' || !digits(&p, 2, &min))
			return false;
		unit = 60;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &sec))
				return false;
			unit = 1;
		}
	}
	if (*p == 'Z')
		p++;
	if (*p || year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || min > 59 || sec > 59)
		return false;
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	/* timegm moves 2026-02-30 to March: such a day does not exist */
	if (t == (time_t)-1 || tm.tm_mday != day || tm.tm_mon != month - 1)
		return false;
	*us = ((int64_t)t + (end ? unit : 0)) * 1000000;
	return true;
}
