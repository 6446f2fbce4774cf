#include "cli/opts.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/cli_text.h"
#include "countersign/event.h"
#include "countersign/expand.h"
#include "countersign/util.h"

/* A variables file is a few lines; anything larger is a mistake. */
#define VAR_FILE_MAX (1 << 20)

static const struct option all_options[] = {
	{"engineer", required_argument, NULL, 'e'},
	{"var", required_argument, NULL, 'v'},
	{"var-file", required_argument, NULL, 'V'},
	{"title", required_argument, NULL, 't'},
	{"reason", required_argument, NULL, 'r'},
	{"incident", required_argument, NULL, 'i'},
	{"comment", required_argument, NULL, 'c'},
	{"note", required_argument, NULL, 'n'},
	{"anchor", required_argument, NULL, 'a'},
	{"full-name", required_argument, NULL, 'f'},
	{"run", required_argument, NULL, 'u'},
	{"pin-stdin", no_argument, NULL, 'P'},
	{"yes", no_argument, NULL, 'y'},
	{"json", no_argument, NULL, 'j'},
	{"all", no_argument, NULL, 'A'},
	{"reject", no_argument, NULL, 'R'},
	{"meaning", required_argument, NULL, 'm'},  /* sign: performed, reviewed, approved, rejected */
	{"fail", no_argument, NULL, 'F'},
	{"recover", no_argument, NULL, 'W'},
	{"cancel", no_argument, NULL, 'K'},
	{"value", required_argument, NULL, 'L'},
	{"request", no_argument, NULL, 'Q'},
	{"confirm", no_argument, NULL, 'M'},
	{"format", required_argument, NULL, 'T'},
	{"output", required_argument, NULL, 'o'},  /* also -o */
	{"since", required_argument, NULL, 'S'},
	{"until", required_argument, NULL, 'U'},
	{"kind", required_argument, NULL, 'k'},
	{"checkpoint", required_argument, NULL, 'C'},
	{"role", required_argument, NULL, 'G'},    /* engineer add: a role to grant, repeatable */
	{"by", required_argument, NULL, 'B'},      /* engineer add|role: an approver, twice */
	{"add", required_argument, NULL, 'D'},     /* engineer role: the role to grant */
	{"remove", required_argument, NULL, 'X'},  /* engineer role: the role to remove */
	{0, 0, 0, 0},
};

/* Whether NAME is in ALLOWED, and whether it may repeat ("name+"). */
static bool allowed_name(const char *allowed, const char *name, bool *repeats)
{
	size_t len = strlen(name);
	for (const char *p = allowed; (p = strstr(p, name)); p += len) {
		if (p != allowed && p[-1] != ' ')
			continue;
		const char *end = p + len;
		bool plus = *end == '+';
		if (plus)
			end++;
		if (*end == ' ' || *end == '\0') {
			if (repeats)
				*repeats = plus;
			return true;
		}
	}
	return false;
}

static void wipe_var(struct opts *o, int k)
{
	/* the copies are the options' own: const only for vars_assign */
	char *v = (char *)o->vars[k];
	sodium_memzero(v, strlen(v));
	free(v);
	free(o->var_origins[k]);
}

void opts_drop_var(struct opts *o, int k)
{
	assert(k >= 0 && k < o->n_vars);
	wipe_var(o, k);
	for (int i = k + 1; i < o->n_vars; i++) {
		o->vars[i - 1] = o->vars[i];
		o->var_origins[i - 1] = o->var_origins[i];
	}
	o->n_vars--;
}

void opts_clear(struct opts *o)
{
	for (int i = 0; i < o->n_vars; i++)
		wipe_var(o, i);
	free(o->vars);
	free(o->var_origins);
	o->vars = NULL;
	o->var_origins = NULL;
	o->n_vars = 0;
}

/* Adds a copy of ASSIGN ("NAME=VALUE") from ORIGIN; refuses a NAME given
 * before, since only one of the two values could be used. */
static bool add_var(const char *command, struct opts *o, const char *assign, size_t len, char *origin)
{
	const char *eq = memchr(assign, '=', len);
	size_t name_len = eq ? (size_t)(eq - assign) : len;
	for (int i = 0; i < o->n_vars; i++) {
		const char *other = o->vars[i];
		if (strncmp(other, assign, name_len) == 0 && (other[name_len] == '=' || other[name_len] == '\0')) {
			cli_error(command, "variable %.*s is given twice (%s and %s); give it once", (int)name_len,
				assign, o->var_origins[i], origin);
			free(origin);
			return false;
		}
	}
	o->vars = xreallocarray(o->vars, (size_t)o->n_vars + 1, sizeof(*o->vars));
	o->var_origins = xreallocarray(o->var_origins, (size_t)o->n_vars + 1, sizeof(*o->var_origins));
	o->vars[o->n_vars] = xstrndup(assign, len);
	o->var_origins[o->n_vars] = origin;
	o->n_vars++;
	return true;
}

