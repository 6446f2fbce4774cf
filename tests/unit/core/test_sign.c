/* Signing keys (src/core/sign.c): derivation from a PIN, signatures over an
 * event's hash, the sigs list and the key object. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "countersign/pin.h"
#include "countersign/sign.h"
#include "countersign/util.h"
#include "core/sign_internal.h"

#include "../check.h"

#define HASH "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* RFC 8032, 7.1, TEST 1: the public key, and the signature of the empty
 * message (also used below as well-formed values of the sigs list). */
#define K64 "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define S128 "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065" \
	"224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
#define SALT "000102030405060708090a0b0c0d0e0f"

/* A fixed salt at the minimum cost: the key of a PIN must never change. */
static struct sign_params min_params(void)
{
	struct sign_params p = {.ops = crypto_pwhash_argon2id_OPSLIMIT_MIN, .mem = crypto_pwhash_argon2id_MEMLIMIT_MIN};
	strcpy(p.salt, "000102030405060708090a0b0c0d0e0f");
	return p;
}

/* Returns HEX with its character at I changed to another hex digit. */
static char *flip(const char *hex, size_t i)
{
	char *s = xstrdup(hex);
	s[i] = s[i] == '0' ? '1' : '0';
	return s;
}

static void test_sign_verify(void)
{
	struct sign_params p = min_params();
	const char *why = "unset";
	struct sign_key *k = sign_key_derive("123456", &p, &why);
	CHECK(k != NULL);
	CHECK(why == NULL);
	if (!k)
		return;
	CHECK(strlen(sign_key_public(k)) == 64);
	char sig[SIGN_SIG_HEX];
	CHECK(sign_hash(k, HASH, sig));
	CHECK(strlen(sig) == 128);
	CHECK(sign_verify(sign_key_public(k), HASH, sig));

	char *bad = flip(HASH, 10);
	CHECK(!sign_verify(sign_key_public(k), bad, sig));
	free(bad);
	bad = flip(sig, 100);
	CHECK(!sign_verify(sign_key_public(k), HASH, bad));
	free(bad);
	bad = flip(sign_key_public(k), 5);
	CHECK(!sign_verify(bad, HASH, sig));
	free(bad);
	CHECK(!sign_hash(k, "abc", sig));
	sign_key_destroy(k);
	sign_key_destroy(NULL);
}

static void test_same_pin_same_key(void)
{
	struct sign_params p = min_params();
	struct sign_key *a = sign_key_derive("123456", &p, NULL);
	struct sign_key *b = sign_key_derive("123456", &p, NULL);
	struct sign_key *c = sign_key_derive("123457", &p, NULL);
	CHECK(a && b && c);
	if (a && b && c) {
		CHECK_STR(sign_key_public(a), sign_key_public(b));
		CHECK(strcmp(sign_key_public(a), sign_key_public(c)) != 0);
	}
	sign_key_destroy(a);
	sign_key_destroy(b);
	sign_key_destroy(c);
}

static void test_entries(void)
{
	struct sign_params p = min_params();
	struct sign_key *k = sign_key_derive("123456", &p, NULL);
	CHECK(k != NULL);
	if (!k)
		return;
	char *one = sign_entries_add("", "bob", k, HASH);
	CHECK(one != NULL);
	char *two = sign_entries_add(one, "carol", k, HASH);
	CHECK(two != NULL);
	struct sign_entry *e = NULL;
	size_t n = 0;
	CHECK(sign_entries_parse(two, &e, &n, NULL));
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(e[0].by, "bob");
		CHECK_STR(e[1].by, "carol");
		CHECK_STR(e[0].key, sign_key_public(k));
		CHECK(sign_verify(e[1].key, HASH, e[1].sig));
	}
	sign_entries_free(e, n);
	free(one);
	free(two);
	sign_key_destroy(k);
}

static void hex_to(const char *hex, unsigned char *out, size_t n)
{
	size_t got = 0;
	CHECK(sodium_hex2bin(out, n, hex, strlen(hex), NULL, &got, NULL) == 0 && got == n);
}

/* libsodium's own Argon2id vector (test/default/pwhash_argon2id.c, tv3,
 * the third: empty password, m=4882 KiB, t=2, p=1, a 32-byte output): the
 * seed sign_key_derive makes is that output, so its public key is the one
 * crypto_sign_seed_keypair gives for it. */
