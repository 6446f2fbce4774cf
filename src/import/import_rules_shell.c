/* The text conventions of Markdown runbooks that concern shell commands:
 * fenced blocks' languages, prompts and sample output, placeholders, and
 * what a command does (import_rules.h). Every scan is linear in its input
 * (a few passes at most): the importer calls these on blocks of megabytes. */
#include "import_rules.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool in_list(const char *word, size_t len, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strlen(list[i]) == len && strncmp(list[i], word, len) == 0)
			return true;
	return false;
}

/* Commands a runbook's shell lines start with. */
static const char *const known_commands[] = {
	"kubectl", "oc", "helm", "helmfile", "kustomize", "istioctl", "argocd", "flux", "velero",
	"eksctl", "minikube", "kind", "k9s", "kubeadm", "virtctl", "tkn", "kn", "skaffold", "stern",
	"psql", "pg_dump", "pg_dumpall", "pg_restore", "createdb", "dropdb", "mysql", "mysqldump",
	"redis-cli", "mongo", "mongosh", "sqlite3", "cqlsh", "etcdctl",
	"gcloud", "gsutil", "bq", "aws", "az", "doctl", "ibmcloud", "heroku", "flyctl", "fly",
	"terraform", "tofu", "pulumi", "packer", "ansible", "ansible-playbook", "vault", "consul", "nomad",
	"docker", "docker-compose", "podman", "nerdctl", "crictl", "ctr", "buildah", "skopeo",
	"git", "gh", "curl", "wget", "ssh", "scp", "rsync", "sftp", "nc", "telnet", "dig", "nslookup",
	"host", "ping", "traceroute", "openssl", "systemctl", "journalctl", "service", "sudo", "su",
	"make", "npm", "pnpm", "yarn", "npx", "node", "python", "python3", "pip", "pip3", "go", "cargo",
	"mvn", "gradle", "java", "ruby", "bundle", "rake", "php", "composer", "dotnet",
	"cd", "ls", "cat", "echo", "printf", "export", "grep", "egrep", "awk", "sed", "tail", "head", "cp",
	"mv", "rm", "mkdir", "rmdir", "chmod", "chown", "tar", "gzip", "gunzip", "zip", "unzip", "ln",
	"touch", "kill", "pkill", "killall", "ps", "top", "htop", "less", "more", "vi", "vim", "nano",
	"watch", "sleep", "jq", "yq", "date", "find", "xargs", "tee", "source", "bash", "sh", "zsh",
	"env", "unset", "crontab", "df", "du", "free", "uptime", "mount", "umount", "dmesg", "lsof",
	"netstat", "ss", "ip", "iptables", "ufw", "nginx", "certbot", "reboot", "shutdown", "whoami",
	"hostname", "wc", "sort", "uniq", "cut", "tr", "diff", "base64", "sha256sum", "md5sum", "which",
	"time", "timeout", "nohup", "pwd", "set", "for", "while", "if", "until", "trap", "wait", "read",
	"test", "true", "false", "exit", "do", "done", "then", "fi", "else", "elif", "esac", "case",
	NULL,
};

/* Known commands that are also ordinary words or values: a command only
 * with arguments, and never alone in inline code. */
static const char *const value_words[] = {
	"true", "false", "set", "test", "for", "while", "if", "until", "do", "done", "then", "fi",
	"else", "elif", "esac", "case", "exit", "read", "wait", "time", "host", "free", "kind", "fly",
	"go", "service", "watch", "find", "source", "cut", "sort", "make", "date", "env", "more",
	"less", "top", "head", "tail", "touch", "kill", NULL,
};

/* Commands that do something on their own, without arguments. */
static const char *const standalone[] = {
	"make", "ls", "pwd", "whoami", "uptime", "df", "free", "date", "top", "htop", "env", "dmesg",
	"hostname", "k9s", "psql", "bash", "sh", "zsh", "npm", "ps", NULL,
};

static size_t word_len(const char *s)
{
	size_t n = 0;
	while (s[n] && !is_space((unsigned char)s[n]) && s[n] != ';' && s[n] != '|' && s[n] != '&' &&
			s[n] != '(' && s[n] != ')')
		n++;
	return n;
}

/* The first word of a command line after assignments and sudo/env/time
 * prefixes: *WORD and its length, or false for none. */
static bool first_word(const char *line, const char **word, size_t *len)
{
	const char *p = line;
	for (int guard = 0; guard < 16; guard++) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = word_len(p);
		if (n == 0)
			return false;
		const char *eq = memchr(p, '=', n);
		if (eq && eq > p && p[0] != '-') {
			bool name = true;
			for (const char *q = p; q < eq; q++)
				name = name && (is_alnum((unsigned char)*q) || *q == '_');
			if (name) {
				p += n;
				continue;
			}
		}
		if ((n == 4 && strncmp(p, "sudo", 4) == 0) || (n == 5 && strncmp(p, "nohup", 5) == 0) ||
				(n == 4 && strncmp(p, "exec", 4) == 0 && p[4] == ' ')) {
			p += n;
			while (*p == ' ')
				p++;
			while (*p == '-') /* sudo -u root, sudo -E */
				p += word_len(p), p += strspn(p, " ");
			continue;
		}
		*word = p;
		*len = n;
		return true;
	}
	return false;
}

