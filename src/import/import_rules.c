/* The text conventions of Markdown runbooks that concern prose: headings,
 * titles, ids, time hints, invisible characters and alternative procedures
 * (import_rules.h). Shell commands are in import_rules_shell.c. Every scan
 * here is a single pass or a bounded number of passes over its input: the
 * importer calls these on every line of files of several MiB. */
#include "import_rules.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "countersign/duration.h"
#include "countersign/utf8.h"
#include "import_rules_text.h"

/* TEXT as " word word ... ": lower-case ASCII letters and digits, everything
 * else a single space, so that phrases are found with strstr(" phrase ").
 * A title's first WORDS_MAX bytes are enough to say what it is. */
enum { WORDS_MAX = 1024 };

static char *words_of(const char *text)
{
	char *w = xmalloc(WORDS_MAX + 3), *o = w;
	*o++ = ' ';
	for (size_t i = 0; text[i] && i < WORDS_MAX; i++) {
		unsigned char c = (unsigned char)text[i];
		if (is_alnum(c))
			*o++ = (char)lower(c);
		else if (o[-1] != ' ')
			*o++ = ' ';
	}
	if (o[-1] != ' ')
		*o++ = ' ';
	*o = '\0';
	return w;
}

static bool has_any(const char *words, const char *const *phrases)
{
	for (size_t i = 0; phrases[i]; i++)
		if (strstr(words, phrases[i]))
			return true;
	return false;
}

static bool starts_any(const char *words, const char *const *phrases)
{
	for (size_t i = 0; phrases[i]; i++)
		if (strncmp(words, phrases[i], strlen(phrases[i])) == 0)
			return true;
	return false;
}

enum import_heading_kind import_heading_kind(const char *title)
{
	static const char *const rollback[] = {
		" rollback ", " rollbacks ", " roll back ", " rolling back ", " back out ", " backout ",
		" emergency ", " emergencies ", " disaster recovery ", " recovery procedure",
		" recovery steps ", " incident response ", " revert ", " reverting ", " abort ", " undo ",
		" troubleshooting ", " troubleshoot ",
		NULL,
	};
	/* A title that is only about recovering ("Recovery", "Recovery: database"). */
	static const char *const rollback_start[] = { " recovery ", " recover ", NULL };
	static const char *const reference[] = {
		" table of contents ", " contents ", " toc ", " links ", " useful links ",
		" related documentation ", " related docs ", " related documents ", " related runbooks ",
		" see also ", " references ", " reference ", " contacts ", " contact list ",
		" contact information ", " contact details ", " escalation ",
		" appendix ", " glossary ", " further reading ", " resources ", " cheat sheet ",
		" cheatsheet ", " useful commands ", " faq ", " change log ", " changelog ",
		" revision history ", " document history ", " owners ", " known issues ", NULL,
	};
	char *w = words_of(title);
	enum import_heading_kind kind = IMPORT_HEADING_PLAIN;
	if (has_any(w, rollback) || starts_any(w, rollback_start))
		kind = IMPORT_HEADING_ROLLBACK;
	else if (has_any(w, reference))
		kind = IMPORT_HEADING_REFERENCE;
	free(w);
	return kind;
}

bool import_heading_optional(const char *title)
{
	char *w = words_of(title);
	size_t len = strlen(w);
	/* First word, last word ("Step 4 (optional)"), or "optional step". */
	bool yes = strncmp(w, " optional ", 10) == 0 ||
		(len >= 10 && strcmp(w + len - 10, " optional ") == 0) ||
		strstr(w, " optional step ") != NULL;
	free(w);
	if (yes)
		return true;
	/* "(optional)" or "[optional]" anywhere. */
	for (const char *p = title; *p; p++) {
		if ((*p == '(' || *p == '[') && strncasecmp(p + 1, "optional", 8) == 0 &&
				(p[9] == ')' || p[9] == ']'))
			return true;
	}
	return false;
}

