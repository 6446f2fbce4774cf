/* The home screen: bundled and local checklists (and Markdown runbooks to
 * import: NAME.md in ./checklists and ./runbooks), open runs, past runs. */
#include <assert.h>
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

/* The home screen's state: the checklists, then the runs, as one list. */
struct ui_home {
	char **checklists;          /* paths: checklists, and runbooks (*.md) to import */
	size_t n_checklists;
	struct store_run_row *runs;
	size_t n_runs;
	char *run_states;           /* 'o','c','a' per run */
	size_t sel, top;            /* selected row, first row shown */
};

static void free_lists(struct ui_home *h)
{
	for (size_t i = 0; i < h->n_checklists; i++)
		free(h->checklists[i]);
	free(h->checklists);
	h->checklists = NULL;
	h->n_checklists = 0;
	for (size_t i = 0; i < h->n_runs; i++)
		store_run_row_clear(&h->runs[i]);
	free(h->runs);
	free(h->run_states);
	h->runs = NULL;
	h->run_states = NULL;
	h->n_runs = 0;
}

static void home_destroy(struct ui *ui)
{
	if (!ui->home)
		return;
	free_lists(ui->home);
	free(ui->home);
	ui->home = NULL;
}

static int by_name(const void *a, const void *b)
{
	const char *x = strrchr(*(char *const *)a, '/'), *y = strrchr(*(char *const *)b, '/');
	/* the tour first: it is where a newcomer starts */
	int tour = (y && strcmp(y, "/tour.json") == 0) - (x && strcmp(x, "/tour.json") == 0);
	return tour ? tour : strcmp(x ? x : *(char *const *)a, y ? y : *(char *const *)b);
}

static bool has_suffix(const char *name, const char *suffix)
{
	size_t len = strlen(name), n = strlen(suffix);
	return len > n && strcmp(name + len - n, suffix) == 0;
}

/* True for a Markdown runbook, which Enter imports rather than runs. */
static bool is_runbook(const char *path)
{
	return has_suffix(path, ".md");
}

/* True when DIR holds NAME.md for NAME.json: a checklist imported beside
 * its runbook. */
static bool beside_runbook(const char *dir, const char *json_name)
{
	char *md = xasprintf("%s/%.*s.md", dir, (int)(strlen(json_name) - 5), json_name);
	struct stat st;
	bool found = stat(md, &st) == 0 && S_ISREG(st.st_mode);
	free(md);
	return found;
}

/* Adds DIR's checklists (*.json) when JSON is "all", or only those imported
 * beside a runbook when it is "imported"; and its runbooks (*.md) when MD. */
static void scan_dir(struct ui_home *h, const char *dir, const char *json, bool md)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		bool is_json = has_suffix(e->d_name, ".json");
		if (is_json && strcmp(json, "all") != 0 && !(strcmp(json, "imported") == 0 && beside_runbook(dir, e->d_name)))
			continue;
		if (!is_json && !(md && has_suffix(e->d_name, ".md")))
			continue;
		bool dup = false;
		for (size_t i = 0; i < h->n_checklists && !dup; i++) {
			const char *base = strrchr(h->checklists[i], '/');
			dup = base && strcmp(base + 1, e->d_name) == 0;
		}
		if (dup)
			continue;
		h->checklists = xreallocarray(h->checklists, h->n_checklists + 1, sizeof(char *));
		h->checklists[h->n_checklists++] = xasprintf("%s/%s", dir, e->d_name);
	}
	closedir(d);
}

void ui_home_load(struct ui *ui)
{
	if (!ui->home)
		ui->home = xcalloc(1, sizeof(*ui->home));
	struct ui_home *h = ui->home;
	free_lists(h);
	scan_dir(h, "checklists", "all", true);
	scan_dir(h, "runbooks", "imported", true);
	scan_dir(h, COUNTERSIGN_DATADIR "/checklists", "all", false);
	if (h->n_checklists > 1)
		qsort(h->checklists, h->n_checklists, sizeof(char *), by_name);
	session_list_runs(&ui->s, NULL, &h->runs, &h->n_runs);
	h->run_states = xcalloc(h->n_runs + 1, 1);
	/* open runs first, then the others, newest first within each */
	for (size_t i = 0; i < h->n_runs; i++)
		h->run_states[i] = !h->runs[i].ended ? 'o' : strcmp(h->runs[i].ended, EV_RUN_COMPLETED) == 0 ? 'c' : 'a';
	for (size_t i = 1; i < h->n_runs; i++) {
		for (size_t k = i; k > 0 && h->run_states[k] == 'o' && h->run_states[k - 1] != 'o'; k--) {
			struct store_run_row t = h->runs[k];
			h->runs[k] = h->runs[k - 1];
			h->runs[k - 1] = t;
			char c = h->run_states[k];
			h->run_states[k] = h->run_states[k - 1];
			h->run_states[k - 1] = c;
		}
	}
	size_t total = h->n_checklists + h->n_runs;
	if (h->sel >= total)
		h->sel = total ? total - 1 : 0;
	ui->dirty = true;
}

