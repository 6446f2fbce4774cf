/* The loader's bounds on regular expressions: a scan of the pattern that
 * estimates what glibc's regcomp will build, so that a pattern whose compile
 * (or match) can blow up is refused with its position instead of compiled.
 *
 * regcomp copies the repeated expression for every repetition it cannot
 * express as a loop: X+ becomes X X*, X{n,m} becomes m copies, X{n,} n+1.
 * A repetition of a repetition multiplies, so the scan tracks the size of
 * the unrolled pattern and refuses it beyond REGEX_MAX_SIZE, refuses a
 * quantifier applied directly to a quantified expression (t++, a*?, a{2}*)
 * and counts above REGEX_MAX_COUNT, and refuses back-references, which make
 * matching exponential. The scan over-estimates rather than under-: what it
 * misreads as an atom regcomp either rejects or also treats as one. */
#include "countersign/regex_check.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

/* One level of parentheses being read. */
struct level {
	size_t size;     /* unrolled size of the branches read so far */
	size_t last;     /* size of the last atom, which a quantifier applies to */
	bool has_last;   /* there is an atom a quantifier may apply to */
	bool quantified; /* that atom already carries a quantifier */
};

struct scan {
	struct level lv[REGEX_MAX_DEPTH + 1];
	int depth;
	size_t at;       /* byte to blame when refused */
	const char *why;
};

static bool refuse(struct scan *s, size_t at, const char *why)
{
	s->at = at;
	s->why = why;
	return false;
}

static bool too_large(struct scan *s, size_t at)
{
	return refuse(s, at, "it is too large once its repetitions are unrolled (more than 1000 "
		"characters, brackets and groups); repeat less, or use * and + instead of large {n,m} counts");
}

static bool add_atom(struct scan *s, size_t at, size_t size)
{
	struct level *l = &s->lv[s->depth];
	l->size += size;
	l->last = size;
	l->has_last = true;
	l->quantified = false;
	return l->size <= REGEX_MAX_SIZE || too_large(s, at);
}

/* Applies a quantifier that makes FACTOR copies of the last atom. A
 * quantifier with nothing before it is left for regcomp to reject. */
static bool quantify(struct scan *s, size_t at, size_t factor)
{
	struct level *l = &s->lv[s->depth];
	if (!l->has_last)
		return true;
	if (l->quantified)
		return refuse(s, at, "a quantifier is applied to an expression that is already "
			"quantified (like a++ or a*?), which can take gigabytes to compile; use one quantifier");
	assert(factor >= 1 && factor <= REGEX_MAX_COUNT + 1 && l->last <= l->size);
	l->size += l->last * (factor - 1);
	l->last *= factor;
	l->quantified = true;
	return l->size <= REGEX_MAX_SIZE || too_large(s, at);
}

/* Reads the digits at P[*I], saturating above REGEX_MAX_COUNT. */
static size_t read_count(const char *p, size_t *i, bool *any)
{
	size_t n = 0;
	*any = false;
	for (; p[*i] >= '0' && p[*i] <= '9'; (*i)++) {
		*any = true;
		n = n * 10 + (size_t)(p[*i] - '0');
		if (n > REGEX_MAX_COUNT)
			n = REGEX_MAX_COUNT + 1;
	}
	return n;
}

/* The interval at P[I] == '{'. Returns false when refused; *NEXT is after
 * it, or I + 1 when it is not an interval (then '{' is read as an atom). */
