#include "countersign/exec.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "countersign/expand.h"
#include "countersign/runner.h"
#include "countersign/util.h"
#include "proc.h"

struct job {
	int id;               /* runner job id */
	size_t sec, item;
	char *actor;
	struct job *next;
};

struct exec {
	struct session *s;
	struct var_values *vars;
	exec_output_fn on_output;
	exec_done_fn on_done;
	void *user;
	struct runner *runner;
	struct job *jobs;
};

static void on_runner_output(int id, const char *data, size_t len, void *user);
static void on_runner_done(int id, struct runner_result *r, void *user);

struct exec *exec_create(struct session *s, struct var_values *vars, exec_output_fn on_output,
	exec_done_fn on_done, void *user)
{
	struct exec *x = xcalloc(1, sizeof(*x));
	x->s = s;
	x->vars = vars;
	x->on_output = on_output;
	x->on_done = on_done;
	x->user = user;
	x->runner = runner_create(on_runner_output, on_runner_done, x);
	return x;
}

void exec_destroy(struct exec *x)
{
	if (!x)
		return;
	for (struct job *j = x->jobs; j; j = j->next)
		runner_cancel(x->runner, j->id);
	runner_wait_all(x->runner);
	runner_destroy(x->runner);
	while (x->jobs) {
		struct job *j = x->jobs;
		x->jobs = j->next;
		free(j->actor);
		free(j);
	}
	free(x);
}

static struct job *find_job(struct exec *x, int id, struct job ***link)
{
	for (struct job **p = &x->jobs; *p; p = &(*p)->next)
		if ((*p)->id == id) {
			if (link)
				*link = p;
			return *p;
		}
	return NULL;
}

static char *expand(struct exec *x, const char *text, const char *what)
{
	char *missing = NULL;
	char *out = expand_string(text ? text : "", vars_lookup, x->vars, &missing);
	if (!out)
		reporter_say(&x->s->report, "cannot expand %s: ${%s} has no value (set it in the environment "
			"or give it as a variable)", what, missing ? missing : "?");
	free(missing);
	return out;
}

/* Replaces each secret value in TEXT by "***"; returns a malloc'd copy. */
static char *redact(const char *text, const char *const *secrets)
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

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

struct plan {
	char *script, *cwd, *shown;
	char **env;
	const char **secrets;
};

static void plan_clear(struct plan *p)
{
	free(p->script);
	free(p->cwd);
	free(p->shown);
	free_strv(p->env);
	free(p->secrets);
	memset(p, 0, sizeof(*p));
}

/* Relative working folders start at the checklist file's folder. */
static char *resolve_cwd(const struct session *s, const char *cwd)
{
	if (cwd[0] == '/')
		return xstrdup(cwd);
	const char *slash = strrchr(s->run.path, '/');
	char *dir = !slash ? xstrdup(".") : slash == s->run.path ? xstrdup("/")
		: xstrndup(s->run.path, (size_t)(slash - s->run.path));
	char *out = xasprintf("%s/%s", dir, cwd);
	free(dir);
	return out;
}

static bool plan_env(struct exec *x, const struct item *it, struct plan *p)
{
	const struct checklist *cl = x->s->cl;
	size_t n = cl->n_variables + cl->env.count + it->env.count + 1, k = 0;
	p->env = xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < cl->n_variables; i++)
		if (x->vars->values[i])
			p->env[k++] = xasprintf("%s=%s", cl->variables[i].name, x->vars->values[i]);
	const struct kv_list *lists[2] = {&cl->env, &it->env};
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->count; i++) {
			char *val = expand(x, lists[l]->items[i].value, lists[l]->items[i].key);
			if (!val)
				return false;
			p->env[k++] = xasprintf("%s=%s", lists[l]->items[i].key, val);
			free(val);
		}
	}
	return true;
}

static bool make_plan(struct exec *x, const struct item *it, struct plan *p)
{
	memset(p, 0, sizeof(*p));
	p->script = expand(x, it->run, "run");
	char *cwd = p->script ? expand(x, it->cwd ? it->cwd : x->s->cl->cwd, "cwd") : NULL;
	if (!cwd || !plan_env(x, it, p)) {
		free(cwd);
		plan_clear(p);
		return false;
	}
	p->cwd = resolve_cwd(x->s, cwd);
	free(cwd);
	p->secrets = vars_secrets(x->vars);
	p->shown = redact(p->script, p->secrets);
	return true;
}

