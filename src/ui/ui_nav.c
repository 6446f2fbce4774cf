/* Moving around the run screen: first / last / a page in the focused pane,
 * `:` (or `/` on the sections) to jump to a section by name as it is typed,
 * `r` to the rollback of what was done, and the keys that open the news
 * list and switch network evidence to raw JSON. The prompts are typed on
 * the status line, so that what is typed is always in view. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "countersign/util.h"
#include "ui.h"
#include "ui_runscreen.h"

/* The run screen's own state (its selection, which other views and the
 * forms act on, is the interface's: ui->sec, ui->item, ui->pane). */
struct ui_run_screen {
	struct ui_prompt jump;     /* : or / going to a section */
	size_t from_sec, from_item, nth;  /* where it began; which match Tab shows */
	int from_pane;
	char line[512];            /* the prompt as the status line shows it */
};

void ui_run_screen_destroy(struct ui *ui)
{
	free(ui->run_screen);
	ui->run_screen = NULL;
}

int ui_prompt_key(struct ui_prompt *p, int key)
{
	if (key == UI_KEY_ENTER || key == UI_KEY_ESC || key == UI_CTRL('c')) {
		p->active = false;
		return key == UI_KEY_ENTER ? 1 : -1;
	}
	if (key == UI_KEY_BACKSPACE) {
		if (p->len)
			p->text[--p->len] = L'\0';
	} else if (key == UI_CTRL('u')) {
		p->len = 0;
		p->text[0] = L'\0';
	} else if (key >= 0x20 && key < 0x110000 && key != 0x7f && p->len + 1 < sizeof(p->text) / sizeof(p->text[0])) {
		p->text[p->len++] = (wchar_t)key;
		p->text[p->len] = L'\0';
	}
	return 0;
}

char *ui_prompt_utf8(const struct ui_prompt *p)
{
	char buf[1024];
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	const wchar_t *src = p->text;
	size_t n = wcsrtombs(buf, &src, sizeof(buf) - 1, &st);
	buf[n == (size_t)-1 ? 0 : n] = '\0';
	return xstrdup(buf);
}

static char *lower(const char *s)
{
	char *out = xstrdup(s);
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return out;
}

/* How well section S matches Q (lowercase): 3 its id, 2 the start of its
 * id or title, 1 somewhere in them, 0 not at all. */
static int match_rank(const struct checklist_section *s, const char *q)
{
	char *id = lower(s->id), *title = lower(s->title);
	int rank = strcmp(id, q) == 0 ? 3 : strncmp(id, q, strlen(q)) == 0 || strncmp(title, q, strlen(q)) == 0 ? 2
		: strstr(id, q) || strstr(title, q) ? 1 : 0;
	free(id);
	free(title);
	return rank;
}

/* The NTH best match of the prompt (wrapping), or (size_t)-1; *COUNT gets
 * how many sections match. */
static size_t jump_match(const struct ui *ui, size_t nth, size_t *count)
{
	char *text = ui_prompt_utf8(&ui->run_screen->jump), *q = lower(text);
	free(text);
	const struct checklist *cl = ui->s.cl;
	size_t found = (size_t)-1;
	*count = 0;
	for (int rank = 3; rank >= 1 && *q; rank--)
		for (size_t s = 0; s < cl->n_sections; s++)
			if (match_rank(&cl->sections[s], q) == rank)
				++*count;
	size_t want = *count ? nth % *count : 0, seen = 0;
	for (int rank = 3; rank >= 1 && *q && found == (size_t)-1; rank--)
		for (size_t s = 0; s < cl->n_sections && found == (size_t)-1; s++)
			if (match_rank(&cl->sections[s], q) == rank && seen++ == want)
				found = s;
	free(q);
	return found;
}

static void jump_show(struct ui *ui)
{
	struct ui_run_screen *rs = ui->run_screen;
	size_t count = 0, s = jump_match(ui, rs->nth, &count);
	if (s != (size_t)-1) {
		ui->sec = s;
		ui->item = 0;
		ui->pane = 0;
	} else {
		ui->sec = rs->from_sec;
	}
}

const char *ui_nav_prompt_line(struct ui *ui)
{
	struct ui_run_screen *rs = ui->run_screen;
	if (!rs || !rs->jump.active)
		return NULL;
	char *text = ui_prompt_utf8(&rs->jump);
	size_t count = 0, s = jump_match(ui, rs->nth, &count);
	if (!*text)
		snprintf(rs->line, sizeof(rs->line), ":%s_   go to a section: type part of its name or id", text);
	else if (s == (size_t)-1)
		snprintf(rs->line, sizeof(rs->line), ":%s_   no section matches", text);
	else
		snprintf(rs->line, sizeof(rs->line), ":%s_   %s (%zu of %zu%s; Enter goes, Esc stays)", text,
			ui->s.cl->sections[s].id, rs->nth % count + 1, count, count > 1 ? ", Tab next" : "");
	free(text);
	return rs->line;
}

