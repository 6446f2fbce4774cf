/* Bounds on the regular expressions a checklist may hold. glibc's regcomp
 * copies a repeated expression once per repetition, so "t++++..." doubles
 * its memory with every '+' and a few dozen characters take gigabytes; the
 * loader refuses such patterns before anything compiles them. */
#ifndef COUNTERSIGN_REGEX_CHECK_H
#define COUNTERSIGN_REGEX_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* Largest count allowed in {n}, {n,} and {n,m} (POSIX's RE_DUP_MAX). */
#define REGEX_MAX_COUNT 255
/* Largest size of a pattern once its repetitions are unrolled, counted in
 * atoms (characters, brackets, groups) as glibc lays them out. */
#define REGEX_MAX_SIZE 1000
/* Deepest nesting of parentheses. */
#define REGEX_MAX_DEPTH 32

/* Checks PATTERN, a POSIX extended regular expression, against the bounds
 * above, without compiling it. Returns true when it is within them (it may
 * still fail to compile: regcomp judges the syntax). Otherwise returns false
 * with *OFFSET at the byte of PATTERN to blame and *WHY a static reason. */
bool regex_check(const char *pattern, size_t *offset, const char **why);

#endif
