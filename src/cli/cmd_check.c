/* countersign check RUN SECTION/ITEM: runs one check headless and records it. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli_session.h"
#include "cli/cli_text.h"
#include "cli/opts.h"
#include "countersign/clock.h"
#include "countersign/duration.h"
#include "countersign/exec.h"
#include "countersign/util.h"
#include "countersign/vars.h"

struct check_state {
	bool done, ended_with_newline, network;
	char *verdict, *message;
	int rc;
	struct cli_stream stream; /* the output, sanitised on a terminal */
};

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void on_output(size_t sec, size_t item, const char *data, size_t len, void *user)
{
	(void)sec;
	(void)item;
	struct check_state *cs = user;
	cli_stream_write(&cs->stream, data, len);
	if (len && !cs->network)
		cs->ended_with_newline = data[len - 1] == '\n';
}

static void on_done(size_t sec, size_t item, const char *verdict, const char *message, int rc, void *user)
{
	(void)sec;
	(void)item;
	struct check_state *cs = user;
	cs->done = true;
	cs->verdict = xstrdup(verdict);
	cs->message = xstrdup(message ? message : "");
	cs->rc = rc;
}

static bool confirm(const struct checklist_item *it, const char *script, bool yes)
{
	if (yes)
		return true;
	if (!isatty(STDIN_FILENO)) {
		cli_error("check", "%s asks for confirmation before it runs; add --yes to confirm", it->id);
		return false;
	}
	fprintf(stderr, "This check runs:\n%s\nRun it? [y/N] ", cli_safe_lines(script));
	char buf[16] = "";
	if (!fgets(buf, sizeof(buf), stdin))
		return false;
	return buf[0] == 'y' || buf[0] == 'Y';
}

/* Re-running an item of a section whose gate passed says first what will
 * happen, and asks (or, without a terminal, needs --yes). */
static bool confirm_recheck(const struct session *s, size_t sec, size_t item, bool yes)
{
	char *warning = session_recheck_warning(s, sec, item);
	bool go = !warning || yes;
	if (!go && !isatty(STDIN_FILENO)) {
		cli_error("check", "%s Add --yes to re-check it.", warning);
	} else if (!go) {
		fprintf(stderr, "%s\nRe-check it? [y/N] ", cli_safe(warning));
		char buf[16] = "";
		go = fgets(buf, sizeof(buf), stdin) && (buf[0] == 'y' || buf[0] == 'Y');
	}
	free(warning);
	return go;
}

static int report_wait(struct session *s, size_t sec, size_t item, bool just_started)
{
	const struct engine_item_state *is = engine_item(s->eng, sec, item);
	char when[64];
	clock_format_utc(is->wait_until_us, when, sizeof(when));
	if (is->verdict == VERDICT_PASS) {
		printf("pass: the wait ended at %s\n", when);
		return CS_OK;
	}
	char *text = session_wait_text(s, sec, item, true);
	if (just_started) {
		char dur[32];
		duration_format(s->cl->sections[sec].items[item].duration_ms, dur, sizeof(dur));
		printf("running: wait of %s started; it %s\n", dur, text ? text : "");
	} else {
		printf("running: the wait %s\n", text ? text : "");
	}
	free(text);
	return CS_REFUSED;
}

/* Runs the poll loop until the check is done; Ctrl-C or SIGTERM cancel it. */
static void run_loop(struct exec *x, size_t sec, size_t item, struct check_state *cs)
{
	/* A closed terminal (SIGHUP) or a reader that went away (SIGPIPE, as in
	 * `check ... | head`) stops the check like Ctrl-C: its processes are
	 * stopped and the outcome recorded, never left running unrecorded. */
	struct sigaction sa = {.sa_handler = on_interrupt}, old_int, old_term, old_hup, old_pipe;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	sigaction(SIGPIPE, &sa, &old_pipe);
	bool cancelled = false;
	size_t cap = 8;
	struct pollfd *fds = xcalloc(cap, sizeof(*fds));
	while (!cs->done) {
		size_t n = exec_pollfds(x, fds, cap);
		if (n > cap) {
			cap = n * 2;
			fds = xreallocarray(fds, cap, sizeof(*fds));
			continue;
		}
		if (poll(fds, n, interrupted && !cancelled ? 0 : exec_next_timeout_ms(x)) < 0 && errno != EINTR)
			break;
		if (interrupted && !cancelled) {
			exec_cancel(x, sec, item);
			cancelled = true;
		}
		exec_dispatch(x, fds, n);
	}
	free(fds);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
}

