/* SHA-256 on libcrypto's EVP interface (include/countersign/sha256.h). */
#include "countersign/sha256.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

struct sha256 {
	EVP_MD_CTX *ctx;
};

/* Fetched once: EVP_sha256() would look the implementation up in the
 * provider store again at every EVP_DigestInit, which costs more than
 * hashing a short event. */
static EVP_MD *md;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_release(void)
{
	EVP_MD_free(md);
	md = NULL;
}

static void md_fetch(void)
{
	md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	/* Registered after libcrypto's own exit handler (the fetch initialised
	 * the library, if nothing had), so it runs before the library's
	 * cleanup, while the digest can still be freed. */
	if (md)
		atexit(md_release);
}

static _Noreturn void fail(const char *what)
{
	unsigned long e = ERR_get_error();
	char why[256] = "out of memory?";
	if (e)
		ERR_error_string_n(e, why, sizeof(why));
	fprintf(stderr, "countersign: SHA-256: %s failed: %s\n", what, why);
	abort();
}

static const EVP_MD *digest(void)
{
	pthread_once(&md_once, md_fetch);
	if (!md)
		fail("fetching the digest from libcrypto");
	return md;
}

static void start(EVP_MD_CTX *ctx)
{
	if (EVP_DigestInit_ex2(ctx, digest(), NULL) != 1)
		fail("EVP_DigestInit_ex2");
}

struct sha256 *sha256_create(void)
{
	struct sha256 *s = malloc(sizeof(*s));
	if (!s || !(s->ctx = EVP_MD_CTX_new()))
		fail("allocating a hash");
	start(s->ctx);
	return s;
}

void sha256_destroy(struct sha256 *s)
{
	if (!s)
		return;
	EVP_MD_CTX_free(s->ctx);
	free(s);
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	assert(s && (data || len == 0));
	if (len && EVP_DigestUpdate(s->ctx, data, len) != 1)
		fail("EVP_DigestUpdate");
}

void sha256_final(struct sha256 *s, unsigned char out[SHA256_BYTES])
{
	assert(s && out);
	unsigned int n = 0;
	if (EVP_DigestFinal_ex(s->ctx, out, &n) != 1)
		fail("EVP_DigestFinal_ex");
	assert(n == SHA256_BYTES);
	start(s->ctx);
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
	EVP_MD_CTX *copy = EVP_MD_CTX_new();
	if (!copy || EVP_MD_CTX_copy_ex(copy, s->ctx) != 1)
		fail("copying a hash");
	unsigned char d[SHA256_BYTES];
	unsigned int n = 0;
	if (EVP_DigestFinal_ex(copy, d, &n) != 1)
		fail("EVP_DigestFinal_ex");
	assert(n == SHA256_BYTES);
	EVP_MD_CTX_free(copy);
	to_hex(d, out);
}

void sha256_bin(const void *data, size_t len, unsigned char out[SHA256_BYTES])
{
	assert((data || len == 0) && out);
	unsigned int n = 0;
	if (EVP_Digest(data, len, out, &n, digest(), NULL) != 1)
		fail("EVP_Digest");
	assert(n == SHA256_BYTES);
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX])
{
	unsigned char d[SHA256_BYTES];
	sha256_bin(data, len, d);
	to_hex(d, out);
}