/* The length of a trailing "(...)" of S[0..LEN) that is a time hint, or 0. */
static size_t trailing_hint(const char *s, size_t len)
{
	if (len < 3 || s[len - 1] != ')')
		return 0;
	size_t open = len - 1;
	while (open > 0 && s[open] != '(' && len - open < 80)
		open--;
	if (s[open] != '(')
		return 0;
	char *inner = xstrndup(s + open + 1, len - open - 2);
	char *est = import_estimate(inner);
	free(inner);
	if (!est)
		return 0;
	free(est);
	return len - open;
}

char *import_clean_title(const char *title)
{
	struct strbuf sb = {0};
	/* Emphasis and code markers go; runs of white space become one space. */
	for (const char *p = title; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '*' || c == '`')
			continue;
		if ((c == '_' || c == '~') && p[1] == c) {
			p++;
			continue;
		}
		/* A lone '_' wrapping words ("_Optional_") goes; one inside a name stays. */
		if (c == '_' && (p == title || !is_alnum((unsigned char)p[-1]) || !is_alnum((unsigned char)p[1])))
			continue;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (sb.len > 0 && sb.data[sb.len - 1] != ' ')
				strbuf_addstr(&sb, " ");
			continue;
		}
		strbuf_add(&sb, p, 1);
	}
	char *s = sb.data ? sb.data : xstrdup("");
	size_t len = sb.data ? sb.len : 0;
	/* An ATX heading's closing '#'s (only after a space, as CommonMark says). */
	for (;;) {
		while (len > 0 && s[len - 1] == ' ')
			len--;
		size_t end = len;
		while (end > 0 && s[end - 1] == '#')
			end--;
		if (end < len && (end == 0 || s[end - 1] == ' ')) {
			len = end;
			continue;
		}
		if (len > 0 && (s[len - 1] == ':' || s[len - 1] == '-')) {
			len--;
			continue;
		}
		size_t hint = trailing_hint(s, len);
		if (hint > 0 && hint < len) {
			len -= hint;
			continue;
		}
		break;
	}
	size_t start = 0;
	while (start < len && s[start] == ' ')
		start++;
	char *out = xstrndup(s + start, len - start);
	free(s);
	return out;
}

const char *import_latin_fold(uint32_t cp)
{
	static const char *const latin1[64] = {
		"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
		"d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "ss",
		"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
		"d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "y",
	};
	static const struct { uint32_t last; const char *fold; } extended_a[] = {  /* U+0100... */
		{0x105, "a"}, {0x10d, "c"}, {0x111, "d"}, {0x11b, "e"}, {0x123, "g"}, {0x127, "h"},
		{0x131, "i"}, {0x133, "ij"}, {0x135, "j"}, {0x138, "k"}, {0x142, "l"}, {0x14b, "n"},
		{0x151, "o"}, {0x153, "oe"}, {0x159, "r"}, {0x161, "s"}, {0x167, "t"}, {0x173, "u"},
		{0x175, "w"}, {0x178, "y"}, {0x17e, "z"}, {0x17f, "s"},
	};
	if (cp >= 0xc0 && cp <= 0xff)
		return latin1[cp - 0xc0];
	for (size_t k = 0; cp >= 0x100 && k < sizeof(extended_a) / sizeof(extended_a[0]); k++)
		if (cp <= extended_a[k].last)
			return extended_a[k].fold;
	return NULL;
}

