/* The terminal, or in test mode a screen of fixed size fed by a key script
 * (COUNTERSIGN_UI_SCRIPT) whose :dump commands write the screen to files
 * (COUNTERSIGN_UI_DUMP_DIR), the way tig's test suite drives tig. */
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "countersign/clock.h"
#include "countersign/utf8.h"
#include "countersign/util.h"
#include "ui.h"

static SCREEN *screen;
static FILE *null_out, *null_in;

/* --- script mode --- */
static struct strvec script;     /* its lines */
static size_t script_pos;
static int pending[256];
static size_t pending_n, pending_pos;
static char *waiting_for;        /* :wait-for TEXT */
static bool script_utf8; /* the locale is UTF-8 */
static bool waiting_idle;
static int64_t wait_deadline_us;
static int script_failed;        /* CS_INVALID: a bad script; CS_REFUSED: a wait timed out */

bool ui_script_active(void)
{
#ifdef COUNTERSIGN_TEST_HOOKS
	return getenv("COUNTERSIGN_UI_SCRIPT") != NULL;
#else
	return false; /* the installed program always drives the real terminal */
#endif
}

bool ui_test_review_writable(void)
{
#ifdef COUNTERSIGN_TEST_HOOKS
	const char *v = getenv("COUNTERSIGN_TEST_REVIEW_WRITABLE");
	return v && strcmp(v, "1") == 0;
#else
	return false; /* review always opens the database read-only */
#endif
}

int ui_test_hangup_ms(int ms)
{
#ifdef COUNTERSIGN_TEST_HOOKS
	const char *v = getenv("COUNTERSIGN_TEST_HANGUP_MS");
	if (v && *v)
		return atoi(v);
#endif
	return ms;
}

const char *ui_test_syslog_file(void)
{
#ifdef COUNTERSIGN_TEST_HOOKS
	return getenv("COUNTERSIGN_TEST_SYSLOG_FILE");
#else
	return NULL; /* the installed program writes to syslog only */
#endif
}

int ui_script_status(void)
{
	return script_failed;
}

static void load_script(void)
{
#ifdef COUNTERSIGN_TEST_HOOKS
	const char *path = getenv("COUNTERSIGN_UI_SCRIPT");
#else
	const char *path = NULL;
#endif
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f) {
		fprintf(stderr, "countersign: cannot read the key script %s\n", path ? path : "(none)");
		script_failed = CS_INVALID;
		return;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		strvec_push(&script, line);
	}
	free(line);
	fclose(f);
}

static const struct {
	const char *name;
	int key;
} named_keys[] = {
	{"Enter", UI_KEY_ENTER}, {"Tab", UI_KEY_TAB}, {"S-Tab", UI_KEY_BTAB}, {"Up", UI_KEY_UP},
	{"Down", UI_KEY_DOWN}, {"Left", UI_KEY_LEFT}, {"Right", UI_KEY_RIGHT}, {"Esc", UI_KEY_ESC},
	{"Space", ' '}, {"BS", UI_KEY_BACKSPACE}, {"PgUp", UI_KEY_PGUP}, {"PgDn", UI_KEY_PGDN},
	{"Home", UI_KEY_HOME}, {"End", UI_KEY_END}, {"Del", UI_KEY_DELETE}, {"lt", '<'},
};

/* Splits a script line into keys: characters stand for themselves, <Name>
 * for special keys, <C-x> for control keys; white space is ignored. */
static void tokenize(const char *line)
{
	pending_n = pending_pos = 0;
	for (const char *p = line; *p && pending_n < sizeof(pending) / sizeof(pending[0]);) {
		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (*p == '<' && strchr(p, '>')) {
			const char *end = strchr(p, '>');
			size_t len = (size_t)(end - p - 1);
			int key = UI_KEY_NONE;
			if (len == 3 && p[1] == 'C' && p[2] == '-')
				key = UI_CTRL(p[3]);
			for (size_t i = 0; key == UI_KEY_NONE && i < sizeof(named_keys) / sizeof(named_keys[0]); i++)
				if (strlen(named_keys[i].name) == len && strncmp(named_keys[i].name, p + 1, len) == 0)
					key = named_keys[i].key;
			if (key != UI_KEY_NONE) {
				pending[pending_n++] = key;
				p = end + 1;
				continue;
			}
		}
		/* a character as a UTF-8 terminal sends it; bytes as others do */
		uint32_t cp;
		int used = utf8_decode((const unsigned char *)p, strlen(p), &cp);
		if (used <= 0 || !script_utf8) {
			pending[pending_n++] = (unsigned char)*p++;
			continue;
		}
		pending[pending_n++] = (int)cp;
		p += used;
	}
}

