/* countersign check RUN SECTION/ITEM: runs one check headless and records it. */
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/opts.h"
#include "cli/proc.h"
#include "cli/session.h"
#include "cli/vars.h"
#include "countersign/duration.h"
#include "countersign/expand.h"
#include "countersign/runner.h"
#include "countersign/util.h"

struct check_job {
	struct runner_result result;
	bool done;
};

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void on_output(int job, const char *data, size_t len, void *user)
{
	(void)job;
	(void)user;
	fwrite(data, 1, len, stdout);
	fflush(stdout);
}

static void on_done(int job, struct runner_result *r, void *user)
{
	(void)job;
	struct check_job *cj = user;
	cj->result = *r;
	r->output = NULL; /* taken */
	r->error = NULL;
	cj->done = true;
}

/* Expands TEXT with the run's variables; NULL (after a message) when a name is unknown. */
static char *expand(struct var_values *v, const char *text, const char *what)
{
	char *missing = NULL;
	char *out = expand_string(text ? text : "", vars_lookup, v, &missing);
	if (!out)
		cli_error("check", "cannot expand %s: ${%s} has no value (set it in the environment or pass "
			"--var %s=...)", what, missing ? missing : "?", missing ? missing : "NAME");
	free(missing);
	return out;
}

static bool output_matches(const char *re_text, const char *out)
{
	regex_t re;
	if (regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB | REG_NEWLINE) != 0)
		return false;
	bool m = regexec(&re, out, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

/* Decides the verdict of a finished command and says why. */
static const char *judge(const struct item *it, const struct runner_result *r, char **message)
{
	const char *out = r->output ? r->output : "";
	switch (r->end) {
	case RUNNER_SPAWN_FAILED:
		*message = xasprintf("could not start: %s", r->error ? r->error : "unknown error");
		return "error";
	case RUNNER_TIMED_OUT:
		*message = xstrdup("timed out; the process group was stopped");
		return "timeout";
	case RUNNER_CANCELLED:
		*message = xstrdup("cancelled; the process group was stopped");
		return "cancelled";
	case RUNNER_SIGNALED:
		*message = xasprintf("killed by signal %d", r->signal);
		return "fail";
	case RUNNER_EXITED:
		break;
	}
	if (r->exit_status != 0) {
		*message = xasprintf("exit status %d", r->exit_status);
		return "fail";
	}
	if (it->fail_output && output_matches(it->fail_output, out)) {
		*message = xasprintf("output matches fail_output /%s/", it->fail_output);
		return "fail";
	}
	if (it->expect_output && !output_matches(it->expect_output, out)) {
		*message = xasprintf("output does not match expect_output /%s/", it->expect_output);
		return "fail";
	}
	*message = xstrdup("exit status 0");
	return "pass";
}

static char *cwd_for(const struct session *s, const char *cwd)
{
	if (cwd[0] == '/')
		return xstrdup(cwd);
	char *copy = xstrdup(s->run.path);
	char *slash = strrchr(copy, '/');
	char *dir = slash ? (slash == copy ? xstrdup("/") : xstrndup(copy, (size_t)(slash - copy))) : xstrdup(".");
	free(copy);
	char *out = xasprintf("%s/%s", dir, cwd);
	free(dir);
	return out;
}

static char **build_env(const struct session *s, struct var_values *v, const struct item *it, bool *ok)
{
	size_t n = s->cl->n_variables + s->cl->env.count + it->env.count + 1, k = 0;
	char **env = xcalloc(n, sizeof(char *));
	*ok = true;
	for (size_t i = 0; i < s->cl->n_variables; i++)
		if (v->values[i])
			env[k++] = xasprintf("%s=%s", s->cl->variables[i].name, v->values[i]);
	const struct kv_list *lists[2] = {&s->cl->env, &it->env};
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->count; i++) {
			char *val = expand(v, lists[l]->items[i].value, lists[l]->items[i].key);
			if (!val) {
				*ok = false;
				continue;
			}
			env[k++] = xasprintf("%s=%s", lists[l]->items[i].key, val);
			free(val);
		}
	}
	return env;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static struct event item_event(const struct session *s, const char *actor, const char *kind,
	size_t sec, size_t item, cJSON *payload)
{
	struct event ev;
	session_origin(&ev, actor);
	ev.kind = xstrdup(kind);
	free(ev.target);
	ev.target = xasprintf("%s/%s", s->cl->sections[sec].id, s->cl->sections[sec].items[item].id);
	free(ev.payload);
	ev.payload = cJSON_PrintUnformatted(payload);
	cJSON_Delete(payload);
	return ev;
}

