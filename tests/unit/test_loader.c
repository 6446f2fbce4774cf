/* Unit tests for the checklist loader (src/core/loader*.c).
 *
 * Usage: test_loader CHECKLIST_DIR
 *
 * - every bundled *.json in CHECKLIST_DIR loads with no error, and its only
 *   warnings are about ${NAME} environment references;
 * - noa-server-deploy.json, when present, keeps the properties the runbook
 *   needs (strategy choice, open rollback sections, confirmations, ...);
 * - generated files and texts: size limit, missing files, directories, deep
 *   nesting, and the model a valid checklist is loaded into. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "countersign/checklist.h"
#include "countersign/clock.h"
#include "countersign/util.h"

#define MIN (60 * 1000LL)
#define HOUR (60 * MIN)

/* ---- helpers ---- */

/* All diagnostics of LIST as printed, for messages and substring checks. */
static char *diag_text(const struct diag_list *d)
{
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	diag_list_print(d, mem);
	fclose(mem);
	return out;
}

/* True when some diagnostic's message contains NEEDLE. */
static bool has_message(const struct diag_list *d, const char *needle)
{
	for (size_t i = 0; i < d->count; i++)
		if (strstr(d->items[i].message, needle))
			return true;
	return false;
}

/* Writes LEN bytes of DATA to a new temporary file; returns its malloc'd path. */
static char *temp_file(const void *data, size_t len)
{
	char *path = xstrdup("/tmp/countersign-test-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		exit(2);
	}
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror("write");
			exit(2);
		}
		p += n;
		len -= (size_t)n;
	}
	close(fd);
	return path;
}

static double now_seconds(void)
{
	return (double)clock_mono_us() / 1e6;
}

/* Loads the NUL-terminated TEXT under the name test.json into D (initialised here). */
static struct checklist *load(const char *text, struct diag_list *d)
{
	diag_list_init(d, "test.json");
	return checklist_load_text("test.json", text, strlen(text), d);
}

/* ---- bundled checklists ---- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void test_bundled_file(const char *path)
{
	struct diag_list d;
	diag_list_init(&d, path);
	struct checklist *cl = checklist_load_file(path, &d);
	CHECK(cl != NULL);
	CHECK(d.errors == 0);
	size_t odd_warnings = 0;
	for (size_t i = 0; i < d.count; i++)
		if (d.items[i].severity == DIAG_WARNING && strncmp(d.items[i].message, "${", 2) != 0)
			odd_warnings++;
	CHECK(odd_warnings == 0);
	if (!cl || d.errors || odd_warnings) {
		char *t = diag_text(&d);
		fprintf(stderr, "%s: unexpected diagnostics:\n%s", path, t);
		free(t);
	}
	/* Every section and item has an id and a title; positions are known. */
	for (size_t s = 0; cl && s < cl->n_sections; s++) {
		const struct checklist_section *sec = &cl->sections[s];
		CHECK(sec->id && sec->title && sec->line > 0 && sec->col > 0);
		for (size_t i = 0; i < sec->n_items; i++) {
			const struct checklist_item *it = &sec->items[i];
			CHECK(it->id && it->title && it->line > 0 && it->col > 0);
			CHECK(it->kind != ITEM_COMMAND || (it->run && it->run[0]));
		}
	}
	checklist_destroy(cl);
	diag_list_clear(&d);
}

static bool run_contains(const struct checklist_item *it, const char *needle)
{
	return it->run && strstr(it->run, needle);
}

static void test_noa(const char *path)
{
	struct diag_list d;
	diag_list_init(&d, path);
	struct checklist *cl = checklist_load_file(path, &d);
	CHECK(cl != NULL);
	diag_list_clear(&d);
	if (!cl)
		return;

	/* One deployment strategy out of three. */
	size_t strategy = 0;
	for (size_t s = 0; s < cl->n_sections; s++) {
		const struct checklist_section *sec = &cl->sections[s];
		if (sec->choice && strcmp(sec->choice, "strategy") == 0) {
			strategy++;
			CHECK(!sec->always_open);
		}
	}
	CHECK(strategy == 3);

	/* Rollback and emergency procedures are always reachable and never gated. */
	size_t open_sections = 0;
	for (size_t s = 0; s < cl->n_sections; s++) {
		const struct checklist_section *sec = &cl->sections[s];
		if (sec->phase && (strcmp(sec->phase, "Rollback") == 0 || strcmp(sec->phase, "Emergency") == 0)) {
			open_sections++;
			if (!sec->always_open || sec->gate)
				fprintf(stderr, "%s: section %s (%s) must be always_open with gate false\n",
					path, sec->id, sec->phase);
			CHECK(sec->always_open);
			CHECK(!sec->gate);
		}
	}
	CHECK(open_sections > 0);

	/* Every kind is used at least once. */
	size_t per_kind[ITEM_MANUAL + 1] = {0};
	for (size_t s = 0; s < cl->n_sections; s++)
		for (size_t i = 0; i < cl->sections[s].n_items; i++)
			per_kind[cl->sections[s].items[i].kind]++;
	for (int k = ITEM_COMMAND; k <= ITEM_MANUAL; k++) {
		if (per_kind[k] == 0)
			fprintf(stderr, "%s: no %s item\n", path, checklist_item_kind_name((enum checklist_item_kind)k));
		CHECK(per_kind[k] > 0);
	}

	const struct checklist_variable *token = checklist_variable(cl, "TOKEN");
	CHECK(token != NULL);
	CHECK(token && token->secret);

	/* Destructive commands ask first. */
	size_t destructive = 0;
	for (size_t s = 0; s < cl->n_sections; s++) {
		const struct checklist_section *sec = &cl->sections[s];
		for (size_t i = 0; i < sec->n_items; i++) {
			const struct checklist_item *it = &sec->items[i];
			if (run_contains(it, "kubectl delete") || run_contains(it, "--replicas=0") ||
				run_contains(it, "rollout undo")) {
				destructive++;
				if (!it->confirm)
					fprintf(stderr, "%s: %s/%s runs a destructive command without confirm\n",
						path, sec->id, it->id);
				CHECK(it->confirm);
			}
		}
	}
	CHECK(destructive > 0);
	checklist_destroy(cl);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_bundled(const char *dir)
{
	DIR *dh = opendir(dir);
	CHECK(dh != NULL);
	if (!dh)
		return;
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(dh));) {
		if (ends_with(e->d_name, ".json")) {
			names = xreallocarray(names, n + 1, sizeof(char *));
			names[n++] = xasprintf("%s/%s", dir, e->d_name);
		}
	}
	closedir(dh);
	qsort(names, n, sizeof(char *), by_name);
	CHECK(n > 0);
	for (size_t i = 0; i < n; i++) {
		test_bundled_file(names[i]);
		if (ends_with(names[i], "/noa-server-deploy.json"))
			test_noa(names[i]);
		free(names[i]);
	}
	free(names);
}

