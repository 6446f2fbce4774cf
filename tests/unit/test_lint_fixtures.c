/* Runs the loader over every tests/unit/fixtures/lint/NAME.json and compares
 * the diagnostics with NAME.expected. With --bless, writes the expected files
 * instead (review them before committing). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "countersign/checklist.h"
#include "countersign/util.h"

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct strbuf sb = {0};
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	return strbuf_detach(&sb);
}

static char *render(const char *file)
{
	struct diag_list d;
	diag_list_init(&d, file);
	struct checklist *cl = checklist_load_file(file, &d);
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	diag_list_print(&d, mem);
	fprintf(mem, "-- %s\n", cl ? "loads" : "refused");
	fclose(mem);
	checklist_destroy(cl);
	diag_list_clear(&d);
	return out;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	bool bless = argc > 2 && strcmp(argv[2], "--bless") == 0;
	if (argc < 2 || chdir(argv[1]) != 0) {
		fprintf(stderr, "usage: test_lint_fixtures FIXTURE_DIR [--bless]\n");
		return 2;
	}
	DIR *dir = opendir(".");
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *e; dir && (e = readdir(dir));) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
			names = xreallocarray(names, n + 1, sizeof(char *));
			names[n++] = xstrdup(e->d_name);
		}
	}
	if (dir)
		closedir(dir);
	qsort(names, n, sizeof(char *), by_name);
	CHECK(n > 0);
	for (size_t i = 0; i < n; i++) {
		char *got = render(names[i]);
		char *exp_path = xasprintf("%.*s.expected", (int)(strlen(names[i]) - 5), names[i]);
		if (bless) {
			FILE *f = fopen(exp_path, "w");
			fputs(got, f);
			fclose(f);
		} else {
			char *want = read_all(exp_path);
			if (!want)
				fprintf(stderr, "%s: missing %s\n", names[i], exp_path);
			else if (strcmp(got, want) != 0)
				fprintf(stderr, "%s: diagnostics differ\n--- expected\n%s--- got\n%s", names[i], want, got);
			CHECK(want && strcmp(got, want) == 0);
			free(want);
		}
		free(exp_path);
		free(got);
		free(names[i]);
	}
	free(names);
	return check_report();
}
