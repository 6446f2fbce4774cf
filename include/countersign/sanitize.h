/* Text from outside the program (checklists, the record, a command's output,
 * the command line) made safe to show on a terminal: escape sequences are
 * removed, other control characters and bytes that are not UTF-8 are
 * replaced, and valid UTF-8 text is kept as it is. The one sanitiser of both
 * front ends. */
#ifndef COUNTERSIGN_SANITIZE_H
#define COUNTERSIGN_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf;

enum sanitize_flags {
	/* Keep newlines and tabs and drop carriage returns (a progress bar that
	 * rewrites its line keeps its newest text). Without it the text stays on
	 * one line: a newline shows as ^J, a carriage return as ^M, a tab as a
	 * space. */
	SANITIZE_MULTILINE = 1u << 0,
	/* Every non-ASCII character shows as '?': for a terminal that is not
	 * UTF-8, where the bytes of a character could read as controls. */
	SANITIZE_ASCII = 1u << 1,
};

/* Returns a malloc'd, NUL-terminated sanitised copy of DATA (LEN bytes,
 * which may hold NULs); the caller frees it. Escape sequences (CSI, OSC, DCS,
 * APC, PM, SOS, and ESC followed by one character) are removed; other C0
 * controls and DEL show as ^X; a C1 control (U+0080..U+009F) and each byte
 * that is not part of valid UTF-8 show as '?'. FLAGS: enum sanitize_flags. */
char *sanitize_text(const char *data, size_t len, unsigned flags);

/* The same, for text that arrives in pieces: appends the sanitised form of
 * DATA to SB and returns how many bytes of DATA it used. Unless FINAL, an
 * escape sequence or UTF-8 character cut off at the end is not used: give
 * those bytes again at the start of the next piece (a caller bounds how much
 * it keeps; FINAL settles whatever is there). */
size_t sanitize_append(struct strbuf *sb, const char *data, size_t len, unsigned flags, bool final);

/* True when S is valid UTF-8 without any control character (C0, DEL, C1),
 * so that it prints as itself: for names that people choose. */
bool sanitize_is_clean(const char *s);

#endif
