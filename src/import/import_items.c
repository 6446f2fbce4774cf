/* Checkboxes, bullets, prose, code blocks and table rows made items (SPEC 8
 * and docs/importing.md): a checkbox is an item, the code in it its run; a
 * code block under a step heading is an item titled from the heading; a
 * block in another language is details, never run; quotes and alerts wait
 * for the next item. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import_map.h"

void map_details(struct import_item *it, const char *text)
{
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = import_trim(xstrndup(p, n));
		if (*line)
			strvec_push_owned(&it->details, line);
		else
			free(line);
		p += n + (nl ? 1 : 0);
	}
}

/* The item list item BLK (or a list item around it) became, or NULL. */
static struct import_item *owner_item(const struct mapper *mp, int blk)
{
	if (mp->sec < 0)
		return NULL;
	struct import_section *s = &mp->m->sections[mp->sec];
	for (int o = mp->doc->b[blk].owner; o >= 0; o = mp->doc->b[o].owner)
		if (mp->item_of[o] >= 0 && (size_t)mp->item_of[o] < s->n_items)
			return &s->items[mp->item_of[o]];
	return NULL;
}

static int last_index(const struct mapper *mp)
{
	return (int)mp->m->sections[mp->sec].n_items - 1;
}

static void settle_kind(struct import_item *it)
{
	free(it->kind);
	it->kind = xstrdup(it->run.n ? "command" : it->duration ? "wait" : "manual");
}

/* A line of a shell block that reads as a sentence rather than a command. */
static bool prose_line(const char *line)
{
	if (!isupper((unsigned char)line[0]) || !islower((unsigned char)line[1]))
		return false;
	if (strpbrk(line, "=|$<>&;(){}[]\"'`/*\\"))
		return false;
	int words = 1;
	for (const char *p = line; *p; p++)
		words += *p == ' ' && p[1] && p[1] != ' ';
	size_t n = strlen(line);
	if (words < 4 || !(line[n - 1] == '.' || words >= 6))
		return false;
	return !import_inline_is_command(line);
}

/* Whether comment line L ends in "\" with a command on NEXT (the rest of the
 * block): the shell ends a comment at the newline, so NEXT runs alone, while
 * the author most likely wrote "# " as a root prompt. */
static bool comment_goes_on(const char *l, const char *next)
{
	size_t n = strlen(l);
	if (l[0] != '#' || n < 2 || l[n - 1] != '\\' || !next)
		return false;
	next += strspn(next, " \t");
	return *next && *next != '\n' && *next != '#';
}

/* Warns about what in CODE (a block from FIRST_LINE on, or an inline
 * command) the shell will not run as it reads: invisible characters, prose,
 * and (where "#" starts a comment, not a console's prompt) a comment that
 * seems to go on to the next line. */
static void check_code(struct mapper *mp, const char *code, int first_line, bool comments)
{
	size_t off;
	const char *what = import_invisible(code, &off);
	if (what) {
		int line = first_line;
		for (size_t i = 0; i < off; i++)
			line += code[i] == '\n';
		import_msg(mp->ms, IMPORT_WARNING, line,
			"%s in a command: it is kept in the run, where the shell will not read it as you see it; remove it",
			what);
	}
	if (strstr(code, "<<"))
		return;  /* a here-document holds text, not commands */
	int line = first_line;
	bool cont = false;
	for (const char *p = code; *p; line++) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *l = import_trim(xstrndup(p, n));
		if (!cont && *l && prose_line(l))
			import_msg(mp->ms, IMPORT_WARNING, line,
				"this line of a shell block reads as prose, not a command: it is kept in the run; check it");
		if (comments && !cont && comment_goes_on(l, nl ? nl + 1 : NULL))
			import_msg(mp->ms, IMPORT_WARNING, line, "this comment ends with \"\\\", which does not carry a "
				"comment on to the next line: the shell runs the next line on its own; if \"# \" is a root "
				"prompt, remove it or tag the block console");
		cont = *l && l[strlen(l) - 1] == '\\';
		free(l);
		p += n + (nl ? 1 : 0);
	}
}

