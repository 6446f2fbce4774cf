/* The checklist loader and lint: any bytes give diagnostics or a checklist,
 * never a crash, a leak, undefined behaviour or a regcomp that blows up. */
#include "fuzz.h"

#include "countersign/checklist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list d;
	diag_list_init(&d, "fuzz.json");
	struct checklist *cl = checklist_load_text("fuzz.json", (const char *)data, size, &d);
	FUZZ_ASSERT((cl != NULL) == (d.errors == 0));
	/* What `countersign lint` prints. */
	FILE *out = fopen("/dev/null", "w");
	if (out) {
		diag_list_print(&d, out);
		fclose(out);
	}
	if (cl) {
		FUZZ_ASSERT(cl->n_sections > 0);
		for (size_t i = 0; i < cl->n_sections; i++) {
			const struct section *s = &cl->sections[i];
			FUZZ_ASSERT(checklist_section(cl, s->id) != NULL);
			for (size_t k = 0; k < s->n_items; k++)
				FUZZ_ASSERT(section_item(s, s->items[k].id) != NULL);
		}
	}
	checklist_destroy(cl);
	diag_list_clear(&d);
	return 0;
}
