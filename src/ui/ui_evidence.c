/* Network evidence as people read it: each HTTP attempt with its status,
 * latency, the JSON paths that matched and why it failed; each Prometheus
 * sample with its value against the threshold. The raw JSON is one key (J)
 * away. Also the progress lines of a running network check, kept after it
 * ends, with the time to its next attempt counted down while it runs. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "countersign/clock.h"
#include "countersign/duration.h"
#include "countersign/utf8.h"
#include "countersign/util.h"
#include "net/http_judge.h"
#include "ui.h"
#include "ui_runscreen.h"

static bool show_raw;

bool ui_evidence_show_raw(void)
{
	return show_raw;
}

void ui_evidence_toggle_raw(struct ui *ui)
{
	show_raw = !show_raw;
	ui_set_status(ui, false, "network evidence shown %s (J toggles)", show_raw ? "as raw JSON" : "as readable lines");
}

static const char *str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool num(const cJSON *obj, const char *key, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsNumber(v))
		return false;
	*out = v->valuedouble;
	return true;
}

static const char *mark(const struct ui *ui, bool ok)
{
	return ui_verdict_mark(ui, ok ? VERDICT_PASS : VERDICT_FAIL);
}

/* "status 200 in 12 ms from 127.0.0.1:8080" and what else the answer says. */
static void add_answer(struct strbuf *sb, const cJSON *a)
{
	double status = 0, latency = 0, port = 0, bytes = 0;
	if (num(a, "status", &status))
		strbuf_addf(sb, "status %.0f", status);
	else
		strbuf_addstr(sb, "no answer");
	if (num(a, "latency_ms", &latency))
		strbuf_addf(sb, " in %.0f ms", latency);
	if (str(a, "ip") && num(a, "port", &port))
		strbuf_addf(sb, " from %s:%.0f", str(a, "ip"), port);
	if (num(a, "body_bytes", &bytes))
		strbuf_addf(sb, " · %.0f bytes%s", bytes, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "body_truncated"))
			? " (kept: the first 64 KiB)" : "");
	const char *type = str(cJSON_GetObjectItemCaseSensitive(a, "headers"), "Content-Type");
	if (type)
		strbuf_addf(sb, " · %s", type);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "insecure")))
		strbuf_addstr(sb, " · TLS not verified");
}

/* True when a failure of this attempt is about the JSON path PATH. */
static bool failed_path(const cJSON *failures, const char *shown)
{
	const cJSON *f;
	size_t len = strlen(shown);
	cJSON_ArrayForEach(f, failures)
		if (cJSON_IsString(f) && strncmp(f->valuestring, shown, len) == 0 && f->valuestring[len] == ' ')
			return true;
	return false;
}

/* The expected JSON values that matched, with the value found. */
static void add_matched_paths(const struct ui *ui, struct strbuf *sb, const struct checklist_item *it, const cJSON *a)
{
	const cJSON *failures = cJSON_GetObjectItemCaseSensitive(a, "failures");
	cJSON *body = str(a, "body_head") ? cJSON_Parse(str(a, "body_head")) : NULL;
	for (size_t k = 0; k < it->n_expect_json; k++) {
		const char *path = it->expect_json[k].path;
		char *shown = strncmp(path, "$.", 2) == 0 ? xstrdup(path) : xasprintf("$.%s", path);
		if (!failed_path(failures, shown)) {
			const cJSON *v = body ? http_json_lookup(body, path, NULL) : NULL;
			char *text = v ? cJSON_PrintUnformatted(v) : xstrdup("as expected");
			size_t len = strlen(text);
			strbuf_addf(sb, "    %s %s is %.*s%s\n", mark(ui, true), shown,
				(int)utf8_boundary_before(text, len, 60), text, len > 60 ? "…" : "");
			free(text);
		}
		free(shown);
	}
	cJSON_Delete(body);
}

/* One attempt: when, its answer, then why it failed or what matched.
 * The request shows once, and again only when it changed. */
