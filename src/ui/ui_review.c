/* The review screen (countersign review): every run, open ones first, with
 * filters by checklist, state, engineer and start date (f), each run's
 * chain verified on demand (v) and the result kept in the list, and the
 * keys that read a run: Enter opens it read-only, a its audit trail, e
 * exports its report. Nothing here records anything. */
#include <assert.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "countersign/clock.h"
#include "countersign/audit.h"
#include "countersign/util.h"
#include "ui.h"
#include "ui_runscreen.h"

static const char *const state_choices[] = {"any", "open", "completed", "aborted", NULL};

/* A run verified in this session and what verifying said. */
struct verified {
	char *id, *text;
	bool ok;
};

/* The review screen's state. */
struct ui_review {
	/* the filters as typed (NULL: not filtering) and what they mean */
	struct {
		char *checklist, *engineer, *since, *until;
		int state;                 /* index in state_choices; 0: any */
		int64_t since_us, until_us;  /* 0: no bound */
	} filters;
	struct verified *verified;
	size_t n_verified;
	size_t total_runs;             /* runs in the record, filtered or not */
	struct store_run_row *runs;          /* the runs the filters select, open ones first */
	size_t n_runs;
	char *run_states;              /* 'o','c','a' per run */
	size_t sel, top;               /* selected run, first run shown */
};

static void free_runs(struct ui_review *rv)
{
	for (size_t i = 0; i < rv->n_runs; i++)
		store_run_row_clear(&rv->runs[i]);
	free(rv->runs);
	free(rv->run_states);
	rv->runs = NULL;
	rv->run_states = NULL;
	rv->n_runs = 0;
}

static void free_filter(struct ui_review *rv)
{
	free(rv->filters.checklist);
	free(rv->filters.engineer);
	free(rv->filters.since);
	free(rv->filters.until);
	memset(&rv->filters, 0, sizeof(rv->filters));
}

static void review_destroy(struct ui *ui)
{
	struct ui_review *rv = ui->review;
	if (!rv)
		return;
	free_filter(rv);
	for (size_t i = 0; i < rv->n_verified; i++) {
		free(rv->verified[i].id);
		free(rv->verified[i].text);
	}
	free(rv->verified);
	free_runs(rv);
	free(rv);
	ui->review = NULL;
}

static bool filtering(const struct ui_review *rv)
{
	return rv->filters.checklist || rv->filters.engineer || rv->filters.since || rv->filters.until ||
		rv->filters.state;
}

static char state_of(const struct store_run_row *r)
{
	return !r->ended ? 'o' : strcmp(r->ended, EV_RUN_COMPLETED) == 0 ? 'c' : 'a';
}

void ui_review_load(struct ui *ui)
{
	if (!ui->review)
		ui->review = xcalloc(1, sizeof(*ui->review));
	struct ui_review *rv = ui->review;
	free_runs(rv);
	struct store_run_filter f = {
		.checklist = rv->filters.checklist, .engineer = rv->filters.engineer,
		.state = rv->filters.state ? state_choices[rv->filters.state] : NULL,
		.since_us = rv->filters.since_us, .until_us = rv->filters.until_us,
	};
	struct store_run_row *rows = NULL, *all = NULL;
	size_t n = 0, n_all = 0;
	if (session_list_runs(&ui->s, &f, &rows, &n) != CS_OK)
		ui_set_status(ui, true, "cannot list the runs: %s", session_store_error(&ui->s));
	rv->total_runs = n;
	if (filtering(rv) && session_list_runs(&ui->s, NULL, &all, &n_all) == CS_OK)
		rv->total_runs = n_all;
	store_run_row_array_free(all, n_all);
	rv->runs = xcalloc(n + 1, sizeof(*rv->runs));
	rv->run_states = xcalloc(n + 1, 1);
	/* open runs first, then the others, newest first within each */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			if (!rows[i].id || (state_of(&rows[i]) == 'o') != (pass == 0))
				continue;
			rv->run_states[rv->n_runs] = state_of(&rows[i]);
			rv->runs[rv->n_runs++] = rows[i];
			memset(&rows[i], 0, sizeof(rows[i]));
		}
	}
	store_run_row_array_free(rows, n);
	if (rv->sel >= rv->n_runs)
		rv->sel = rv->n_runs ? rv->n_runs - 1 : 0;
	ui->dirty = true;
}

