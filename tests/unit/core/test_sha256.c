/* The SHA-256 module (src/core/sha256.c, on libcrypto) gives exactly the
 * digests libsodium's crypto_hash_sha256 gave before it: the published test
 * vectors; random inputs of every length up to 1,100 bytes and of larger
 * ones, fed whole, in random pieces and a byte at a time, read mid-stream
 * (sha256_peek_hex) and after a reuse; and a 1 GiB stream in pieces of
 * varying sizes (skipped under valgrind, where it would take an hour, as
 * most of the larger inputs are: COUNTERSIGN_TEST_VALGRIND is set by that
 * test setup). The random bytes come
 * from a seed, printed, that COUNTERSIGN_TEST_SEED (64 hex digits) repeats.
 * This file is the only one besides the module that calls libsodium's
 * SHA-256 (scripts/check_layers.py). */
#include "../check.h"

#include "countersign/clock.h"
#include "countersign/sha256.h"

#include <inttypes.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SMALL 1100
#define GIB (1024ull * 1024 * 1024)
#define BLOCK (1024 * 1024)

static unsigned char seed[randombytes_SEEDBYTES];
static uint64_t nonce;

/* LEN reproducible random bytes, different at each call. */
static void random_bytes(unsigned char *buf, size_t len)
{
	unsigned char s[randombytes_SEEDBYTES];
	memcpy(s, seed, sizeof(s));
	nonce++;
	for (int i = 0; i < 8; i++)
		s[i] ^= (unsigned char)(nonce >> (8 * i));
	randombytes_buf_deterministic(buf, len, s);
}

static size_t below(size_t n)
{
	unsigned char b[8];
	random_bytes(b, sizeof(b));
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return n ? (size_t)(v % n) : 0;
}

static void sodium_hex(const unsigned char *data, size_t len, char out[SHA256_HEX])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(d, data, len);
	sodium_bin2hex(out, SHA256_HEX, d, sizeof(d));
}

