/* Reads a checklist file: byte-level checks, JSON parsing with cJSON, then
 * the format's rules, reporting every problem with its position. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "countersign/expand.h"
#include "countersign/utf8.h"
#include "loader_ctx.h"

static const char *const top_fields[] = {
	"countersign", "id", "title", "description", "variables", "environment", "defaults", "window",
	"notify", "signoffs", "signoff_within", "sections", NULL};
static const char *const variable_fields[] = {"name", "prompt", "default", "pattern", "secret", NULL};
static const char *const defaults_fields[] = {"shell", "timeout", "cwd", "env", NULL};
static const char *const window_fields[] = {"duration", "starts_at", NULL};
static const char *const notify_fields[] = {"url", "file", "format", "on", NULL};
static const char *const section_fields[] = {
	"id", "title", "phase", "description", "estimate", "signoffs", "gate", "always_open",
	"choice", "rollback_for", "signoff_within", "items", NULL};

static void warn_unknown(struct lctx *c, const cJSON *obj, const char *const *known)
{
	const cJSON *f;
	cJSON_ArrayForEach(f, obj) {
		bool ok = false;
		for (const char *const *k = known; *k && !ok; k++)
			ok = strcmp(*k, f->string) == 0;
		if (!ok) {
			size_t saved = lctx_enter_key(c, f->string);
			lctx_report(c, DIAG_WARNING, f, true, "unknown field \"%s\" (ignored)", f->string);
			lctx_leave(c, saved);
		}
	}
}

/* Reports a byte-level problem at offset OFF of TEXT. */
static void report_at(struct lctx *c, const char *text, size_t off, const char *msg)
{
	int line = 1, col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	diag_add(c->diags, DIAG_ERROR, line, col, NULL, "%s", msg);
}

/* Returns the offset of the first byte that is not valid UTF-8 or is NUL,
 * or LEN when all is well. */
static size_t bad_utf8(const char *s, size_t len)
{
	const char *nul = memchr(s, '\0', len);
	return utf8_invalid_at(s, nul ? (size_t)(nul - s) : len);
}

/* Finds what cJSON would accept but JSON forbids, or must not recurse into:
 * nesting deeper than CHECKLIST_MAX_DEPTH and raw control characters. */
static size_t scan_structure(const char *t, size_t len, const char **why)
{
	int depth = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)t[i];
		if (b == '"') {
			for (i++; i < len && t[i] != '"'; i++) {
				if ((unsigned char)t[i] < 0x20) {
					*why = "a control character inside a string; write it as \\n, \\t or \\u00XX";
					return i;
				}
				if (t[i] == '\\')
					i++;
			}
		} else if (b == '{' || b == '[') {
			if (++depth > CHECKLIST_MAX_DEPTH) {
				*why = "nesting is deeper than 32 levels; no checklist needs that, check the brackets";
				return i;
			}
		} else if (b == '}' || b == ']') {
			depth--;
		} else if (b < 0x20 && b != ' ' && b != '\t' && b != '\n' && b != '\r') {
			*why = "a control character between values; only spaces, tabs and newlines may separate them";
			return i;
		}
	}
	return len;
}

static bool only_space(const char *t, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", t[i]))
			return false;
	return true;
}