static const struct verified *find_verified(const struct ui_review *rv, const char *id)
{
	for (size_t i = 0; i < rv->n_verified; i++)
		if (strcmp(rv->verified[i].id, id) == 0)
			return &rv->verified[i];
	return NULL;
}

static const struct store_run_row *selected_run(struct ui *ui)
{
	const struct ui_review *rv = ui->review;
	if (rv->sel < rv->n_runs)
		return &rv->runs[rv->sel];
	ui_set_status(ui, true, "no run is selected");
	return NULL;
}

/* --- drawing --- */

static char *filter_line(const struct ui_review *rv)
{
	struct strbuf sb = {0};
	size_t total_runs = rv->total_runs;
	if (!filtering(rv)) {
		strbuf_addf(&sb, "all %zu run%s · f filters by checklist, state, engineer, date", total_runs,
			total_runs == 1 ? "" : "s");
		return strbuf_detach(&sb);
	}
	strbuf_addstr(&sb, "filters:");
	if (rv->filters.checklist)
		strbuf_addf(&sb, " checklist %s ·", rv->filters.checklist);
	if (rv->filters.state)
		strbuf_addf(&sb, " state %s ·", state_choices[rv->filters.state]);
	if (rv->filters.engineer)
		strbuf_addf(&sb, " engineer %s ·", rv->filters.engineer);
	if (rv->filters.since)
		strbuf_addf(&sb, " since %s ·", rv->filters.since);
	if (rv->filters.until)
		strbuf_addf(&sb, " until %s ·", rv->filters.until);
	strbuf_addf(&sb, " %zu of %zu run%s · f changes, F clears", rv->n_runs, total_runs, total_runs == 1 ? "" : "s");
	return strbuf_detach(&sb);
}

static void draw_row(struct ui *ui, int y, size_t r, bool selected)
{
	const struct ui_review *rv = ui->review;
	assert(r < rv->n_runs);
	const struct store_run_row *run = &rv->runs[r];
	char when[32];
	clock_strftime_utc(run->started_us, "%Y-%m-%d %H:%M", when, sizeof(when));
	char st = rv->run_states[r];
	const struct verified *v = find_verified(rv, run->id);
	char *line = xasprintf("  %-10s %-9s %-16s %-20.20s %-6s %s", run->id,
		st == 'o' ? "open" : st == 'c' ? "completed" : "aborted", when, run->checklist_id,
		!v ? "" : v->ok ? "ok" : "FAILED", run->title);
	if (selected)
		attron(A_REVERSE);
	if (v && !v->ok && ui->color)
		attron(COLOR_PAIR(2));
	ui_put(y, 0, ui->cols, line);
	if (v && !v->ok && ui->color)
		attroff(COLOR_PAIR(2));
	if (selected)
		attroff(A_REVERSE);
	free(line);
}