/* Takes a --var assignment and wipes its value from the command line. */
static bool take_var(const char *command, struct opts *o, char *arg)
{
	bool ok = add_var(command, o, arg, strlen(arg), xstrdup("--var"));
	char *eq = strchr(arg, '=');
	char *value = eq ? eq + 1 : arg;
	sodium_memzero(value, strlen(value));
	return ok;
}

/* Reads all of FD into a malloc'd buffer, wiping every copy it leaves
 * behind as it grows. Returns NULL (errno set) on an error or a file over
 * VAR_FILE_MAX. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n == cap) {
			if (cap >= VAR_FILE_MAX) {
				errno = EFBIG;
				break;
			}
			char *bigger = xmalloc(cap * 2);
			memcpy(bigger, buf, n);
			sodium_memzero(buf, cap);
			free(buf);
			buf = bigger;
			cap *= 2;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		if (got == 0) {
			*len = n;
			return buf;
		}
		n += (size_t)got;
	}
	sodium_memzero(buf, cap);
	free(buf);
	return NULL;
}

/* Adds each line of DATA: NAME=VALUE (the value is the rest of the line, as
 * it is), a blank line, or a comment starting with '#'. */
static bool parse_var_lines(const char *command, const char *path, const char *data, size_t len, struct opts *o)
{
	size_t line_no = 0;
	for (size_t at = 0; at < len;) {
		const char *line = data + at;
		const char *nl = memchr(line, '\n', len - at);
		size_t line_len = nl ? (size_t)(nl - line) : len - at;
		at += line_len + (nl ? 1 : 0);
		line_no++;
		if (line_len && line[line_len - 1] == '\r')
			line_len--;
		size_t skip = 0;
		while (skip < line_len && (line[skip] == ' ' || line[skip] == '\t'))
			skip++;
		if (skip == line_len || line[skip] == '#')
			continue;
		const char *eq = memchr(line + skip, '=', line_len - skip);
		if (!eq || !expand_valid_name(line + skip, (size_t)(eq - line - skip))) {
			/* the line itself is not shown: it may hold a secret */
			cli_error(command, "%s:%zu: not a NAME=VALUE line (NAME: letters, digits and _; "
				"comments start with #)", path, line_no);
			return false;
		}
		if (!add_var(command, o, line + skip, line_len - skip, xasprintf("%s:%zu", path, line_no)))
			return false;
	}
	return true;
}

/* --var-file PATH: the safe way to give secrets, as they never appear on a
 * command line. */
static bool read_var_file(const char *command, const char *path, struct opts *o)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		cli_error(command, "cannot read the variables file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	/* A pipe (--var-file <(...)) is private; a regular file others can read is
	 * worth a word, though it may hold no secret at all. */
	if (S_ISREG(st.st_mode) && (st.st_mode & (S_IRGRP | S_IROTH)))
		fprintf(stderr, "countersign: %s: warning: %s can be read by other users (mode %04o); "
			"'chmod 600 %s' if it holds secrets\n", command, cli_safe(path), (unsigned)(st.st_mode & 07777),
			cli_safe(path));
	size_t len = 0;
	char *data = read_all(fd, &len);
	int err = errno;
	close(fd);
	if (!data) {
		cli_error(command, "cannot read the variables file %s: %s", path,
			err == EFBIG ? "larger than 1 MiB" : strerror(err));
		return false;
	}
	bool ok = parse_var_lines(command, path, data, len, o);
	sodium_memzero(data, len);
	free(data);
	return ok;
}

static const struct option *option_of(int c)
{
	for (const struct option *p = all_options; p->name; p++)
		if (p->val == c)
			return p;
	return NULL;
}

/* Reports a bad option; returns false. getopt_long returns '?' for an
 * unknown option (optopt 0 for a long one, the letter for a short one) and
 * for a known one without its value or with a value it does not take
 * (optopt its code): each is said as what it is. */
static bool bad_option(const char *command, const char *usage, int c, const struct option *opt,
	const char *allowed, const char *arg)
{
	bool is_long = strncmp(arg, "--", 2) == 0;
	if (c == '?')
		opt = optopt && (is_long || optopt == 'o') ? option_of(optopt) : NULL;
	const char *eq = strchr(arg, '=');
	if (!opt)
		cli_error(command, "unknown option \"%s\"; usage: %s", arg, usage);
	else if (!allowed_name(allowed, opt->name, NULL))
		cli_error(command, "option --%s does not apply here; usage: %s", opt->name, usage);
	else if (c == '?' && opt->has_arg == no_argument && is_long && eq)
		cli_error(command, "%.*s takes no value; usage: %s", (int)(eq - arg), arg, usage);
	else if (c == '?')
		cli_error(command, "%s needs a value; usage: %s", arg, usage);
	else
		cli_error(command, "bad option \"%s\"; usage: %s", arg, usage);
	return false;
}

