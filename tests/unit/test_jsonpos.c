/* Unit tests for the JSON position scanner (src/core/jsonpos.c): it indexes
 * whatever cJSON parses, and its positions are where values are written.
 * The cases with a byte order mark and with control bytes between values
 * were found by tests/fuzz/fuzz_jsonpos (cJSON accepts both; the loader
 * refuses control bytes before parsing, but the scanner must not disagree). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/jsonpos.h"

/* Parses TEXT (LEN bytes) as the loader does; indexes it into *M. */
static cJSON *index_text(const char *text, size_t len, struct jpos *m, bool *built)
{
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, NULL, false);
	*built = root && jpos_build(m, text, len, root);
	return root;
}

/* Checks that NODE's value is at LINE:COL. */
static void at(const struct jpos *m, const cJSON *node, bool key, int line, int col)
{
	int l = -1, c = -1;
	jpos_node(m, node, key, &l, &c);
	if (l != line || c != col)
		fprintf(stderr, "  got %d:%d, want %d:%d\n", l, c, line, col);
	CHECK(l == line && c == col);
}

static void test_positions(void)
{
	const char *t = "{\n  \"a\": [1, \"two\"],\n  \"b\": {\"c\": null}\n}";
	struct jpos m;
	bool built;
	cJSON *root = index_text(t, strlen(t), &m, &built);
	CHECK(built);
	const cJSON *a = cJSON_GetObjectItem(root, "a");
	at(&m, root, false, 1, 1);
	at(&m, a, true, 2, 3);
	at(&m, a, false, 2, 8);
	at(&m, cJSON_GetArrayItem(a, 1), false, 2, 12);
	at(&m, cJSON_GetObjectItem(cJSON_GetObjectItem(root, "b"), "c"), false, 3, 14);
	int l, c;
	jpos_in_string(&m, cJSON_GetArrayItem(a, 1), 2, &l, &c);
	CHECK(l == 2 && c == 15);
	jpos_clear(&m);
	cJSON_Delete(root);
}

static void test_what_cjson_skips(void)
{
	struct jpos m;
	bool built;
	/* A control byte before a value: cJSON reads it as space. */
	const char ctl[] = "\x0e" "5";
	cJSON *root = index_text(ctl, 2, &m, &built);
	CHECK(root && built);
	if (built)
		at(&m, root, false, 1, 2);
	jpos_clear(&m);
	cJSON_Delete(root);

	const char arr[] = "[1,\x01 2\x0b]";
	root = index_text(arr, strlen(arr), &m, &built);
	CHECK(root && built);
	if (built)
		at(&m, cJSON_GetArrayItem(root, 1), false, 1, 6);
	jpos_clear(&m);
	cJSON_Delete(root);

	/* A UTF-8 byte order mark at the start. */
	const char bom[] = "\xef\xbb\xbf{\"k\": true}";
	root = index_text(bom, strlen(bom), &m, &built);
	CHECK(root && built);
	if (built) {
		at(&m, root, false, 1, 4);
		at(&m, cJSON_GetObjectItem(root, "k"), true, 1, 5);
		at(&m, cJSON_GetObjectItem(root, "k"), false, 1, 10);
	}
	jpos_clear(&m);
	cJSON_Delete(root);
}

int main(void)
{
	test_positions();
	test_what_cjson_skips();
	return check_report();
}