/* ---- files ---- */

static const char minimal[] =
	"{\"countersign\": 1, \"id\": \"m\", \"title\": \"M\", \"sections\": [{\"id\": \"s\", \"title\": \"S\"}]}";

static void test_size_limit(void)
{
	/* A valid checklist padded with trailing white space: only the size is wrong. */
	size_t big = 5u * 1024u * 1024u;
	char *text = xmalloc(big);
	memset(text, ' ', big);
	memcpy(text, minimal, strlen(minimal));
	text[big - 1] = '\n';
	char *path = temp_file(text, big);
	struct diag_list d;
	diag_list_init(&d, path);
	struct checklist *cl = checklist_load_file(path, &d);
	CHECK(cl == NULL);
	CHECK(d.errors == 1);
	CHECK(has_message(&d, "4 MiB"));
	CHECK(has_message(&d, "5.0 MiB"));
	diag_list_clear(&d);
	unlink(path);
	free(path);

	/* Exactly at the limit is fine; one byte more is not. */
	size_t max = CHECKLIST_MAX_BYTES;
	path = temp_file(text, max);
	diag_list_init(&d, path);
	cl = checklist_load_file(path, &d);
	CHECK(cl != NULL);
	CHECK(cl && cl->text_len == max);
	CHECK(d.count == 0);
	checklist_destroy(cl);
	diag_list_clear(&d);
	unlink(path);
	free(path);

	path = temp_file(text, max + 1);
	diag_list_init(&d, path);
	cl = checklist_load_file(path, &d);
	CHECK(cl == NULL);
	CHECK(has_message(&d, "4 MiB"));
	diag_list_clear(&d);
	unlink(path);
	free(path);
	free(text);
}

static void test_missing_file(void)
{
	char *path = temp_file("", 0);
	unlink(path); /* now certainly absent */
	struct diag_list d;
	diag_list_init(&d, path);
	struct checklist *cl = checklist_load_file(path, &d);
	CHECK(cl == NULL);
	CHECK(d.count == 1 && d.errors == 1);
	if (d.count == 1) {
		CHECK_STR(d.items[0].message, "cannot open the file: No such file or directory (check the path)");
		CHECK(d.items[0].line == 0);
	}
	diag_list_clear(&d);
	free(path);
}

static void test_directory(void)
{
	char dir[] = "/tmp/countersign-test-dir-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	struct diag_list d;
	diag_list_init(&d, dir);
	struct checklist *cl = checklist_load_file(dir, &d);
	CHECK(cl == NULL);
	CHECK(d.errors == 1);
	CHECK(has_message(&d, "not a regular file"));
	diag_list_clear(&d);
	rmdir(dir);
}

static void test_empty_file(void)
{
	char *path = temp_file("", 0);
	struct diag_list d;
	diag_list_init(&d, path);
	CHECK(checklist_load_file(path, &d) == NULL);
	CHECK(d.errors == 1 && has_message(&d, "empty"));
	diag_list_clear(&d);
	unlink(path);
	free(path);
}