/* Byte-level checks and parsing; returns the tree or NULL after reporting. */
static cJSON *parse(struct lctx *c, char *text, size_t len)
{
	if (len == 0 || only_space(text, len)) {
		diag_add(c->diags, DIAG_ERROR, 0, 0, NULL,
			"the file is empty: a checklist is a JSON object starting with {\"countersign\": 1, ...}");
		return NULL;
	}
	size_t bad = bad_utf8(text, len);
	if (bad < len) {
		char *msg = text[bad] ? xasprintf("the file is not valid UTF-8 (byte 0x%02x here); save it as UTF-8",
				(unsigned char)text[bad])
			: xstrdup("the file contains a NUL byte; a checklist is UTF-8 text");
		report_at(c, text, bad, msg);
		free(msg);
		return NULL;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		memset(text, ' ', 3); /* a BOM; keep offsets, let the parser skip it */
	const char *why = NULL;
	size_t bad_at = scan_structure(text, len, &why);
	if (bad_at < len) {
		report_at(c, text, bad_at, why);
		return NULL;
	}
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!root) {
		size_t off = end && end >= text ? (size_t)(end - text) : 0;
		if (off >= len || only_space(text + off, len - off))
			report_at(c, text, len,
				"the JSON ends too early: a closing bracket, brace or quote is missing (is the file truncated?)");
		else
			report_at(c, text, off,
				"invalid JSON here: check for a missing comma, quote or bracket, or a trailing comma");
		return NULL;
	}
	if (end) {
		size_t off = (size_t)(end - text);
		if (off < len && !only_space(text + off, len - off)) {
			while (strchr(" \t\r\n", text[off]))
				off++;
			report_at(c, text, off, "unexpected text after the end of the JSON document");
			cJSON_Delete(root);
			return NULL;
		}
	}
	return root;
}

static int by_key(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	int r = strcmp(x->string, y->string);
	return r ? r : (x < y ? -1 : x > y);
}

/* Duplicate keys are legal to cJSON but make a checklist mean two things. */
static void check_duplicate_keys(struct lctx *c, const cJSON *node)
{
	size_t k = 0;
	for (const cJSON *ch = node->child; ch; ch = ch->next, k++) {
		size_t saved = cJSON_IsObject(node) ? lctx_enter_key(c, ch->string) : lctx_enter_index(c, k);
		check_duplicate_keys(c, ch);
		lctx_leave(c, saved);
	}
	if (!cJSON_IsObject(node))
		return;
	size_t n = (size_t)cJSON_GetArraySize(node), i = 0;
	if (n < 2)
		return;
	const cJSON **keys = xcalloc(n, sizeof(*keys));
	for (const cJSON *ch = node->child; ch; ch = ch->next)
		keys[i++] = ch;
	qsort(keys, n, sizeof(*keys), by_key);
	for (i = 1; i < n; i++) {
		if (strcmp(keys[i]->string, keys[i - 1]->string) != 0)
			continue;
		/* Report the later one in the file, pointing back at the first. */
		const cJSON *first = keys[i - 1], *dup = keys[i];
		int l1, c1, l2, c2;
		jpos_node(&c->pos, first, true, &l1, &c1);
		jpos_node(&c->pos, dup, true, &l2, &c2);
		if (l2 < l1 || (l2 == l1 && c2 < c1)) {
			const cJSON *t = first;
			first = dup;
			dup = t;
			l1 = l2;
			c1 = c2;
		}
		size_t saved = lctx_enter_key(c, dup->string);
		lctx_report(c, DIAG_ERROR, dup, true,
			"duplicate key \"%s\" (first at line %d, column %d); keep one", dup->string, l1, c1);
		lctx_leave(c, saved);
	}
	free(keys);
}

/* "environment": the names a run takes from the environment (a webhook's
 * secret address, say), so that ${NAME} of them is no surprise to lint. */
static void load_environment(struct lctx *c, const cJSON *root)
{
	struct checklist *cl = c->cl;
	if (!get_string_array(c, root, "environment", &cl->environment, &cl->n_environment))
		return;
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "environment");
	size_t saved = lctx_enter_key(c, "environment");
	for (size_t i = 0; i < cl->n_environment; i++) {
		const char *name = cl->environment[i];
		size_t s2 = lctx_enter_index(c, i);
		const cJSON *node = cJSON_GetArrayItem(arr, (int)i);
		if (!expand_valid_name(name, strlen(name)))
			lctx_report(c, DIAG_ERROR, node, false,
				"\"%s\" is not a valid variable name: use letters, digits and _, not starting with a digit", name);
		else if (checklist_variable(cl, name))
			lctx_report(c, DIAG_ERROR, node, false, "\"%s\" is a declared variable; a name taken from the "
				"environment is not declared under \"variables\"", name);
		lctx_leave(c, s2);
	}
	lctx_leave(c, saved);
}

