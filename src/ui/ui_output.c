/* The selected item's output full screen: what the item says (who, when,
 * re-checks), then its output or evidence, scrolled, with / search typed on
 * the status line, n/N to the next and previous match, and J for network
 * evidence as raw JSON. */
#include <assert.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/util.h"
#include "ui.h"
#include "ui_runscreen.h"

/* The output screen's state. */
struct ui_output_screen {
	size_t top;                /* first line shown; (size_t)-1 the end, -2/-3 the next/previous match */
	struct ui_prompt search;   /* the search being typed */
	wchar_t last[128];         /* the last search made (n/N) */
	size_t hit;                /* the line found, or (size_t)-1 */
	size_t from;               /* where the screen was when the search began */
	char prompt_line[600];
};

static char **split_lines(char *text, size_t *n)
{
	size_t cap = 64;
	char **lines = xcalloc(cap, sizeof(char *));
	*n = 0;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (*n == cap)
			lines = xreallocarray(lines, cap *= 2, sizeof(char *));
		lines[(*n)++] = line;
		line = nl ? nl + 1 : NULL;
	}
	return lines;
}

static size_t find_line(const struct ui_output_screen *o, char **lines, size_t n, size_t from, int dir)
{
	char needle[512];
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	const wchar_t *src = o->last;
	size_t len = wcsrtombs(needle, &src, sizeof(needle) - 1, &st);
	if (len == (size_t)-1 || len == 0)
		return (size_t)-1;
	needle[len] = '\0';
	for (size_t k = 0; k < n; k++) {
		size_t i = dir > 0 ? (from + k) % n : (from + n - k) % n;
		if (strstr(lines[i], needle))
			return i;
	}
	return (size_t)-1;
}

void ui_output_open(struct ui *ui, bool with_search)
{
	if (!ui_selected_item(ui))
		return;
	if (!ui->output_screen)
		ui->output_screen = xcalloc(1, sizeof(*ui->output_screen));
	struct ui_output_screen *o = ui->output_screen;
	ui->view = &ui_output_view;
	o->top = (size_t)-1;
	o->hit = (size_t)-1;
	memset(&o->search, 0, sizeof(o->search));
	if (with_search) {
		o->search.active = true;
		o->from = 0;
	}
	ui->dirty = true;
}

/* Goes to the next (-2) or previous (-3) match asked for by top. */
static void follow_search(struct ui *ui, char **lines, size_t n)
{
	struct ui_output_screen *o = ui->output_screen;
	int dir = o->top == (size_t)-3 ? -1 : 1;
	size_t from = o->hit == (size_t)-1 ? o->from : o->hit + (dir > 0 ? 1 : n - 1);
	size_t hit = n ? find_line(o, lines, n, from % n, dir) : (size_t)-1;
	if (hit != (size_t)-1) {
		o->hit = hit;
		o->top = hit;
		ui_set_status(ui, false, "line %zu of %zu", hit + 1, n);
	} else {
		o->top = o->from;
		ui_set_status(ui, true, "not found");
	}
}

static const char *status_line(struct ui *ui)
{
	struct ui_output_screen *o = ui->output_screen;
	if (!o->search.active)
		return ui->status ? ui->status : "";
	char *text = ui_prompt_utf8(&o->search);
	snprintf(o->prompt_line, sizeof(o->prompt_line), "/%s_   search: Enter finds, Esc cancels", text);
	free(text);
	return o->prompt_line;
}

/* The item's detail (who, when, re-checks) under the title, not scrolled;
 * returns how many rows it took. */
static int draw_detail(struct ui *ui)
{
	char *detail = ui_item_detail(ui, ui->sec, ui->item);
	size_t n;
	char **lines = split_lines(detail, &n);
	int max = (ui->rows - 3) / 3, used = 0;
	for (size_t i = 0; i < n && used < max; i++, used++)
		ui_put(1 + used, 0, ui->cols, lines[i]);
	free(lines);
	free(detail);
	return used;
}

