/* The one UTF-8 module: validation, decoding one character, boundaries for
 * cutting text, a valid copy of any bytes, and the columns a character takes
 * on a terminal. Valid means RFC 3629: no overlong form, no surrogate,
 * nothing beyond U+10FFFF. Pure: no I/O. */
#ifndef COUNTERSIGN_UTF8_H
#define COUNTERSIGN_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* U+FFFD, what a byte that is not UTF-8 becomes in a valid copy. */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/* Decodes the character at P (LEN > 0 bytes available): returns its length
 * (1 to 4) with its code point in *CP; 0 when the bytes at P are not UTF-8
 * (a stray continuation byte, an overlong form, a surrogate, beyond
 * U+10FFFF, a byte that never occurs); -1 when LEN ends inside a character
 * that the bytes after it could still complete. An ASCII byte, NUL
 * included, is a character of its own. */
int utf8_decode(const unsigned char *p, size_t len, uint32_t *cp);

/* The offset of the first byte of S[0..LEN) that is not part of a valid
 * character (a character cut off by the end is not valid), or LEN when S is
 * valid UTF-8. */
size_t utf8_invalid_at(const char *s, size_t len);

/* True when S[0..LEN) is valid UTF-8. */
bool utf8_valid(const char *s, size_t len);

/* Returns a malloc'd, NUL-terminated copy of S[0..LEN) that is valid UTF-8
 * without NULs: each byte that is not part of a valid character, and each
 * NUL, becomes U+FFFD. When CUT_END (S was cut from a longer text), a
 * character cut off at the end is left out instead. The caller frees it. */
char *utf8_repair(const char *s, size_t len, bool cut_end);

/* How many bytes a code point takes in UTF-8 (1 to 4). */
int utf8_encoded_len(uint32_t cp);

/* The first character boundary at or after I in S[0..LEN) (LEN when I is
 * past the end): where text can be cut without splitting a character. */
size_t utf8_boundary_after(const char *s, size_t len, size_t i);

/* The last character boundary at or before I in S[0..LEN) (LEN when I is
 * past the end). */
size_t utf8_boundary_before(const char *s, size_t len, size_t i);

/* The columns CP takes on a terminal, from wcwidth(3): 2 for wide
 * characters (CJK, most emoji), 0 for combining marks and other zero-width
 * characters, 1 for the rest; -1 for a control character or one the locale
 * cannot show. wcwidth answers for code points beyond ASCII only when
 * LC_CTYPE is a UTF-8 locale (setlocale(LC_ALL, "") with LANG=C.UTF-8). */
int utf8_cp_width(uint32_t cp);

/* The columns S[0..LEN) takes, a character that utf8_cp_width calls -1 and
 * each byte that is not UTF-8 counting as one column (they show as '?'). */
int utf8_width(const char *s, size_t len);

#endif