static void test_deep_nesting(void)
{
	size_t depth = 100000;
	char *text = xmalloc(2 * depth + 1);
	memset(text, '[', depth);
	memset(text + depth, ']', depth);
	text[2 * depth] = '\0';

	/* Balanced, from a file. */
	char *path = temp_file(text, 2 * depth);
	struct diag_list d;
	diag_list_init(&d, path);
	double t0 = now_seconds();
	struct checklist *cl = checklist_load_file(path, &d);
	double spent = now_seconds() - t0;
	CHECK(cl == NULL);
	CHECK(d.errors == 1);
	CHECK(has_message(&d, "nesting"));
	CHECK(spent < 2.0);
	diag_list_clear(&d);
	unlink(path);
	free(path);

	/* Unbalanced, from memory. */
	t0 = now_seconds();
	diag_list_init(&d, "deep");
	cl = checklist_load_text("deep", text, depth, &d);
	spent = now_seconds() - t0;
	CHECK(cl == NULL);
	CHECK(has_message(&d, "nesting"));
	CHECK(d.count == 1 && d.items[0].line == 1 && d.items[0].col == CHECKLIST_MAX_DEPTH + 1);
	CHECK(spent < 2.0);
	diag_list_clear(&d);

	/* Objects nest as well as arrays. */
	struct strbuf sb = {0};
	for (size_t i = 0; i < depth; i++)
		strbuf_addstr(&sb, "{\"a\":");
	diag_list_init(&d, "deep-objects");
	cl = checklist_load_text("deep-objects", sb.data, sb.len, &d);
	CHECK(cl == NULL);
	CHECK(has_message(&d, "nesting"));
	diag_list_clear(&d);
	strbuf_release(&sb);
	free(text);

	/* The limit itself: 32 levels load (with a warning for the unknown
	 * field), 33 do not. The root object is level 1. */
	for (int extra = CHECKLIST_MAX_DEPTH - 1; extra <= CHECKLIST_MAX_DEPTH; extra++) {
		strbuf_addstr(&sb, "{\"countersign\": 1, \"id\": \"d\", \"title\": \"D\", \"x\": ");
		for (int i = 0; i < extra; i++)
			strbuf_addstr(&sb, "[");
		for (int i = 0; i < extra; i++)
			strbuf_addstr(&sb, "]");
		strbuf_addstr(&sb, ", \"sections\": [{\"id\": \"s\", \"title\": \"S\"}]}");
		cl = load(sb.data, &d);
		if (extra < CHECKLIST_MAX_DEPTH) {
			CHECK(cl != NULL);
			CHECK(d.errors == 0 && d.warnings == 1);
		} else {
			CHECK(cl == NULL);
			CHECK(has_message(&d, "nesting"));
		}
		checklist_destroy(cl);
		diag_list_clear(&d);
		strbuf_release(&sb);
	}

	/* Brackets inside strings, escaped quotes included, do not count. */
	strbuf_addstr(&sb, "{\"countersign\": 1, \"id\": \"d\", \"title\": \"D \\\"");
	for (int i = 0; i < 100; i++)
		strbuf_addstr(&sb, "[{");
	strbuf_addstr(&sb, "\", \"sections\": [{\"id\": \"s\", \"title\": \"S\"}]}");
	cl = load(sb.data, &d);
	CHECK(cl != NULL);
	CHECK(d.count == 0);
	checklist_destroy(cl);
	diag_list_clear(&d);
	strbuf_release(&sb);
}

/* ---- byte-level checks through load_text ---- */

static void test_bytes(void)
{
	struct diag_list d;
	/* An embedded NUL is reported at its place, even with text after it. */
	const char nul[] = "{\"countersign\": 1,\n \"id\": \"a\0b\"}";
	diag_list_init(&d, "nul");
	CHECK(checklist_load_text("nul", nul, sizeof(nul) - 1, &d) == NULL);
	CHECK(d.count == 1 && d.items[0].line == 2 && d.items[0].col == 10);
	CHECK(has_message(&d, "NUL"));
	diag_list_clear(&d);

	/* Overlong encodings and UTF-16 surrogates are not UTF-8. */
	const char *bad[] = {
		"{\"title\": \"\xc0\xaf\"}",          /* overlong '/' */
		"{\"title\": \"\xed\xa0\x80\"}",      /* U+D800 */
		"{\"title\": \"\xf4\x90\x80\x80\"}",  /* above U+10FFFF */
		"{\"title\": \"\xe2\x82\"}",          /* truncated sequence */
		"\xff\xfe{\0\"\0",                     /* UTF-16 LE */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		diag_list_init(&d, "bad");
		CHECK(checklist_load_text("bad", bad[i], strlen(bad[i]), &d) == NULL);
		CHECK(d.count == 1 && has_message(&d, "UTF-8"));
		diag_list_clear(&d);
	}

	/* A BOM is accepted, and the kept text is the exact bytes loaded. */
	struct strbuf sb = {0};
	strbuf_addstr(&sb, "\xef\xbb\xbf");
	strbuf_addstr(&sb, minimal);
	diag_list_init(&d, "bom");
	struct checklist *cl = checklist_load_text("bom", sb.data, sb.len, &d);
	CHECK(cl != NULL);
	CHECK(d.count == 0);
	CHECK(cl && cl->text_len == sb.len && memcmp(cl->text, sb.data, sb.len) == 0);
	checklist_destroy(cl);
	diag_list_clear(&d);
	strbuf_release(&sb);

	/* Valid multi-byte UTF-8 is fine. */
	cl = load("{\"countersign\": 1, \"id\": \"u\", \"title\": \"Caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x9a\x80\", "
		"\"sections\": [{\"id\": \"s\", \"title\": \"S\"}]}", &d);
	CHECK(cl != NULL);
	CHECK_STR(cl ? cl->title : NULL, "Caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x9a\x80");
	checklist_destroy(cl);
	diag_list_clear(&d);

	/* Only LEN bytes are read: text after LEN is not part of the checklist. */
	const char *two = "{\"countersign\": 1, \"id\": \"t\", \"title\": \"T\", "
		"\"sections\": [{\"id\": \"s\", \"title\": \"S\"}]}GARBAGE";
	diag_list_init(&d, "len");
	cl = checklist_load_text("len", two, strlen(two) - 7, &d);
	CHECK(cl != NULL);
	CHECK(d.count == 0);
	checklist_destroy(cl);
	diag_list_clear(&d);
}

/* ---- the model of a valid checklist ---- */

