/* The interface's one loop: poll() over the terminal, the running checks and
 * a half-second tick for the clock and for changes made by other processes. */
#include <assert.h>
#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "countersign/clock.h"
#include "countersign/util.h"
#include "ui.h"

#define UI_TICK_MS 500
#define UI_OUTPUT_MS 30
/* After a hangup (the terminal closed), how long held check results are
 * still tried without a screen before what is left goes to syslog. */
#define UI_HANGUP_HOLD_MS 60000

void ui_ask_quit(struct ui *ui);

/* The view table: every screen of the interface (struct ui_view_ops). */
static const struct ui_view_ops *const views[] = {
	&ui_home_view, &ui_review_view, &ui_run_view, &ui_output_view, &ui_news_view, &ui_help_view, &ui_audit_view,
};

/* Used by asserts only: unused (and not an error) when NDEBUG leaves them out. */
__attribute__((unused)) static bool known_view(const struct ui_view_ops *v)
{
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		if (views[i] == v)
			return v->draw && v->key;
	return false;
}

static volatile sig_atomic_t terminate;  /* the signal that ends the loop (SIGTERM, SIGHUP), 0: none */

static void on_terminate(int sig)
{
	terminate = sig;
}

static void say_status(void *data, const char *message)
{
	ui_set_status(data, true, "%s", message);
}

static int64_t mono_ms(void)
{
	return clock_mono_us() / 1000;
}

static void draw(struct ui *ui)
{
	erase();
	getmaxyx(stdscr, ui->rows, ui->cols);
	if (ui->rows < UI_MIN_LINES || ui->cols < UI_MIN_COLS) {
		char msg[128];
		snprintf(msg, sizeof(msg), "countersign needs at least %dx%d; this terminal is %dx%d.",
			UI_MIN_COLS, UI_MIN_LINES, ui->cols, ui->rows);
		ui_put(ui->rows / 2, 0, ui->cols, msg);
		ui_put(ui->rows / 2 + 1, 0, ui->cols, "Make it larger (q quits).");
	} else {
		assert(known_view(ui->view));
		ui->view->draw(ui);
		if (ui->dialog)
			ui_dialog_draw(ui);
	}
	wnoutrefresh(stdscr);
	doupdate();
	ui->dirty = false;
}

static void handle_key(struct ui *ui, int key)
{
	if (key == UI_KEY_RESIZE) {
		getmaxyx(stdscr, ui->rows, ui->cols);
		clearok(curscr, TRUE);
		ui->dirty = true;
		return;
	}
	if (ui->rows < UI_MIN_LINES || ui->cols < UI_MIN_COLS) {
		if (key == 'q' || key == UI_CTRL('c'))
			ui_ask_quit(ui);
		return;
	}
	if (ui->dialog) {
		if (key == UI_CTRL('c'))
			ui_dialog_close(ui);
		else
			ui_dialog_key(ui, key);
		return;
	}
	assert(known_view(ui->view));
	ui->view->key(ui, key);
}

