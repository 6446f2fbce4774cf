/* countersign watch RUN [--once]: sends the gate_waiting notices of a run
 * as they fall due (a gate whose items are done, still unsigned after its
 * signoff_within) and prints one line per notice. Without --once it keeps
 * watching, folding what other processes record, until the run ends or it
 * is told to stop (SIGINT, SIGTERM); with --once it sends what is due now.
 * Of several processes watching one run, exactly one records (and sends)
 * each notice. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_session.h"
#include "cli/cli_text.h"
#include "countersign/clock.h"
#include "countersign/exec.h"
#include "countersign/util.h"
#include "countersign/vars.h"

/* How often other processes' changes are looked for (PRAGMA data_version):
 * a gate signed elsewhere stops the notices, a new completion starts them. */
#define WATCH_POLL_MS 500
#define WATCH_USAGE "watch RUN [--once]"

static volatile sig_atomic_t stop_watching;

static void on_stop(int sig)
{
	(void)sig;
	stop_watching = 1;
}

struct watch {
	struct session s;
	session_notify_fn deliver;  /* the notifier's own (webhooks), or NULL */
	void *deliver_data;
};

/* Every notification this process sends passes here: gate_waiting ones are
 * printed, then all go on to the webhooks. */
static void on_notify(void *data, enum checklist_notify_event ev, const char *text, const char *details)
{
	struct watch *w = data;
	if (ev == NOTIFY_GATE_WAITING) {
		printf("%s\n", cli_safe(text));
		fflush(stdout);
	}
	if (w->deliver)
		w->deliver(w->deliver_data, ev, text, details);
}

static bool parse(int argc, char **argv, const char **run, bool *once)
{
	*run = NULL;
	*once = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0 && !*once) {
			*once = true;
		} else if (argv[i][0] == '-' || *run) {
			cli_error("watch", "%s \"%s\"; usage: countersign %s", argv[i][0] == '-' ? "unknown or repeated option"
				: "one run only, not", argv[i], WATCH_USAGE);
			return false;
		} else {
			*run = argv[i];
		}
	}
	if (!*run)
		cli_error("watch", "missing arguments; usage: countersign %s", WATCH_USAGE);
	return *run != NULL;
}

/* How long to sleep: until NEXT_US (0: none), but never longer than the
 * poll for other processes' changes nor than the notifier's own timers. */
static int sleep_ms(struct exec *x, int64_t next_us)
{
	int64_t ms = WATCH_POLL_MS;
	if (next_us) {
		int64_t until = (next_us - clock_wall_us() + 999) / 1000;
		ms = until < 0 ? 0 : until < ms ? until : ms;
	}
	int t = x ? exec_next_timeout_ms(x) : -1;
	return t >= 0 && t < ms ? t : (int)ms;
}

/* Polls the notifier's deliveries and sleeps; false when it failed. */
static bool wait_a_while(struct exec *x, int timeout_ms)
{
	size_t cap = 16, n = 0;
	struct pollfd *fds = xcalloc(cap, sizeof(*fds));
	while (x && (n = exec_pollfds(x, fds, cap)) > cap) {
		cap = n * 2;
		fds = xreallocarray(fds, cap, sizeof(*fds));
	}
	bool ok = poll(fds, n, timeout_ms) >= 0 || errno == EINTR;
	if (ok && x)
		exec_dispatch(x, fds, n);
	free(fds);
	return ok;
}

static int watch_loop(struct watch *w, struct exec *x, bool once)
{
	for (;;) {
		int64_t next = 0;
		if (session_gate_waiting_due(&w->s, clock_wall_us(), &next) < 0)
			return CS_ENV;
		if (once || stop_watching || engine_status(w->s.eng) != RUN_OPEN)
			return CS_OK;
		if (!wait_a_while(x, sleep_ms(x, next))) {
			cli_error("watch", "cannot wait: %s", strerror(errno));
			return CS_ENV;
		}
		if (stop_watching)
			return CS_OK;
		session_poll(&w->s);
	}
}

int cmd_watch(const struct cli_global *g, int argc, char **argv)
{
	const char *run;
	bool once;
	if (!parse(argc, argv, &run, &once))
		return CS_INVALID;
	struct watch w;
	memset(&w, 0, sizeof(w));
	int rc = cli_session_open(&w.s, g, "watch");
	if (rc == CS_OK)
		rc = session_load_run(&w.s, run);
	if (rc != CS_OK) {
		session_close(&w.s);
		return rc;
	}
	struct var_values vars = {0};
	struct exec *x = cli_notifier_begin(&w.s, &vars);
	w.deliver = w.s.on_notify;
	w.deliver_data = w.s.notify_data;
	w.s.on_notify = on_notify;
	w.s.notify_data = &w;
	/* Stopping is an ordinary end: deliveries under way still get their
	 * bounded time below. */
	struct sigaction sa = {.sa_handler = on_stop}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (!once && isatty(STDERR_FILENO))
		fprintf(stderr, "countersign: watch: watching run %s until it ends (Ctrl-C stops)\n", cli_safe(w.s.run.id));
	rc = watch_loop(&w, x, once);
	w.s.on_notify = w.deliver;
	w.s.notify_data = w.deliver_data;
	cli_notifier_end(x);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	vars_clear(&vars);
	session_close(&w.s);
	return rc;
}