static bool path_command(const char *w, size_t n)
{
	if ((n > 2 && strncmp(w, "./", 2) == 0) || (n > 3 && strncmp(w, "../", 3) == 0))
		return true;
	if (n > 1 && w[0] == '/') {
		const char *bin = NULL;
		for (size_t i = 0; i + 5 <= n && !bin; i++)
			if (strncmp(w + i, "/bin/", 5) == 0)
				bin = w + i;
		return bin != NULL || (n > 3 && strncmp(w + n - 3, ".sh", 3) == 0);
	}
	return false;
}

/* LINE (one line, prompt stripped) starts with a command. */
static bool command_line(const char *line, size_t len)
{
	char *copy = xstrndup(line, len);
	const char *w;
	size_t n;
	bool yes = false;
	if (first_word(copy, &w, &n)) {
		if (path_command(w, n))
			yes = true;
		else if (in_list(w, n, known_commands)) {
			/* "watch out", "time to deploy": a value word needs an option or a
			 * second word that is not prose. */
			const char *rest = w + n;
			while (*rest == ' ')
				rest++;
			yes = !in_list(w, n, value_words) || *rest == '-' || *rest == '\0' ||
				strchr(rest, '/') || strchr(rest, '=') || strchr(rest, '$');
		}
	}
	free(copy);
	return yes;
}

/* ---- Languages ---- */

enum import_lang import_lang(const char *info)
{
	static const char *const shell[] = {
		"bash", "sh", "shell", "zsh", "ksh", "shellscript", "shell-script", "bash-script", NULL,
	};
	static const char *const console[] = {
		"console", "shell-session", "shellsession", "sh-session", "bash-session", "terminal",
		"term", NULL,
	};
	if (!info)
		return IMPORT_LANG_NONE;
	const char *p = info;
	while (*p == ' ' || *p == '\t' || *p == '{' || *p == '.')
		p++;
	size_t n = 0;
	while (p[n] && !is_space((unsigned char)p[n]) && p[n] != '{' && p[n] != ',' && p[n] != '}' &&
			p[n] != ':')
		n++;
	if (n == 0)
		return IMPORT_LANG_NONE;
	char *word = xstrndup(p, n);
	for (char *c = word; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	enum import_lang lang = IMPORT_LANG_OTHER;
	if (in_list(word, n, shell))
		lang = IMPORT_LANG_SHELL;
	else if (in_list(word, n, console))
		lang = IMPORT_LANG_CONSOLE;
	free(word);
	return lang;
}

/* ---- Prompts and blocks ---- */

/* The length of the shell prompt LINE starts with ("$ ", "# " when ROOT_TOO,
 * "user@host:~$ ", "[root@host dir]# "), or 0. */
static size_t prompt_len(const char *line, size_t len, bool root_too)
{
	size_t ws = 0;
	while (ws < len && (line[ws] == ' ' || line[ws] == '\t'))
		ws++;
	const char *p = line + ws;
	size_t rest = len - ws;
	if (rest >= 1 && p[0] == '$' && (rest == 1 || p[1] == ' '))
		return ws + (rest == 1 ? 1 : 2);
	if (root_too && rest >= 1 && p[0] == '#' && (rest == 1 || p[1] == ' '))
		return ws + (rest == 1 ? 1 : 2);
	/* user@host:dir$ and [user@host dir]# */
	size_t limit = rest < 96 ? rest : 96;
	bool at = false, bracket = p[0] == '[';
	for (size_t i = 0; i < limit; i++) {
		char c = p[i];
		if (c == '@')
			at = true;
		else if (c == ' ' && !bracket)
			return 0;
		else if (c == ']')
			bracket = false;
		if ((c == '$' || c == '#') && at && !bracket && i > 2 && (i + 1 == rest || p[i + 1] == ' '))
			return ws + i + (i + 1 == rest ? 1 : 2);
	}
	return 0;
}

/* When LINE opens a here-document ("<<EOF", "<<-'EOF'"), its terminator. */
static char *heredoc_term(const char *line, size_t len)
{
	for (size_t i = 0; i + 2 < len; i++) {
		if (line[i] != '<' || line[i + 1] != '<' || line[i + 2] == '<' || (i > 0 && line[i - 1] == '<'))
			continue;
		size_t j = i + 2;
		if (j < len && line[j] == '-')
			j++;
		while (j < len && (line[j] == ' ' || line[j] == '\'' || line[j] == '"' || line[j] == '\\'))
			j++;
		size_t k = j;
		while (k < len && (is_alnum((unsigned char)line[k]) || line[k] == '_'))
			k++;
		if (k > j)
			return xstrndup(line + j, k - j);
	}
	return NULL;
}

static bool is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_space((unsigned char)s[i]))
			return false;
	return true;
}