static void test_vectors(void)
{
	/* FIPS 180-2, appendix B. */
	char hex[SHA256_HEX];
	sha256_hex("", 0, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex(NULL, 0, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sha256_hex(two, strlen(two), hex);
	CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	struct sha256 *s = sha256_create();
	char a[1000];
	memset(a, 'a', sizeof(a));
	for (int i = 0; i < 1000; i++)
		sha256_update(s, a, sizeof(a));
	sha256_final_hex(s, hex);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* final starts afresh: the next message is hashed alone. */
	sha256_update(s, "abc", 3);
	sha256_final_hex(s, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_final_hex(s, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_destroy(s);
	sha256_destroy(NULL);
}

/* Feeds DATA[0..LEN) to S in N_CUTS + 1 pieces of random sizes (empty ones
 * included), about as long as each other on average. */
static void feed_in_pieces(struct sha256 *s, const unsigned char *data, size_t len, int n_cuts)
{
	size_t at = 0;
	for (int i = 0; i < n_cuts; i++) {
		size_t left = len - at;
		size_t piece = below(2 * left / (size_t)(n_cuts - i + 1) + 1);
		if (piece > left)
			piece = left;
		sha256_update(s, data + at, piece);
		at += piece;
	}
	sha256_update(s, data + at, len - at);
}

/* Every way of hashing DATA[0..LEN) gives libsodium's digest. */
static bool same_every_way(const unsigned char *data, size_t len)
{
	char want[SHA256_HEX], got[SHA256_HEX], peek[SHA256_HEX];
	sodium_hex(data, len, want);
	bool ok = true;

	sha256_hex(data, len, got);
	ok = ok && strcmp(got, want) == 0;
	unsigned char bin[SHA256_BYTES], want_bin[crypto_hash_sha256_BYTES];
	sha256_bin(data, len, bin);
	crypto_hash_sha256(want_bin, data, len);
	ok = ok && memcmp(bin, want_bin, sizeof(bin)) == 0;

	struct sha256 *s = sha256_create();
	for (int n_cuts = 0; n_cuts <= 8; n_cuts++) {
		feed_in_pieces(s, data, len, n_cuts);
		sha256_final_hex(s, got);
		ok = ok && strcmp(got, want) == 0;
	}

	/* Read mid-stream at a random point: the prefix's digest, and the
	 * stream goes on unchanged. */
	size_t mid = below(len + 1);
	char want_mid[SHA256_HEX];
	sodium_hex(data, mid, want_mid);
	sha256_update(s, data, mid);
	sha256_peek_hex(s, peek);
	ok = ok && strcmp(peek, want_mid) == 0;
	sha256_update(s, data + mid, len - mid);
	sha256_final_hex(s, got);
	ok = ok && strcmp(got, want) == 0;

	if (len <= 300) {
		for (size_t i = 0; i < len; i++)
			sha256_update(s, data + i, 1);
		sha256_final_hex(s, got);
		ok = ok && strcmp(got, want) == 0;
	}
	sha256_destroy(s);
	return ok;
}

static void test_random(void)
{
	unsigned char *buf = malloc(4 * BLOCK + 1);
	CHECK(buf != NULL);
	if (!buf)
		return;
	/* Every length across the 64-byte block and 55/56-byte padding edges. */
	size_t bad = 0;
	for (size_t len = 0; len <= MAX_SMALL; len++) {
		random_bytes(buf, len);
		if (!same_every_way(buf, len) && bad++ < 5)
			fprintf(stderr, "different digest for %zu random bytes\n", len);
	}
	CHECK(bad == 0);
	/* Larger ones, random lengths up to 4 MiB (fewer and shorter under
	 * valgrind). */
	bool slow = getenv("COUNTERSIGN_TEST_VALGRIND") != NULL;
	size_t max = slow ? BLOCK / 4 : 4 * BLOCK;
	bad = 0;
	for (int i = 0; i < (slow ? 4 : 40); i++) {
		size_t len = MAX_SMALL + below(max - MAX_SMALL + 1);
		random_bytes(buf, len);
		if (!same_every_way(buf, len) && bad++ < 5)
			fprintf(stderr, "different digest for %zu random bytes\n", len);
	}
	CHECK(bad == 0);
	free(buf);
}

/* 1 GiB through the module and through libsodium in the same random
 * pieces (up to 1 MiB, each block changed so that the stream never
 * repeats), timing both. */
static void test_gib(void)
{
	if (getenv("COUNTERSIGN_TEST_VALGRIND")) {
		printf("skip: the 1 GiB stream (under valgrind)\n");
		return;
	}
	unsigned char *block = malloc(BLOCK);
	CHECK(block != NULL);
	if (!block)
		return;
	random_bytes(block, BLOCK);
	struct sha256 *s = sha256_create();
	crypto_hash_sha256_state ref;
	crypto_hash_sha256_init(&ref);
	double ours_s = 0, sodium_s = 0;
	uint64_t done = 0;
	while (done < GIB) {
		size_t len = 1 + below(BLOCK);
		if (len > GIB - done)
			len = (size_t)(GIB - done);
		memcpy(block, &done, sizeof(done));
		int64_t t0 = clock_mono_us();
		sha256_update(s, block, len);
		int64_t t1 = clock_mono_us();
		crypto_hash_sha256_update(&ref, block, len);
		int64_t t2 = clock_mono_us();
		ours_s += (double)(t1 - t0) / 1e6;
		sodium_s += (double)(t2 - t1) / 1e6;
		done += len;
	}
	char got[SHA256_HEX], want[SHA256_HEX];
	sha256_final_hex(s, got);
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&ref, d);
	sodium_bin2hex(want, sizeof(want), d, sizeof(d));
	CHECK_STR(got, want);
	printf("1 GiB: the module %.2f s (%.0f MB/s), libsodium %.2f s (%.0f MB/s)\n", ours_s,
		(double)GIB / 1e6 / ours_s, sodium_s, (double)GIB / 1e6 / sodium_s);
	sha256_destroy(s);
	free(block);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const char *fixed = getenv("COUNTERSIGN_TEST_SEED");
	size_t n = 0;
	if (!fixed || sodium_hex2bin(seed, sizeof(seed), fixed, strlen(fixed), NULL, &n, NULL) != 0 ||
		n != sizeof(seed))
		randombytes_buf(seed, sizeof(seed));
	char shown[2 * sizeof(seed) + 1];
	sodium_bin2hex(shown, sizeof(shown), seed, sizeof(seed));
	printf("seed %s (COUNTERSIGN_TEST_SEED repeats it)\n", shown);

	test_vectors();
	test_random();
	test_gib();
	return check_report();
}
