/* The run screen: title bar, sections by phase, items with the gate line,
 * the output of the selected item, key hints and the status line. */
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/duration.h"
#include "countersign/sanitize.h"
#include "countersign/util.h"
#include "ui.h"

static void on_exec_output(size_t sec, size_t item, const char *data, size_t len, void *user)
{
	ui_output_append(user, sec, item, data, len);
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
	if (rc == SESSION_OK)
		ui_set_status(ui, strcmp(verdict, "pass") != 0, "%s: %s/%s: %s", verdict, cl->sections[sec].id,
			cl->sections[sec].items[item].id, message ? message : "");
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
		/* keep the newest output: drop from the front */
		size_t drop = o->len + len - UI_OUTPUT_KEEP;
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
	exec_destroy(ui->exec);
	ui->exec = NULL;
	if (ui->have_run)
		free_outputs(ui);
	vars_clear(&ui->vars);
	engine_destroy(ui->s.eng);
	checklist_destroy(ui->s.cl);
	if (ui->s.have_run)
		run_row_clear(&ui->s.run);
	ui->s.eng = NULL;
	ui->s.cl = NULL;
	ui->s.have_run = false;
	ui->have_run = false;
}

static bool read_only(const struct ui *ui)
{
	return ui->opt->review || engine_status(ui->s.eng) != RUN_OPEN;
}