static void output_draw(struct ui *ui)
{
	struct ui_output_screen *o = ui->output_screen;
	const struct checklist_section *sec = &ui->s.cl->sections[ui->sec];
	assert(o && ui->item < sec->n_items);  /* opened on an item (ui_output_open) */
	int head = draw_detail(ui);
	char *text = ui_item_body(ui, 0, NULL);
	size_t n;
	char **lines = split_lines(text, &n);
	int rows = ui->rows - 3 - head;  /* title, detail, status and key lines */
	if (o->top == (size_t)-1)
		o->top = n > (size_t)rows ? n - (size_t)rows : 0;
	if (o->top == (size_t)-2 || o->top == (size_t)-3)
		follow_search(ui, lines, n);
	if (o->top > n)
		o->top = n;
	size_t last = o->top + (size_t)rows < n ? o->top + (size_t)rows : n;
	char *title = xasprintf(" %s/%s · output (%zu line%s%s)%s", sec->id, sec->items[ui->item].id, n,
		n == 1 ? "" : "s", "", ui_evidence_show_raw() ? " · raw JSON" : "");
	if (n > (size_t)rows) {
		char *longer = xasprintf("%s · lines %zu-%zu", title, o->top + 1, last);
		free(title);
		title = longer;
	}
	if (ui->color)
		attron(COLOR_PAIR(5));
	ui_put(0, 0, ui->cols, title);
	if (o->top)
		ui_border_more(ui, 0, 0, ui->cols, o->top, true);
	if (ui->color)
		attroff(COLOR_PAIR(5));
	free(title);
	for (int r = 0; r < rows; r++) {
		size_t i = o->top + (size_t)r;
		if (i == o->hit)
			attron(A_REVERSE);
		if (i < n)
			for (char *t = lines[i]; *t; t++)
				if (*t == '\t')
					*t = ' ';
		ui_put(1 + head + r, 0, ui->cols, i < n ? lines[i] : "");
		if (i == o->hit)
			attroff(A_REVERSE);
	}
	ui_put(ui->rows - 2, 0, ui->cols, status_line(ui));
	if (last < n)
		ui_border_more(ui, ui->rows - 2, 0, ui->cols, n - last, false);
	ui_put(ui->rows - 1, 0, ui->cols, ui->cols >= 92
		? " j/k scroll  PgUp/PgDn page  g/G top/end  / search  n/N next/previous  J raw JSON  q back"
		: " j/k scroll  PgUp/PgDn page  g/G top/end  / search  n/N next/previous  q back");
	free(lines);
	free(text);
}

static void search_key(struct ui *ui, int key)
{
	struct ui_output_screen *o = ui->output_screen;
	if (ui_prompt_key(&o->search, key) <= 0)
		return;
	wcsncpy(o->last, o->search.text, sizeof(o->last) / sizeof(o->last[0]) - 1);
	o->top = (size_t)-2; /* search forward from the top of the screen */
}

static void output_key(struct ui *ui, int key)
{
	struct ui_output_screen *o = ui->output_screen;
	int page = ui->rows - 3;
	ui->dirty = true;
	if (o->search.active) {
		search_key(ui, key);
		return;
	}
	switch (key) {
	case 'j': case UI_KEY_DOWN: o->top++; break;
	case 'k': case UI_KEY_UP: if (o->top) o->top--; break;
	case UI_KEY_PGDN: case ' ': o->top += (size_t)page; break;
	case UI_KEY_PGUP: o->top = o->top > (size_t)page ? o->top - (size_t)page : 0; break;
	case 'g': case UI_KEY_HOME: o->top = 0; break;
	case 'G': case UI_KEY_END: o->top = (size_t)-1; break;
	case '/':
		memset(&o->search, 0, sizeof(o->search));
		o->search.active = true;
		o->hit = (size_t)-1;
		o->from = o->top == (size_t)-1 ? 0 : o->top;
		break;
	case 'n': o->top = (size_t)-2; break;
	case 'N': o->top = (size_t)-3; break;
	case 'J': ui_evidence_toggle_raw(ui); break;
	case '?': ui_help_open(ui); break;
	case 'q': case UI_KEY_ESC: case 'o':
		ui->view = &ui_run_view;
		o->hit = (size_t)-1;
		free(ui->status);
		ui->status = NULL;
		break;
	}
}
static const char *const output_help[] = {
	"Output screen keys",
	"",
	"  j/k, arrows  scroll a line             PgDn, Space / PgUp  a page",
	"  g/G, Home/End  top / end",
	"  /            search (plain text); n/N next / previous match",
	"  J            network evidence as raw JSON or as readable lines",
	"  ?            this help",
	"  q, Esc, o    back to the run screen",
	NULL,
};

static void output_destroy(struct ui *ui)
{
	free(ui->output_screen);
	ui->output_screen = NULL;
}

const struct ui_view_ops ui_output_view = {
	.name = "output",
	.help = output_help,
	.draw = output_draw,
	.key = output_key,
	.tick = ui_run_tick,
	.destroy = output_destroy,
};
