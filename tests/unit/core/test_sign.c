/* Signing keys (src/core/sign.c): derivation from a PIN, signatures over an
 * event's hash, the sigs list and the key object. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "countersign/pin.h"
#include "countersign/sign.h"
#include "countersign/util.h"

#include "../check.h"

static const char HASH[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

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

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_sign_verify();
	test_same_pin_same_key();
	test_entries();
	return check_report();
}
