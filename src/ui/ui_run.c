/* The run screen: title bar, sections by phase, items with the gate line,
 * the output of the selected item, key hints and the status line. */
#include <assert.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/clock.h"
#include "countersign/duration.h"
#include "countersign/sanitize.h"
#include "countersign/utf8.h"
#include "countersign/util.h"
#include "countersign/wrap.h"
#include "ui.h"
#include "ui_runscreen.h"

static void on_exec_output(size_t sec, size_t item, const char *data, size_t len, void *user)
{
	ui_output_append(user, sec, item, data, len);
	ui_progress_add(user, sec, item, data, len);
}

static void on_exec_done(size_t sec, size_t item, const char *verdict, const char *message, int rc, void *user)
{
	struct ui *ui = user;
	const struct checklist *cl = ui->s.cl;
	/* The record holds the output now (head and tail); free the live copy so
	 * memory does not grow with the number of items run. */
	struct ui_output *o = &ui->outputs[sec][item];
	free(o->data);
	memset(o, 0, sizeof(*o));
	if (rc == CS_OK)
		ui_set_status(ui, strcmp(verdict, "pass") != 0, "%s: %s/%s: %s", verdict, cl->sections[sec].id,
			cl->sections[sec].items[item].id, message ? message : "");
	else if (ui->exec && exec_is_held(ui->exec, sec, item))
		ui->held_serial = ui->status_serial;  /* the full "retrying" line replaces what was said */
	ui->dirty = true;
}

void ui_output_append(struct ui *ui, size_t sec, size_t item, const char *data, size_t len)
{
	if (!ui->outputs || sec >= ui->s.cl->n_sections || item >= ui->s.cl->sections[sec].n_items)
		return;
	struct ui_output *o = &ui->outputs[sec][item];
	if (!o->data)
		o->data = xmalloc(UI_OUTPUT_KEEP);
	if (len >= UI_OUTPUT_KEEP) {
		data += len - UI_OUTPUT_KEEP;
		len = UI_OUTPUT_KEEP;
		o->truncated = true;
	}
	if (o->len + len > UI_OUTPUT_KEEP) {
		/* keep the newest output: drop from the front, whole characters */
		size_t drop = utf8_boundary_after(o->data, o->len, o->len + len - UI_OUTPUT_KEEP);
		memmove(o->data, o->data + drop, o->len - drop);
		o->len -= drop;
		o->truncated = true;
	}
	memcpy(o->data + o->len, data, len);
	o->len += len;
	if (sec == ui->sec && item == ui->item)
		ui->output_dirty = true;
}

static void free_outputs(struct ui *ui)
{
	if (!ui->outputs)
		return;
	for (size_t s = 0; s < ui->s.cl->n_sections; s++) {
		for (size_t i = 0; i < ui->s.cl->sections[s].n_items; i++)
			free(ui->outputs[s][i].data);
		free(ui->outputs[s]);
	}
	free(ui->outputs);
	ui->outputs = NULL;
}

void ui_run_close(struct ui *ui)
{
	/* results still held when the run is left are lost: kept to be said
	 * once the screen is gone (the quit question warned of them) */
	char *lost = exec_close(ui->exec);
	if (lost) {
		/* each line names its run: they are read away from the screen */
		struct strbuf sb = {0};
		if (ui->lost)
			strbuf_addf(&sb, "%s", ui->lost);
		for (char *line = lost, *nl; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			assert(nl);  /* exec_held_text ends every line */
			strbuf_addf(&sb, "run %s, %.*s\n", ui->s.have_run ? ui->s.run.id : "?", (int)(nl - line),
				line);
		}
		free(ui->lost);
		ui->lost = strbuf_detach(&sb);
		free(lost);
	}
	ui->exec = NULL;
	ui_news_detach(ui);
	ui_progress_clear();
	if (ui->have_run)
		free_outputs(ui);
	vars_clear(&ui->vars);
	engine_destroy(ui->s.eng);
	checklist_destroy(ui->s.cl);
	if (ui->s.have_run)
		store_run_row_clear(&ui->s.run);
	ui->s.eng = NULL;
	ui->s.cl = NULL;
	ui->s.have_run = false;
	ui->have_run = false;
	ui->gate_due_us = 0;
}

static bool read_only(const struct ui *ui)
{
	return ui->opt->review || engine_status(ui->s.eng) != RUN_OPEN;
}