bool ui_run_open(struct ui *ui, const char *run_id)
{
	if (run_id) {
		ui_run_close(ui);
		if (session_load_run(&ui->s, run_id) != SESSION_OK)
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
	if (!ui->exec && !read_only(ui))
		ui->exec = exec_create(&ui->s, &ui->vars, on_exec_output, on_exec_done, ui);
	ui->have_run = true;
	ui->view = VIEW_RUN;
	size_t cur = engine_current_section(ui->s.eng);
	ui->sec = cur != (size_t)-1 ? cur : 0;
	ui->item = 0;
	ui->pane = 0;
	ui->dirty = true;
	if (read_only(ui))
		ui_set_status(ui, false, "run %s is %s: read-only", ui->s.run.id,
			ui->opt->review ? "opened for review" : run_status_name(engine_status(ui->s.eng)));
	return true;
}

/* --- drawing --- */

static void fmt_elapsed(int64_t us, char *buf, size_t size)
{
	int64_t s = us / 1000000;
	if (s < 0)
		s = 0;
	snprintf(buf, size, "%02lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60), (long long)(s % 60));
}

/* The title bar: what and which run on the left (cut when narrow), who and
 * the window clock on the right (always shown). */
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
	int64_t end = engine_ended_us(ui->s.eng) ? engine_ended_us(ui->s.eng) : now_us();
	fmt_elapsed(end - ui->s.run.started_us, el, sizeof(el));
	strbuf_addstr(&right, el);
	int64_t wstart = engine_window_started_us(ui->s.eng);
	if (ui->s.cl->window_ms && engine_status(ui->s.eng) == RUN_OPEN && !wstart) {
		strbuf_addf(&right, " (window from %s)", ui->s.cl->window_starts_at);
	} else if (ui->s.cl->window_ms && engine_status(ui->s.eng) == RUN_OPEN) {
		/* The window's own clock: since it started, and what is left of it. */
		if (wstart != ui->s.run.started_us) {
			fmt_elapsed(now_us() - wstart, el, sizeof(el));
			strbuf_addf(&right, " · window %s", el);
		}
		int64_t wleft = wstart + ui->s.cl->window_ms * 1000 - now_us();
		fmt_elapsed(wleft < 0 ? -wleft : wleft, el, sizeof(el));
		strbuf_addf(&right, wleft < 0 ? " (window over by %s)" : " (%s left)", el);
	}
	if (engine_status(ui->s.eng) != RUN_OPEN)
		strbuf_addf(&right, " · %s", run_status_name(engine_status(ui->s.eng)));
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

static int mark_color(enum section_mark m)
{
	switch (m) {
	case MARK_PASSED: return 1;
	case MARK_FAILED: return 2;
	case MARK_RUNNING: case MARK_FORCED: return 3;
	default: return 0;
	}
}

static void draw_sections(struct ui *ui, int top, int height, int width)
{
	const struct checklist *cl = ui->s.cl;
	ui_box(top, 0, height, width, "Sections");
	if (ui->pane == 0)
		mvaddch(top, 1, ui->utf8 ? '*' : '*');
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
		const struct section *sec = &cl->sections[s];
		const struct section_state *ss = engine_section(ui->s.eng, s);
		const char *p = sec->phase ? sec->phase : "";
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
		if (row >= first && row - first < rows) {
			char *line = xasprintf(" %s %s", ui_mark(ui, ss->mark), sec->title);
			bool sel = s == ui->sec;
			if (sel)
				attron(ui->pane == 0 ? A_REVERSE : A_BOLD);
			if (ui->color && mark_color(ss->mark))
				attron(COLOR_PAIR(mark_color(ss->mark)));
			ui_put(top + 1 + row - first, 1, width - 2, line);
			if (ui->color && mark_color(ss->mark))
				attroff(COLOR_PAIR(mark_color(ss->mark)));
			if (sel)
				attroff(ui->pane == 0 ? A_REVERSE : A_BOLD);
			free(line);
		}
		row++;
	}
}

static const char *kind_short(enum item_kind k)
{
	static const char *const names[] = {"cmd", "http", "prom", "wait", "manual"};
	return (unsigned)k < 5 ? names[k] : "?";
}

/* One item row: mark, verdict, duration (fixed width, so titles line up and
 * never move as time passes), kind, title, estimate. */
static void item_summary(const struct ui *ui, size_t s, size_t i, char *buf, size_t size)
{
	const struct item *it = &ui->s.cl->sections[s].items[i];
	const struct item_state *is = engine_item(ui->s.eng, s, i);
	char dur[32] = "", est[48] = "";
	if (it->kind == ITEM_WAIT && is->verdict == VERDICT_RUNNING) {
		int64_t left_s = (is->wait_until_us - now_us() + 999999) / 1000000;
		char left[24];
		duration_format((left_s > 0 ? left_s : 0) * 1000, left, sizeof(left));
		snprintf(dur, sizeof(dur), "in %s", left);
	} else if (is->started_us && it->kind != ITEM_MANUAL) {
		int64_t end = is->finished_us ? is->finished_us : now_us();
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
	const char *verdict = is->needs_attestation ? "attest?" : verdict_name(is->verdict);
	snprintf(buf, size, "%s %-9s %8s %-6s %s%s%s", ui_verdict_mark(ui, is->verdict), verdict, dur,
		kind_short(it->kind), it->title, est, it->required ? "" : " (optional)");
}

static void draw_items(struct ui *ui, int top, int left, int height, int width)
{
	const struct section *sec = &ui->s.cl->sections[ui->sec];
	const struct section_state *ss = engine_section(ui->s.eng, ui->sec);
	ui_box(top, left, height, width, sec->title);
	if (ui->pane == 1)
		mvaddch(top, left + 1, '*');
	int rows = height - 3;
	int first = (int)ui->item >= rows ? (int)ui->item - rows + 1 : 0;
	for (int r = 0; r < rows && (size_t)(first + r) < sec->n_items; r++) {
		size_t i = (size_t)(first + r);
		char line[512];
		item_summary(ui, ui->sec, i, line, sizeof(line));
		bool sel = ui->pane == 1 && i == ui->item;
		enum verdict v = engine_item(ui->s.eng, ui->sec, i)->verdict;
		int color = v == VERDICT_PASS || v == VERDICT_WAIVED ? 1 : v == VERDICT_RUNNING ? 3
			: v == VERDICT_PENDING ? 0 : 2;
		if (sel)
			attron(A_REVERSE);
		if (ui->color && color)
			attron(COLOR_PAIR(color));
		ui_put(top + 1 + r, left + 1, width - 2, line);
		if (ui->color && color)
			attroff(COLOR_PAIR(color));
		if (sel)
			attroff(A_REVERSE);
	}
	if (sec->n_items == 0) {
		char *shown = vars_expand_text(&ui->vars, sec->description ? sec->description : "(no items)");
		ui_put(top + 1, left + 2, width - 4, shown);
		free(shown);
	}
	char gate[256];
	if (sec->always_open)
		snprintf(gate, sizeof(gate), "always open, no gate");
	else if (!sec->gate)
		snprintf(gate, sizeof(gate), "no gate");
	else
		snprintf(gate, sizeof(gate), "items %d/%d · sign-offs %d/%d%s%s", ss->required_done, ss->required_total,
			ss->approvals, sec->signoffs, ss->rejected ? " · REJECTED" : "",
			ss->forced ? " · FORCED" : ss->gate_passed ? " · gate passed" : "");
	if (ss->locked && ss->blocked_by != (size_t)-1) {
		size_t n = strlen(gate);
		snprintf(gate + n, sizeof(gate) - n, " · locked by %s", ui->s.cl->sections[ss->blocked_by].id);
	} else if (ss->mark == MARK_CHOOSE) {
		size_t n = strlen(gate);
		snprintf(gate + n, sizeof(gate) - n, " · choose one of \"%s\" (C)", sec->choice);
	}
	ui_put(top + height - 2, left + 1, width - 2, gate);
}

/* The evidence of the latest finished check, from the record. */
static char *recorded_output(struct ui *ui, size_t s, size_t i, size_t *len)
{
	const struct item_state *is = engine_item(ui->s.eng, s, i);
	if (!is->finished_payload)
		return NULL;
	cJSON *p = cJSON_Parse(is->finished_payload);
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(p, "evidence");
	char *out = cJSON_IsString(ev) ? store_get_evidence(ui->s.st, ev->valuestring, len) : NULL;
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

/* Sanitised output of the selected item (live, else recorded), at most its
 * last MAX_LINES lines (0: all); malloc'd. */
char *ui_selected_output_tail(struct ui *ui, size_t max_lines);
char *ui_selected_output(struct ui *ui);
char *ui_selected_output(struct ui *ui)
{
	return ui_selected_output_tail(ui, 0);
}

/* Notes whose target is TARGET (or, with PREFIX, starts with "TARGET/"). */
static void add_notes(struct ui *ui, struct strbuf *sb, const char *target, bool prefix)
{
	size_t n;
	const struct note *notes = engine_notes(ui->s.eng, &n);
	size_t len = strlen(target);
	for (size_t i = 0; i < n; i++) {
		const struct note *no = &notes[i];
		bool match = strcmp(no->target, target) == 0 ||
			(prefix && strncmp(no->target, target, len) == 0 && no->target[len] == '/');
		if (!match)
			continue;
		char when[64];
		format_time(no->time_us, when, sizeof(when));
		/* HH:MM of the UTC time keeps the line short enough to read in the pane */
		strbuf_addf(sb, "note by %s %.5s%s%s: %s\n", no->actor, when + 11, prefix && no->target[0] ? " on " : "",
			prefix ? no->target : "", no->text);
	}
}

/* What the bottom pane shows while the sections pane has the focus: the
 * section's description, signatures (stale ones marked), override, notes. */
static char *section_info(struct ui *ui)
{
	const struct section *sec = &ui->s.cl->sections[ui->sec];
	const struct section_state *ss = engine_section(ui->s.eng, ui->sec);
	struct strbuf sb = {0};
	if (sec->description) {
		char *shown = vars_expand_text(&ui->vars, sec->description);  /* ${VERSION} as its value */
		strbuf_addf(&sb, "%s\n\n", shown);
		free(shown);
	}
	if (ss->not_chosen)
		strbuf_addf(&sb, "not chosen: another alternative of \"%s\" was chosen\n", sec->choice);
	if (ss->forced)
		strbuf_addf(&sb, "FORCED by %s: %s (incident %s)\n", ss->override_by ? ss->override_by : "?",
			ss->override_reason ? ss->override_reason : "", ss->override_incident ? ss->override_incident : "");
	for (size_t k = 0; k < ss->n_signoffs; k++) {
		const struct signoff *so = &ss->signoffs[k];
		char when[64];
		format_time(so->time_us, when, sizeof(when));
		/* a stale rejection no longer stands: only a current one shouts */
		strbuf_addf(&sb, "%s %s %.5s%s%s%s\n", so->approve ? "approved by" : so->stale ? "rejected by" : "REJECTED by",
			so->engineer, when + 11, so->stale ? " [stale]" : "", so->comment ? ": " : "",
			so->comment ? so->comment : "");
	}
	if (!ss->n_signoffs && sec->gate && sec->signoffs)
		strbuf_addstr(&sb, "no signatures yet\n");
	add_notes(ui, &sb, sec->id, true);
	if (ui->sec == 0)
		add_notes(ui, &sb, "", false);
	char *text = strbuf_detach(&sb);
	char *clean = sanitize_text(text, strlen(text), SANITIZE_MULTILINE);
	free(text);
	return clean;
}

/* Adds PREFIX, TEXT as people are shown it (the run's variables expanded)
 * and a newline. */
static void add_expanded(struct ui *ui, struct strbuf *sb, const char *prefix, const char *text)
{
	char *shown = vars_expand_text(&ui->vars, text);
	strbuf_addf(sb, "%s%s\n", prefix, shown);
	free(shown);
}

char *ui_selected_output_tail(struct ui *ui, size_t max_lines)
{
	if (ui->pane == 0 && ui->view == VIEW_RUN)
		return section_info(ui);
	const struct section *sec = &ui->s.cl->sections[ui->sec];
	if (ui->item >= sec->n_items)
		return xstrdup("");
	const struct ui_output *o = &ui->outputs[ui->sec][ui->item];
	struct strbuf notes = {0};
	char *target = xasprintf("%s/%s", sec->id, sec->items[ui->item].id);
	add_notes(ui, &notes, target, false);
	free(target);
	if (o->len) {
		size_t from = max_lines ? tail_start(o->data, o->len, max_lines) : 0;
		strbuf_add(&notes, o->data + from, o->len - from);
		char *out = sanitize_text(notes.data, notes.len, SANITIZE_MULTILINE);
		strbuf_release(&notes);
		return out;
	}
	size_t len = 0;
	char *raw = recorded_output(ui, ui->sec, ui->item, &len);
	if (raw) {
		size_t from = max_lines ? tail_start(raw, len, max_lines) : 0;
		strbuf_add(&notes, raw + from, len - from);
		free(raw);
		char *out = sanitize_text(notes.data, notes.len, SANITIZE_MULTILINE);
		strbuf_release(&notes);
		return out;
	}
	const struct item *it = &sec->items[ui->item];
	const struct item_state *is = engine_item(ui->s.eng, ui->sec, ui->item);
	struct strbuf sb = notes;
	if (it->expect)
		add_expanded(ui, &sb, "expect: ", it->expect);
	for (size_t d = 0; d < it->n_details; d++)
		add_expanded(ui, &sb, "- ", it->details[d]);
	if (it->run)
		add_expanded(ui, &sb, "$ ", it->run);
	if (it->url) {
		char *prefix = xasprintf("%s ", it->query ? "query" : it->method);
		add_expanded(ui, &sb, prefix, it->url);
		free(prefix);
	}
	if (is->message)
		strbuf_addf(&sb, "%s\n", is->message);
	char *wait = session_wait_text(&ui->s, ui->sec, ui->item, false);
	if (wait)
		strbuf_addf(&sb, "%s · c cancels it\n", wait);
	free(wait);
	char *where = NULL;
	enum session_liveness live = session_check_liveness(&ui->s, ui->sec, ui->item, &where);
	if (live == SESSION_LIVE_GONE)
		strbuf_addf(&sb, "interrupted: %s is gone; c records it so\n", where);
	else if (live == SESSION_LIVE_ELSEWHERE || live == SESSION_LIVE_UNKNOWN)
		strbuf_addf(&sb, "running: started by %s, which cannot be seen from here; if it is stuck, c records "
			"it as interrupted (PIN and reason)\n", where);
	free(where);
	char *text = strbuf_detach(&sb);
	char *clean2 = sanitize_text(text, strlen(text), SANITIZE_MULTILINE);
	free(text);
	return clean2;
}

static void draw_output(struct ui *ui, int top, int left, int height, int width)
{
	const struct section *sec = &ui->s.cl->sections[ui->sec];
	const char *title = ui->pane == 0 ? sec->id : ui->item < sec->n_items ? sec->items[ui->item].id : "output";
	ui_box(top, left, height, width, title);
	char *text = ui_selected_output_tail(ui, (size_t)(height > 2 ? height : 2));
	/* show the last lines that fit */
	int rows = height - 2;
	size_t n_lines = 0;
	for (char *p = text; *p; p++)
		n_lines += *p == '\n';
	if (*text && text[strlen(text) - 1] != '\n')
		n_lines++;
	size_t skip = n_lines > (size_t)rows ? n_lines - (size_t)rows : 0;
	char *line = text;
	for (size_t l = 0; l < skip && line; l++) {
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	/* long lines wrap, so that nothing the pane shows is cut off */
	int r = 0;
	while (r < rows && line && *line) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		for (char *t = line; *t; t++)
			if (*t == '\t')
				*t = ' ';
		char *piece = line;
		do {
			/* what fits: WIDTH-2 characters (code points), cut at a space when there is one */
			char *end = piece, *cut = NULL;
			int chars = 0;
			while (*end && chars < width - 2) {
				if (*end == ' ')
					cut = end;
				end++;
				while ((*end & 0xc0) == 0x80)
					end++;
				chars++;
			}
			if (*end && cut && cut > piece)
				end = cut;
			char saved = *end;
			*end = '\0';
			ui_put(top + 1 + r++, left + 1, width - 2, piece);
			*end = saved;
			piece = *end == ' ' ? end + 1 : end;
		} while (*piece && r < rows);
		line = nl ? nl + 1 : NULL;
	}
	free(text);
}

void ui_run_draw(struct ui *ui)
{
	draw_title(ui);
	int body = ui->rows - 3;
	int lw = ui->cols / 3 < 34 ? ui->cols / 3 : 34;
	draw_sections(ui, 1, body, lw);
	const struct section *sec = &ui->s.cl->sections[ui->sec];
	int items_h = (int)sec->n_items + 3;
	if (items_h < 5)
		items_h = 5;
	if (items_h > body / 2 + 2)
		items_h = body / 2 + 2;
	draw_items(ui, 1, lw, items_h, ui->cols - lw);
	draw_output(ui, 1 + items_h, lw, body - items_h, ui->cols - lw);
	if (ui->status_error && ui->color)
		attron(COLOR_PAIR(2));
	ui_put(ui->rows - 2, 0, ui->cols, ui->status ? ui->status : "");
	if (ui->status_error && ui->color)
		attroff(COLOR_PAIR(2));
	const char *hint = read_only(ui) ? " j/k move  Tab pane  o output  r rollback  ? help  q quit   (read-only)"
		: ui->cols >= 118 ? " Enter run  Space attest  s sign  w waive  c cancel  o output  n note  C choose  O override  r rollback  ? help  q quit"
		: " Enter run  Spc attest  s sign  w waive  c cancel  o output  r rollback  ? more  q quit";
	ui_put(ui->rows - 1, 0, ui->cols, hint);
}
