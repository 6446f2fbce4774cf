#include "countersign/exec.h"

#include <assert.h>
#include <errno.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "countersign/expand.h"
#include "countersign/net.h"
#include "countersign/redact.h"
#include "countersign/runner.h"
#include "countersign/util.h"
#include "proc.h"
#include "run/exec_hold.h"
#include "run/exec_link.h"
#include "run/foreground.h"

struct job {
	int id;               /* runner or net job id */
	bool network;         /* a net job (http, prometheus) */
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
	struct net *net;      /* network checks and notifications; NULL when curl is unavailable */
	struct job *jobs;
	size_t runner_fds;    /* how many of the last pollfds were the runner's */
	size_t net_fds;       /* and how many after those the network checks' */
	int64_t **started;    /* [sec][item]: the check_started this exec recorded last, so that its
	                         result lands only on that very attempt */
	struct strvec failed; /* notify_failed payloads not yet recorded (record_failed_notices) */
	struct exec_hold *hold; /* results held while the database cannot take them; NULL: not holding */
	struct exec_link *link; /* the server's connection, made again when lost while idle */
	size_t hold_fds;      /* and how many after those the held results' probe */
};

static char *expand(struct exec *x, const char *text, const char *what);
static int record_finish(struct exec *x, size_t sec, size_t item, const char *actor, cJSON *fin,
	struct store_evidence *evidence);
static int record_started(struct exec *x, size_t sec, size_t item, const char *actor, cJSON *p);
static struct event item_event(const struct session *s, const char *actor, const char *kind,
	size_t sec, size_t item, cJSON *payload);
static void on_runner_output(int id, const char *data, size_t len, void *user);
static void on_runner_done(int id, struct runner_result *r, void *user);
static void on_net_progress(int id, const char *text, void *user);
static void on_net_done(int id, struct net_result *r, void *user);
static void on_notified(int id, const struct net_delivery *d, void *user);
static void deliver(void *data, enum checklist_notify_event ev, const char *text, const char *details);
static void record_failed_notices(struct exec *x);

/* libcurl is set up only when a network check or a notification needs it,
 * so that command checks start as fast as the shell allows. */
static bool ensure_net(struct exec *x)
{
	if (x->net)
		return true;
	x->net = net_create(on_net_progress, on_net_done, x);
	if (!x->net)
		return false;
	net_on_notified(x->net, on_notified);
	const char **secrets = vars_secrets(x->vars);
	net_set_secrets(x->net, secrets);
	free(secrets);
	return true;
}

struct exec *exec_create(struct session *s, struct var_values *vars, exec_output_fn on_output,
	exec_done_fn on_done, void *user)
{
	assert(s && s->cl && vars);
	struct exec *x = xcalloc(1, sizeof(*x));
	x->s = s;
	x->vars = vars;
	x->on_output = on_output;
	x->on_done = on_done;
	x->user = user;
	x->runner = runner_create(on_runner_output, on_runner_done, x);
	x->link = s->st ? exec_link_create(s) : NULL;
	bool webhooks = false;
	for (size_t i = 0; i < s->cl->n_notify; i++)
		webhooks |= s->cl->notify[i].url != NULL;
	/* without libcurl the webhooks are skipped (deliver says so), files not */
	if (webhooks)
		(void)ensure_net(x);
	if (s->cl->n_notify) {
		s->on_notify = deliver;
		s->notify_data = x;
	}
	return x;
}

void exec_destroy(struct exec *x)
{
	free(exec_close(x));
}

char *exec_close(struct exec *x)
{
	if (!x)
		return NULL;
	for (struct job *j = x->jobs; j; j = j->next)
		if (j->network)
			net_cancel(x->net, j->id);
		else
			runner_cancel(x->runner, j->id);
	runner_wait_all(x->runner);
	if (x->net)
		net_wait_all(x->net, 2000);
	record_failed_notices(x);
	exec_hold_retry(x->hold, true);
	char *lost = exec_hold_text(x->hold);
	exec_hold_destroy(x->hold);
	exec_link_destroy(x->link);
	if (x->s->notify_data == x) {
		x->s->on_notify = NULL;
		x->s->notify_data = NULL;
	}
	runner_destroy(x->runner);
	net_destroy(x->net);
	for (size_t s = 0; x->started && s < x->s->cl->n_sections; s++)
		free(x->started[s]);
	free(x->started);
	while (x->jobs) {
		struct job *j = x->jobs;
		x->jobs = j->next;
		free(j->actor);
		free(j);
	}
	free(x);
	return lost;
}

