/* Durations: parsing never overflows, what parses is positive and formats
 * back to the same length of time, and ranges are ordered. */
#include "fuzz.h"

#include <inttypes.h>

#include "countersign/duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	int64_t ms = 0, lo = 0, hi = 0;
	const char *why = NULL;
	if (duration_parse(text, &ms, &why)) {
		FUZZ_ASSERT(ms > 0);
		char buf[64];
		duration_format(ms, buf, sizeof(buf));
		int64_t again = 0;
		FUZZ_ASSERT(duration_parse(buf, &again, &why) && again == ms);
		/* A short buffer truncates and stays terminated. */
		char small[4];
		duration_format(ms, small, sizeof(small));
		FUZZ_ASSERT(strlen(small) < sizeof(small));
	} else {
		FUZZ_ASSERT(why != NULL && why[0]);
	}
	why = NULL;
	if (duration_parse_range(text, &lo, &hi, &why))
		FUZZ_ASSERT(lo > 0 && lo <= hi);
	else
		FUZZ_ASSERT(why != NULL && why[0]);
	free(text);
	return 0;
}
