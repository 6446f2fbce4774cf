#include "countersign/event.h"
#include "countersign/sha256.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

bool event_kind_known(const char *kind)
{
	static const char *const kinds[] = {
		EV_RUN_STARTED, EV_CHECK_STARTED, EV_CHECK_FINISHED, EV_ATTESTED, EV_WAIVED, EV_CHOSEN, EV_SIGNED,
		EV_OVERRIDE, EV_OVERRIDE_REQUESTED, EV_NOTE, EV_RUN_ABORTED, EV_RUN_COMPLETED, EV_NOTIFY_FAILED,
		EV_GATE_WAITING,
		EV_ENGINEER_ADDED, EV_PIN_CHANGED, EV_PIN_FAILED, EV_PIN_LOCKED, EV_KEY_ENROLLED, EV_KEY_ROTATED,
		EV_ROLE_GRANTED, EV_ROLE_REMOVED,
		EV_REGISTRY_OPENED, EV_RUN_REGISTERED, EV_RUN_ENDED,
	};
	for (size_t i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return true;
	return false;
}

void event_clear(struct event *ev)
{
	if (!ev)
		return;
	free(ev->actor);
	free(ev->os_user);
	free(ev->host);
	free(ev->tty);
	free(ev->kind);
	free(ev->target);
	free(ev->payload);
	free(ev->sigs);
	memset(ev, 0, sizeof(*ev));
}

bool event_needs_signature(const char *chain, const struct event *ev)
{
	/* What the program records on its own, and what an engineer did not
	 * do (a wrong PIN cannot sign), carries no signature. */
	static const char *const unsigned_kinds[] = {
		EV_PIN_FAILED, EV_PIN_LOCKED, EV_NOTIFY_FAILED, EV_RUN_COMPLETED,
	};
	if (!chain || strcmp(chain, EVENT_CHAIN_REGISTRY) == 0 || !ev->actor || strcmp(ev->actor, "system") == 0)
		return false;
	for (size_t i = 0; i < sizeof(unsigned_kinds) / sizeof(unsigned_kinds[0]); i++)
		if (ev->kind && strcmp(ev->kind, unsigned_kinds[i]) == 0)
			return false;
	return true;
}

void event_array_free(struct event *evs, size_t n)
{
	for (size_t i = 0; evs && i < n; i++)
		event_clear(&evs[i]);
	free(evs);
}

static void put_u64(struct sha256 *st, uint64_t v)
{
	unsigned char b[8];
	for (int i = 7; i >= 0; i--) {
		b[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
	sha256_update(st, b, sizeof(b));
}

static void put_field(struct sha256 *st, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	put_u64(st, len);
	if (len)
		sha256_update(st, s, len);
}

_Static_assert(EVENT_HASH_HEX == SHA256_HEX, "an event hash is a SHA-256 in hex");

bool event_compute_hash(const struct event *ev, char out[EVENT_HASH_HEX])
{
	assert(ev && out);
	/* prev is read as a C string: it must end within its buffer. */
	assert(memchr(ev->prev, '\0', EVENT_HASH_HEX));
	unsigned char prev[SHA256_BYTES];
	size_t bin_len = 0;
	if (sodium_hex2bin(prev, sizeof(prev), ev->prev, strlen(ev->prev), NULL, &bin_len, NULL) != 0 ||
		bin_len != sizeof(prev))
		return false;
	static const char tag[] = "countersign-event-v1";
	struct sha256 *st = sha256_create();
	sha256_update(st, tag, sizeof(tag) - 1);
	put_u64(st, (uint64_t)ev->seq);
	sha256_update(st, prev, sizeof(prev));
	put_u64(st, (uint64_t)ev->time_us);
	put_field(st, ev->actor);
	put_field(st, ev->os_user);
	put_field(st, ev->host);
	put_field(st, ev->tty);
	put_field(st, ev->kind);
	put_field(st, ev->target);
	put_field(st, ev->payload);
	sha256_final_hex(st, out);
	sha256_destroy(st);
	return true;
}

void event_sha256_hex(const void *bytes, size_t len, char out[EVENT_HASH_HEX])
{
	assert(out && (bytes || len == 0));
	sha256_hex(bytes, len, out);
}