static void load_variables(struct lctx *c, const cJSON *root)
{
	const cJSON *vars = cJSON_GetObjectItemCaseSensitive(root, "variables");
	if (!vars)
		return;
	size_t saved = lctx_enter_key(c, "variables");
	if (!cJSON_IsArray(vars)) {
		lctx_report(c, DIAG_ERROR, vars, false, "\"variables\" must be an array, not %s", lctx_type_name(vars));
		lctx_leave(c, saved);
		return;
	}
	struct checklist *cl = c->cl;
	cl->variables = xcalloc((size_t)cJSON_GetArraySize(vars) + 1, sizeof(struct checklist_variable));
	size_t i = 0;
	const cJSON *v;
	cJSON_ArrayForEach(v, vars) {
		size_t s2 = lctx_enter_index(c, i++);
		if (!cJSON_IsObject(v)) {
			lctx_report(c, DIAG_ERROR, v, false, "a variable must be an object, not %s", lctx_type_name(v));
			lctx_leave(c, s2);
			continue;
		}
		struct checklist_variable *var = &cl->variables[cl->n_variables];
		warn_unknown(c, v, variable_fields);
		if (get_string(c, v, "name", true, &var->name)) {
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
			size_t s3 = lctx_enter_key(c, "name");
			if (!expand_valid_name(var->name, strlen(var->name)))
				lctx_report(c, DIAG_ERROR, name, false,
					"\"%s\" is not a valid variable name: use letters, digits and _, not starting with a digit",
					var->name);
			else if (checklist_variable(cl, var->name))
				lctx_report(c, DIAG_ERROR, name, false, "variable \"%s\" is declared twice", var->name);
			lctx_leave(c, s3);
		}
		get_string(c, v, "prompt", false, &var->prompt);
		get_string(c, v, "default", false, &var->default_value);
		get_bool(c, v, "secret", &var->secret);
		if (get_regex(c, v, "pattern", &var->pattern) && var->default_value) {
			regex_t re;
			regcomp(&re, var->pattern, REG_EXTENDED | REG_NOSUB);
			if (regexec(&re, var->default_value, 0, NULL, 0) != 0) {
				size_t s3 = lctx_enter_key(c, "default");
				lctx_report(c, DIAG_ERROR, cJSON_GetObjectItemCaseSensitive(v, "default"), false,
					"default \"%s\" does not match the variable's pattern \"%s\"",
					var->default_value, var->pattern);
				lctx_leave(c, s3);
			}
			regfree(&re);
		}
		cl->n_variables++;
		lctx_leave(c, s2);
	}
	lctx_leave(c, saved);
}

/* Runs READ over the object field KEY of ROOT, after type and unknown-field checks. */
static const cJSON *sub_object(struct lctx *c, const cJSON *root, const char *key,
	const char *const *known, size_t *saved)
{
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, key);
	if (!obj)
		return NULL;
	*saved = lctx_enter_key(c, key);
	if (!cJSON_IsObject(obj)) {
		lctx_report(c, DIAG_ERROR, obj, false, "\"%s\" must be an object, not %s", key, lctx_type_name(obj));
		lctx_leave(c, *saved);
		return NULL;
	}
	warn_unknown(c, obj, known);
	return obj;
}

static void load_defaults_and_window(struct lctx *c, const cJSON *root)
{
	struct checklist *cl = c->cl;
	size_t saved;
	const cJSON *d = sub_object(c, root, "defaults", defaults_fields, &saved);
	if (d) {
		get_string(c, d, "shell", false, &cl->shell);
		get_duration(c, d, "timeout", false, &cl->timeout_ms);
		if (get_string(c, d, "cwd", false, &cl->cwd)) {
			size_t s2 = lctx_enter_key(c, "cwd");
			check_refs(c, cJSON_GetObjectItemCaseSensitive(d, "cwd"));
			lctx_leave(c, s2);
		}
		get_kv(c, d, "env", &cl->env);
		lctx_leave(c, saved);
	}
	const cJSON *w = sub_object(c, root, "window", window_fields, &saved);
	if (w) {
		get_duration(c, w, "duration", true, &cl->window_ms);
		get_string(c, w, "starts_at", false, &cl->window_starts_at);
		lctx_leave(c, saved);
	}
}

