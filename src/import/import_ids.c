/* The ids given in one scope (a checklist's sections, a section's items),
 * with a hash index beside the list so that each new id is made unique in
 * about constant time: a runbook with 10,000 "Verify" items must not cost a
 * pass over every id so far for each one. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import_rules.h"

struct import_id_slot {
	char *key;        /* NULL: empty */
	unsigned top;     /* the highest N for which KEY-N is taken */
	bool taken;       /* KEY itself is an id of the scope */
};

static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603u;  /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return (size_t)h;
}

static struct import_id_slot *lookup(const struct import_ids *ids, const char *key)
{
	if (!ids->cap)
		return NULL;
	for (size_t i = hash(key) & (ids->cap - 1);; i = (i + 1) & (ids->cap - 1)) {
		struct import_id_slot *s = &ids->slot[i];
		if (!s->key || strcmp(s->key, key) == 0)
			return s;
	}
}

static struct import_id_slot *get(struct import_ids *ids, const char *key)
{
	if (2 * (ids->used + 1) > ids->cap) {  /* at most half full: probes stay short */
		struct import_ids grown = {.cap = ids->cap ? ids->cap * 2 : 64};
		grown.slot = xcalloc(grown.cap, sizeof(*grown.slot));
		for (size_t i = 0; i < ids->cap; i++)
			if (ids->slot[i].key)
				*lookup(&grown, ids->slot[i].key) = ids->slot[i];
		free(ids->slot);
		ids->slot = grown.slot;
		ids->cap = grown.cap;
	}
	struct import_id_slot *s = lookup(ids, key);
	if (!s->key) {
		s->key = xstrdup(key);
		ids->used++;
	}
	return s;
}

bool import_ids_has(const struct import_ids *ids, const char *id)
{
	const struct import_id_slot *s = lookup(ids, id);
	return s && s->key && s->taken;
}

unsigned import_ids_top(const struct import_ids *ids, const char *base)
{
	const struct import_id_slot *s = lookup(ids, base);
	return s && s->key ? s->top : 0;
}

void import_ids_raise(struct import_ids *ids, const char *base, unsigned n)
{
	struct import_id_slot *s = get(ids, base);
	if (n > s->top)
		s->top = n;
}

void import_ids_add(struct import_ids *ids, const char *id)
{
	assert(!import_ids_has(ids, id));
	get(ids, id)->taken = true;
	strvec_push(&ids->list, id);
	/* "verify-12" tells the next "verify" to start past 12 */
	size_t len = strlen(id), d = len;
	while (d > 0 && id[d - 1] >= '0' && id[d - 1] <= '9')
		d--;
	if (d < len && len - d <= 9 && d >= 2 && id[d - 1] == '-') {
		char *base = xstrndup(id, d - 1);
		import_ids_raise(ids, base, (unsigned)strtoul(id + d, NULL, 10));
		free(base);
	}
}

void import_ids_clear(struct import_ids *ids)
{
	if (!ids)
		return;
	for (size_t i = 0; i < ids->cap; i++)
		free(ids->slot[i].key);
	free(ids->slot);
	strvec_clear(&ids->list);
	memset(ids, 0, sizeof(*ids));
}
