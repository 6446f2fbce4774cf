/* Engineer PINs: Argon2id hashes through libsodium's crypto_pwhash_str. */
#ifndef COUNTERSIGN_PIN_H
#define COUNTERSIGN_PIN_H

#include <stdbool.h>

#define PIN_MIN_LENGTH 6
#define PIN_MAX_FAILURES 5
#define PIN_WINDOW_US (15LL * 60 * 1000000)

/* Hashes PIN into a malloc'd crypto_pwhash_str string (caller frees), or
 * NULL when out of memory. The cost is libsodium's "interactive" level;
 * COUNTERSIGN_TEST_PIN_COST=min in the environment selects the minimum, for
 * test suites. Verification always honours the cost stored in the hash. */
char *pin_hash(const char *pin);

/* True when PIN matches HASH. */
bool pin_verify(const char *hash, const char *pin);

#endif
