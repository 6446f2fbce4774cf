/* The home screen: bundled and local checklists, open runs, past runs. */
#include <curses.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "countersign/clock.h"
#include "countersign/util.h"
#include "ui.h"
#include "ui_runscreen.h"

static int by_name(const void *a, const void *b)
{
	const char *x = strrchr(*(char *const *)a, '/'), *y = strrchr(*(char *const *)b, '/');
	/* the tour first: it is where a newcomer starts */
	int tour = (y && strcmp(y, "/tour.json") == 0) - (x && strcmp(x, "/tour.json") == 0);
	return tour ? tour : strcmp(x ? x : *(char *const *)a, y ? y : *(char *const *)b);
}

static void scan_dir(struct ui *ui, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		bool dup = false;
		for (size_t i = 0; i < ui->n_checklists && !dup; i++) {
			const char *base = strrchr(ui->checklists[i], '/');
			dup = base && strcmp(base + 1, e->d_name) == 0;
		}
		if (dup)
			continue;
		ui->checklists = xreallocarray(ui->checklists, ui->n_checklists + 1, sizeof(char *));
		ui->checklists[ui->n_checklists++] = xasprintf("%s/%s", dir, e->d_name);
	}
	closedir(d);
}

void ui_home_load(struct ui *ui)
{
	for (size_t i = 0; i < ui->n_checklists; i++)
		free(ui->checklists[i]);
	free(ui->checklists);
	ui->checklists = NULL;
	ui->n_checklists = 0;
	if (ui->opt->review) {
		ui_review_load(ui);  /* the runs alone, filtered */
		return;
	}
	scan_dir(ui, "checklists");
	scan_dir(ui, COUNTERSIGN_DATADIR "/checklists");
	if (ui->n_checklists > 1)
		qsort(ui->checklists, ui->n_checklists, sizeof(char *), by_name);
	for (size_t i = 0; i < ui->n_runs; i++)
		run_row_clear(&ui->runs[i]);
	free(ui->runs);
	free(ui->run_states);
	ui->runs = NULL;
	ui->n_runs = 0;
	session_list_runs(&ui->s, NULL, &ui->runs, &ui->n_runs);
	ui->run_states = xcalloc(ui->n_runs + 1, 1);
	/* open runs first, then the others, newest first within each */
	for (size_t i = 0; i < ui->n_runs; i++)
		ui->run_states[i] = !ui->runs[i].ended ? 'o' : strcmp(ui->runs[i].ended, EV_RUN_COMPLETED) == 0 ? 'c' : 'a';
	for (size_t i = 1; i < ui->n_runs; i++) {
		for (size_t k = i; k > 0 && ui->run_states[k] == 'o' && ui->run_states[k - 1] != 'o'; k--) {
			struct run_row t = ui->runs[k];
			ui->runs[k] = ui->runs[k - 1];
			ui->runs[k - 1] = t;
			char c = ui->run_states[k];
			ui->run_states[k] = ui->run_states[k - 1];
			ui->run_states[k - 1] = c;
		}
	}
	size_t total = ui->n_checklists + ui->n_runs;
	if (ui->home_sel >= total)
		ui->home_sel = total ? total - 1 : 0;
	ui->dirty = true;
}

static void draw_row(struct ui *ui, int y, size_t index, bool selected)
{
	char *line;
	if (index < ui->n_checklists) {
		line = xasprintf("  %s", ui->checklists[index]);
	} else {
		size_t r = index - ui->n_checklists;
		char when[64];
		clock_format_utc(ui->runs[r].started_us, when, sizeof(when));
		char st = ui->run_states[r];
		line = xasprintf("  %-10s %-9s %-22s %-20s %s", ui->runs[r].id,
			st == 'o' ? "open" : st == 'c' ? "completed" : st == 'a' ? "aborted" : "?", when,
			ui->runs[r].checklist_id, ui->runs[r].title);
	}
	if (selected)
		attron(A_REVERSE);
	ui_put(y, 0, ui->cols, line);
	if (selected)
		attroff(A_REVERSE);
	free(line);
}

