/* The blocks mapped onto sections (SPEC 8): H1 the title, H2 phases, H3 the
 * sections (or an H2 with items directly under it), H4 and below steps whose
 * blocks become items of their section. Every heading that gives the output
 * nothing is reported with its reason; sibling sections that read as
 * alternative procedures are reported as a likely choice group. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "countersign/checklist.h"
#include "import_map.h"

static void item_free(struct import_item *it)
{
	free(it->id);
	free(it->title);
	free(it->kind);
	strvec_clear(&it->run);
	free(it->expect);
	free(it->duration);
	free(it->estimate);
	strvec_clear(&it->details);
}

void import_model_free(struct import_model *m)
{
	for (size_t s = 0; s < m->n_sections; s++) {
		struct import_section *sec = &m->sections[s];
		for (size_t i = 0; i < sec->n_items; i++)
			item_free(&sec->items[i]);
		free(sec->items);
		free(sec->id);
		free(sec->title);
		free(sec->phase);
		free(sec->description);
		free(sec->estimate);
		import_ids_clear(&sec->item_ids);
	}
	free(m->sections);
	import_ids_clear(&m->section_ids);
	import_vars_free(m->vars, m->n_vars);
	free(m->id);
	free(m->title);
	free(m->description);
	memset(m, 0, sizeof(*m));
}

char *map_heading_title(const struct mapper *mp, int blk)
{
	char *t = import_clean_title(mp->doc->b[blk].text ? mp->doc->b[blk].text : "");
	if (!*t) {
		free(t);
		t = xasprintf("Line %d", mp->doc->b[blk].line);
	}
	return t;
}

int map_step(const struct mapper *mp)
{
	for (int l = 6; l >= 4; l--)
		if (mp->heads[l] >= 0)
			return mp->heads[l];
	return -1;
}

/* The heading a new section is made from: the open H3, else the open H2. */
static int section_heading(const struct mapper *mp)
{
	return mp->heads[3] >= 0 ? mp->heads[3] : mp->heads[2];
}

static enum import_heading_kind kind_of(const struct mapper *mp, int blk)
{
	return blk >= 0 ? import_heading_kind(mp->doc->b[blk].text ? mp->doc->b[blk].text : "")
			: IMPORT_HEADING_PLAIN;
}

struct import_section *map_section(struct mapper *mp, int line)
{
	struct import_model *m = mp->m;
	if (mp->sec >= 0)
		return &m->sections[mp->sec];
	if (m->n_sections == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->sections = xreallocarray(m->sections, m->cap, sizeof(*m->sections));
	}
	struct import_section *s = &m->sections[m->n_sections];
	memset(s, 0, sizeof(*s));
	int h = section_heading(mp);
	s->line = h >= 0 ? mp->doc->b[h].line : line;
	s->title = h >= 0 ? map_heading_title(mp, h) : xstrdup(m->title ? m->title : "Steps");
	if (h >= 0 && h == mp->heads[3] && mp->heads[2] >= 0)
		s->phase = map_heading_title(mp, mp->heads[2]);
	if (h >= 0)
		s->estimate = import_estimate(mp->doc->b[h].text ? mp->doc->b[h].text : "");
	enum import_heading_kind k = kind_of(mp, h), pk = kind_of(mp, mp->heads[2]);
	if (k == IMPORT_HEADING_ROLLBACK || pk == IMPORT_HEADING_ROLLBACK) {
		s->ungated = true;
	} else if (k == IMPORT_HEADING_REFERENCE || pk == IMPORT_HEADING_REFERENCE) {
		s->ungated = true;
		import_msg(mp->ms, IMPORT_NOTE, s->line,
			"\"%s\" is a reference section: imported without a gate and always open, to use when needed",
			s->title);
	}
	if (mp->intro.len)
		s->description = import_trim(strbuf_detach(&mp->intro));
	else if (mp->text.len && map_step(mp) < 0)  /* prose under a step describes its item */
		s->description = import_trim(strbuf_detach(&mp->text));
	s->id = import_make_id(s->title, "section", &m->section_ids);
	mp->sec = (int)m->n_sections++;
	return s;
}