static const char *const model_lines[] = {
	/*  1 */ "{",
	/*  2 */ "  \"countersign\": 1,",
	/*  3 */ "  \"id\": \"model\",",
	/*  4 */ "  \"title\": \"Model\",",
	/*  5 */ "  \"description\": \"All the fields.\",",
	/*  6 */ "  \"variables\": [",
	/*  7 */ "    {\"name\": \"VERSION\", \"prompt\": \"Release\", \"default\": \"v1.0.0\", \"pattern\": \"^v[0-9.]+$\"},",
	/*  8 */ "    {\"name\": \"TOKEN\", \"secret\": true},",
	/*  9 */ "    {\"name\": \"PROM\", \"default\": \"http://prom:9090\"}",
	/* 10 */ "  ],",
	/* 11 */ "  \"notify\": [",
	/* 12 */ "    {\"url\": \"https://hooks.example.com/a\"},",
	/* 13 */ "    {\"url\": \"https://hooks.example.com/b\", \"format\": \"json\", \"on\": [\"signoff\", \"note\"]},",
	/* 14 */ "    {\"url\": \"https://hooks.example.com/c\", \"on\": []}",
	/* 15 */ "  ],",
	/* 16 */ "  \"sections\": [",
	/* 17 */ "    {\"id\": \"pre\", \"title\": \"Pre\", \"items\": [",
	/* 18 */ "      {\"id\": \"script\", \"title\": \"Script\", \"kind\": \"command\", \"run\": [\"echo ${VERSION}\", \"\", \"exit 0\"]},",
	/* 19 */ "      {\"id\": \"one\", \"title\": \"One\", \"kind\": \"command\", \"run\": \"true\", \"timeout\": \"90s\",",
	/* 20 */ "       \"cwd\": \"sub\", \"env\": {\"A\": \"1\", \"B\": \"${VERSION}\"}, \"interactive\": true, \"confirm\": true,",
	/* 21 */ "       \"required\": false, \"waivable\": true, \"details\": [\"d1\", \"d2\"], \"expect\": \"ok\",",
	/* 22 */ "       \"expect_output\": \"^ok\", \"fail_output\": \"FAIL\", \"estimate\": \"5-10m\", \"description\": \"desc\"},",
	/* 23 */ "      {\"id\": \"get\", \"title\": \"Get\", \"kind\": \"http\", \"url\": \"https://h/health\"},",
	/* 24 */ "      {\"id\": \"post\", \"title\": \"Post\", \"kind\": \"http\", \"url\": \"http://h/x\", \"method\": \"POST\",",
	/* 25 */ "       \"headers\": {\"Authorization\": \"Bearer ${TOKEN}\"}, \"body\": {\"a\": 1, \"b\": [true, null], \"c\": \"s\"},",
	/* 26 */ "       \"expect_status\": [200, 204], \"expect_json\": {\"status\": \"healthy\", \"data.items.0.n\": 3,",
	/* 27 */ "       \"ok\": true, \"gone\": null}, \"expect_body\": \"^\\\\{\", \"max_latency\": \"500ms\", \"retries\": 3,",
	/* 28 */ "       \"interval\": \"2s\", \"timeout\": \"20s\", \"insecure\": true},",
	/* 29 */ "      {\"id\": \"put\", \"title\": \"Put\", \"kind\": \"http\", \"url\": \"http://h/\", \"method\": \"PUT\",",
	/* 30 */ "       \"body\": \"v=${VERSION}\", \"expect_status\": \"3xx\"},",
	/* 31 */ "      {\"id\": \"one-code\", \"title\": \"One code\", \"kind\": \"http\", \"url\": \"http://h/\", \"expect_status\": 418}",
	/* 32 */ "    ]},",
	/* 33 */ "    {\"id\": \"watch\", \"title\": \"Watch\", \"phase\": \"Deployment\", \"estimate\": \"1h-1h30m\",",
	/* 34 */ "     \"signoffs\": 0, \"gate\": false, \"choice\": \"how\", \"description\": \"d\", \"items\": [",
	/* 35 */ "      {\"id\": \"p-default\", \"title\": \"P\", \"kind\": \"prometheus\", \"url\": \"${PROM}\", \"query\": \"up\", \"below\": 0.5},",
	/* 36 */ "      {\"id\": \"p-above\", \"title\": \"P\", \"kind\": \"prometheus\", \"url\": \"${PROM}\", \"query\": \"up\", \"above\": -2,",
	/* 37 */ "       \"samples\": 5, \"interval\": \"30s\", \"max_failures\": 2, \"no_data\": \"inconclusive\", \"reduce\": \"avg\",",
	/* 38 */ "       \"timeout\": \"5s\"},",
	/* 39 */ "      {\"id\": \"p-between\", \"title\": \"P\", \"kind\": \"prometheus\", \"url\": \"${PROM}\", \"query\": \"up\",",
	/* 40 */ "       \"between\": [0.25, 0.75], \"no_data\": \"pass\", \"reduce\": \"max\"}",
	/* 41 */ "    ]},",
	/* 42 */ "    {\"id\": \"other\", \"title\": \"Other\", \"choice\": \"how\", \"estimate\": \"15m\", \"items\": [",
	/* 43 */ "      {\"id\": \"soak\", \"title\": \"Soak\", \"kind\": \"wait\", \"duration\": \"1h30m\"},",
	/* 44 */ "      {\"id\": \"look\", \"title\": \"Look\", \"kind\": \"manual\", \"estimate\": \"2m\"}",
	/* 45 */ "    ]},",
	/* 46 */ "    {\"id\": \"rollback\", \"title\": \"Rollback\", \"phase\": \"Rollback\", \"always_open\": true, \"gate\": false}",
	/* 47 */ "  ],",
	/* 48 */ "  \"defaults\": {\"shell\": \"/bin/bash\", \"timeout\": \"10m\", \"cwd\": \"..\", \"env\": {\"LANG\": \"C\"}},",
	/* 49 */ "  \"window\": {\"duration\": \"2h\"}",
	/* 50 */ "}",
};

static char *model_text(void)
{
	struct strbuf sb = {0};
	for (size_t i = 0; i < sizeof(model_lines) / sizeof(model_lines[0]); i++) {
		strbuf_addstr(&sb, model_lines[i]);
		strbuf_addstr(&sb, "\n");
	}
	return strbuf_detach(&sb);
}