/* The "on" list of notify entry N into *EVENTS (left as it is when there
 * is none): every name must be a known event. */
static void load_notify_on(struct lctx *c, const cJSON *n, unsigned *events)
{
	char **on = NULL;
	size_t n_on = 0;
	if (get_string_array(c, n, "on", &on, &n_on)) {
		*events = 0;
		const cJSON *arr = cJSON_GetObjectItemCaseSensitive(n, "on");
		for (size_t k = 0; k < n_on; k++) {
			int ev = checklist_notify_event_parse(on[k]);
			if (ev >= 0) {
				*events |= 1u << ev;
				continue;
			}
			struct strbuf known = {0};
			for (int e = 0; e < NOTIFY_EVENT_COUNT; e++)
				strbuf_addf(&known, "%s%s", e ? ", " : "",
					checklist_notify_event_name((enum checklist_notify_event)e));
			size_t s = lctx_enter_key(c, "on");
			size_t s2 = lctx_enter_index(c, k);
			lctx_report(c, DIAG_ERROR, cJSON_GetArrayItem(arr, (int)k), false,
				"unknown event \"%s\"; known events: %s", on[k], known.data);
			lctx_leave(c, s2);
			lctx_leave(c, s);
			strbuf_release(&known);
		}
	}
	for (size_t k = 0; k < n_on; k++)
		free(on[k]);
	free(on);
}

/* A file entry: checkpoints appended to an absolute path; it takes no
 * "format" and no event but "checkpoint". */
static void load_notify_file(struct lctx *c, const cJSON *n, struct checklist_notify *out)
{
	const cJSON *file = cJSON_GetObjectItemCaseSensitive(n, "file");
	size_t s;
	if (get_string(c, n, "file", true, &out->file)) {
		s = lctx_enter_key(c, "file");
		check_refs(c, file);
		/* a relative path would land wherever the command happened to run */
		if (out->file[0] != '/' && strncmp(out->file, "${", 2) != 0)
			lctx_report(c, DIAG_ERROR, file, false,
				"\"file\" must be an absolute path (or begin with ${NAME}), not \"%s\"", out->file);
		lctx_leave(c, s);
	}
	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(n, "format");
	if (fmt) {
		s = lctx_enter_key(c, "format");
		lctx_report(c, DIAG_ERROR, fmt, false, "\"format\" is for webhooks (\"url\"); a \"file\" entry appends "
			"the checkpoint text as it is");
		lctx_leave(c, s);
	}
	out->events = 1u << NOTIFY_CHECKPOINT;
	load_notify_on(c, n, &out->events);
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(n, "on");
	for (int e = 0; e < NOTIFY_EVENT_COUNT; e++) {
		if (e == NOTIFY_CHECKPOINT || !(out->events & (1u << e)))
			continue;
		s = lctx_enter_key(c, "on");
		lctx_report(c, DIAG_ERROR, arr, false, "a \"file\" entry records checkpoints only: \"on\" may list "
			"\"checkpoint\", not \"%s\"", checklist_notify_event_name((enum checklist_notify_event)e));
		lctx_leave(c, s);
		break;
	}
}