static bool confirm(const struct item *it, const char *script, bool yes)
{
	if (yes)
		return true;
	if (!isatty(STDIN_FILENO)) {
		cli_error("check", "%s asks for confirmation before it runs; add --yes to confirm", it->id);
		return false;
	}
	fprintf(stderr, "This check runs:\n%s\nRun it? [y/N] ", script);
	char buf[16] = "";
	if (!fgets(buf, sizeof(buf), stdin))
		return false;
	return buf[0] == 'y' || buf[0] == 'Y';
}

static int wait_item(struct session *s, size_t sec, size_t item, const char *actor)
{
	const struct item_state *is = engine_item(s->eng, sec, item);
	char when[64];
	if (is->verdict == VERDICT_PASS) {
		printf("pass: the wait ended at ");
		format_time(is->wait_until_us, when, sizeof(when));
		printf("%s\n", when);
		return EXIT_OK;
	}
	if (is->verdict == VERDICT_RUNNING) {
		format_time(is->wait_until_us, when, sizeof(when));
		printf("running: waiting until %s (%lld s left)\n", when,
			(long long)((is->wait_until_us - now_us()) / 1000000));
		return EXIT_REFUSED;
	}
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "attempt", is->attempts + 1);
	cJSON_AddNumberToObject(p, "duration_ms", (double)s->cl->sections[sec].items[item].duration_ms);
	struct event ev = item_event(s, actor, EV_CHECK_STARTED, sec, item, p);
	int rc = session_append(s, &ev, 1, NULL, 0);
	event_clear(&ev);
	if (rc != EXIT_OK)
		return rc;
	is = engine_item(s->eng, sec, item);
	format_time(is->wait_until_us, when, sizeof(when));
	char dur[32];
	duration_format(s->cl->sections[sec].items[item].duration_ms, dur, sizeof(dur));
	printf("running: wait of %s started; it passes at %s\n", dur, when);
	return EXIT_REFUSED;
}

/* Replaces each secret value in TEXT by "***"; returns a malloc'd copy. */
static char *redact(const char *text, const char **secrets)
{
	struct strbuf sb = {0};
	for (const char *p = text; *p;) {
		size_t hit = 0;
		for (size_t k = 0; secrets[k]; k++)
			if (strncmp(p, secrets[k], strlen(secrets[k])) == 0 && strlen(secrets[k]) > hit)
				hit = strlen(secrets[k]);
		if (hit) {
			strbuf_addstr(&sb, "***");
			p += hit;
		} else {
			strbuf_add(&sb, p++, 1);
		}
	}
	return strbuf_detach(&sb);
}

