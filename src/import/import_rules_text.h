/* Small text helpers shared by the import rules (import_rules*.c): ASCII
 * classes, a word in a list, a shell name's length. Private to src/import. */
#ifndef COUNTERSIGN_IMPORT_RULES_TEXT_H
#define COUNTERSIGN_IMPORT_RULES_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static inline bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static inline bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* WORD[0..LEN) is one of the NULL-terminated LIST. */
static inline bool in_list(const char *word, size_t len, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strlen(list[i]) == len && strncmp(list[i], word, len) == 0)
			return true;
	return false;
}

/* The length of the shell name ([A-Za-z0-9_]*) at S. */
static inline size_t name_len(const char *s)
{
	size_t n = 0;
	while (is_alnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n;
}

/* When LINE[0..LEN) opens a here-document ("<<EOF", "<<-'EOF'"), its
 * terminator (malloc'd; the caller frees it), or NULL
 * (import_rules_shell.c). */
char *import_heredoc_term(const char *line, size_t len);

#endif
