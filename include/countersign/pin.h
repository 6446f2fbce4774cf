/* Engineer PINs: Argon2id hashes through libsodium's crypto_pwhash_str. */
#ifndef COUNTERSIGN_PIN_H
#define COUNTERSIGN_PIN_H

#include <stdbool.h>

#define PIN_MIN_LENGTH 6
#define PIN_MAX_FAILURES 5
#define PIN_WINDOW_US (15LL * 60 * 1000000)

enum pin_cost {
	PIN_COST_INTERACTIVE, /* libsodium's "interactive" level: the default */
	PIN_COST_MIN,         /* libsodium's minimum: test suites only */
};

/* Selects the cost of the hashes pin_hash makes from now on. Only the test
 * build of the program calls it (COUNTERSIGN_TEST_PIN_COST=min). */
void pin_set_cost(enum pin_cost cost);
/* The cost pin_set_cost selected last (PIN_COST_INTERACTIVE until then):
 * signing keys are derived at the same level (sign_params_new). */
enum pin_cost pin_get_cost(void);

/* Hashes PIN into a malloc'd crypto_pwhash_str string (caller frees), or
 * NULL when out of memory, at the cost pin_set_cost selected (by default
 * libsodium's "interactive" level). Verification always honours the cost
 * stored in the hash. */
char *pin_hash(const char *pin);

/* True when PIN matches HASH. */
bool pin_verify(const char *hash, const char *pin);

#endif