static const struct checklist_json_expect *find_expect(const struct checklist_item *it, const char *path)
{
	for (size_t i = 0; i < it->n_expect_json; i++)
		if (strcmp(it->expect_json[i].path, path) == 0)
			return &it->expect_json[i];
	return NULL;
}

static void test_model_top(const struct checklist *cl, const char *text)
{
	CHECK(cl->version == 1);
	CHECK_STR(cl->id, "model");
	CHECK_STR(cl->title, "Model");
	CHECK_STR(cl->description, "All the fields.");
	CHECK_STR(cl->path, "dir/sub/model.json");
	CHECK_STR(cl->dir, "dir/sub");
	CHECK(cl->text_len == strlen(text) && strcmp(cl->text, text) == 0);
	CHECK_STR(cl->shell, "/bin/bash");
	CHECK_STR(cl->cwd, "..");
	CHECK(cl->timeout_ms == 10 * MIN);
	CHECK(cl->env.count == 1);
	CHECK(cl->env.count == 1 && strcmp(cl->env.items[0].key, "LANG") == 0 &&
		strcmp(cl->env.items[0].value, "C") == 0);
	CHECK(cl->window_ms == 2 * HOUR);

	CHECK(cl->n_variables == 3);
	const struct checklist_variable *v = checklist_variable(cl, "VERSION");
	CHECK(v && v == &cl->variables[0]);
	if (v) {
		CHECK_STR(v->prompt, "Release");
		CHECK_STR(v->default_value, "v1.0.0");
		CHECK_STR(v->pattern, "^v[0-9.]+$");
		CHECK(!v->secret);
	}
	v = checklist_variable(cl, "TOKEN");
	CHECK(v && v->secret && !v->default_value && !v->prompt && !v->pattern);
	CHECK(checklist_variable(cl, "PROM") == &cl->variables[2]);
	CHECK(checklist_variable(cl, "NOPE") == NULL);
	CHECK(checklist_variable(cl, "version") == NULL);

	unsigned defaults = 1u << NOTIFY_GATE_PASSED | 1u << NOTIFY_GATE_REOPENED | 1u << NOTIFY_OVERRIDE |
		1u << NOTIFY_CHECK_FAILED |
		1u << NOTIFY_RUN_COMPLETED | 1u << NOTIFY_RUN_ABORTED;
	CHECK(cl->n_notify == 3);
	if (cl->n_notify == 3) {
		CHECK_STR(cl->notify[0].url, "https://hooks.example.com/a");
		CHECK(cl->notify[0].format == NOTIFY_SLACK);
		CHECK(cl->notify[0].events == defaults);
		CHECK(cl->notify[1].format == NOTIFY_JSON);
		CHECK(cl->notify[1].events == (1u << NOTIFY_SIGNOFF | 1u << NOTIFY_NOTE));
		CHECK(cl->notify[2].events == 0);
	}
}

static void test_model_sections(const struct checklist *cl)
{
	CHECK(cl->n_sections == 4);
	struct checklist_section *pre = checklist_section(cl, "pre");
	struct checklist_section *watch = checklist_section(cl, "watch");
	struct checklist_section *other = checklist_section(cl, "other");
	struct checklist_section *rollback = checklist_section(cl, "rollback");
	CHECK(pre == &cl->sections[0] && watch == &cl->sections[1] && other == &cl->sections[2] &&
		rollback == &cl->sections[3]);
	CHECK(checklist_section(cl, "missing") == NULL);
	CHECK(checklist_section(cl, "") == NULL);
	if (!pre || !watch || !other || !rollback)
		return;

	/* Defaults. */
	CHECK(pre->signoffs == 2 && pre->gate && !pre->always_open);
	CHECK(!pre->phase && !pre->description && !pre->choice);
	CHECK(pre->estimate_lo_ms == 0 && pre->estimate_hi_ms == 0);
	CHECK(pre->line == 17 && pre->col == 5);
	CHECK(pre->n_items == 6);

	CHECK_STR(watch->phase, "Deployment");
	CHECK_STR(watch->choice, "how");
	CHECK_STR(watch->description, "d");
	CHECK(watch->signoffs == 0 && !watch->gate && !watch->always_open);
	CHECK(watch->estimate_lo_ms == HOUR && watch->estimate_hi_ms == HOUR + 30 * MIN);
	CHECK(watch->line == 33 && watch->col == 5);

	CHECK_STR(other->choice, "how");
	CHECK(other->estimate_lo_ms == 15 * MIN && other->estimate_hi_ms == 15 * MIN);

	CHECK(rollback->always_open && !rollback->gate && rollback->signoffs == 2);
	CHECK(rollback->n_items == 0);
	CHECK(checklist_section_item(rollback, "soak") == NULL);
}

static void test_model_commands(const struct checklist_section *pre)
{
	struct checklist_item *script = checklist_section_item(pre, "script");
	struct checklist_item *one = checklist_section_item(pre, "one");
	CHECK(script == &pre->items[0] && one == &pre->items[1]);
	CHECK(checklist_section_item(pre, "nope") == NULL);
	if (!script || !one)
		return;

	CHECK(script->kind == ITEM_COMMAND);
	CHECK_STR(script->run, "echo ${VERSION}\n\nexit 0"); /* joined, not expanded */
	CHECK(script->required && !script->waivable && !script->confirm && !script->interactive);
	CHECK(script->timeout_ms == 0); /* the checklist's default applies */
	CHECK(!script->cwd && script->env.count == 0 && script->n_details == 0);
	CHECK(!script->expect_output && !script->fail_output && !script->expect && !script->description);
	CHECK(script->estimate_lo_ms == 0 && script->estimate_hi_ms == 0);
	CHECK(script->line == 18 && script->col == 7);

	CHECK_STR(one->run, "true");
	CHECK(one->timeout_ms == 90000);
	CHECK_STR(one->cwd, "sub");
	CHECK(one->env.count == 2);
	if (one->env.count == 2) {
		CHECK_STR(one->env.items[0].key, "A");
		CHECK_STR(one->env.items[0].value, "1");
		CHECK_STR(one->env.items[1].key, "B");
		CHECK_STR(one->env.items[1].value, "${VERSION}");
	}
	CHECK(one->interactive && one->confirm && !one->required && one->waivable);
	CHECK(one->n_details == 2);
	if (one->n_details == 2) {
		CHECK_STR(one->details[0], "d1");
		CHECK_STR(one->details[1], "d2");
	}
	CHECK_STR(one->expect, "ok");
	CHECK_STR(one->expect_output, "^ok");
	CHECK_STR(one->fail_output, "FAIL");
	CHECK_STR(one->description, "desc");
	CHECK(one->estimate_lo_ms == 5 * MIN && one->estimate_hi_ms == 10 * MIN);
	CHECK(one->line == 19 && one->col == 7);
}