bool ui_run_open(struct ui *ui, const char *run_id)
{
	if (run_id) {
		ui_run_close(ui);
		if (session_load_run(&ui->s, run_id) != CS_OK)
			return false;
		vars_assign(&ui->vars, ui->s.cl, NULL, 0, false, &ui->s.report);
		vars_from_record(&ui->vars, engine_variables_json(ui->s.eng));
	}
	if (!ui->s.eng)
		return false;
	if (!ui->outputs) {
		ui->outputs = xcalloc(ui->s.cl->n_sections + 1, sizeof(*ui->outputs));
		for (size_t s = 0; s < ui->s.cl->n_sections; s++)
			ui->outputs[s] = xcalloc(ui->s.cl->sections[s].n_items + 1, sizeof(struct ui_output));
	}
	if (!ui->exec && !read_only(ui)) {
		ui->exec = exec_create(&ui->s, &ui->vars, on_exec_output, on_exec_done, ui);
		exec_set_holding(ui->exec, true);  /* a result the server could not take is retried, not lost */
	}
	ui_news_attach(ui);
	ui->have_run = true;
	ui->view = &ui_run_view;
	size_t cur = engine_current_section(ui->s.eng);
	ui->sec = cur != (size_t)-1 ? cur : 0;
	ui->item = 0;
	ui->pane = 0;
	ui->dirty = true;
	if (read_only(ui)) {
		char *end = ui_run_end_text(ui);
		if (end)
			ui_set_status(ui, false, "read-only: run %s was %s", ui->s.run.id, end);
		else
			ui_set_status(ui, false, "run %s is opened for review: read-only", ui->s.run.id);
		free(end);
	}
	return true;
}

/* Sends the gate_waiting notices due (when this process is the one that
 * records them) and says so on the status line, naming a section. */
static void gate_notices(struct ui *ui, int64_t now)
{
	const struct checklist *cl = ui->s.cl;
	int *before = xcalloc(cl->n_sections + 1, sizeof(*before));
	for (size_t s = 0; s < cl->n_sections; s++)
		before[s] = engine_section(ui->s.eng, s)->waiting_notices;
	int sent = session_gate_waiting_due(&ui->s, now, &ui->gate_due_us);
	for (size_t s = 0; sent > 0 && s < cl->n_sections; s++) {
		const struct engine_section_state *ss = engine_section(ui->s.eng, s);
		if (ss->waiting_notices <= before[s] || !ss->waiting_us)
			continue;
		char waited[32];
		duration_format(ss->waiting_us / 1000000 * 1000, waited, sizeof(waited));
		ui_set_status(ui, false, "the gate of %s has waited %s for sign-off: gate_waiting notice sent",
			cl->sections[s].id, waited);
		break;
	}
	free(before);
}

void ui_run_tick(struct ui *ui)
{
	if (!ui->have_run)
		return;
	/* what other processes recorded, and the clock's verdicts (a wait ended) */
	session_poll(&ui->s);
	int64_t now = clock_wall_us();
	/* Gates that waited past signoff_within: the notice (the first process
	 * to record it sends it), and when the next one falls due. */
	ui->gate_due_us = 0;
	if (!read_only(ui))
		gate_notices(ui, now);
	engine_refresh(ui->s.eng, now);
}

/* --- drawing --- */