static struct job *find_job(struct exec *x, int id, bool network, struct job ***link)
{
	for (struct job **p = &x->jobs; *p; p = &(*p)->next)
		if ((*p)->id == id && (*p)->network == network) {
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

/* Frees a string, wiping it first: an expanded script and the environment
 * of a check hold the run's secret values. */
static void free_wiped(char *s)
{
	if (s)
		sodium_memzero(s, strlen(s));
	free(s);
}

struct plan {
	char *script, *cwd, *shown;
	char check_id[33];    /* marks the check's processes (COUNTERSIGN_CHECK_ID in their environment) */
	struct strvec env;    /* "NAME=VALUE", secret values among them: wiped when cleared */
	const char **secrets;
};

static void plan_clear(struct plan *p)
{
	free_wiped(p->script);
	free(p->cwd);
	free(p->shown);
	strvec_clear_wiped(&p->env);
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

static bool plan_env(struct exec *x, const struct checklist_item *it, struct plan *p)
{
	const struct checklist *cl = x->s->cl;
	for (size_t i = 0; i < cl->n_variables; i++)
		if (x->vars->values[i])
			strvec_pushf(&p->env, "%s=%s", cl->variables[i].name, x->vars->values[i]);
	const struct checklist_kv_list *lists[2] = {&cl->env, &it->env};
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->count; i++) {
			char *val = expand(x, lists[l]->items[i].value, lists[l]->items[i].key);
			if (!val)
				return false;
			strvec_pushf(&p->env, "%s=%s", lists[l]->items[i].key, val);
			free_wiped(val);
		}
	}
	return true;
}

/* A command line is readable by every user of the host (/proc/PID/cmdline,
 * ps), an environment only by its owner: a script that holds a secret value
 * reaches the shell through the environment, as `eval "$COUNTERSIGN_SCRIPT"`. */
static void hide_secret_script(struct plan *p)
{
	bool secret = false;
	for (size_t i = 0; p->secrets && p->secrets[i] && !secret; i++)
		secret = p->secrets[i][0] && strstr(p->script, p->secrets[i]);
	if (!secret)
		return;
	strvec_pushf(&p->env, "COUNTERSIGN_SCRIPT=%s", p->script);
	sodium_memzero(p->script, strlen(p->script));
	free(p->script);
	p->script = xstrdup("eval \"$COUNTERSIGN_SCRIPT\"");
}

/* Every process of a check carries COUNTERSIGN_CHECK_ID in its environment,
 * so that a later recovery stops exactly the check's processes and never a
 * process that merely reuses their numbers. */
static void mark_check(struct plan *p)
{
	unsigned char id[16];
	randombytes_buf(id, sizeof(id));
	sodium_bin2hex(p->check_id, sizeof(p->check_id), id, sizeof(id));
	strvec_pushf(&p->env, "COUNTERSIGN_CHECK_ID=%s", p->check_id);
}

static bool make_plan(struct exec *x, const struct checklist_item *it, struct plan *p)
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
	p->shown = redact_string(p->script, p->secrets);
	hide_secret_script(p);
	mark_check(p);
	return true;
}

char *exec_preview(struct exec *x, size_t sec, size_t item)
{
	assert(sec < x->s->cl->n_sections && item < x->s->cl->sections[sec].n_items);
	const struct checklist_item *it = &x->s->cl->sections[sec].items[item];
	if (it->kind == ITEM_HTTP || it->kind == ITEM_PROMETHEUS) {
		char *url = expand(x, it->url, "url");
		if (!url)
			return NULL;
		const char **secrets = vars_secrets(x->vars);
		char *shown = redact_string(url, secrets);
		char *line = xasprintf("%s %s", it->kind == ITEM_HTTP ? it->method : "query", shown);
		free(secrets);
		free(shown);
		free(url);
		return line;
	}
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
	/* a check's message quotes output and bodies the program does not
	 * control: made valid UTF-8 (the exact bytes are in the evidence) */
	ev.payload = event_payload_print(payload);
	cJSON_Delete(payload);
	return ev;
}

/* Who runs a check (this process, on this host, in this boot; and the
 * process group of a command), so that a later process can tell a live
 * check from a dead one and stop what it left running. */
