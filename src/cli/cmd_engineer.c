/* countersign engineer add / pin / list */
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

static int engineer_add(const struct cli_global *g, int argc, char **argv)
{
	const char *usage = "countersign engineer add NAME --full-name TEXT [--pin-stdin]";
	struct opts o;
	if (!opts_parse("engineer add", usage, argc, argv, "full-name pin-stdin", 1, &o))
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
	int rc = cli_session_open(&s, g, "engineer add");
	if (rc != CS_OK)
		return rc;
	struct store_engineer existing = {0};
	if (session_engineer(&s, name, &existing) == CS_OK) {
		store_engineer_clear(&existing);
		cli_error("engineer add", "engineer \"%s\" already exists; short names are never reused", name);
		session_close(&s);
		return CS_INVALID;
	}
	char *pin = cli_read_pin("engineer add", o.pin_stdin, name, "New PIN (at least 6 characters): ");
	char *again = NULL;
	rc = CS_INVALID;
	if (!pin)
		goto out;
	if (session_check_new_pin(&s.report, pin) != CS_OK)
		goto out;
	if (!o.pin_stdin) {
		again = cli_read_pin("engineer add", false, name, "Repeat the PIN: ");
		if (!again || strcmp(again, pin) != 0) {
			cli_error("engineer add", "the two PINs differ; nothing was registered");
			goto out;
		}
	}
	rc = session_add_engineer(&s, name, o.full_name, pin);
	if (rc == CS_OK)
		printf("registered %s (%s)\n", cli_safe(name), cli_safe(o.full_name));
out:
	if (pin) {
		sodium_memzero(pin, strlen(pin));
		free(pin);
	}
	if (again) {
		sodium_memzero(again, strlen(again));
		free(again);
	}
	session_close(&s);
	return rc;
}

/* Wipes and frees a PIN read; NULL is a no-op. */
static void pin_free(char *pin)
{
	if (!pin)
		return;
	sodium_memzero(pin, strlen(pin));
	free(pin);
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
			cJSON_AddNumberToObject(e, "created_us", (double)list[i].created_us);
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
			printf("%-16s %-32s registered %s\n", cli_safe(list[i].name), cli_safe(list[i].full_name), when);
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
		cli_error("engineer", "give add, pin or list; usage: countersign engineer add|pin|list ...");
		return CS_INVALID;
	}
	if (strcmp(argv[1], "add") == 0)
		return engineer_add(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "pin") == 0)
		return engineer_pin(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return engineer_list(g, argc - 1, argv + 1);
	cli_error("engineer", "unknown subcommand \"%s\"; use add, pin or list", argv[1]);
	return CS_INVALID;
}