static void load_notify_entry(struct lctx *c, const cJSON *n, struct checklist_notify *out)
{
	static const char *const formats[] = {"slack", "json"};
	warn_unknown(c, n, notify_fields);
	if (cJSON_GetObjectItemCaseSensitive(n, "file")) {
		if (cJSON_GetObjectItemCaseSensitive(n, "url"))
			lctx_report(c, DIAG_ERROR, n, false, "a notify entry has either \"url\" (a webhook) or \"file\" "
				"(a file to append checkpoints to), not both");
		else
			load_notify_file(c, n, out);
		return;
	}
	if (get_string(c, n, "url", true, &out->url)) {
		size_t s = lctx_enter_key(c, "url");
		check_refs(c, cJSON_GetObjectItemCaseSensitive(n, "url"));
		lctx_leave(c, s);
	}
	char *fmt = NULL;
	if (get_string(c, n, "format", false, &fmt)) {
		if (strcmp(fmt, formats[1]) == 0)
			out->format = NOTIFY_JSON;
		else if (strcmp(fmt, formats[0]) != 0) {
			size_t s = lctx_enter_key(c, "format");
			lctx_report(c, DIAG_ERROR, cJSON_GetObjectItemCaseSensitive(n, "format"), false,
				"\"format\" must be \"slack\" or \"json\", not \"%s\"", fmt);
			lctx_leave(c, s);
		}
	}
	free(fmt);
	out->events = 1u << NOTIFY_GATE_PASSED | 1u << NOTIFY_GATE_REOPENED | 1u << NOTIFY_OVERRIDE |
		1u << NOTIFY_CHECK_FAILED |
		1u << NOTIFY_RUN_COMPLETED | 1u << NOTIFY_RUN_ABORTED;
	load_notify_on(c, n, &out->events);
}

static void load_notify(struct lctx *c, const cJSON *root)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "notify");
	if (!arr)
		return;
	size_t saved = lctx_enter_key(c, "notify");
	if (!cJSON_IsArray(arr)) {
		lctx_report(c, DIAG_ERROR, arr, false, "\"notify\" must be an array, not %s", lctx_type_name(arr));
		lctx_leave(c, saved);
		return;
	}
	c->cl->notify = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(struct checklist_notify));
	size_t i = 0;
	const cJSON *n;
	cJSON_ArrayForEach(n, arr) {
		size_t s2 = lctx_enter_index(c, i++);
		if (!cJSON_IsObject(n))
			lctx_report(c, DIAG_ERROR, n, false, "a notify entry must be an object, not %s", lctx_type_name(n));
		else
			load_notify_entry(c, n, &c->cl->notify[c->cl->n_notify++]);
		lctx_leave(c, s2);
	}
	lctx_leave(c, saved);
}

/* A wait's "after" names earlier items of its section: a later one would
 * wait for the wait, since the items after a wait stay locked until it passes. */
static void check_after(struct lctx *c, const cJSON *obj, const struct checklist_section *s, const struct checklist_item *w)
{
	if (w->kind != ITEM_WAIT || !w->n_after)
		return;
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "after");
	size_t saved = lctx_enter_key(c, "after");
	for (size_t k = 0; k < w->n_after; k++) {
		bool earlier = false;
		for (size_t i = 0; i < s->n_items && !earlier; i++)
			earlier = s->items[i].id && strcmp(s->items[i].id, w->after[k]) == 0;
		if (earlier)
			continue;
		size_t s2 = lctx_enter_index(c, k);
		lctx_report(c, DIAG_ERROR, cJSON_GetArrayItem(arr, (int)k), false,
			"\"after\" names \"%s\", which is not an earlier item of section \"%s\"; a wait can only follow "
			"items before it (the items after it stay locked until it passes)", w->after[k], s->id ? s->id : "?");
		lctx_leave(c, s2);
	}
	lctx_leave(c, saved);
}

static void load_section_items(struct lctx *c, const cJSON *obj, struct checklist_section *s)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(obj, "items");
	if (!items)
		return;
	size_t saved = lctx_enter_key(c, "items");
	if (!cJSON_IsArray(items)) {
		lctx_report(c, DIAG_ERROR, items, false, "\"items\" must be an array, not %s", lctx_type_name(items));
		lctx_leave(c, saved);
		return;
	}
	s->items = xcalloc((size_t)cJSON_GetArraySize(items) + 1, sizeof(struct checklist_item));
	size_t i = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, items) {
		size_t s2 = lctx_enter_index(c, i++);
		struct checklist_item *item = &s->items[s->n_items];
		load_item(c, it, item);
		if (item->id && checklist_section_item(s, item->id)) {
			size_t s3 = lctx_enter_key(c, "id");
			lctx_report(c, DIAG_ERROR, cJSON_GetObjectItemCaseSensitive(it, "id"), false,
				"duplicate item id \"%s\" in section \"%s\"; item ids must be unique within a section",
				item->id, s->id ? s->id : "?");
			lctx_leave(c, s3);
		}
		check_after(c, it, s, item);
		s->n_items++;
		lctx_leave(c, s2);
	}
	lctx_leave(c, saved);
}