/* Runs one command line; returns false when the loop must come back later. */
static void run_command(struct ui *ui, const char *cmd)
{
	if (strncmp(cmd, ":dump ", 6) == 0) {
		ui_dump_screen(ui, cmd + 6);
	} else if (strncmp(cmd, ":wait-for ", 10) == 0) {
		waiting_for = xstrdup(cmd + 10);
		wait_deadline_us = clock_mono_us() + 10 * 1000000;
	} else if (strcmp(cmd, ":wait-idle") == 0) {
		waiting_idle = true;
		wait_deadline_us = clock_mono_us() + 30 * 1000000;
	} else if (strncmp(cmd, ":resize ", 8) == 0) {
		int c = 0, r = 0;
		if (sscanf(cmd + 8, "%dx%d", &c, &r) == 2 && c > 0 && r > 0) {
			resizeterm(r, c);
			pending[0] = UI_KEY_RESIZE;
			pending_n = 1;
			pending_pos = 0;
		}
	} else {
		fprintf(stderr, "countersign: key script: unknown command %s\n", cmd);
		script_failed = CS_INVALID;
	}
}

bool ui_script_next(struct ui *ui, int *key)
{
	*key = UI_KEY_NONE;
	if (waiting_for || waiting_idle) {
		bool met = waiting_for ? ui_screen_contains(ui, waiting_for)
			: ui->exec == NULL || exec_active(ui->exec) == 0;
		if (!met && clock_mono_us() < wait_deadline_us)
			return true;
		if (!met) {
			fprintf(stderr, "countersign: key script: timed out waiting for %s\n",
				waiting_for ? waiting_for : "idle");
			ui_dump_screen(ui, "timeout");
			script_failed = CS_REFUSED;
			return false;
		}
		free(waiting_for);
		waiting_for = NULL;
		waiting_idle = false;
	}
	while (pending_pos >= pending_n) {
		if (script_pos >= script.n || script_failed)
			return false;
		const char *line = script.v[script_pos++];
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (line[0] == ':') {
			run_command(ui, line);
			if (waiting_for || waiting_idle)
				return true;
			continue;
		}
		tokenize(line);
	}
	*key = pending[pending_pos++];
	return true;
}

/* --- terminal --- */
static void on_crash(int sig)
{
	endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

bool ui_term_start(struct ui *ui)
{
	const char *codeset = nl_langinfo(CODESET);
	ui->utf8 = codeset && strcmp(codeset, "UTF-8") == 0;
	ui->test_mode = ui_script_active();
	ui_box_style(ui->utf8);
	script_utf8 = ui->utf8;
	if (ui->test_mode) {
		load_script();
		null_out = fopen("/dev/null", "w");
		null_in = fopen("/dev/null", "r");
		const char *term = getenv("TERM");
		screen = newterm(term && *term ? term : "xterm-256color", null_out, null_in);
		if (!screen)
			screen = newterm("vt100", null_out, null_in);
	} else {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			fprintf(stderr, "countersign: the interface needs a terminal; for scripts use the "
				"headless commands (countersign --help)\n");
			return false;
		}
		screen = newterm(NULL, stdout, stdin);
	}
	if (!screen) {
		fprintf(stderr, "countersign: cannot start the terminal (TERM=%s)\n", getenv("TERM") ? getenv("TERM") : "");
		return false;
	}
	set_term(screen);
	if (ui->test_mode) {
		int c = 80, r = 24;
#ifdef COUNTERSIGN_TEST_HOOKS
		const char *size = getenv("COUNTERSIGN_UI_SIZE");
#else
		const char *size = NULL;
#endif
		if (size)
			sscanf(size, "%dx%d", &c, &r);
		resizeterm(r, c);
	}
	signal(SIGSEGV, on_crash);
	signal(SIGABRT, on_crash);
	signal(SIGBUS, on_crash);
	signal(SIGFPE, on_crash);
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	ui->color = has_colors() && !getenv("NO_COLOR");
	if (ui->color) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_GREEN, -1);   /* pass */
		init_pair(2, COLOR_RED, -1);     /* fail */
		init_pair(3, COLOR_YELLOW, -1);  /* running, FORCED */
		init_pair(4, COLOR_CYAN, -1);    /* headings */
		init_pair(5, COLOR_BLACK, COLOR_CYAN); /* bars */
	}
	getmaxyx(stdscr, ui->rows, ui->cols);
	return true;
}

void ui_term_stop(struct ui *ui)
{
	(void)ui;
	if (!screen)
		return;
	endwin();
	delscreen(screen);
	screen = NULL;
	if (null_out)
		fclose(null_out);
	if (null_in)
		fclose(null_in);
	null_out = null_in = NULL;
	strvec_clear(&script);
	script_pos = 0;
	free(waiting_for);
	waiting_for = NULL;
}

