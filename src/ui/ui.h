/* The terminal interface: ncurses views over a session, driven by one poll()
 * loop shared with running checks. Internal to the program (not the library). */
#ifndef COUNTERSIGN_UI_H
#define COUNTERSIGN_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "countersign/exec.h"
#include "countersign/session.h"
#include "countersign/vars.h"

#define UI_MIN_COLS 80
#define UI_MIN_LINES 24
#define UI_OUTPUT_KEEP (256u * 1024u)  /* live output kept per item */

/* What to open. */
struct ui_options {
	const char *db_path;        /* NULL: default */
	const char *checklist;      /* open CHECKLIST.json, or NULL */
	const char *run_id;         /* open --run ID, or NULL */
	const char *const *vars;    /* --var NAME=VALUE */
	int n_vars;
	const char *title;
	bool review;                /* read-only */
};

/* Runs the interface; returns the exit code. */
int ui_main(const struct ui_options *opt);

/* --- keys: the terminal or a test script --- */
enum {
	UI_KEY_NONE = -1,
	UI_KEY_UP = 0x110000, UI_KEY_DOWN, UI_KEY_LEFT, UI_KEY_RIGHT, UI_KEY_ENTER, UI_KEY_TAB,
	UI_KEY_BTAB, UI_KEY_ESC, UI_KEY_BACKSPACE, UI_KEY_RESIZE, UI_KEY_PGUP, UI_KEY_PGDN,
	UI_KEY_HOME, UI_KEY_END, UI_KEY_DELETE,
};
#define UI_CTRL(c) ((c) & 0x1f)

/* --- the application state every view sees --- */
struct ui_output {             /* live output of one item */
	char *data;
	size_t len;
	bool truncated;
};

struct ui;

/* A screen of the interface, as tig has its view operations: the loop in
 * ui_app.c draws the view shown, gives it the keys no dialog takes and
 * ticks it every half second. A view keeps its state in a struct of its
 * own that struct ui points to; destroy frees it when the interface ends.
 * Every view is listed in the view table of ui_app.c. */
struct ui_view_ops {
	const char *name;
	/* What ? shows about its keys: a heading, then lines (NULL-terminated);
	 * NULL for a view that has no help. */
	const char *const *help;
	void (*draw)(struct ui *ui);           /* the whole screen, from the state */
	void (*key)(struct ui *ui, int key);
	void (*tick)(struct ui *ui);           /* every half second; NULL: nothing */
	void (*destroy)(struct ui *ui);        /* frees the view's state; NULL: none */
};
extern const struct ui_view_ops ui_home_view, ui_review_view, ui_run_view, ui_output_view, ui_news_view,
	ui_help_view, ui_audit_view;

/* Each view's own state (defined in its file). */
struct ui_home;
struct ui_review;
struct ui_help;
struct ui_audit;
struct ui_output_screen;
struct ui_news;
struct ui_run_screen;

/* A modal dialog: fields edited in turn; on submit the callback runs. */
enum field_kind { FIELD_TEXT, FIELD_SECRET, FIELD_CHOICE };
struct ui_field {
	const char *label;
	enum field_kind kind;
	wchar_t text[256];
	size_t len;
	const char *pattern;       /* checked as typed; NULL for none */
	const char *const *choices; /* FIELD_CHOICE: NULL-terminated */
	int choice;
	bool edited;               /* typed into: until then the first key replaces a default */
};
struct ui_dialog {
	char *title;
	char **info;               /* lines shown above the fields */
	size_t n_info;
	struct ui_field *fields;   /* n_fields in use of cap_fields; wiped when freed */
	size_t n_fields, cap_fields, focus;
	bool yes_no;               /* a question answered with y/n (default No) */
	bool message_only;         /* any key closes */
	/* Returns true to close the dialog; false keeps it open (with ui->status
	 * set) or means it opened another dialog in its place. */
	bool (*submit)(struct ui *ui, struct ui_dialog *d, bool yes);
	/* Called after a key changed field FIELD's value (NULL: none), so that
	 * one field may follow another (a default path its format). */
	void (*changed)(struct ui *ui, struct ui_dialog *d, size_t field);
	void *data;
	void (*free_data)(void *data);  /* frees DATA with the dialog (NULL: the dialog does not own it) */
	size_t sec, item;          /* what the dialog acts on */
	char digest[65];           /* the evidence a sign dialog showed */
	char **rows;               /* a list to pick one from (j/k, Enter picks SEL), after the info */
	size_t n_rows, sel;
	char *error;               /* why the last Enter was refused: shown inside the dialog */
	size_t error_field;        /* the field whose pattern it is about ((size_t)-1: none) */
	size_t top, shown_focus;   /* scrolling: first content row shown, the focus it shows */
	int view;                  /* content rows that fit, as last drawn (PgUp/PgDn) */
};

