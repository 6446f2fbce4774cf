/* Small allocation and string helpers shared by every module; they abort on
 * out-of-memory, which a checklist tool cannot recover from meaningfully. */
#ifndef COUNTERSIGN_UTIL_H
#define COUNTERSIGN_UTIL_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a malloc'd formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A growable byte buffer, always NUL-terminated. */
struct strbuf {
	char *data;
	size_t len, cap;
};
void strbuf_add(struct strbuf *sb, const char *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the buffer to the caller (who frees it) and resets SB. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);

/* A growable list of malloc'd strings owned by the vector, always
 * NULL-terminated once anything was added (v[n] == NULL), so that V can be
 * handed to what wants a char ** list (an environment, argv). Start from
 * {0}; strvec_clear frees it. */
struct strvec {
	char **v;
	size_t n, cap;
};
/* Appends a copy of S. */
void strvec_push(struct strvec *sv, const char *s);
/* Appends S itself (malloc'd), which the vector then owns. */
void strvec_push_owned(struct strvec *sv, char *s);
/* Appends a formatted string. */
void strvec_pushf(struct strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The index of the first string equal to S, or -1. */
ptrdiff_t strvec_find(const struct strvec *sv, const char *s);
/* Frees every string and the list, and resets SV. */
void strvec_clear(struct strvec *sv);
/* The same, overwriting each string with zeros first (secret values). */
void strvec_clear_wiped(struct strvec *sv);
/* Hands the NULL-terminated list to the caller, who frees each string and
 * the list, and resets SV; never NULL (an empty list is { NULL }). */
char **strvec_detach(struct strvec *sv);

#endif