struct import_item *map_item(struct mapper *mp, const char *title, int line)
{
	struct import_section *s = map_section(mp, line);
	if (s->n_items == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->items = xreallocarray(s->items, s->cap, sizeof(*s->items));
	}
	struct import_item *it = &s->items[s->n_items++];
	memset(it, 0, sizeof(*it));
	it->title = import_clean_title(title);
	if (!*it->title) {
		free(it->title);
		it->title = xasprintf("Line %d", line);
	}
	it->id = import_make_id(it->title, "item", &s->item_ids);
	it->kind = xstrdup("manual");
	int step = map_step(mp);
	if (step >= 0 && !mp->used[step]) {
		/* a step heading over a list of steps or checkboxes has no item of
		 * its own: its title goes with the first one, and stderr says so */
		char *st = map_heading_title(mp, step);
		if (strcmp(st, it->title) != 0) {
			import_msg(mp->ms, IMPORT_NOTE, mp->doc->b[step].line,
				"step \"%s\" is imported as the items under it, from \"%s\"", st, it->title);
			strvec_pushf(&it->details, "Part of %s", st);
		}
		free(st);
	}
	for (int l = 1; l <= 6; l++)
		if (mp->heads[l] >= 0)
			mp->used[mp->heads[l]] = true;
	/* what was read since the section's start describes this item */
	if (mp->text.len) {
		map_details(it, mp->text.data);
		strbuf_release(&mp->text);
	}
	mp->last_para = -1;  /* its paragraph is this item's now: it titles no later code block */
	for (size_t i = 0; i < mp->pending.n; i++)
		strvec_push(&it->details, mp->pending.v[i]);
	strvec_clear(&mp->pending);
	return it;
}

/* Closes the scope of heading BLK: reports it when it gave nothing. */
static void close_heading(struct mapper *mp, int blk)
{
	const struct import_block *b = &mp->doc->b[blk];
	if (mp->used[blk])  /* the title's H1 is used; a later H1 is a phase like an H2 */
		return;
	char *title = map_heading_title(mp, blk);
	mp->m->skipped++;
	if (kind_of(mp, blk) == IMPORT_HEADING_REFERENCE) {
		import_msg(mp->ms, IMPORT_SKIPPED, b->line,
			"\"%s\" is a reference section (links, contacts, contents) with no checkbox or command: left out",
			title);
	} else if (mp->prose[blk] && !mp->m->description && mp->m->n_sections == 0 && mp->text.len) {
		mp->m->description = import_trim(strbuf_detach(&mp->text));
		import_msg(mp->ms, IMPORT_SKIPPED, b->line,
			"heading \"%s\" holds prose only: its text is the checklist's description", title);
	} else if (mp->prose[blk]) {
		import_msg(mp->ms, IMPORT_SKIPPED, b->line,
			"heading \"%s\" holds prose only (no checkbox, code block or table): left out", title);
	} else {
		bool parent = false;  /* a phase whose sections are all skipped says nothing more */
		for (size_t i = (size_t)blk + 1; i < mp->doc->n && !parent; i++)
			if (mp->doc->b[i].kind == BLK_HEADING)
				parent = mp->doc->b[i].level > b->level;
		if (parent && b->level == 1)  /* read as an H2: the H2s after it are its siblings */
			import_msg(mp->ms, IMPORT_SKIPPED, b->line, "heading \"%s\" is an H1 after the title: "
				"the H2 headings after it are phases of their own, not under it: left out", title);
		else
			import_msg(mp->ms, IMPORT_SKIPPED, b->line, parent
				? "heading \"%s\": nothing under it was imported"
				: "heading \"%s\" has nothing under it: left out", title);
	}
	free(title);
}

/* Quotes and alerts with no item after them go to the last item read. */
static void flush_pending(struct mapper *mp)
{
	if (!mp->pending.n)
		return;
	if (mp->sec >= 0 && mp->m->sections[mp->sec].n_items) {
		struct import_section *s = &mp->m->sections[mp->sec];
		for (size_t i = 0; i < mp->pending.n; i++)
			strvec_push(&s->items[s->n_items - 1].details, mp->pending.v[i]);
		strvec_clear(&mp->pending);
	}
	/* with no item before it (a warning under the title) it waits for the
	 * next item, past the heading */
}

