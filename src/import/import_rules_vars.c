/* Placeholders in commands made checklist variables (import_rules.h):
 * <PROJECT>, <node pool name>, $VAR and ${VAR}, and the shell's own
 * variables escaped from countersign's ${NAME} expansion. One pass over the
 * command; each new variable is looked up among those before it, at most
 * IMPORT_MAX_VARS of them. */
#include "import_rules.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "countersign/utf8.h"
#include "import_rules_text.h"

static const char *const well_known[] = {
	"HOME", "PATH", "PWD", "OLDPWD", "USER", "LOGNAME", "SHELL", "HOSTNAME", "UID", "EUID",
	"PPID", "RANDOM", "SECONDS", "LINENO", "IFS", "TMPDIR", "LANG", "LC_ALL", "TERM", "EDITOR",
	"PAGER", "BASH_SOURCE", "BASHPID", "HOSTTYPE", "OSTYPE", "KUBECONFIG", "DISPLAY", "PS1",
	"PIPESTATUS", "REPLY", "OPTARG", "OPTIND", "SSH_AUTH_SOCK", NULL,
};

static bool upper_name(const char *s, size_t n)
{
	bool letter = false;
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z')
			letter = true;
		else if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	}
	return letter;
}

/* The names CMD assigns itself: NAME=..., for NAME in, read NAME. */
static void assigned_names(const char *cmd, struct strvec *names)
{
	bool word_start = true;
	const char *prev_word = NULL;
	size_t prev_len = 0;
	for (const char *p = cmd; *p;) {
		if (!word_start || !(is_alnum((unsigned char)*p) || *p == '_')) {
			word_start = is_space((unsigned char)*p) || strchr(";&|(`", *p);
			p++;
			continue;
		}
		size_t n = name_len(p);
		if (p[n] == '=' || (prev_word && ((prev_len == 3 && strncmp(prev_word, "for", 3) == 0) ||
				(prev_len == 4 && strncmp(prev_word, "read", 4) == 0))))
			strvec_push_owned(names, xstrndup(p, n));
		prev_word = p;
		prev_len = n;
		p += n;
		word_start = false;
	}
}

static bool has_var(const struct import_var *vars, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(vars[i].name, name, len) == 0 && vars[i].name[len] == '\0')
			return true;
	return false;
}

static void add_var(struct import_var **vars, size_t *n, const char *name, const char *prompt)
{
	if (has_var(*vars, *n, name, strlen(name)))
		return;
	assert(*n < IMPORT_MAX_VARS);
	*vars = xreallocarray(*vars, *n + 1, sizeof **vars);
	(*vars)[*n].name = xstrdup(name);
	(*vars)[*n].prompt = xstrdup(prompt);
	(*n)++;
}

/* The variable name and prompt made from a placeholder's words. */
static bool name_of(const char *s, size_t len, char **name, char **prompt)
{
	struct strbuf nb = {0}, pb = {0};
	bool sep = false;
	for (size_t i = 0; i < len;) {
		uint32_t cp = (unsigned char)s[i];
		int step = utf8_decode((const unsigned char *)s + i, len - i, &cp);
		i += step > 0 ? (size_t)step : 1;
		char one[2] = {(char)cp, '\0'};
		/* "<nom du nœud>": accented Latin letters as their ASCII letters */
		const char *letters = cp < 0x80 && is_alnum((unsigned char)cp) ? one : step > 1 ? import_latin_fold(cp) : NULL;
		if (!letters) {
			sep = true;
			continue;
		}
		if (sep && nb.len) {
			strbuf_addstr(&nb, "_");
			strbuf_addstr(&pb, " ");
		}
		for (const char *c = letters; *c; c++) {
			char u = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
			char l = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
			if (pb.len == 0)
				l = u;
			strbuf_add(&nb, &u, 1);
			strbuf_add(&pb, &l, 1);
		}
		sep = false;
	}
	if (nb.len == 0) {
		strbuf_release(&nb);
		strbuf_release(&pb);
		return false;
	}
	if (nb.data[0] >= '0' && nb.data[0] <= '9') {
		char *fixed = xasprintf("_%s", nb.data);
		strbuf_release(&nb);
		*name = fixed;
	} else {
		*name = strbuf_detach(&nb);
	}
	*prompt = strbuf_detach(&pb);
	return true;
}

/* The names of the closing tags ("</name>") in a text, sorted: a "<name>"
 * closed in the same text is markup (XML in a here-document), not a
 * placeholder. At most MAX_TAGS of them are kept, so that each lookup is
 * short whatever the input. */
#define MAX_TAGS 1024

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void closing_tags(const char *cmd, struct strvec *tags)
{
	for (const char *p = strstr(cmd, "</"); p && tags->n < MAX_TAGS; p = strstr(p + 2, "</")) {
		size_t n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-");
		if (n > 0 && n <= 64 && p[2 + n] == '>')
			strvec_push_owned(tags, xstrndup(p + 2, n));
	}
	if (tags->n > 1)
		qsort(tags->v, tags->n, sizeof(*tags->v), by_string);
}

static bool is_tag(const struct strvec *tags, const char *name, size_t len)
{
	if (!tags->n || len > 64)
		return false;
	char key[65];
	memcpy(key, name, len);
	key[len] = '\0';
	const char *k = key;
	return bsearch(&k, tags->v, tags->n, sizeof(*tags->v), by_string) != NULL;
}

/* The length of a "<words>" placeholder at P, or 0: letters (accented ones
 * too), digits, spaces and "_-./:@|" ("<node pool name>", "<start|stop>",
 * "<user@host>"), not ending in one of " /:@|" ("<br/>"), not comparisons
 * glued to their operands ("a<b AND c>d"), not a tag closed in TAGS. */