/* The text of an "# Expected: ..." line, or NULL. */
static char *expected_of(const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= len || line[i] != '#')
		return NULL;
	while (i < len && (line[i] == '#' || line[i] == ' '))
		i++;
	if (len - i < 8 || strncasecmp(line + i, "expected", 8) != 0)
		return NULL;
	i += 8;
	static const char *const tails[] = { " output", " result", " results", NULL };
	for (size_t t = 0; tails[t]; t++) {
		size_t n = strlen(tails[t]);
		if (len - i >= n && strncasecmp(line + i, tails[t], n) == 0) {
			i += n;
			break;
		}
	}
	if (i >= len || line[i] != ':')
		return NULL;
	i++;
	while (i < len && line[i] == ' ')
		i++;
	while (len > i && is_space((unsigned char)line[len - 1]))
		len--;
	return xstrndup(line + i, len - i);
}

/* SB without blank lines at its ends, handed to the caller. */
static char *trimmed_lines(struct strbuf *sb)
{
	char *s = sb->data ? sb->data : "";
	size_t len = sb->data ? sb->len : 0, start = 0;
	/* leading blank lines */
	for (;;) {
		size_t nl = start;
		while (nl < len && s[nl] != '\n')
			nl++;
		if (nl < len && is_blank(s + start, nl - start))
			start = nl + 1;
		else
			break;
	}
	while (len > start && is_space((unsigned char)s[len - 1]))
		len--;
	char *out = xstrndup(s + start, len - start);
	strbuf_release(sb);
	return out;
}

static bool ends_with_backslash(const char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	return len > 0 && line[len - 1] == '\\';
}

void import_split_block(const char *code, enum import_lang lang, char **commands, char **output, char **expect)
{
	struct strbuf cmd = {0}, out = {0}, exp = {0};
	bool console = lang == IMPORT_LANG_CONSOLE;
	bool prompted = console;
	/* A shell block written with "$ " prompts holds sample output too. */
	for (const char *l = code; *l && !prompted;) {
		size_t n = strcspn(l, "\n");
		if (prompt_len(l, n, false) > 0 && !(n >= 1 && l[strspn(l, " \t")] == '$' &&
				l[strspn(l, " \t") + 1] == '('))
			prompted = true;
		l += n + (l[n] == '\n');
	}
	bool cont = false;
	char *term = NULL;
	for (const char *l = code; *l;) {
		size_t n = strcspn(l, "\n");
		const char *next = l + n + (l[n] == '\n');
		size_t len = n;
		if (len > 0 && l[len - 1] == '\r')
			len--;
		if (term) { /* the body of a here-document belongs to its command */
			strbuf_add(&cmd, l, len);
			strbuf_addstr(&cmd, "\n");
			size_t s = strspn(l, " \t");
			if (len - s == strlen(term) && strncmp(l + s, term, len - s) == 0) {
				free(term);
				term = NULL;
			}
			l = next;
			continue;
		}
		if (cont) {
			const char *c = l;
			size_t cl = len;
			if (console && cl >= 2 && c[0] == '>' && c[1] == ' ') /* PS2 */
				c += 2, cl -= 2;
			strbuf_add(&cmd, c, cl);
			strbuf_addstr(&cmd, "\n");
			cont = ends_with_backslash(c, cl);
			term = heredoc_term(c, cl);
			l = next;
			continue;
		}
		char *e = expected_of(l, len);
		if (e) {
			if (exp.len)
				strbuf_addstr(&exp, "; ");
			strbuf_addstr(&exp, e);
			free(e);
			l = next;
			continue;
		}
		size_t pl = prompted ? prompt_len(l, len, console) : 0;
		size_t s = strspn(l, " \t");
		bool comment = !console && s < len && l[s] == '#';
		if (!prompted || pl > 0 || comment) {
			const char *c = l + pl;
			size_t cl = len - pl;
			if (prompted && pl == 0 && is_blank(c, cl)) {
				l = next;
				continue;
			}
			strbuf_add(&cmd, c, cl);
			strbuf_addstr(&cmd, "\n");
			cont = ends_with_backslash(c, cl);
			term = heredoc_term(c, cl);
		} else {
			if (!(out.len == 0 && is_blank(l, len))) {
				strbuf_add(&out, l, len);
				strbuf_addstr(&out, "\n");
			}
		}
		l = next;
	}
	free(term);
	*commands = trimmed_lines(&cmd);
	*output = trimmed_lines(&out);
	*expect = exp.data ? strbuf_detach(&exp) : xstrdup("");
}

