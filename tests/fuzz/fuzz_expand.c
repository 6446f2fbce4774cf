/* ${VAR} expansion: scanning and expanding agree on what is malformed, every
 * reported reference is a valid name at a '$', and an expansion with every
 * name known has no "${" left that the text did not escape. */
#include "fuzz.h"

#include "countersign/expand.h"

struct seen {
	const char *text;
	size_t refs;
};

static bool on_ref(const char *name, size_t offset, void *data)
{
	struct seen *s = data;
	FUZZ_ASSERT(expand_valid_name(name, strlen(name)));
	FUZZ_ASSERT(s->text[offset] == '$' && s->text[offset + 1] == '{');
	FUZZ_ASSERT(strncmp(s->text + offset + 2, name, strlen(name)) == 0);
	s->refs++;
	return true;
}

/* Names starting with 'X' are unknown; others expand to "<v>". */
static const char *lookup(const char *name, void *data)
{
	(void)data;
	return name[0] == 'X' ? NULL : "<v>";
}

static const char *lookup_all(const char *name, void *data)
{
	(void)name;
	(void)data;
	return "$";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct seen s = {.text = text};
	size_t bad = 0;
	const char *why = NULL;
	bool ok = expand_scan(text, on_ref, &s, &bad, &why);
	if (!ok)
		FUZZ_ASSERT(bad < strlen(text) && text[bad] == '$' && why != NULL);

	char *missing = NULL;
	char *out = expand_string(text, lookup, NULL, &missing);
	if (!ok)
		FUZZ_ASSERT(out == NULL && missing == NULL);
	if (missing)
		FUZZ_ASSERT(out == NULL && missing[0] == 'X');
	free(out);
	free(missing);

	/* Every name known: a well-formed text always expands. */
	out = expand_string(text, lookup_all, NULL, NULL);
	FUZZ_ASSERT((out != NULL) == ok);
	free(out);
	free(text);
	return 0;
}
