/* The loader's bounds on regular expressions: whatever they accept, glibc's
 * regcomp compiles in bounded memory and time (libFuzzer's -rss_limit_mb
 * and -timeout catch the rest), and a refusal points inside the pattern. */
#include "fuzz.h"

#include <regex.h>

#include "countersign/regex_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = fuzz_text(data, size);
	size_t at = 0;
	const char *why = NULL;
	if (regex_check(p, &at, &why)) {
		regex_t re;
		if (regcomp(&re, p, REG_EXTENDED | REG_NOSUB) == 0) {
			(void)regexec(&re, "countersign 0.1.0: ok\nFail: 0\n", 0, NULL, 0);
			regfree(&re);
		}
	} else {
		FUZZ_ASSERT(at < strlen(p) && why != NULL);
	}
	free(p);
	return 0;
}