static size_t placeholder_at(const char *p, const char *start, const struct strvec *tags)
{
	/* a digit may start one (<2fa code>): name_of gives it a leading '_' */
	unsigned char first = (unsigned char)p[1];
	if (p[0] != '<' || !(is_alnum(first) || first >= 0xc0) || (p > start && p[-1] == '<'))
		return 0;
	for (size_t i = 1; i < 80; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '>') {
			if (strchr(" /:@|", p[i - 1]))
				return 0;
			if (p > start && is_alnum((unsigned char)p[-1]) && is_alnum((unsigned char)p[i + 1]) &&
					memchr(p, ' ', i))
				return 0;
			return is_tag(tags, p + 1, i - 1) ? 0 : i + 1;
		}
		if (!(is_alnum(c) || c >= 0x80 || (c && strchr(" _-./:@|", c))))
			return 0;
	}
	return 0;
}

/* $NAME or ${NAME} at NAME[0..LEN) made the checklist's ${NAME}, unless
 * the command assigns it itself (then false: the shell's). */
static bool take_shell_var(const char *name, size_t len, const struct strvec *assigned,
	struct import_var **vars, size_t *n, struct strbuf *sb)
{
	bool mine = false;
	for (size_t i = 0; i < assigned->n && !mine; i++)
		mine = strncmp(assigned->v[i], name, len) == 0 && assigned->v[i][len] == '\0';
	if (mine)
		return false;
	if (!has_var(*vars, *n, name, len)) {
		if (*n >= IMPORT_MAX_VARS)
			return false;
		char *var = xstrndup(name, len), *nm, *prompt;
		if (name_of(var, len, &nm, &prompt)) {
			add_var(vars, n, var, prompt);
			free(nm);
			free(prompt);
		}
		free(var);
	}
	strbuf_addstr(sb, "${");
	strbuf_add(sb, name, len);
	strbuf_addstr(sb, "}");
	return true;
}

char *import_placeholders(const char *cmd, struct import_var **vars, size_t *n)
{
	struct strvec assigned = {0}, tags = {0};
	assigned_names(cmd, &assigned);
	closing_tags(cmd, &tags);
	struct strbuf sb = {0};
	strbuf_addstr(&sb, "");
	bool squote = false, dquote = false;
	for (const char *p = cmd; *p;) {
		size_t ph = placeholder_at(p, cmd, &tags);
		if (ph) {
			char *name = NULL, *prompt = NULL;
			if (name_of(p + 1, ph - 2, &name, &prompt) &&
					!has_var(*vars, *n, name, strlen(name)) && *n >= IMPORT_MAX_VARS) {
				free(name); /* too many: left as it is, for import_has_placeholder */
				free(prompt);
			} else if (name) {
				add_var(vars, n, name, prompt);
				strbuf_addstr(&sb, "${");
				strbuf_addstr(&sb, name);
				strbuf_addstr(&sb, "}");
				free(name);
				free(prompt);
				p += ph;
				continue;
			}
		}
		if (*p == '\\' && !squote && p[1]) {
			/* an escaped '$' stays the shell's: "\\$$" is "\\$" after expansion */
			strbuf_add(&sb, p, 2);
			if (p[1] == '$')
				strbuf_addstr(&sb, "$");
			p += 2;
			continue;
		}
		if (*p == '\'' && !dquote)
			squote = !squote;
		else if (*p == '"' && !squote)
			dquote = !dquote;
		if (*p != '$') {
			/* a run of ordinary text in one go */
			size_t run = 1 + strcspn(p + 1, "<\\'\"$");
			strbuf_add(&sb, p, run);
			p += run;
			continue;
		}
		if (p[1] == '$') { /* the shell's own $$ */
			strbuf_addstr(&sb, "$$$$");
			p += 2;
			continue;
		}
		if (p[1] == '{') {
			const char *close = p + 2;
			while (*close && *close != '}' && *close != '\n' && close - p < 256)
				close++;
			size_t nl = (size_t)(close - (p + 2));
			if (*close == '}' && upper_name(p + 2, nl) && !squote &&
					!in_list(p + 2, nl, well_known)) {
				if (take_shell_var(p + 2, nl, &assigned, vars, n, &sb)) {
					p = close + 1;
					continue;
				}
			}
			/* ${...} for the shell: "$$" keeps countersign from expanding it */
			strbuf_addstr(&sb, "$$");
			p++;
			continue;
		}
		size_t nl = name_len(p + 1);
		if (nl > 0 && upper_name(p + 1, nl) && !squote && !in_list(p + 1, nl, well_known)) {
			if (take_shell_var(p + 1, nl, &assigned, vars, n, &sb)) {
				p += 1 + nl;
				continue;
			}
		}
		/* a '$' right before a placeholder would make "$${NAME}", which
		 * countersign reads as "$" and "{NAME}": "$$" keeps it the shell's */
		strbuf_addstr(&sb, p[1] == '<' && placeholder_at(p + 1, cmd, &tags) ? "$$" : "$");
		p++;
	}
	strvec_clear(&assigned);
	strvec_clear(&tags);
	return strbuf_detach(&sb);
}

bool import_has_placeholder(const char *cmd)
{
	struct strvec tags = {0};
	closing_tags(cmd, &tags);
	bool yes = false;
	for (const char *p = strchr(cmd, '<'); p && !yes; p = strchr(p + 1, '<'))
		yes = placeholder_at(p, cmd, &tags) > 0;
	strvec_clear(&tags);
	return yes;
}

void import_vars_free(struct import_var *vars, size_t n)
{
	for (size_t i = 0; vars && i < n; i++) {
		free(vars[i].name);
		free(vars[i].prompt);
	}
	free(vars);
}