char *exec_preview(struct exec *x, size_t sec, size_t item)
{
	struct plan p;
	if (!make_plan(x, &x->s->cl->sections[sec].items[item], &p))
		return NULL;
	char *shown = p.shown;
	p.shown = NULL;
	plan_clear(&p);
	return shown;
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

/* Records check_started; PLAN may be NULL (waits). */
static int record_start(struct exec *x, size_t sec, size_t item, const char *actor, const struct plan *plan)
{
	const struct item *it = &x->s->cl->sections[sec].items[item];
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "attempt", engine_item(x->s->eng, sec, item)->attempts + 1);
	if (it->kind == ITEM_WAIT)
		cJSON_AddNumberToObject(p, "duration_ms", (double)it->duration_ms);
	if (plan) {
		cJSON_AddStringToObject(p, "command", plan->shown);
		cJSON_AddStringToObject(p, "cwd", plan->cwd);
		/* Who runs it, so a later process can tell a live check from a dead one. */
		cJSON_AddNumberToObject(p, "pid", (double)getpid());
		char host[256] = "";
		gethostname(host, sizeof(host) - 1);
		cJSON_AddStringToObject(p, "host", host);
		char *start = proc_start_time(getpid());
		cJSON_AddStringToObject(p, "proc_start", start ? start : "");
		free(start);
	}
	struct event ev = item_event(x->s, actor, EV_CHECK_STARTED, sec, item, p);
	struct session_guard guard = {.action = ACTION_CHECK, .sec = sec, .item = item};
	int rc = session_append_guarded(x->s, &guard, &ev, 1, NULL, 0);
	event_clear(&ev);
	return rc;
}

static int record_finish(struct exec *x, size_t sec, size_t item, const char *actor, cJSON *fin,
	struct evidence *evidence)
{
	struct event ev = item_event(x->s, actor, EV_CHECK_FINISHED, sec, item, fin);
	int rc = session_append(x->s, &ev, 1, evidence, evidence ? 1 : 0);
	event_clear(&ev);
	return rc;
}

