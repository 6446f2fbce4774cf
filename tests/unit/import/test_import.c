/* import_markdown on runbooks written for the tests: each fixtures/NAME.md
 * is imported and its JSON compared with NAME.json (absent when the import
 * gives none) and its messages with NAME.stderr, written as the CLI writes
 * them (NAME.md:LINE: KIND: TEXT, the summary, then "-- STATUS"). With
 * IMPORT_BLESS=1 the expected files are written instead: read each one.
 *
 *   test_import --fixtures DIR     compare (or bless) every DIR/ *.md
 *   test_import --noa RUNBOOK      the NOA runbook: imports, loads and lints
 *                                  clean, accounts for every heading,
 *                                  checkbox and code block (77 when absent)
 *   test_import --file FILE.md     print the import (JSON on stdout) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "countersign/checklist.h"
#include "countersign/import.h"
#include "countersign/util.h"

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct strbuf sb = {0};
	strbuf_addstr(&sb, "");
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	*len = sb.len;
	return strbuf_detach(&sb);
}

static const char *status_name(enum import_status st)
{
	return st == IMPORT_OK ? "ok" : st == IMPORT_NOTHING ? "nothing" : "refused";
}

static char *messages(const char *name, const struct import_result *r, enum import_status st)
{
	struct strbuf sb = {0};
	strbuf_addstr(&sb, "");
	for (size_t i = 0; i < r->n_messages; i++) {
		if (r->messages[i].line)
			strbuf_addf(&sb, "%s:%d: ", name, r->messages[i].line);
		else
			strbuf_addf(&sb, "%s: ", name);
		strbuf_addf(&sb, "%s: %s\n", import_message_kind_name(r->messages[i].kind), r->messages[i].text);
	}
	strbuf_addf(&sb, "%s\n-- %s\n", r->summary ? r->summary : "(no summary)", status_name(st));
	return strbuf_detach(&sb);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(99);
	}
}

/* A JSON the importer gave loads and lints with no error and no warning. */
static void check_lints(const char *name, const char *json)
{
	struct diag_list d;
	diag_list_init(&d, name);
	struct checklist *cl = checklist_load_text(name, json, strlen(json), &d);
	CHECK(cl != NULL);
	CHECK(d.errors == 0);
	CHECK(d.warnings == 0);
	if (d.count)
		diag_list_print(&d, stderr);
	checklist_destroy(cl);
	diag_list_clear(&d);
}

static void compare(const char *path, const char *got, bool bless)
{
	size_t len;
	char *want = read_file(path, &len);
	if (bless) {
		if (got)
			write_file(path, got);
		else
			remove(path);
	} else if (!got) {
		CHECK(want == NULL);
		if (want)
			fprintf(stderr, "%s: expected no JSON\n", path);
	} else {
		bool same = want && strcmp(want, got) == 0;
		CHECK(same);
		if (!same)
			fprintf(stderr, "%s differs; got:\n%s\n", path, got);
	}
	free(want);
}

static bool has_message(const struct import_result *r, int line, const char *part);

/* The interface's edges, and input built here too large or too deep to keep
 * as a fixture: a clear status and message, never a crash. */