static void review_draw(struct ui *ui)
{
	struct ui_review *rv = ui->review;
	ui_title_bar(ui, " countersign · review (read-only)");
	char *line = filter_line(rv);
	ui_put(1, 0, ui->cols, line);
	free(line);
	attron(A_BOLD);
	ui_put(2, 0, ui->cols, "  run        state     started (UTC)    checklist            chain  title");
	attroff(A_BOLD);
	/* the rows the list may use: y..last; the row under it says how many
	 * runs it does not show, so that the status line keeps a verification
	 * whole */
	int y = 3, last = ui->rows - 4;
	int list_rows = last - y + 1;
	/* headings take rows too; keep the selection in view with a margin */
	size_t keep = (size_t)(list_rows > 3 ? list_rows - 2 : 1);
	if (rv->top + keep > rv->n_runs)  /* no blank page at the end */
		rv->top = rv->n_runs > keep ? rv->n_runs - keep : 0;
	if (rv->sel < rv->top)
		rv->top = rv->sel;
	if (rv->sel >= rv->top + keep)
		rv->top = rv->sel - keep + 1;
	assert(rv->sel < rv->n_runs || rv->sel == 0);
	size_t shown_to = rv->top;
	bool open_heading = false, past_heading = false;
	for (size_t i = rv->top; i < rv->n_runs && y <= last; i++) {
		bool open = rv->run_states[i] == 'o';
		if ((open && !open_heading) || (!open && !past_heading)) {
			attron(A_BOLD);
			ui_put(y++, 0, ui->cols, open ? "Open runs" : "Past runs");
			attroff(A_BOLD);
			open_heading |= open;
			past_heading |= !open;
			if (y > last)
				break;
		}
		draw_row(ui, y++, i, i == rv->sel);
		shown_to = i + 1;
	}
	if (rv->n_runs == 0)
		ui_put(y, 2, ui->cols - 2, filtering(rv) ? "No run matches the filters (f changes them, F clears them)."
			: "No runs yet.");
	ui_put(ui->rows - 2, 0, ui->cols, ui->status ? ui->status : "");
	ui_border_more(ui, 2, 0, ui->cols, rv->top, true);
	ui_border_more(ui, ui->rows - 3, 0, ui->cols, rv->n_runs - shown_to, false);
	ui_put(ui->rows - 1, 0, ui->cols, ui->cols >= 96
		? " j/k move  Enter open  f filter  F clear  v verify  a audit  e export  ? help  q quit   (read-only)"
		: " j/k move  Enter open  f filter  v verify  a audit  e export  ? help  q quit");
}

/* --- verifying --- */

static void remember(struct ui_review *rv, const char *id, bool ok, char *text)
{
	for (size_t i = 0; i < rv->n_verified; i++) {
		if (strcmp(rv->verified[i].id, id) == 0) {
			free(rv->verified[i].text);
			rv->verified[i].text = text;
			rv->verified[i].ok = ok;
			return;
		}
	}
	rv->verified = xreallocarray(rv->verified, rv->n_verified + 1, sizeof(*rv->verified));
	rv->verified[rv->n_verified++] = (struct verified){.id = xstrdup(id), .text = text, .ok = ok};
}

/* Recomputes the chain of the selected run (as `countersign verify RUN`
 * does) and says what it found: in a message, on the status line, and in
 * the list's chain column from now on. */
static void verify_selected(struct ui *ui)
{
	const struct store_run_row *r = selected_run(ui);
	if (!r)
		return;
	struct store_verify_result res = {0};
	int rc = session_verify(&ui->s, r->id, NULL, &res);
	if (rc != CS_OK) {
		ui_set_status(ui, true, "cannot verify run %s: %s", r->id, session_store_error(&ui->s));
		store_verify_result_clear(&res);
		return;
	}
	char *text;
	const char *why = res.why ? res.why : "does not verify";
	bool ok = res.ok;
	/* the chain is named only when it is not the run's own (the engineers') */
	char *where = res.chain && strcmp(res.chain, r->id) != 0 ? xasprintf("%s: ", res.chain) : xstrdup("");
	if (ok)
		text = xasprintf("ok: %lld event%s, head %s", (long long)res.events, res.events == 1 ? "" : "s", res.head);
	else if (res.bad_seq && strncmp(why, "event ", 6) != 0)
		text = xasprintf("FAILED: %sevent %lld: %s", where, (long long)res.bad_seq, why);
	else
		text = xasprintf("FAILED: %s%s", where, why);
	free(where);
	store_verify_result_clear(&res);
	remember(ui->review, r->id, ok, text);
	ui_set_status(ui, !ok, "run %s: %s", r->id, text);
	struct ui_dialog *d = ui_dialog_new("Verify");
	ui_dialog_info(d, "Run %s (%s), its chain of events recomputed:", r->id, r->title);
	ui_dialog_info(d, "%s", text);
	ui_dialog_info(d, "%s", "");
	ui_dialog_info(d, "%s", ok ? "Every event's hash matches its content and the event before it, and all "
		"evidence matches its hash. The head is the anchor a report prints; countersign verify RUN --anchor HEAD "
		"checks a report against the record."
		: "The record was changed after it was written, or is damaged: the run cannot be trusted from the "
		"event named on.");
	ui_dialog_info(d, "%s", "");
	ui_dialog_info(d, "%s", "(press any key)");
	d->message_only = true;
	ui_dialog_open(ui, d);
}