static void load_section(struct lctx *c, const cJSON *obj, struct checklist_section *s)
{
	jpos_node(&c->pos, obj, false, &s->line, &s->col);
	warn_unknown(c, obj, section_fields);
	s->gate = true;
	if (get_id(c, obj, "id", true, &s->id) && checklist_section(c->cl, s->id)) {
		size_t s3 = lctx_enter_key(c, "id");
		lctx_report(c, DIAG_ERROR, cJSON_GetObjectItemCaseSensitive(obj, "id"), false,
			"duplicate section id \"%s\"; section ids must be unique", s->id);
		lctx_leave(c, s3);
	}
	get_string(c, obj, "title", true, &s->title);
	get_string(c, obj, "phase", false, &s->phase);
	get_string(c, obj, "description", false, &s->description);
	get_range(c, obj, "estimate", &s->estimate_lo_ms, &s->estimate_hi_ms);
	get_bool(c, obj, "gate", &s->gate);
	get_bool(c, obj, "always_open", &s->always_open);
	load_section_policy(c, obj, s);
	if (get_id(c, obj, "choice", false, &s->choice) && s->always_open) {
		size_t s3 = lctx_enter_key(c, "choice");
		lctx_report(c, DIAG_ERROR, cJSON_GetObjectItemCaseSensitive(obj, "choice"), false,
			"an always_open section cannot be one of a choice group; drop \"choice\" or \"always_open\"");
		lctx_leave(c, s3);
	}
	get_id(c, obj, "rollback_for", false, &s->rollback_for);
	load_section_items(c, obj, s);
}

/* A rollback section's rollback_for names the section it undoes (a
 * deployment strategy, say), so that the interface can go to the rollback
 * of what was really done. NODES and INDEX as for check_choice_groups. */
static void check_rollback_for(struct lctx *c, const cJSON **nodes, const size_t *index)
{
	struct checklist *cl = c->cl;
	for (size_t i = 0; i < cl->n_sections; i++) {
		const struct checklist_section *s = &cl->sections[i];
		if (!s->rollback_for)
			continue;
		const struct checklist_section *target = checklist_section(cl, s->rollback_for);
		const char *why = !target ? "which is not a section of this checklist"
			: target == s ? "which is this section itself; name the section it rolls back" : NULL;
		if (!why)
			continue;
		size_t saved = lctx_enter_key(c, "sections");
		size_t s2 = lctx_enter_index(c, index[i]);
		size_t s3 = lctx_enter_key(c, "rollback_for");
		lctx_report(c, DIAG_ERROR, cJSON_GetObjectItemCaseSensitive(nodes[i], "rollback_for"), false,
			"rollback_for names \"%s\", %s", s->rollback_for, why);
		lctx_leave(c, s3);
		lctx_leave(c, s2);
		lctx_leave(c, saved);
	}
}

