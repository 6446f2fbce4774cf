/* countersign engineer add / role / pin / list */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "cli/opts.h"
#include "cli/cli_session.h"
#include "cli/cli_text.h"
#include "countersign/clock.h"
#include "countersign/util.h"

/* Wipes and frees a PIN read; NULL is a no-op. */
static void pin_free(char *pin)
{
	if (!pin)
		return;
	sodium_memzero(pin, strlen(pin));
	free(pin);
}

/* The roles and approvers of engineer add: every --role valid and given
 * once, and two approvers other than NAME exactly when roles are given. */
static int check_add_roles(struct session *s, const char *name, const struct opts *o)
{
	for (int i = 0; i < o->n_roles; i++) {
		if (session_check_role(&s->report, o->roles[i]) != CS_OK)
			return CS_INVALID;
		for (int k = 0; k < i; k++) {
			if (strcmp(o->roles[k], o->roles[i]) == 0) {
				cli_error("engineer add", "--role %s is given twice; give it once", o->roles[i]);
				return CS_INVALID;
			}
		}
	}
	if (o->n_roles == 0 && o->n_by == 0)
		return CS_OK;
	if (o->n_roles == 0 || o->n_by != 2) {
		cli_error("engineer add", o->n_roles ? "roles are granted with two other engineers' PINs: give --by A "
			"--by B" : "--by names who approves the roles given with --role; give --role too");
		return CS_INVALID;
	}
	return session_check_role_approvers(&s->report, name, o->by[0], o->by[1]);
}

/* Each of the N engineers NAMES is registered; says which is not. */
static int check_registered(struct session *s, const char *command, const char *const *names, int n)
{
	for (int i = 0; i < n; i++) {
		struct store_engineer e = {0};
		int rc = session_engineer(s, names[i], &e);
		store_engineer_clear(&e);
		if (rc == CS_INVALID)
			cli_error(command, "unknown engineer \"%s\"; 'countersign engineer list' lists them", names[i]);
		else if (rc != CS_OK)
			cli_error(command, "cannot read engineer %s: %s", names[i], session_store_error(s));
		if (rc != CS_OK)
			return rc;
	}
	return CS_OK;
}

/* The PINs of the two approvers O->by, in that order, checked in S. */
static int authenticate_approvers(struct session *s, const char *command, const struct opts *o)
{
	int rc = CS_OK;
	for (int i = 0; i < o->n_by && rc == CS_OK; i++)
		rc = cli_authenticate(s, command, o->by[i], o->pin_stdin);
	return rc;
}

/* Grants O->roles to NAME, just registered, approved by O->by. */
static int grant_roles(struct session *s, const char *name, const struct opts *o)
{
	for (int i = 0; i < o->n_roles; i++) {
		int rc = session_set_role(s, name, o->roles[i], true, o->by[0], o->by[1]);
		if (rc != CS_OK) {
			cli_error("engineer add", "%s is registered, but without the role %s%s; grant it with "
				"'countersign engineer role %s --add %s --by A --by B'", name, o->roles[i],
				i ? " and the ones after it" : "", name, o->roles[i]);
			return rc;
		}
		printf("granted %s the role %s (approved by %s and %s)\n", cli_safe(name), cli_safe(o->roles[i]),
			cli_safe(o->by[0]), cli_safe(o->by[1]));
	}
	return CS_OK;
}