/* --- filters --- */

enum { FILTER_CHECKLIST, FILTER_STATE, FILTER_ENGINEER, FILTER_SINCE, FILTER_UNTIL };

/* TEXT as a UTC time, read as `countersign audit` reads its dates
 * (audit_parse_date): *START_US gets when it begins, *END_US when the day,
 * minute or second it names ends. */
static bool parse_when(const char *text, int64_t *start_us, int64_t *end_us)
{
	return audit_parse_date(text, false, start_us) && audit_parse_date(text, true, end_us);
}

/* The field's text, or NULL when it is empty (not filtering). */
static char *field_or_null(const struct ui_field *f)
{
	char *text = ui_field_text(f);
	size_t len = strlen(text);
	while (len && text[len - 1] == ' ')
		text[--len] = '\0';
	if (text[strspn(text, " ")])
		return text;
	free(text);
	return NULL;
}

static bool submit_filter(struct ui *ui, struct ui_dialog *d, bool yes)
{
	struct ui_review *rv = ui->review;
	(void)yes;
	char *checklist = field_or_null(&d->fields[FILTER_CHECKLIST]);
	char *engineer = field_or_null(&d->fields[FILTER_ENGINEER]);
	char *since = field_or_null(&d->fields[FILTER_SINCE]);
	char *until = field_or_null(&d->fields[FILTER_UNTIL]);
	int64_t since_us = 0, until_us = 0, ignored;
	bool ok = false;
	struct store_engineer e = {0};
	if (since && !parse_when(since, &since_us, &ignored)) {
		ui_set_status(ui, true, "since: \"%s\" is not a date: give 2026-11-30 or 2026-11-30 18:00 (UTC)", since);
		d->focus = FILTER_SINCE;
	} else if (until && !parse_when(until, &ignored, &until_us)) {
		ui_set_status(ui, true, "until: \"%s\" is not a date: give 2026-11-30 or 2026-11-30 18:00 (UTC)", until);
		d->focus = FILTER_UNTIL;
	} else if (engineer && session_engineer(&ui->s, engineer, &e) != CS_OK) {
		ui_set_status(ui, true, "no engineer is named \"%s\" (countersign engineer list shows them)", engineer);
		d->focus = FILTER_ENGINEER;
	} else {
		ok = true;
	}
	store_engineer_clear(&e);
	if (!ok) {
		free(checklist);
		free(engineer);
		free(since);
		free(until);
		return false;
	}
	free_filter(rv);
	rv->filters.checklist = checklist;
	rv->filters.engineer = engineer;
	rv->filters.since = since;
	rv->filters.until = until;
	rv->filters.since_us = since_us;
	rv->filters.until_us = until_us;
	rv->filters.state = d->fields[FILTER_STATE].choice;
	rv->sel = rv->top = 0;
	ui_review_load(ui);
	ui_set_status(ui, false, "%zu of %zu runs match", rv->n_runs, rv->total_runs);
	return true;
}

