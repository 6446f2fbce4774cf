#include "cli/opts.h"

#include <getopt.h>
#include <string.h>

#include "cli/cli.h"

static const struct option all_options[] = {
	{"engineer", required_argument, NULL, 'e'},
	{"var", required_argument, NULL, 'v'},
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
	{"fail", no_argument, NULL, 'F'},
	{0, 0, 0, 0},
};

static bool allowed_name(const char *allowed, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = allowed; (p = strstr(p, name)); p += len)
		if ((p == allowed || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
			return true;
	return false;
}

bool opts_parse(const char *command, const char *usage, int argc, char **argv,
	const char *allowed, int max_pos, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	int c, index = 0;
	while ((c = getopt_long(argc, argv, "-", all_options, &index)) != -1) {
		if (c == 1) {
			if (o->n_pos >= max_pos || o->n_pos >= OPTS_MAX_POS) {
				cli_error(command, "unexpected argument \"%s\"; usage: %s", optarg, usage);
				return false;
			}
			o->pos[o->n_pos++] = optarg;
			continue;
		}
		const struct option *opt = NULL;
		for (const struct option *p = all_options; p->name; p++)
			if (p->val == c)
				opt = p;
		if (c == '?' || c == ':' || !opt || !allowed_name(allowed, opt->name)) {
			const char *bad = argv[optind - 1];
			if (c == '?' && optopt && opt == NULL)
				cli_error(command, "unknown option \"%s\"; usage: %s", bad, usage);
			else if (opt && !allowed_name(allowed, opt->name))
				cli_error(command, "option --%s does not apply here; usage: %s", opt->name, usage);
			else
				cli_error(command, "bad option \"%s\" (a value missing?); usage: %s", bad, usage);
			return false;
		}
		switch (c) {
		case 'e':
			if (o->n_engineers < OPTS_MAX_LIST)
				o->engineers[o->n_engineers++] = optarg;
			break;
		case 'v':
			if (o->n_vars < OPTS_MAX_LIST)
				o->vars[o->n_vars++] = optarg;
			break;
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
		case 'F': o->fail = true; break;
		}
	}
	return true;
}
