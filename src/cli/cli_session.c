#include "cli/cli_session.h"
#include "cli/cli_text.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "countersign/exec.h"
#include "countersign/util.h"
#include "countersign/vars.h"

static void say(void *data, const char *message)
{
	cli_error((const char *)data, "%s", message);
}

void cli_session_init(struct session *s, const char *command)
{
	memset(s, 0, sizeof(*s));
	s->report.say = say;
	s->report.data = (void *)command;
}

int cli_session_open(struct session *s, const struct cli_global *g, const char *command)
{
	cli_session_init(s, command);
	return session_open_store(s, g->db_path);
}

int cli_session_open_read(struct session *s, const struct cli_global *g, const char *command)
{
	cli_session_init(s, command);
	return session_open_store_mode(s, g->db_path, STORE_READ_ONLY);
}

static char *read_line(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

char *cli_read_pin(const char *command, bool pin_stdin, const char *name, const char *prompt)
{
	if (pin_stdin) {
		char *pin = read_line(stdin);
		if (!pin)
			cli_error(command, "no PIN for %s on standard input (one PIN a line, in the order the "
				"engineers were named)", name);
		return pin;
	}
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		cli_error(command, "no terminal to ask %s's PIN on; use --pin-stdin", name);
		return NULL;
	}
	FILE *tty = fdopen(fd, "r+");
	struct termios old, quiet;
	bool restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	fprintf(tty, "%s", cli_safe(prompt));
	fflush(tty);
	char *pin = read_line(tty);
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	fclose(tty);
	if (!pin)
		cli_error(command, "no PIN given for %s", name);
	return pin;
}

int cli_authenticate(struct session *s, const char *command, const char *name, bool pin_stdin)
{
	struct store_engineer eng = {0};
	char *prompt = NULL;
	if (session_engineer(s, name, &eng) == CS_OK)
		prompt = xasprintf("PIN for %s (%s): ", eng.name, eng.full_name);
	else
		prompt = xasprintf("PIN for %s: ", name);
	store_engineer_clear(&eng);
	char *pin = cli_read_pin(command, pin_stdin, name, prompt);
	free(prompt);
	if (!pin)
		return CS_INVALID;
	int rc = session_check_pin(s, name, pin, command);
	sodium_memzero(pin, strlen(pin));
	free(pin);
	return rc;
}

struct exec *cli_notifier_begin(struct session *s, struct var_values *v)
{
	if (!s->cl || s->cl->n_notify == 0)
		return NULL;
	if (!v->values) {
		vars_assign(v, s->cl, NULL, 0, false, &s->report);
		vars_from_record(v, engine_variables_json(s->eng));
	}
	return exec_create(s, v, NULL, NULL, NULL);
}

void cli_notifier_end(struct exec *x)
{
	if (!x)
		return;
	/* Headless commands end right after recording: give deliveries (and
	 * their retries) a bounded time to land, never failing the command. */
	exec_flush(x, 15000);
	exec_destroy(x);
}