static void api_checks(void)
{
	struct import_result r;
	CHECK(import_markdown(NULL, 0, NULL, &r) == IMPORT_NOTHING);
	CHECK(r.json == NULL && r.n_messages == 1 && r.messages[0].line == 0);
	CHECK_STR(r.summary, "imported 0 sections, 0 items (0 command, 0 manual, 0 wait), 0 variables; skipped 0 parts");
	import_result_clear(&r);
	import_result_clear(NULL);
	CHECK(r.summary == NULL);
	CHECK_STR(import_message_kind_name(IMPORT_WARNING), "warning");
	CHECK_STR(import_message_kind_name(IMPORT_SKIPPED), "skipped");
	CHECK_STR(import_message_kind_name(IMPORT_NOTE), "note");

	/* 5,000 nested quotes, and 3,000 checkboxes nested up to 100 deep */
	struct strbuf sb = {0};
	strbuf_addstr(&sb, "# Deep\n\n## Steps\n\n");
	for (int i = 0; i < 5000; i++)
		strbuf_addstr(&sb, ">");
	strbuf_addstr(&sb, " deep\n\n");
	for (int i = 0; i < 3000; i++)
		strbuf_addf(&sb, "%*s- [ ] level %d\n", i * 2 > 200 ? 200 : i * 2, "", i + 1);
	CHECK(import_markdown(sb.data, sb.len, "deep.md", &r) == IMPORT_OK);
	CHECK(r.json && r.skipped > 0);
	bool said = false;
	for (size_t i = 0; i < r.n_messages; i++)
		said |= strstr(r.messages[i].text, "nested deeper than 32 levels") != NULL;
	CHECK(said);
	import_result_clear(&r);
	strbuf_release(&sb);

	/* more placeholders than a checklist takes variables: the block past the
	 * limit keeps its "<...>" and must not run (it is a manual item) */
	strbuf_addstr(&sb, "# Many\n\n## Fill in\n\n### First\n\n```bash\n");
	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "echo <P%d>\n", i);
	strbuf_addstr(&sb, "```\n\n### Second\n\n```bash\necho <ONE_TOO_MANY>\n```\n");
	CHECK(import_markdown(sb.data, sb.len, "many.md", &r) == IMPORT_OK);
	CHECK(r.variables == 1000 && r.commands == 1 && r.manuals == 1);
	CHECK(r.json && !strstr(r.json, "\"run\": \"echo <ONE_TOO_MANY>\""));
	CHECK(has_message(&r, 1013, "variables"));
	import_result_clear(&r);
	strbuf_release(&sb);

	/* 5 MiB of checkboxes and commands: more than a checklist may hold */
	strbuf_addstr(&sb, "# Big\n\n");
	for (int i = 0; sb.len < 5u * 1024 * 1024; i++)
		strbuf_addf(&sb, "## Phase %d\n\n- [ ] **Check %d**\n\n  ```bash\n  kubectl get pods -n <ns>\n  ```\n\n", i, i);
	CHECK(import_markdown(sb.data, sb.len, "big.md", &r) == IMPORT_REFUSED);
	CHECK(r.json == NULL && r.n_messages > 0);
	CHECK(r.n_messages && strstr(r.messages[r.n_messages - 1].text, "split the runbook") != NULL);
	import_result_clear(&r);
	strbuf_release(&sb);

	/* more than IMPORT_MAX_BYTES is refused unread */
	char *huge = xmalloc(IMPORT_MAX_BYTES + 1);
	memset(huge, 'a', IMPORT_MAX_BYTES + 1);
	CHECK(import_markdown(huge, IMPORT_MAX_BYTES + 1, "huge.md", &r) == IMPORT_REFUSED);
	CHECK(r.n_messages == 1 && strstr(r.messages[0].text, "8 MiB") != NULL);
	import_result_clear(&r);
	free(huge);

	/* invalid UTF-8 */
	CHECK(import_markdown("# T\n\n- [ ] \xff\n", 12, "latin1.md", &r) == IMPORT_REFUSED);
	CHECK(r.n_messages == 1 && r.messages[0].line == 3);
	import_result_clear(&r);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int fixtures(const char *dir, bool bless)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "cannot open %s\n", dir);
		return 99;
	}
	struct strvec names = {0};
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (n > 3 && strcmp(e->d_name + n - 3, ".md") == 0)
			strvec_push_owned(&names, xstrndup(e->d_name, n - 3));
	}
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(char *), by_name);
	CHECK(names.n >= 14);
	api_checks();
	for (size_t i = 0; i < names.n; i++) {
		char *md = xasprintf("%s/%s.md", dir, names.v[i]);
		char *base = xasprintf("%s.md", names.v[i]);
		size_t len;
		char *text = read_file(md, &len);
		CHECK(text != NULL);
		struct import_result r;
		enum import_status st = import_markdown(text ? text : "", text ? len : 0, base, &r);
		if (st == IMPORT_OK)
			check_lints(base, r.json);
		CHECK((st == IMPORT_OK) == (r.json != NULL));
		char *msgs = messages(base, &r, st);
		char *json_path = xasprintf("%s/%s.json", dir, names.v[i]);
		char *err_path = xasprintf("%s/%s.stderr", dir, names.v[i]);
		compare(json_path, r.json, bless);
		compare(err_path, msgs, bless);
		free(json_path);
		free(err_path);
		free(msgs);
		import_result_clear(&r);
		free(text);
		free(md);
		free(base);
	}
	strvec_clear(&names);
	return check_report();
}

static bool has_message(const struct import_result *r, int line, const char *part)
{
	for (size_t i = 0; i < r->n_messages; i++)
		if ((line < 0 || r->messages[i].line == line) && strstr(r->messages[i].text, part))
			return true;
	return false;
}

/* Every heading, checkbox and code fence of TEXT, found by a scan of its
 * lines independent of md4c: in the output (its text in JSON) or in a
 * message at its line. */