int exec_start(struct exec *x, size_t sec, size_t item, const char *actor)
{
	const struct item *it = &x->s->cl->sections[sec].items[item];
	if (it->kind == ITEM_WAIT)
		return record_start(x, sec, item, actor, NULL);
	if (it->kind != ITEM_COMMAND || it->interactive) {
		reporter_say(&x->s->report, "%s/%s: %s", x->s->cl->sections[sec].id, it->id,
			it->interactive ? "an interactive item runs on the terminal"
				: "this kind of check is not run by this version yet");
		return SESSION_REFUSED;
	}
	struct plan plan;
	if (!make_plan(x, it, &plan))
		return SESSION_INVALID;
	int rc = record_start(x, sec, item, actor, &plan);
	if (rc != SESSION_OK) {
		plan_clear(&plan);
		return rc;
	}
	struct runner_spec spec = {
		.shell = x->s->cl->shell, .script = plan.script, .cwd = plan.cwd,
		.env = (const char *const *)plan.env,
		.timeout_ms = it->timeout_ms ? it->timeout_ms : x->s->cl->timeout_ms,
		.secrets = plan.secrets,
	};
	char *err = NULL;
	int id = runner_start(x->runner, &spec, &err);
	plan_clear(&plan);
	if (id < 0) {
		cJSON *fin = cJSON_CreateObject();
		cJSON_AddStringToObject(fin, "verdict", "error");
		char *msg = xasprintf("could not start: %s", err ? err : "unknown error");
		cJSON_AddStringToObject(fin, "message", msg);
		rc = record_finish(x, sec, item, actor, fin, NULL);
		if (x->on_done)
			x->on_done(sec, item, "error", msg, rc, x->user);
		free(msg);
		free(err);
		return rc;
	}
	struct job *j = xcalloc(1, sizeof(*j));
	j->id = id;
	j->sec = sec;
	j->item = item;
	j->actor = xstrdup(actor);
	j->next = x->jobs;
	x->jobs = j;
	return SESSION_OK;
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

static void on_runner_output(int id, const char *data, size_t len, void *user)
{
	struct exec *x = user;
	struct job *j = find_job(x, id, NULL);
	if (j && x->on_output)
		x->on_output(j->sec, j->item, data, len, x->user);
}

static void on_runner_done(int id, struct runner_result *r, void *user)
{
	struct exec *x = user;
	struct job **link = NULL;
	struct job *j = find_job(x, id, &link);
	if (!j)
		return;
	*link = j->next;
	const struct item *it = &x->s->cl->sections[j->sec].items[j->item];
	char *message = NULL;
	const char *verdict = judge(it, r, &message);
	cJSON *fin = cJSON_CreateObject();
	cJSON_AddStringToObject(fin, "verdict", verdict);
	cJSON_AddStringToObject(fin, "message", message);
	if (r->end == RUNNER_EXITED)
		cJSON_AddNumberToObject(fin, "exit_status", r->exit_status);
	if (r->end == RUNNER_SIGNALED)
		cJSON_AddNumberToObject(fin, "signal", r->signal);
	cJSON_AddNumberToObject(fin, "bytes", (double)r->total_bytes);
	cJSON_AddNumberToObject(fin, "omitted", (double)r->omitted);
	if (r->sha256[0])
		cJSON_AddStringToObject(fin, "sha256", r->sha256);
	struct evidence evidence = {0};
	if (r->output) {
		evidence.bytes = r->output;
		evidence.len = r->output_len;
		sha256_hex(r->output, r->output_len, evidence.sha);
		cJSON_AddStringToObject(fin, "evidence", evidence.sha);
	}
	cJSON_AddNumberToObject(fin, "duration_ms", (double)(r->ended_us - r->started_us) / 1000.0);
	int rc = record_finish(x, j->sec, j->item, j->actor, fin, r->output ? &evidence : NULL);
	if (x->on_done)
		x->on_done(j->sec, j->item, verdict, message, rc, x->user);
	free(message);
	free(j->actor);
	free(j);
}

int exec_run_interactive(struct exec *x, size_t sec, size_t item, const char *actor)
{
	const struct item *it = &x->s->cl->sections[sec].items[item];
	struct plan plan;
	if (!make_plan(x, it, &plan))
		return SESSION_INVALID;
	int rc = record_start(x, sec, item, actor, &plan);
	if (rc != SESSION_OK) {
		plan_clear(&plan);
		return rc;
	}
	cJSON *fin = cJSON_CreateObject();
	const char *verdict = "error";
	char *message = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		for (size_t i = 0; plan.env[i]; i++)
			putenv(plan.env[i]);
		if (chdir(plan.cwd) != 0) {
			fprintf(stderr, "countersign: cannot enter %s: %s\n", plan.cwd, strerror(errno));
			_exit(127);
		}
		execl(x->s->cl->shell, x->s->cl->shell, "-c", plan.script, (char *)NULL);
		fprintf(stderr, "countersign: cannot run %s: %s\n", x->s->cl->shell, strerror(errno));
		_exit(127);
	}
	int status = 0;
	if (pid < 0) {
		message = xasprintf("cannot start: %s", strerror(errno));
	} else {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		verdict = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "pass" : "fail";
		if (WIFEXITED(status)) {
			cJSON_AddNumberToObject(fin, "exit_status", WEXITSTATUS(status));
			message = xasprintf("interactive; exit status %d; an engineer must attest it", WEXITSTATUS(status));
		} else {
			message = xstrdup("interactive; ended by a signal; an engineer must attest it");
		}
		cJSON_AddBoolToObject(fin, "needs_attestation", true);
	}
	cJSON_AddStringToObject(fin, "verdict", verdict);
	cJSON_AddStringToObject(fin, "message", message);
	rc = record_finish(x, sec, item, actor, fin, NULL);
	if (x->on_done)
		x->on_done(sec, item, verdict, message, rc, x->user);
	free(message);
	plan_clear(&plan);
	return rc;
}

void exec_cancel(struct exec *x, size_t sec, size_t item)
{
	for (struct job *j = x->jobs; j; j = j->next)
		if (j->sec == sec && j->item == item)
			runner_cancel(x->runner, j->id);
}

size_t exec_active(const struct exec *x)
{
	size_t n = 0;
	for (const struct job *j = x->jobs; j; j = j->next)
		n++;
	return n;
}

bool exec_is_running(const struct exec *x, size_t sec, size_t item)
{
	for (const struct job *j = x->jobs; j; j = j->next)
		if (j->sec == sec && j->item == item)
			return true;
	return false;
}

size_t exec_pollfds(struct exec *x, struct pollfd *fds, size_t max)
{
	return runner_pollfds(x->runner, fds, max);
}

int exec_next_timeout_ms(const struct exec *x)
{
	return runner_next_timeout_ms(x->runner);
}

void exec_dispatch(struct exec *x, const struct pollfd *fds, size_t n)
{
	runner_dispatch(x->runner, fds, n);
}