static void add_identity(cJSON *p, pid_t pgid)
{
	cJSON_AddNumberToObject(p, "pid", (double)getpid());
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	cJSON_AddStringToObject(p, "host", host);
	char *start = proc_start_time(getpid());
	cJSON_AddStringToObject(p, "proc_start", start ? start : "");
	free(start);
	char *boot = proc_boot_id();
	if (boot)
		cJSON_AddStringToObject(p, "boot_id", boot);
	free(boot);
	char *ns = proc_pid_namespace();
	if (ns)
		cJSON_AddStringToObject(p, "pid_ns", ns);
	free(ns);
	if (pgid > 0) {
		cJSON_AddNumberToObject(p, "pgid", (double)pgid);
		start = proc_start_time(pgid);
		cJSON_AddStringToObject(p, "pgid_start", start ? start : "");
		free(start);
	}
}

/* Records check_started; PLAN may be NULL (waits). PGID is the process group
 * about to run the command, or 0. */
static int record_start(struct exec *x, size_t sec, size_t item, const char *actor, const struct plan *plan,
	pid_t pgid)
{
	const struct checklist_item *it = &x->s->cl->sections[sec].items[item];
	cJSON *p = cJSON_CreateObject();
	if (it->kind == ITEM_WAIT)
		cJSON_AddNumberToObject(p, "duration_ms", (double)it->duration_ms);
	if (plan) {
		cJSON_AddStringToObject(p, "command", plan->shown);
		cJSON_AddStringToObject(p, "cwd", plan->cwd);
		add_identity(p, pgid);
		if (pgid > 0)
			cJSON_AddStringToObject(p, "check_id", plan->check_id);
	}
	return record_started(x, sec, item, actor, p);
}

/* The slot of SEC/ITEM in x->started, allocated on first use. */
static int64_t *started_slot(struct exec *x, size_t sec, size_t item)
{
	assert(sec < x->s->cl->n_sections && item < x->s->cl->sections[sec].n_items);
	if (!x->started)
		x->started = xcalloc(x->s->cl->n_sections + 1, sizeof(*x->started));
	if (!x->started[sec])
		x->started[sec] = xcalloc(x->s->cl->sections[sec].n_items + 1, sizeof(**x->started));
	return &x->started[sec][item];
}

/* Appends check_started with payload P (taken) and remembers which event it is. */
static int record_started(struct exec *x, size_t sec, size_t item, const char *actor, cJSON *p)
{
	struct event ev = item_event(x->s, actor, EV_CHECK_STARTED, sec, item, p);
	struct session_guard guard = {.action = ACTION_CHECK, .sec = sec, .item = item};
	int rc = session_append_guarded(x->s, &guard, &ev, 1, NULL, 0);
	if (rc == CS_OK)
		*started_slot(x, sec, item) = ev.seq;
	event_clear(&ev);
	return rc;
}

/* A result lands only on the attempt it belongs to: when another process
 * recorded that attempt as interrupted meanwhile (and perhaps started a new
 * one), the late result is refused rather than ending someone else's check. */
static int record_finish(struct exec *x, size_t sec, size_t item, const char *actor, cJSON *fin,
	struct store_evidence *evidence)
{
	/* Every path to a result recorded its start first (a refused start
	 * runs nothing): without it the guard would refuse the result as
	 * "recorded meanwhile" by someone else. */
	assert(*started_slot(x, sec, item) > 0);
	struct event ev = item_event(x->s, actor, EV_CHECK_FINISHED, sec, item, fin);
	struct session_guard guard = {.action = ACTION_FINISH, .sec = sec, .item = item,
		.seq = *started_slot(x, sec, item)};
	int rc = session_append_guarded(x->s, &guard, &ev, 1, evidence, evidence ? 1 : 0);
	/* held only when waiting may cure it: a server that cannot be reached,
	 * a lock another process holds; any other failure is said and lost */
	if (rc == CS_ENV && x->hold && (session_unreachable(x->s) || session_busy(x->s))) {
		cJSON *p = cJSON_Parse(ev.payload);
		const char *verdict = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "verdict"));
		exec_hold_put(x->hold, sec, item, actor, guard.seq, ev.payload, evidence, verdict);
		cJSON_Delete(p);
	}
	event_clear(&ev);
	return rc;
}


