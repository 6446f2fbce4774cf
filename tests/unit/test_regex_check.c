/* Unit tests for regex_check (src/core/loader_regex.c): which patterns are
 * within bounds, where a refusal points, and that what it accepts compiles
 * in little memory. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "countersign/regex_check.h"
#include "countersign/util.h"

struct rcase {
	const char *pattern;
	long at;            /* -1: accepted */
	const char *reason; /* part of the reason when refused */
};

static void check_case(const struct rcase *c)
{
	size_t at = 0;
	const char *why = NULL;
	bool ok = regex_check(c->pattern, &at, &why);
	bool good = c->at < 0 ? ok
		: !ok && (long)at == c->at && why && strstr(why, c->reason);
	if (!good)
		fprintf(stderr, "/%s/: want %s at %ld (%s); got %s at %zu (%s)\n", c->pattern,
			c->at < 0 ? "accepted" : "refused", c->at, c->reason ? c->reason : "",
			ok ? "accepted" : "refused", at, why ? why : "");
	CHECK(good);
}

/* A pattern of N nested groups, each quantified with Q. */
static char *nested(int n, const char *q)
{
	struct strbuf sb = {0};
	for (int i = 0; i < n; i++)
		strbuf_addstr(&sb, "(");
	strbuf_addstr(&sb, "a");
	for (int i = 0; i < n; i++)
		strbuf_addf(&sb, ")%s", q);
	return strbuf_detach(&sb);
}

int main(void)
{
	const struct rcase cases[] = {
		/* Patterns from the bundled checklists and the documentation. */
		{"pre-deploy-[0-9]{8}-[0-9]{6}\\.sql", -1, NULL},
		{"^countersign [0-9]+\\.[0-9]+\\.[0-9]+$", -1, NULL},
		{"Fail: +[1-9]", -1, NULL},
		{"name: noa-mcp([[:space:]]|$)", -1, NULL},
		{"^[A-Za-z0-9._/-]+$", -1, NULL},
		{"^[0-9]{1,3}(\\.[0-9]{1,3}){3}$", -1, NULL},
		{"([0-9]+\\.)+[0-9]+", -1, NULL},
		{"[0-9a-f]{64}", -1, NULL},
		{"a{0,255}", -1, NULL},
		{"a{,5}b{2,}c{,}", -1, NULL},
		{"", -1, NULL},
		/* glibc reads an escaped comma inside braces as a comma: a count
		 * the scanner cannot bound (found by the fuzzer: 2 GiB in regcomp). */
		{"zy{\\,22550}", 3, "backslash inside a repeat count"},
		{"a{1\\}", 3, "backslash inside a repeat count"},
		{"\\{\"status\": \"ok\"\\}", -1, NULL},
		/* Quantifier on a quantified expression. */
		{"t++", 2, "already quantified"},
		{"t+++++++++++++++++++++++++", 2, "already quantified"},
		{"a*?", 2, "already quantified"},
		{"ab{2}*", 5, "already quantified"},
		{"a{1}{2}", 4, "already quantified"},
		{"x{,}{,}", 4, "already quantified"},
		{"(a+)+b**", 7, "already quantified"},
		/* Counts. */
		{"a{256}", 1, "above 255"},
		{"a{1,99999999999999999999}", 1, "above 255"},
		{"ab{300,}", 2, "above 255"},
		/* Unrolled size. */
		{"(x{1,255}){1,255}", 10, "too large"},
		{"((((a{1,10}){1,10}){1,10}){1,10})", 19, "too large"},
		/* Back-references. */
		{"(a)\\1", 3, "back-reference"},
		{"(.*)(.*)\\2\\1", 8, "back-reference"},
		/* Not the scan's business: regcomp reports these. */
		{"(a", -1, NULL},
		{"a)", -1, NULL},
		{"[a", -1, NULL},
		{"a\\", -1, NULL},
		{"*a", -1, NULL},
		{"a{x}", -1, NULL},
		{"[[:alpha:]", -1, NULL},
		/* Quantifier characters inside brackets and escaped are literals. */
		{"[+*?{]+", -1, NULL},
		{"[]+]+", -1, NULL},
		{"[[:digit:]+]+", -1, NULL},
		{"a\\++", -1, NULL},
		{"a\\{1000}", -1, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);

	/* Nested '+' doubles: 8 levels fit, 9 do not. */
	char *ok8 = nested(8, "+"), *bad9 = nested(9, "+");
	size_t at;
	const char *why;
	CHECK(regex_check(ok8, &at, &why));
	CHECK(!regex_check(bad9, &at, &why) && strstr(why, "too large"));
	/* Nested '*' does not copy anything: any depth up to the limit. */
	char *star = nested(32, "*");
	CHECK(regex_check(star, &at, &why));
	/* Parentheses 33 deep are refused at the 33rd. */
	char *deep = nested(33, "");
	CHECK(!regex_check(deep, &at, &why) && at == 32 && strstr(why, "nested"));
	free(deep);

	/* What is accepted compiles (the size bound keeps regcomp small). */
	const char *accepted[] = {ok8, star, "(a{1,255}){1,3}", "a{0,255}b{0,255}c{0,255}"};
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		CHECK(regex_check(accepted[i], &at, &why));
		regex_t re;
		CHECK(regcomp(&re, accepted[i], REG_EXTENDED | REG_NOSUB) == 0);
		regfree(&re);
	}
	free(ok8);
	free(bad9);
	free(star);
	return check_report();
}
