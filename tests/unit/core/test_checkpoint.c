/* The checkpoint text (src/core/checkpoint.c): what is printed parses back
 * to the same checkpoint, and any change to it, or a line that does not
 * belong, is refused. */
#include <stdlib.h>
#include <string.h>

#include "countersign/checkpoint.h"
#include "countersign/util.h"

#include "../check.h"

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"
#define H3 "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
#define REC "0123456789abcdef0123456789abcdef"

/* 2026-11-30T22:41:07Z, with microseconds the text does not keep */
#define T_US (1796078467LL * 1000000 + 123456)

static void sample(struct checkpoint *cp)
{
	memset(cp, 0, sizeof(*cp));
	cp->host = xstrdup("ops-1.example");
	memcpy(cp->record, REC, sizeof(cp->record));
	cp->time_us = T_US;
	checkpoint_add(cp, "registry", 124, H1);
	checkpoint_add(cp, "engineers", 31, H2);
	checkpoint_add(cp, "k3v9q2m7xd", 57, H3);
}

/* The text, its checksum worked out apart from the program
 * (printf ... | head -c -N | sha256sum). */
static const char GOLDEN[] =
	"countersign checkpoint v1\n"
	"origin ops-1.example record " REC "\n"
	"time 2026-11-30T22:41:07Z\n"
	"registry 124 " H1 "\n"
	"engineers 31 " H2 "\n"
	"run k3v9q2m7xd 57 " H3 "\n"
	"\n"
	"\xe2\x80\x94 sha256 45a4c1c5cc97acbf22d46fe01b58c83035172a876554f481cf35959dc65ec236\n";

static bool parses(const char *text, char **why)
{
	struct checkpoint cp;
	bool ok = checkpoint_parse(text, strlen(text), &cp, why);
	checkpoint_clear(&cp);
	return ok;
}

/* BODY (each line ended by a newline) with its correct checksum line: what
 * a checkpoint with that content would look like. */
static char *seal(const char *body)
{
	char sum[EVENT_HASH_HEX];
	event_sha256_hex(body, strlen(body), sum);
	return xasprintf("%s\n\xe2\x80\x94 sha256 %s\n", body, sum);
}

/* Expects the sealed BODY to be refused with a reason containing WANT. */
#define REFUSED(body, want) do { \
	char *t_ = seal(body), *why_ = NULL; \
	CHECK(!parses(t_, &why_)); \
	CHECK(why_ && strstr(why_, want)); \
	if (!why_ || !strstr(why_, want)) fprintf(stderr, "  reason: %s\n", why_ ? why_ : "(none)"); \
	free(why_); free(t_); \
} while (0)

#define HEAD3 "countersign checkpoint v1\norigin h record " REC "\ntime 2026-11-30T22:41:07Z\n"


static void test_round_trip(void)
{
	struct checkpoint cp, back;
	sample(&cp);
	char *text = checkpoint_format(&cp);
	CHECK_STR(text, GOLDEN);
	char *why = NULL;
	CHECK(checkpoint_parse(text, strlen(text), &back, &why));
	CHECK(why == NULL);
	CHECK_STR(back.host, "ops-1.example");
	CHECK_STR(back.record, REC);
	CHECK(back.time_us == T_US - 123456);
	CHECK(back.n_chains == 3);
	if (back.n_chains == 3) {
		for (size_t i = 0; i < 3; i++) {
			CHECK_STR(back.chains[i].name, cp.chains[i].name);
			CHECK(back.chains[i].events == cp.chains[i].events);
			CHECK_STR(back.chains[i].head, cp.chains[i].head);
		}
	}
	/* printed again, it is the same text */
	char *again = checkpoint_format(&back);
	CHECK_STR(again, text);
	free(again);
	checkpoint_clear(&back);

	/* surrounding blank lines, as a mail or a file with extra newlines */
	char *padded = xasprintf("\n\n  \r\n%s\n\n", text);
	CHECK(parses(padded, &why));
	free(padded);
	free(text);
	checkpoint_clear(&cp);
	checkpoint_clear(&cp);
	checkpoint_clear(NULL);
}

/* Each byte of the text, changed in two ways, is refused. */
static void test_every_byte(void)
{
	size_t len = strlen(GOLDEN), refused = 0;
	for (size_t i = 0; i < len; i++) {
		for (int flip = 1; flip <= 0x20; flip <<= 5) {
			char *t = xstrdup(GOLDEN), *why = NULL;
			t[i] = (char)(t[i] ^ flip);
			if (!parses(t, &why))
				refused++;
			else
				fprintf(stderr, "byte %zu ^ 0x%x accepted\n", i, flip);
			free(why);
			free(t);
		}
	}
	CHECK(len > 300 && refused == 2 * len);
	char *why = NULL;
	CHECK(!parses(GOLDEN + 1, &why));
	free(why);
	/* a whole line taken out, and the text cut short */
	const char *eng = strstr(GOLDEN, "engineers");
	char *cut = xasprintf("%.*s%s", (int)(eng - GOLDEN), GOLDEN, strchr(eng, '\n') + 1);
	CHECK(!parses(cut, &why));
	CHECK(why && strstr(why, "checksum does not match"));
	free(why);
	free(cut);
	struct checkpoint cp;
	CHECK(!checkpoint_parse(GOLDEN, strlen(GOLDEN) - 10, &cp, &why));
	free(why);
	/* two checkpoints one after the other, as a notify file holds them */
	char *two = xasprintf("%s\n%s\n", GOLDEN, GOLDEN);
	CHECK(!parses(two, &why));
	CHECK(why && strstr(why, "holds 2 checkpoints"));
	free(why);
	free(two);
	/* a NUL inside */
	CHECK(!checkpoint_parse(GOLDEN, sizeof(GOLDEN), &cp, &why));
	free(why);
}