static void add_job(struct exec *x, int id, bool network, size_t sec, size_t item, const char *actor)
{
	struct job *j = xcalloc(1, sizeof(*j));
	j->id = id;
	j->network = network;
	j->sec = sec;
	j->item = item;
	j->actor = xstrdup(actor);
	j->next = x->jobs;
	x->jobs = j;
}

/* Records a check that could not even start as an error. */
static int start_failed(struct exec *x, size_t sec, size_t item, const char *actor, const char *why)
{
	cJSON *fin = cJSON_CreateObject();
	cJSON_AddStringToObject(fin, "verdict", "error");
	char *msg = xasprintf("could not start: %s", why ? why : "unknown error");
	cJSON_AddStringToObject(fin, "message", msg);
	int rc = record_finish(x, sec, item, actor, fin, NULL);
	if (x->on_done)
		x->on_done(sec, item, "error", msg, rc, x->user);
	free(msg);
	return rc;
}

static bool expand_kv(struct exec *x, const struct checklist_kv_list *in, struct checklist_kv_list *out)
{
	out->items = xcalloc(in->count + 1, sizeof(struct checklist_kv));
	out->count = 0;
	for (size_t i = 0; i < in->count; i++) {
		char *v = expand(x, in->items[i].value, in->items[i].key);
		if (!v)
			return false;
		out->items[out->count].key = xstrdup(in->items[i].key);
		out->items[out->count++].value = v;
	}
	return true;
}

static void kv_free(struct checklist_kv_list *l)
{
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
}

static int start_network(struct exec *x, size_t sec, size_t item, const char *actor)
{
	const struct checklist_item *it = &x->s->cl->sections[sec].items[item];
	if (!ensure_net(x)) {
		const char *why = net_libcurl_error();
		if (why)
			reporter_say(&x->s->report, "network checks need %s", why);
		else
			reporter_say(&x->s->report, "network checks are unavailable: libcurl could not be initialised");
		return CS_ENV;
	}
	char *url = expand(x, it->url, "url");
	char *query = url && it->kind == ITEM_PROMETHEUS ? expand(x, it->query, "query") : NULL;
	char *body = url && it->body ? expand(x, it->body, "body") : NULL;
	struct checklist_kv_list headers = {0};
	bool ok = url && (it->kind != ITEM_PROMETHEUS || query) && (!it->body || body) &&
		expand_kv(x, &it->headers, &headers);
	int rc = ok ? CS_OK : CS_INVALID;
	if (ok) {
		const char **secrets = vars_secrets(x->vars);
		cJSON *p = cJSON_CreateObject();
		char *shown = redact_string(url, secrets);
		cJSON_AddStringToObject(p, "url", shown);
		free(shown);
		add_identity(p, 0);
		if (query) {
			shown = redact_string(query, secrets);
			cJSON_AddStringToObject(p, "query", shown);
			free(shown);
		}
		free(secrets);
		rc = record_started(x, sec, item, actor, p);
	}
	if (rc == CS_OK) {
		char *err = NULL;
		int id = it->kind == ITEM_HTTP ? net_start_http(x->net, it, url, &headers, body, &err)
			: net_start_prometheus(x->net, it, url, query, &err);
		if (id < 0)
			rc = start_failed(x, sec, item, actor, err);
		else
			add_job(x, id, true, sec, item, actor);
		free(err);
	}
	kv_free(&headers);
	free(url);
	free(query);
	free(body);
	return rc;
}

/* A command's start is recorded, with the process group that will run it,
 * while its child is held before exec: a refused or unrecorded start never
 * runs anything, and a recorded one names the group a later recovery stops. */
struct held_start {
	struct exec *x;
	size_t sec, item;
	const char *actor;
	const struct plan *plan;
	int rc;
	bool recorded;
};

static bool record_held_start(pid_t pgid, void *data, char **err)
{
	struct held_start *hs = data;
	(void)err;
	hs->rc = record_start(hs->x, hs->sec, hs->item, hs->actor, hs->plan, pgid);
	hs->recorded = hs->rc == CS_OK;
	return hs->recorded;
}

