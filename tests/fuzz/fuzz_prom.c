/* The Prometheus answer parser: any body and status give a sample with an
 * outcome, and a message exactly when there is no value. */
#include "fuzz.h"

#include <math.h>

#include "net/prom_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* The first byte picks the status and how several series combine. */
	static const long statuses[] = {200, 200, 400, 422, 503, 302, 0, 599};
	long status = statuses[data[0] & 7];
	enum checklist_prom_reduce reduce = (enum checklist_prom_reduce)((data[0] >> 3) % 5);
	char *body = fuzz_text(data + 1, size - 1);
	struct prom_sample s;
	prom_parse(body, size - 1, status, reduce, &s);
	switch (s.outcome) {
	case PROM_VALUE:
		FUZZ_ASSERT(isfinite(s.value) && s.message == NULL && s.n_series >= 1);
		break;
	case PROM_NO_DATA:
	case PROM_ERROR:
		FUZZ_ASSERT(s.message != NULL && s.message[0]);
		break;
	default:
		FUZZ_ASSERT(!"an outcome");
	}
	if (s.series)
		FUZZ_ASSERT(cJSON_GetArraySize(s.series) <= PROM_SERIES_KEPT);
	char *cond = prom_threshold_text((enum checklist_prom_compare)(data[0] % 3), 0.5, 0.8);
	free(cond);
	prom_sample_clear(&s);
	double v;
	(void)prom_parse_value(body, &v);
	free(body);
	return 0;
}
