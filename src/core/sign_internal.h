/* What src/core/sign.c shares with its unit tests only: the key of a given
 * seed, so that the key pair can be checked against RFC 8032's vectors. */
#ifndef COUNTERSIGN_SIGN_INTERNAL_H
#define COUNTERSIGN_SIGN_INTERNAL_H

#include <sodium.h>

#include "countersign/sign.h"

/* The key pair of SEED (crypto_sign_seed_keypair): free with
 * sign_key_destroy; NULL when out of secure memory. */
struct sign_key *sign_key_from_seed(const unsigned char seed[crypto_sign_SEEDBYTES]);

#endif