int exec_start(struct exec *x, size_t sec, size_t item, const char *actor)
{
	assert(sec < x->s->cl->n_sections && item < x->s->cl->sections[sec].n_items && actor);
	const struct checklist_item *it = &x->s->cl->sections[sec].items[item];
	if (it->kind == ITEM_WAIT)
		return record_start(x, sec, item, actor, NULL, 0);
	if (it->kind == ITEM_HTTP || it->kind == ITEM_PROMETHEUS)
		return start_network(x, sec, item, actor);
	if (it->kind != ITEM_COMMAND || it->interactive) {
		reporter_say(&x->s->report, "%s/%s: %s", x->s->cl->sections[sec].id, it->id,
			it->interactive ? "an interactive item runs on the terminal" : "a manual item is attested, not run");
		return CS_REFUSED;
	}
	struct plan plan;
	if (!make_plan(x, it, &plan))
		return CS_INVALID;
	struct held_start hs = {.x = x, .sec = sec, .item = item, .actor = actor, .plan = &plan, .rc = CS_OK};
	struct runner_spec spec = {
		.shell = x->s->cl->shell, .script = plan.script, .cwd = plan.cwd,
		.env = (const char *const *)plan.env.v,
		.timeout_ms = it->timeout_ms ? it->timeout_ms : x->s->cl->timeout_ms,
		.secrets = plan.secrets,
		.before_exec = record_held_start, .before_exec_data = &hs,
	};
	char *err = NULL;
	int id = runner_start(x->runner, &spec, &err);
	int rc = CS_OK;
	if (id < 0 && !hs.recorded && hs.rc != CS_OK) {
		rc = hs.rc;  /* refused or not recorded: nothing ran */
	} else if (id < 0) {
		/* No process could be made: the start is recorded as an error. */
		if (!hs.recorded)
			rc = record_start(x, sec, item, actor, &plan, 0);
		if (rc == CS_OK)
			rc = start_failed(x, sec, item, actor, err);
	} else {
		add_job(x, id, false, sec, item, actor);
	}
	free(err);
	plan_clear(&plan);
	return rc;
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
static const char *judge(const struct checklist_item *it, const struct runner_result *r, char **message)
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
	struct job *j = find_job(x, id, false, NULL);
	if (j && x->on_output)
		x->on_output(j->sec, j->item, data, len, x->user);
}

