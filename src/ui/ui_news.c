/* News from other terminals: what other processes record on the open run
 * (a signature, a rejection, a check started, an override asked for) and
 * what it did (a gate passed or reopened, the operator's signature made
 * stale) shows on the status line as it is folded in; N lists the recent
 * events of the run, newest first. */
#include <assert.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/clock.h"
#include "countersign/sanitize.h"
#include "countersign/util.h"
#include "countersign/wrap.h"
#include "ui.h"
#include "ui_runscreen.h"

#define NEWS_KEEP 200        /* derived news kept for the list */
#define NEWS_RECORD 200      /* events of the record the list shows */

struct news {
	int64_t time_us;
	char *text;
};

/* What the state was before other processes' events were folded in. */
struct before {
	bool passed;
	int64_t reopened_us;
	bool mine;               /* the operator's signature counts */
};

/* What the news keeps while a run is open, and the list's state. */
struct ui_news {
	struct news *derived;      /* gate passed or reopened, a signature made stale */
	size_t n_derived;
	struct before *before;
	size_t n_before;
	size_t top;                /* first row of the list shown */
	struct strvec lines;       /* the list as drawn: wrapped rows */
};

static const char *jstr(const cJSON *p, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *or(const char *s, const char *other)
{
	return s && *s ? s : other;
}

/* One line for people about EV, and how much it matters (*WEIGHT, the
 * status line shows the weightiest of a batch); NULL for nothing to say. */
static char *event_text(const struct event *ev, int *weight)
{
	cJSON *p = cJSON_Parse(ev->payload ? ev->payload : "{}");
	const char *who = or(ev->actor, "?"), *what = or(ev->target, "the run"), *k = ev->kind;
	char *text = NULL;
	*weight = 10;
	if (strcmp(k, EV_CHECK_STARTED) == 0) {
		text = xasprintf("%s started %s", who, what), *weight = 30;
	} else if (strcmp(k, EV_CHECK_FINISHED) == 0) {
		const char *v = or(jstr(p, "verdict"), "?"), *m = jstr(p, "message");
		*weight = strcmp(v, "pass") == 0 ? 20 : 40;
		text = xasprintf("%s: %s (%s%s)%s%s", what, v, strcmp(who, SESSION_SYSTEM_ACTOR) == 0 ? "recorded by " : "by ",
			who, m ? ": " : "", m ? m : "");
	} else if (strcmp(k, EV_ATTESTED) == 0) {
		const char *value = jstr(p, "value"), *note = jstr(p, "note");
		text = xasprintf("%s attested %s: %s%s%s%s%s", who, what, or(jstr(p, "verdict"), "pass"), value ? ", value " : "",
			value ? value : "", note ? ": " : "", note ? note : ""), *weight = 25;
	} else if (strcmp(k, EV_WAIVED) == 0) {
		text = xasprintf("%s waived %s: %s", who, what, or(jstr(p, "reason"), "")), *weight = 35;
	} else if (strcmp(k, EV_CHOSEN) == 0) {
		text = xasprintf("%s chose %s for \"%s\"", who, what, or(jstr(p, "group"), "?")), *weight = 30;
	} else if (strcmp(k, EV_SIGNED) == 0) {
		/* older records say "approve"/"reject", the oldest nothing (an approval) */
		enum checklist_meaning m = MEANING_APPROVED;
		if (!jstr(p, "meaning") || !checklist_meaning_parse(jstr(p, "meaning"), &m))
			m = MEANING_APPROVED;
		bool reject = m == MEANING_REJECTED;
		const char *c = jstr(p, "comment");
		text = xasprintf("%s %s %s%s%s", who, reject ? "REJECTED" : checklist_meaning_name(m), what, c ? ": " : "",
			c ? c : "");
		*weight = reject ? 70 : 50;
	} else if (strcmp(k, EV_OVERRIDE_REQUESTED) == 0) {
		text = xasprintf("%s asks for an override of %s: %s (incident %s); another engineer confirms it with O",
			who, what, or(jstr(p, "reason"), ""), or(jstr(p, "incident"), "")), *weight = 65;
	} else if (strcmp(k, EV_OVERRIDE) == 0) {
		const cJSON *names = cJSON_GetObjectItemCaseSensitive(p, "engineers");
		const cJSON *a = cJSON_GetArrayItem(names, 0), *b = cJSON_GetArrayItem(names, 1);
		const char *first = cJSON_IsString(a) ? a->valuestring : who, *second = cJSON_IsString(b) ? b->valuestring : "?";
		if (cJSON_GetObjectItemCaseSensitive(p, "request_seq"))  /* a request confirmed by a second engineer */
			text = xasprintf("%s confirmed %s's override of %s: FORCED (incident %s)", second, first, what,
				or(jstr(p, "incident"), ""));
		else
			text = xasprintf("%s FORCED by %s and %s: %s (incident %s)", what, first, second, or(jstr(p, "reason"), ""),
				or(jstr(p, "incident"), ""));
		*weight = 65;
	} else if (strcmp(k, EV_NOTE) == 0) {
		text = xasprintf("%s noted on %s: %s", who, what, or(jstr(p, "text"), "")), *weight = 15;
	} else if (strcmp(k, EV_RUN_ABORTED) == 0) {
		text = xasprintf("%s ABORTED the run: %s", who, or(jstr(p, "reason"), "")), *weight = 85;
	} else if (strcmp(k, EV_RUN_COMPLETED) == 0) {
		text = xstrdup("the run completed: every gate has passed"), *weight = 60;
	} else if (strcmp(k, EV_RUN_STARTED) == 0) {
		text = xasprintf("%s started the run", who);
	} else if (strcmp(k, EV_NOTIFY_FAILED) == 0) {
		text = xasprintf("a %s notification did not deliver: %s", or(jstr(p, "event"), "?"), or(jstr(p, "error"),
			or(jstr(p, "status"), "")));
	}
	cJSON_Delete(p);
	if (!text)
		return NULL;
	char *safe = sanitize_text(text, strlen(text), 0);
	free(text);
	return safe;
}

/* The actor of the last event in EVS about section SEC (or its items). */
static const char *last_actor(const struct checklist *cl, size_t sec, const struct event *evs, size_t n)
{
	size_t len = strlen(cl->sections[sec].id);
	for (size_t i = n; i > 0; i--) {
		const char *t = evs[i - 1].target ? evs[i - 1].target : "";
		if (strncmp(t, cl->sections[sec].id, len) == 0 && (t[len] == '\0' || t[len] == '/'))
			return or(evs[i - 1].actor, "?");
	}
	return "another engineer";
}

static bool signature_counts(const struct engine_section_state *ss, const char *name)
{
	for (size_t k = 0; name && k < ss->n_signoffs; k++)
		if (strcmp(ss->signoffs[k].engineer, name) == 0 && !ss->signoffs[k].stale)
			return true;
	return false;
}

static void add_derived(struct ui_news *nw, int64_t t, char *text)
{
	if (nw->n_derived == NEWS_KEEP) {
		free(nw->derived[0].text);
		memmove(nw->derived, nw->derived + 1, (nw->n_derived - 1) * sizeof(*nw->derived));
		nw->n_derived--;
	}
	nw->derived = xreallocarray(nw->derived, nw->n_derived + 1, sizeof(*nw->derived));
	nw->derived[nw->n_derived++] = (struct news){.time_us = t, .text = text};
}

/* Keeps the weightiest news of a batch for the status line. */
static void consider(char **best, int *best_w, bool *alarm, char *text, int weight, bool is_alarm)
{
	if (weight > *best_w) {
		free(*best);
		*best = xstrdup(text);
		*best_w = weight;
		*alarm = is_alarm;
	}
}

/* What the batch did to the gates and to the operator's signatures. */
static void derive(struct ui *ui, const struct event *evs, size_t n, char **best, int *best_w, bool *alarm,
	int *count)
{
	const struct checklist *cl = ui->s.cl;
	struct ui_news *nw = ui->news;
	const struct before *before = nw->before;
	for (size_t k = 0; k < cl->n_sections && k < nw->n_before; k++) {
		const struct engine_section_state *ss = engine_section(ui->s.eng, k);
		char *text = NULL;
		int w = 0;
		if (ss->reopened && ss->reopened_us != before[k].reopened_us)
			text = xasprintf("the gate of %s REOPENED: a re-check after sign-off by %s failed; its signatures are "
				"stale", cl->sections[k].id, last_actor(cl, k, evs, n)), w = 90;
		else if (ss->gate_passed && !before[k].passed && !ss->forced)
			text = xasprintf("the gate of %s passed (sign-offs %d/%d)", cl->sections[k].id, ss->approvals,
				cl->sections[k].signoffs), w = 60;
		if (text) {
			consider(best, best_w, alarm, text, w, w == 90);
			add_derived(nw, clock_wall_us(), text);
			++*count;
		}
		if (before[k].mine && !signature_counts(ss, ui->operator)) {
			text = xasprintf("your signature of %s is stale: %s recorded a new verdict, sign the new evidence",
				cl->sections[k].id, last_actor(cl, k, evs, n));
			consider(best, best_w, alarm, text, 80, true);
			add_derived(nw, clock_wall_us(), text);
			++*count;
		}
	}
}

static void on_fold(void *data, const struct event *evs, size_t n, bool folded)
{
	struct ui *ui = data;
	const struct checklist *cl = ui->s.cl;
	struct ui_news *nw = ui->news;
	assert(nw);
	if (!folded) {
		nw->before = xreallocarray(nw->before, cl->n_sections + 1, sizeof(*nw->before));
		nw->n_before = cl->n_sections;
		for (size_t k = 0; k < cl->n_sections; k++) {
			const struct engine_section_state *ss = engine_section(ui->s.eng, k);
			nw->before[k] = (struct before){.passed = ss->gate_passed, .reopened_us = ss->reopened ? ss->reopened_us : 0,
				.mine = signature_counts(ss, ui->operator)};
		}
		return;
	}
	char *best = NULL;
	int best_w = 0, count = 0;
	bool alarm = false;
	for (size_t i = 0; i < n; i++) {
		int w = 0;
		char *text = event_text(&evs[i], &w);
		if (!text)
			continue;
		const char *k = evs[i].kind;
		consider(&best, &best_w, &alarm, text, w, strcmp(k, EV_RUN_ABORTED) == 0 || w == 70);
		count++;
		free(text);
	}
	derive(ui, evs, n, &best, &best_w, &alarm, &count);
	if (best)
		ui_set_status(ui, alarm, "%s%s", best, count > 1 ? " (and more: N lists recent events)" : " (N: recent events)");
	free(best);
	if (ui->view == &ui_news_view)
		ui_news_open(ui);  /* the list shows the new events too */
	ui->dirty = true;
}

void ui_news_attach(struct ui *ui)
{
	if (!ui->news)
		ui->news = xcalloc(1, sizeof(*ui->news));
	ui->s.on_fold = on_fold;
	ui->s.fold_data = ui;
}

static void free_lines(struct ui_news *nw)
{
	strvec_clear(&nw->lines);
}

static void news_destroy(struct ui *ui)
{
	struct ui_news *nw = ui->news;
	if (!nw)
		return;
	for (size_t i = 0; i < nw->n_derived; i++)
		free(nw->derived[i].text);
	free(nw->derived);
	free(nw->before);
	free_lines(nw);
	free(nw);
	ui->news = NULL;
}

void ui_news_detach(struct ui *ui)
{
	ui->s.on_fold = NULL;
	ui->s.fold_data = NULL;
	news_destroy(ui);
	if (ui->view == &ui_news_view)
		ui->view = &ui_run_view;
}

static int by_time_desc(const void *a, const void *b)
{
	const struct news *x = a, *y = b;
	return x->time_us < y->time_us ? 1 : x->time_us > y->time_us ? -1 : 0;
}

/* Adds NEWS as rows of at most WIDTH columns: the time, then the text
 * wrapped under it. */
static void add_rows(struct ui_news *list, const struct news *nw, int width)
{
	char when[64];
	clock_format_utc(nw->time_us, when, sizeof(when));
	int indent = (int)strlen(when) + 2;
	size_t n = 0;
	struct wrap_row *at = wrap_rows(nw->text, strlen(nw->text), width - indent, &n);
	for (size_t i = 0; i < (n ? n : 1); i++) {
		strvec_pushf(&list->lines, "%-*s%.*s", indent, i == 0 ? when : "", n ? (int)at[i].len : 0,
			n ? nw->text + at[i].start : "");
	}
	free(at);
}

void ui_news_open(struct ui *ui)
{
	struct ui_news *nw = ui->news;
	assert(nw);
	struct event *evs = NULL;
	size_t n = 0;
	int64_t last = engine_last_seq(ui->s.eng);
	session_chain_events(&ui->s, ui->s.run.id, last > NEWS_RECORD ? last - NEWS_RECORD : 0, &evs, &n);
	struct news *all = xcalloc(n + nw->n_derived + 1, sizeof(*all));
	size_t n_all = 0;
	for (size_t i = 0; i < n; i++) {
		int w;
		char *text = event_text(&evs[i], &w);
		if (text)
			all[n_all++] = (struct news){.time_us = evs[i].time_us, .text = text};
	}
	event_array_free(evs, n);
	for (size_t i = 0; i < nw->n_derived; i++)
		all[n_all++] = (struct news){.time_us = nw->derived[i].time_us, .text = xstrdup(nw->derived[i].text)};
	qsort(all, n_all, sizeof(*all), by_time_desc);
	free_lines(nw);
	for (size_t i = 0; i < n_all; i++) {
		add_rows(nw, &all[i], ui->cols - 2);
		free(all[i].text);
	}
	free(all);
	if (ui->view != &ui_news_view)
		nw->top = 0;
	ui->view = &ui_news_view;
	ui->dirty = true;
}

static void news_draw(struct ui *ui)
{
	struct ui_news *nw = ui->news;
	int rows = ui->rows - 3;
	if (nw->top + (size_t)rows > nw->lines.n)
		nw->top = nw->lines.n > (size_t)rows ? nw->lines.n - (size_t)rows : 0;
	char *title = xasprintf(" Recent events of run %s, newest first", ui->s.run.id);
	ui_title_bar(ui, title);
	free(title);
	for (int r = 0; r < rows; r++) {
		size_t i = nw->top + (size_t)r;
		ui_put(1 + r, 1, ui->cols - 2, i < nw->lines.n ? nw->lines.v[i]
			: r == 0 && !nw->lines.n ? "(nothing recorded yet)" : "");
	}
	ui_put(ui->rows - 2, 0, ui->cols, ui->status ? ui->status : "");
	if (nw->top)
		ui_border_more(ui, 0, 0, ui->cols, nw->top, true);
	if (nw->top + (size_t)rows < nw->lines.n)
		ui_border_more(ui, ui->rows - 2, 0, ui->cols, nw->lines.n - nw->top - (size_t)rows, false);
	ui_put(ui->rows - 1, 0, ui->cols, " j/k scroll  PgUp/PgDn page  g/G top/end  q, Esc, N back");
}

static void news_key(struct ui *ui, int key)
{
	struct ui_news *nw = ui->news;
	size_t page = ui->rows > 6 ? (size_t)ui->rows - 4 : 1;
	ui->dirty = true;
	if (ui_scroll_key_ends(&nw->top, page, nw->lines.n, key))
		return;
	switch (key) {
	case 'q': case 'N': case UI_KEY_ESC: case UI_CTRL('c'):
		ui->view = &ui_run_view;
		free_lines(nw);
		break;
	}
}

const struct ui_view_ops ui_news_view = {
	.name = "news",
	.draw = news_draw,
	.key = news_key,
	.tick = ui_run_tick,
	.destroy = news_destroy,
};