/* Only secrets are given at check time: everything else is fixed at start.
 * A fixed variable given with the value the run started with (one
 * --var-file for start and check) is dropped from O; another is refused. */
static bool only_secrets(const struct checklist *cl, const char *recorded_json, struct opts *o)
{
	cJSON *recorded = cJSON_Parse(recorded_json ? recorded_json : "{}");
	bool ok = true;
	for (int k = o->n_vars - 1; k >= 0 && ok; k--) {
		const char *eq = strchr(o->vars[k], '=');
		char *name = eq ? xstrndup(o->vars[k], (size_t)(eq - o->vars[k])) : xstrdup(o->vars[k]);
		const struct checklist_variable *var = checklist_variable(cl, name);
		const cJSON *was = cJSON_GetObjectItemCaseSensitive(recorded, name);
		if (var && !var->secret) {
			if (eq && cJSON_IsString(was) && strcmp(was->valuestring, eq + 1) == 0) {
				opts_drop_var(o, k);
			} else {
				cli_error("check", "%s is fixed for the run when it starts; only secret variables are given "
					"to check", name);
				ok = false;
			}
		}
		free(name);
	}
	cJSON_Delete(recorded);
	return ok;
}

/* One answer from the terminal, without its newline (malloc'd), or NULL at
 * end of input. */
static char *ask(const char *prompt)
{
	fputs(prompt, stderr);
	fflush(stderr);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		fputc('\n', stderr);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* Asks until the answer is not empty (or EMPTY_OK); NULL at end of input. */
static char *ask_text(const char *prompt, bool empty_ok)
{
	char *answer;
	while ((answer = ask(prompt)) && !answer[0] && !empty_ok)
		free(answer);
	return answer;
}

/* After an interactive item (ended with Ctrl-C, as `kubectl logs -f` is),
 * the engineer who watched it says on the terminal what it showed: pass
 * with a note, fail, or pending (attested later; end of input answers
 * that). Returns the exit code: 0 for a recorded pass, 1 otherwise. */
static int ask_outcome(struct session *s, size_t sec, size_t item, const char *actor)
{
	const struct checklist_item *it = &s->cl->sections[sec].items[item];
	char *target = xasprintf("%s/%s", s->cl->sections[sec].id, it->id);
	char *answer = NULL, *note = NULL, *value = NULL;
	int rc = CS_REFUSED;
	bool pass = false, fail = false;
	while (!pass && !fail && (answer = ask("What did it show? pass, fail or pending [pending]: "))) {
		pass = strcmp(answer, "pass") == 0 || strcmp(answer, "p") == 0;
		fail = strcmp(answer, "fail") == 0 || strcmp(answer, "f") == 0;
		bool pending = !answer[0] || strcmp(answer, "pending") == 0;
		free(answer);
		if (pending)
			break;
	}
	if (pass || fail)
		note = ask_text(pass ? "Note (what you saw): " : "Note (optional): ", fail);
	if (note && it->attest_value)
		value = ask_text("Value read: ", false);
	if (!note || (it->attest_value && !value)) {
		printf("pending: %s waits for an attestation (countersign attest)\n", cli_safe(target));
	} else {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "verdict", pass ? "pass" : "fail");
		if (note[0])
			cJSON_AddStringToObject(p, "note", note);
		if (value)
			cJSON_AddStringToObject(p, "value", value);
		struct session_guard guard = {.action = ACTION_ATTEST, .sec = sec, .item = item};
		rc = session_record(s, &guard, actor, EV_ATTESTED, target, p);
		if (rc == CS_OK)
			printf("%s: %s attested by %s\n", pass ? "pass" : "fail", cli_safe(target), cli_safe(actor));
		if (rc == CS_OK && fail)
			rc = CS_REFUSED;
	}
	free(note);
	free(value);
	free(target);
	return rc;
}