static void add_http_attempt(const struct ui *ui, struct strbuf *sb, const struct checklist_item *it, const cJSON *a, int of,
	const char **last_url)
{
	const char *url = str(a, "url") ? str(a, "url") : "";
	if (!*last_url || strcmp(*last_url, url) != 0)
		strbuf_addf(sb, "%s %s\n", str(a, "method") ? str(a, "method") : "GET", url);
	*last_url = url;
	double n = 0, status = 0;
	num(a, "attempt", &n);
	const char *verdict = str(a, "verdict");
	bool pass = verdict && strcmp(verdict, "pass") == 0;
	bool answered = num(a, "status", &status);
	int cls = it->status_class || it->n_expect_status ? it->status_class : 2;
	bool status_ok = answered && http_status_ok((long)status, cls, it->expect_status, it->n_expect_status);
	strbuf_addf(sb, "attempt %.0f of %d at %s: %s %s · ", n, of, str(a, "started") ? str(a, "started") : "?",
		verdict ? verdict : "?", mark(ui, status_ok && pass));
	add_answer(sb, a);
	strbuf_addstr(sb, "\n");
	if (str(a, "error"))
		strbuf_addf(sb, "    %s %s\n", mark(ui, false), str(a, "error"));
	if (status_ok && it->n_expect_json)
		add_matched_paths(ui, sb, it, a);
	const cJSON *f;
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(a, "failures"))
		if (cJSON_IsString(f))
			strbuf_addf(sb, "    %s %s\n", mark(ui, false), f->valuestring);
	if (!pass && !str(a, "error") && !cJSON_GetObjectItemCaseSensitive(a, "failures") && str(a, "message"))
		strbuf_addf(sb, "    %s %s\n", mark(ui, false), str(a, "message"));
}

static const char *threshold_of(const cJSON *arr)
{
	const cJSON *s;
	cJSON_ArrayForEach(s, arr)
		if (str(s, "threshold"))
			return str(s, "threshold");
	return "?";
}

static void add_prom_sample(const struct ui *ui, struct strbuf *sb, const cJSON *s, int of)
{
	double n = 0, latency = 0;
	num(s, "sample", &n);
	const char *verdict = str(s, "verdict");
	bool pass = verdict && strcmp(verdict, "pass") == 0;
	strbuf_addf(sb, "sample %.0f of %d at %s: %s %s", n, of, str(s, "time") ? str(s, "time") : str(s, "started") ?
		str(s, "started") : "?", mark(ui, pass), str(s, "message") ? str(s, "message") : verdict ? verdict : "");
	if (num(s, "latency_ms", &latency))
		strbuf_addf(sb, " (%.0f ms)", latency);
	strbuf_addstr(sb, "\n");
	const cJSON *one;
	cJSON_ArrayForEach(one, cJSON_GetObjectItemCaseSensitive(s, "series_values")) {
		char *labels = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(one, "labels"));
		strbuf_addf(sb, "    %s %s\n", labels ? labels : "{}", str(one, "value") ? str(one, "value") : "?");
		free(labels);
	}
}

char *ui_evidence_readable(const struct ui *ui, const struct checklist_item *it, const char *evidence)
{
	if (it->kind != ITEM_HTTP && it->kind != ITEM_PROMETHEUS)
		return NULL;
	cJSON *arr = cJSON_Parse(evidence);
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return NULL;
	}
	struct strbuf sb = {0};
	const cJSON *a;
	if (it->kind == ITEM_HTTP) {
		const char *last_url = NULL;
		cJSON_ArrayForEach(a, arr)
			add_http_attempt(ui, &sb, it, a, it->retries + 1, &last_url);
	} else {
		strbuf_addf(&sb, "query %s · threshold: %s · %d sample%s, %d failure%s allowed\n", it->query,
			threshold_of(arr), it->samples, it->samples == 1 ? "" : "s", it->max_failures,
			it->max_failures == 1 ? "" : "s");
		cJSON_ArrayForEach(a, arr)
			add_prom_sample(ui, &sb, a, it->samples);
	}
	cJSON_Delete(arr);
	strbuf_addstr(&sb, "(J shows the raw JSON)\n");
	return strbuf_detach(&sb);
}