static void loop(struct ui *ui)
{
	size_t cap = 16;
	struct pollfd *fds = xcalloc(cap, sizeof(*fds));
	int64_t next_tick = mono_ms() + UI_TICK_MS, last_draw = 0;
	ui->dirty = true;
	while (!ui->quit && !terminate) {
		/* Keys redraw at once; a stream of output at most every UI_OUTPUT_MS. */
		if (ui->dirty || (ui->output_dirty && mono_ms() - last_draw >= UI_OUTPUT_MS)) {
			draw(ui);
			ui->output_dirty = false;
			last_draw = mono_ms();
		}
		int script_key = UI_KEY_NONE;
		if (ui->test_mode && !ui_script_next(ui, &script_key))
			break;
		size_t n = 0;
		if (ui_term_fd(ui) >= 0)
			fds[n++] = (struct pollfd){.fd = ui_term_fd(ui), .events = POLLIN};
		if (ui->exec) {
			size_t need = exec_pollfds(ui->exec, fds + n, cap - n);
			if (need > cap - n) {
				cap = (n + need) * 2;
				fds = xreallocarray(fds, cap, sizeof(*fds));
				continue;
			}
			n += need;
		}
		int timeout = (int)(next_tick - mono_ms());
		if (timeout < 0)
			timeout = 0;
		if (ui->exec) {
			int t = exec_next_timeout_ms(ui->exec);
			if (t >= 0 && t < timeout)
				timeout = t;
		}
		/* a gate_waiting notice due before the next tick: wake for it */
		if (ui->gate_due_us) {
			int64_t due_ms = (ui->gate_due_us - clock_wall_us() + 999) / 1000;
			if (due_ms < timeout)
				timeout = due_ms > 0 ? (int)due_ms : 0;
		}
		if (ui->output_dirty && timeout > UI_OUTPUT_MS)
			timeout = UI_OUTPUT_MS;
		if (ui->test_mode)
			timeout = script_key != UI_KEY_NONE ? 0 : (timeout < 20 ? timeout : 20);
		if (poll(fds, n, timeout) < 0 && errno != EINTR)
			break;
		if (ui->exec)
			exec_dispatch(ui->exec, fds + (ui_term_fd(ui) >= 0), n - (ui_term_fd(ui) >= 0));
		if (script_key != UI_KEY_NONE)
			handle_key(ui, script_key);
		for (int key; (key = ui_term_key(ui)) != UI_KEY_NONE;)
			handle_key(ui, key);
		ui_signin_again(ui);
		if (mono_ms() >= next_tick || (ui->gate_due_us && clock_wall_us() >= ui->gate_due_us)) {
			next_tick = mono_ms() + UI_TICK_MS;
			if (ui->view->tick)
				ui->view->tick(ui);
			/* a view without the run's tick does not send notices: no spinning */
			if (ui->gate_due_us && clock_wall_us() >= ui->gate_due_us)
				ui->gate_due_us = 0;
			ui->dirty = true;  /* clocks and countdowns move */
		}
	}
	free(fds);
}

/* The terminal closed (SIGHUP) with check results held: nobody can be asked
 * or told, so they are tried on, without a screen, for UI_HANGUP_HOLD_MS
 * at most (SIGTERM ends that at once). Running checks go on meanwhile and
 * are cancelled when the wait ends, as they are at once after a hangup with
 * nothing held: their results would have nobody to show them to. */
static void hold_after_hangup(struct ui *ui)
{
	int64_t end = mono_ms() + ui_test_hangup_ms(UI_HANGUP_HOLD_MS);
	size_t cap = 16;
	struct pollfd *fds = xcalloc(cap, sizeof(*fds));
	while (exec_held(ui->exec) && terminate != SIGTERM && mono_ms() < end) {
		size_t need = exec_pollfds(ui->exec, fds, cap);
		if (need > cap) {
			cap = need * 2;
			fds = xreallocarray(fds, cap, sizeof(*fds));
			continue;
		}
		int64_t left = end - mono_ms();
		int t = exec_next_timeout_ms(ui->exec);
		int timeout = t >= 0 && t < left ? t : (int)(left > 0 ? left : 0);
		if (poll(fds, need, timeout) < 0 && errno != EINTR)
			break;
		exec_dispatch(ui->exec, fds, need);
	}
	free(fds);
}

/* After a hangup stderr is the closed terminal: what was lost goes to
 * syslog, one LOG_WARNING line per result (run, item, verdict, finish
 * time, evidence), where an administrator finds it. */
static void log_lost(const char *lost)
{
	const char *file = ui_test_syslog_file();
	FILE *f = file ? fopen(file, "a") : NULL;
	if (!f)
		openlog("countersign", LOG_PID, LOG_USER);
	for (const char *line = lost, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert(nl);
		if (f)
			fprintf(f, "check result NOT recorded (the terminal closed, the database could not take it): %.*s\n",
				(int)(nl - line), line);
		else
			syslog(LOG_WARNING, "check result NOT recorded (the terminal closed, the database could not take it): "
				"%.*s", (int)(nl - line), line);
	}
	if (f)
		fclose(f);
	else
		closelog();
}

/* Opens the database and checks what the command line names; *RUN_OPEN
 * says whether the run of open --run is open. Returns an exit code. */