/* NODES[i] and INDEX[i] are the JSON object and array position of section i. */
static void check_choice_groups(struct lctx *c, const cJSON **nodes, const size_t *index)
{
	struct checklist *cl = c->cl;
	for (size_t i = 0; i < cl->n_sections; i++) {
		const char *g = cl->sections[i].choice;
		if (!g)
			continue;
		size_t members = 0;
		bool first = true;
		for (size_t k = 0; k < cl->n_sections; k++) {
			if (cl->sections[k].choice && strcmp(cl->sections[k].choice, g) == 0) {
				members++;
				first &= k >= i;
			}
		}
		if (members < 2 && first) {
			size_t saved = lctx_enter_key(c, "sections");
			size_t s2 = lctx_enter_index(c, index[i]);
			size_t s3 = lctx_enter_key(c, "choice");
			lctx_report(c, DIAG_ERROR, cJSON_GetObjectItemCaseSensitive(nodes[i], "choice"), false,
				"choice group \"%s\" has only one section; alternatives need at least two "
				"(give another section \"choice\": \"%s\", or drop the field)", g, g);
			lctx_leave(c, s3);
			lctx_leave(c, s2);
			lctx_leave(c, saved);
		}
	}
}

static void load_sections(struct lctx *c, const cJSON *root)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "sections");
	if (!arr) {
		lctx_report(c, DIAG_ERROR, root, false,
			"missing required field \"sections\": a checklist needs at least one section");
		return;
	}
	size_t saved = lctx_enter_key(c, "sections");
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0) {
		lctx_report(c, DIAG_ERROR, arr, false, "\"sections\" must be a non-empty array of sections");
		lctx_leave(c, saved);
		return;
	}
	size_t total = (size_t)cJSON_GetArraySize(arr) + 1;
	c->cl->sections = xcalloc(total, sizeof(struct checklist_section));
	const cJSON **nodes = xcalloc(total, sizeof(*nodes));
	size_t *index = xcalloc(total, sizeof(*index));
	size_t i = 0;
	const cJSON *s;
	cJSON_ArrayForEach(s, arr) {
		size_t s2 = lctx_enter_index(c, i);
		if (!cJSON_IsObject(s)) {
			lctx_report(c, DIAG_ERROR, s, false, "a section must be an object, not %s", lctx_type_name(s));
		} else {
			nodes[c->cl->n_sections] = s;
			index[c->cl->n_sections] = i;
			load_section(c, s, &c->cl->sections[c->cl->n_sections]);
			c->cl->n_sections++;
		}
		lctx_leave(c, s2);
		i++;
	}
	lctx_leave(c, saved);
	check_choice_groups(c, nodes, index);
	check_rollback_for(c, nodes, index);
	free(nodes);
	free(index);
}

static bool load_version(struct lctx *c, const cJSON *root)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "countersign");
	if (!v) {
		lctx_report(c, DIAG_ERROR, root, false,
			"missing \"countersign\": 1 (the format version); is this a countersign checklist?");
		return false;
	}
	size_t saved = lctx_enter_key(c, "countersign");
	bool ok = false;
	double num = cJSON_IsNumber(v) ? v->valuedouble : 0;
	if (!cJSON_IsNumber(v) || num < 1 || num > 1e6 || num != (double)(long)num)
		lctx_report(c, DIAG_ERROR, v, false, "\"countersign\" must be the format version, 1");
	else if (num > CHECKLIST_FORMAT_VERSION)
		lctx_report(c, DIAG_ERROR, v, false,
			"format version %ld is newer than this countersign understands (%d); upgrade countersign",
			(long)num, CHECKLIST_FORMAT_VERSION);
	else {
		c->cl->version = (int)num;
		ok = true;
	}
	lctx_leave(c, saved);
	return ok;
}

/* window.starts_at names a section: the window's clock starts when that
 * section begins, so preparation hours before it do not eat the window. */
static void check_window_start(struct lctx *c, const cJSON *root)
{
	const char *id = c->cl->window_starts_at;
	if (!id || checklist_section(c->cl, id))
		return;
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "window");
	size_t saved = lctx_enter_key(c, "window");
	size_t s2 = lctx_enter_key(c, "starts_at");
	lctx_report(c, DIAG_ERROR, cJSON_GetObjectItemCaseSensitive(w, "starts_at"), false,
		"window.starts_at names \"%s\", which is not a section of this checklist", id);
	lctx_leave(c, s2);
	lctx_leave(c, saved);
}