/* "Step 3 ...", "OPTIONAL Step 3 ...", "Step 0.1: ...". */
static bool step_title(const char *title)
{
	while (*title == ' ' || *title == '*' || *title == '_')
		title++;
	if (strncasecmp(title, "optional", 8) == 0) {
		title += 8;
		while (*title == ' ' || *title == ':' || *title == '*' || *title == '_')
			title++;
	}
	return strncasecmp(title, "step", 4) == 0 && (title[4] == ' ' || isdigit((unsigned char)title[4])) &&
		isdigit((unsigned char)title[4 + (title[4] == ' ')]);
}

/* The deepest open heading, or -1. */
static int open_heading(const struct mapper *mp)
{
	for (int l = 6; l >= 1; l--)
		if (mp->heads[l] >= 0)
			return mp->heads[l];
	return -1;
}

static void on_heading(struct mapper *mp, int blk)
{
	const struct import_block *b = &mp->doc->b[blk];
	int level = b->level;
	if (level == 1 && !mp->m->title) {
		char *t = map_heading_title(mp, blk);
		mp->m->title = t;
		mp->used[blk] = true;
		mp->heads[1] = blk;
		return;
	}
	if (level == 1)
		level = 2;  /* a second H1 reads as a phase */
	if (level == 3 && step_title(b->text ? b->text : ""))
		level = 4;  /* "### Step 2 ...": a step of the phase's procedure */
	if (mp->text.len && open_heading(mp) == mp->heads[1] && mp->heads[1] >= 0 && !mp->m->description) {
		mp->m->description = import_trim(strbuf_detach(&mp->text));  /* the title's introduction */
		mp->prose[mp->heads[1]] = false;
	}
	flush_pending(mp);
	for (int l = 6; l >= level; l--) {
		if (mp->heads[l] >= 0)
			close_heading(mp, mp->heads[l]);
		mp->heads[l] = -1;
	}
	if (level >= 4 && mp->sec < 0 && map_step(mp) < 0 && mp->text.len && !mp->intro.len) {
		mp->intro = mp->text;  /* the section's introduction, before its steps */
		memset(&mp->text, 0, sizeof(mp->text));
	}
	if (level <= 3)
		strbuf_release(&mp->intro);
	strbuf_release(&mp->text);
	mp->last_para = -1;
	mp->heads[level] = blk;
	if (level <= 3)
		mp->sec = -1;
}

/* Reports runs of sibling sections (one phase) that read as alternatives. */
static void report_choices(struct mapper *mp)
{
	struct import_model *m = mp->m;
	for (size_t s = 0; s < m->n_sections;) {
		size_t e = s + 1;
		while (e < m->n_sections && m->sections[s].phase && m->sections[e].phase &&
			strcmp(m->sections[s].phase, m->sections[e].phase) == 0)
			e++;
		if (m->sections[s].ungated) {  /* always open: never one of a choice group */
			s = e;
			continue;
		}
		size_t n = e - s;
		const char **titles = xcalloc(n, sizeof(*titles));
		bool *member = xcalloc(n, sizeof(*member));
		for (size_t i = 0; i < n; i++)
			titles[i] = m->sections[s + i].title;
		size_t k = import_alternative_members(titles, n, member);
		if (k >= 2) {
			struct strbuf sb = {0};
			size_t seen = 0, first = n;
			for (size_t i = 0; i < n; i++) {
				if (!member[i])
					continue;
				first = first < n ? first : i;
				seen++;
				strbuf_addf(&sb, "%s\"%s\"", seen == 1 ? "" : seen == k ? " and " : ", ", titles[i]);
			}
			struct import_ids none = {0};
			const char *phase = m->sections[s].phase ? m->sections[s].phase : "choice";
			char *group = import_make_id(phase, "choice", &none);
			import_ids_clear(&none);
			import_msg(mp->ms, IMPORT_NOTE, m->sections[s + first].line,
				"sections %s read as alternative procedures: if a run does only one of them, "
				"give each \"choice\": \"%s\" (not set by the importer)", sb.data, group);
			free(group);
			strbuf_release(&sb);
		}
		free(titles);
		free(member);
		s = e;
	}
}

