/* SHA-256, the one place the program computes it: evidence streams, event
 * chains, genesis hashes and digests all go through here. It runs on
 * OpenSSL's libcrypto (its SHA256_* functions, which use the CPU's SHA
 * extensions where there are some, without EVP's start-up: sha256.c says
 * why). Like xmalloc, these functions abort when libcrypto fails (out of
 * memory): no caller could go on without the hash. Nothing else calls
 * libcrypto's or libsodium's SHA-256 (the layers test checks). */
#ifndef COUNTERSIGN_SHA256_H
#define COUNTERSIGN_SHA256_H

#include <stddef.h>

#define SHA256_BYTES 32 /* a digest */
#define SHA256_HEX 65   /* its 64 lower-case hex digits and a NUL */

/* A running hash of a stream. */
struct sha256;

/* Returns a hash of nothing yet; the caller frees it with sha256_destroy. */
struct sha256 *sha256_create(void);
/* Frees S; NULL is a no-op. */
void sha256_destroy(struct sha256 *s);

/* Adds DATA[0..LEN) (DATA may be NULL when LEN is 0). */
void sha256_update(struct sha256 *s, const void *data, size_t len);

/* Writes the digest of what was added into OUT, then starts S afresh (a hash
 * of nothing), ready for another message. */
void sha256_final(struct sha256 *s, unsigned char out[SHA256_BYTES]);
/* The same, as hex. */
void sha256_final_hex(struct sha256 *s, char out[SHA256_HEX]);

/* The digest (hex) of what was added so far, leaving S as it was: more may
 * be added afterwards. */
void sha256_peek_hex(const struct sha256 *s, char out[SHA256_HEX]);

/* The digest of DATA[0..LEN) in one call, binary or hex. */
void sha256_bin(const void *data, size_t len, unsigned char out[SHA256_BYTES]);
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX]);

#endif