static bool comments_only(const char *script)
{
	for (const char *p = script; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != '\n' && *p != '#')
			return false;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return true;
}

/* Adds SCRIPT (a shell script as written) to IT's run: placeholders made
 * variables, confirm and interactive set. */
/* Splits TEXT at newlines into *LINES. */
static void split_lines(const char *text, struct strvec *lines)
{
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		strvec_push_owned(lines, xstrndup(p, n));
		p += n + (nl ? 1 : 0);
	}
}

/* Whether line I of LINES is a shell comment: "#" first, not continuing the
 * line before it. */
static bool comment_line(const struct strvec *lines, size_t i)
{
	const char *l = lines->v[i];
	if (l[strspn(l, " \t")] != '#')
		return false;
	if (i == 0)
		return true;
	size_t n = strlen(lines->v[i - 1]);
	return !(n && lines->v[i - 1][n - 1] == '\\');
}

/* LINE with each "$" written "$$": the shell gets it as written. */
static char *literal(const char *line)
{
	struct strbuf sb = {0};
	strbuf_addstr(&sb, "");
	for (const char *p = line; *p; p++)
		strbuf_addstr(&sb, *p == '$' ? "$$" : (char[]){*p, '\0'});
	return strbuf_detach(&sb);
}

/* Adds SCRIPT (a shell script as written) to IT's run: placeholders made
 * variables, confirm and interactive set. Comment lines are kept as
 * written, placeholders and all: nothing runs them, and a variable asked
 * for a comment's sake ("#incident-<timestamp>") would only be noise. A
 * script with a here-document is read whole, since a "#" line there is
 * text. */
static void add_script(struct mapper *mp, struct import_item *it, const char *script, int line)
{
	struct strvec lines = {0}, comments = {0};
	split_lines(script, &lines);
	bool heredoc = strstr(script, "<<") != NULL;
	struct strbuf code = {0};
	strbuf_addstr(&code, "");
	for (size_t i = 0; i < lines.n; i++) {
		if (!heredoc && comment_line(&lines, i)) {
			strvec_push_owned(&comments, literal(lines.v[i]));
			strbuf_addstr(&code, "#\n");  /* where it goes back */
		} else {
			strbuf_addf(&code, "%s\n", lines.v[i]);
		}
	}
	/* in checklist form: "$$" and ${...} for the shell are escaped there */
	char *run = import_placeholders(code.data, &mp->m->vars, &mp->m->n_vars);
	struct strvec out = {0};
	split_lines(run, &out);
	if (out.n != lines.n) {  /* not line for line: take the script whole */
		free(run);
		run = import_placeholders(script, &mp->m->vars, &mp->m->n_vars);
		strvec_clear(&out);
		split_lines(run, &out);
		heredoc = true;
	}
	/* past IMPORT_MAX_VARS a placeholder stays "<...>": such a script must
	 * not run as it is, so it is kept as details to fill in by hand */
	bool literal_ph = import_has_placeholder(run);
	if (literal_ph) {
		if (mp->m->n_vars >= IMPORT_MAX_VARS)
			import_msg(mp->ms, IMPORT_WARNING, line, "this command keeps a \"<...>\" placeholder no variable "
				"was made for (more than the %d variables a checklist takes): imported as a manual step, "
				"not run", IMPORT_MAX_VARS);
		else  /* "<節点>": no letter a variable's name can be made of */
			import_msg(mp->ms, IMPORT_WARNING, line, "this command keeps a \"<...>\" placeholder no variable "
				"name could be made from (no ASCII or accented Latin letter or digit): imported as a manual "
				"step, not run");
		strvec_push(&it->details, "Not run (placeholders left to fill in):");
	}
	size_t c = 0;
	for (size_t i = 0; i < out.n; i++) {
		bool mine = !heredoc && comment_line(&lines, i);
		strvec_push(literal_ph ? &it->details : &it->run, mine ? comments.v[c++] : out.v[i]);
	}
	it->confirm |= import_destructive(script);
	it->interactive |= import_interactive(script);
	free(run);
	strbuf_release(&code);
	strvec_clear(&lines);
	strvec_clear(&comments);
	strvec_clear(&out);
	settle_kind(it);
}

