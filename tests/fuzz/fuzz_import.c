/* The Markdown importer: any bytes give a checklist that loads without an
 * error, or a refusal with its reason, never a crash, a leak or undefined
 * behaviour; every message names a line of the input. */
#include "fuzz.h"

#include <stdbool.h>

#include "countersign/checklist.h"
#include "countersign/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import_result r;
	enum import_status s = import_markdown((const char *)data, size, "fuzz.md", &r);
	FUZZ_ASSERT((s == IMPORT_OK) == (r.json != NULL));
	/* lines end as in CommonMark: LF, CR LF, or a lone CR */
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'));
	for (size_t i = 0; i < r.n_messages; i++)
		FUZZ_ASSERT(r.messages[i].line >= 0 && (size_t)r.messages[i].line <= lines && r.messages[i].text);
	if (r.json) {
		struct diag_list d;
		diag_list_init(&d, "fuzz.json");
		struct checklist *cl = checklist_load_text("fuzz.json", r.json, strlen(r.json), &d);
		FUZZ_ASSERT(cl != NULL && d.errors == 0);
		checklist_destroy(cl);
		diag_list_clear(&d);
	}
	import_result_clear(&r);
	return 0;
}
