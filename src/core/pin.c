#include "countersign/pin.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "countersign/util.h"

/* The library reads no environment: only a program built for the test
 * suites selects the minimum cost (src/main.c). */
static enum pin_cost hash_cost = PIN_COST_INTERACTIVE;

void pin_set_cost(enum pin_cost cost)
{
	hash_cost = cost;
}

enum pin_cost pin_get_cost(void)
{
	return hash_cost;
}

char *pin_hash(const char *pin)
{
	if (sodium_init() < 0)
		return NULL;
	unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	if (hash_cost == PIN_COST_MIN) {
		ops = crypto_pwhash_OPSLIMIT_MIN;
		mem = crypto_pwhash_MEMLIMIT_MIN;
	}
	char *out = xmalloc(crypto_pwhash_STRBYTES);
	if (crypto_pwhash_str_alg(out, pin, strlen(pin), ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

bool pin_verify(const char *hash, const char *pin)
{
	if (sodium_init() < 0 || !hash)
		return false;
	return crypto_pwhash_str_verify(hash, pin, strlen(pin)) == 0;
}