static void test_argon2id_vector(void)
{
	unsigned char seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	hex_to("366f1004cfbb447d435e8f6bbe9e5cc0a10e38e7c3da0e89bb19578a1a0d7291", seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	char want[SIGN_KEY_HEX];
	sodium_bin2hex(want, sizeof(want), pk, sizeof(pk));
	struct sign_params p = {.ops = 2, .mem = 4882 * 1024};
	strcpy(p.salt, "6c0f356abb225f2b1ddd66d34739843b"); /* "bA81arsiXysd3WbTRzmEOw" */
	const char *why = NULL;
	struct sign_key *k = sign_key_derive("", &p, &why);
	CHECK(k != NULL);
	if (k)
		CHECK_STR(sign_key_public(k), want);
	sign_key_destroy(k);
	sodium_memzero(sk, sizeof(sk));

	/* the same vector's fifth (t=19) is beyond the "sensitive" cost: a
	 * record naming it is refused rather than computed */
	p.ops = 19;
	p.mem = 4096 * 1024;
	strcpy(p.salt, "3e412031362d62797465732073616c74"); /* ">A 16-bytes salt" */
	CHECK(sign_key_derive("x", &p, &why) == NULL);
	CHECK(why && strstr(why, "operations"));
}

/* RFC 8032, 7.1, TEST 1: the public key of the secret key (seed), and its
 * signature of the empty message verifies under the key we derive. The
 * program signs only 32-byte hashes, so the signature is checked with
 * libsodium directly. */
static void test_rfc8032_vector1(void)
{
	unsigned char seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES], sig[crypto_sign_BYTES];
	hex_to("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed, sizeof(seed));
	hex_to(S128, sig, sizeof(sig));
	struct sign_key *k = sign_key_from_seed(seed);
	CHECK(k != NULL);
	if (!k)
		return;
	CHECK_STR(sign_key_public(k), K64);
	hex_to(sign_key_public(k), pk, sizeof(pk));
	CHECK(crypto_sign_verify_detached(sig, (const unsigned char *)"", 0, pk) == 0);
	sign_key_destroy(k);
}

/* The key of PIN 123456 with a fixed salt at the minimum cost, and its
 * signature of HASH (Ed25519 is deterministic): a change in how keys are
 * derived or what is signed would orphan every key already recorded. */
static void test_regression_vector(void)
{
	struct sign_params p = min_params();
	CHECK(p.ops == 1 && p.mem == 8192);
	struct sign_key *k = sign_key_derive("123456", &p, NULL);
	CHECK(k != NULL);
	if (!k)
		return;
	CHECK_STR(sign_key_public(k), "dc5c5caad457b709a838d8a09ccf80f7c9345e82fe4380999429c1275f0e491b");
	char sig[SIGN_SIG_HEX];
	CHECK(sign_hash(k, HASH, sig));
	CHECK_STR(sig, "500c001fdbc25fb79a6de0d9a3cb2ef469c191a310a97987c738ad9781dcd87a"
		"66b24fd4f9d48d6922bc7896b2b81ff6569fcf623e993d342bfcd86265324804");
	sign_key_destroy(k);
}

static void test_params(void)
{
	struct sign_params a, b;
	const char *why = NULL;
	sign_params_new(&a);
	CHECK(a.ops == crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE);
	CHECK(a.mem == crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE);
	CHECK(sign_params_valid(&a, &why) && why == NULL);
	pin_set_cost(PIN_COST_MIN);
	sign_params_new(&b);
	pin_set_cost(PIN_COST_INTERACTIVE);
	CHECK(b.ops == crypto_pwhash_argon2id_OPSLIMIT_MIN && b.mem == crypto_pwhash_argon2id_MEMLIMIT_MIN);
	CHECK(strlen(a.salt) == 32 && strcmp(a.salt, b.salt) != 0);
	CHECK(sign_params_valid(&b, NULL));

	struct sign_params p = min_params();
	CHECK(sign_params_valid(&p, NULL));
	p.ops = 0;
	CHECK(!sign_params_valid(&p, &why) && why && strstr(why, "operations"));
	p.ops = crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE;
	CHECK(sign_params_valid(&p, NULL));
	p.ops++;
	CHECK(!sign_params_valid(&p, NULL));
	p = min_params();
	p.mem = crypto_pwhash_argon2id_MEMLIMIT_MIN - 1;
	CHECK(!sign_params_valid(&p, &why) && why && strstr(why, "memory"));
	p.mem = crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE;
	CHECK(sign_params_valid(&p, NULL));
	p.mem++;
	CHECK(!sign_params_valid(&p, NULL));
	p = min_params();
	strcpy(p.salt, "000102030405060708090A0B0C0D0E0F");
	CHECK(!sign_params_valid(&p, &why) && why && strstr(why, "salt"));
	strcpy(p.salt, "000102030405060708090a0b0c0d0e0");
	CHECK(!sign_params_valid(&p, NULL));
	strcpy(p.salt, "000102030405060708090a0b0c0d0e0g");
	CHECK(!sign_params_valid(&p, NULL));
	CHECK(!sign_params_valid(NULL, NULL));
	CHECK(sign_key_derive("123456", &p, &why) == NULL && why != NULL);
}

static void test_malformed(void)
{
	struct sign_params p = min_params();
	struct sign_key *k = sign_key_derive("123456", &p, NULL);
	struct sign_key *other = sign_key_derive("654321", &p, NULL);
	CHECK(k && other);
	if (!k || !other)
		goto done;
	char sig[SIGN_SIG_HEX];
	CHECK(sign_hash(k, HASH, sig));
	CHECK(!sign_verify(sign_key_public(other), HASH, sig));
	CHECK(!sign_verify(NULL, HASH, sig));
	CHECK(!sign_verify(sign_key_public(k), NULL, sig));
	CHECK(!sign_verify(sign_key_public(k), HASH, NULL));
	CHECK(!sign_verify(sign_key_public(k), HASH, ""));
	char *cut = xstrndup(sig, 126);
	CHECK(!sign_verify(sign_key_public(k), HASH, cut));
	free(cut);
	char *longer = xasprintf("%s00", sig);
	CHECK(!sign_verify(sign_key_public(k), HASH, longer));
	free(longer);
	/* one spelling only: the same bytes in capitals are not a signature */
	char *upper = xstrdup(sig);
	for (char *c = upper; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	CHECK(strcmp(upper, sig) != 0);
	CHECK(!sign_verify(sign_key_public(k), HASH, upper));
	free(upper);
	CHECK(!sign_hash(k, "", sig));
	CHECK(!sign_hash(k, HASH "00", sig));
	CHECK(!sign_hash(k, "zz86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", sig));
done:
	sign_key_destroy(k);
	sign_key_destroy(other);
}

/* Expects SIGS to be refused as a signature list. */
static void entries_refused(const char *sigs)
{
	struct sign_entry *e = (struct sign_entry *)&e;
	size_t n = 99;
	const char *why = NULL;
	bool ok = sign_entries_parse(sigs, &e, &n, &why);
	CHECK(!ok && why != NULL && e == NULL && n == 0);
	if (ok) {
		fprintf(stderr, "  accepted: %s\n", sigs);
		sign_entries_free(e, n);
	}
}


static void test_entries_parse(void)
{
	struct sign_entry *e = NULL;
	size_t n = 5;
	CHECK(sign_entries_parse(NULL, &e, &n, NULL) && e == NULL && n == 0);
	CHECK(sign_entries_parse("", &e, &n, NULL) && e == NULL && n == 0);
	CHECK(sign_entries_parse("[]", &e, &n, NULL) && n == 0);
	sign_entries_free(e, n);
	CHECK(sign_entries_parse("[{\"by\":\"bob\",\"key\":\"" K64 "\",\"sig\":\"" S128 "\"}]", &e, &n, NULL));
	CHECK(n == 1 && e && strcmp(e[0].by, "bob") == 0 && strcmp(e[0].key, K64) == 0 && strcmp(e[0].sig, S128) == 0);
	sign_entries_free(e, n);
	sign_entries_free(NULL, 0);

	entries_refused("not json");
	entries_refused("{\"by\":\"bob\"}");
	entries_refused("[1]");
	entries_refused("[{\"by\":\"bob\",\"key\":\"" K64 "\"}]");
	entries_refused("[{\"key\":\"" K64 "\",\"sig\":\"" S128 "\"}]");
	entries_refused("[{\"by\":\"\",\"key\":\"" K64 "\",\"sig\":\"" S128 "\"}]");
	entries_refused("[{\"by\":7,\"key\":\"" K64 "\",\"sig\":\"" S128 "\"}]");
	entries_refused("[{\"by\":\"bob\",\"key\":\"" K64 "0\",\"sig\":\"" S128 "\"}]");
	entries_refused("[{\"by\":\"bob\",\"key\":\"" K64 "\",\"sig\":\"" S128 "00\"}]");
	entries_refused("[{\"by\":\"bob\",\"key\":\"D75A980182B10AB7D54BFED3C964073A0EE172F3DAA62325AF021A68F707511A\","
		"\"sig\":\"" S128 "\"}]");
	entries_refused("[{\"by\":\"bob\",\"key\":\"" K64 "\",\"sig\":\"" S128 "\",\"at\":1}]");
	entries_refused("[{\"by\":\"bob\",\"key\":\"" K64 "\",\"sig\":\"" S128 "\"},{}]");

	struct sign_params p = min_params();
	struct sign_key *k = sign_key_derive("123456", &p, NULL);
	CHECK(k != NULL);
	if (!k)
		return;
	CHECK(sign_entries_add("[{}]", "bob", k, HASH) == NULL);
	CHECK(sign_entries_add(NULL, "bob", k, "00") == NULL);
	char *one = sign_entries_add(NULL, "bob", k, HASH);
	char want[400];
	char sig[SIGN_SIG_HEX];
	CHECK(sign_hash(k, HASH, sig));
	snprintf(want, sizeof(want), "[{\"by\":\"bob\",\"key\":\"%s\",\"sig\":\"%s\"}]", sign_key_public(k), sig);
	CHECK_STR(one, want);
	free(one);
	sign_key_destroy(k);
}

static void test_key_json(void)
{
	struct sign_params p = min_params(), back;
	cJSON *o = sign_key_to_json(K64, &p);
	char *text = cJSON_PrintUnformatted(o);
	CHECK_STR(text, "{\"public\":\"" K64 "\",\"salt\":\"" SALT "\",\"ops\":1,\"mem\":8192}");
	cJSON_free(text);
	char pub[SIGN_KEY_HEX] = "";
	const char *why = "unset";
	CHECK(sign_key_from_json(o, pub, &back, &why) && why == NULL);
	CHECK_STR(pub, K64);
	CHECK_STR(back.salt, p.salt);
	CHECK(back.ops == p.ops && back.mem == p.mem);
	cJSON_Delete(o);

	static const char *const bad[] = {
		"[]",
		"{\"salt\":\"" SALT "\",\"ops\":1,\"mem\":8192}",
		"{\"public\":\"" K64 "\",\"ops\":1,\"mem\":8192}",
		"{\"public\":\"" K64 "\",\"salt\":\"" SALT "\",\"mem\":8192}",
		"{\"public\":\"" K64 "\",\"salt\":\"" SALT "\",\"ops\":1}",
		"{\"public\":\"" K64 "0\",\"salt\":\"" SALT "\",\"ops\":1,\"mem\":8192}",
		"{\"public\":\"" K64 "\",\"salt\":\"000102030405060708090a0b0c0d0e0\",\"ops\":1,\"mem\":8192}",
		"{\"public\":\"" K64 "\",\"salt\":\"" SALT "\",\"ops\":\"1\",\"mem\":8192}",
		"{\"public\":\"" K64 "\",\"salt\":\"" SALT "\",\"ops\":1.5,\"mem\":8192}",
		"{\"public\":\"" K64 "\",\"salt\":\"" SALT "\",\"ops\":-1,\"mem\":8192}",
		"{\"public\":\"" K64 "\",\"salt\":\"" SALT "\",\"ops\":1,\"mem\":1e300}",
		"{\"public\":\"" K64 "\",\"salt\":\"" SALT "\",\"ops\":100,\"mem\":8192}",
		"{\"public\":\"" K64 "\",\"salt\":\"" SALT "\",\"ops\":1,\"mem\":1099511627776}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *b = cJSON_Parse(bad[i]);
		CHECK(b != NULL);
		why = NULL;
		memset(pub, 'x', sizeof(pub) - 1);
		pub[sizeof(pub) - 1] = '\0';
		bool ok = sign_key_from_json(b, pub, &back, &why);
		CHECK(!ok && why != NULL && pub[0] == 'x');
		if (ok)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		cJSON_Delete(b);
	}
	CHECK(!sign_key_from_json(NULL, pub, &back, &why));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_sign_verify();
	test_same_pin_same_key();
	test_entries();
	test_argon2id_vector();
	test_rfc8032_vector1();
	test_regression_vector();
	test_params();
	test_malformed();
	test_entries_parse();
	test_key_json();
	return check_report();
}