/* Lines that do not belong, in texts whose checksum is right. */
static void test_refused_lines(void)
{
	char *t = seal(HEAD3 "registry 3 " H1 "\n"), *why = NULL;
	CHECK(parses(t, &why)); /* the base the cases below change */
	free(t);

	REFUSED("countersign checkpoint v2\norigin h record " REC "\ntime 2026-11-30T22:41:07Z\nregistry 3 " H1 "\n",
		"line 1");
	REFUSED("countersign checkpoint v1\norigin h record ABCDEF0123456789ABCDEF0123456789\n"
		"time 2026-11-30T22:41:07Z\nregistry 3 " H1 "\n", "record id");
	REFUSED("countersign checkpoint v1\norigin h record " REC "\ntime 2026-02-30T22:41:07Z\nregistry 3 " H1 "\n",
		"line 3");
	REFUSED("countersign checkpoint v1\norigin h record " REC "\ntime 2026-11-30 22:41:07\nregistry 3 " H1 "\n",
		"line 3");
	REFUSED(HEAD3, "names no chain");
	REFUSED(HEAD3 "registry 3 " H1 "\nwitness 3 " H1 "\n", "line 5 is not");
	REFUSED(HEAD3 "registry 3 " H1 "\nregistry 4 " H2 "\n", "named twice");
	REFUSED(HEAD3 "run abc 3 " H1 "\nrun abc 4 " H2 "\n", "named twice");
	REFUSED(HEAD3 "run registry 3 " H1 "\n", "not a run id");
	REFUSED(HEAD3 "registry 0 " H1 "\n", "at least 1");
	REFUSED(HEAD3 "registry -3 " H1 "\n", "at least 1");
	REFUSED(HEAD3 "registry 03 " H1 "\n", "at least 1");
	REFUSED(HEAD3 "registry 3x " H1 "\n", "at least 1");
	REFUSED(HEAD3 "registry 99999999999999999999 " H1 "\n", "at least 1");
	REFUSED(HEAD3 "registry 3 " H1 "0\n", "64 lowercase hex");
	REFUSED(HEAD3 "registry 3 ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789\n",
		"64 lowercase hex");
	REFUSED(HEAD3 "registry 3 " "zz22222222222222222222222222222222222222222222222222222222222222\n",
		"64 lowercase hex");
	REFUSED(HEAD3 "registry  3 " H1 "\n", "malformed");
	REFUSED(HEAD3 "registry 3 " H1 "\r\n", "malformed");
	REFUSED(HEAD3 "registry 3 " H1 " extra\n", "line 4 is not");
	REFUSED(HEAD3 "\nregistry 3 " H1 "\n", "malformed");
}

/* A file of checkpoints one after another: each parsed, in order; one
 * changed byte in any refuses the file, naming which; stray text before the
 * first is refused too. */
static void test_parse_all(void)
{
	char *three = xasprintf("%s%s\n%s", GOLDEN, GOLDEN, GOLDEN);
	struct checkpoint *cps = NULL;
	size_t n = 0;
	char *why = NULL;
	CHECK(checkpoint_parse_all(three, strlen(three), &cps, &n, &why));
	CHECK(n == 3);
	for (size_t i = 0; i < n; i++) {
		CHECK(cps[i].n_chains > 0);
		checkpoint_clear(&cps[i]);
	}
	free(cps);
	/* the second one's time changed */
	char *second = strstr(strstr(three, "time ") + 1, "time ");
	second[5] = second[5] == '1' ? '2' : '1';
	CHECK(!checkpoint_parse_all(three, strlen(three), &cps, &n, &why));
	CHECK(why && strstr(why, "checkpoint 2 of 3 (line "));
	CHECK(cps == NULL && n == 0);
	free(why);
	free(three);
	char *stray = xasprintf("hello\n%s%s", GOLDEN, GOLDEN);
	CHECK(!checkpoint_parse_all(stray, strlen(stray), &cps, &n, &why));
	CHECK(why && strstr(why, "checkpoint 1 of 2 (line 1)"));
	free(why);
	free(stray);
	/* a copy whose lines end in CRLF reads as the original */
	struct strbuf crlf = {0};
	for (const char *c = GOLDEN; *c; c++)
		strbuf_addf(&crlf, "%s%c", *c == '\n' ? "\r" : "", *c);
	CHECK(checkpoint_parse_all(crlf.data, crlf.len, &cps, &n, &why) && n == 1);
	if (n == 1)
		checkpoint_clear(&cps[0]);
	free(cps);
	strbuf_release(&crlf);
	/* one, and none */
	CHECK(checkpoint_parse_all(GOLDEN, strlen(GOLDEN), &cps, &n, &why) && n == 1);
	checkpoint_clear(&cps[0]);
	free(cps);
	CHECK(!checkpoint_parse_all("", 0, &cps, &n, &why));
	CHECK(why != NULL);
	free(why);
}

int main(void)
{
	test_parse_all();
	test_round_trip();
	test_every_byte();
	test_refused_lines();
	return check_report();
}
