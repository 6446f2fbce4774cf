/* The run screen's parts beyond ui.h: what it says about an item or a
 * section, network evidence as readable lines, news from other terminals,
 * navigation and the line prompts, and text fitting. Internal to the
 * interface. */
#ifndef COUNTERSIGN_UI_RUNSCREEN_H
#define COUNTERSIGN_UI_RUNSCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "ui.h"

/* --- ui_draw.c: fitting text --- */

/* UTF8 cut to WIDTH columns: whole when it fits, else its start and its end
 * around an ellipsis, so that what tells similar titles apart (their end)
 * stays in view. Malloc'd; the caller frees it. */
char *ui_fit_middle(const char *utf8, int width, bool utf8_locale);
/* (ui_run.c) Splits TEXT into screen rows of WIDTH columns with wrap_rows
 * (countersign/wrap.h), so that nothing is cut off. Returns
 * the rows (*N of them, pointers into a copy of TEXT that *STORE gets);
 * the caller frees the array and *STORE. */
char **ui_wrap_rows(const char *text, int width, size_t *n, char **store);
/* Draws " ↑ N more " (UP) or " ↓ N more " at the right of the border row Y
 * of a box at X..X+W-1; nothing when N is 0. */
void ui_border_more(const struct ui *ui, int y, int x, int w, size_t n, bool up);
/* Draws TITLE across the top row, in the title colour when colour is on. */
void ui_title_bar(const struct ui *ui, const char *title);
/* Moves *TOP, the first row a scrolling view shows, for KEY: j/k and the
 * arrows by one row, space and PgDn/PgUp by PAGE rows. Returns false, with
 * *TOP untouched, for any other key. Drawing keeps *TOP in range. */
bool ui_scroll_key(size_t *top, size_t page, int key);
/* ui_scroll_key, and g/Home to the first row and G/End to END (the row
 * count), for views that have a first and last row to jump to. */
bool ui_scroll_key_ends(size_t *top, size_t page, size_t end, int key);

/* --- ui_detail.c: what the panes say about the selection --- */

/* Who gave item SEC/ITEM its verdict and when, its value, re-checks after
 * sign-off, a wait's end, a check stuck elsewhere: one line each, malloc'd
 * (sanitised, "" when there is nothing to say); the caller frees it. */
char *ui_item_detail(struct ui *ui, size_t sec, size_t item);
/* What the output pane shows with the sections pane focused: how an
 * aborted run ended, the gate's state (reopened, an earlier gate reopened,
 * a requested override, FORCED), every signature with its full time
 * (stale, superseded), notes, then the description. Malloc'd, sanitised. */
char *ui_section_info(struct ui *ui);
/* "aborted by bob at 2026-... UTC: reason" or "completed at ...", NULL while
 * the run is open; malloc'd. */
char *ui_run_end_text(const struct ui *ui);
/* The section SEC rolls back (rollback_for), or (size_t)-1. */
size_t ui_rollback_target(const struct ui *ui, size_t sec);
/* True when SEC is the rollback of an alternative that was not chosen. */
bool ui_rollback_not_chosen(const struct ui *ui, size_t sec);

/* --- ui_evidence.c: network evidence and progress --- */

/* The readable form of a network item's recorded evidence (JSON text):
 * each attempt or sample with status, latency, matched JSON paths, values
 * and the threshold, and why it failed. Malloc'd; NULL when EVIDENCE is not
 * network evidence. */
char *ui_evidence_readable(const struct ui *ui, const struct checklist_item *it, const char *evidence);
/* EVIDENCE pretty-printed (the raw JSON), malloc'd; NULL when not JSON. */
char *ui_evidence_raw(const char *evidence);
/* Whether the panes show network evidence raw (J toggles it). */
bool ui_evidence_show_raw(void);
void ui_evidence_toggle_raw(struct ui *ui);
/* Keeps the progress lines of a running network check (DATA from its
 * output) with the time they came, so that they stay after it ends. */
void ui_progress_add(struct ui *ui, size_t sec, size_t item, const char *data, size_t len);
/* The item's progress lines ("" when none), the newest one's "next in" or
 * "retrying in" counted down while the check runs; malloc'd. */
char *ui_progress_text(struct ui *ui, size_t sec, size_t item);
/* Forgets every progress line (the run is closed). */
void ui_progress_clear(void);

/* --- ui_news.c: news from other terminals --- */

/* Starts listening to what other processes record on the open run; detach
 * stops and forgets the news (the run is closed). */
void ui_news_attach(struct ui *ui);
void ui_news_detach(struct ui *ui);
/* Opens the list of recent events (the view ui_news_view) over the run
 * screen, or refreshes it. */
void ui_news_open(struct ui *ui);

/* --- ui_nav.c: moving around the run screen --- */

/* A line typed on the status line (the : and / prompts). */
struct ui_prompt {
	bool active;
	wchar_t text[128];
	size_t len;
};
/* Edits P with KEY: 1 when Enter ends it, -1 for Esc (or Ctrl-C), 0 while
 * typing (Backspace, Ctrl-U clears). */
int ui_prompt_key(struct ui_prompt *p, int key);
/* The prompt's text as malloc'd UTF-8. */
char *ui_prompt_utf8(const struct ui_prompt *p);
/* The selected item's output, sanitised: its live output while it runs (a
 * network check's progress), else its recorded evidence (network evidence
 * readable, or raw with J), else what it is; at most its last MAX_LINES
 * lines (0: all). *TOTAL (may be NULL) gets how many lines there are in
 * all. Malloc'd; the caller frees it. */
char *ui_item_body(struct ui *ui, size_t max_lines, size_t *total);
/* Rows of the sections (PANE 0) or items pane as the run screen lays them out. */
int ui_run_pane_rows(const struct ui *ui, int pane);

/* Handles navigation keys of the run screen (g G PgUp PgDn Home End, the
 * : and / prompts, r, N, J) and every key while a prompt is open; returns
 * false for keys it leaves to the caller. */
bool ui_nav_key(struct ui *ui, int key);
/* The prompt being typed, for the status line, or NULL. */
const char *ui_nav_prompt_line(struct ui *ui);
/* Frees the run screen's own state (the run view's destroy). */
void ui_run_screen_destroy(struct ui *ui);
/* Goes to the rollback section that fits what was done (r). */
void ui_nav_rollback(struct ui *ui);

/* --- ui_output.c: the full-screen output view --- */

/* Opens the selected item's output full screen; with SEARCH, the search
 * prompt at once. */
void ui_output_open(struct ui *ui, bool search);

#endif