static void open_filter(struct ui *ui)
{
	struct ui_review *rv = ui->review;
	struct ui_dialog *d = ui_dialog_new("Filter runs");
	ui_dialog_info(d, "Which runs to list; an empty field does not filter. Dates are UTC: 2026-11-30 or "
		"2026-11-30 18:00; until includes the day or minute it names.");
	ui_dialog_field(d, "Checklist id", FIELD_TEXT, rv->filters.checklist);
	struct ui_field *f = ui_dialog_field(d, "State", FIELD_CHOICE, NULL);
	f->choices = state_choices;
	f->choice = rv->filters.state;
	ui_dialog_field(d, "Engineer (took part)", FIELD_TEXT, rv->filters.engineer);
	ui_dialog_field(d, "Started since", FIELD_TEXT, rv->filters.since);
	ui_dialog_field(d, "Started until", FIELD_TEXT, rv->filters.until);
	d->submit = submit_filter;
	ui_dialog_open(ui, d);
}

/* --- keys --- */

static void review_key(struct ui *ui, int key)
{
	struct ui_review *rv = ui->review;
	size_t page = ui->rows > 8 ? (size_t)ui->rows - 8 : 1;
	const struct store_run_row *r;
	ui->dirty = true;
	switch (key) {
	case 'j': case UI_KEY_DOWN:
		if (rv->sel + 1 < rv->n_runs)
			rv->sel++;
		break;
	case 'k': case UI_KEY_UP:
		if (rv->sel > 0)
			rv->sel--;
		break;
	case 'g': case UI_KEY_HOME:
		rv->sel = 0;
		break;
	case 'G': case UI_KEY_END:
		rv->sel = rv->n_runs ? rv->n_runs - 1 : 0;
		break;
	case UI_KEY_PGDN:  /* the list and the selection move a page (drawing keeps them in range) */
		rv->top += page;
		rv->sel = rv->sel + page < rv->n_runs ? rv->sel + page : rv->n_runs ? rv->n_runs - 1 : 0;
		break;
	case UI_KEY_PGUP:
		rv->top = rv->top > page ? rv->top - page : 0;
		rv->sel = rv->sel > page ? rv->sel - page : 0;
		break;
	case UI_KEY_ENTER:
		if ((r = selected_run(ui)) != NULL)
			ui_run_open(ui, r->id);
		break;
	case 'f':
		open_filter(ui);
		break;
	case 'F':
		free_filter(rv);
		rv->sel = rv->top = 0;
		ui_review_load(ui);
		ui_set_status(ui, false, "filters cleared: all %zu runs", rv->total_runs);
		break;
	case 'v':
		verify_selected(ui);
		break;
	case 'a':
		if ((r = selected_run(ui)) != NULL)
			ui_audit_open(ui, r->id);
		break;
	case 'e':
		if ((r = selected_run(ui)) != NULL)
			ui_export_open(ui, r->id);
		break;
	case '?':
		ui_help_open(ui);
		break;
	case 'q': case UI_CTRL('c'):
		ui->quit = true;
		break;
	}
}

/* From a run opened read-only back to the list of runs (q). */
void ui_review_back(struct ui *ui)
{
	ui_run_close(ui);
	free(ui->status);
	ui->status = NULL;
	ui->view = &ui_review_view;
	ui_review_load(ui);
}

static const char *const review_help[] = {
	"Review keys (read-only: nothing here records anything)",
	"",
	"  j/k, arrows  move    g/G, Home/End  first / last    PgUp/PgDn  a page",
	"  Enter        open the selected run read-only: its sections, items,",
	"               evidence and output; q on it comes back here",
	"  f            filter the runs: checklist id, state, an engineer who took",
	"               part, started since / until (UTC dates or times)",
	"  F            clear the filters",
	"  v            verify the selected run's chain of events: ok with the",
	"               number of events and the head hash, or what is wrong;",
	"               the chain column keeps the result",
	"  a            the audit trail of the selected run, one line per event",
	"  e            export the selected run's report: md, json, html or junit,",
	"               to ./countersign-RUN.FORMAT or a path typed",
	"  ?            this help",
	"  q, Ctrl-C    quit",
	NULL,
};

const struct ui_view_ops ui_review_view = {
	.name = "review",
	.help = review_help,
	.draw = review_draw,
	.key = review_key,
	.destroy = review_destroy,
};