static void fmt_elapsed(int64_t us, char *buf, size_t size)
{
	int64_t s = us / 1000000;
	if (s < 0)
		s = 0;
	snprintf(buf, size, "%02lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60), (long long)(s % 60));
}

/* The deploy window's clock, when the checklist sets one. */
static void add_window(struct ui *ui, struct strbuf *right)
{
	char el[32];
	int64_t wstart = engine_window_started_us(ui->s.eng);
	if (!ui->s.cl->window_ms || engine_status(ui->s.eng) != RUN_OPEN)
		return;
	if (!wstart) {
		strbuf_addf(right, " (window from %s)", ui->s.cl->window_starts_at);
		return;
	}
	/* The window's own clock: since it started, and what is left of it. */
	if (wstart != ui->s.run.started_us) {
		fmt_elapsed(clock_wall_us() - wstart, el, sizeof(el));
		strbuf_addf(right, " · window %s", el);
	}
	int64_t wleft = wstart + ui->s.cl->window_ms * 1000 - clock_wall_us();
	fmt_elapsed(wleft < 0 ? -wleft : wleft, el, sizeof(el));
	strbuf_addf(right, wleft < 0 ? " (window over by %s)" : " (%s left)", el);
}

/* The title bar: what and which run on the left (cut when narrow), who and
 * the window clock on the right (always shown), and how the run ended. */
static void draw_title(struct ui *ui)
{
	const struct checklist *cl = ui->s.cl;
	struct strbuf left = {0}, right = {0};
	strbuf_addf(&left, " %s · run %s", cl->title, ui->s.run.id);
	if (strcmp(ui->s.run.title, cl->title) != 0)
		strbuf_addf(&left, " \"%s\"", ui->s.run.title);
	cJSON *vars = cJSON_Parse(engine_variables_json(ui->s.eng));
	const cJSON *v;
	int shown = 0;
	cJSON_ArrayForEach(v, vars) {
		if (shown++ < 2 && cJSON_IsString(v))
			strbuf_addf(&left, "%s%s=%s", shown == 1 ? " · " : " ", v->string, v->valuestring);
	}
	if (shown > 2)
		strbuf_addf(&left, " +%d", shown - 2);
	cJSON_Delete(vars);
	strbuf_addf(&right, " %s · ", ui->operator ? ui->operator : "not signed in");
	char el[32];
	int64_t end = engine_ended_us(ui->s.eng) ? engine_ended_us(ui->s.eng) : clock_wall_us();
	fmt_elapsed(end - ui->s.run.started_us, el, sizeof(el));
	strbuf_addstr(&right, el);
	add_window(ui, &right);
	if (engine_status(ui->s.eng) != RUN_OPEN)
		strbuf_addf(&right, " · %s", engine_run_status_name(engine_status(ui->s.eng)));
	if (engine_status(ui->s.eng) == RUN_ABORTED && engine_abort_actor(ui->s.eng))
		strbuf_addf(&right, " by %s", engine_abort_actor(ui->s.eng));
	strbuf_addstr(&right, " ");
	int rw = ui_width(right.data);
	if (rw > ui->cols)
		rw = ui->cols;
	if (ui->color)
		attron(COLOR_PAIR(5));
	ui_put(0, 0, ui->cols - rw > 0 ? ui->cols - rw : 0, left.data);
	ui_put(0, ui->cols - rw > 0 ? ui->cols - rw : 0, rw < ui->cols ? rw : ui->cols, right.data);
	if (ui->color)
		attroff(COLOR_PAIR(5));
	strbuf_release(&left);
	strbuf_release(&right);
}

static int mark_color(enum engine_section_mark m)
{
	switch (m) {
	case MARK_PASSED: return 1;
	case MARK_FAILED: return 2;
	case MARK_RUNNING: case MARK_FORCED: return 3;
	default: return 0;
	}
}

/* The width of the sections pane: a third of the screen up to 34 columns,
 * and on a wide terminal up to 30% of it, as much as the longest title
 * needs. */
static int sections_width(const struct ui *ui)
{
	int base = ui->cols / 3 < 34 ? ui->cols / 3 : 34, want = 0;
	for (size_t s = 0; s < ui->s.cl->n_sections; s++) {
		int w = ui_width(ui->s.cl->sections[s].title) + 5;  /* borders, mark and blanks */
		want = w > want ? w : want;
	}
	int wide = ui->cols * 3 / 10;
	int lw = want < wide ? want : wide;
	return lw > base ? lw : base;
}

/* The mark a section shows: a rollback of an alternative not chosen reads
 * as not chosen (it stays open). */
static enum engine_section_mark shown_mark(const struct ui *ui, size_t s)
{
	enum engine_section_mark m = engine_section(ui->s.eng, s)->mark;
	return m == MARK_OPEN && ui_rollback_not_chosen(ui, s) ? MARK_NOT_CHOSEN : m;
}

static void draw_section_row(struct ui *ui, int y, int width, size_t s)
{
	const struct checklist_section *sec = &ui->s.cl->sections[s];
	enum engine_section_mark m = shown_mark(ui, s);
	char *title = ui_fit_middle(sec->title, width - 5, ui->utf8);
	char *line = xasprintf(" %s %s", ui_mark(ui, m), title);
	bool sel = s == ui->sec;
	if (sel)
		attron(ui->pane == 0 ? A_REVERSE : A_BOLD);
	if (ui->color && mark_color(m))
		attron(COLOR_PAIR(mark_color(m)));
	ui_put(y, 1, width - 2, line);
	if (ui->color && mark_color(m))
		attroff(COLOR_PAIR(mark_color(m)));
	if (sel)
		attroff(ui->pane == 0 ? A_REVERSE : A_BOLD);
	free(line);
	free(title);
}

static void draw_sections(struct ui *ui, int top, int height, int width)
{
	const struct checklist *cl = ui->s.cl;
	ui_box(top, 0, height, width, "Sections");
	if (ui->pane == 0)
		mvaddch(top, 1, '*');
	/* rows: phase headings and sections; scroll so that the selection shows */
	int rows = height - 2, sel_row = 0, n = 0;
	const char *phase = NULL;
	for (size_t s = 0; s < cl->n_sections; s++) {
		const char *p = cl->sections[s].phase ? cl->sections[s].phase : "";
		if (!phase || strcmp(p, phase) != 0)
			n++;
		phase = p;
		if (s == ui->sec)
			sel_row = n;
		n++;
	}
	int first = sel_row >= rows ? sel_row - rows + 1 : 0;
	int row = 0;
	phase = NULL;
	for (size_t s = 0; s < cl->n_sections; s++) {
		const char *p = cl->sections[s].phase ? cl->sections[s].phase : "";
		if (!phase || strcmp(p, phase) != 0) {
			if (row >= first && row - first < rows) {
				attron(A_BOLD);
				if (ui->color)
					attron(COLOR_PAIR(4));
				ui_put(top + 1 + row - first, 1, width - 2, p);
				if (ui->color)
					attroff(COLOR_PAIR(4));
				attroff(A_BOLD);
			}
			row++;
		}
		phase = p;
		if (row >= first && row - first < rows)
			draw_section_row(ui, top + 1 + row - first, width, s);
		row++;
	}
	ui_border_more(ui, top, 0, width, (size_t)first, true);
	ui_border_more(ui, top + height - 1, 0, width, n - first > rows ? (size_t)(n - first - rows) : 0, false);
}

static const char *kind_short(enum checklist_item_kind k)
{
	static const char *const names[] = {"cmd", "http", "prom", "wait", "manual"};
	return (unsigned)k < 5 ? names[k] : "?";
}

/* One item row of WIDTH columns: mark, verdict, duration (fixed width, so
 * that titles line up and never move as time passes), kind, the title (cut
 * in the middle when it does not fit, so that its end shows), estimate. */
static char *item_summary(const struct ui *ui, size_t s, size_t i, int width)
{
	const struct checklist_item *it = &ui->s.cl->sections[s].items[i];
	const struct engine_item_state *is = engine_item(ui->s.eng, s, i);
	char dur[32] = "", est[48] = "";
	if (it->kind == ITEM_WAIT && is->verdict == VERDICT_RUNNING) {
		int64_t left_s = (is->wait_until_us - clock_wall_us() + 999999) / 1000000;
		char left[24];
		duration_format((left_s > 0 ? left_s : 0) * 1000, left, sizeof(left));
		snprintf(dur, sizeof(dur), "in %s", left);
	} else if (is->started_us && it->kind != ITEM_MANUAL) {
		int64_t end = is->finished_us ? is->finished_us : clock_wall_us();
		int64_t ms = (end - is->started_us) / 1000;
		if (ms < 1000)
			snprintf(dur, sizeof(dur), "%lldms", (long long)ms);
		else
			duration_format(ms / 1000 * 1000, dur, sizeof(dur));
	}
	if (it->estimate_hi_ms) {
		char a[24], b[24];
		duration_format(it->estimate_lo_ms, a, sizeof(a));
		duration_format(it->estimate_hi_ms, b, sizeof(b));
		snprintf(est, sizeof(est), it->estimate_lo_ms == it->estimate_hi_ms ? " ~%s" : " ~%s-%s", a, b);
	}
	const char *verdict = is->needs_attestation ? "attest?" : is->overdue ? "overdue"
		: engine_verdict_name(is->verdict);
	char *head = xasprintf("%s %-9s %8s %-6s ", ui_verdict_mark(ui, is->verdict), verdict, dur, kind_short(it->kind));
	char *tail = xasprintf("%s%s", est, it->required ? "" : " (optional)");
	int room = width - ui_width(head) - ui_width(tail);
	char *title = ui_fit_middle(it->title, room > 12 ? room : 12, ui->utf8);
	char *line = xasprintf("%s%s%s", head, title, tail);
	free(head);
	free(tail);
	free(title);
	return line;
}

/* "12m" (whole minutes from a minute on, else seconds) into BUF. */
static void fmt_waited(int64_t us, char *buf, size_t size)
{
	int64_t s = us > 0 ? us / 1000000 : 0;
	duration_format((s >= 60 ? s / 60 * 60 : s) * 1000, buf, size);
}

/* How long the gate has waited for its signatures since the items were
 * done, against signoff_within: "waiting 12m for sign-off · within 30m".
 * Returns true once that time has passed (the caller highlights it). */
static bool add_waiting(const struct checklist_section *sec, const struct engine_section_state *ss,
	struct strbuf *sb)
{
	if (!ss->waiting_us)
		return false;
	char waited[32], within[32];
	fmt_waited(ss->waiting_us, waited, sizeof(waited));
	duration_format(sec->signoff_within_ms, within, sizeof(within));
	strbuf_addf(sb, "waiting %s for sign-off · within %s", waited, within);
	return ss->waiting_us >= sec->signoff_within_ms * 1000;
}

/* The gate line under the items: counts, then what stands out. *LATE_AT
 * and *LATE_END (when not NULL) get the bytes of the waiting time once it
 * is past signoff_within (both 0 otherwise). */
static void gate_line(struct ui *ui, struct strbuf *sb, size_t *late_at, size_t *late_end)
{
	const struct checklist_section *sec = &ui->s.cl->sections[ui->sec];
	const struct engine_section_state *ss = engine_section(ui->s.eng, ui->sec);
	const struct checklist *cl = ui->s.cl;
	size_t target = ui_rollback_target(ui, ui->sec);
	if (sec->always_open)
		strbuf_addstr(sb, "always open, no gate");
	else if (!sec->gate)
		strbuf_addstr(sb, "no gate");
	else
		strbuf_addf(sb, "items %d/%d · sign-offs %d/%d%s%s", ss->required_done, ss->required_total,
			ss->approvals, sec->signoffs, ss->rejected ? " · REJECTED" : "",
			ss->forced ? " · FORCED" : ss->gate_passed ? " · gate passed" : "");
	if (ss->waiting_us) {
		strbuf_addstr(sb, " · ");
		size_t at = sb->len;
		if (add_waiting(sec, ss, sb) && late_at && late_end) {
			*late_at = at;
			*late_end = sb->len;
		}
	}
	if (ss->locked && ss->blocked_by != (size_t)-1)
		strbuf_addf(sb, " · locked by %s", cl->sections[ss->blocked_by].id);
	else if (ss->mark == MARK_CHOOSE)
		strbuf_addf(sb, " · choose one of \"%s\" (C)", sec->choice);
	if (ss->reopened && !ss->gate_passed)
		strbuf_addstr(sb, " · gate reopened");
	if (ss->reopened_before != (size_t)-1)
		strbuf_addf(sb, " · earlier gate reopened: %s", cl->sections[ss->reopened_before].id);
	if (ss->pending_active)
		strbuf_addf(sb, " · OVERRIDE ASKED by %s", ss->pending_by ? ss->pending_by : "?");
	if (target != (size_t)-1)
		strbuf_addf(sb, " · %s %s", engine_section(ui->s.eng, target)->not_chosen ? "for" : "rolls back",
			engine_section(ui->s.eng, target)->not_chosen ? "an alternative not chosen" : cl->sections[target].id);
}

/* Draws the gate line TEXT, with bytes FROM..TO (a gate waiting past its
 * signoff_within) highlighted. */
static void draw_gate(struct ui *ui, int y, int x, int width, const char *text, size_t from, size_t to)
{
	if (from >= to) {
		ui_put(y, x, width, text);
		return;
	}
	char *head = xstrndup(text, from), *late = xstrndup(text + from, to - from);
	ui_put(y, x, width, text);
	int hw = ui_width(head), lw = ui_width(late);
	if (hw < width) {
		attron(A_BOLD);
		if (ui->color)
			attron(COLOR_PAIR(2));
		/* over the same text, only as wide as it (ui_put pads to its width) */
		ui_put(y, x + hw, lw < width - hw ? lw : width - hw, late);
		if (ui->color)
			attroff(COLOR_PAIR(2));
		attroff(A_BOLD);
	}
	free(head);
	free(late);
}

static void draw_items(struct ui *ui, int top, int left, int height, int width)
{
	const struct checklist_section *sec = &ui->s.cl->sections[ui->sec];
	ui_box(top, left, height, width, sec->title);
	if (ui->pane == 1)
		mvaddch(top, left + 1, '*');
	int rows = height - 3;
	int first = (int)ui->item >= rows ? (int)ui->item - rows + 1 : 0;
	for (int r = 0; r < rows && (size_t)(first + r) < sec->n_items; r++) {
		size_t i = (size_t)(first + r);
		char *line = item_summary(ui, ui->sec, i, width - 2);
		bool sel = ui->pane == 1 && i == ui->item;
		enum engine_verdict v = engine_item(ui->s.eng, ui->sec, i)->verdict;
		int color = v == VERDICT_PASS || v == VERDICT_WAIVED ? 1 : v == VERDICT_RUNNING ? 3
			: v == VERDICT_PENDING && !engine_item(ui->s.eng, ui->sec, i)->overdue ? 0 : 2;
		if (sel)
			attron(A_REVERSE);
		if (ui->color && color)
			attron(COLOR_PAIR(color));
		ui_put(top + 1 + r, left + 1, width - 2, line);
		if (ui->color && color)
			attroff(COLOR_PAIR(color));
		if (sel)
			attroff(A_REVERSE);
		free(line);
	}
	if (sec->n_items == 0) {
		char *shown = vars_expand_text(&ui->vars, sec->description ? sec->description : "(no items)");
		ui_put(top + 1, left + 2, width - 4, shown);
		free(shown);
	}
	struct strbuf gate = {0};
	size_t late_at = 0, late_end = 0;
	gate_line(ui, &gate, &late_at, &late_end);
	draw_gate(ui, top + height - 2, left + 1, width - 2, gate.data, late_at, late_end);
	strbuf_release(&gate);
	ui_border_more(ui, top, left, width, (size_t)first, true);
	size_t below = sec->n_items > (size_t)(first + rows) ? sec->n_items - (size_t)(first + rows) : 0;
	ui_border_more(ui, top + height - 1, left, width, below, false);
}

int ui_run_pane_rows(const struct ui *ui, int pane)
{
	int body = ui->rows - 3;
	if (pane == 0)
		return body - 2;
	int items_h = (int)ui->s.cl->sections[ui->sec].n_items + 3;
	if (items_h < 5)
		items_h = 5;
	if (items_h > body / 2 + 2)
		items_h = body / 2 + 2;
	return items_h - 3;
}

/* The evidence of the latest finished check, from the record. */
static char *recorded_output(struct ui *ui, size_t s, size_t i, size_t *len)
{
	const struct engine_item_state *is = engine_item(ui->s.eng, s, i);
	if (!is->finished_payload)
		return NULL;
	cJSON *p = cJSON_Parse(is->finished_payload);
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(p, "evidence");
	char *out = cJSON_IsString(ev) ? session_evidence(&ui->s, ev->valuestring, len) : NULL;
	cJSON_Delete(p);
	return out;
}

/* Start of the last LINES lines of DATA, so that a flood of output costs
 * only what the pane shows. */
static size_t tail_start(const char *data, size_t len, size_t lines)
{
	size_t seen = 0;
	for (size_t i = len; i > 0; i--)
		if (data[i - 1] == '\n' && i != len && ++seen >= lines)
			return i;
	return 0;
}

/* Adds PREFIX, TEXT as people are shown it (the run's variables expanded)
 * and a newline. */
static void add_expanded(struct ui *ui, struct strbuf *sb, const char *prefix, const char *text)
{
	char *shown = vars_expand_text(&ui->vars, text);
	strbuf_addf(sb, "%s%s\n", prefix, shown);
	free(shown);
}

/* What a check that never ran will do, with the run's values in it. */
static void add_description(struct ui *ui, struct strbuf *sb, const struct checklist_item *it)
{
	if (it->expect)
		add_expanded(ui, sb, "expect: ", it->expect);
	for (size_t d = 0; d < it->n_details; d++)
		add_expanded(ui, sb, "- ", it->details[d]);
	if (it->run)
		add_expanded(ui, sb, "$ ", it->run);
	if (it->url) {
		char *prefix = xasprintf("%s ", it->query ? "query" : it->method);
		add_expanded(ui, sb, prefix, it->url);
		free(prefix);
	}
}

static size_t count_lines(const char *data, size_t len)
{
	size_t n = 0;
	for (const char *p = data; (p = memchr(p, '\n', len - (size_t)(p - data))) != NULL; p++)
		n++;
	return n + (len && data[len - 1] != '\n');
}

char *ui_item_body(struct ui *ui, size_t max_lines, size_t *total)
{
	assert(ui->sec < ui->s.cl->n_sections && ui->item < ui->s.cl->sections[ui->sec].n_items);
	const struct checklist_item *it = &ui->s.cl->sections[ui->sec].items[ui->item];
	bool net = it->kind == ITEM_HTTP || it->kind == ITEM_PROMETHEUS;
	const struct ui_output *o = &ui->outputs[ui->sec][ui->item];
	struct strbuf sb = {0};
	size_t all = 0;
	if (o->len && !net) {
		size_t from = max_lines ? tail_start(o->data, o->len, max_lines) : 0;
		/* still running: a character whose bytes are still arriving shows once whole */
		sanitize_append(&sb, o->data + from, o->len - from, SANITIZE_MULTILINE, false);
		if (total)
			*total = count_lines(o->data, o->len);
		return strbuf_detach(&sb);
	}
	char *progress = ui_progress_text(ui, ui->sec, ui->item);
	size_t len = 0;
	char *raw = engine_item(ui->s.eng, ui->sec, ui->item)->verdict == VERDICT_RUNNING ? NULL
		: recorded_output(ui, ui->sec, ui->item, &len);
	char *shown = raw && net ? (ui_evidence_show_raw() ? ui_evidence_raw(raw) : ui_evidence_readable(ui, it, raw)) : NULL;
	if (shown) {
		strbuf_addstr(&sb, shown);
	} else if (raw) {
		size_t from = max_lines ? tail_start(raw, len, max_lines) : 0;
		strbuf_add(&sb, raw + from, len - from);
		all = count_lines(raw, len);
	} else if (!*progress) {
		add_description(ui, &sb, it);
	}
	strbuf_addstr(&sb, progress);
	char *out = sanitize_text(sb.data ? sb.data : "", sb.len, SANITIZE_MULTILINE);
	if (total)
		*total = all ? all + count_lines(progress, strlen(progress)) : count_lines(out, strlen(out));
	strbuf_release(&sb);
	free(progress);
	free(shown);
	free(raw);
	return out;
}

char **ui_wrap_rows(const char *text, int width, size_t *n, char **store)
{
	size_t len = text ? strlen(text) : 0, count = 0;
	struct wrap_row *at = wrap_rows(text ? text : "", len, width, &count);
	struct strbuf sb = {0};
	for (size_t i = 0; i < count; i++) {
		strbuf_add(&sb, text + at[i].start, at[i].len);
		strbuf_add(&sb, "", 1);
	}
	*store = sb.data ? sb.data : xstrdup("");
	char **rows = xcalloc(count + 1, sizeof(*rows));
	for (size_t i = 0, off = 0; i < count; off += at[i++].len + 1)
		rows[i] = *store + off;
	free(at);
	*n = count;
	return rows;
}

static void put_rows(int y, int x, int width, char **rows, size_t from, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		for (char *t = rows[from + i]; *t; t++)
			if (*t == '\t')
				*t = ' ';
		ui_put(y + (int)i, x, width, rows[from + i]);
	}
}