char *import_make_id(const char *title, const char *fallback, struct import_ids *used)
{
	enum { MAX = 48 };
	assert(fallback && *fallback);
	struct strbuf sb = {0};
	strbuf_addstr(&sb, "");
	bool dash = false;
	const char *t = title ? title : "";
	size_t tlen = strlen(t);
	for (size_t i = 0; i < tlen;) {
		uint32_t cp = (unsigned char)t[i];
		int n = utf8_decode((const unsigned char *)t + i, tlen - i, &cp);
		if (n <= 0) {
			i++;
			continue;
		}
		i += (size_t)n;
		char one[2] = {(char)cp, '\0'};
		const char *word = cp < 0x80 && is_alnum((unsigned char)cp) ? one : import_latin_fold(cp);
		if (word) {
			if (dash && sb.len > 0) {
				if (sb.len + 2 > MAX)
					break;
				strbuf_addstr(&sb, "-");
			}
			if (sb.len + strlen(word) > MAX)
				break;
			for (const char *w = word; *w; w++) {
				char c = (char)lower((unsigned char)*w);
				strbuf_add(&sb, &c, 1);
			}
			dash = false;
		} else if (cp == '\'' || cp == 0x2019) {
			/* An apostrophe joins: "don't" is one word. */
		} else if (cp < 0xc0 || cp == 0xd7 || cp == 0xf7 || (cp >= 0x2000 && cp < 0x2c00) ||
				(cp >= 0x3000 && cp < 0x3040) || cp >= 0x1f000) {
			/* Punctuation, spaces, arrows and symbols separate words. */
			dash = true;
		}
		/* Other non-ASCII letters are dropped. */
	}
	/* Cut at MAX on a word boundary when the cut fell inside a word. */
	if (sb.len == MAX) {
		char *d = strrchr(sb.data, '-');
		if (d && d - sb.data >= MAX / 2)
			sb.len = (size_t)(d - sb.data), sb.data[sb.len] = '\0';
	}
	while (sb.len > 0 && sb.data[sb.len - 1] == '-')
		sb.data[--sb.len] = '\0';
	char *base = sb.len ? strbuf_detach(&sb) : xstrdup(fallback);
	strbuf_release(&sb);
	char *id = xstrdup(base);
	/* Start past the highest suffix BASE already has (the index knows it),
	 * not at 2, for a runbook with a thousand "Verify"s. */
	unsigned n = 2;
	if (used && import_ids_has(used, id)) {
		unsigned top = import_ids_top(used, base);
		if (top >= n)
			n = top + 1;
	}
	for (; used && import_ids_has(used, id); n++) {
		free(id);
		char suffix[16];
		snprintf(suffix, sizeof suffix, "-%u", n);
		size_t keep = strlen(base);
		if (keep + strlen(suffix) > MAX)
			keep = MAX - strlen(suffix);
		while (keep > 0 && base[keep - 1] == '-')
			keep--;
		id = xasprintf("%.*s%s", (int)keep, base, suffix);
		/* a cut BASE: the next one starts past this N too */
		import_ids_raise(used, base, n);
	}
	free(base);
	if (used)
		import_ids_add(used, id);
	return id;
}

/* ---- Time hints ---- */

struct unit {
	const char *name;
	int64_t ms;
	bool attached_only; /* "5m" but not "5 m" */
};

static const struct unit units[] = {
	{"milliseconds", 1, false}, {"millisecond", 1, false}, {"ms", 1, false},
	{"seconds", 1000, false}, {"second", 1000, false}, {"secs", 1000, false}, {"sec", 1000, false},
	{"s", 1000, true},
	{"minutes", 60000, false}, {"minute", 60000, false}, {"mins", 60000, false}, {"min", 60000, false},
	{"m", 60000, true},
	{"hours", 3600000, false}, {"hour", 3600000, false}, {"hrs", 3600000, false}, {"hr", 3600000, false},
	{"h", 3600000, true},
	{"days", 86400000, false}, {"day", 86400000, false}, {"d", 86400000, true},
	{"weeks", 604800000, false}, {"week", 604800000, false},
};

/* The unit at S (ATTACHED: right after the number), its length in *LEN. */
static bool unit_at(const char *s, bool attached, size_t *len, int64_t *ms)
{
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		size_t n = strlen(units[i].name);
		if (units[i].attached_only && !attached)
			continue;
		/* a word of its own, or the first part of "1h30m" */
		if (strncasecmp(s, units[i].name, n) == 0 &&
				(!is_alnum((unsigned char)s[n]) || (attached && is_digit((unsigned char)s[n])))) {
			*len = n;
			*ms = units[i].ms;
			return true;
		}
	}
	return false;
}

