/* Unit tests for src/core/duration.c: parsing durations and ranges, and
 * writing them back in the format's notation. */
#include <inttypes.h>
#include <stdint.h>

#include "check.h"
#include "countersign/duration.h"

#define MIN (60 * 1000LL)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

static void parses(const char *text, int64_t want, int line)
{
	int64_t ms = -1;
	const char *why = NULL;
	bool ok = duration_parse(text, &ms, &why);
	if (ok && ms == want) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "%s:%d: duration_parse(\"%s\"): got %s %" PRId64 " (%s), want %" PRId64 "\n",
			__FILE__, line, text, ok ? "ok" : "error", ms, why ? why : "-", want);
	}
}

static void rejects(const char *text, int line)
{
	int64_t ms = -1;
	const char *why = NULL;
	bool ok = duration_parse(text, &ms, &why);
	/* A refusal must say why, in words. */
	if (!ok && why && why[0]) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "%s:%d: duration_parse(\"%s\"): got %s %" PRId64 ", want an error with a reason\n",
			__FILE__, line, text, ok ? "ok" : "error without reason", ms);
	}
}

static void parses_range(const char *text, int64_t lo, int64_t hi, int line)
{
	int64_t a = -1, b = -1;
	const char *why = NULL;
	bool ok = duration_parse_range(text, &a, &b, &why);
	if (ok && a == lo && b == hi) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "%s:%d: duration_parse_range(\"%s\"): got %s %" PRId64 "..%" PRId64
			" (%s), want %" PRId64 "..%" PRId64 "\n",
			__FILE__, line, text, ok ? "ok" : "error", a, b, why ? why : "-", lo, hi);
	}
}

static void rejects_range(const char *text, int line)
{
	int64_t a = -1, b = -1;
	const char *why = NULL;
	bool ok = duration_parse_range(text, &a, &b, &why);
	if (!ok && why && why[0]) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "%s:%d: duration_parse_range(\"%s\"): got %s %" PRId64 "..%" PRId64
			", want an error with a reason\n", __FILE__, line, text, ok ? "ok" : "error without reason", a, b);
	}
}

static void formats(int64_t ms, const char *want, int line)
{
	char buf[64];
	memset(buf, 'X', sizeof(buf));
	duration_format(ms, buf, sizeof(buf));
	if (strcmp(buf, want) == 0) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "%s:%d: duration_format(%" PRId64 "): got \"%s\", want \"%s\"\n",
			__FILE__, line, ms, buf, want);
	}
}

#define PARSES(t, w) parses((t), (w), __LINE__)
#define REJECTS(t) rejects((t), __LINE__)
#define PARSES_RANGE(t, lo, hi) parses_range((t), (lo), (hi), __LINE__)
#define REJECTS_RANGE(t) rejects_range((t), __LINE__)
#define FORMATS(ms, w) formats((ms), (w), __LINE__)

static void test_parse(void)
{
	PARSES("90s", 90000);
	PARSES("5m", 5 * MIN);
	PARSES("1h30m", HOUR + 30 * MIN);
	PARSES("2h", 2 * HOUR);
	PARSES("1d", DAY);
	PARSES("500ms", 500);
	PARSES("1ms", 1);
	PARSES("1h1m1s1ms", HOUR + MIN + 1000 + 1);
	PARSES("1d2h3m4s5ms", DAY + 2 * HOUR + 3 * MIN + 4000 + 5);
	PARSES("90m", 90 * MIN);      /* no carrying rule: 90m is fine */
	PARSES("0h5m", 5 * MIN);      /* a zero part is fine when the total is positive */
	PARSES("007s", 7000);
	PARSES("1m500ms", MIN + 500); /* "ms" is not "m" then "s" */
	PARSES("365d", 365 * DAY);

	REJECTS("");
	REJECTS("5");
	REJECTS("5 m");
	REJECTS(" 5m");
	REJECTS("5m ");
	REJECTS("m");
	REJECTS("1m1h");
	REJECTS("1h1h");
	REJECTS("1s1s");
	REJECTS("1ms1s");
	REJECTS("0s");
	REJECTS("0ms");
	REJECTS("0h0m");
	REJECTS("5x");
	REJECTS("5M");
	REJECTS("5min");
	REJECTS("5mins");
	REJECTS("1h30");
	REJECTS("-5m");
	REJECTS("+5m");
	REJECTS("1.5h");
	REJECTS("5-10m"); /* a range is not a plain duration */
	REJECTS("99999999999999999999d");
	REJECTS("9223372036854775807ms");
	REJECTS("106751991167301d");
}

static void test_parse_why(void)
{
	int64_t ms;
	const char *why = NULL;
	CHECK(!duration_parse("0s", &ms, &why));
	CHECK(why && strstr(why, "zero"));
	why = NULL;
	CHECK(!duration_parse("1m1h", &ms, &why));
	CHECK(why && strstr(why, "largest to smallest"));
	why = NULL;
	CHECK(!duration_parse("5", &ms, &why));
	CHECK(why && strstr(why, "unit"));
	why = NULL;
	CHECK(!duration_parse("99999999999999999999d", &ms, &why));
	CHECK(why && strstr(why, "too"));
}