static void test_model_http(const struct checklist_section *pre)
{
	struct checklist_item *get = checklist_section_item(pre, "get");
	struct checklist_item *post = checklist_section_item(pre, "post");
	struct checklist_item *put = checklist_section_item(pre, "put");
	struct checklist_item *code = checklist_section_item(pre, "one-code");
	CHECK(get && post && put && code);
	if (!get || !post || !put || !code)
		return;

	CHECK(get->kind == ITEM_HTTP);
	CHECK_STR(get->url, "https://h/health");
	CHECK_STR(get->method, "GET");
	CHECK(get->status_class == 2 && get->n_expect_status == 0);
	CHECK(get->timeout_ms == 10000 && get->interval_ms == 5000 && get->retries == 0);
	CHECK(!get->insecure && !get->body && !get->body_is_json && get->headers.count == 0);
	CHECK(get->n_expect_json == 0 && !get->expect_body && get->max_latency_ms == 0);
	CHECK(get->line == 23 && get->col == 7);

	CHECK_STR(post->method, "POST");
	CHECK(post->headers.count == 1);
	if (post->headers.count == 1) {
		CHECK_STR(post->headers.items[0].key, "Authorization");
		CHECK_STR(post->headers.items[0].value, "Bearer ${TOKEN}");
	}
	CHECK(post->body_is_json);
	CHECK_STR(post->body, "{\"a\":1,\"b\":[true,null],\"c\":\"s\"}");
	CHECK(post->status_class == 0 && post->n_expect_status == 2);
	CHECK(post->n_expect_status == 2 && post->expect_status[0] == 200 && post->expect_status[1] == 204);
	CHECK(post->n_expect_json == 4);
	const struct checklist_json_expect *x = find_expect(post, "status");
	CHECK(x && x->type == SCALAR_STRING && x->string && strcmp(x->string, "healthy") == 0);
	x = find_expect(post, "data.items.0.n");
	CHECK(x && x->type == SCALAR_NUMBER && x->number == 3.0);
	x = find_expect(post, "ok");
	CHECK(x && x->type == SCALAR_BOOL && x->boolean);
	x = find_expect(post, "gone");
	CHECK(x && x->type == SCALAR_NULL);
	CHECK_STR(post->expect_body, "^\\{");
	CHECK(post->max_latency_ms == 500 && post->retries == 3);
	CHECK(post->interval_ms == 2000 && post->timeout_ms == 20000 && post->insecure);

	CHECK(!put->body_is_json);
	CHECK_STR(put->body, "v=${VERSION}");
	CHECK(put->status_class == 3 && put->n_expect_status == 0);

	CHECK(code->status_class == 0 && code->n_expect_status == 1);
	CHECK(code->n_expect_status == 1 && code->expect_status[0] == 418);
}

static void test_model_prometheus(const struct checklist_section *watch)
{
	struct checklist_item *pd = checklist_section_item(watch, "p-default");
	struct checklist_item *pa = checklist_section_item(watch, "p-above");
	struct checklist_item *pb = checklist_section_item(watch, "p-between");
	CHECK(pd && pa && pb);
	if (!pd || !pa || !pb)
		return;

	CHECK(pd->kind == ITEM_PROMETHEUS);
	CHECK_STR(pd->url, "${PROM}");
	CHECK_STR(pd->query, "up");
	CHECK(pd->compare == PROM_BELOW && pd->hi == 0.5);
	CHECK(pd->samples == 1 && pd->max_failures == 0 && pd->interval_ms == 60000);
	CHECK(pd->no_data == NO_DATA_FAIL && pd->reduce == REDUCE_NONE);
	CHECK(pd->timeout_ms == 30000);
	CHECK(pd->line == 35 && pd->col == 7);

	CHECK(pa->compare == PROM_ABOVE && pa->lo == -2.0);
	CHECK(pa->samples == 5 && pa->max_failures == 2 && pa->interval_ms == 30000);
	CHECK(pa->no_data == NO_DATA_INCONCLUSIVE && pa->reduce == REDUCE_AVG);
	CHECK(pa->timeout_ms == 5000);

	CHECK(pb->compare == PROM_BETWEEN && pb->lo == 0.25 && pb->hi == 0.75);
	CHECK(pb->no_data == NO_DATA_PASS && pb->reduce == REDUCE_MAX);
}

static void test_model_other(const struct checklist_section *other)
{
	struct checklist_item *soak = checklist_section_item(other, "soak");
	struct checklist_item *look = checklist_section_item(other, "look");
	CHECK(soak && look);
	if (!soak || !look)
		return;
	CHECK(soak->kind == ITEM_WAIT && soak->duration_ms == HOUR + 30 * MIN);
	CHECK(soak->line == 43 && soak->col == 7);
	CHECK(look->kind == ITEM_MANUAL && look->required && !look->waivable);
	CHECK(look->estimate_lo_ms == 2 * MIN && look->estimate_hi_ms == 2 * MIN);
	CHECK(look->line == 44 && look->col == 7);
}