static int engineer_add(const struct cli_global *g, int argc, char **argv)
{
	const char *usage = "countersign engineer add NAME --full-name TEXT [--role ROLE]... [--by A --by B] "
		"[--pin-stdin]";
	struct opts o;
	if (!opts_parse("engineer add", usage, argc, argv, "full-name pin-stdin role+ by+", 1, &o))
		return CS_INVALID;
	if (o.n_pos != 1 || !o.full_name || !o.full_name[0]) {
		cli_error("engineer add", "need NAME and --full-name; usage: %s", usage);
		return CS_INVALID;
	}
	const char *name = o.pos[0];
	struct session s;
	cli_session_init(&s, "engineer add");
	if (session_check_new_engineer(&s.report, name, o.full_name) != CS_OK)
		return CS_INVALID;
	int rc = check_add_roles(&s, name, &o);
	if (rc != CS_OK)
		return rc;
	rc = cli_session_open(&s, g, "engineer add");
	if (rc != CS_OK)
		return rc;
	char *pin = NULL, *again = NULL;
	struct store_engineer existing = {0};
	if (session_engineer(&s, name, &existing) == CS_OK) {
		cli_error("engineer add", "engineer \"%s\" already exists; short names are never reused", name);
		rc = CS_INVALID;
		goto out;
	}
	if ((rc = check_registered(&s, "engineer add", o.by, o.n_by)) != CS_OK)
		goto out;
	/* with --pin-stdin: the new engineer's PIN, then each approver's */
	rc = CS_INVALID;
	pin = cli_read_pin("engineer add", o.pin_stdin, name, "New PIN (at least 6 characters): ");
	if (!pin || session_check_new_pin(&s.report, pin) != CS_OK)
		goto out;
	if (!o.pin_stdin) {
		again = cli_read_pin("engineer add", false, name, "Repeat the PIN: ");
		if (!again || strcmp(again, pin) != 0) {
			cli_error("engineer add", "the two PINs differ; nothing was registered");
			goto out;
		}
	}
	/* The approvers first: a wrong PIN registers nothing. */
	if ((rc = authenticate_approvers(&s, "engineer add", &o)) != CS_OK)
		goto out;
	rc = session_add_engineer(&s, name, o.full_name, pin);
	if (rc == CS_OK) {
		printf("registered %s (%s)\n", cli_safe(name), cli_safe(o.full_name));
		rc = grant_roles(&s, name, &o);
	}
out:
	store_engineer_clear(&existing);
	pin_free(pin);
	pin_free(again);
	session_close(&s);
	return rc;
}

/* engineer role NAME --add ROLE | --remove ROLE --by A --by B */
static int engineer_role(const struct cli_global *g, int argc, char **argv)
{
	const char *usage = "countersign engineer role NAME --add ROLE | --remove ROLE --by A --by B [--pin-stdin]";
	struct opts o;
	if (!opts_parse("engineer role", usage, argc, argv, "add remove by+ pin-stdin", 1, &o))
		return CS_INVALID;
	if (o.n_pos != 1 || !o.add_role == !o.remove_role || o.n_by != 2) {
		cli_error("engineer role", "need NAME, one of --add or --remove, and two approvers --by A --by B; "
			"usage: %s", usage);
		return CS_INVALID;
	}
	const char *name = o.pos[0], *role = o.add_role ? o.add_role : o.remove_role;
	bool add = o.add_role != NULL;
	struct session s;
	cli_session_init(&s, "engineer role");
	if (session_check_role(&s.report, role) != CS_OK)
		return CS_INVALID;
	int rc = session_check_role_approvers(&s.report, name, o.by[0], o.by[1]);
	if (rc != CS_OK)
		return rc;
	if ((rc = cli_session_open(&s, g, "engineer role")) != CS_OK)
		return rc;
	const char *names[3] = {name, o.by[0], o.by[1]};
	struct store_engineer e = {0};
	if ((rc = check_registered(&s, "engineer role", names, 3)) != CS_OK)
		goto out;
	/* Said before any PIN is asked; the record checks it again. */
	if ((rc = session_engineer(&s, name, &e)) == CS_OK && add == store_engineer_has_role(&e, role)) {
		cli_error("engineer role", add ? "%s already holds the role %s; nothing was recorded"
			: "%s does not hold the role %s; nothing was recorded", name, role);
		rc = CS_REFUSED;
	}
	if (rc == CS_OK)
		rc = authenticate_approvers(&s, "engineer role", &o);
	if (rc == CS_OK)
		rc = session_set_role(&s, name, role, add, o.by[0], o.by[1]);
	if (rc == CS_OK && add)
		printf("granted %s the role %s (approved by %s and %s)\n", cli_safe(name), cli_safe(role),
			cli_safe(o.by[0]), cli_safe(o.by[1]));
	else if (rc == CS_OK)
		printf("removed the role %s of %s (approved by %s and %s)\n", cli_safe(role), cli_safe(name),
			cli_safe(o.by[0]), cli_safe(o.by[1]));
out:
	store_engineer_clear(&e);
	session_close(&s);
	return rc;
}