/* The bottom right pane: a section's story from the top; an item's detail
 * at the top and the newest lines of its output under it. Marks on the
 * border say what does not fit (o shows an item's whole output). */
static void draw_output(struct ui *ui, int top, int left, int height, int width)
{
	const struct checklist_section *sec = &ui->s.cl->sections[ui->sec];
	const char *title = ui->pane == 0 ? sec->id : ui->item < sec->n_items ? sec->items[ui->item].id : "output";
	ui_box(top, left, height, width, title);
	size_t rows = height > 2 ? (size_t)(height - 2) : 0, n_head = 0, n_body = 0, total = 0;
	char *head_store = NULL, *body_store = NULL, **head, **body;
	if (ui->pane == 0 || ui->item >= sec->n_items) {
		char *text = ui->pane == 0 ? ui_section_info(ui) : xstrdup("");
		head = ui_wrap_rows(text, width - 2, &n_head, &head_store);
		body = ui_wrap_rows("", width - 2, &n_body, &body_store);
		free(text);
	} else {
		char *detail = ui_item_detail(ui, ui->sec, ui->item), *text = ui_item_body(ui, rows, &total);
		head = ui_wrap_rows(detail, width - 2, &n_head, &head_store);
		body = ui_wrap_rows(text, width - 2, &n_body, &body_store);
		free(detail);
		free(text);
	}
	/* the detail first (at most half the pane when there is output), then the newest output */
	size_t shown_head = n_head < rows ? n_head : rows;
	if (n_body && shown_head > rows / 2)
		shown_head = rows / 2;
	size_t room = rows - shown_head, skip = n_body > room ? n_body - room : 0;
	put_rows(top + 1, left + 1, width - 2, head, 0, shown_head);
	put_rows(top + 1 + (int)shown_head, left + 1, width - 2, body, skip, n_body - skip);
	/* lines of output above what shows (wrapped rows of those shown count as theirs) */
	size_t kept = n_body - skip, hidden = total > kept ? total - kept : 0;
	ui_border_more(ui, top, left, width, skip > hidden ? skip : hidden, true);
	ui_border_more(ui, top + height - 1, left, width, n_head - shown_head, false);
	free(head);
	free(body);
	free(head_store);
	free(body_store);
}

