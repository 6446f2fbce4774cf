/* The one clock: the wall clock for times that are recorded and shown, the
 * monotonic clock for timeouts and durations, both in microseconds, and
 * times written in UTC. */
#ifndef COUNTERSIGN_CLOCK_H
#define COUNTERSIGN_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Microseconds since the epoch (CLOCK_REALTIME): what the record keeps. */
int64_t clock_wall_us(void);

/* Microseconds on CLOCK_MONOTONIC: for deadlines and durations, which must
 * not jump when the wall clock is set. Meaningful only as differences. */
int64_t clock_mono_us(void);

/* Writes T_US (microseconds since the epoch) in UTC with strftime's FORMAT
 * into BUF (SIZE bytes); BUF is empty when it does not fit. */
void clock_strftime_utc(int64_t t_us, const char *format, char *buf, size_t size)
	__attribute__((format(strftime, 2, 0)));

/* T_US as "2026-11-26 19:00:00 UTC" (24 bytes with the NUL). */
void clock_format_utc(int64_t t_us, char *buf, size_t size);

/* T_US in ISO 8601 with DIGITS (0, 3 or 6) of the second:
 * "2026-11-26T19:00:00Z", "2026-11-26T19:00:00.123Z" or
 * "2026-11-26T19:00:00.123456Z" (at most 28 bytes with the NUL). */
void clock_format_iso(int64_t t_us, int digits, char *buf, size_t size);

#endif