/* Each block, in order, to the heading it opens or the item it gives. */
static void map_blocks(struct mapper *mp)
{
	const struct import_doc *doc = mp->doc;
	struct import_model *m = mp->m;
	for (size_t i = 0; i < doc->n; i++) {
		const struct import_block *b = &doc->b[i];
		int open = open_heading(mp);
		if (b->kind != BLK_HEADING && b->kind != BLK_CODE && open >= 0)
			mp->prose[open] = true;
		switch (b->kind) {
		case BLK_HEADING:
			on_heading(mp, (int)i);
			break;
		case BLK_ITEM:
			if (b->task)
				map_task(mp, (int)i);
			else
				map_bullet(mp, (int)i);
			break;
		case BLK_PARA:
		case BLK_QUOTE:
			map_para(mp, (int)i);
			break;
		case BLK_CODE:
			map_code(mp, (int)i);
			break;
		case BLK_ROW:
			map_row(mp, (int)i);
			break;
		}
		/* Stops early when the JSON would certainly be too large for the
		 * loader (it is about twice the code and items it holds, and
		 * import_finish checks the real size), which also bounds the work
		 * on a huge input. */
		size_t len = b->text ? strlen(b->text) : 0;
		m->bytes += (b->kind == BLK_PARA || b->kind == BLK_QUOTE ? len : b->kind == BLK_HEADING ? 0 : 2 * len) + 64;
		if (m->bytes > CHECKLIST_MAX_BYTES + CHECKLIST_MAX_BYTES / 4) {
			m->too_big = true;
			import_too_big(mp->ms, b->line);
			break;
		}
	}
}

void import_map(const struct import_doc *doc, const char *name, struct import_model *m, struct import_msgs *ms)
{
	struct mapper mp = {.doc = doc, .m = m, .ms = ms, .sec = -1, .last_para = -1};
	for (int l = 0; l <= 6; l++)
		mp.heads[l] = -1;
	size_t n = doc->n ? doc->n : 1;
	mp.used = xcalloc(n, sizeof(bool));
	mp.prose = xcalloc(n, sizeof(bool));
	mp.has_code = xcalloc(n, sizeof(bool));
	mp.item_of = xcalloc(n, sizeof(int));
	size_t headings = 0;
	for (size_t i = 0; i < doc->n; i++) {
		mp.item_of[i] = -1;
		if (doc->b[i].kind == BLK_CODE && doc->b[i].owner >= 0)
			mp.has_code[doc->b[i].owner] = true;
		headings += doc->b[i].kind == BLK_HEADING;
	}
	m->skipped = doc->skipped_deep;
	map_blocks(&mp);
	flush_pending(&mp);
	for (int l = 6; l >= 1; l--)
		if (mp.heads[l] >= 0)
			close_heading(&mp, mp.heads[l]);
	if (!m->title) {
		const char *base = name ? strrchr(name, '/') : NULL;
		base = base ? base + 1 : name ? name : "";
		char *stem = xstrndup(base, strcspn(base, "."));
		m->title = import_clean_title(stem);
		free(stem);
		if (!*m->title) {
			free(m->title);
			m->title = xstrdup("Imported runbook");
		}
	}
	if (m->too_big)
		;  /* said above */
	else if (m->n_sections == 0)
		import_msg(ms, IMPORT_SKIPPED, 0, headings
			? "nothing to import: no checkbox (\"- [ ] ...\"), code block or table under the headings"
			: "nothing to import: no heading; expected \"# Title\", \"## Phase\" and \"### Section\" "
			  "headings with checkboxes (\"- [ ] ...\") or code blocks under them");
	else
		report_choices(&mp);
	strbuf_release(&mp.text);
	strbuf_release(&mp.intro);
	strvec_clear(&mp.pending);
	free(mp.used);
	free(mp.prose);
	free(mp.has_code);
	free(mp.item_of);
}
