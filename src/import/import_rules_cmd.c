/* What a shell command does, for the checklist's confirm and interactive
 * flags (import_rules.h): the command is cut into simple commands (words
 * with quotes removed, comments and here-document bodies left out) in one
 * pass, and each is judged by its command word and arguments. */
#include "import_rules.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import_rules_text.h"

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
	struct strvec subs;     /* command substitutions written inside double quotes */
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
	strvec_clear(&ss->subs);
}

/* The command substitutions ("$(...)", `...`) in the double-quoted text
 * [P, END) to SUBS: the shell runs them, quotes or not. */
static void quoted_subs(const char *p, const char *end, struct strvec *subs)
{
	while (p < end) {
		const char *from = NULL, *to = end;
		if (*p == '`') {
			from = p + 1;
			to = memchr(from, '`', (size_t)(end - from));
			to = to ? to : end;
			p = to < end ? to + 1 : end;
		} else if (*p == '$' && p + 1 < end && p[1] == '(') {
			from = p + 2;
			int depth = 1;
			for (to = from; to < end; to++) {
				depth += *to == '(' ? 1 : *to == ')' ? -1 : 0;
				if (depth == 0)
					break;
			}
			p = to < end ? to + 1 : end;
		} else {
			p++;
			continue;
		}
		strvec_push_owned(subs, xstrndup(from, (size_t)(to - from)));
	}
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
			if (c == '"')
				quoted_subs(p + 1, close, &ss->subs);
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
				term = import_heredoc_term(p, n);
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
		} else if (c == '&' && p[1] != '&' && p[1] != '>' && (p == cmd || (p[-1] != '&' && p[-1] != '>'))) {
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

/* Commands that run the command written after their options: the short
 * options of each that take a value, and the operands before the command
 * (timeout's duration). */
static const struct wrapper {
	const char *name, *valued;
	int operands;
} wrappers[] = {
	{"sudo", "ugCDhprtTU", 0}, {"doas", "uC", 0}, {"nohup", "", 0}, {"time", "fo", 0},
	{"exec", "a", 0}, {"env", "uCS", 0}, {"command", "", 0}, {"timeout", "sk", 1},
	{"nice", "n", 0}, {"ionice", "cnpP", 0}, {"stdbuf", "ioe", 0}, {"xargs", "IdEaLnPs", 0},
	{"runuser", "ugl", 0}, {"setsid", "", 0}, {"chronic", "", 0},
};

/* Long options of the wrappers that take a value as the next word. */
static bool valued_long(const char *w)
{
	static const char *const longs[] = {
		"--user", "--group", "--chdir", "--host", "--prompt", "--role", "--type", "--other-user",
		"--signal", "--kill-after", "--adjustment", "--class", "--classdata", "--max-args",
		"--max-procs", "--max-lines", "--delimiter", "--arg-file", "--replace", "--unset", NULL,
	};
	for (size_t i = 0; longs[i]; i++)
		if (!strcmp(w, longs[i]))
			return true;
	return false;
}

/* The index of the command word in SEG (after VAR=..., and after sudo,
 * timeout, xargs... with their options), or -1. */
static ptrdiff_t command_index(const struct segment *seg)
{
	for (size_t i = 0; i < seg->words.n; i++) {
		const char *w = seg->words.v[i];
		const char *eq = strchr(w, '=');
		if (eq && eq > w && name_len(w) == (size_t)(eq - w))
			continue;
		const struct wrapper *wr = NULL;
		for (size_t k = 0; k < sizeof wrappers / sizeof wrappers[0] && !wr; k++)
			if (!strcmp(w, wrappers[k].name))
				wr = &wrappers[k];
		if (!wr)
			return (ptrdiff_t)i;
		while (i + 1 < seg->words.n && seg->words.v[i + 1][0] == '-' && seg->words.v[i + 1][1]) {
			const char *o = seg->words.v[++i];
			if (!strcmp(o, "--"))
				break;
			size_t n = strlen(o);
			/* "-u NAME", "-iu NAME", "--user NAME"; not "-uNAME", "--user=NAME" */
			if ((o[1] != '-' && strchr(wr->valued, o[n - 1]) && strspn(o + 1,
					"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == n - 1) ||
					(o[1] == '-' && valued_long(o)))
				i++;
		}
		for (int k = 0; k < wr->operands && i + 1 < seg->words.n; k++)
			i++;
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
				(n == 12 && strncasecmp(p, "dropdatabase", 12) == 0) ||
				(n == 10 && strncasecmp(p, "deletemany", 10) == 0) ||
				(n == 7 && strncasecmp(p, "flushdb", 7) == 0))
			return true;
		p += n - 1;
	}
	return false;
}

/* WORD is a database client, or a script that calls one ("bash -c 'psql ...'"). */
static bool sql_client_word(const char *word)
{
	static const char *const clients[] = {
		"psql", "mysql", "mariadb", "sqlite3", "cqlsh", "clickhouse-client", "sqlcmd", "bq",
		"redis-cli", "mongo", "mongosh", "cockroach", "snowsql", "duckdb", NULL,
	};
	const char *base = strrchr(word, '/') ? strrchr(word, '/') + 1 : word;
	if (word_is(base, clients))
		return true;
	if (!strchr(word, ' '))
		return false;
	for (size_t i = 0; clients[i]; i++) {
		const char *hit = strstr(word, clients[i]);
		size_t n = strlen(clients[i]);
		if (hit && (hit == word || !is_alnum((unsigned char)hit[-1])) && (hit[n] == ' ' || hit[n] == '\0'))
			return true;
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

static bool has_short(const struct segment *seg, size_t from, char letter, const char *long_opt);

/* Commands judged by an option or subcommand of their own: an HTTP DELETE,
 * "git clean", "crontab -r", flushing the firewall, find's "-delete". */
static bool other_destructive(const struct segment *seg, size_t a, const char *base)
{
	const struct strvec *w = &seg->words;
	if (!strcmp(base, "curl") || !strcmp(base, "wget")) {
		for (size_t i = a; i < w->n; i++)
			if (!strcasecmp(w->v[i], "-XDELETE") || !strcasecmp(w->v[i], "--request=DELETE") ||
					!strcasecmp(w->v[i], "--method=DELETE") ||
					((!strcmp(w->v[i], "-X") || !strcmp(w->v[i], "--request")) && i + 1 < w->n &&
					!strcasecmp(w->v[i + 1], "DELETE")))
				return true;
		return false;
	}
	if (!strcmp(base, "git"))
		return a < w->n && !strcmp(w->v[a], "clean") && !has_short(seg, a + 1, 'n', "--dry-run");
	if (!strcmp(base, "crontab"))
		return has_short(seg, a, 'r', NULL);
	if (!strcmp(base, "iptables") || !strcmp(base, "ip6tables"))
		return has_short(seg, a, 'F', "--flush") || has_short(seg, a, 'X', "--delete-chain");
	if (!strcmp(base, "nft"))
		return a < w->n && (!strcmp(w->v[a], "flush") || !strcmp(w->v[a], "delete"));
	if (!strcmp(base, "find"))
		return has_word(seg, a, (const char *const[]){ "-delete", NULL });
	return false;
}

static bool segment_destructive(const struct segment *seg, bool heredoc_traffic)
{
	static const char *const tools[] = {
		"kubectl", "oc", "k", "helm", "helmfile", "gcloud", "gsutil", "aws", "az", "doctl",
		"ibmcloud", "eksctl", "terraform", "tofu", "pulumi", "docker", "podman", "nerdctl",
		"crictl", "docker-compose", "git", "gh", "argocd", "flux", "velero", "vault", "consul",
		"nomad", "virsh", "heroku", "flyctl", "fly", "istioctl", "kn", "tkn", "etcdctl",
		"minikube", "kind", "systemctl", "service", "redis-cli", "npm", "s3cmd", "rclone", "zfs",
		"zpool", "gitlab-ctl", "supervisorctl", NULL,
	};
	static const char *const verbs[] = {
		"delete", "destroy", "uninstall", "purge", "terminate", "drain", "undo", "rollback",
		"prune", "rm", "rmi", "rb", "remove", "wipe", "down", "stop", "disable", "mask", "kill",
		"unpublish", "evict", NULL,
	};
	static const char *const wipers[] = {
		"rm", "shred", "mkfs", "wipefs", "dropdb", "truncate", "dd", "unlink", "srm", "dropuser",
		"pg_dropcluster", "lvremove", "vgremove", "pvremove", "userdel", "groupdel", "deluser",
		"reboot", "shutdown", "poweroff", "halt", NULL,
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
	if (other_destructive(seg, (size_t)ci + 1, base))
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
					!strcmp(w, "-destroy") || !strcmp(w, "--prune") ||
					(!strcmp(w, "--force") && (is_kube || !strcmp(base, "git") || !strcmp(base, "helm"))) ||
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
				!strncasecmp(w, "stop-", 5) || !strncasecmp(w, "disable-", 8) ||
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

/* The words of SEG from FROM up to one of STOPS (or the end), joined by
 * spaces (malloc'd), or NULL when there are none. */
static char *join_words(const struct segment *seg, size_t from, const char *const *stops)
{
	struct strbuf sb = {0};
	for (size_t i = from; i < seg->words.n && !(stops && word_is(seg->words.v[i], stops)); i++)
		strbuf_addf(&sb, "%s%s", sb.len ? " " : "", seg->words.v[i]);
	return sb.data;
}

/* The script SEG has run elsewhere (malloc'd), or NULL: a shell's "-c"
 * script, ssh's remote command, find's "-exec" command, what follows the
 * "--" of kubectl or docker exec. */
static char *inner_script(const struct segment *seg)
{
	static const char *const shells[] = { "bash", "sh", "zsh", "ash", "dash", "ksh", "su", NULL };
	ptrdiff_t ci = command_index(seg);
	if (ci < 0)
		return NULL;
	const char *cmd = seg->words.v[ci];
	const char *base = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
	size_t a = (size_t)ci + 1;
	const struct strvec *w = &seg->words;
	if (word_is(base, shells)) {
		for (size_t i = a; i + 1 < w->n; i++)
			if ((w->v[i][0] == '-' && w->v[i][1] != '-' && strchr(w->v[i], 'c')) || !strcmp(w->v[i], "--command"))
				return xstrdup(w->v[i + 1]);
		return NULL;
	}
	if (!strcmp(base, "ssh")) {
		size_t i = a;
		for (; i < w->n && w->v[i][0] == '-'; i++)
			if (w->v[i][1] && w->v[i][2] == '\0' && strchr("bcDEeFIiJLlmOopQRSWw", w->v[i][1]))
				i++;
		return i + 1 < w->n ? join_words(seg, i + 1, NULL) : NULL;
	}
	if (!strcmp(base, "find")) {
		static const char *const execs[] = { "-exec", "-execdir", "-ok", "-okdir", NULL };
		static const char *const ends[] = { ";", "+", "\\", "\\;", NULL };
		for (size_t i = a; i + 1 < w->n; i++)
			if (word_is(w->v[i], execs))
				return join_words(seg, i + 1, ends);
		return NULL;
	}
	if (word_is(base, kube) || !strcmp(base, "docker") || !strcmp(base, "podman"))
		for (size_t i = a; i + 1 < w->n; i++)
			if (!strcmp(w->v[i], "--"))
				return join_words(seg, i + 1, NULL);
	return NULL;
}

/* Scripts inside scripts are read this deep. */
#define INNER_DEPTH 4

static bool destructive_at(const char *cmd, int depth);

/* A script run inside SEG, or one of SS's quoted command substitutions,
 * is destructive. */
static bool inner_destructive(const struct segments *ss, const struct segment *seg, int depth)
{
	if (depth >= INNER_DEPTH)
		return false;
	char *in = seg ? inner_script(seg) : NULL;
	bool yes = in && destructive_at(in, depth + 1);
	free(in);
	for (size_t i = 0; !seg && !yes && i < ss->subs.n; i++)
		yes = destructive_at(ss->subs.v[i], depth + 1);
	return yes;
}

bool import_destructive(const char *cmd)
{
	return destructive_at(cmd, 0);
}

static bool destructive_at(const char *cmd, int depth)
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
	bool yes = false, sql = false;
	for (size_t i = 0; i < ss.n && !yes; i++) {
		yes = segment_destructive(&ss.v[i], heredoc_traffic);
		/* SQL counts where a database client reads it: its arguments, a
		 * "bash -c" script that calls one, its here-document */
		bool client = false;
		for (size_t j = 0; j < ss.v[i].words.n && !client; j++)
			client = sql_client_word(ss.v[i].words.v[j]);
		sql = sql || client;
		for (size_t j = 0; client && j < ss.v[i].words.n && !yes; j++)
			yes = sql_destructive(ss.v[i].words.v[j]);
		yes = yes || inner_destructive(&ss, &ss.v[i], depth);
	}
	yes = yes || inner_destructive(&ss, NULL, depth);
	if (!yes && sql && ss.heredocs.data)
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
	if (!strcmp(base, "su"))  /* "su - postgres": a login shell, unless given a command */
		return !seg->stdin_fed && !seg->piped_in && !has_short(seg, a, 'c', "--command") &&
			!has_prefix_word(seg, a, (const char *const[]){ "--command", NULL });
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
					if (w[1] && strchr("hpanu", w[1]) && w[2] == '\0')
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
			if (seg->words.v[i][1] && seg->words.v[i][2] == '\0' &&
					strchr("bcDEeFIiJLlmOopQRSWw", seg->words.v[i][1]))
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