static void on_runner_done(int id, struct runner_result *r, void *user)
{
	struct exec *x = user;
	struct job **link = NULL;
	struct job *j = find_job(x, id, false, &link);
	if (!j)
		return;
	*link = j->next;
	const struct checklist_item *it = &x->s->cl->sections[j->sec].items[j->item];
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
	struct store_evidence evidence = {0};
	if (r->output) {
		evidence.bytes = r->output;
		evidence.len = r->output_len;
		event_sha256_hex(r->output, r->output_len, evidence.sha);
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

/* What an interactive command's end says; the engineer's word decides. */
static const char *interactive_end(int status, cJSON *fin, char **message)
{
	if (WIFEXITED(status)) {
		cJSON_AddNumberToObject(fin, "exit_status", WEXITSTATUS(status));
		*message = xasprintf("interactive; exit status %d; an engineer must attest it", WEXITSTATUS(status));
		return WEXITSTATUS(status) == 0 ? "pass" : "fail";
	}
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	cJSON_AddNumberToObject(fin, "signal", sig);
	*message = sig == SIGINT ? xstrdup("interactive; ended with Ctrl-C; an engineer must attest it")
		: xasprintf("interactive; ended by signal %d; an engineer must attest it", sig);
	return "fail";
}

int exec_run_interactive(struct exec *x, size_t sec, size_t item, const char *actor)
{
	assert(sec < x->s->cl->n_sections && item < x->s->cl->sections[sec].n_items && actor);
	struct plan plan;
	if (!make_plan(x, &x->s->cl->sections[sec].items[item], &plan))
		return CS_INVALID;
	/* It runs on the terminal in a process group of its own, recorded (as
	 * for every command) before it runs, so that Ctrl-C reaches it alone
	 * and a later process can stop what it left if countersign is killed. */
	struct held_start hs = {.x = x, .sec = sec, .item = item, .actor = actor, .plan = &plan, .rc = CS_OK};
	struct runner_spec spec = {
		.shell = x->s->cl->shell, .script = plan.script, .cwd = plan.cwd,
		.env = (const char *const *)plan.env.v,
		.before_exec = record_held_start, .before_exec_data = &hs,
	};
	struct foreground_result res;
	char *err = NULL;
	int rc = CS_OK;
	if (!foreground_run(&spec, &res, &err)) {
		if (!hs.recorded && hs.rc != CS_OK) {
			rc = hs.rc;  /* refused or not recorded: nothing ran */
		} else {
			if (!hs.recorded)
				rc = record_start(x, sec, item, actor, &plan, 0);
			if (rc == CS_OK)
				rc = start_failed(x, sec, item, actor, err);
		}
		free(err);
		plan_clear(&plan);
		return rc;
	}
	cJSON *fin = cJSON_CreateObject();
	char *message = NULL;
	const char *verdict = "error";
	if (res.error)
		message = xasprintf("interactive; %s", res.error);
	else
		verdict = interactive_end(res.status, fin, &message);
	cJSON_AddBoolToObject(fin, "needs_attestation", true);
	cJSON_AddStringToObject(fin, "verdict", verdict);
	cJSON_AddStringToObject(fin, "message", message);
	rc = record_finish(x, sec, item, actor, fin, NULL);
	if (x->on_done)
		x->on_done(sec, item, verdict, message, rc, x->user);
	free(message);
	free(res.error);
	plan_clear(&plan);
	return rc;
}

void exec_cancel(struct exec *x, size_t sec, size_t item)
{
	for (struct job *j = x->jobs; j; j = j->next)
		if (j->sec == sec && j->item == item) {
			if (j->network)
				net_cancel(x->net, j->id);
			else
				runner_cancel(x->runner, j->id);
		}
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
	size_t r = runner_pollfds(x->runner, fds, max);
	x->runner_fds = r;
	size_t n = x->net ? net_pollfds(x->net, r <= max ? fds + r : fds, r <= max ? max - r : 0) : 0;
	x->net_fds = n;
	/* then a held result's probe of a lost server (exec_hold.h), then the
	 * idle connection's (exec_link.h) */
	size_t used = r + n;
	x->hold_fds = exec_hold_pollfds(x->hold, used <= max ? fds + used : fds, used <= max ? max - used : 0);
	used += x->hold_fds;
	return used + exec_link_pollfds(x->link, used <= max ? fds + used : fds, used <= max ? max - used : 0);
}

int exec_next_timeout_ms(const struct exec *x)
{
	if (x->failed.n)
		return 0; /* record_failed_notices is due */
	int held = exec_hold_next_ms(x->hold);
	/* while results are held, their tries probe the server: the link waits */
	int link = exec_hold_count(x->hold) ? -1 : exec_link_next_ms(x->link);
	if (link >= 0 && (held < 0 || link < held))
		held = link;
	int a = runner_next_timeout_ms(x->runner);
	if (held >= 0 && (a < 0 || held < a))
		a = held;
	int b = x->net ? net_next_timeout_ms(x->net) : -1;
	if (a < 0)
		return b;
	return b < 0 || a < b ? a : b;
}

void exec_dispatch(struct exec *x, const struct pollfd *fds, size_t n)
{
	size_t r = x->runner_fds <= n ? x->runner_fds : n;
	size_t nn = x->net_fds <= n - r ? x->net_fds : n - r;
	runner_dispatch(x->runner, fds, r);
	if (x->net)
		net_dispatch(x->net, fds + r, nn);
	size_t nh = x->hold_fds <= n - r - nn ? x->hold_fds : n - r - nn;
	exec_hold_dispatch(x->hold, fds + r + nn, nh);
	exec_link_step(x->link, fds + r + nn + nh, n - r - nn - nh, exec_hold_count(x->hold) > 0);
	record_failed_notices(x);
	exec_hold_retry(x->hold, false);
}

void exec_set_holding(struct exec *x, bool on)
{
	if (on && !x->hold)
		x->hold = exec_hold_create(x->s);
	else if (!on && !exec_hold_count(x->hold)) {
		exec_hold_destroy(x->hold);
		x->hold = NULL;
	}
}

int exec_unlinked_ms(const struct exec *x)
{
	int ms = -1;
	if (!x || exec_hold_count(x->hold) || !exec_link_lost(x->link, &ms))
		return -1;
	return ms;
}

struct exec_hold *exec_hold_of(const struct exec *x)
{
	return x->hold;
}

void exec_vars_changed(struct exec *x)
{
	/* command checks read the secrets when they start; the network side
	 * keeps its own copy, taken when it was set up */
	if (!x || !x->net)
		return;
	const char **secrets = vars_secrets(x->vars);
	net_set_secrets(x->net, secrets);
	free(secrets);
}

size_t exec_deliveries(const struct exec *x)
{
	size_t checks = 0;
	for (const struct job *j = x->jobs; j; j = j->next)
		checks += j->network;
	return x->net ? net_active(x->net) - checks : 0;
}

void exec_flush(struct exec *x, int limit_ms)
{
	if (x->net)
		net_wait_all(x->net, limit_ms);
	record_failed_notices(x);
}

static void on_net_progress(int id, const char *text, void *user)
{
	struct exec *x = user;
	struct job *j = find_job(x, id, true, NULL);
	if (!j || !x->on_output)
		return;
	char *line = xasprintf("%s\n", text);
	x->on_output(j->sec, j->item, line, strlen(line), x->user);
	free(line);
}

static void on_net_done(int id, struct net_result *r, void *user)
{
	struct exec *x = user;
	struct job **link = NULL;
	struct job *j = find_job(x, id, true, &link);
	if (!j)
		return;
	*link = j->next;
	cJSON *fin = cJSON_CreateObject();
	cJSON_AddStringToObject(fin, "verdict", r->verdict);
	cJSON_AddStringToObject(fin, "message", r->message ? r->message : "");
	cJSON_AddNumberToObject(fin, "attempts", r->attempts);
	if (r->failures)
		cJSON_AddNumberToObject(fin, "failures", r->failures);
	if (r->has_value)
		cJSON_AddNumberToObject(fin, "last_value", r->last_value);
	if (r->insecure)
		cJSON_AddBoolToObject(fin, "insecure", true);
	if (r->needs_attestation)
		cJSON_AddBoolToObject(fin, "needs_attestation", true);
	cJSON_AddNumberToObject(fin, "duration_ms", (double)(r->ended_us - r->started_us) / 1000.0);
	struct store_evidence evidence = {0};
	if (r->evidence) {
		evidence.bytes = r->evidence;
		evidence.len = strlen(r->evidence);
		event_sha256_hex(evidence.bytes, evidence.len, evidence.sha);
		cJSON_AddStringToObject(fin, "evidence", evidence.sha);
	}
	int rc = record_finish(x, j->sec, j->item, j->actor, fin, r->evidence ? &evidence : NULL);
	if (x->on_done)
		x->on_done(j->sec, j->item, r->verdict, r->message, rc, x->user);
	free(j->actor);
	free(j);
}

/* Where notify entry I delivers, with the run's variables in place
 * (malloc'd), or NULL after saying that EV does not go there. */
static char *notify_target(struct exec *x, size_t i, enum checklist_notify_event ev)
{
	const struct checklist_notify *to = &x->s->cl->notify[i];
	char *missing = NULL;
	char *where = expand_string(checklist_notify_target(to), vars_lookup, x->vars, &missing);
	if (!where) /* an unset variable disables that entry: say so, every time */
		reporter_say(&x->s->report, "note: %s was not notified: ${%s} is not set in this environment",
			checklist_notify_event_name(ev), missing ? missing : "?");
	else if (to->url && !x->net && net_libcurl_error())
		reporter_say(&x->s->report, "note: %s was not notified: webhooks need %s",
			checklist_notify_event_name(ev), net_libcurl_error());
	else if (to->url && !x->net)
		reporter_say(&x->s->report, "note: %s was not notified: libcurl could not be set up",
			checklist_notify_event_name(ev));
	free(missing);
	if (where && to->url && !x->net) {
		free(where);
		return NULL;
	}
	return where;
}

static void post(struct exec *x, size_t i, const char *url, enum checklist_notify_event ev, const char *text,
	const char *details)
{
	char *err = NULL;
	if (net_notify(x->net, &x->s->cl->notify[i], url, ev, text, details, &err) < 0)
		reporter_say(&x->s->report, "notification not sent: %s", err ? err : "bad webhook");
	free(err);
}

/* A checkpoint that did not reach FILE (NULL: a webhook's) is recorded as
 * a failed delivery, later: this runs inside the session's append. */
static void checkpoint_failed(struct exec *x, const char *file, const char *error)
{
	reporter_say(&x->s->report, "notification of checkpoint failed: %s", error);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "event", checklist_notify_event_name(NOTIFY_CHECKPOINT));
	if (file)
		cJSON_AddStringToObject(p, "file", file);
	cJSON_AddNumberToObject(p, "attempts", 1);
	cJSON_AddNumberToObject(p, "status", 0);
	cJSON_AddStringToObject(p, "error", error);
	strvec_push_owned(&x->failed, event_payload_print(p));
	cJSON_Delete(p);
}

/* A run completed: its checkpoint, taken now (after the ending was
 * recorded), goes to every entry listing "checkpoint": appended to files,
 * posted to webhooks with the text in the details. */
static void deliver_checkpoint(struct exec *x, const char *details)
{
	const struct checklist *cl = x->s->cl;
	bool wanted = false;
	for (size_t i = 0; i < cl->n_notify; i++)
		wanted |= (cl->notify[i].events & (1u << NOTIFY_CHECKPOINT)) != 0;
	if (!wanted)
		return;
	char *cp = NULL;
	if (session_checkpoint(x->s, x->s->run.id, &cp) != CS_OK || !cp) {
		for (size_t i = 0; i < cl->n_notify; i++)
			if (cl->notify[i].events & (1u << NOTIFY_CHECKPOINT))
				checkpoint_failed(x, cl->notify[i].file, "the record gave no checkpoint");
		free(cp);
		return;
	}
	cJSON *d = cJSON_Parse(details ? details : "{}");
	if (!cJSON_IsObject(d)) {
		cJSON_Delete(d);
		d = cJSON_CreateObject();
	}
	cJSON_AddStringToObject(d, "checkpoint", cp);
	char *with_cp = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	char *text = xasprintf("countersign · %s · run %s: completed; its checkpoint:\n```\n%s```", cl->title,
		x->s->run.id, cp);
	char *appended = xasprintf("%s\n", cp); /* a blank line between checkpoints */
	for (size_t i = 0; i < cl->n_notify; i++) {
		if (!(cl->notify[i].events & (1u << NOTIFY_CHECKPOINT)))
			continue;
		char *where = notify_target(x, i, NOTIFY_CHECKPOINT), *err = NULL;
		if (where && cl->notify[i].url)
			post(x, i, where, NOTIFY_CHECKPOINT, text, with_cp);
		else if (where && !net_notify_file(where, appended, &err))
			checkpoint_failed(x, where, err);
		free(err);
		free(where);
	}
	free(appended);
	free(text);
	free(with_cp);
	free(cp);
}

/* The session's notifications go to every notify entry listing the event. */
static void deliver(void *data, enum checklist_notify_event ev, const char *text, const char *details)
{
	struct exec *x = data;
	const struct checklist *cl = x->s->cl;
	for (size_t i = 0; i < cl->n_notify; i++) {
		if (!cl->notify[i].url || !(cl->notify[i].events & (1u << ev)))
			continue;
		char *url = notify_target(x, i, ev);
		if (url)
			post(x, i, url, ev, text, details);
		free(url);
	}
	if (ev == NOTIFY_RUN_COMPLETED)
		deliver_checkpoint(x, details);
}

/* Records the failed deliveries to files that deliver_checkpoint kept
 * (outside the session's append that caused them). */
static void record_failed_notices(struct exec *x)
{
	for (size_t k = 0; k < x->failed.n && x->s->have_run; k++) {
		struct event ev;
		session_origin(&ev, "system");
		ev.kind = xstrdup(EV_NOTIFY_FAILED);
		free(ev.payload);
		ev.payload = xstrdup(x->failed.v[k]);
		session_append(x->s, &ev, 1, NULL, 0);
		event_clear(&ev);
	}
	strvec_clear(&x->failed);
}

/* A failed delivery is part of the record; it never fails the run. */
static void on_notified(int id, const struct net_delivery *d, void *user)
{
	(void)id;
	struct exec *x = user;
	if (d->ok || !x->s->have_run)
		return;
	struct event ev;
	session_origin(&ev, "system");
	ev.kind = xstrdup(EV_NOTIFY_FAILED);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "event", d->event ? d->event : "");
	cJSON_AddStringToObject(p, "url", d->url ? d->url : "");
	cJSON_AddNumberToObject(p, "attempts", d->attempts);
	cJSON_AddNumberToObject(p, "status", (double)d->status);
	cJSON_AddStringToObject(p, "error", d->error ? d->error : "");
	free(ev.payload);
	ev.payload = event_payload_print(p);  /* an error may quote a server's answer */
	cJSON_Delete(p);
	session_append(x->s, &ev, 1, NULL, 0);
	event_clear(&ev);
	reporter_say(&x->s->report, "notification of %s to %s failed: %s", d->event ? d->event : "?",
		d->url ? d->url : "?", d->error ? d->error : "no answer");
}
