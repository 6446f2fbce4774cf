/* The checklist loader and lint: any bytes give diagnostics or a checklist,
 * never a crash, a leak, undefined behaviour or a regcomp that blows up. */
#include "fuzz.h"

#include <stdbool.h>

#include "countersign/checklist.h"

/* Whether LINE:COL is a place in DATA: a line that exists and a column
 * from 1 to one past its end. */
static bool in_text(const uint8_t *data, size_t size, int line, int col)
{
	size_t i = 0;
	for (int l = 1; l < line; l++) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		if (!nl)
			return false;
		i = (size_t)(nl - data) + 1;
	}
	const uint8_t *nl = memchr(data + i, '\n', size - i);
	size_t len = (nl ? (size_t)(nl - data) : size) - i;
	return col >= 1 && (size_t)col <= len + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list d;
	diag_list_init(&d, "fuzz.json");
	struct checklist *cl = checklist_load_text("fuzz.json", (const char *)data, size, &d);
	FUZZ_ASSERT((cl != NULL) == (d.errors == 0));
	/* Every FILE:LINE:COL lint prints is a place in the file. */
	for (size_t i = 0; i < d.count; i++)
		FUZZ_ASSERT(d.items[i].line == 0 || in_text(data, size, d.items[i].line, d.items[i].col));
	/* What `countersign lint` prints. */
	FILE *out = fopen("/dev/null", "w");
	if (out) {
		diag_list_print(&d, out);
		fclose(out);
	}
	if (cl) {
		FUZZ_ASSERT(cl->n_sections > 0);
		for (size_t i = 0; i < cl->n_sections; i++) {
			const struct checklist_section *s = &cl->sections[i];
			FUZZ_ASSERT(checklist_section(cl, s->id) != NULL);
			for (size_t k = 0; k < s->n_items; k++)
				FUZZ_ASSERT(checklist_section_item(s, s->items[k].id) != NULL);
		}
	}
	checklist_destroy(cl);
	diag_list_clear(&d);
	return 0;
}