bool import_looks_like_commands(const char *code)
{
	size_t commands = 0, others = 0, prompts = 0;
	bool cont = false;
	char *term = NULL;
	for (const char *l = code; *l;) {
		size_t n = strcspn(l, "\n");
		const char *next = l + n + (l[n] == '\n');
		size_t s = strspn(l, " \t");
		if (term) {
			if (n - s == strlen(term) && strncmp(l + s, term, n - s) == 0) {
				free(term);
				term = NULL;
			}
		} else if (cont) {
			cont = ends_with_backslash(l, n);
		} else if (is_blank(l, n) || l[s] == '#') {
			/* blank lines and comments say nothing */
		} else if (commands + others == 0 && strchr("{[<", l[s]) && prompt_len(l, n, true) == 0) {
			break; /* JSON, XML */
		} else {
			size_t pl = prompt_len(l, n, false);
			if (pl > 0)
				prompts++;
			else if (command_line(l, n))
				commands++;
			else
				others++;
			cont = ends_with_backslash(l, n);
			term = heredoc_term(l, n);
		}
		l = next;
	}
	free(term);
	/* a transcript's output lines say nothing either */
	return prompts > 0 || (commands > 0 && commands >= others);
}

bool import_inline_is_command(const char *code)
{
	const char *p = code;
	while (*p == ' ')
		p++;
	size_t len = strlen(p);
	size_t pl = prompt_len(p, len, false);
	if (pl > 0)
		return len > pl; /* `$ anything` is a command */
	const char *w;
	size_t n;
	if (strchr(p, '\n') || !first_word(p, &w, &n))
		return false;
	if (path_command(w, n))
		return true;
	if (!in_list(w, n, known_commands))
		return false;
	const char *rest = w + n;
	while (*rest == ' ')
		rest++;
	if (*rest == '\0')
		return in_list(w, n, standalone);
	return command_line(p, len);
}

/* ---- Placeholders ---- */

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

