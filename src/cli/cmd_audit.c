/* countersign audit [--run ID] [--engineer NAME] [--since DATE] [--until DATE]
 * [--kind KIND] [--json]: the record across runs, oldest first, one line per
 * event (or one JSON document), read-only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli_session.h"
#include "cli/cli_text.h"
#include "cli/opts.h"
#include "countersign/audit.h"
#include "countersign/sanitize.h"
#include "countersign/util.h"

#define AUDIT_USAGE "countersign audit [--run ID] [--engineer NAME] [--since DATE] [--until DATE] [--kind KIND] [--json]"
#define DATE_FORMS "YYYY-MM-DD, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS, in UTC (a trailing Z is allowed)"

static const char *const kinds[] = {
	EV_RUN_STARTED, EV_CHECK_STARTED, EV_CHECK_FINISHED, EV_ATTESTED, EV_WAIVED, EV_CHOSEN, EV_SIGNED,
	EV_OVERRIDE, EV_OVERRIDE_REQUESTED, EV_NOTE, EV_RUN_ABORTED, EV_RUN_COMPLETED, EV_NOTIFY_FAILED,
	EV_ENGINEER_ADDED, EV_PIN_CHANGED, EV_PIN_FAILED, EV_PIN_LOCKED,
};

static char *kind_list(void)
{
	struct strbuf sb = {0};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", kinds[i]);
	return strbuf_detach(&sb);
}

/* Checks the filters that do not need the database. */
static int check_filters(const struct opts *o, struct store_audit_filter *f)
{
	if (o->kind && !event_kind_known(o->kind)) {
		char *list = kind_list();
		cli_error("audit", "--kind %s: not a kind of event; one of %s", o->kind, list);
		free(list);
		return CS_INVALID;
	}
	f->kind = o->kind;
	if (o->since && !audit_parse_date(o->since, false, &f->since_us)) {
		cli_error("audit", "--since %s: not a date; give " DATE_FORMS, o->since);
		return CS_INVALID;
	}
	if (o->until && !audit_parse_date(o->until, true, &f->until_us)) {
		cli_error("audit", "--until %s: not a date; give " DATE_FORMS, o->until);
		return CS_INVALID;
	}
	if (o->since && o->until && f->since_us >= f->until_us) {
		cli_error("audit", "--since %s is after --until %s: no event could match; swap them", o->since,
			o->until);
		return CS_INVALID;
	}
	return CS_OK;
}

/* Checks the names against the record: a typo must not read as "nothing
 * happened". */
static int check_names(struct session *s, const struct opts *o, struct store_audit_filter *f)
{
	if (o->n_engineers && strcmp(o->engineers[0], SESSION_SYSTEM_ACTOR) != 0) {
		struct store_engineer e;
		int rc = session_engineer(s, o->engineers[0], &e);
		store_engineer_clear(&e);
		if (rc == CS_INVALID) {
			cli_error("audit", "--engineer %s: no engineer of that name is registered; "
				"'countersign engineer list' lists them", o->engineers[0]);
			return CS_INVALID;
		}
		if (rc != CS_OK) {
			cli_error("audit", "cannot read the engineers: %s", session_store_error(s));
			return CS_ENV;
		}
	}
	f->engineer = o->n_engineers ? o->engineers[0] : NULL;
	if (o->run && strcmp(o->run, EVENT_CHAIN_ENGINEERS) != 0) {
		struct store_run_row r;
		int rc = session_run(s, o->run, &r);
		store_run_row_clear(&r);
		if (rc == CS_INVALID) {
			cli_error("audit", "--run %s: no such run; 'countersign runs --all' lists them", o->run);
			return CS_INVALID;
		}
		if (rc != CS_OK) {
			cli_error("audit", "cannot read the runs: %s", session_store_error(s));
			return CS_ENV;
		}
	}
	f->run = o->run;
	return CS_OK;
}

struct printer {
	bool json, terminal;
	unsigned flags; /* of the sanitiser, for a terminal that is not UTF-8 */
	size_t count;
};

static bool print_line(void *user, const struct store_audit_entry *e)
{
	struct printer *p = user;
	char *line = audit_line(e);
	if (p->flags) {
		char *ascii = sanitize_text(line, strlen(line), p->flags);
		free(line);
		line = ascii;
	}
	fputs(line, stdout);
	putchar('\n');
	free(line);
	p->count++;
	return true;
}

/* One object a line inside the document's "events" array. */
static bool print_json(void *user, const struct store_audit_entry *e)
{
	struct printer *p = user;
	cJSON *o = audit_json(e);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!text)
		abort();
	if (p->count && p->terminal) {
		cli_put_json(",");
	} else if (p->count) {
		putchar(',');
	}
	cli_put_json(text); /* exact to a pipe or a file, made safe on a terminal */
	cJSON_free(text);
	p->count++;
	return true;
}

static void add_filter(cJSON *filters, const char *name, const char *value)
{
	if (value)
		cJSON_AddStringToObject(filters, name, value);
	else
		cJSON_AddNullToObject(filters, name);
}

/* The head of the JSON document: the filters as given, and the opening of
 * the events array, which is written an event at a time. */
static void json_head(const struct opts *o)
{
	cJSON *filters = cJSON_CreateObject();
	add_filter(filters, "run", o->run);
	add_filter(filters, "engineer", o->n_engineers ? o->engineers[0] : NULL);
	add_filter(filters, "kind", o->kind);
	add_filter(filters, "since", o->since);
	add_filter(filters, "until", o->until);
	char *text = cJSON_PrintUnformatted(filters);
	cJSON_Delete(filters);
	char *head = xasprintf("{\"filters\":%s,\"events\":[", text);
	cli_put_json(head);
	free(head);
	cJSON_free(text);
}

int cmd_audit(const struct cli_global *g, int argc, char **argv)
{
	struct opts o;
	if (!opts_parse("audit", AUDIT_USAGE, argc, argv, "run engineer since until kind json", 0, &o))
		return CS_INVALID;
	struct store_audit_filter f = {0};
	int rc = check_filters(&o, &f);
	if (rc != CS_OK)
		goto out;
	struct session s;
	rc = cli_session_open_read(&s, g, "audit");
	if (rc != CS_OK)
		goto out;
	rc = check_names(&s, &o, &f);
	if (rc != CS_OK)
		goto close;
	struct printer p = {.json = o.json, .terminal = isatty(STDOUT_FILENO), .flags = cli_text_flags()};
	if (o.json)
		json_head(&o);
	int got = session_audit_each(&s, &f, o.json ? print_json : print_line, &p);
	if (o.json) {
		char *tail = xasprintf("],\"count\":%zu}", p.count);
		cli_put_json(tail);
		free(tail);
	} else if (got == CS_OK && p.count == 0) {
		puts("no events match");
	}
	if (got == CS_INVALID) {
		cli_error("audit", "%s", session_store_error(&s));
		rc = CS_INVALID;
	} else if (got != CS_OK) {
		cli_error("audit", "cannot read the record: %s", session_store_error(&s));
		rc = CS_ENV;
	}
close:
	session_close(&s);
out:
	opts_clear(&o);
	return rc;
}