struct ui {
	const struct ui_options *opt;
	bool utf8, color, test_mode, quit;
	int rows, cols;
	const struct ui_view_ops *view;  /* the screen shown */
	/* each view's own state: made when the view first opens (NULL before),
	 * freed by its destroy */
	struct ui_home *home;
	struct ui_review *review;
	struct ui_help *help;
	struct ui_audit *audit;
	struct ui_output_screen *output_screen;
	struct ui_news *news;
	struct ui_run_screen *run_screen;
	/* the record, and the run open: the run, output and news views show it,
	 * the forms and dialogs act on it */
	struct session s;
	bool have_run;              /* s.eng valid */
	struct var_values vars;
	struct exec *exec;
	char *operator;             /* signed-in engineer */
	size_t sec, item;           /* selection: sec < sections, item < its items (or 0) */
	int pane;                   /* 0 sections, 1 items */
	struct ui_output **outputs; /* [section][item] */
	char *status;               /* message line */
	bool status_error;
	uint64_t status_serial;     /* counts ui_set_status calls */
	uint64_t held_serial;       /* status_serial when a check's result was last held: a message set
	                               after it is fresher than the "retrying" line and shows with it */
	struct ui_dialog *dialog;
	bool dirty;
	bool output_dirty;          /* new output only: redrawn at a bounded rate */
	int64_t gate_due_us;        /* when the next gate_waiting notice falls due (0: none); the loop wakes then */
	char *lost;                 /* check results never recorded (the database could not take them),
	                               one line each: printed on stderr once the screen is left (and
	                               sent to syslog after a hangup) */
};

/* ui_term.c */
bool ui_term_start(struct ui *ui);
void ui_term_stop(struct ui *ui);
void ui_term_suspend(struct ui *ui);
void ui_term_resume(struct ui *ui);
/* The fd to poll for keys (-1 in script mode). */
int ui_term_fd(const struct ui *ui);
/* Next key, UI_KEY_NONE when none is pending. */
int ui_term_key(struct ui *ui);
/* Script mode: runs script commands until the next key; returns false at the end. */
bool ui_script_next(struct ui *ui, int *key);
bool ui_script_active(void);
/* countersign-test only (COUNTERSIGN_TEST_REVIEW_WRITABLE=1): review opens
 * the database for writing, so that a test can show that the interface
 * itself refuses every key that would record. Always false in the
 * installed program. */
bool ui_test_review_writable(void);
int ui_script_status(void);
/* countersign-test only: COUNTERSIGN_TEST_HANGUP_MS replaces MS, how long
 * held results are tried after a hangup; COUNTERSIGN_TEST_SYSLOG_FILE, a
 * file that gets the lines meant for syslog instead. The installed program:
 * MS and NULL. */
int ui_test_hangup_ms(int ms);
const char *ui_test_syslog_file(void);
void ui_dump_screen(struct ui *ui, const char *name);
/* True when the screen shows TEXT (for :wait-for). */
bool ui_screen_contains(struct ui *ui, const char *text);

