/* The home screen: bundled and local checklists (and Markdown runbooks to
 * import: NAME.md in ./checklists and ./runbooks), open runs, past runs.
 * The first frame reads only what it shows: the open runs, the newest past
 * runs and how many there are; older runs are read a page at a time as the
 * list comes to them, so that the screen opens as fast on a record of ten
 * thousand runs as on one of ten. */
#include <assert.h>
#include <curses.h>
#include <stdint.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "countersign/clock.h"
#include "countersign/util.h"
#include "ui.h"
#include "ui_runscreen.h"

/* The home screen's state: the checklists, then the open runs, then the
 * past runs, as one list of N_CHECKLISTS + N_OPEN + N_PAST rows, of which
 * the runs up to N_RUNS are read. */
struct ui_home {
	char **checklists;          /* paths: checklists, and runbooks (*.md) to import */
	size_t n_checklists;
	struct store_run_row *runs; /* the open runs, then the past runs read so far */
	size_t n_runs, cap_runs;
	size_t n_open;              /* open runs: all read with the first frame */
	size_t n_past;              /* past runs in the record, read or not */
	struct store_run_key after; /* the last past run read (id malloc'd; NULL: none yet) */
	bool past_end;              /* a page came back short: every past run is read */
	size_t sel, top;            /* selected row, first row shown */
};

static void free_lists(struct ui_home *h)
{
	for (size_t i = 0; i < h->n_checklists; i++)
		free(h->checklists[i]);
	free(h->checklists);
	h->checklists = NULL;
	h->n_checklists = 0;
	store_run_row_array_free(h->runs, h->n_runs);
	h->runs = NULL;
	h->n_runs = h->cap_runs = h->n_open = h->n_past = 0;
	free((char *)h->after.id);
	h->after = (struct store_run_key){0};
	h->past_end = false;
}

/* Appends N rows (taken over; ROWS is freed) to the runs read. */
static void add_runs(struct ui_home *h, struct store_run_row *rows, size_t n)
{
	if (h->n_runs + n > h->cap_runs) {
		h->cap_runs = h->n_runs + n > 2 * h->cap_runs ? h->n_runs + n : 2 * h->cap_runs;
		h->runs = xreallocarray(h->runs, h->cap_runs, sizeof(*h->runs));
	}
	if (n)
		memcpy(h->runs + h->n_runs, rows, n * sizeof(*rows));
	h->n_runs += n;
	free(rows);
}

/* Past runs read per query: a screenful, so that the first frame reads
 * what it shows and each page what scrolling brings into view. */
static size_t page_rows(const struct ui *ui)
{
	return ui->rows > 0 ? (size_t)ui->rows : UI_MIN_LINES;
}

/* Takes over page ROWS[0..N) of past runs: the cursor goes on from its
 * last run. A run that was open when the list was read and has ended since
 * (another terminal) is among them: it stays where it is listed, its row
 * replaced by the one just read, and is not listed twice. */
static void add_past_page(struct ui_home *h, struct store_run_row *rows, size_t n)
{
	if (n) {
		free((char *)h->after.id);
		h->after = (struct store_run_key){rows[n - 1].started_us, xstrdup(rows[n - 1].id)};
	}
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		size_t o = 0;
		while (o < h->n_open && strcmp(h->runs[o].id, rows[i].id) != 0)
			o++;
		if (o < h->n_open) {
			store_run_row_clear(&h->runs[o]);
			h->runs[o] = rows[i];
		} else {
			rows[kept++] = rows[i];
		}
	}
	add_runs(h, rows, kept);
}

/* Reads past runs until run R (an index into the open runs, then the past
 * runs) is read or the list ends, each query going on from the last run
 * read (its start and id) rather than skipping an OFFSET, so that a page far
 * down costs what the first one does. A jump (G) reads the rest at once. The
 * list ends at a page shorter than asked, not at the count: runs that ended
 * since it was taken may follow. A failure ends it too, and says so. */