void map_task(struct mapper *mp, int blk)
{
	const struct import_block *b = &mp->doc->b[blk];
	const char *text = b->text ? b->text : "";
	const char *code = b->code && import_inline_is_command(b->code) ? b->code : NULL;
	char *rest_code = NULL;
	const char *rest = b->rest;
	if (!code && b->bold && rest) {
		size_t n = strlen(rest);
		if (n > 2 && rest[0] == '`' && rest[n - 1] == '`' && !memchr(rest + 1, '`', n - 2)) {
			rest_code = xstrndup(rest + 1, n - 2);
			if (import_inline_is_command(rest_code)) {
				code = rest_code;
				rest = NULL;
			}
		}
	}
	struct import_item *it = map_item(mp, b->bold ? b->bold : code ? code : text, b->line);
	mp->item_of[blk] = last_index(mp);
	if (rest && *rest)
		strvec_push(&it->details, rest);
	it->estimate = import_estimate(text);
	it->optional = import_heading_optional(text);
	if (!code)
		it->duration = import_wait(text);
	if (b->checked)
		import_msg(mp->ms, IMPORT_NOTE, b->line,
			"checkbox \"%s\" was ticked in the source: imported as an item to check in each run", it->title);
	if (code) {
		check_code(mp, code, b->code_line ? b->code_line : b->line, true);
		add_script(mp, it, code, b->line);
	}
	settle_kind(it);
	free(rest_code);
}

void map_bullet(struct mapper *mp, int blk)
{
	const struct import_block *b = &mp->doc->b[blk];
	const char *text = b->text ? b->text : "";
	struct import_item *owner = owner_item(mp, blk);
	if (owner) {
		if (*text)
			strvec_push(&owner->details, text);
		return;
	}
	if (mp->has_code[blk] && *text) {
		char *title = xstrdup(text);
		size_t n = strlen(title);
		if (n && title[n - 1] == ':')
			title[n - 1] = '\0';
		struct import_item *it = map_item(mp, title, b->line);
		it->estimate = import_estimate(text);
		it->optional = import_heading_optional(text);
		mp->item_of[blk] = last_index(mp);
		free(title);
		return;
	}
	char *wait = *text ? import_wait(text) : NULL;
	if (wait) {
		/* "2. Wait 15 minutes and watch the error rate.": a step of its own */
		struct import_item *it = map_item(mp, text, b->line);
		it->duration = wait;
		mp->item_of[blk] = last_index(mp);
		settle_kind(it);
		mp->last_para = -1;
		return;
	}
	if (*text)
		strbuf_addf(&mp->text, "- %s\n", text);
	mp->last_para = -1;
}

