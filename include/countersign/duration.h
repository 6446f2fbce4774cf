/* Durations as the checklist format writes them: "90s", "5m", "1h30m", "500ms", "1d". */
#ifndef COUNTERSIGN_DURATION_H
#define COUNTERSIGN_DURATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest duration accepted: 36500 days. Times are kept in
 * microseconds since the epoch, so a duration must leave room for
 * "now + duration * 1000" in an int64_t (timeouts, waits, signoff_within). */
#define DURATION_MAX_MS ((int64_t)36500 * 86400000)

/* Parses TEXT into milliseconds. Returns false, with a reason in WHY
 * (a static string), when TEXT is not a positive duration. */
bool duration_parse(const char *text, int64_t *ms, const char **why);

/* Parses a duration or a range "5-10m" / "1h-1h30m" (a bare first number takes
 * the unit of the second). A plain duration gives lo == hi. */
bool duration_parse_range(const char *text, int64_t *lo_ms, int64_t *hi_ms, const char **why);

/* Writes MS in the format's own notation ("1h30m", "500ms", "0s") into BUF. */
void duration_format(int64_t ms, char *buf, size_t size);

#endif
