#include "countersign/duration.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct unit {
	const char *name;
	int64_t ms;
};

/* Longest names first so that "ms" is not read as "m" followed by "s". */
static const struct unit units[] = {
	{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
};

/* Rank in decreasing order of size: d=0 ... ms=4. */
static int unit_rank(int64_t ms)
{
	switch (ms) {
	case 86400000: return 0;
	case 3600000: return 1;
	case 60000: return 2;
	case 1000: return 3;
	default: return 4;
	}
}

static const struct unit *match_unit(const char *p, size_t *len)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].name);
		if (strncmp(p, units[i].name, n) == 0) {
			*len = n;
			return &units[i];
		}
	}
	return NULL;
}

/* Parses TEXT[0..LEN). A bare number is allowed (and returned with *UNITLESS)
 * only when ALLOW_BARE, for the first half of a range. */
static bool parse_span(const char *text, size_t len, bool allow_bare, int64_t *ms,
	bool *unitless, const char **why)
{
	const char *p = text, *end = text + len;
	int64_t total = 0;
	int last_rank = -1;
	*unitless = false;
	if (p == end) {
		*why = "it is empty";
		return false;
	}
	while (p < end) {
		if (!isdigit((unsigned char)*p)) {
			*why = isspace((unsigned char)*p) ? "it has a space; the unit follows the number directly"
				: "expected a number followed by a unit (ms, s, m, h, d)";
			return false;
		}
		int64_t n = 0;
		while (p < end && isdigit((unsigned char)*p)) {
			if (n > INT64_MAX / 10 - 10) {
				*why = "the number is too large";
				return false;
			}
			n = n * 10 + (*p++ - '0');
		}
		if (p == end && allow_bare && last_rank < 0) {
			*ms = n;
			*unitless = true;
			return true;
		}
		size_t ulen = 0;
		const struct unit *u = p < end ? match_unit(p, &ulen) : NULL;
		if (!u || p + ulen > end) {
			*why = p < end && isspace((unsigned char)*p) ? "it has a space; the unit follows the number directly"
				: p < end ? "unknown unit: use ms, s, m, h or d (write 5m, not 5 minutes)"
				: "a number needs a unit: ms, s, m, h or d";
			return false;
		}
		int rank = unit_rank(u->ms);
		if (rank <= last_rank) {
			*why = "units must go from largest to smallest, each once (like 1h30m)";
			return false;
		}
		last_rank = rank;
		if (n > DURATION_MAX_MS / u->ms || total > DURATION_MAX_MS - n * u->ms) {
			*why = "the duration is too long (at most 36500d)";
			return false;
		}
		total += n * u->ms;
		p += ulen;
	}
	*ms = total;
	return true;
}

bool duration_parse(const char *text, int64_t *ms, const char **why)
{
	bool unitless;
	if (!parse_span(text, strlen(text), false, ms, &unitless, why))
		return false;
	if (*ms <= 0) {
		*why = "a duration must be longer than zero";
		return false;
	}
	return true;
}

bool duration_parse_range(const char *text, int64_t *lo_ms, int64_t *hi_ms, const char **why)
{
	const char *dash = strchr(text, '-');
	if (!dash)
		return duration_parse(text, lo_ms, why) && ((*hi_ms = *lo_ms), true);
	bool lo_bare, hi_bare;
	int64_t lo, hi;
	if (dash == text || !dash[1]) {
		*why = "a range needs a low and a high end, like 5-10m";
		return false;
	}
	if (!parse_span(text, (size_t)(dash - text), true, &lo, &lo_bare, why))
		return false;
	if (!parse_span(dash + 1, strlen(dash + 1), false, &hi, &hi_bare, why))
		return false;
	if (lo_bare) {
		/* "5-10m": the bare number takes the unit of the last part. */
		const char *u = dash + 1 + strlen(dash + 1);
		while (u > dash + 1 && !isdigit((unsigned char)u[-1]))
			u--;
		size_t ulen;
		const struct unit *unit = match_unit(u, &ulen);
		int64_t scale = unit ? unit->ms : 1;
		if (lo > DURATION_MAX_MS / scale) {
			*why = "the duration is too long (at most 36500d)";
			return false;
		}
		lo *= scale;
	}
	if (lo <= 0 || hi <= 0) {
		*why = "a duration must be longer than zero";
		return false;
	}
	if (lo > hi) {
		*why = "the low end of the range is longer than the high end";
		return false;
	}
	*lo_ms = lo;
	*hi_ms = hi;
	return true;
}

void duration_format(int64_t ms, char *buf, size_t size)
{
	if (ms <= 0) {
		snprintf(buf, size, "0s");
		return;
	}
	if (size == 0)
		return;
	size_t used = 0;
	buf[0] = '\0';
	/* Stops once BUF is full: BUF + USED must stay inside it. */
	for (int i = (int)(sizeof(units) / sizeof(units[0])) - 1; i >= 0 && used < size; i--) {
		int64_t n = ms / units[i].ms;
		if (n == 0)
			continue;
		ms -= n * units[i].ms;
		int w = snprintf(buf + used, size - used, "%" PRId64 "%s", n, units[i].name);
		if (w > 0)
			used += (size_t)w;
	}
}