static bool interval(struct scan *s, const char *p, size_t i, size_t *next, bool *is_interval)
{
	/* glibc reads an escaped character inside the braces as that character
	 * ("y{\,22550}" is "y{,22550}"): braces holding only digits, commas and
	 * backslashes cannot be bounded here, so they are refused. */
	size_t slash = 0;
	bool countlike = true;
	for (size_t k = i + 1; p[k] && p[k] != '}' && countlike; k++) {
		if (p[k] == '\\' && !slash)
			slash = k;
		countlike = p[k] == '\\' || p[k] == ',' || (p[k] >= '0' && p[k] <= '9');
	}
	if (countlike && slash)
		return refuse(s, slash, "a backslash inside a repeat count {n,m} cannot be checked; write \\{ for "
			"a literal brace");
	size_t j = i + 1;
	bool has_lo, has_hi = false, comma = false;
	size_t lo = read_count(p, &j, &has_lo), hi = 0;
	if (p[j] == ',') {
		comma = true;
		j++;
		hi = read_count(p, &j, &has_hi);
	}
	*is_interval = p[j] == '}' && (has_lo || comma); /* {,} is {0,}, as glibc reads it */
	if (!*is_interval) {
		*next = i + 1;
		return true;
	}
	*next = j + 1;
	if (lo > REGEX_MAX_COUNT || hi > REGEX_MAX_COUNT)
		return refuse(s, i, "a repeat count is above 255; counts in {n,m} go from 0 to 255");
	/* {n}: n copies; {n,}: n then a loop; {n,m}: m copies. */
	size_t factor = !comma ? lo : has_hi ? hi : lo + 1;
	return quantify(s, i, factor ? factor : 1);
}

/* The offset after the bracket expression starting at P[I] == '['. */
static size_t bracket_end(const char *p, size_t i)
{
	size_t j = i + 1;
	if (p[j] == '^')
		j++;
	if (p[j] == ']')
		j++;
	while (p[j] && p[j] != ']') {
		if (p[j] == '[' && (p[j + 1] == ':' || p[j + 1] == '.' || p[j + 1] == '=')) {
			char end = p[j + 1];
			size_t k = j + 2;
			while (p[k] && !(p[k] == end && p[k + 1] == ']'))
				k++;
			j = p[k] ? k + 2 : k;
		} else {
			j++;
		}
	}
	return p[j] ? j + 1 : j;
}

static bool step(struct scan *s, const char *p, size_t *i)
{
	size_t at = *i;
	switch (p[at]) {
	case '\\':
		if (!p[at + 1]) {
			*i = at + 1;
			return true; /* a trailing backslash: regcomp says so */
		}
		if (p[at + 1] >= '1' && p[at + 1] <= '9')
			return refuse(s, at, "a back-reference (\\1 to \\9) can make matching take exponential "
				"time and is not part of POSIX extended expressions");
		*i = at + 2;
		return add_atom(s, at, 1);
	case '[':
		*i = bracket_end(p, at);
		return add_atom(s, at, 1);
	case '(':
		if (s->depth == REGEX_MAX_DEPTH)
			return refuse(s, at, "parentheses are nested more than 32 deep");
		s->lv[++s->depth] = (struct level){0};
		*i = at + 1;
		return true;
	case ')': {
		*i = at + 1;
		if (s->depth == 0)
			return add_atom(s, at, 1); /* an unmatched ')' is an ordinary character */
		size_t inner = s->lv[s->depth--].size;
		return add_atom(s, at, inner + 1);
	}
	case '|':
		s->lv[s->depth].has_last = false;
		*i = at + 1;
		return true;
	case '*':
	case '?':
		*i = at + 1;
		return quantify(s, at, 1);
	case '+':
		*i = at + 1;
		return quantify(s, at, 2);
	case '{': {
		bool is_interval;
		if (!interval(s, p, at, i, &is_interval))
			return false;
		return is_interval || add_atom(s, at, 1);
	}
	default:
		*i = at + 1;
		return add_atom(s, at, 1);
	}
}

bool regex_check(const char *pattern, size_t *offset, const char **why)
{
	struct scan s = {.depth = 0};
	size_t i = 0;
	while (pattern[i]) {
		if (!step(&s, pattern, &i)) {
			*offset = s.at;
			*why = s.why;
			return false;
		}
	}
	/* Unclosed groups are a syntax error regcomp reports; their sizes were
	 * each checked on the way. */
	return true;
}
