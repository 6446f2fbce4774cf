/* The clock: the wall clock agrees with time(2), the monotonic one never goes
 * back, and times are written in UTC in each form the program shows. */
#include "check.h"

#include "countersign/clock.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

static void test_read(void)
{
	int64_t before = (int64_t)time(NULL) * 1000000;
	int64_t wall = clock_wall_us();
	int64_t after = ((int64_t)time(NULL) + 1) * 1000000;
	CHECK(wall >= before && wall <= after);
	int64_t last = clock_mono_us();
	int back = 0;
	for (int i = 0; i < 100000; i++) {
		int64_t now = clock_mono_us();
		back += now < last;
		last = now;
	}
	CHECK(back == 0);
}

static void test_format(void)
{
	const int64_t t = INT64_C(1714564800123456); /* 2024-05-01 12:00:00.123456 UTC */
	char buf[64];
	clock_format_utc(t, buf, sizeof(buf));
	CHECK_STR(buf, "2024-05-01 12:00:00 UTC");
	clock_format_utc(0, buf, sizeof(buf));
	CHECK_STR(buf, "1970-01-01 00:00:00 UTC");
	clock_strftime_utc(t, "%H:%M:%S UTC", buf, sizeof(buf));
	CHECK_STR(buf, "12:00:00 UTC");
	clock_strftime_utc(t + INT64_C(59) * 60 * 1000000, "%Y-%m-%d %H:%M", buf, sizeof(buf));
	CHECK_STR(buf, "2024-05-01 12:59");
	clock_format_iso(t, 0, buf, sizeof(buf));
	CHECK_STR(buf, "2024-05-01T12:00:00Z");
	clock_format_iso(t, 3, buf, sizeof(buf));
	CHECK_STR(buf, "2024-05-01T12:00:00.123Z");
	clock_format_iso(t, 6, buf, sizeof(buf));
	CHECK_STR(buf, "2024-05-01T12:00:00.123456Z");
	CHECK(strlen(buf) + 1 <= 28);
	/* too small a buffer gives an empty text, never a cut one */
	char small[8] = "xxxxxxx";
	clock_format_utc(t, small, sizeof(small));
	CHECK_STR(small, "");
	clock_format_utc(t, small, 0);
	CHECK_STR(small, "");
}

int main(void)
{
	test_read();
	test_format();
	return check_report();
}