/* A number at S[*I] ("15", "1.5"), as thousandths in *MILLI. */
static bool number_at(const char *s, size_t *i, int64_t *milli)
{
	size_t j = *i, digits = 0;
	int64_t v = 0;
	while (is_digit((unsigned char)s[j])) {
		if (++digits > 6)
			return false;
		v = v * 10 + (s[j++] - '0');
	}
	if (digits == 0)
		return false;
	v *= 1000;
	if (s[j] == '.' && is_digit((unsigned char)s[j + 1])) {
		int64_t scale = 100;
		for (j++; is_digit((unsigned char)s[j]); j++) {
			v += (s[j] - '0') * scale;
			scale /= 10;
		}
	}
	*i = j;
	*milli = v;
	return true;
}

/* A range separator at S[*I]: "-", en or em dash, " to ", " - ". */
static bool range_sep_at(const char *s, size_t *i)
{
	size_t j = *i;
	while (s[j] == ' ')
		j++;
	if (s[j] == '-')
		j++;
	else if (strncmp(s + j, "\xe2\x80\x93", 3) == 0 || strncmp(s + j, "\xe2\x80\x94", 3) == 0)
		j += 3;
	else if (strncasecmp(s + j, "to ", 3) == 0 && j > *i)
		j += 2;
	else
		return false;
	while (s[j] == ' ')
		j++;
	if (!is_digit((unsigned char)s[j]))
		return false;
	*i = j;
	return true;
}

/* Longer than a year is not a step's time ("20000 hours of uptime"). */
#define HINT_MAX_MS (366 * INT64_C(86400000))

/* A time hint: its bounds, and the units the author wrote them in (the ms
 * of one unit; -1 for a compound such as "1h30m"), to write them back so. */
struct hint {
	int64_t lo, hi, lo_unit, hi_unit;
};

/* A quantity at S[*I]: *MS with its unit in *UNIT, or with no unit after
 * it *UNIT = 0 and the number in thousandths in *BARE. */
static bool quantity_at(const char *s, size_t *i, int64_t *ms, int64_t *bare, int64_t *unit)
{
	size_t j = *i;
	if (!number_at(s, &j, bare))
		return false;
	*unit = 0;
	*ms = 0;
	bool attached = s[j] != ' ';
	size_t k = s[j] == ' ' ? j + 1 : j;
	size_t ulen;
	int64_t per;
	if (unit_at(s + k, attached, &ulen, &per)) {
		j = k + ulen;
		*unit = per;
		*ms = *bare * per / 1000;
		/* "1h30m", "1 hour 30 minutes", "2h and 15m": more parts, each in
		 * a smaller unit than the one before */
		int64_t last = per;
		for (int parts = 0; parts < 4; parts++) {
			size_t m = j;
			if (s[m] == ' ')
				m++;
			if (m > j && strncasecmp(s + m, "and ", 4) == 0)
				m += 4;
			if (!is_digit((unsigned char)s[m]) || (m == j && !attached))
				break;
			int64_t more;
			if (!number_at(s, &m, &more) || more % 1000 != 0)
				break;
			bool att = s[m] != ' ';
			size_t u = att ? m : m + 1;
			if (!unit_at(s + u, att, &ulen, &per) || per >= last)
				break;
			*ms += more / 1000 * per;
			*unit = -1;
			last = per;
			j = u + ulen;
		}
	}
	*i = j;
	return true;
}

/* The time hint starting at S[I] (a digit). When there is none but a
 * range was read ("10-5 minutes"), *SKIP is where it ends, for the caller
 * not to take its second half alone. */
