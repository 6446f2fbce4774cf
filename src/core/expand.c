#include "countersign/expand.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/util.h"

bool expand_valid_name(const char *name, size_t len)
{
	if (len == 0 || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum((unsigned char)name[i]) || name[i] == '_'))
			return false;
	return true;
}

/* Finds the reference starting at TEXT[i] == '$'. Returns the number of bytes
 * it spans (0 for a plain '$' left alone), or -1 when malformed. */
static long ref_at(const char *text, size_t i, const char **name, size_t *name_len,
	const char **why)
{
	if (text[i + 1] == '$') {
		*name = NULL;
		return 2;
	}
	if (text[i + 1] != '{')
		return 0;
	const char *close = strchr(text + i + 2, '}');
	if (!close) {
		*why = "\"${\" is not closed by \"}\" (write $$ for a literal $)";
		return -1;
	}
	*name = text + i + 2;
	*name_len = (size_t)(close - *name);
	if (!expand_valid_name(*name, *name_len)) {
		*why = "the name inside ${...} must be letters, digits and _ (write $$ for a literal $)";
		return -1;
	}
	return (long)(close - (text + i)) + 1;
}

bool expand_scan(const char *text, expand_ref_fn fn, void *data,
	size_t *bad_offset, const char **why)
{
	for (size_t i = 0; text[i]; i++) {
		if (text[i] != '$')
			continue;
		const char *name;
		size_t len = 0;
		long span = ref_at(text, i, &name, &len, why);
		if (span < 0) {
			*bad_offset = i;
			return false;
		}
		if (span == 0)
			continue;
		if (name) {
			char *copy = xstrndup(name, len);
			bool go = fn ? fn(copy, i, data) : true;
			free(copy);
			if (!go)
				return true;
		}
		i += (size_t)span - 1;
	}
	return true;
}

char *expand_string(const char *text, expand_lookup_fn lookup, void *data, char **missing)
{
	struct strbuf out = {0};
	if (missing)
		*missing = NULL;
	/* Malformed text is reported as such even when an unknown name comes
	 * before the malformed part: a missing name is not the problem then. */
	size_t bad;
	const char *bad_why;
	if (!expand_scan(text, NULL, NULL, &bad, &bad_why))
		return NULL;
	for (size_t i = 0; text[i]; i++) {
		if (text[i] != '$') {
			strbuf_add(&out, text + i, 1);
			continue;
		}
		const char *name, *why;
		size_t len = 0;
		long span = ref_at(text, i, &name, &len, &why);
		if (span < 0)
			goto fail;
		if (span == 0) {
			strbuf_add(&out, "$", 1);
			continue;
		}
		if (!name) {
			strbuf_add(&out, "$", 1);
		} else {
			char *key = xstrndup(name, len);
			const char *value = lookup ? lookup(key, data) : NULL;
			if (!value) {
				if (missing)
					*missing = key;
				else
					free(key);
				goto fail;
			}
			free(key);
			strbuf_addstr(&out, value);
		}
		i += (size_t)span - 1;
	}
	return strbuf_detach(&out);
fail:
	strbuf_release(&out);
	return NULL;
}