static void check_accounting(const char *text, const struct import_result *r)
{
	int line = 0, headings = 0, boxes = 0, blocks = 0;
	bool in_code = false;
	for (const char *p = text; *p; line++) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *l = xstrndup(p, n);
		const char *t = l + strspn(l, " ");
		if (strncmp(t, "```", 3) == 0) {
			if (!in_code) {
				blocks++;
				/* a block is in the output: some item holds its first line */
				const char *first = nl ? nl + 1 : "";
				const char *first_end = strchr(first, '\n');
				char *fl = xstrndup(first, first_end ? (size_t)(first_end - first) : strlen(first));
				char *body = fl + strspn(fl, " #");
				char *cut = xstrndup(body, strcspn(body, "<$\"\\"));
				bool found = strstr(r->json, cut) || has_message(r, line + 1, "");
				if (!found)
					fprintf(stderr, "code block at line %d (%s) not accounted for\n", line + 1, cut);
				CHECK(found);
				free(cut);
				free(fl);
			}
			in_code = !in_code;
		} else if (!in_code && t[0] == '#') {
			headings++;
			const char *h = t + strspn(t, "#");
			h += strspn(h, " ");
			char *word = xstrndup(h, strcspn(h, "("));
			while (*word && word[strlen(word) - 1] == ' ')
				word[strlen(word) - 1] = '\0';
			bool found = strstr(r->json, word) || has_message(r, line + 1, "");
			if (!found)
				fprintf(stderr, "heading at line %d (%s) not accounted for\n", line + 1, word);
			CHECK(found);
			free(word);
		} else if (!in_code && (strncmp(t, "- [ ] ", 6) == 0 || strncmp(t, "- [x] ", 6) == 0)) {
			boxes++;
			const char *b = t + 6;
			b += strspn(b, "*");
			char *title = xstrndup(b, strcspn(b, "*("));
			while (*title && title[strlen(title) - 1] == ' ')
				title[strlen(title) - 1] = '\0';
			bool found = strstr(r->json, title) || has_message(r, line + 1, "");
			if (!found)
				fprintf(stderr, "checkbox at line %d (%s) not accounted for\n", line + 1, title);
			CHECK(found);
			free(title);
		}
		free(l);
		p += n + (nl ? 1 : 0);
	}
	fprintf(stderr, "NOA: %d headings, %d checkboxes, %d code blocks\n", headings, boxes, blocks);
	/* the runbook as it is in ../shared: a changed copy should be looked at */
	CHECK(headings == 54 && boxes == 45 && blocks == 39);
}

static int noa(const char *path)
{
	size_t len;
	char *text = read_file(path, &len);
	if (!text) {
		fprintf(stderr, "%s is absent: skipped\n", path);
		return 77;
	}
	struct import_result r;
	enum import_status st = import_markdown(text, len, "noa-server-deploy.md", &r);
	CHECK(st == IMPORT_OK);
	if (st == IMPORT_OK) {
		check_lints("noa-server-deploy.md", r.json);
		check_accounting(text, &r);
		CHECK(strstr(r.json, "\"always_open\": true") != NULL);
		/* no imported command keeps a literal <placeholder> */
		CHECK(strstr(r.json, "<pod-name>") == NULL);
	}
	CHECK(has_message(&r, -1, "Blue-Green"));
	CHECK(has_message(&r, -1, "Canary"));
	CHECK(has_message(&r, -1, "Rolling"));
	CHECK(has_message(&r, 9, "Table of Contents"));
	CHECK(has_message(&r, 764, "Related Documentation"));
	CHECK(has_message(&r, 772, "Support Contacts"));
	CHECK(r.sections >= 20 && r.commands >= 30 && r.variables >= 1);
	CHECK(r.items >= 45 + 20);  /* every checkbox, and the blocks under headings */
	char *msgs = messages("noa-server-deploy.md", &r, st);
	fputs(msgs, stderr);
	free(msgs);
	import_result_clear(&r);
	free(text);
	return check_report();
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--fixtures") == 0) {
		const char *b = getenv("IMPORT_BLESS");
		return fixtures(argv[2], b && *b && strcmp(b, "0") != 0);
	}
	if (argc == 3 && strcmp(argv[1], "--noa") == 0)
		return noa(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--file") == 0) {
		size_t len;
		char *text = read_file(argv[2], &len);
		if (!text)
			return 3;
		const char *base = strrchr(argv[2], '/');
		base = base ? base + 1 : argv[2];
		struct import_result r;
		enum import_status st = import_markdown(text, len, base, &r);
		if (r.json)
			fputs(r.json, stdout);
		char *msgs = messages(base, &r, st);
		fputs(msgs, stderr);
		free(msgs);
		import_result_clear(&r);
		free(text);
		return st == IMPORT_OK ? 0 : 2;
	}
	fprintf(stderr, "usage: test_import --fixtures DIR | --noa RUNBOOK | --file FILE.md\n");
	return 2;
}