/* "[!WARNING] text" as "Warning: text"; other quotes as they are. */
static char *quote_text(const char *text)
{
	if (text[0] == '[' && text[1] == '!') {
		const char *close = strchr(text, ']');
		if (close && close - text > 2) {
			char *word = xstrndup(text + 2, (size_t)(close - text - 2));
			for (char *p = word; *p; p++)
				*p = (char)(p == word ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
			const char *rest = close + 1;
			while (*rest == ' ')
				rest++;
			char *out = *rest ? xasprintf("%s: %s", word, rest) : xstrdup(word);
			free(word);
			return out;
		}
	}
	if (strncmp(text, ":warning:", 9) == 0)
		return xasprintf("Warning: %s", text + 9 + strspn(text + 9, " "));
	return xstrdup(text);
}

void map_para(struct mapper *mp, int blk)
{
	const struct import_block *b = &mp->doc->b[blk];
	const char *text = b->text ? b->text : "";
	size_t len = strlen(text);
	if (!len || (strncmp(text, "<!--", 4) == 0 && len >= 7 && strcmp(text + len - 3, "-->") == 0))
		return;  /* nothing, or an HTML comment (a linter's switch, a note to editors) */
	struct import_item *owner = owner_item(mp, blk);
	if (owner || b->kind == BLK_QUOTE || strncmp(text, ":warning:", 9) == 0) {
		/* to the item it is in, else to the next item: a line a detail,
		 * the first read as an alert ("[!WARNING] ..." as "Warning: ...") */
		struct strvec lines = {0};
		split_lines(text, &lines);
		for (size_t i = 0; i < lines.n; i++) {
			char *t = i == 0 ? quote_text(import_trim(lines.v[i])) : xstrdup(import_trim(lines.v[i]));
			if (*t)
				strvec_push_owned(owner ? &owner->details : &mp->pending, t);
			else
				free(t);
		}
		strvec_clear(&lines);
		return;
	}
	char *wait = strlen(text) < 160 ? import_wait(text) : NULL;
	if (wait) {
		/* titled by its step heading when it is all the step says */
		int step = map_step(mp);
		char *title = step >= 0 && !mp->used[step] ? map_heading_title(mp, step) : xstrdup(text);
		size_t n = strlen(title);
		if (n > 1 && title[n - 1] == '.')
			title[n - 1] = '\0';
		struct import_item *it = map_item(mp, title, b->line);
		if (step >= 0 && strcmp(title, text) != 0)
			strvec_push(&it->details, text);
		free(title);
		it->duration = wait;
		settle_kind(it);
		mp->last_para = -1;
		return;
	}
	mp->last_para = blk;
	mp->last_para_at = mp->text.len;
	strbuf_addf(&mp->text, "%s\n", text);
}

/* The title of an item made from a code block with no checkbox around it:
 * the short paragraph ending in ':' just before it, else the step heading,
 * else the section's heading. */
static char *code_title(struct mapper *mp, int line, char **estimate, bool *optional)
{
	/* the paragraph still unclaimed: still in the text read since the last item */
	if (mp->last_para >= 0 && mp->text.data && mp->last_para_at <= mp->text.len) {
		const char *t = mp->doc->b[mp->last_para].text;
		size_t n = strlen(t);
		if (n > 1 && n <= 100 && t[n - 1] == ':') {
			mp->text.len = mp->last_para_at;
			mp->text.data[mp->text.len] = '\0';
			return xstrndup(t, n - 1);
		}
	}
	int h = map_step(mp);
	if (h < 0)
		h = mp->heads[3] >= 0 ? mp->heads[3] : mp->heads[2];
	if (h < 0)
		return xasprintf("Commands at line %d", line);
	*estimate = import_estimate(mp->doc->b[h].text ? mp->doc->b[h].text : "");
	*optional = import_heading_optional(mp->doc->b[h].text ? mp->doc->b[h].text : "");
	if (h != map_step(mp))
		free(*estimate), *estimate = NULL;  /* the section's own estimate */
	return map_heading_title(mp, h);
}

/* A block in another language: details of IT, never run. */
static void map_other(struct mapper *mp, struct import_item *it, const struct import_block *b)
{
	/* "python", "python title=x", or pandoc's "{.python .numberLines}" */
	const char *info = b->info + strspn(b->info, "{. \t");
	size_t len = strcspn(info, " \t{}");
	char *name = len ? xstrndup(info, len) : xstrdup(*b->info ? "tagged" : "untagged");
	strvec_pushf(&it->details, "Not run (%s block):", name);
	map_details(it, b->text);
	import_msg(mp->ms, IMPORT_NOTE, b->line, "%s %s block is never run: kept in the details of \"%s\"",
		strchr("aeiou", tolower((unsigned char)name[0])) || strncasecmp(name, "html", 4) == 0 ? "an" : "a",
		name, it->title);
	free(name);
}

/* A shell or console block: IT's run (or, when it is only comments, its
 * details), sample output and expectations. */
static void map_shell(struct mapper *mp, struct import_item *it, const struct import_block *b, enum import_lang lang)
{
	const char *code = b->text;
	char *cmds, *output, *expect;
	import_split_block(code, lang, &cmds, &output, &expect);
	if (comments_only(cmds)) {
		for (const char *p = cmds; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			char *l = import_trim(xstrndup(p, n));
			const char *t = l + strspn(l, "# ");
			if (*t)
				strvec_push(&it->details, t);
			free(l);
			p += n + (nl ? 1 : 0);
		}
	} else {
		check_code(mp, code, b->content_line ? b->content_line : b->line + 1, lang != IMPORT_LANG_CONSOLE);
		add_script(mp, it, cmds, b->content_line ? b->content_line : b->line + 1);
	}
	if (*output) {
		strvec_push(&it->details, "Sample output:");
		map_details(it, output);
	}
	if (*expect) {
		char *e = it->expect ? xasprintf("%s; %s", it->expect, expect) : xstrdup(expect);
		free(it->expect);
		it->expect = e;
	}
	free(cmds);
	free(output);
	free(expect);
}

void map_code(struct mapper *mp, int blk)
{
	const struct import_block *b = &mp->doc->b[blk];
	const char *code = b->text ? b->text : "";
	if (b->unclosed)
		import_msg(mp->ms, IMPORT_WARNING, b->line,
			"this code fence is not closed: the block runs to the end of the file or of its list item");
	if (!code[strspn(code, " \t\r\n")]) {
		mp->m->skipped++;
		import_msg(mp->ms, IMPORT_SKIPPED, b->line, "empty code block: left out");
		return;
	}
	enum import_lang lang = import_lang(b->info);
	bool shell = lang == IMPORT_LANG_SHELL || lang == IMPORT_LANG_CONSOLE ||
		(lang == IMPORT_LANG_NONE && import_looks_like_commands(code));
	struct import_item *it = owner_item(mp, blk);
	if (!it) {
		char *estimate = NULL;
		bool optional = false;
		char *title = code_title(mp, b->line, &estimate, &optional);
		it = map_item(mp, title, b->line);
		it->estimate = estimate;
		it->optional = optional;
		free(title);
	}
	mp->last_para = -1;
	if (shell)
		map_shell(mp, it, b, lang == IMPORT_LANG_NONE ? IMPORT_LANG_SHELL : lang);
	else
		map_other(mp, it, b);
	settle_kind(it);
}

void map_row(struct mapper *mp, int blk)
{
	const struct import_block *b = &mp->doc->b[blk];
	if (!b->cells.n || !*b->cells.v[0])
		return;
	int h = mp->heads[3] >= 0 ? mp->heads[3] : mp->heads[2];
	if (h >= 0 && import_heading_kind(mp->doc->b[h].text ? mp->doc->b[h].text : "") == IMPORT_HEADING_REFERENCE)
		return;  /* a table of links or contacts */
	/* a checkbox in a table: "| [ ] DNS switched |", or its own column */
	const char *title = b->cells.v[0];
	size_t first = 1;
	bool ticked = false;
	if (title[0] == '[' && title[1] && strchr(" xX", title[1]) && title[2] == ']') {
		ticked = title[1] != ' ';
		title += 3 + strspn(title + 3, " ");
		if (!*title && b->cells.n > 1 && *b->cells.v[1])
			title = b->cells.v[1], first = 2;
		else if (!*title)
			return;
	}
	struct import_item *it = map_item(mp, title, b->line);
	if (ticked)
		import_msg(mp->ms, IMPORT_NOTE, b->line,
			"checkbox \"%s\" was ticked in the source: imported as an item to check in each run", it->title);
	for (size_t i = first; i < b->cells.n; i++) {
		if (!*b->cells.v[i])
			continue;
		if (i < b->head.n && *b->head.v[i])
			strvec_pushf(&it->details, "%s: %s", b->head.v[i], b->cells.v[i]);
		else
			strvec_push(&it->details, b->cells.v[i]);
	}
	it->estimate = NULL;
	mp->last_para = -1;
}
