/* Shared by the libFuzzer targets: the entry point libFuzzer calls, and
 * what a target does when the code under test breaks a property (abort, so
 * that libFuzzer saves the input as a crash). */
#ifndef COUNTERSIGN_FUZZ_H
#define COUNTERSIGN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stops the run when COND is false: a property of the code is broken. */
#define FUZZ_ASSERT(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* DATA as a NUL-terminated string the caller frees (it may hold NULs). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