char *ui_held_line(const struct ui *ui)
{
	size_t n = ui->exec ? exec_held(ui->exec) : 0;
	if (!n) {
		/* the server lost while idle: the screen may be behind others */
		int next = ui->exec ? exec_unlinked_ms(ui->exec) : -1;
		if (next < 0)
			return NULL;
		if (ui->status)
			return xasprintf("database unreachable, reconnecting | %s", ui->status);
		return next ? xasprintf("database unreachable: reconnecting in %ds; what others record shows once it is back",
				(next + 999) / 1000)
			: xstrdup("database unreachable: reconnecting; what others record shows once it is back");
	}
	int ms = exec_held_retry_ms(ui->exec);
	const char *why = exec_held_why(ui->exec);
	bool fresher = ui->status && ui->status_serial > ui->held_serial;
	/* A message said since the last result was held (a refusal, another
	 * action's outcome) shows after a short form of the line. */
	if (ms < 0)
		return fresher ? xasprintf("not recorded (%zu held) | %s", n, ui->status)
			: xasprintf("not recorded: %s: %zu result%s held, tried again when something else is recorded", why,
				n, n == 1 ? "" : "s");
	if (fresher)
		return xasprintf("not recorded (%zu held, retry in %ds) | %s", n, (ms + 999) / 1000, ui->status);
	return xasprintf("not recorded: %s, retrying: %zu result%s held, next try in %ds", why, n, n == 1 ? "" : "s",
		(ms + 999) / 1000);
}