static void read_past_to(struct ui *ui, size_t r)
{
	struct ui_home *h = ui->home;
	while (r >= h->n_runs && !h->past_end) {
		size_t want = r - h->n_runs + 1, page = page_rows(ui);
		size_t limit = want > page ? want : page;
		struct store_run_row *rows = NULL;
		size_t n = 0;
		if (session_past_runs(&ui->s, h->after.id ? &h->after : NULL, limit, &rows, &n) != CS_OK)
			ui_set_status(ui, true, "cannot read the older runs: %s", session_store_error(&ui->s));
		add_past_page(h, rows, n);
		h->past_end = n < limit;
		/* the record changed since the count: the list is what was read */
		if (h->past_end || h->n_runs > h->n_open + h->n_past)
			h->n_past = h->n_runs - h->n_open;
	}
}

/* Run R of the list (open runs, then past runs), read first when it is not
 * yet; NULL when the list ends before it. */
static const struct store_run_row *run_at(struct ui *ui, size_t r)
{
	read_past_to(ui, r);
	return r < ui->home->n_runs ? &ui->home->runs[r] : NULL;
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
	/* open runs first, then the past ones, newest first within each */
	struct store_run_row *open = NULL;
	size_t n_open = 0;
	int64_t n_past = 0;
	if (session_open_runs(&ui->s, &open, &n_open) != CS_OK ||
		session_count_past_runs(&ui->s, &n_past) != CS_OK) {
		ui_set_status(ui, true, "cannot read the runs: %s", session_store_error(&ui->s));
		h->past_end = true; /* said once: no pages are read from it */
	}
	add_runs(h, open, n_open);
	h->n_open = n_open;
	h->n_past = n_past > 0 && (uint64_t)n_past < SIZE_MAX / 2 ? (size_t)n_past : 0;
	read_past_to(ui, h->n_open + page_rows(ui) - 1);
	size_t total = h->n_checklists + h->n_open + h->n_past;
	if (h->sel >= total)
		h->sel = total ? total - 1 : 0;
	ui->dirty = true;
}

static void draw_row(struct ui *ui, int y, size_t index, bool selected)
{
	const struct ui_home *h = ui->home;
	const struct store_run_row *run;
	char *line;
	if (index < h->n_checklists && is_runbook(h->checklists[index])) {
		int pad = ui->cols / 2 - 2 - ui_width(h->checklists[index]);
		line = xasprintf("  %s%*s  Markdown: Enter imports it", h->checklists[index], pad > 0 ? pad : 0, "");
	} else if (index < h->n_checklists) {
		line = xasprintf("  %s", h->checklists[index]);
	} else if ((run = run_at(ui, index - h->n_checklists)) != NULL) {
		char when[64];
		clock_format_utc(run->started_us, when, sizeof(when));
		line = xasprintf("  %-10s %-9s %-22s %-20s %s", run->id, run->state, when, run->checklist_id,
			run->title);
	} else {
		return; /* the list ended before it: the record changed, or could not be read */
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
	/* the rows this frame may show, read before it is drawn (the list may
	 * end sooner than the count said) */
	if (h->n_past && h->sel + (size_t)ui->rows >= h->n_checklists)
		read_past_to(ui, h->sel + (size_t)ui->rows - h->n_checklists);
	size_t total = h->n_checklists + h->n_open + h->n_past;
	if (h->sel >= total)
		h->sel = total ? total - 1 : 0;
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
			bool open = i - h->n_checklists < h->n_open;
			if (open && !runs_heading) {
				attron(A_BOLD);
				ui_put(y++, 0, ui->cols, "Open runs");
				attroff(A_BOLD);
				runs_heading = true;
			} else if (!open && !past_heading) {
				/* how many there are, most of them not read yet */
				char *heading = xasprintf("Past runs (%zu)", h->n_past);
				attron(A_BOLD);
				ui_put(y++, 0, ui->cols, heading);
				attroff(A_BOLD);
				free(heading);
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
	const struct store_run_row *run = h->sel >= h->n_checklists ? run_at(ui, h->sel - h->n_checklists) : NULL;
	if (!run)
		ui_set_status(ui, true, "select a run first: a and e work on runs");
	return run;
}

static void home_key(struct ui *ui, int key)
{
	struct ui_home *h = ui->home;
	size_t total = h->n_checklists + h->n_open + h->n_past;
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
		else if (key == UI_KEY_ENTER && (run = run_at(ui, h->sel - h->n_checklists)) != NULL) {
			if (run->ended)
				ui_run_open(ui, run->id);
			else
				ui_begin_resume_signed(ui, run->id);
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