/* Adds optarg to a repeatable option's LIST of *N. */
static bool take_list(const char *command, const char *name, const char **list, int *n)
{
	if (*n >= OPTS_MAX_LIST) {
		cli_error(command, "too many %s options", name);
		return false;
	}
	list[(*n)++] = optarg;
	return true;
}

static bool take_option(const char *command, int c, struct opts *o)
{
	switch (c) {
	case 'e':
		if (o->n_engineers >= OPTS_MAX_LIST) {
			cli_error(command, "too many --engineer options");
			return false;
		}
		o->engineers[o->n_engineers++] = optarg;
		return true;
	case 'v': return take_var(command, o, optarg);
	case 'V': return read_var_file(command, optarg, o);
	case 't': o->title = optarg; break;
	case 'r': o->reason = optarg; break;
	case 'i': o->incident = optarg; break;
	case 'c': o->comment = optarg; break;
	case 'n': o->note = optarg; break;
	case 'a': o->anchor = optarg; break;
	case 'f': o->full_name = optarg; break;
	case 'u': o->run = optarg; break;
	case 'P': o->pin_stdin = true; break;
	case 'y': o->yes = true; break;
	case 'j': o->json = true; break;
	case 'A': o->all = true; break;
	case 'R': o->reject = true; break;
	case 'm': o->meaning = optarg; break;
	case 'F': o->fail = true; break;
	case 'W': o->recover = true; break;
	case 'K': o->cancel = true; break;
	case 'L': o->value = optarg; break;
	case 'Q': o->request = true; break;
	case 'M': o->confirm = true; break;
	case 'T': o->format = optarg; break;
	case 'o': o->output = optarg; break;
	case 'S': o->since = optarg; break;
	case 'U': o->until = optarg; break;
	case 'k': o->kind = optarg; break;
	case 'C': o->checkpoint = optarg; break;
	case 'G': return take_list(command, "--role", o->roles, &o->n_roles);
	case 'B': return take_list(command, "--by", o->by, &o->n_by);
	case 'D': o->add_role = optarg; break;
	case 'X': o->remove_role = optarg; break;
	}
	return true;
}

static bool parse(const char *command, const char *usage, int argc, char **argv,
	const char *allowed, int max_pos, struct opts *o)
{
	bool seen[128] = {false};
	optind = 1;
	opterr = 0;
	int c, index = 0;
	/* -o is the one short option (--output): allowed where "output" is */
	while ((c = getopt_long(argc, argv, "-o:", all_options, &index)) != -1) {
		if (c == 1) {
			if (o->n_pos >= max_pos || o->n_pos >= OPTS_MAX_POS) {
				cli_error(command, "unexpected argument \"%s\"; usage: %s", optarg, usage);
				return false;
			}
			o->pos[o->n_pos++] = optarg;
			continue;
		}
		const struct option *opt = option_of(c);
		bool repeats = false;
		if (c == '?' || c == ':' || !opt || !allowed_name(allowed, opt->name, &repeats))
			return bad_option(command, usage, c, opt, allowed, argv[optind - 1]);
		assert(c > 0 && c < 128);
		if (seen[c] && !repeats) {
			/* one value would be silently lost: say so rather than pick one */
			cli_error(command, "--%s is given more than once; give it once; usage: %s", opt->name, usage);
			return false;
		}
		seen[c] = true;
		if (!take_option(command, c, o))
			return false;
	}
	return true;
}

bool opts_text_valid(const char *command, const char *what, const char *text)
{
	char *bad = event_text_invalid(what, text, false);
	if (!bad)
		return true;
	cli_error(command, "%s; the record holds only UTF-8 text (type it again in a UTF-8 terminal)", bad);
	free(bad);
	return false;
}

/* The options whose text goes into the record as typed: refused before a
 * PIN is asked or anything is recorded when not UTF-8. */
static bool texts_valid(const char *command, const struct opts *o)
{
	const struct {
		const char *name, *text;
	} texts[] = {
		{"--title", o->title}, {"--reason", o->reason}, {"--incident", o->incident},
		{"--comment", o->comment}, {"--note", o->note}, {"--full-name", o->full_name}, {"--value", o->value},
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (!opts_text_valid(command, texts[i].name, texts[i].text))
			return false;
	return true;
}

bool opts_parse(const char *command, const char *usage, int argc, char **argv,
	const char *allowed, int max_pos, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	if (parse(command, usage, argc, argv, allowed, max_pos, o) && texts_valid(command, o))
		return true;
	opts_clear(o);
	return false;
}
