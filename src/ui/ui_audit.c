/* The audit view (a): one run's record, oldest first, one line per event as
 * `countersign audit --run RUN` prints it (when, what, about what, who, and
 * the verdict, meaning, comment or reason), with the failed PIN attempts
 * and lockouts of people acting on the run, full screen and scrolled. It
 * only reads; it is the same in review and on the run screen. */
#include <assert.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/audit.h"
#include "countersign/util.h"
#include "ui.h"
#include "ui_runscreen.h"

/* The audit view's state. */
struct ui_audit {
	char *run_id;
	char **lines;               /* one per event */
	size_t n_lines;
	const struct ui_view_ops *back;  /* where q goes */
	/* the lines as drawn: wrapped rows, and the event each row belongs to */
	char **rows;
	size_t *row_event, n_rows;
	int width;                  /* the rows were wrapped for this many columns */
	size_t top;                 /* first row shown */
};

static void free_rows(struct ui_audit *au)
{
	for (size_t i = 0; i < au->n_rows; i++)
		free(au->rows[i]);
	free(au->rows);
	free(au->row_event);
	au->rows = NULL;
	au->row_event = NULL;
	au->n_rows = 0;
	au->width = 0;
}

static void audit_destroy(struct ui *ui)
{
	struct ui_audit *au = ui->audit;
	if (!au)
		return;
	free_rows(au);
	for (size_t i = 0; i < au->n_lines; i++)
		free(au->lines[i]);
	free(au->lines);
	free(au->run_id);
	free(au);
	ui->audit = NULL;
}

void ui_audit_open(struct ui *ui, const char *run_id)
{
	char *id = xstrdup(run_id);  /* RUN_ID may be a list's, which a reload frees */
	struct store_audit_entry *run = NULL;
	size_t n_run = 0;
	/* the run's chain, with the failed PINs and lockouts (in the engineers'
	 * chain) of people acting on it: a reviewer must see those too */
	if (session_audit(&ui->s, &(struct store_audit_filter){.run = id}, &run, &n_run) != CS_OK) {
		ui_set_status(ui, true, "cannot read the record of run %s: %s", id, session_store_error(&ui->s));
		free(id);
		return;
	}
	audit_destroy(ui);
	struct ui_audit *au = ui->audit = xcalloc(1, sizeof(*ui->audit));
	au->run_id = id;
	au->lines = xcalloc(n_run + 1, sizeof(char *));
	for (size_t i = 0; i < n_run; i++)
		au->lines[au->n_lines++] = audit_line(&run[i]);
	store_audit_entry_array_free(run, n_run);
	assert(ui->view != &ui_audit_view);
	au->back = ui->view;
	ui->view = &ui_audit_view;
	ui->dirty = true;
}

/* Wraps every line to WIDTH columns (less the indent of the rows after an
 * event's first, so that each event starts at the left edge). */
static void wrap_all(struct ui_audit *au, int width)
{
	free_rows(au);
	size_t cap = au->n_lines + 16;
	au->rows = xcalloc(cap, sizeof(char *));
	au->row_event = xcalloc(cap, sizeof(size_t));
	for (size_t i = 0; i < au->n_lines; i++) {
		size_t n = 0;
		char *store = NULL;
		char **rows = ui_wrap_rows(au->lines[i], width - 6, &n, &store);
		if (au->n_rows + n >= cap) {
			cap = (au->n_rows + n) * 2;
			au->rows = xreallocarray(au->rows, cap, sizeof(char *));
			au->row_event = xreallocarray(au->row_event, cap, sizeof(size_t));
		}
		for (size_t r = 0; r < n; r++) {
			/* a row after the first starts with what it says, not with
			 * the blanks that aligned a column */
			au->rows[au->n_rows] = xstrdup(r ? rows[r] + strspn(rows[r], " ") : rows[r]);
			au->row_event[au->n_rows++] = i;
		}
		free(rows);
		free(store);
	}
	au->width = width;
}

static void audit_draw(struct ui *ui)
{
	struct ui_audit *au = ui->audit;
	if (au->width != ui->cols)
		wrap_all(au, ui->cols);
	int rows = ui->rows - 3;
	if (au->top + (size_t)rows > au->n_rows)
		au->top = au->n_rows > (size_t)rows ? au->n_rows - (size_t)rows : 0;
	size_t last = au->top + (size_t)rows < au->n_rows ? au->top + (size_t)rows : au->n_rows;
	assert(au->n_rows == 0 || (au->top < last && last <= au->n_rows));
	char *title = au->n_rows ? xasprintf(" Audit trail of run %s · events %zu-%zu of %zu, oldest first", au->run_id,
		au->row_event[au->top] + 1, au->row_event[last - 1] + 1, au->n_lines)
		: xasprintf(" Audit trail of run %s · no events", au->run_id);
	ui_title_bar(ui, title);
	free(title);
	for (int r = 0; r < rows && au->top + (size_t)r < au->n_rows; r++) {
		size_t i = au->top + (size_t)r;
		bool first = i == 0 || au->row_event[i] != au->row_event[i - 1];
		ui_put(1 + r, first ? 1 : 5, ui->cols - (first ? 2 : 6), au->rows[i]);
	}
	ui_put(ui->rows - 2, 0, ui->cols, ui->status ? ui->status : "");
	ui_border_more(ui, 0, 0, ui->cols, au->top, true);
	ui_border_more(ui, ui->rows - 2, 0, ui->cols, au->n_rows - last, false);
	ui_put(ui->rows - 1, 0, ui->cols, " j/k scroll  PgUp/PgDn page  g/G first/last  ? help  q, Esc, a back");
}

static void audit_key(struct ui *ui, int key)
{
	struct ui_audit *au = ui->audit;
	size_t page = ui->rows > 4 ? (size_t)ui->rows - 4 : 1;
	ui->dirty = true;
	if (ui_scroll_key_ends(&au->top, page, au->n_rows, key))
		return;
	switch (key) {
	case '?': ui_help_open(ui); break;
	case 'q': case 'a': case UI_KEY_ESC: case UI_CTRL('c'):
		ui->view = au->back;
		audit_destroy(ui);
		break;
	}
}

/* A run the audit is shown over goes on. */
static void audit_tick(struct ui *ui)
{
	if (ui->audit->back->tick)
		ui->audit->back->tick(ui);
}
static const char *const audit_help[] = {
	"Audit view keys",
	"",
	"  The run's record, oldest first, one line per event: when (UTC), the",
	"  run, the section or item, the engineer, what happened and its verdict,",
	"  meaning, comment or reason. Nothing here records anything.",
	"",
	"  j/k, arrows  scroll a line             PgDn, Space / PgUp  a page",
	"  g/G, Home/End  first / last event",
	"  ?            this help",
	"  q, Esc, a    back",
	NULL,
};

const struct ui_view_ops ui_audit_view = {
	.name = "audit",
	.help = audit_help,
	.draw = audit_draw,
	.key = audit_key,
	.tick = audit_tick,
	.destroy = audit_destroy,
};