static int engineer_pin(const struct cli_global *g, int argc, char **argv)
{
	const char *usage = "countersign engineer pin NAME [--pin-stdin]";
	struct opts o;
	if (!opts_parse("engineer pin", usage, argc, argv, "pin-stdin", 1, &o))
		return CS_INVALID;
	if (o.n_pos != 1) {
		cli_error("engineer pin", "whose PIN? usage: %s", usage);
		return CS_INVALID;
	}
	const char *name = o.pos[0];
	struct session s;
	int rc = cli_session_open(&s, g, "engineer pin");
	if (rc != CS_OK)
		return rc;
	struct store_engineer e = {0};
	if (session_engineer(&s, name, &e) != CS_OK) {
		cli_error("engineer pin", "unknown engineer \"%s\"; 'countersign engineer list' lists them", name);
		session_close(&s);
		return CS_INVALID;
	}
	char *prompt = xasprintf("Current PIN for %s (%s): ", e.name, e.full_name);
	store_engineer_clear(&e);
	/* with --pin-stdin: three lines, the current PIN, the new one, the new one again */
	char *old = cli_read_pin("engineer pin", o.pin_stdin, name, prompt);
	free(prompt);
	char *pin = NULL, *again = NULL;
	rc = CS_INVALID;
	if (!old || !(pin = cli_read_pin("engineer pin", o.pin_stdin, name, "New PIN (at least 6 characters): ")))
		goto out;
	if (session_check_new_pin(&s.report, pin) != CS_OK)
		goto out;
	again = cli_read_pin("engineer pin", o.pin_stdin, name, "Repeat the new PIN: ");
	if (!again)
		goto out;
	if (strcmp(again, pin) != 0) {
		cli_error("engineer pin", "the two new PINs differ; the PIN was not changed");
		goto out;
	}
	rc = session_change_pin(&s, name, old, pin);
	if (rc == CS_OK)
		printf("changed the PIN of %s: the old PIN no longer works; what was signed with it still verifies\n",
			cli_safe(name));
out:
	pin_free(old);
	pin_free(pin);
	pin_free(again);
	session_close(&s);
	return rc;
}

static int engineer_list(const struct cli_global *g, int argc, char **argv)
{
	struct opts o;
	if (!opts_parse("engineer list", "countersign engineer list [--json]", argc, argv, "json", 0, &o))
		return CS_INVALID;
	struct session s;
	int rc = cli_session_open_read(&s, g, "engineer list");
	if (rc != CS_OK)
		return rc;
	struct store_engineer *list = NULL;
	size_t n = 0;
	if (session_engineers(&s, &list, &n) != CS_OK) {
		cli_error("engineer list", "cannot read engineers: %s", session_store_error(&s));
		session_close(&s);
		return CS_ENV;
	}
	if (o.json) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; i < n; i++) {
			cJSON *e = cJSON_CreateObject();
			char when[64];
			clock_format_utc(list[i].created_us, when, sizeof(when));
			cJSON_AddStringToObject(e, "name", list[i].name);
			cJSON_AddStringToObject(e, "full_name", list[i].full_name);
			/* Raw: a double would print a time ending in zeros as 1.79e+15. */
			char created[24];
			snprintf(created, sizeof(created), "%" PRId64, list[i].created_us);
			cJSON_AddRawToObject(e, "created_us", created);
			cJSON *roles = cJSON_AddArrayToObject(e, "roles");
			for (size_t k = 0; k < list[i].n_roles; k++)
				cJSON_AddItemToArray(roles, cJSON_CreateString(list[i].roles[k]));
			cJSON_AddItemToArray(arr, e);
		}
		char *text = cJSON_Print(arr);
		cli_put_json(text);
		free(text);
		cJSON_Delete(arr);
	} else if (n == 0) {
		puts("no engineers yet; register one with 'countersign engineer add NAME --full-name \"...\"'");
	} else {
		for (size_t i = 0; i < n; i++) {
			char when[64];
			clock_format_utc(list[i].created_us, when, sizeof(when));
			struct strbuf roles = {0};
			for (size_t k = 0; k < list[i].n_roles; k++)
				strbuf_addf(&roles, "%s%s", k ? ", " : "", list[i].roles[k]);
			printf("%-16s %-32s registered %s%s%s\n", cli_safe(list[i].name), cli_safe(list[i].full_name), when,
				roles.len ? "  roles: " : "", roles.len ? cli_safe(roles.data) : "");
			strbuf_release(&roles);
		}
	}
	for (size_t i = 0; i < n; i++)
		store_engineer_clear(&list[i]);
	free(list);
	session_close(&s);
	return CS_OK;
}

int cmd_engineer(const struct cli_global *g, int argc, char **argv)
{
	if (argc < 2) {
		cli_error("engineer", "give add, role, pin or list; usage: countersign engineer add|role|pin|list ...");
		return CS_INVALID;
	}
	if (strcmp(argv[1], "add") == 0)
		return engineer_add(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "role") == 0)
		return engineer_role(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "pin") == 0)
		return engineer_pin(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return engineer_list(g, argc - 1, argv + 1);
	cli_error("engineer", "unknown subcommand \"%s\"; use add, role, pin or list", argv[1]);
	return CS_INVALID;
}
