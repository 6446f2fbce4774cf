/* The string vector: copies and owned strings, formatting, the NULL that
 * always ends the list (an environment handed to execve), finding, growth
 * past the first allocation, detaching, and clearing with and without
 * wiping. */
#include "check.h"

#include "countersign/util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void test_push(void)
{
	struct strvec sv = {0};
	char name[] = "PATH=/bin";
	strvec_push(&sv, name);
	name[0] = 'X';  /* a copy: the caller's buffer may change */
	strvec_push_owned(&sv, xstrdup("HOME=/root"));
	strvec_pushf(&sv, "%s=%d", "N", 42);
	CHECK(sv.n == 3);
	CHECK_STR(sv.v[0], "PATH=/bin");
	CHECK_STR(sv.v[1], "HOME=/root");
	CHECK_STR(sv.v[2], "N=42");
	CHECK(sv.v[3] == NULL);
	CHECK(strvec_find(&sv, "HOME=/root") == 1);
	CHECK(strvec_find(&sv, "HOME") == -1);
	strvec_clear(&sv);
	CHECK(sv.v == NULL && sv.n == 0 && sv.cap == 0);
	strvec_clear(&sv); /* twice is harmless */
}

static void test_grow(void)
{
	struct strvec sv = {0};
	for (int i = 0; i < 1000; i++) {
		strvec_pushf(&sv, "%d", i);
		CHECK(sv.v[sv.n] == NULL);
	}
	bool all = sv.n == 1000;
	for (size_t i = 0; i < sv.n && all; i++) {
		char want[32];
		snprintf(want, sizeof(want), "%zu", i);
		all = strcmp(sv.v[i], want) == 0;
	}
	CHECK(all);
	CHECK(strvec_find(&sv, "999") == 999);
	strvec_clear_wiped(&sv);
	CHECK(sv.v == NULL && sv.n == 0);
}

static void test_detach(void)
{
	struct strvec sv = {0};
	char **empty = strvec_detach(&sv);
	CHECK(empty && empty[0] == NULL);
	free(empty);

	strvec_push(&sv, "a");
	strvec_push(&sv, "b");
	char **v = strvec_detach(&sv);
	CHECK(sv.v == NULL && sv.n == 0);
	CHECK_STR(v[0], "a");
	CHECK_STR(v[1], "b");
	CHECK(v[2] == NULL);
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

int main(void)
{
	test_push();
	test_grow();
	test_detach();
	return check_report();
}