static int run_item(struct session *s, struct var_values *v, size_t sec, size_t item,
	const char *actor, bool yes)
{
	const struct checklist_item *it = &s->cl->sections[sec].items[item];
	struct check_state cs = {.ended_with_newline = true,
		.network = it->kind == ITEM_HTTP || it->kind == ITEM_PROMETHEUS};
	/* a network check's progress lines go to stderr; a command's output is the result */
	cli_stream_init(&cs.stream, cs.network ? stderr : stdout);
	struct exec *x = exec_create(s, v, on_output, on_done, &cs);
	int rc;
	if (!confirm_recheck(s, sec, item, yes)) {
		exec_destroy(x);
		return CS_REFUSED;
	}
	if (it->confirm) {
		char *shown = exec_preview(x, sec, item);
		bool previewed = shown != NULL, go = previewed && confirm(it, shown, yes);
		free(shown);
		if (!go) {
			exec_destroy(x);
			return previewed ? CS_REFUSED : CS_INVALID;
		}
	}
	if (it->interactive) {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			cli_error("check", "%s/%s is interactive and runs on a terminal; run it from one",
				s->cl->sections[sec].id, it->id);
			exec_destroy(x);
			return CS_REFUSED;
		}
		rc = exec_run_interactive(x, sec, item, actor);
	} else {
		rc = exec_start(x, sec, item, actor);
		if (rc == CS_OK)
			run_loop(x, sec, item, &cs);
	}
	exec_flush(x, 15000);
	exec_destroy(x);
	cli_stream_end(&cs.stream);
	if (rc == CS_OK && cs.done) {
		if (!cs.ended_with_newline)
			putchar('\n');
		/* A verdict that could not be recorded is not a result: say so
		 * instead of printing it as one. */
		if (cs.rc != CS_OK && s->unknown)
			cli_error("check", "%s/%s ended %s; whether that was recorded is unknown: see 'countersign status %s'",
				s->cl->sections[sec].id, it->id, cs.verdict, s->run.id);
		else if (cs.rc != CS_OK)
			cli_error("check", "%s/%s ended %s, but it was not recorded; it does not count",
				s->cl->sections[sec].id, it->id, cs.verdict);
		else
			printf("%s: %s/%s: %s\n", it->interactive ? "ended" : cs.verdict, s->cl->sections[sec].id, it->id,
				cli_safe(cs.message));
		rc = cs.rc != CS_OK ? cs.rc
			: it->interactive ? ask_outcome(s, sec, item, actor)
			: strcmp(cs.verdict, "pass") == 0 ? CS_OK : CS_REFUSED;
	}
	free(cs.verdict);
	free(cs.message);
	return rc;
}

/* check --cancel: stops a started wait (it is recorded as cancelled and can
 * be started afresh). A running command is cancelled where it runs. */
static int cancel_wait(const struct cli_global *g, const struct opts *o, const char *usage)
{
	if (o->n_pos != 2 || o->n_engineers != 1 || o->n_vars || o->yes || o->recover || o->reason) {
		cli_error("check", "--cancel needs RUN, SECTION/ITEM and one --engineer (and nothing else); usage: %s",
			usage);
		return CS_INVALID;
	}
	struct session s;
	size_t sec = 0, item = 0;
	char *why = NULL;
	int rc = cli_session_open(&s, g, "check");
	if (rc == CS_OK)
		rc = session_load_run(&s, o->pos[0]);
	if (rc == CS_OK)
		rc = session_find(&s, o->pos[1], &sec, &item);
	if (rc == CS_OK && !engine_can_cancel_wait(s.eng, sec, item, &why))
		rc = session_refuse(&s, why);
	if (rc == CS_OK)
		rc = cli_authenticate(&s, "check", o->engineers[0], o->pin_stdin);
	if (rc == CS_OK)
		rc = session_cancel_wait(&s, sec, item, o->engineers[0]);
	if (rc == CS_OK)
		printf("cancelled: %s: wait cancelled by %s\n", cli_safe(o->pos[1]), cli_safe(o->engineers[0]));
	session_close(&s);
	return rc;
}

/* check --recover: the way out of a check stuck "running" whose process
 * cannot be seen from here (another host, a renamed host). */
