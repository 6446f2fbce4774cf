/* The text conventions of Markdown runbooks that concern fenced blocks:
 * their languages, prompts and sample output, and commands in prose
 * (import_rules.h). Placeholders are in import_rules_vars.c, what a command
 * does in import_rules_cmd.c. Every scan is linear in its input (a few
 * passes at most): the importer calls these on blocks of megabytes. */
#include "import_rules.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import_rules_text.h"

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
	/* transcripts only: zsh's "% " in the first column, "(venv) $ " */
	if (root_too && ws == 0 && rest >= 2 && p[0] == '%' && p[1] == ' ')
		return 2;
	if (root_too && p[0] == '(') {
		size_t close = 1;
		while (close < rest && close < 40 && p[close] != ')' && p[close] != ' ')
			close++;
		if (close + 3 <= rest && p[close] == ')' && p[close + 1] == ' ' &&
				(p[close + 2] == '$' || p[close + 2] == '#') && (close + 3 == rest || p[close + 3] == ' '))
			return ws + close + 3 + (close + 3 < rest);
	}
	/* user@host:dir$ and [user@host dir]#; in transcripts also ~/src$,
	 * bash-5.1$ and sh-4.4# */
	size_t limit = rest < 96 ? rest : 96;
	bool at = false, bracket = p[0] == '[';
	if (root_too && (p[0] == '~' || (rest > 3 && (!strncmp(p, "bash-", 5) || !strncmp(p, "sh-", 3) ||
			!strncmp(p, "zsh-", 4)))))
		at = true;
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
char *import_heredoc_term(const char *line, size_t len)
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
			term = import_heredoc_term(c, cl);
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
			term = import_heredoc_term(c, cl);
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
			term = import_heredoc_term(l, n);
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