char *ui_evidence_raw(const char *evidence)
{
	cJSON *j = cJSON_Parse(evidence);
	char *text = j ? cJSON_Print(j) : NULL;
	cJSON_Delete(j);
	if (!text)
		return NULL;
	char *out = xasprintf("%s\n", text);
	free(text);
	return out;
}

/* --- progress of running network checks --- */

struct progress {
	size_t sec, item;
	int64_t started_us;        /* of the attempt the lines belong to */
	struct strbuf lines;       /* "HH:MM:SS text\n" */
	char *last;                /* the newest line, for the countdown */
	int64_t last_us;
};
static struct progress *progress;
static size_t n_progress;

static struct progress *progress_of(struct ui *ui, size_t sec, size_t item, bool create)
{
	int64_t started = engine_item(ui->s.eng, sec, item)->started_us;
	for (size_t i = 0; i < n_progress; i++) {
		struct progress *p = &progress[i];
		if (p->sec != sec || p->item != item)
			continue;
		if (p->started_us != started) {  /* a new attempt: the old lines are of another check */
			strbuf_release(&p->lines);
			free(p->last);
			p->last = NULL;
			p->started_us = started;
		}
		return p;
	}
	if (!create)
		return NULL;
	progress = xreallocarray(progress, n_progress + 1, sizeof(*progress));
	struct progress *p = &progress[n_progress++];
	memset(p, 0, sizeof(*p));
	p->sec = sec;
	p->item = item;
	p->started_us = started;
	return p;
}

void ui_progress_add(struct ui *ui, size_t sec, size_t item, const char *data, size_t len)
{
	enum checklist_item_kind kind = ui->s.cl->sections[sec].items[item].kind;
	if (kind != ITEM_HTTP && kind != ITEM_PROMETHEUS)
		return;
	struct progress *p = progress_of(ui, sec, item, true);
	char when[16];
	clock_strftime_utc(clock_wall_us(), "%H:%M:%S", when, sizeof(when));
	char *copy = xstrndup(data, len);
	for (char *line = copy; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (*line) {
			strbuf_addf(&p->lines, "%s %s\n", when, line);
			free(p->last);
			p->last = xstrdup(line);
			p->last_us = clock_wall_us();
		}
		line = nl ? nl + 1 : NULL;
	}
	free(copy);
}

/* LINE with its trailing "next in 5m" / "retrying in 5s" counted down from
 * AT_US; a copy of LINE when it has none. */
static char *count_down(const char *line, int64_t at_us)
{
	static const char *const words[] = {"; next in ", "; retrying in "};
	for (size_t w = 0; w < 2; w++) {
		const char *p = strstr(line, words[w]);
		int64_t ms = 0;
		if (!p || !duration_parse(p + strlen(words[w]), &ms, NULL))
			continue;
		int64_t left_s = (ms * 1000 - (clock_wall_us() - at_us) + 999999) / 1000000;
		char left[32];
		duration_format((left_s > 0 ? left_s : 0) * 1000, left, sizeof(left));
		return xasprintf("%.*s%s%s", (int)(p - line), line, words[w], left);
	}
	return xstrdup(line);
}

char *ui_progress_text(struct ui *ui, size_t sec, size_t item)
{
	struct progress *p = progress_of(ui, sec, item, false);
	if (!p || !p->lines.len)
		return xstrdup("");
	if (engine_item(ui->s.eng, sec, item)->verdict != VERDICT_RUNNING)
		return xasprintf("progress while it ran:\n%s", p->lines.data);
	/* the newest line, its wait counted down, after the earlier ones */
	size_t keep = p->lines.len - 1;
	while (keep > 0 && p->lines.data[keep - 1] != '\n')
		keep--;
	char *line = count_down(p->last, p->last_us);
	char *out = xasprintf("%.*s%.9s%s\n", (int)keep, p->lines.data, p->lines.data + keep, line);
	free(line);
	return out;
}

void ui_progress_clear(void)
{
	for (size_t i = 0; i < n_progress; i++) {
		strbuf_release(&progress[i].lines);
		free(progress[i].last);
	}
	free(progress);
	progress = NULL;
	n_progress = 0;
}