static int recover_check(const struct cli_global *g, const struct opts *o, const char *usage)
{
	if (o->n_pos != 2 || o->n_engineers != 1 || !o->reason || !*o->reason || o->n_vars || o->yes) {
		cli_error("check", "--recover needs RUN, SECTION/ITEM, one --engineer and a --reason (and nothing "
			"else); usage: %s", usage);
		return CS_INVALID;
	}
	struct session s;
	size_t sec = 0, item = 0;
	int rc = cli_session_open(&s, g, "check");
	if (rc == CS_OK)
		rc = session_load_run(&s, o->pos[0]);
	if (rc == CS_OK)
		rc = session_find(&s, o->pos[1], &sec, &item);
	if (rc == CS_OK && session_check_liveness(&s, sec, item, NULL) == SESSION_NOT_RUNNING)
		rc = session_refuse(&s, xasprintf("%s is not running; nothing to recover", o->pos[1]));
	if (rc == CS_OK)
		rc = cli_authenticate(&s, "check", o->engineers[0], o->pin_stdin);
	if (rc == CS_OK)
		rc = session_recover_check(&s, sec, item, o->engineers[0], o->reason);
	if (rc == CS_OK)
		printf("error: %s: recorded as interrupted by %s\n", cli_safe(o->pos[1]), cli_safe(o->engineers[0]));
	session_close(&s);
	return rc;
}

int cmd_check(const struct cli_global *g, int argc, char **argv)
{
	const char *usage = "countersign check RUN SECTION/ITEM --engineer NAME [--var-file FILE]... "
		"[--var NAME=VALUE]... [--pin-stdin] [--yes]\n       countersign check RUN SECTION/ITEM --recover --engineer NAME --reason TEXT "
		"[--pin-stdin]\n       countersign check RUN SECTION/ITEM --cancel --engineer NAME [--pin-stdin]";
	struct opts o;
	if (!opts_parse("check", usage, argc, argv, "engineer var+ var-file+ pin-stdin yes recover reason cancel", 2, &o))
		return CS_INVALID;
	struct session s;
	struct var_values v = {0};
	size_t sec = 0, item = 0;
	int rc = CS_INVALID;
	cli_session_init(&s, "check");
	if (o.recover) {
		rc = recover_check(g, &o, usage);
		goto out;
	}
	if (o.cancel) {
		rc = cancel_wait(g, &o, usage);
		goto out;
	}
	if (o.reason) {
		cli_error("check", "--reason goes with --recover; usage: %s", usage);
		goto out;
	}
	if (o.n_pos != 2 || o.n_engineers != 1) {
		cli_error("check", "need RUN, SECTION/ITEM and one --engineer; usage: %s", usage);
		goto out;
	}
	rc = cli_session_open(&s, g, "check");
	if (rc == CS_OK)
		rc = session_load_run(&s, o.pos[0]);
	if (rc == CS_OK)
		rc = session_find(&s, o.pos[1], &sec, &item);
	if (rc != CS_OK)
		goto out;
	const struct checklist_item *it = &s.cl->sections[sec].items[item];
	char *why = NULL;
	bool wait_started = it->kind == ITEM_WAIT && engine_item(s.eng, sec, item)->wait_until_us;
	if (!wait_started && !engine_can_check(s.eng, sec, item, &why)) {
		rc = session_refuse(&s, why);
		goto out;
	}
	if (!only_secrets(s.cl, engine_variables_json(s.eng), &o) || !vars_assign(&v, s.cl, o.vars, o.n_vars, false, &s.report)) {
		rc = CS_INVALID;
		goto out;
	}
	vars_from_record(&v, engine_variables_json(s.eng));
	rc = cli_authenticate(&s, "check", o.engineers[0], o.pin_stdin);
	if (rc != CS_OK)
		goto out;
	if (wait_started) {
		rc = report_wait(&s, sec, item, false);
	} else if (it->kind == ITEM_WAIT) {
		struct exec *x = exec_create(&s, &v, NULL, NULL, NULL);
		rc = exec_start(x, sec, item, o.engineers[0]);
		exec_destroy(x);
		if (rc == CS_OK)
			rc = report_wait(&s, sec, item, true);
	} else {
		rc = run_item(&s, &v, sec, item, o.engineers[0], o.yes);
	}
out:
	vars_clear(&v);
	session_close(&s);
	opts_clear(&o);
	return rc;
}
