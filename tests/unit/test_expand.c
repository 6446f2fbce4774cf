/* Unit tests for src/core/expand.c: ${NAME} expansion, $$, names, scanning. */
#include <stdlib.h>

#include "check.h"
#include "countersign/expand.h"

struct pair {
	const char *name, *value;
};

static const struct pair table[] = {
	{"A", "alpha"},
	{"B", "beta"},
	{"_x1", "under"},
	{"EMPTY", ""},
	{"DOLLAR", "$HOME ${A} $$"}, /* values are not expanded again */
	{"NAMESPACE", "noa-server"},
};

static int lookups;

static const char *lookup(const char *name, void *data)
{
	const struct pair *t = data;
	lookups++;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].value;
	return NULL;
}

/* Expands TEXT and compares with WANT (NULL: expect failure with MISSING). */
static void expands(const char *text, const char *want, const char *want_missing, int line)
{
	char *missing = (char *)"sentinel";
	char *got = expand_string(text, lookup, (void *)table, &missing);
	bool ok;
	if (want)
		ok = got && strcmp(got, want) == 0 && missing == NULL;
	else if (want_missing)
		ok = !got && missing && strcmp(missing, want_missing) == 0;
	else
		ok = !got && missing == NULL;
	if (ok) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "%s:%d: expand_string(\"%s\"): got %s%s%s (missing %s), want %s%s%s (missing %s)\n",
			__FILE__, line, text, got ? "\"" : "", got ? got : "NULL", got ? "\"" : "",
			missing ? missing : "NULL", want ? "\"" : "", want ? want : "NULL", want ? "\"" : "",
			want_missing ? want_missing : "NULL");
	}
	free(got);
	free(missing);
}

#define EXPANDS(t, w) expands((t), (w), NULL, __LINE__)
#define MISSING(t, name) expands((t), NULL, (name), __LINE__)
#define MALFORMED(t) expands((t), NULL, NULL, __LINE__)

static void test_expand_string(void)
{
	EXPANDS("", "");
	EXPANDS("plain text", "plain text");
	EXPANDS("${A}", "alpha");
	EXPANDS("x${A}y${B}", "xalphaybeta");
	EXPANDS("${A}${B}", "alphabeta");
	EXPANDS("${A}${A}", "alphaalpha");
	EXPANDS("${_x1}", "under");
	EXPANDS("[${EMPTY}]", "[]");
	EXPANDS("$$", "$");
	EXPANDS("$$$$", "$$");
	EXPANDS("$$${A}", "$alpha");
	EXPANDS("$${A}", "${A}");  /* an escaped dollar does not start a reference */
	EXPANDS("cost $$5", "cost $5");
	EXPANDS("$HOME", "$HOME");
	EXPANDS("$HOME/${A}", "$HOME/alpha");
	EXPANDS("$(date)", "$(date)");
	EXPANDS("$1 $@ $? $", "$1 $@ $? $");
	EXPANDS("trailing $", "trailing $");
	EXPANDS("a}b{c", "a}b{c");
	EXPANDS("${DOLLAR}", "$HOME ${A} $$");
	EXPANDS("kubectl -n ${NAMESPACE} get pods", "kubectl -n noa-server get pods");
	EXPANDS("line1\n${A}\nline3", "line1\nalpha\nline3");
	EXPANDS("caf\xc3\xa9 ${A}", "caf\xc3\xa9 alpha");

	MISSING("${MISSING}", "MISSING");
	MISSING("ok ${A} then ${NOPE} and ${B}", "NOPE");
	MISSING("${a}", "a"); /* names are case-sensitive */

	MALFORMED("${");
	MALFORMED("${A");
	MALFORMED("x ${A y");
	MALFORMED("${}");
	MALFORMED("${1A}");
	MALFORMED("${A-B}");
	MALFORMED("${A B}");
	MALFORMED("${A:-default}");
	MALFORMED("$${A} ${");
	MALFORMED("${A} ${"); /* malformed even after a good reference */
	/* Malformed even after an unknown name (found by fuzz_expand): the
	 * text is what is wrong, not a missing variable. */
	MALFORMED("${NOPE} ${");
	MALFORMED("${NOPE}${1A}");

	/* Without MISSING the failure is still NULL, and nothing leaks. */
	CHECK(expand_string("${NOPE}", lookup, (void *)table, NULL) == NULL);
	CHECK(expand_string("${", lookup, (void *)table, NULL) == NULL);
	/* Without a lookup every reference is missing. */
	char *missing = NULL;
	CHECK(expand_string("${A}", NULL, NULL, &missing) == NULL);
	CHECK_STR(missing, "A");
	free(missing);
	char *s = expand_string("$$ $HOME", NULL, NULL, &missing);
	CHECK_STR(s, "$ $HOME");
	CHECK(missing == NULL);
	free(s);

	/* Each reference is looked up once; escaped ones are not looked up. */
	lookups = 0;
	s = expand_string("${A}$${B}${B}", lookup, (void *)table, NULL);
	CHECK_STR(s, "alpha${B}beta");
	CHECK(lookups == 2);
	free(s);
}