static bool hint_at(const char *s, size_t i, struct hint *h, size_t *skip)
{
	*skip = i;
	int64_t a, a_bare, a_unit, b, b_bare, b_unit;
	size_t j = i;
	if (!quantity_at(s, &j, &a, &a_bare, &a_unit))
		return false;
	if (s[j] == '+' || s[j] == '%')
		return false;
	size_t k = j;
	if (range_sep_at(s, &k) && quantity_at(s, &k, &b, &b_bare, &b_unit) && b_unit != 0) {
		/* "5-10 minutes": a bare first number takes the second's unit */
		*skip = k;
		if (a_unit == 0) {
			if (b_unit < 0)
				return false;
			a_unit = b_unit;
			a = a_bare * b_unit / 1000;
		}
		if (a <= 0 || a > b || b > HINT_MAX_MS)
			return false;
		*h = (struct hint){a, b, a_unit, b_unit};
		return true;
	}
	if (a_unit == 0 || a <= 0 || a > HINT_MAX_MS)
		return false;
	*h = (struct hint){a, a, a_unit, a_unit};
	return true;
}

/* The character before S[I], skipping spaces, is a "more than" comparison. */
static bool after_more_than(const char *s, size_t i)
{
	while (i > 0 && s[i - 1] == ' ')
		i--;
	if (i > 0 && s[i - 1] == '>')
		return true;
	return i >= 3 && strncmp(s + i - 3, "\xe2\x89\xa5", 3) == 0; /* ≥ */
}

