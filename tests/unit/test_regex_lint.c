/* Lint refuses regular expressions that blow up when compiled: "t" and 25
 * '+' once took gigabytes in glibc's regcomp. Each case loads a checklist in
 * a child process held to a memory limit and a deadline, so that a loader
 * that does compile the pattern fails the test (regcomp runs out of memory,
 * or the deadline kills it) instead of taking the machine down; the refusal
 * must name FILE:LINE:COL of the offending quantifier. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "countersign/checklist.h"
#include "countersign/clock.h"
#include "countersign/util.h"

/* Under AddressSanitizer the address space is mostly shadow memory, which a
 * data limit would forbid; there the deadline alone bounds the child. */
#if defined(__SANITIZE_ADDRESS__)
#define LIMIT_MEMORY 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LIMIT_MEMORY 0
#endif
#endif
#ifndef LIMIT_MEMORY
#define LIMIT_MEMORY 1
#endif

#define CHILD_DATA_LIMIT (512L * 1024 * 1024)
#define DEADLINE_MS 20000

static long long now_ms(void)
{
	return clock_mono_us() / 1000;
}

/* Loads TEXT in a child and returns what lint prints (malloc'd), or NULL
 * when the child did not finish cleanly within the deadline. */
static char *lint_in_child(const char *text, long long *elapsed_ms)
{
	int fds[2];
	if (pipe(fds) != 0)
		return NULL;
	long long start = now_ms();
	pid_t pid = fork();
	if (pid < 0)
		return NULL;
	if (pid == 0) {
		close(fds[0]);
		if (LIMIT_MEMORY) {
			struct rlimit rl = {CHILD_DATA_LIMIT, CHILD_DATA_LIMIT};
			setrlimit(RLIMIT_DATA, &rl);
		}
		struct diag_list d;
		diag_list_init(&d, "bounds.json");
		struct checklist *cl = checklist_load_text("bounds.json", text, strlen(text), &d);
		FILE *out = fdopen(fds[1], "w");
		diag_list_print(&d, out);
		fprintf(out, "-- %s\n", cl ? "loads" : "refused");
		fclose(out);
		checklist_destroy(cl);
		diag_list_clear(&d);
		_exit(0);
	}
	close(fds[1]);
	struct strbuf sb = {0};
	bool done = false;
	while (!done) {
		long long left = DEADLINE_MS - (now_ms() - start);
		struct pollfd p = {.fd = fds[0], .events = POLLIN};
		int n = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "the loader did not finish within %d ms\n", DEADLINE_MS);
			kill(pid, SIGKILL);
			break;
		}
		char buf[4096];
		ssize_t got = read(fds[0], buf, sizeof(buf));
		if (got > 0)
			strbuf_add(&sb, buf, (size_t)got);
		else
			done = got == 0;
	}
	close(fds[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	*elapsed_ms = now_ms() - start;
	if (!done || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}

/* A command item (or http item for expect_body, variable for pattern)
 * holding PATTERN in FIELD: on line 8 at column 1, or for a variable
 * line 6 column 16. */
static char *checklist_with(const char *field, const char *pattern)
{
	const char *head = "{\n"
		"  \"countersign\": 1,\n"
		"  \"id\": \"bounds\",\n"
		"  \"title\": \"Bounded regular expressions\",\n";
	if (strcmp(field, "pattern") == 0)
		return xasprintf("%s  \"variables\": [{\"name\": \"V\",\n"
			"    \"pattern\": \"%s\"}],\n"
			"  \"sections\": [{\"id\": \"s\", \"title\": \"S\", \"items\": [\n"
			"    {\"id\": \"i\", \"title\": \"I\", \"kind\": \"manual\"}]}]\n}\n", head, pattern);
	const char *kind = strcmp(field, "expect_body") == 0
		? "\"kind\": \"http\", \"url\": \"http://127.0.0.1/\"" : "\"kind\": \"command\", \"run\": \"true\"";
	return xasprintf("%s  \"sections\": [{\"id\": \"s\", \"title\": \"S\", \"items\": [\n"
		"    {\"id\": \"i\", \"title\": \"I\", %s,\n"
		"     \"%s\":\n"
		"\"%s\"}]}]\n}\n", head, kind, field, pattern);
}

struct refusal {
	const char *field;
	const char *pattern;
	const char *where;  /* the position lint must give */
	const char *reason; /* part of the message */
};

static void expect_refused(const struct refusal *r)
{
	char *text = checklist_with(r->field, r->pattern);
	long long ms = 0;
	char *got = lint_in_child(text, &ms);
	char *want = xasprintf("bounds.json:%s: error: ", r->where);
	bool ok = got && strstr(got, want) && strstr(got, "is refused as a regular expression") &&
		strstr(got, r->reason) && strstr(got, "-- refused");
	if (!ok)
		fprintf(stderr, "%s /%s/: want %s...%s; got (after %lld ms):\n%s\n", r->field, r->pattern,
			want, r->reason, ms, got ? got : "(the child failed: out of memory or too slow)");
	CHECK(ok);
	free(want);
	free(got);
	free(text);
}

static void expect_loads(const char *field, const char *pattern)
{
	char *text = checklist_with(field, pattern);
	long long ms = 0;
	char *got = lint_in_child(text, &ms);
	bool ok = got && strstr(got, "-- loads");
	if (!ok)
		fprintf(stderr, "%s /%s/ should load; got:\n%s\n", field, pattern, got ? got : "(child failed)");
	CHECK(ok);
	free(got);
	free(text);
}

int main(void)
{
	/* The report's pattern: "t" and 25 '+'. The error points at the second
	 * '+', the first quantifier applied to a quantified expression. */
	static const char t25[] = "t+++++++++++++++++++++++++";
	const struct refusal cases[] = {
		{"expect_output", t25, "8:4", "already quantified"},
		{"fail_output", t25, "8:4", "already quantified"},
		{"expect_body", t25, "8:4", "already quantified"},
		{"pattern", t25, "6:19", "already quantified"},
		/* Nested groups double just the same. */
		{"expect_output", "((((((((((((((((((((((((t+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+",
			"8:43", "too large"},
		/* Counted repetition of counted repetition: 255 * 255 copies. */
		{"expect_output", "(x{1,255}){1,255}", "8:12", "too large"},
		{"fail_output", "a{1000}", "8:3", "above 255"},
		{"expect_output", "(a*)b\\\\1", "8:7", "back-reference"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_refused(&cases[i]);

	/* What checklists do write still loads. */
	expect_loads("expect_output", "pre-deploy-[0-9]{8}-[0-9]{6}\\\\.sql");
	expect_loads("expect_output", "^[0-9]{1,3}(\\\\.[0-9]{1,3}){3}$");
	expect_loads("fail_output", "Fail: +[1-9]");
	expect_loads("expect_body", "\\\"status\\\": *\\\"(ok|healthy)\\\"");
	expect_loads("pattern", "^v[0-9]+\\\\.[0-9]+\\\\.[0-9]+$");
	expect_loads("expect_output", "([0-9]+\\\\.)+[0-9]+");
	expect_loads("expect_output", "[0-9a-f]{64}");
	return check_report();
}