struct ref {
	char name[32];
	size_t offset;
};

struct refs {
	struct ref items[16];
	size_t count;
	size_t stop_after; /* 0: never stop */
};

static bool collect(const char *name, size_t offset, void *data)
{
	struct refs *r = data;
	if (r->count < sizeof(r->items) / sizeof(r->items[0])) {
		snprintf(r->items[r->count].name, sizeof(r->items[0].name), "%s", name);
		r->items[r->count].offset = offset;
	}
	r->count++;
	return !(r->stop_after && r->count >= r->stop_after);
}

static void test_scan(void)
{
	struct refs r = {0};
	size_t bad = 999;
	const char *why = NULL;
	const char *text = "echo ${A} $$ ${B_2} $HOME $${NOT} ${A}";
	CHECK(expand_scan(text, collect, &r, &bad, &why));
	CHECK(r.count == 3);
	CHECK_STR(r.items[0].name, "A");
	CHECK(r.items[0].offset == 5);
	CHECK_STR(r.items[1].name, "B_2");
	CHECK(r.items[1].offset == 13);
	CHECK_STR(r.items[2].name, "A");
	CHECK(r.items[2].offset == 34);
	CHECK(text[r.items[1].offset] == '$' && text[r.items[2].offset] == '$');
	CHECK(bad == 999); /* untouched when all is well */

	/* Nothing to report. */
	memset(&r, 0, sizeof(r));
	CHECK(expand_scan("no references, $HOME, $$", collect, &r, &bad, &why));
	CHECK(r.count == 0);
	CHECK(expand_scan("", collect, &r, &bad, &why));
	CHECK(r.count == 0);

	/* Unterminated: the offset is at the '$', with a reason. */
	memset(&r, 0, sizeof(r));
	why = NULL;
	CHECK(!expand_scan("ok ${A} then ${B", collect, &r, &bad, &why));
	CHECK(bad == 13);
	CHECK(why && strstr(why, "not closed"));
	CHECK(r.count == 1); /* references before the problem were reported */

	/* A bad name. */
	why = NULL;
	CHECK(!expand_scan("x${1X}", NULL, NULL, &bad, &why));
	CHECK(bad == 1);
	CHECK(why && strstr(why, "letters, digits and _"));
	why = NULL;
	CHECK(!expand_scan("${}", NULL, NULL, &bad, &why));
	CHECK(bad == 0);
	CHECK(why != NULL);

	/* A $$ before "{" is a literal dollar, not a reference start. */
	CHECK(expand_scan("$${", NULL, NULL, &bad, &why));

	/* The callback may stop the scan early; that is not an error. */
	memset(&r, 0, sizeof(r));
	r.stop_after = 1;
	CHECK(expand_scan("${A} ${B} ${", collect, &r, &bad, &why));
	CHECK(r.count == 1);

	/* FN may be NULL to only validate. */
	CHECK(expand_scan("${A} ${B}", NULL, NULL, &bad, &why));
}

static void test_valid_name(void)
{
	CHECK(expand_valid_name("A", 1));
	CHECK(expand_valid_name("_", 1));
	CHECK(expand_valid_name("_a1", 3));
	CHECK(expand_valid_name("SLACK_WEBHOOK", 13));
	CHECK(expand_valid_name("lower", 5));
	CHECK(expand_valid_name("A1B2", 4));
	CHECK(!expand_valid_name("", 0));
	CHECK(!expand_valid_name("1A", 2));
	CHECK(!expand_valid_name("A-B", 3));
	CHECK(!expand_valid_name("A B", 3));
	CHECK(!expand_valid_name("A.B", 3));
	CHECK(!expand_valid_name("$A", 2));
	CHECK(!expand_valid_name("caf\xc3\xa9", 5));
	/* Only LEN bytes are looked at. */
	CHECK(expand_valid_name("AB-C", 2));
	CHECK(!expand_valid_name("AB-C", 3));
	CHECK(expand_valid_name("A}", 1));
}

int main(void)
{
	test_expand_string();
	test_scan();
	test_valid_name();
	return check_report();
}