/* ui_draw.c: small drawing helpers */
void ui_put(int y, int x, int width, const char *utf8);       /* clipped, sanitised */
void ui_fill(int y, int x, int width);
/* Columns UTF8 takes on the screen (after the ASCII fallback without UTF-8). */
int ui_width(const char *utf8);
void ui_box(int y, int x, int h, int w, const char *title);
void ui_box_style(bool utf8);
const char *ui_mark(const struct ui *ui, enum engine_section_mark m);
const char *ui_verdict_mark(const struct ui *ui, enum engine_verdict v);
void ui_set_status(struct ui *ui, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ui_home.c: (re)reads the checklists and the runs the home screen lists. */
void ui_home_load(struct ui *ui);

/* ui_review.c: the review screen's list of runs, filtered (f) and verified
 * (v). ui_review_load (re)reads the runs the filters select. */
void ui_review_load(struct ui *ui);
/* Review: from a run back to the list of runs. */
void ui_review_back(struct ui *ui);

/* ui_audit.c: the audit view of one run, oldest first, one line per event,
 * drawn full screen; q, Esc or a go back to the view it was opened from. */
void ui_audit_open(struct ui *ui, const char *run_id);

/* ui_export.c: the export form (format and path) for run RUN_ID; writes
 * the completion report and says where, or why not, on the status line. */
void ui_export_open(struct ui *ui, const char *run_id);

/* ui_import.c: on a Markdown runbook of the home screen, offers to import
 * it: the summary and the importer's messages, then NAME.json saved beside
 * NAME.md (asked before replacing one) and offered to open. */
void ui_import_open(struct ui *ui, const char *md_path);

/* ui_import_file.c, shared with `countersign import`. ui_import_read reads
 * PATH ("-": standard input) whole into *TEXT (malloc'd, NUL-terminated;
 * the caller frees it) and *LEN: CS_OK; CS_INVALID for a folder or more
 * than IMPORT_MAX_BYTES (refused before reading); CS_ENV when it cannot be
 * read. ui_import_write writes TEXT to PATH whole or not at all: CS_OK;
 * CS_INVALID when PATH exists and REPLACE is false, or is a folder, or is
 * INPUT (the runbook; may be NULL); CS_ENV when it cannot be written. On
 * failure both set *ERR (malloc'd; the caller frees it) to say why. */
int ui_import_read(const char *path, char **text, size_t *len, char **err);
int ui_import_write(const char *path, const char *text, bool replace, const char *input, char **err);
/* NAME.json for NAME.md (or NAME.markdown, NAME): malloc'd, the caller frees. */
char *ui_import_json_path(const char *md_path);

/* ui_run.c */
bool ui_run_open(struct ui *ui, const char *run_id);
void ui_run_close(struct ui *ui);
void ui_run_draw(struct ui *ui);
/* Folds in what other processes recorded on the open run and what the
 * clock decided (the tick of the views that show the run). */
void ui_run_tick(struct ui *ui);
void ui_output_append(struct ui *ui, size_t sec, size_t item, const char *data, size_t len);
/* While check results are held (the database cannot be reached or is
 * busy): "not recorded: database unreachable, retrying: ..." with how many
 * and the next try, or a short form of it followed by the status message
 * when that was said after the last result was held (malloc'd, the caller
 * frees); NULL when none is held. */
char *ui_held_line(const struct ui *ui);

/* ui_start.c: sign-in, registering, variables, new run */
void ui_begin_signin(struct ui *ui, void (*then)(struct ui *ui));
/* When the operator's key is no longer unlocked (their PIN was changed in
 * another process, so a record in their name was refused), asks them once
 * to sign in again; a no-op otherwise. */
void ui_signin_again(struct ui *ui);
void ui_begin_new_run(struct ui *ui, const char *checklist_path);
void ui_begin_resume(struct ui *ui, const char *run_id);
/* Signs the operator in first when needed, then resumes RUN_ID. */
void ui_begin_resume_signed(struct ui *ui, const char *run_id);

/* ui_interactive.c: after an interactive item ended, asks the operator what
 * it showed (pass with a note, fail, or leave it pending) when it awaits an
 * attestation. */
void ui_interactive_outcome(struct ui *ui, size_t sec, size_t item);

/* ui_start.c: the registration form's fields (short name, full name, PIN
 * twice), and registering from them: the new engineer's name (malloc'd,
 * the caller frees) or NULL with the reason on the status line. */
void ui_register_dialog_fields(struct ui_dialog *d);
char *ui_register_fields(struct ui *ui, struct ui_dialog *d);

/* ui_forms.c: the run screen's forms. ui_read_only and ui_refused say why
 * (on the status line) and return true when an action may not go on;
 * ui_selected_item returns the selected item or NULL after saying to
 * select one. */
bool ui_read_only(struct ui *ui);
bool ui_refused(struct ui *ui, bool allowed, char *why);
const struct checklist_item *ui_selected_item(struct ui *ui);
void ui_attest_selected(struct ui *ui);      /* Space */
void ui_abort_run(struct ui *ui);            /* A */
void ui_add_engineer(struct ui *ui);         /* E */
void ui_give_variables(struct ui *ui);       /* V */
/* After a check was refused for a variable without a value in this
 * session, says so on the status line, with the key that gives it. */
void ui_hint_variables(struct ui *ui);

/* ui_signoff.c */
void ui_sign_section(struct ui *ui);         /* s */
void ui_override_section(struct ui *ui);     /* O: asks, or confirms a pending request */

/* ui_help.c: help for the screen it is opened on; notifications. */
void ui_help_open(struct ui *ui);
/* The variable missing from notify entry ENTRY's URL (malloc'd), or NULL
 * when it is on. */
char *ui_notify_missing(const struct ui *ui, size_t entry);
/* Puts on the status line which notify entries will not deliver, if any. */
void ui_notify_say_off(struct ui *ui);

/* ui_dialog.c, ui_dialog_draw.c */
struct ui_dialog *ui_dialog_new(const char *title);
void ui_dialog_info(struct ui_dialog *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds a field (as many as needed) and returns it; the pointer is valid
 * until the next field is added. The dialog owns it. */
struct ui_field *ui_dialog_field(struct ui_dialog *d, const char *label, enum field_kind kind, const char *initial);
/* Adds a row to the dialog's pick list (the dialog owns it). */
void ui_dialog_row(struct ui_dialog *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ui_dialog_open(struct ui *ui, struct ui_dialog *d);
void ui_dialog_close(struct ui *ui);
void ui_dialog_draw(struct ui *ui);
void ui_dialog_key(struct ui *ui, int key);
/* The field's text as malloc'd UTF-8; the caller frees it, with
 * ui_text_free when it may hold a PIN or a secret. */
char *ui_field_text(const struct ui_field *f);
/* True when the field's text matches its pattern (or it has none). */
bool ui_field_matches(const struct ui_field *f);
/* Empties the field, wiping what it held (a wrong PIN, say). */
void ui_field_clear(struct ui_field *f);
/* Wipes and frees TEXT (a PIN or secret from ui_field_text); NULL is a no-op. */
void ui_text_free(char *text);
void ui_message(struct ui *ui, const char *title, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
