/* countersign start / runs */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/opts.h"
#include "cli/cli_session.h"
#include "cli/cli_text.h"
#include "countersign/clock.h"
#include "countersign/vars.h"
#include "countersign/expand.h"
#include "countersign/exec.h"
#include "countersign/util.h"

/* Notifications are optional: an unset webhook variable disables them. */
static void warn_unset_notify(const struct var_values *v)
{
	for (size_t n = 0; n < v->cl->n_notify; n++) {
		char *missing = NULL;
		char *url = expand_string(checklist_notify_target(&v->cl->notify[n]), vars_lookup, (void *)v, &missing);
		if (!url && missing)
			fprintf(stderr, "countersign: start: note: ${%s} is not set, so notify entry %zu will not "
				"deliver\n", cli_safe(missing), n + 1);
		free(url);
		free(missing);
	}
}

int cmd_start(const struct cli_global *g, int argc, char **argv)
{
	const char *usage = "countersign start CHECKLIST.json --engineer NAME [--var-file FILE]... "
		"[--var NAME=VALUE]... [--title TEXT] [--pin-stdin]";
	struct opts o;
	if (!opts_parse("start", usage, argc, argv, "engineer var+ var-file+ title pin-stdin", 1, &o))
		return CS_INVALID;
	if (o.n_pos != 1 || o.n_engineers != 1) {
		cli_error("start", "need a checklist and one --engineer; usage: %s", usage);
		opts_clear(&o);
		return CS_INVALID;
	}
	struct diag_list d;
	struct cli_capture diags;
	diag_list_init(&d, o.pos[0]);
	struct checklist *cl = checklist_load_file(o.pos[0], &d);
	diag_list_print(&d, cli_capture_begin(&diags));
	cli_capture_end(&diags, stderr);
	diag_list_clear(&d);
	if (!cl) {
		cli_error("start", "%s does not load; fix the errors above ('countersign lint %s')", o.pos[0], o.pos[0]);
		opts_clear(&o);
		return CS_INVALID;
	}
	struct var_values v = {0};
	struct session s;
	cli_session_init(&s, "start");
	int rc = CS_INVALID;
	if (!vars_assign(&v, cl, o.vars, o.n_vars, true, &s.report))
		goto out;
	vars_from_record(&v, NULL);
	const struct checklist_variable *missing = vars_missing(&v);
	if (missing) {
		cli_error("start", "variable %s (%s) has no value; pass --var %s=...%s", missing->name,
			missing->prompt ? missing->prompt : "no prompt", missing->name,
			missing->secret ? " or set it in the environment" : "");
		goto out;
	}
	if (!vars_check_refs(&v, &s.report))
		goto out;
	warn_unset_notify(&v);
	rc = cli_session_open(&s, g, "start");
	if (rc != CS_OK)
		goto out;
	rc = cli_authenticate(&s, "start", o.engineers[0], o.pin_stdin);
	if (rc != CS_OK)
		goto out;
	rc = session_start_run(&s, cl, &v, o.title, o.engineers[0]);
	if (rc == CS_OK) {
		printf("%s\n", s.run.id);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			/* scripts read the id from standard output: without it the run is
			 * started but lost to them, so name it where it can still be seen */
			cli_error("start", "run %s was started, but its id could not be written to standard output: %s",
				s.run.id, strerror(errno));
			clearerr(stdout);
			rc = CS_ENV;
		}
		struct exec *notifier = cli_notifier_begin(&s, &v);
		session_announce_start(&s, o.engineers[0]);
		cli_notifier_end(notifier);
	}
out:
	session_close(&s);
	vars_clear(&v);
	checklist_destroy(cl);
	opts_clear(&o);
	return rc;
}

/* The current section of open run ID, which only the engine knows: the
 * run is folded (finished runs never are). NULL when it cannot be loaded. */
static char *current_section(struct session *s, const char *id)
{
	struct session rs;
	cli_session_init(&rs, "runs");
	session_open_shared(&rs, s);
	char *current = NULL;
	if (session_load_run(&rs, id) == CS_OK) {
		size_t cur = engine_current_section(rs.eng);
		current = xstrdup(cur != (size_t)-1 && engine_status(rs.eng) == RUN_OPEN ? rs.cl->sections[cur].id : "-");
	}
	session_close(&rs);
	return current;
}

static cJSON *run_json(const struct store_run_row *r, const char *when, const char *current)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", r->id);
	cJSON_AddStringToObject(j, "checklist", r->checklist_id);
	cJSON_AddStringToObject(j, "title", r->title);
	cJSON_AddStringToObject(j, "state", r->state);
	cJSON_AddStringToObject(j, "started", when);
	cJSON_AddNumberToObject(j, "started_us", (double)r->started_us);
	cJSON_AddStringToObject(j, "current_section", current);
	if (r->ended_us)
		cJSON_AddNumberToObject(j, "ended_us", (double)r->ended_us);
	else
		cJSON_AddNullToObject(j, "ended_us");
	cJSON_AddNumberToObject(j, "events", (double)r->events);
	cJSON_AddStringToObject(j, "head", r->head);
	return j;
}

int cmd_runs(const struct cli_global *g, int argc, char **argv)
{
	struct opts o;
	if (!opts_parse("runs", "countersign runs [--all] [--json]", argc, argv, "all json", 0, &o))
		return CS_INVALID;
	struct session s;
	int rc = cli_session_open_read(&s, g, "runs");
	if (rc != CS_OK)
		return rc;
	/* State, end and head come from the derived run table. */
	struct store_run_filter open_only = {.state = "open"};
	struct store_run_row *runs = NULL;
	size_t n = 0;
	if (session_list_runs(&s, o.all ? NULL : &open_only, &runs, &n) != CS_OK) {
		cli_error("runs", "cannot list runs: %s", session_store_error(&s));
		session_close(&s);
		return CS_ENV;
	}
	cJSON *arr = o.json ? cJSON_CreateArray() : NULL;
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		const struct store_run_row *r = &runs[i];
		bool open = strcmp(r->state, "open") == 0;
		char *current = open ? current_section(&s, r->id) : xstrdup("-");
		if (!current)
			current = xstrdup("?"); /* its checklist snapshot or events could not be read */
		char when[64];
		clock_format_utc(r->started_us, when, sizeof(when));
		if (o.json) {
			cJSON_AddItemToArray(arr, run_json(r, when, current));
		} else {
			if (shown == 0)
				printf("%-12s %-24s %-10s %-23s %-24s %s\n", "RUN", "CHECKLIST", "STATE", "STARTED", "CURRENT",
					"TITLE");
			printf("%-12s %-24s %-10s %-23s %-24s %s\n", cli_safe(r->id), cli_safe(r->checklist_id), r->state,
				when, cli_safe(current), cli_safe(r->title));
			/* cli_safe's copies live until the command ends: on a long
			 * list, let them go as it goes */
			if (shown % 1024 == 1023)
				cli_text_release();
		}
		free(current);
		shown++;
	}
	if (o.json) {
		char *json = cJSON_Print(arr);
		cli_put_json(json);
		free(json);
	} else if (shown == 0) {
		puts(o.all ? "no runs yet" : "no open runs ('countersign runs --all' shows finished ones)");
	}
	cJSON_Delete(arr);
	store_run_row_array_free(runs, n);
	session_close(&s);
	opts_clear(&o);
	return CS_OK;
}