static size_t name_len(const char *s)
{
	size_t n = 0;
	while (is_alnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n;
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
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (is_alnum(c)) {
			if (sep && nb.len) {
				strbuf_addstr(&nb, "_");
				strbuf_addstr(&pb, " ");
			}
			char u = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
			char l = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
			if (pb.len == 0)
				l = u;
			strbuf_add(&nb, &u, 1);
			strbuf_add(&pb, &l, 1);
			sep = false;
		} else {
			sep = true;
		}
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

/* The length of a "<words>" placeholder at P, or 0. */
static size_t placeholder_at(const char *p, const char *start)
{
	if (p[0] != '<' || !((p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z')) ||
			(p > start && p[-1] == '<'))
		return 0;
	for (size_t i = 1; i < 80; i++) {
		char c = p[i];
		if (c == '>')
			return p[i - 1] == ' ' ? 0 : i + 1;
		if (!(is_alnum((unsigned char)c) || c == ' ' || c == '_' || c == '-' || c == '.'))
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
	struct strvec assigned = {0};
	assigned_names(cmd, &assigned);
	struct strbuf sb = {0};
	strbuf_addstr(&sb, "");
	bool squote = false, dquote = false;
	for (const char *p = cmd; *p;) {
		size_t ph = placeholder_at(p, cmd);
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
			strbuf_add(&sb, p, 2);
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
		strbuf_add(&sb, p, 1);
		p++;
	}
	strvec_clear(&assigned);
	return strbuf_detach(&sb);
}

bool import_has_placeholder(const char *cmd)
{
	for (const char *p = strchr(cmd, '<'); p; p = strchr(p + 1, '<'))
		if (placeholder_at(p, cmd))
			return true;
	return false;
}

void import_vars_free(struct import_var *vars, size_t n)
{
	for (size_t i = 0; vars && i < n; i++) {
		free(vars[i].name);
		free(vars[i].prompt);
	}
	free(vars);
}

/* ---- What a command does ---- */

/* One simple command of a shell text: its words (quotes removed, comments
 * and here-document bodies left out), and how it is connected. */
struct segment {
	struct strvec words;
	bool piped_in;    /* after "|" */
	bool background;  /* before a lone "&" */
	bool stdin_fed;   /* "<", "<<", "<<<" */
};

struct segments {
	struct segment *v;
	size_t n, cap;
	struct strbuf heredocs; /* the bodies, for what they declare */
};

static struct segment *segment_new(struct segments *ss, bool piped)
{
	if (ss->n == ss->cap) {
		ss->cap = ss->cap ? 2 * ss->cap : 8;
		ss->v = xreallocarray(ss->v, ss->cap, sizeof *ss->v);
	}
	struct segment *s = &ss->v[ss->n++];
	memset(s, 0, sizeof *s);
	s->piped_in = piped;
	return s;
}

static void segments_free(struct segments *ss)
{
	for (size_t i = 0; i < ss->n; i++)
		strvec_clear(&ss->v[i].words);
	free(ss->v);
	strbuf_release(&ss->heredocs);
}

static void segments_parse(const char *cmd, struct segments *ss)
{
	memset(ss, 0, sizeof *ss);
	struct segment *seg = segment_new(ss, false);
	struct strbuf w = {0};
	bool in_word = false;
	char *term = NULL;
	const char *p = cmd;
	while (*p) {
		char c = *p;
		if (c == '\\' && p[1] == '\n') {
			p += 2;
			continue;
		}
		if (c == '\'' || c == '"') {
			const char *close = strchr(p + 1, c);
			if (!close)
				close = p + strlen(p);
			strbuf_add(&w, p + 1, (size_t)(close - p - 1));
			in_word = true;
			p = *close ? close + 1 : close;
			continue;
		}
		if (c == '#' && !in_word) {
			p += strcspn(p, "\n");
			continue;
		}
		bool sep = is_space((unsigned char)c) || strchr(";|&()<>`", c);
		if (!sep) {
			size_t run = 1 + strcspn(p + 1, " \t\r\n;|&()<>`'\"\\");
			strbuf_add(&w, p, run);
			in_word = true;
			p += run;
			continue;
		}
		if (in_word) {
			strvec_push(&seg->words, w.data);
			w.len = 0;
			w.data[0] = '\0';
			in_word = false;
		}
		if (c == '<') {
			seg->stdin_fed = true;
			if (p[1] == '<' && p[2] != '<') {
				size_t n = 0; /* the terminator is near: look no further */
				while (n < 256 && p[n] && p[n] != '\n')
					n++;
				free(term);
				term = heredoc_term(p, n);
			}
			p += strspn(p, "<");
			continue;
		}
		if (c == '\n' && term) {
			/* skip the here-document's body up to its terminator */
			const char *l = p + 1;
			while (*l) {
				size_t n = strcspn(l, "\n");
				size_t s = strspn(l, " \t");
				bool end = n - s == strlen(term) && strncmp(l + s, term, n - s) == 0;
				if (!end) {
					strbuf_add(&ss->heredocs, l, n);
					strbuf_addstr(&ss->heredocs, "\n");
				}
				l += n + (l[n] == '\n');
				if (end)
					break;
			}
			free(term);
			term = NULL;
			p = l;
			seg = segment_new(ss, false);
			continue;
		}
		if (c == '|' && p[1] != '|') {
			seg = segment_new(ss, true);
		} else if (c == '&' && p[1] != '&' && (p == cmd || p[-1] != '&') && p[-1] != '>' && p[1] != '>') {
			seg->background = true;
			seg = segment_new(ss, false);
		} else if (c == ';' || c == '\n' || c == '(' || c == ')' || c == '`' || c == '|' || c == '&') {
			if (seg->words.n > 0)
				seg = segment_new(ss, false);
			p += (c == '|' || c == '&') && p[1] == c ? 2 : 1;
			continue;
		}
		p++;
	}
	if (in_word)
		strvec_push(&seg->words, w.data);
	strbuf_release(&w);
	free(term);
}

/* The index of the command word in SEG (after VAR=... and sudo), or -1. */
static ptrdiff_t command_index(const struct segment *seg)
{
	for (size_t i = 0; i < seg->words.n; i++) {
		const char *w = seg->words.v[i];
		const char *eq = strchr(w, '=');
		if (eq && eq > w && name_len(w) == (size_t)(eq - w))
			continue;
		if (!strcmp(w, "sudo") || !strcmp(w, "nohup") || !strcmp(w, "time") || !strcmp(w, "exec") ||
				!strcmp(w, "env") || !strcmp(w, "command")) {
			while (i + 1 < seg->words.n && seg->words.v[i + 1][0] == '-')
				i++;
			continue;
		}
		return (ptrdiff_t)i;
	}
	return -1;
}

static bool word_is(const char *w, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcasecmp(w, list[i]) == 0)
			return true;
	return false;
}

static bool has_word(const struct segment *seg, size_t from, const char *const *list)
{
	for (size_t i = from; i < seg->words.n; i++)
		if (word_is(seg->words.v[i], list))
			return true;
	return false;
}

/* The word "drop table" etc. anywhere in TEXT (SQL run through psql -c). */
static bool sql_destructive(const char *text)
{
	static const char *const after_drop[] = {
		"table", "database", "schema", "index", "view", "user", "role", "owned", "extension",
		"column", "materialized", "sequence", "function", "trigger", "type", "constraint", NULL,
	};
	for (const char *p = text; *p; p++) {
		if (p > text && (is_alnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '-'))
			continue;
		size_t n = name_len(p);
		if (n == 0)
			continue;
		const char *next = p + n;
		while (*next == ' ' || *next == '\n' || *next == '\t')
			next++;
		size_t nn = name_len(next);
		char word[16] = "";
		if (nn < sizeof word)
			memcpy(word, next, nn), word[nn] = '\0';
		if ((n == 4 && strncasecmp(p, "drop", 4) == 0 && word_is(word, after_drop)) ||
				(n == 8 && strncasecmp(p, "truncate", 8) == 0 && nn > 0) ||
				(n == 6 && strncasecmp(p, "delete", 6) == 0 && strcasecmp(word, "from") == 0) ||
				(n == 8 && strncasecmp(p, "flushall", 8) == 0) ||
				(n == 7 && strncasecmp(p, "flushdb", 7) == 0))
			return true;
		p += n - 1;
	}
	return false;
}

static const char *const kube[] = { "kubectl", "oc", "k", "kubecolor", NULL };
static const char *const traffic_resources[] = {
	"ingress", "ingresses", "ing", "route", "routes", "svc", "service", "services",
	"virtualservice", "virtualservices", "vs", "gateway", "gateways", "httproute", "httproutes",
	"destinationrule", "destinationrules", "dr", "ingressroute", "ingressroutes", NULL,
};

/* WORD names a traffic resource ("ingress", "svc/noa-mcp", "ingress.networking.k8s.io"). */
static bool traffic_word(const char *word)
{
	char buf[64];
	size_t n = strcspn(word, "/.");
	if (n >= sizeof buf)
		return false;
	memcpy(buf, word, n);
	buf[n] = '\0';
	return word_is(buf, traffic_resources);
}

/* A task that undoes or drops the database ("migrations:down", "db:drop",
 * "migrate:rollback"), whatever runs it (npm, rake, artisan, make). */
static bool schema_undo_word(const char *w)
{
	static const char *const undo[] = { "down", "rollback", "reset", "drop", "undo", "fresh", "purge", NULL };
	const char *colon = strrchr(w, ':');
	if (!colon || colon == w)
		return false;
	if (!word_is(colon + 1, undo))
		return false;
	char head[64];
	size_t n = (size_t)(colon - w);
	if (n >= sizeof head)
		return false;
	memcpy(head, w, n);
	head[n] = '\0';
	for (char *c = head; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return strstr(head, "migrat") || strstr(head, "db") || strstr(head, "database") || strstr(head, "schema");
}

static bool segment_destructive(const struct segment *seg, bool heredoc_traffic)
{
	static const char *const tools[] = {
		"kubectl", "oc", "k", "helm", "helmfile", "gcloud", "gsutil", "aws", "az", "doctl",
		"ibmcloud", "eksctl", "terraform", "tofu", "pulumi", "docker", "podman", "nerdctl",
		"crictl", "docker-compose", "git", "gh", "argocd", "flux", "velero", "vault", "consul",
		"nomad", "virsh", "heroku", "flyctl", "fly", "istioctl", "kn", "tkn", "etcdctl",
		"minikube", "kind", "systemctl", "service", "redis-cli", "npm", "s3cmd", "rclone", NULL,
	};
	static const char *const verbs[] = {
		"delete", "destroy", "uninstall", "purge", "terminate", "drain", "undo", "rollback",
		"prune", "rm", "rmi", "rb", "remove", "wipe", "down", "stop", "disable", "mask", "kill",
		"unpublish", "evict", NULL,
	};
	static const char *const wipers[] = {
		"rm", "shred", "mkfs", "wipefs", "dropdb", "truncate", "dd", "unlink", "srm", NULL,
	};
	ptrdiff_t ci = command_index(seg);
	if (ci < 0)
		return false;
	for (size_t i = (size_t)ci + 1; i < seg->words.n; i++)
		if (schema_undo_word(seg->words.v[i]))
			return true;
	const char *cmd = seg->words.v[ci];
	const char *base = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
	if (word_is(base, wipers) || strncmp(base, "mkfs.", 5) == 0)
		return true;
	if (!word_is(base, tools))
		return false;
	bool is_kube = word_is(base, kube);
	/* the last word naming a traffic resource: one pass, not one per verb */
	size_t last_traffic = 0;
	for (size_t i = (size_t)ci + 1; i < seg->words.n; i++)
		if (traffic_word(seg->words.v[i]) || !strcmp(seg->words.v[i], "route-backends"))
			last_traffic = i;
	for (size_t i = (size_t)ci + 1; i < seg->words.n; i++) {
		const char *w = seg->words.v[i];
		if (w[0] == '-') {
			/* scale to zero, --force, --prune, -destroy */
			if (!strcmp(w, "--replicas=0") || !strcmp(w, "--size=0") || !strcmp(w, "--num-nodes=0") ||
					!strcmp(w, "--min-size=0") || !strcmp(w, "--desired-capacity=0") ||
					!strcmp(w, "-destroy") || !strcmp(w, "--prune") || !strcmp(w, "--force") ||
					!strcmp(w, "--hard") || !strcmp(w, "--force-with-lease") ||
					(!strcmp(base, "git") && !strcmp(w, "-f")))
				return true;
			if ((!strcmp(w, "--replicas") || !strcmp(w, "--size") || !strcmp(w, "--num-nodes") ||
					!strcmp(w, "--desired-capacity")) && i + 1 < seg->words.n &&
					!strcmp(seg->words.v[i + 1], "0"))
				return true;
			continue;
		}
		if (word_is(w, verbs) && strcasecmp(base, "npm") != 0)
			return true;
		if (!strncasecmp(w, "delete-", 7) || !strncasecmp(w, "terminate-", 10) ||
				!strncasecmp(w, "deregister-", 11) || !strncasecmp(w, "remove-", 7))
			return true;
		if (!strcmp(base, "npm") && !strcmp(w, "unpublish"))
			return true;
		/* patching or annotating live traffic */
		if (is_kube && (!strcmp(w, "patch") || !strcmp(w, "annotate") || !strcmp(w, "replace") ||
				!strcmp(w, "set")) && last_traffic > i)
			return true;
		if (is_kube && heredoc_traffic &&
				(!strcmp(w, "apply") || !strcmp(w, "create") || !strcmp(w, "replace")))
			return true;
	}
	return false;
}

bool import_destructive(const char *cmd)
{
	static const char *const kinds[] = {
		"kind: VirtualService", "kind: Ingress", "kind: Route", "kind: HTTPRoute",
		"kind: Gateway", "kind: DestinationRule", NULL,
	};
	struct segments ss;
	segments_parse(cmd, &ss);
	/* a here-document that declares how traffic is routed, applied */
	bool heredoc_traffic = false;
	for (size_t k = 0; kinds[k] && ss.heredocs.data && !heredoc_traffic; k++)
		heredoc_traffic = strstr(ss.heredocs.data, kinds[k]) != NULL;
	bool yes = false;
	for (size_t i = 0; i < ss.n && !yes; i++) {
		yes = segment_destructive(&ss.v[i], heredoc_traffic);
		for (size_t j = 0; j < ss.v[i].words.n && !yes; j++)
			yes = sql_destructive(ss.v[i].words.v[j]);
	}
	if (!yes && ss.heredocs.data)
		yes = sql_destructive(ss.heredocs.data);
	segments_free(&ss);
	return yes;
}

/* An option word of SEG (from FROM) that is a short-option cluster holding LETTER ("-it"). */
static bool has_short(const struct segment *seg, size_t from, char letter, const char *long_opt)
{
	for (size_t i = from; i < seg->words.n; i++) {
		const char *w = seg->words.v[i];
		if (!strcmp(w, "--"))
			return false;
		if (long_opt && (!strcmp(w, long_opt) || (!strncmp(w, long_opt, strlen(long_opt)) &&
				w[strlen(long_opt)] == '=' && strcmp(w + strlen(long_opt) + 1, "false") != 0)))
			return true;
		if (w[0] == '-' && w[1] != '-' && w[1] && strchr(w + 1, letter) &&
				strspn(w + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(w + 1))
			return true;
	}
	return false;
}

static bool has_prefix_word(const struct segment *seg, size_t from, const char *const *list)
{
	for (size_t i = from; i < seg->words.n; i++)
		for (size_t k = 0; list[k]; k++) {
			size_t n = strlen(list[k]);
			if (!strncmp(seg->words.v[i], list[k], n) &&
					(seg->words.v[i][n] == '\0' || seg->words.v[i][n] == '=' || list[k][1] != '-'))
				return true;
		}
	return false;
}

static size_t operands(const struct segment *seg, size_t from)
{
	size_t n = 0;
	for (size_t i = from; i < seg->words.n; i++)
		if (seg->words.v[i][0] != '-')
			n++;
	return n;
}

static bool segment_interactive(const struct segment *seg)
{
	static const char *const screens[] = {
		"less", "more", "most", "vi", "vim", "nvim", "view", "nano", "emacs", "pico", "top", "htop",
		"btop", "k9s", "tmux", "screen", "watch", "mc", "visudo", "vipw", "man", "stern", "ncdu",
		"iftop", "iotop", "kubectx", "kubens", NULL,
	};
	static const char *const shells[] = { "bash", "sh", "zsh", "ash", "fish", "python", "python3",
		"node", "irb", "su", NULL };
	ptrdiff_t ci = command_index(seg);
	if (seg->background)
		return false;
	if (ci < 0) /* a bare "sudo -i" / "sudo -s" */
		return seg->words.n > 0 && !strcmp(seg->words.v[0], "sudo") &&
			(has_short(seg, 1, 'i', NULL) || has_short(seg, 1, 's', NULL));
	size_t a = (size_t)ci + 1;
	const char *cmd = seg->words.v[ci];
	const char *base = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
	const char *sub = a < seg->words.n ? seg->words.v[a] : "";
	if (word_is(base, screens))
		return true;
	if (word_is(base, shells))
		return !seg->stdin_fed && !seg->piped_in && operands(seg, a) == 0 &&
			!has_short(seg, a, 'c', NULL);
	if (word_is(base, kube) || !strcmp(base, "docker") || !strcmp(base, "podman") ||
			!strcmp(base, "nerdctl")) {
		/* the subcommand: the first operand (kubectl -n ns exec ...) */
		for (size_t i = a; i < seg->words.n; i++) {
			const char *w = seg->words.v[i];
			if (w[0] != '-') {
				sub = w;
				a = i + 1;
				break;
			}
			if (!strcmp(w, "-n") || !strcmp(w, "--namespace") || !strcmp(w, "--context"))
				i++;
		}
		if (!strcmp(sub, "exec") || !strcmp(sub, "run") || !strcmp(sub, "debug") ||
				!strcmp(sub, "attach") || !strcmp(sub, "start"))
			return has_short(seg, a, 't', "--tty") ||
				(!strcmp(base, "oc") && !strcmp(sub, "debug") && !has_word(seg, a, (const char *const[]){ "--", NULL }));
		if (!strcmp(sub, "rsh") || !strcmp(sub, "edit") || !strcmp(sub, "port-forward") ||
				!strcmp(sub, "proxy") || !strcmp(sub, "attach"))
			return true;
		if (!strcmp(sub, "logs") || !strcmp(sub, "log"))
			return has_short(seg, a, 'f', "--follow");
		if (!strcmp(sub, "get") || !strcmp(sub, "events"))
			return has_short(seg, a, 'w', "--watch") || has_prefix_word(seg, a, (const char *const[]){ "--watch-only", NULL });
		return false;
	}
	if (!strcmp(base, "tail") || !strcmp(base, "journalctl"))
		return has_short(seg, a, 'f', "--follow") || has_short(seg, a, 'F', NULL);
	if (!strcmp(base, "psql"))
		return !seg->stdin_fed && !seg->piped_in &&
			!has_prefix_word(seg, a, (const char *const[]){ "-c", "--command", "-f", "--file", "-l", "--list", "--version", NULL });
	if (!strcmp(base, "mysql") || !strcmp(base, "mariadb"))
		return !seg->stdin_fed && !seg->piped_in &&
			!has_prefix_word(seg, a, (const char *const[]){ "-e", "--execute", NULL }) &&
			!has_short(seg, a, 'e', NULL);
	if (!strcmp(base, "redis-cli") || !strcmp(base, "sqlite3") || !strcmp(base, "cqlsh") ||
			!strcmp(base, "mongo") || !strcmp(base, "mongosh")) {
		size_t ops = operands(seg, a);
		if (seg->stdin_fed || seg->piped_in ||
				has_prefix_word(seg, a, (const char *const[]){ "--eval", "-e", "--execute", "-f", "--file", NULL }))
			return false;
		/* redis-cli -h HOST: option values count as operands; be generous */
		if (!strcmp(base, "sqlite3"))
			return ops <= 1;
		if (!strcmp(base, "redis-cli")) {
			size_t own = 0;
			for (size_t i = a; i < seg->words.n; i++) {
				const char *w = seg->words.v[i];
				if (w[0] == '-') {
					if (strchr("hpanu", w[1]) && w[2] == '\0')
						i++;
					continue;
				}
				own++;
			}
			return own == 0;
		}
		return ops <= 1;
	}
	if (!strcmp(base, "ssh")) {
		size_t i = a;
		for (; i < seg->words.n && seg->words.v[i][0] == '-'; i++)
			if (seg->words.v[i][2] == '\0' && strchr("bcDEeFIiJLlmOopQRSWw", seg->words.v[i][1]))
				i++;
		return i + 1 >= seg->words.n; /* a host and nothing to run */
	}
	if (!strcmp(base, "gcloud"))
		return (has_word(seg, a, (const char *const[]){ "ssh", NULL }) &&
			!has_prefix_word(seg, a, (const char *const[]){ "--command", NULL })) ||
			(has_word(seg, a, (const char *const[]){ "sql", NULL }) &&
			 has_word(seg, a, (const char *const[]){ "connect", NULL }));
	if (!strcmp(base, "aws"))
		return has_word(seg, a, (const char *const[]){ "start-session", NULL }) ||
			has_prefix_word(seg, a, (const char *const[]){ "--interactive", NULL });
	if (!strcmp(base, "az"))
		return !strcmp(sub, "ssh");
	if (!strcmp(base, "crontab"))
		return has_short(seg, a, 'e', NULL);
	if (!strcmp(base, "git"))
		return (!strcmp(sub, "rebase") && has_short(seg, a, 'i', "--interactive")) ||
			(!strcmp(sub, "add") && (has_short(seg, a, 'p', "--patch") || has_short(seg, a, 'i', "--interactive"))) ||
			(!strcmp(sub, "commit") && !has_prefix_word(seg, a, (const char *const[]){ "-m", "-F", "--message", "--file", "--no-edit", "-C", NULL }) &&
			 !has_short(seg, a, 'm', NULL));
	return false;
}

bool import_interactive(const char *cmd)
{
	struct segments ss;
	segments_parse(cmd, &ss);
	bool yes = false;
	for (size_t i = 0; i < ss.n && !yes; i++)
		yes = segment_interactive(&ss.v[i]);
	segments_free(&ss);
	return yes;
}