/* MS written in UNIT when it is a whole number of them ("24h", not "1d"). */
static void format_in(int64_t ms, int64_t unit, char *buf, size_t size)
{
	static const struct { int64_t ms; const char *suffix; } names[] = {
		{1, "ms"}, {1000, "s"}, {60000, "m"}, {3600000, "h"}, {86400000, "d"}, {604800000, "d"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (unit == names[i].ms && ms % unit == 0) {
			int64_t per = unit == 604800000 ? 86400000 : unit;
			snprintf(buf, size, "%lld%s", (long long)(ms / per), names[i].suffix);
			return;
		}
	}
	duration_format(ms, buf, size);
}

static char *format_hint(const struct hint *h, bool low_only)
{
	char a[32], b[32];
	format_in(h->lo, h->lo_unit, a, sizeof a);
	if (h->lo == h->hi || low_only)
		return xstrdup(a);
	format_in(h->hi, h->hi_unit, b, sizeof b);
	/* "5-10m" when both are whole numbers of one unit, as authors write them. */
	size_t da = strspn(a, "0123456789"), db = strspn(b, "0123456789");
	if (strcmp(a + da, b + db) == 0 && strspn(a + da, "abcdefghijklmnopqrstuvwxyz") == strlen(a + da))
		return xasprintf("%.*s-%s", (int)da, a, b);
	return xasprintf("%s-%s", a, b);
}

/* The first time hint in TEXT. */
static bool find_hint(const char *text, struct hint *h)
{
	for (size_t i = 0; text[i]; i++) {
		if (!is_digit((unsigned char)text[i]))
			continue;
		/* inside a word or a number ("p95", "v1.25", "3-5-sonnet"), or the
		 * second half of a range that was not a hint */
		bool inside = i > 0 && (is_alnum((unsigned char)text[i - 1]) || text[i - 1] == '.' ||
			(text[i - 1] == '-' && i > 1 && is_digit((unsigned char)text[i - 2])));
		size_t skip = i;
		if (!inside && !after_more_than(text, i)) {
			if (hint_at(text, i, h, &skip))
				return true;
			if (skip > i) {
				i = skip - 1;
				continue;
			}
		}
		while (is_digit((unsigned char)text[i + 1]) || text[i + 1] == '.')
			i++;
	}
	return false;
}

char *import_estimate(const char *text)
{
	struct hint h;
	if (!find_hint(text, &h))
		return NULL;
	return format_hint(&h, false);
}

char *import_wait(const char *text)
{
	static const char *const filler[] = {
		"for", "at", "least", "about", "approximately", "approx", "around", "another", "an",
		"a", "additional", "roughly", "further", "some", "~", "another", NULL,
	};
	for (size_t i = 0; text[i]; i++) {
		size_t n = 0;
		if (strncasecmp(text + i, "waiting", 7) == 0)
			n = 7;
		else if (strncasecmp(text + i, "wait", 4) == 0)
			n = 4;
		else if (strncasecmp(text + i, "pause", 5) == 0)
			n = 5;
		if (n == 0 || (i > 0 && (is_alnum((unsigned char)text[i - 1]) || text[i - 1] == '-' ||
				text[i - 1] == '_')) || is_alnum((unsigned char)text[i + n]))
			continue;
		size_t j = i + n;
		for (int words = 0; words < 5; words++) {
			while (text[j] == ' ' || text[j] == '~')
				j++;
			bool skipped = false;
			for (size_t f = 0; filler[f]; f++) {
				size_t fl = strlen(filler[f]);
				if (strncasecmp(text + j, filler[f], fl) == 0 && !is_alnum((unsigned char)text[j + fl])) {
					j += fl;
					skipped = true;
					break;
				}
			}
			if (!skipped)
				break;
		}
		struct hint h;
		size_t skip;
		if (is_digit((unsigned char)text[j]) && hint_at(text, j, &h, &skip))
			return format_hint(&h, true);
		i += n - 1;
	}
	return NULL;
}

/* ---- Invisible characters ---- */

struct invisible {
	uint32_t lo, hi;
	const char *what;
};

/* Blank-looking spaces that are not the shell's blanks: "kubectl get" with
 * one of them between is one word. */
#define SHELL_SPACE "a space the shell does not split on (U+2000-U+200A, U+202F, U+205F, U+3000)"
#define SELECTOR "a variation selector (U+FE00-U+FE0F, U+E0100-U+E01EF)"

static const struct invisible invisibles[] = {
	{0x00ad, 0x00ad, "a soft hyphen (U+00AD)"},
	{0x00a0, 0x00a0, "a no-break space (U+00A0)"},
	{0x061c, 0x061c, "an Arabic letter mark (U+061C)"},
	{0x180e, 0x180e, "a Mongolian vowel separator (U+180E)"},
	{0x034f, 0x034f, "a combining grapheme joiner (U+034F)"},
	{0x115f, 0x1160, "a Hangul filler (U+115F, U+1160)"},
	{0x17b4, 0x17b5, "an invisible Khmer vowel (U+17B4, U+17B5)"},
	{0x2000, 0x200a, SHELL_SPACE},
	{0x202f, 0x202f, SHELL_SPACE},
	{0x205f, 0x205f, SHELL_SPACE},
	{0x3000, 0x3000, SHELL_SPACE},
	{0x2028, 0x2029, "a line or paragraph separator (U+2028, U+2029)"},
	{0x2800, 0x2800, "a Braille blank (U+2800)"},
	{0x3164, 0x3164, "a Hangul filler (U+3164)"},
	{0xffa0, 0xffa0, "a Hangul filler (U+FFA0)"},
	{0xfe00, 0xfe0f, SELECTOR},
	{0xe0100, 0xe01ef, SELECTOR},
	{0xfff9, 0xfffb, "an interlinear annotation mark (U+FFF9-U+FFFB)"},
	{0x200b, 0x200b, "a zero-width space (U+200B)"},
	{0x200c, 0x200c, "a zero-width non-joiner (U+200C)"},
	{0x200d, 0x200d, "a zero-width joiner (U+200D)"},
	{0x200e, 0x200e, "a left-to-right mark (U+200E)"},
	{0x200f, 0x200f, "a right-to-left mark (U+200F)"},
	{0x202a, 0x202a, "a left-to-right embedding (U+202A)"},
	{0x202b, 0x202b, "a right-to-left embedding (U+202B)"},
	{0x202c, 0x202c, "a pop directional formatting (U+202C)"},
	{0x202d, 0x202d, "a left-to-right override (U+202D)"},
	{0x202e, 0x202e, "a right-to-left override (U+202E)"},
	{0x2060, 0x2060, "a word joiner (U+2060)"},
	{0x2061, 0x2064, "an invisible operator (U+2061-U+2064)"},
	{0x2066, 0x2066, "a left-to-right isolate (U+2066)"},
	{0x2067, 0x2067, "a right-to-left isolate (U+2067)"},
	{0x2068, 0x2068, "a first strong isolate (U+2068)"},
	{0x2069, 0x2069, "a pop directional isolate (U+2069)"},
	{0xfeff, 0xfeff, "a zero-width no-break space or BOM (U+FEFF)"},
	{0xe0000, 0xe007f, "an invisible tag character (U+E0000-U+E007F)"},
};

const char *import_invisible(const char *text, size_t *offset)
{
	size_t len = strlen(text);
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		uint32_t cp;
		int n = utf8_decode((const unsigned char *)text + i, len - i, &cp);
		if (n <= 0) {
			i++;
			continue;
		}
		for (size_t k = 0; k < sizeof invisibles / sizeof invisibles[0]; k++) {
			if (cp >= invisibles[k].lo && cp <= invisibles[k].hi) {
				if (offset)
					*offset = i;
				return invisibles[k].what;
			}
		}
		i += (size_t)n;
	}
	return NULL;
}