/* Interactive items run on the real terminal; only the exit status is kept. */
static int run_interactive(const char *shell, const char *script, const char *cwd, char **env,
	int *status, char **why)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		*why = xstrdup("this item is interactive and needs a terminal");
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		*why = xasprintf("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		for (size_t i = 0; env[i]; i++)
			putenv(env[i]);
		if (chdir(cwd) != 0) {
			fprintf(stderr, "countersign: cannot enter %s: %s\n", cwd, strerror(errno));
			_exit(127);
		}
		execl(shell, shell, "-c", script, (char *)NULL);
		fprintf(stderr, "countersign: cannot run %s: %s\n", shell, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

struct command_plan {
	char *script, *cwd, *shown;
	char **env;
	const char **secrets;
};

static void plan_clear(struct command_plan *p)
{
	free(p->script);
	free(p->cwd);
	free(p->shown);
	free_strv(p->env);
	free(p->secrets);
}

static int plan_command(struct session *s, struct var_values *v, const struct item *it,
	struct command_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->script = expand(v, it->run, "run");
	char *cwd = expand(v, it->cwd ? it->cwd : s->cl->cwd, "cwd");
	bool env_ok = false;
	p->env = build_env(s, v, it, &env_ok);
	if (!p->script || !cwd || !env_ok) {
		free(cwd);
		return EXIT_USAGE;
	}
	p->cwd = cwd_for(s, cwd);
	free(cwd);
	p->secrets = vars_secrets(v);
	p->shown = redact(p->script, p->secrets);
	return EXIT_OK;
}

static int run_command(struct session *s, struct var_values *v, size_t sec, size_t item,
	const char *actor, bool yes)
{
	const struct item *it = &s->cl->sections[sec].items[item];
	struct command_plan plan;
	int rc = plan_command(s, v, it, &plan);
	if (rc != EXIT_OK)
		goto out;
	if (it->confirm && !confirm(it, plan.shown, yes)) {
		rc = EXIT_REFUSED;
		goto out;
	}
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "attempt", engine_item(s->eng, sec, item)->attempts + 1);
	cJSON_AddStringToObject(p, "command", plan.shown);
	cJSON_AddStringToObject(p, "cwd", plan.cwd);
	cJSON_AddNumberToObject(p, "pid", (double)getpid());
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	cJSON_AddStringToObject(p, "host", host);
	char *start = proc_start_time(getpid());
	cJSON_AddStringToObject(p, "proc_start", start ? start : "");
	free(start);
	struct event ev = item_event(s, actor, EV_CHECK_STARTED, sec, item, p);
	rc = session_append(s, &ev, 1, NULL, 0);
	event_clear(&ev);
	if (rc != EXIT_OK)
		goto out;

	cJSON *fin = cJSON_CreateObject();
	const char *verdict;
	char *message = NULL;
	struct evidence evidence = {0};
	struct check_job job = {0};
	if (it->interactive) {
		int status = 0;
		char *why = NULL;
		if (run_interactive(s->cl->shell, plan.script, plan.cwd, plan.env, &status, &why) < 0) {
			verdict = "error";
			message = why;
		} else {
			verdict = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "pass" : "fail";
			message = WIFEXITED(status) ? xasprintf("interactive; exit status %d; an engineer must attest it",
				WEXITSTATUS(status)) : xstrdup("interactive; ended by a signal; an engineer must attest it");
			if (WIFEXITED(status))
				cJSON_AddNumberToObject(fin, "exit_status", WEXITSTATUS(status));
			cJSON_AddBoolToObject(fin, "needs_attestation", true);
		}
	} else {
		struct runner *r = runner_create(on_output, on_done, &job);
		struct runner_spec spec = {
			.shell = s->cl->shell, .script = plan.script, .cwd = plan.cwd,
			.env = (const char *const *)plan.env,
			.timeout_ms = it->timeout_ms ? it->timeout_ms : s->cl->timeout_ms,
			.secrets = plan.secrets,
		};
		char *err = NULL;
		int id = runner_start(r, &spec, &err);
		if (id < 0) {
			job.done = true;
			job.result.end = RUNNER_SPAWN_FAILED;
			job.result.error = err;
		}
		struct sigaction sa = {.sa_handler = on_interrupt}, old_int, old_term;
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
		bool cancelled = false;
		while (!job.done) {
			struct pollfd fds[8];
			size_t n = runner_pollfds(r, fds, 8);
			int timeout = runner_next_timeout_ms(r);
			if (poll(fds, n, interrupted && !cancelled ? 0 : timeout) < 0 && errno != EINTR)
				break;
			if (interrupted && !cancelled) {
				runner_cancel(r, id);
				cancelled = true;
			}
			runner_dispatch(r, fds, n);
		}
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		runner_destroy(r);
		verdict = judge(it, &job.result, &message);
		struct runner_result *res = &job.result;
		if (res->end == RUNNER_EXITED)
			cJSON_AddNumberToObject(fin, "exit_status", res->exit_status);
		if (res->end == RUNNER_SIGNALED)
			cJSON_AddNumberToObject(fin, "signal", res->signal);
		cJSON_AddNumberToObject(fin, "bytes", (double)res->total_bytes);
		cJSON_AddNumberToObject(fin, "omitted", (double)res->omitted);
		if (res->sha256[0])
			cJSON_AddStringToObject(fin, "sha256", res->sha256);
		if (res->output) {
			evidence.bytes = res->output;
			evidence.len = res->output_len;
			sha256_hex(res->output, res->output_len, evidence.sha);
			cJSON_AddStringToObject(fin, "evidence", evidence.sha);
		}
		cJSON_AddNumberToObject(fin, "duration_ms", (double)(res->ended_us - res->started_us) / 1000.0);
	}
	cJSON_AddStringToObject(fin, "verdict", verdict);
	cJSON_AddStringToObject(fin, "message", message);
	struct event done = item_event(s, actor, EV_CHECK_FINISHED, sec, item, fin);
	rc = session_append(s, &done, 1, evidence.bytes ? &evidence : NULL, evidence.bytes ? 1 : 0);
	event_clear(&done);
	if (rc == EXIT_OK) {
		if (job.result.output_len && job.result.output[job.result.output_len - 1] != '\n')
			putchar('\n');
		printf("%s: %s/%s: %s\n", verdict, s->cl->sections[sec].id, it->id, message);
		rc = strcmp(verdict, "pass") == 0 && !it->interactive ? EXIT_OK : EXIT_REFUSED;
	}
	free(message);
	free(job.result.output);
	free(job.result.error);
out:
	plan_clear(&plan);
	return rc;
}

int cmd_check(const struct cli_global *g, int argc, char **argv)
{
	const char *usage = "countersign check RUN SECTION/ITEM --engineer NAME [--var NAME=VALUE]... "
		"[--pin-stdin] [--yes]";
	struct opts o;
	if (!opts_parse("check", usage, argc, argv, "engineer var pin-stdin yes", 2, &o))
		return EXIT_USAGE;
	if (o.n_pos != 2 || o.n_engineers != 1) {
		cli_error("check", "need RUN, SECTION/ITEM and one --engineer; usage: %s", usage);
		return EXIT_USAGE;
	}
	struct session s;
	struct var_values v = {0};
	size_t sec = 0, item = 0;
	int rc = session_open_store(&s, g, "check");
	if (rc == EXIT_OK)
		rc = session_load_run(&s, o.pos[0]);
	if (rc == EXIT_OK)
		rc = session_find(&s, o.pos[1], &sec, &item);
	if (rc != EXIT_OK)
		goto out;
	const struct item *it = &s.cl->sections[sec].items[item];
	char *why = NULL;
	bool wait_check = it->kind == ITEM_WAIT && engine_item(s.eng, sec, item)->verdict != VERDICT_PENDING;
	if (!wait_check && !engine_can_check(s.eng, sec, item, &why)) {
		rc = session_refuse(&s, why);
		goto out;
	}
	if (it->kind == ITEM_HTTP || it->kind == ITEM_PROMETHEUS) {
		cli_error("check", "%s/%s is a %s check, which this version does not run yet", s.cl->sections[sec].id,
			it->id, item_kind_name(it->kind));
		rc = EXIT_REFUSED;
		goto out;
	}
	for (int k = 0; k < o.n_vars; k++) {
		const char *eq = strchr(o.vars[k], '=');
		char *name = eq ? xstrndup(o.vars[k], (size_t)(eq - o.vars[k])) : xstrdup(o.vars[k]);
		const struct variable *var = checklist_variable(s.cl, name);
		if (var && !var->secret) {
			cli_error("check", "%s is fixed for the run when it starts; only secret variables are given "
				"to check", name);
			free(name);
			rc = EXIT_USAGE;
			goto out;
		}
		free(name);
	}
	if (!vars_assign(&v, s.cl, o.vars, o.n_vars, false, "check")) {
		rc = EXIT_USAGE;
		goto out;
	}
	vars_from_record(&v, engine_variables_json(s.eng));
	s.pin_stdin = o.pin_stdin;
	rc = session_authenticate(&s, o.engineers[0]);
	if (rc != EXIT_OK)
		goto out;
	if (it->kind == ITEM_WAIT)
		rc = wait_item(&s, sec, item, o.engineers[0]);
	else
		rc = run_command(&s, &v, sec, item, o.engineers[0], o.yes);
out:
	vars_clear(&v);
	session_close(&s);
	return rc;
}