static void load_root(struct lctx *c, const cJSON *root)
{
	if (!cJSON_IsObject(root)) {
		lctx_report(c, DIAG_ERROR, root, false,
			"a checklist is a JSON object, not %s", lctx_type_name(root));
		return;
	}
	if (!load_version(c, root))
		return; /* a newer format may mean anything; say only that */
	warn_unknown(c, root, top_fields);
	struct checklist *cl = c->cl;
	get_id(c, root, "id", true, &cl->id);
	get_string(c, root, "title", true, &cl->title);
	get_string(c, root, "description", false, &cl->description);
	load_variables(c, root);
	load_environment(c, root);
	load_defaults_and_window(c, root);
	load_notify(c, root);
	load_policy_defaults(c, root);
	load_sections(c, root);
	check_window_start(c, root);
}

struct checklist *checklist_load_text(const char *name, const char *text, size_t len,
	struct diag_list *diags)
{
	struct lctx c = {.diags = diags, .default_policy = {.count = 2, .meaning = MEANING_APPROVED}};
	struct checklist *cl = xcalloc(1, sizeof(*cl));
	c.cl = cl;
	cl->path = xstrdup(name);
	char *copy = xstrdup(name);
	cl->dir = xstrdup(dirname(copy));
	free(copy);
	cl->text = xstrndup(text, len);
	cl->text_len = len;
	cl->shell = xstrdup("/bin/sh");
	cl->cwd = xstrdup(".");
	cl->timeout_ms = 5 * 60 * 1000;
	size_t errors_before = diags->errors;
	if (len > CHECKLIST_MAX_BYTES) {
		diag_add(diags, DIAG_ERROR, 0, 0, NULL,
			"the text is %.1f MiB, more than the %u MiB a checklist may be; is it the right file?",
			(double)len / (1024.0 * 1024.0), CHECKLIST_MAX_BYTES / (1024u * 1024u));
		checklist_destroy(cl);
		return NULL;
	}

	/* Parse a private copy: the BOM rewrite must not touch the kept text. */
	char *work = xstrndup(text, len);
	cJSON *root = parse(&c, work, len);
	if (root) {
		if (!jpos_build(&c.pos, work, len, root))
			diag_add(diags, DIAG_ERROR, 0, 0, NULL, "internal error: cannot index the JSON text");
		check_duplicate_keys(&c, root);
		load_root(&c, root);
	}
	cJSON_Delete(root);
	jpos_clear(&c.pos);
	strbuf_release(&c.path);
	lctx_policy_clear(&c.default_policy);
	free(work);
	if (diags->errors > errors_before) {
		checklist_destroy(cl);
		return NULL;
	}
	return cl;
}

struct checklist *checklist_load_file(const char *path, struct diag_list *diags)
{
	/* O_NONBLOCK so that a FIFO cannot hang the open; cleared for reading. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		diag_add(diags, DIAG_ERROR, 0, 0, NULL, "cannot open the file: %s%s", strerror(errno),
			errno == ENOENT ? " (check the path)" : "");
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		diag_add(diags, DIAG_ERROR, 0, 0, NULL, "not a regular file; give the path of a checklist .json file");
		close(fd);
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if ((unsigned long long)st.st_size > CHECKLIST_MAX_BYTES) {
		diag_add(diags, DIAG_ERROR, 0, 0, NULL,
			"the file is %.1f MiB, more than the %u MiB a checklist may be; is it the right file?",
			(double)st.st_size / (1024.0 * 1024.0), CHECKLIST_MAX_BYTES / (1024u * 1024u));
		close(fd);
		return NULL;
	}
	size_t cap = (size_t)st.st_size + 1, len = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (len + 1 >= cap) {
			/* The file grew while being read; keep the limit. */
			if (cap > CHECKLIST_MAX_BYTES)
				break;
			cap *= 2;
			buf = xreallocarray(buf, cap, 1);
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			diag_add(diags, DIAG_ERROR, 0, 0, NULL, "cannot read the file: %s", strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	struct checklist *cl = checklist_load_text(path, buf, len, diags);
	free(buf);
	return cl;
}