static int prepare(struct ui *ui, bool *run_open)
{
	const struct ui_options *opt = ui->opt;
	ui->s.report.say = NULL; /* stderr until the screen is up */
	/* Review only reads: a connection that cannot write makes sure that no
	 * key, and no mistake behind one, ever records anything. */
	enum store_mode mode = opt->review && !ui_test_review_writable() ? STORE_READ_ONLY : STORE_CREATE;
	if (session_open_store_mode(&ui->s, opt->db_path, mode) != CS_OK)
		return CS_ENV;
	if (opt->checklist) {
		struct diag_list d;
		diag_list_init(&d, opt->checklist);
		struct checklist *cl = checklist_load_file(opt->checklist, &d);
		if (!cl)
			diag_list_print(&d, stderr);
		diag_list_clear(&d);
		checklist_destroy(cl);
		if (!cl) {
			fprintf(stderr, "countersign: open: %s does not load; fix the errors above\n", opt->checklist);
			return CS_INVALID;
		}
	}
	if (opt->run_id) {
		struct store_run_row r = {0};
		if (session_run(&ui->s, opt->run_id, &r) != CS_OK) {
			fprintf(stderr, "countersign: open: no run \"%s\"; 'countersign runs --all' lists them\n", opt->run_id);
			return CS_INVALID;
		}
		store_run_row_clear(&r);
		/* how the run stands, read through a connection that cannot write
		 * (resuming it recovers interrupted checks, on the screen) */
		struct session probe;
		memset(&probe, 0, sizeof(probe));
		probe.report = ui->s.report;
		*run_open = session_open_store_mode(&probe, opt->db_path, STORE_READ_ONLY) == CS_OK &&
			session_load_run(&probe, opt->run_id) == CS_OK && engine_status(probe.eng) == RUN_OPEN;
		session_close(&probe);
		/* a run that ended is read-only as in review: it is read through a
		 * connection that cannot write */
		if (!*run_open && mode != STORE_READ_ONLY && !ui_test_review_writable()) {
			session_close(&ui->s);
			if (session_open_store_mode(&ui->s, opt->db_path, STORE_READ_ONLY) != CS_OK)
				return CS_ENV;
		}
	}
	return CS_OK;
}

int ui_main(const struct ui_options *opt)
{
	struct ui ui;
	memset(&ui, 0, sizeof(ui));
	ui.opt = opt;
	ui.view = opt->review ? &ui_review_view : &ui_home_view;
	bool run_open = false;
	int rc = prepare(&ui, &run_open);
	if (rc != CS_OK) {
		session_close(&ui.s);
		return rc;
	}
	if (!ui_term_start(&ui)) {
		session_close(&ui.s);
		return CS_ENV;
	}
	ui.s.report.say = say_status;
	ui.s.report.data = &ui;
	struct sigaction sa = {.sa_handler = on_terminate}, old_term, old_hup;
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	if (opt->review)
		ui_review_load(&ui);  /* the runs alone, filtered */
	else
		ui_home_load(&ui);
	if (opt->checklist) {
		ui_begin_new_run(&ui, opt->checklist);
	} else if (opt->run_id) {
		if (run_open && !opt->review)
			ui_begin_resume_signed(&ui, opt->run_id);
		else
			ui_run_open(&ui, opt->run_id);
	}
	loop(&ui);
	bool hung_up = terminate == SIGHUP;
	if (hung_up && ui.exec && exec_held(ui.exec))
		hold_after_hangup(&ui);
	ui_run_close(&ui);
	ui_dialog_close(&ui);
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		if (views[i]->destroy)
			views[i]->destroy(&ui);
	ui_term_stop(&ui);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	free(ui.operator);
	free(ui.status);
	ui.s.report.say = NULL;
	session_close(&ui.s);
	rc = ui_script_status();
	if (ui.lost) {
		if (hung_up)
			log_lost(ui.lost);
		/* said where it stays once the screen is gone */
		fprintf(stderr, "countersign: these check results were NOT recorded (the database could not take "
			"them) and are lost:\n%s", ui.lost);
		free(ui.lost);
		if (rc == CS_OK)
			rc = CS_ENV;
	}
	return rc;
}