void ui_term_suspend(struct ui *ui)
{
	if (!ui->test_mode) {
		def_prog_mode();
		endwin();
	}
}

void ui_term_resume(struct ui *ui)
{
	if (!ui->test_mode) {
		reset_prog_mode();
		clearok(curscr, TRUE);
		refresh();
	}
}

int ui_term_fd(const struct ui *ui)
{
	return ui->test_mode ? -1 : STDIN_FILENO;
}

static int translate(int rc, wint_t wc)
{
	if (rc == OK) {
		if (wc == '\r' || wc == '\n')
			return UI_KEY_ENTER;
		if (wc == '\t')
			return UI_KEY_TAB;
		if (wc == 27)
			return UI_KEY_ESC;
		if (wc == 127 || wc == 8)
			return UI_KEY_BACKSPACE;
		return (int)wc;
	}
	switch (wc) {
	case KEY_UP: return UI_KEY_UP;
	case KEY_DOWN: return UI_KEY_DOWN;
	case KEY_LEFT: return UI_KEY_LEFT;
	case KEY_RIGHT: return UI_KEY_RIGHT;
	case KEY_ENTER: return UI_KEY_ENTER;
	case KEY_BTAB: return UI_KEY_BTAB;
	case KEY_BACKSPACE: return UI_KEY_BACKSPACE;
	case KEY_RESIZE: return UI_KEY_RESIZE;
	case KEY_PPAGE: return UI_KEY_PGUP;
	case KEY_NPAGE: return UI_KEY_PGDN;
	case KEY_HOME: return UI_KEY_HOME;
	case KEY_END: return UI_KEY_END;
	case KEY_DC: return UI_KEY_DELETE;
	default: return UI_KEY_NONE;
	}
}

int ui_term_key(struct ui *ui)
{
	if (ui->test_mode)
		return UI_KEY_NONE;
	wint_t wc;
	int rc = wget_wch(stdscr, &wc);
	if (rc == ERR)
		return UI_KEY_NONE;
	int key = translate(rc, wc);
	if (key == UI_KEY_RESIZE)
		getmaxyx(stdscr, ui->rows, ui->cols);
	return key;
}

/* Whether the cell at Y, X holds the character WC. */
static bool same_cell(int y, int x, wchar_t wc)
{
	cchar_t cc;
	wchar_t wch[CCHARW_MAX + 1] = {0};
	attr_t attrs;
	short pair;
	return mvin_wch(y, x, &cc) != ERR && getcchar(&cc, wch, &attrs, &pair, NULL) != ERR && wch[0] == wc;
}

static char *screen_line(int y, int cols)
{
	struct strbuf sb = {0};
	for (int x = 0; x < cols; x++) {
		cchar_t cc;
		wchar_t wch[CCHARW_MAX + 1] = {0};
		attr_t attrs;
		short pair;
		if (mvin_wch(y, x, &cc) == ERR || getcchar(&cc, wch, &attrs, &pair, NULL) == ERR)
			continue;
		for (int i = 0; wch[i]; i++) {
			char mb[MB_LEN_MAX];
			mbstate_t st;
			memset(&st, 0, sizeof(st));
			size_t n = wcrtomb(mb, wch[i], &st);
			if (n != (size_t)-1)
				strbuf_add(&sb, mb, n);
		}
		/* a wide character fills two cells, which both hold it: write it
		 * once (a half that another window covered stands alone) */
		if (wch[0] && utf8_cp_width((uint32_t)wch[0]) == 2 && x + 1 < cols && same_cell(y, x + 1, wch[0]))
			x++;
	}
	while (sb.len && sb.data[sb.len - 1] == ' ')
		sb.data[--sb.len] = '\0';
	return strbuf_detach(&sb);
}

void ui_dump_screen(struct ui *ui, const char *name)
{
#ifdef COUNTERSIGN_TEST_HOOKS
	const char *dir = getenv("COUNTERSIGN_UI_DUMP_DIR");
#else
	const char *dir = NULL;
#endif
	char *path = xasprintf("%s/%s", dir && *dir ? dir : ".", name);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "countersign: cannot write the screen dump %s: %s\n", path, strerror(errno));
		script_failed = CS_INVALID;
		free(path);
		return;
	}
	for (int y = 0; y < ui->rows; y++) {
		char *line = screen_line(y, ui->cols);
		fprintf(f, "%s\n", line);
		free(line);
	}
	fclose(f);
	free(path);
}

bool ui_screen_contains(struct ui *ui, const char *text)
{
	bool found = false;
	for (int y = 0; y < ui->rows && !found; y++) {
		char *line = screen_line(y, ui->cols);
		found = strstr(line, text) != NULL;
		free(line);
	}
	return found;
}