static void test_model(void)
{
	char *text = model_text();
	struct diag_list d;
	diag_list_init(&d, "dir/sub/model.json");
	struct checklist *cl = checklist_load_text("dir/sub/model.json", text, strlen(text), &d);
	CHECK(cl != NULL);
	CHECK(d.count == 0);
	if (d.count) {
		char *t = diag_text(&d);
		fprintf(stderr, "model: unexpected diagnostics:\n%s", t);
		free(t);
	}
	if (cl) {
		test_model_top(cl, text);
		test_model_sections(cl);
		struct checklist_section *s;
		if ((s = checklist_section(cl, "pre")))
			test_model_commands(s);
		if (s)
			test_model_http(s);
		if ((s = checklist_section(cl, "watch")))
			test_model_prometheus(s);
		if ((s = checklist_section(cl, "other")))
			test_model_other(s);
	}
	checklist_destroy(cl);
	diag_list_clear(&d);
	free(text);
}

/* ---- defaults of a minimal checklist, and small rules ---- */

static void test_minimal(void)
{
	struct diag_list d;
	struct checklist *cl = load(minimal, &d);
	CHECK(cl != NULL);
	CHECK(d.count == 0);
	if (cl) {
		CHECK_STR(cl->shell, "/bin/sh");
		CHECK_STR(cl->cwd, ".");
		CHECK(cl->timeout_ms == 5 * MIN);
		CHECK(cl->window_ms == 0);
		CHECK(cl->n_variables == 0 && cl->n_notify == 0 && cl->env.count == 0);
		CHECK(!cl->description);
		CHECK_STR(cl->dir, ".");
		CHECK(cl->n_sections == 1 && cl->sections[0].n_items == 0);
	}
	checklist_destroy(cl);
	diag_list_clear(&d);

	/* Destroying NULL is a no-op. */
	checklist_destroy(NULL);
}

static void test_warnings_only_load(void)
{
	struct diag_list d;
	struct checklist *cl = load(
		"{\"countersign\": 1, \"id\": \"w\", \"title\": \"W\", \"later\": 1,\n"
		" \"sections\": [{\"id\": \"s\", \"title\": \"S\", \"items\": [\n"
		"  {\"id\": \"i\", \"title\": \"I\", \"kind\": \"command\", \"run\": \"echo ${FROM_ENV}\"}]}]}", &d);
	CHECK(cl != NULL);
	CHECK(d.errors == 0 && d.warnings == 2);
	CHECK(has_message(&d, "unknown field \"later\""));
	CHECK(has_message(&d, "${FROM_ENV}"));
	checklist_destroy(cl);
	diag_list_clear(&d);

	/* Errors already in the list do not make a later, valid load fail. */
	diag_list_init(&d, "shared");
	CHECK(checklist_load_text("a", "{", 1, &d) == NULL);
	size_t before = d.errors;
	CHECK(before == 1);
	cl = checklist_load_text("b", minimal, strlen(minimal), &d);
	CHECK(cl != NULL);
	CHECK(d.errors == before);
	checklist_destroy(cl);
	diag_list_clear(&d);
}

static void test_positions(void)
{
	struct diag_list d;
	struct checklist *cl = load(
		"{\"countersign\": 1, \"id\": \"p\", \"title\": \"P\",\n"
		" \"sections\": [\n"
		"  {\"id\": \"s\", \"title\": \"S\", \"items\": [\n"
		"   {\"id\": \"i\", \"title\": \"I\", \"kind\": \"wait\", \"duration\": \"5 m\"}]}]}", &d);
	CHECK(cl == NULL);
	CHECK(d.count == 1);
	if (d.count == 1) {
		CHECK(d.items[0].severity == DIAG_ERROR);
		CHECK(d.items[0].line == 4 && d.items[0].col == 58);
		CHECK_STR(d.items[0].path, "sections[0].items[0].duration");
		CHECK(strstr(d.items[0].message, "\"5 m\"") != NULL);
	}
	diag_list_clear(&d);

	/* Every error is reported, not only the first. */
	cl = load("{\"countersign\": 1, \"id\": \"Bad\", \"title\": 3, \"sections\": [{\"id\": \"s\"}]}", &d);
	CHECK(cl == NULL);
	CHECK(d.errors == 3);
	diag_list_clear(&d);
}

/* ---- sign-off policies ---- */

static const char policy_text[] =
	"{\"countersign\": 1, \"id\": \"p\", \"title\": \"P\",\n"
	" \"signoffs\": {\"count\": 1, \"roles\": [\"dba\"], \"independent\": true, \"performed\": true},\n"
	" \"signoff_within\": \"30m\",\n"
	" \"sections\": [\n"
	"  {\"id\": \"inherits\", \"title\": \"I\", \"items\": [\n"
	"    {\"id\": \"look\", \"title\": \"Look\", \"kind\": \"manual\", \"timeout\": \"10m\"}]},\n"
	"  {\"id\": \"own\", \"title\": \"O\", \"signoff_within\": \"1h\",\n"
	"   \"signoffs\": {\"roles\": [\"sre\", \"release_mgr\"], \"meaning\": \"review\"}},\n"
	"  {\"id\": \"number\", \"title\": \"N\", \"signoffs\": 3},\n"
	"  {\"id\": \"nogate\", \"title\": \"G\", \"gate\": false},\n"
	"  {\"id\": \"open\", \"title\": \"A\", \"always_open\": true},\n"
	"  {\"id\": \"zero\", \"title\": \"Z\", \"signoffs\": 0}]}";

