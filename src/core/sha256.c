/* SHA-256 on libcrypto (include/countersign/sha256.h), through its SHA256_*
 * functions rather than EVP. On OpenSSL 3 the first EVP fetch of any
 * digest initialises the provider machinery (reads openssl.cnf, loads the
 * default provider, names every algorithm): about 6 million instructions,
 * paid by every command that hashes anything (each one that reads a run),
 * more than all the rest of a `check` does in this program. SHA256_* run
 * the same code (the assembly that uses the CPU's SHA extensions, picked
 * from the CPU flags libcrypto reads when it is loaded) with none of that.
 * OpenSSL 3 marks them deprecated, not removed; a libcrypto built without
 * them (OPENSSL_NO_DEPRECATED_3_0) stops the build here rather than
 * falling back on the slow start. */
#include "countersign/sha256.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/opensslconf.h>
#include <openssl/sha.h>
#include <sodium.h>

#ifdef OPENSSL_NO_DEPRECATED_3_0
#error "libcrypto was built without SHA256_Init/Update/Final (OPENSSL_NO_DEPRECATED_3_0)"
#endif

struct sha256 {
	SHA256_CTX ctx;
};

static _Noreturn void fail(const char *what)
{
	fprintf(stderr, "countersign: SHA-256: %s failed\n", what);
	abort();
}

/* SHA256_Init cannot fail on a context in memory; checked anyway. */
static void start(SHA256_CTX *ctx)
{
	if (SHA256_Init(ctx) != 1)
		fail("SHA256_Init");
}

struct sha256 *sha256_create(void)
{
	struct sha256 *s = malloc(sizeof(*s));
	if (!s)
		fail("allocating a hash");
	start(&s->ctx);
	return s;
}

void sha256_destroy(struct sha256 *s)
{
	if (!s)
		return;
	sodium_memzero(s, sizeof(*s));
	free(s);
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	assert(s && (data || len == 0));
	if (len && SHA256_Update(&s->ctx, data, len) != 1)
		fail("SHA256_Update");
}

void sha256_final(struct sha256 *s, unsigned char out[SHA256_BYTES])
{
	assert(s && out);
	if (SHA256_Final(out, &s->ctx) != 1)
		fail("SHA256_Final");
	start(&s->ctx);
}

static void to_hex(const unsigned char digest[SHA256_BYTES], char out[SHA256_HEX])
{
	sodium_bin2hex(out, SHA256_HEX, digest, SHA256_BYTES);
}

void sha256_final_hex(struct sha256 *s, char out[SHA256_HEX])
{
	unsigned char d[SHA256_BYTES];
	sha256_final(s, d);
	to_hex(d, out);
}

void sha256_peek_hex(const struct sha256 *s, char out[SHA256_HEX])
{
	assert(s && out);
	/* The context is plain data: a copy finishes without touching S. */
	SHA256_CTX copy = s->ctx;
	unsigned char d[SHA256_BYTES];
	if (SHA256_Final(d, &copy) != 1)
		fail("SHA256_Final");
	to_hex(d, out);
}

void sha256_bin(const void *data, size_t len, unsigned char out[SHA256_BYTES])
{
	assert((data || len == 0) && out);
	SHA256_CTX ctx;
	start(&ctx);
	if (len && SHA256_Update(&ctx, data, len) != 1)
		fail("SHA256_Update");
	if (SHA256_Final(out, &ctx) != 1)
		fail("SHA256_Final");
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX])
{
	unsigned char d[SHA256_BYTES];
	sha256_bin(data, len, d);
	to_hex(d, out);
}