static void test_range(void)
{
	PARSES_RANGE("5-10m", 5 * MIN, 10 * MIN);
	PARSES_RANGE("1h-1h30m", HOUR, HOUR + 30 * MIN);
	PARSES_RANGE("15m", 15 * MIN, 15 * MIN);
	PARSES_RANGE("90s", 90000, 90000);
	PARSES_RANGE("5m-5m", 5 * MIN, 5 * MIN);
	PARSES_RANGE("30s-2m", 30000, 2 * MIN);
	PARSES_RANGE("500-900ms", 500, 900);
	PARSES_RANGE("1-2h", HOUR, 2 * HOUR);
	PARSES_RANGE("1-2d", DAY, 2 * DAY);
	PARSES_RANGE("45-1h30m", 45 * MIN, HOUR + 30 * MIN); /* the unit of the last part */

	REJECTS_RANGE("10-5m");
	REJECTS_RANGE("2h-1h");
	REJECTS_RANGE("5-");
	REJECTS_RANGE("-5m");
	REJECTS_RANGE("-");
	REJECTS_RANGE("");
	REJECTS_RANGE("5-10");
	REJECTS_RANGE("0-5m");
	REJECTS_RANGE("5m-0s");
	REJECTS_RANGE("5 - 10m");
	REJECTS_RANGE("5-10m-15m");
	REJECTS_RANGE("1m1h-2h");
	REJECTS_RANGE("0s");

	int64_t lo = -1, hi = -1;
	const char *why = NULL;
	CHECK(!duration_parse_range("10-5m", &lo, &hi, &why));
	CHECK(why && strstr(why, "low"));
}

static void test_format(void)
{
	FORMATS(90000, "1m30s");
	FORMATS(5400000, "1h30m");
	FORMATS(500, "500ms");
	FORMATS(0, "0s");
	FORMATS(-5, "0s");
	FORMATS(1000, "1s");
	FORMATS(5 * MIN, "5m");
	FORMATS(2 * HOUR, "2h");
	FORMATS(DAY, "1d");
	FORMATS(DAY + HOUR + MIN + 1000 + 1, "1d1h1m1s1ms");
	FORMATS(61001, "1m1s1ms");

	/* What is written parses back to the same value. */
	const int64_t values[] = {1, 999, 1000, 61001, 90000, 5400000, DAY + 1, 3 * DAY + 7 * HOUR};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char buf[64];
		int64_t back = -1;
		const char *why;
		duration_format(values[i], buf, sizeof(buf));
		CHECK(duration_parse(buf, &back, &why) && back == values[i]);
	}

	/* A small buffer is truncated, never overrun, and stays terminated. */
	char small[8];
	memset(small, 'X', sizeof(small));
	duration_format(DAY + HOUR + MIN + 1000 + 1, small, 5);
	CHECK(memchr(small, '\0', 5) != NULL);
	CHECK(small[5] == 'X' && small[6] == 'X' && small[7] == 'X');
	CHECK(strncmp(small, "1d1h", 4) == 0);
}

/* Sums and scalings that once overflowed int64_t inside the parser
 * (undefined behaviour under UBSan); tests/fuzz/fuzz_duration keeps at it. */
static void test_overflow(void)
{
	/* Each part is below the per-part limit, but the sum overflows. */
	REJECTS("53375995583d1281023894007h76861433640m");
	/* The bare low end is multiplied by the unit. */
	REJECTS_RANGE("922337203685477580-1m");
	/* A buffer of one byte holds the terminator only; none is left alone. */
	char one[2] = {'X', 'X'};
	duration_format(90000, one, 1);
	CHECK(one[0] == '\0' && one[1] == 'X');
	duration_format(90000, one, 0);
	CHECK(one[0] == '\0' && one[1] == 'X');
	/* Durations are added to times in microseconds (a manual item's
	 * timeout, signoff_within, a wait): one that parsed but overflowed
	 * "now + ms * 1000" made an item overdue from the start. */
	PARSES("36500d", 36500 * DAY);
	REJECTS("36501d");
	REJECTS("36500d1ms");
	REJECTS("10000000000d");
	REJECTS_RANGE("1-36501d");
	REJECTS_RANGE("36501-36502d");
	const char *why = NULL;
	int64_t ms;
	CHECK(!duration_parse("10000000000d", &ms, &why) && why && strstr(why, "at most 36500d"));
	CHECK(DURATION_MAX_MS <= (INT64_MAX - 4102444800000000LL) / 1000);  /* past 2100 still fits */
}

int main(void)
{
	test_parse();
	test_parse_why();
	test_range();
	test_format();
	test_overflow();
	return check_report();
}