static bool policy_is(const struct checklist_section *s, int count, const char *roles, bool independent,
	bool performed, enum checklist_meaning meaning)
{
	const struct checklist_policy *p = &s->policy;
	struct strbuf got = {0};
	for (size_t r = 0; r < p->n_roles; r++)
		strbuf_addf(&got, "%s%s", r ? "," : "", p->roles[r]);
	bool ok = p->count == count && s->signoffs == count && strcmp(got.data ? got.data : "", roles) == 0 &&
		p->independent == independent && p->performed == performed && p->meaning == meaning;
	if (!ok)
		fprintf(stderr, "section %s: policy count %d roles [%s] independent %d performed %d meaning %s\n", s->id,
			p->count, got.data ? got.data : "", p->independent, p->performed, checklist_meaning_name(p->meaning));
	strbuf_release(&got);
	return ok;
}

/* The top level's signoffs and signoff_within are every section's default;
 * a section's own signoffs replaces the default whole (no field merged). */
static void test_policy_defaults(void)
{
	struct diag_list d;
	struct checklist *cl = load(policy_text, &d);
	CHECK(cl != NULL);
	CHECK(d.count == 0);
	if (!cl) {
		char *t = diag_text(&d);
		fprintf(stderr, "%s", t);
		free(t);
		diag_list_clear(&d);
		return;
	}
	CHECK(policy_is(&cl->sections[0], 1, "dba", true, true, MEANING_APPROVED));
	CHECK(cl->sections[0].signoff_within_ms == 30 * MIN);
	CHECK(cl->sections[0].items[0].timeout_ms == 10 * MIN);
	/* no "count": 2, the format's default, not the checklist's 1; no default role either */
	CHECK(policy_is(&cl->sections[1], 2, "sre,release_mgr", false, false, MEANING_REVIEWED));
	CHECK(cl->sections[1].signoff_within_ms == HOUR);
	CHECK(policy_is(&cl->sections[2], 3, "", false, false, MEANING_APPROVED));
	CHECK(cl->sections[2].signoff_within_ms == 30 * MIN);
	/* nothing waits where nothing is signed */
	CHECK(cl->sections[3].signoff_within_ms == 0 && cl->sections[4].signoff_within_ms == 0);
	CHECK(cl->sections[5].signoff_within_ms == 0);
	CHECK(policy_is(&cl->sections[5], 0, "", false, false, MEANING_APPROVED));
	checklist_destroy(cl);
	diag_list_clear(&d);

	/* without any: two approvals, no wait, and a manual item without a timeout */
	cl = load("{\"countersign\": 1, \"id\": \"p\", \"title\": \"P\", \"sections\": [{\"id\": \"s\", \"title\": \"S\","
		" \"items\": [{\"id\": \"m\", \"title\": \"M\", \"kind\": \"manual\"}]}]}", &d);
	CHECK(cl && policy_is(&cl->sections[0], 2, "", false, false, MEANING_APPROVED));
	CHECK(cl && cl->sections[0].signoff_within_ms == 0 && cl->sections[0].items[0].timeout_ms == 0);
	checklist_destroy(cl);
	diag_list_clear(&d);

	/* a root default that is a number */
	cl = load("{\"countersign\": 1, \"id\": \"p\", \"title\": \"P\", \"signoffs\": 1,"
		" \"sections\": [{\"id\": \"s\", \"title\": \"S\"}]}", &d);
	CHECK(cl && d.count == 0 && policy_is(&cl->sections[0], 1, "", false, false, MEANING_APPROVED));
	checklist_destroy(cl);
	diag_list_clear(&d);
}

/* A policy that fails to load frees what it had read (valgrind and ASan
 * runs of this test see the leaks). */
static void test_policy_errors(void)
{
	struct diag_list d;
	struct checklist *cl = load("{\"countersign\": 1, \"id\": \"p\", \"title\": \"P\","
		" \"signoffs\": {\"roles\": [\"dba\", \"sre\"], \"count\": 1, \"x\": 1},"
		" \"sections\": [{\"id\": \"s\", \"title\": \"S\", \"signoffs\": {\"roles\": [\"dba\", \"dba\"]}}]}", &d);
	CHECK(cl == NULL);
	CHECK(d.errors == 2 && d.warnings == 1);
	CHECK(has_message(&d, "unknown field \"x\" of a sign-off policy"));
	CHECK(has_message(&d, "role \"dba\" is listed twice"));
	CHECK(has_message(&d, "1 signature for 2 roles"));
	diag_list_clear(&d);
}

static void test_role_names(void)
{
	CHECK(checklist_role_valid("dba"));
	CHECK(checklist_role_valid("a"));
	CHECK(checklist_role_valid("release_mgr-2"));
	CHECK(checklist_role_valid("abcdefghijklmnopqrstuvwxyz012345"));   /* 32 */
	CHECK(!checklist_role_valid("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
	CHECK(!checklist_role_valid(""));
	CHECK(!checklist_role_valid(NULL));
	CHECK(!checklist_role_valid("DBA"));
	CHECK(!checklist_role_valid("9ops"));
	CHECK(!checklist_role_valid("-ops"));
	CHECK(!checklist_role_valid("db a"));
	CHECK(!checklist_role_valid("dba\n"));
	CHECK(!checklist_role_valid("d\xc3\xa9v"));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_loader CHECKLIST_DIR\n");
		return 2;
	}
	test_bundled(argv[1]);
	test_size_limit();
	test_missing_file();
	test_directory();
	test_empty_file();
	test_deep_nesting();
	test_bytes();
	test_model();
	test_minimal();
	test_warnings_only_load();
	test_positions();
	test_policy_defaults();
	test_policy_errors();
	test_role_names();
	return check_report();
}