static void draw_row(struct ui *ui, int y, size_t index, bool selected)
{
	const struct ui_home *h = ui->home;
	char *line;
	if (index < h->n_checklists && is_runbook(h->checklists[index])) {
		int pad = ui->cols / 2 - 2 - ui_width(h->checklists[index]);
		line = xasprintf("  %s%*s  Markdown: Enter imports it", h->checklists[index], pad > 0 ? pad : 0, "");
	} else if (index < h->n_checklists) {
		line = xasprintf("  %s", h->checklists[index]);
	} else {
		size_t r = index - h->n_checklists;
		assert(r < h->n_runs);
		char when[64];
		clock_format_utc(h->runs[r].started_us, when, sizeof(when));
		char st = h->run_states[r];
		line = xasprintf("  %-10s %-9s %-22s %-20s %s", h->runs[r].id,
			st == 'o' ? "open" : st == 'c' ? "completed" : st == 'a' ? "aborted" : "?", when,
			h->runs[r].checklist_id, h->runs[r].title);
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
	struct ui_home *h = ui->home;
	ui_title_bar(ui, " countersign");
	int y = 2;
	int list_rows = ui->rows - 5;
	size_t total = h->n_checklists + h->n_runs;
	assert(h->sel < total || h->sel == 0);
	if (h->sel < h->top)
		h->top = h->sel;
	/* headings take rows too; keep the selection visible with a margin */
	if (h->sel >= h->top + (size_t)(list_rows > 4 ? list_rows - 4 : 1))
		h->top = h->sel - (size_t)(list_rows > 4 ? list_rows - 4 : 1) + 1;
	bool runs_heading = false, past_heading = false;
	size_t shown_to = h->top;  /* one past the last row drawn */
	if (h->n_checklists && h->top == 0) {
		attron(A_BOLD);
		ui_put(y++, 0, ui->cols, "Checklists");
		attroff(A_BOLD);
	}
	for (size_t i = h->top; i < total && y < ui->rows - 2; i++) {
		if (i >= h->n_checklists) {
			char st = h->run_states[i - h->n_checklists];
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
		draw_row(ui, y++, i, i == h->sel);
		shown_to = i + 1;
	}
	if (total == 0)
		ui_put(y, 2, ui->cols - 2, "No checklists in ./checklists and no runs yet.");
	ui_put(ui->rows - 2, 0, ui->cols, ui->status ? ui->status : "");
	/* what the list does not show, above and below */
	ui_border_more(ui, 0, 0, ui->cols, h->top, true);
	ui_border_more(ui, ui->rows - 2, 0, ui->cols, total - shown_to, false);
	ui_put(ui->rows - 1, 0, ui->cols, ui->cols >= 100
		? " j/k move  Enter open  n new run  a audit  e export  E register an engineer  ? help  q quit"
		: " j/k move  Enter open  n new run  a audit  e export  E register  ? help  q quit");
}

/* The run selected on the home screen, or NULL (a checklist is) after
 * saying so. */
static const struct store_run_row *selected_run(struct ui *ui)
{
	const struct ui_home *h = ui->home;
	if (h->sel >= h->n_checklists && h->sel < h->n_checklists + h->n_runs)
		return &h->runs[h->sel - h->n_checklists];
	ui_set_status(ui, true, "select a run first: a and e work on runs");
	return NULL;
}

static void home_key(struct ui *ui, int key)
{
	struct ui_home *h = ui->home;
	size_t total = h->n_checklists + h->n_runs;
	const struct store_run_row *run;
	switch (key) {
	case 'j': case UI_KEY_DOWN:
		if (h->sel + 1 < total)
			h->sel++;
		break;
	case 'k': case UI_KEY_UP:
		if (h->sel > 0)
			h->sel--;
		break;
	case UI_KEY_HOME: case 'g':
		h->sel = 0;
		break;
	case UI_KEY_END: case 'G':
		h->sel = total ? total - 1 : 0;
		break;
	case UI_KEY_ENTER: case 'n':
		if (h->sel < h->n_checklists && is_runbook(h->checklists[h->sel]))
			ui_import_open(ui, h->checklists[h->sel]);
		else if (h->sel < h->n_checklists)
			ui_begin_new_run(ui, h->checklists[h->sel]);
		else if (key == UI_KEY_ENTER && h->sel >= h->n_checklists && h->sel < total) {
			const struct store_run_row *r = &h->runs[h->sel - h->n_checklists];
			if (h->run_states[h->sel - h->n_checklists] != 'o')
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

static const char *const home_help[] = {
	"Home screen keys",
	"",
	"  j/k, arrows  move                      g/G, Home/End  first / last",
	"  Enter        on a checklist: start a run of it (its open runs are listed",
	"               first, to resume one); on an open run: sign in and resume",
	"               it; on a past run: open it read-only; on a Markdown",
	"               runbook (*.md): import it, show what the import found,",
	"               save NAME.json beside it (asked) and offer to open it",
	"  n            a new run of the selected checklist",
	"  a            the audit trail of the selected run, one line per event",
	"  e            export the selected run's report: md, json, html or junit",
	"  E            register another engineer (name, full name, their PIN)",
	"  ?            this help",
	"  q, Ctrl-C    quit",
	NULL,
};

const struct ui_view_ops ui_home_view = {
	.name = "home",
	.help = home_help,
	.draw = home_draw,
	.key = home_key,
	.destroy = home_destroy,
};