static void jump_key(struct ui *ui, int key)
{
	struct ui_run_screen *rs = ui->run_screen;
	if (key == UI_KEY_TAB || key == UI_KEY_BTAB) {
		size_t count = 0;
		jump_match(ui, 0, &count);
		if (count)
			rs->nth = key == UI_KEY_TAB ? rs->nth + 1 : rs->nth + count - 1;
		jump_show(ui);
		return;
	}
	int done = ui_prompt_key(&rs->jump, key);
	if (done < 0) {
		ui->sec = rs->from_sec;
		ui->item = rs->from_item;
		ui->pane = rs->from_pane;
		return;
	}
	if (done == 0) {
		rs->nth = 0;
		jump_show(ui);
		return;
	}
	size_t count = 0;
	if (jump_match(ui, rs->nth, &count) == (size_t)-1) {
		ui->sec = rs->from_sec;
		ui->item = rs->from_item;
		ui->pane = rs->from_pane;
		ui_set_status(ui, true, "no section matches");
	} else {
		ui_set_status(ui, false, "%s", ui->s.cl->sections[ui->sec].title);
	}
}

static void jump_open(struct ui *ui)
{
	if (!ui->run_screen)
		ui->run_screen = xcalloc(1, sizeof(*ui->run_screen));
	struct ui_run_screen *rs = ui->run_screen;
	memset(&rs->jump, 0, sizeof(rs->jump));
	rs->jump.active = true;
	rs->from_sec = ui->sec;
	rs->from_item = ui->item;
	rs->from_pane = ui->pane;
	rs->nth = 0;
}

/* --- the rollback of what was done --- */

static bool is_rollback(const struct checklist_section *s)
{
	return s->always_open && s->phase && strcasecmp(s->phase, "rollback") == 0;
}

/* The rollback section tied to section TARGET, or (size_t)-1. */
static size_t rollback_for(const struct ui *ui, size_t target)
{
	for (size_t k = 0; k < ui->s.cl->n_sections; k++)
		if (ui_rollback_target(ui, k) == target)
			return k;
	return (size_t)-1;
}

/* The rollback of the section selected, else of the latest alternative
 * chosen; from a rollback section, the next one (so that every rollback
 * stays one key further); else the first rollback section. */
static size_t rollback_pick(const struct ui *ui)
{
	const struct checklist *cl = ui->s.cl;
	size_t pick = is_rollback(&cl->sections[ui->sec]) ? (size_t)-1 : rollback_for(ui, ui->sec);
	for (size_t k = cl->n_sections; pick == (size_t)-1 && k > 0 && !is_rollback(&cl->sections[ui->sec]); k--)
		if (engine_section(ui->s.eng, k - 1)->chosen)
			pick = rollback_for(ui, k - 1);
	for (size_t k = 1; pick == (size_t)-1 && k <= cl->n_sections; k++) {
		size_t s = (ui->sec + k) % cl->n_sections;
		if (is_rollback(&cl->sections[s]))
			pick = s;
	}
	for (size_t s = 0; pick == (size_t)-1 && s < cl->n_sections; s++)
		if (cl->sections[s].always_open)
			pick = s;
	return pick;
}

void ui_nav_rollback(struct ui *ui)
{
	size_t s = rollback_pick(ui);
	if (s == (size_t)-1) {
		ui_set_status(ui, true, "this checklist has no rollback section");
		return;
	}
	const struct checklist *cl = ui->s.cl;
	ui->sec = s;
	ui->item = 0;
	ui->pane = 0;
	size_t target = ui_rollback_target(ui, s);
	if (target == (size_t)-1)
		ui_set_status(ui, false, "%s (always open; r: the next rollback)", cl->sections[s].title);
	else if (engine_section(ui->s.eng, target)->not_chosen)
		ui_set_status(ui, false, "%s: for %s, which was NOT chosen (r: the next rollback)",
			cl->sections[s].title, cl->sections[target].id);
	else
		ui_set_status(ui, false, "%s: rolls back %s%s (r: the next rollback)",
			cl->sections[s].title, cl->sections[target].id,
			engine_section(ui->s.eng, target)->chosen ? ", the alternative chosen" : "");
}

/* --- first, last, a page --- */

static void move_to(struct ui *ui, size_t pos, bool relative_up, size_t by)
{
	size_t n = ui->pane == 0 ? ui->s.cl->n_sections : ui->s.cl->sections[ui->sec].n_items;
	if (n == 0)
		return;
	size_t *sel = ui->pane == 0 ? &ui->sec : &ui->item;
	if (by)
		pos = relative_up ? (*sel > by ? *sel - by : 0) : (*sel + by < n ? *sel + by : n - 1);
	*sel = pos < n ? pos : n - 1;
	if (ui->pane == 0)
		ui->item = 0;
}

bool ui_nav_key(struct ui *ui, int key)
{
	if (ui->run_screen && ui->run_screen->jump.active) {
		jump_key(ui, key);
		ui->dirty = true;
		return true;
	}
	size_t page = (size_t)ui_run_pane_rows(ui, ui->pane);
	switch (key) {
	case 'g': case UI_KEY_HOME: move_to(ui, 0, false, 0); break;
	case 'G': case UI_KEY_END: move_to(ui, (size_t)-1, false, 0); break;
	case UI_KEY_PGUP: move_to(ui, 0, true, page > 1 ? page - 1 : 1); break;
	case UI_KEY_PGDN: move_to(ui, 0, false, page > 1 ? page - 1 : 1); break;
	case ':': jump_open(ui); break;
	case '/':
		if (ui->pane == 1 && ui->item < ui->s.cl->sections[ui->sec].n_items)
			ui_output_open(ui, true);
		else
			jump_open(ui);
		break;
	case 'r': case 'R': ui_nav_rollback(ui); break;
	case 'N': ui_news_open(ui); break;
	case 'J': ui_evidence_toggle_raw(ui); break;
	default: return false;
	}
	ui->dirty = true;
	return true;
}
