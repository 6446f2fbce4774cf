/* The one clock (countersign/clock.h). */
#include "countersign/clock.h"

#include <assert.h>
#include <stdio.h>
#include <time.h>

static int64_t read_us(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_wall_us(void)
{
	return read_us(CLOCK_REALTIME);
}

int64_t clock_mono_us(void)
{
	return read_us(CLOCK_MONOTONIC);
}

void clock_strftime_utc(int64_t t_us, const char *format, char *buf, size_t size)
{
	if (size == 0)
		return;
	time_t t = (time_t)(t_us / 1000000);
	struct tm tm;
	/* FORMAT is checked where it is written: clock.h gives this function
	 * strftime's format attribute */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (!gmtime_r(&t, &tm) || strftime(buf, size, format, &tm) == 0)
		buf[0] = '\0';
#pragma GCC diagnostic pop
}

void clock_format_utc(int64_t t_us, char *buf, size_t size)
{
	clock_strftime_utc(t_us, "%Y-%m-%d %H:%M:%S UTC", buf, size);
}

void clock_format_iso(int64_t t_us, int digits, char *buf, size_t size)
{
	assert(digits == 0 || digits == 3 || digits == 6);
	char day[32];
	clock_strftime_utc(t_us, "%Y-%m-%dT%H:%M:%S", day, sizeof(day));
	int frac = (int)(t_us % 1000000);
	if (digits == 3)
		snprintf(buf, size, "%s.%03dZ", day, frac / 1000);
	else if (digits == 6)
		snprintf(buf, size, "%s.%06dZ", day, frac);
	else
		snprintf(buf, size, "%sZ", day);
}