static void home_draw(struct ui *ui)
{
	if (ui->opt->review) {
		ui_review_draw(ui);
		return;
	}
	if (ui->color)
		attron(COLOR_PAIR(5));
	ui_put(0, 0, ui->cols, " countersign");
	if (ui->color)
		attroff(COLOR_PAIR(5));
	int y = 2;
	int list_rows = ui->rows - 5;
	size_t total = ui->n_checklists + ui->n_runs;
	if (ui->home_sel < ui->home_top)
		ui->home_top = ui->home_sel;
	/* headings take rows too; keep the selection visible with a margin */
	if (ui->home_sel >= ui->home_top + (size_t)(list_rows > 4 ? list_rows - 4 : 1))
		ui->home_top = ui->home_sel - (size_t)(list_rows > 4 ? list_rows - 4 : 1) + 1;
	bool runs_heading = false, past_heading = false;
	size_t shown_to = ui->home_top;  /* one past the last row drawn */
	if (ui->n_checklists && ui->home_top == 0) {
		attron(A_BOLD);
		ui_put(y++, 0, ui->cols, "Checklists");
		attroff(A_BOLD);
	}
	for (size_t i = ui->home_top; i < total && y < ui->rows - 2; i++) {
		if (i >= ui->n_checklists) {
			char st = ui->run_states[i - ui->n_checklists];
			if (st == 'o' && !runs_heading) {
				attron(A_BOLD);
				ui_put(y++, 0, ui->cols, "Open runs");
				attroff(A_BOLD);
				runs_heading = true;
			} else if (st != 'o' && !past_heading) {
				attron(A_BOLD);
				ui_put(y++, 0, ui->cols, "Past runs");
				attroff(A_BOLD);
				past_heading = true;
			}
			if (y >= ui->rows - 2)
				break;
		}
		draw_row(ui, y++, i, i == ui->home_sel);
		shown_to = i + 1;
	}
	if (total == 0)
		ui_put(y, 2, ui->cols - 2, "No checklists in ./checklists and no runs yet.");
	ui_put(ui->rows - 2, 0, ui->cols, ui->status ? ui->status : "");
	/* what the list does not show, above and below */
	ui_border_more(ui, 0, 0, ui->cols, ui->home_top, true);
	ui_border_more(ui, ui->rows - 2, 0, ui->cols, total - shown_to, false);
	ui_put(ui->rows - 1, 0, ui->cols, ui->cols >= 100
		? " j/k move  Enter open  n new run  a audit  e export  E register an engineer  ? help  q quit"
		: " j/k move  Enter open  n new run  a audit  e export  E register  ? help  q quit");
}

/* The run selected on the home screen, or NULL (a checklist is) after
 * saying so. */
static const struct run_row *selected_run(struct ui *ui)
{
	if (ui->home_sel >= ui->n_checklists && ui->home_sel < ui->n_checklists + ui->n_runs)
		return &ui->runs[ui->home_sel - ui->n_checklists];
	ui_set_status(ui, true, "select a run first: a and e work on runs");
	return NULL;
}

static void home_key(struct ui *ui, int key)
{
	if (ui->opt->review) {
		ui_review_key(ui, key);
		return;
	}
	size_t total = ui->n_checklists + ui->n_runs;
	const struct run_row *run;
	switch (key) {
	case 'j': case UI_KEY_DOWN:
		if (ui->home_sel + 1 < total)
			ui->home_sel++;
		break;
	case 'k': case UI_KEY_UP:
		if (ui->home_sel > 0)
			ui->home_sel--;
		break;
	case UI_KEY_HOME: case 'g':
		ui->home_sel = 0;
		break;
	case UI_KEY_END: case 'G':
		ui->home_sel = total ? total - 1 : 0;
		break;
	case UI_KEY_ENTER: case 'n':
		if (ui->home_sel < ui->n_checklists)
			ui_begin_new_run(ui, ui->checklists[ui->home_sel]);
		else if (key == UI_KEY_ENTER && ui->home_sel >= ui->n_checklists && ui->home_sel < total) {
			const struct run_row *r = &ui->runs[ui->home_sel - ui->n_checklists];
			if (ui->run_states[ui->home_sel - ui->n_checklists] != 'o')
				ui_run_open(ui, r->id);
			else
				ui_begin_resume_signed(ui, r->id);
		}
		break;
	case 'a':
		if ((run = selected_run(ui)) != NULL)
			ui_audit_open(ui, run->id);
		break;
	case 'e':
		if ((run = selected_run(ui)) != NULL)
			ui_export_open(ui, run->id);
		break;
	case 'q': case UI_CTRL('c'):
		ui->quit = true;
		break;
	case '?':
		ui_help_open(ui);
		break;
	case 'E':
		ui_add_engineer(ui);
		break;
	}
	ui->dirty = true;
}

void ui_review_back(struct ui *ui)
{
	ui_run_close(ui);
	free(ui->status);
	ui->status = NULL;
	ui->view = &ui_home_view;
	ui_home_load(ui);
}

const struct ui_view_ops ui_home_view = {
	.name = "home",
	.draw = home_draw,
	.key = home_key,
};