/* ---- Alternative procedures ---- */

/* Which deployment strategy TITLE names (1...), or 0. */
static int strategy_of(const char *title)
{
	static const char *const strategies[] = {
		" blue green ", " bluegreen ", " canary ", " rolling ", " recreate ", " red black ",
		" a b ", " shadow ", " in place ", " big bang ", " feature flag ", " dark launch ",
		" progressive ", NULL,
	};
	char *w = words_of(title);
	int which = 0;
	for (size_t i = 0; strategies[i] && !which; i++)
		if (strstr(w, strategies[i]))
			which = (int)i + 1;
	free(w);
	return which;
}

/* TITLE starts "Option A", "Alternative 2", "Method B:", "Using Helm"...:
 * the kind of label (1...) in *KIND. */
static bool labelled_option(const char *title, int *kind)
{
	static const char *const labels[] = {
		" option ", " alternative ", " approach ", " method ", " plan ", " variant ",
		" strategy ", " way ", NULL,
	};
	static const char *const prepositions[] = { " using ", " via ", " with ", " if using ", NULL };
	char *w = words_of(title);
	bool yes = false;
	for (size_t i = 0; labels[i] && !yes; i++) {
		size_t n = strlen(labels[i]);
		if (strncmp(w, labels[i], n) != 0)
			continue;
		/* then a label: one letter, a number, a roman numeral */
		const char *l = w + n;
		size_t ll = strcspn(l, " ");
		bool roman = ll > 0 && strspn(l, "ivx") == ll;
		if ((ll == 1) || strspn(l, "0123456789") == ll || roman) {
			yes = true;
			*kind = (int)i + 1;
		}
	}
	for (size_t i = 0; prepositions[i] && !yes; i++) {
		if (strncmp(w, prepositions[i], strlen(prepositions[i])) == 0) {
			yes = true;
			*kind = 50 + (int)i;
		}
	}
	free(w);
	return yes;
}

size_t import_alternative_members(const char *const *titles, size_t n, bool *member)
{
	size_t count = 0;
	int seen_strategy[32] = {0};
	size_t strategies = 0;
	for (size_t i = 0; i < n; i++) {
		int s = strategy_of(titles[i]);
		member[i] = false;
		if (s > 0 && s < 32 && !seen_strategy[s]++)
			strategies++;
	}
	if (strategies >= 2) {
		for (size_t i = 0; i < n; i++)
			if (strategy_of(titles[i]) > 0)
				member[i] = true, count++;
		return count;
	}
	/* Labelled options of one kind ("Option A", "Option B"). */
	int kinds[64] = {0};
	for (size_t i = 0; i < n; i++) {
		int k;
		if (labelled_option(titles[i], &k) && k < 64)
			kinds[k]++;
	}
	for (size_t i = 0; i < n; i++) {
		int k;
		if (labelled_option(titles[i], &k) && k < 64 && kinds[k] >= 2)
			member[i] = true, count++;
	}
	return count;
}

bool import_alternatives(const char *const *titles, size_t n)
{
	if (n < 2)
		return false;
	bool *member = xcalloc(n, sizeof *member);
	size_t count = import_alternative_members(titles, n, member);
	free(member);
	return count >= 2;
}
