/* Text escaped for the two markup renderings (HTML and JUnit XML): what
 * report_html*.c and report_junit.c share. Private to src/report/. */
#ifndef COUNTERSIGN_REPORT_MARKUP_H
#define COUNTERSIGN_REPORT_MARKUP_H

#include <stddef.h>
#include <stdio.h>

enum report_markup_flags {
	/* In an attribute value: newline, tab and carriage return as
	 * character references, which an XML parser keeps (it turns the
	 * characters themselves into spaces). */
	MARKUP_ATTR = 1u << 0,
	/* XML: a carriage return in text as &#13; too (HTML folds it into a
	 * newline, and a reference to it is an error there). */
	MARKUP_XML = 1u << 1,
};

/* Writes LEN bytes of S to OUT as markup text: & < > " ' as references;
 * each byte that is not part of valid UTF-8 as U+FFFD; characters that XML
 * 1.0 or HTML do not allow in a document left out (C0 controls other than
 * tab, newline and carriage return, DEL, C1 controls, and the
 * noncharacters U+FDD0..U+FDEF and U+xFFFE/U+xFFFF). The output is valid
 * UTF-8 whatever S holds. FLAGS: enum report_markup_flags. Write errors
 * stay in OUT's error indicator. */
void report_markup_textn(FILE *out, const char *s, size_t len, unsigned flags);
/* The same for a NUL-terminated S; NULL writes nothing. */
void report_markup_text(FILE *out, const char *s, unsigned flags);

/* How many bytes of S make its first MAX characters (whole UTF-8
 * characters; a byte that is not UTF-8 counts as one): for cutting a label
 * without cutting a character. */
size_t report_markup_prefix(const char *s, size_t max);

#endif