static const char *key_hint(struct ui *ui)
{
	if (read_only(ui))
		return ui->cols >= 96 ? " j/k move  Tab pane  : go to  o output  r rollback  N news  ? help  q quit   (read-only)"
			: " j/k move  Tab pane  o output  r rollback  ? help  q quit   (read-only)";
	if (ui->cols >= 128)
		return " Enter run  Space attest  s sign  w waive  c cancel  o output  n note  C choose  O override  r rollback  "
			"N news  ? help  q quit";
	if (ui->cols >= 100)
		return " Enter run  Spc attest  s sign  w waive  c cancel  o output  r rollback  N news  ? more  q quit";
	return " Enter run  Spc attest  s sign  w waive  c cancel  o output  r rollback  ? more  q quit";
}

void ui_run_draw(struct ui *ui)
{
	/* the selection is in range: every pane indexes the checklist with it */
	assert(ui->have_run && ui->sec < ui->s.cl->n_sections && (ui->pane == 0 || ui->pane == 1));
	assert(ui->item == 0 || ui->item < ui->s.cl->sections[ui->sec].n_items);
	draw_title(ui);
	int body = ui->rows - 3;
	int lw = sections_width(ui);
	draw_sections(ui, 1, body, lw);
	const struct checklist_section *sec = &ui->s.cl->sections[ui->sec];
	int items_h = (int)sec->n_items + 3;
	if (items_h < 5)
		items_h = 5;
	if (items_h > body / 2 + 2)
		items_h = body / 2 + 2;
	draw_items(ui, 1, lw, items_h, ui->cols - lw);
	draw_output(ui, 1 + items_h, lw, body - items_h, ui->cols - lw);
	const char *prompt = ui_nav_prompt_line(ui);
	/* results held: said until they land, with any fresher message */
	char *held = prompt ? NULL : ui_held_line(ui);
	bool error = held || (ui->status_error && !prompt);
	if (error && ui->color)
		attron(COLOR_PAIR(2));
	ui_put(ui->rows - 2, 0, ui->cols, prompt ? prompt : held ? held : ui->status ? ui->status : "");
	if (error && ui->color)
		attroff(COLOR_PAIR(2));
	free(held);
	ui_put(ui->rows - 1, 0, ui->cols, key_hint(ui));
}
