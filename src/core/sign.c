#include "countersign/sign.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "countersign/pin.h"
#include "countersign/util.h"
#include "sign_internal.h"

#define SIGN_HASH_BYTES 32

struct sign_key {
	unsigned char *secret;        /* crypto_sign_SECRETKEYBYTES, sodium_malloc'd */
	char public_hex[SIGN_KEY_HEX];
};

/* Decodes exactly N bytes from HEX: 2N lowercase hex digits and nothing
 * else. Only the canonical spelling is accepted, so that a key or signature
 * has one text form and comparing texts compares values. */
static bool hex_exact(const char *hex, unsigned char *out, size_t n)
{
	if (!hex || strlen(hex) != 2 * n)
		return false;
	for (const char *c = hex; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return false;
	size_t got = 0;
	return sodium_hex2bin(out, n, hex, 2 * n, NULL, &got, NULL) == 0 && got == n;
}

void sign_params_new(struct sign_params *p)
{
	assert(p);
	if (sodium_init() < 0)
		abort(); /* no random source: nothing can be signed */
	unsigned char salt[crypto_pwhash_argon2id_SALTBYTES];
	randombytes_buf(salt, sizeof(salt));
	sodium_bin2hex(p->salt, sizeof(p->salt), salt, sizeof(salt));
	if (pin_get_cost() == PIN_COST_MIN) {
		p->ops = crypto_pwhash_argon2id_OPSLIMIT_MIN;
		p->mem = crypto_pwhash_argon2id_MEMLIMIT_MIN;
	} else {
		p->ops = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
		p->mem = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
	}
}

bool sign_params_valid(const struct sign_params *p, const char **why)
{
	static_assert(crypto_pwhash_argon2id_SALTBYTES * 2 + 1 == SIGN_SALT_HEX, "salt size");
	unsigned char salt[crypto_pwhash_argon2id_SALTBYTES];
	const char *reason = NULL;
	if (!p || !hex_exact(p->salt, salt, sizeof(salt)))
		reason = "the key's salt is not 32 hex digits";
	else if (p->ops < crypto_pwhash_argon2id_OPSLIMIT_MIN || p->ops > crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE)
		reason = "the key's Argon2id operations limit is out of bounds";
	else if (p->mem < crypto_pwhash_argon2id_MEMLIMIT_MIN || p->mem > crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE)
		reason = "the key's Argon2id memory limit is out of bounds";
	if (why)
		*why = reason;
	return reason == NULL;
}

struct sign_key *sign_key_from_seed(const unsigned char seed[crypto_sign_SEEDBYTES])
{
	if (sodium_init() < 0)
		return NULL;
	struct sign_key *k = xcalloc(1, sizeof(*k));
	k->secret = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (!k->secret) {
		free(k);
		return NULL;
	}
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	crypto_sign_seed_keypair(pk, k->secret, seed);
	sodium_bin2hex(k->public_hex, sizeof(k->public_hex), pk, sizeof(pk));
	return k;
}

struct sign_key *sign_key_derive(const char *pin, const struct sign_params *p, const char **why)
{
	assert(pin);
	unsigned char salt[crypto_pwhash_argon2id_SALTBYTES];
	unsigned char *seed = NULL;
	struct sign_key *k = NULL;
	const char *reason = NULL;
	if (sodium_init() < 0) {
		reason = "libsodium could not be initialised";
		goto done;
	}
	if (!sign_params_valid(p, &reason))
		goto done;
	hex_exact(p->salt, salt, sizeof(salt));
	/* the seed is the secret key's other form: kept in guarded memory
	 * that sodium_free wipes */
	seed = sodium_malloc(crypto_sign_SEEDBYTES);
	if (!seed) {
		reason = "out of memory for the key";
		goto done;
	}
	if (crypto_pwhash(seed, crypto_sign_SEEDBYTES, pin, strlen(pin), salt, p->ops, (size_t)p->mem,
			crypto_pwhash_ALG_ARGON2ID13) != 0) {
		reason = "out of memory deriving the key from the PIN";
		goto done;
	}
	k = sign_key_from_seed(seed);
	if (!k)
		reason = "out of memory for the key";
done:
	sodium_free(seed); /* wipes it; NULL is a no-op */
	if (why)
		*why = reason;
	return k;
}

void sign_key_destroy(struct sign_key *k)
{
	if (!k)
		return;
	sodium_free(k->secret); /* wipes it; NULL is a no-op */
	sodium_memzero(k, sizeof(*k));
	free(k);
}

const char *sign_key_public(const struct sign_key *k)
{
	assert(k);
	return k->public_hex;
}

bool sign_hash(const struct sign_key *k, const char *hash_hex, char sig[SIGN_SIG_HEX])
{
	assert(k && sig);
	unsigned char msg[SIGN_HASH_BYTES], s[crypto_sign_BYTES];
	if (!hex_exact(hash_hex, msg, sizeof(msg)))
		return false;
	crypto_sign_detached(s, NULL, msg, sizeof(msg), k->secret);
	sodium_bin2hex(sig, SIGN_SIG_HEX, s, sizeof(s));
	return true;
}

bool sign_verify(const char *public_hex, const char *hash_hex, const char *sig_hex)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], msg[SIGN_HASH_BYTES], s[crypto_sign_BYTES];
	if (sodium_init() < 0 || !hex_exact(public_hex, pk, sizeof(pk)) || !hex_exact(hash_hex, msg, sizeof(msg)) ||
			!hex_exact(sig_hex, s, sizeof(s)))
		return false;
	return crypto_sign_verify_detached(s, msg, sizeof(msg), pk) == 0;
}

/* --- the signatures of one event --- */

void sign_entries_free(struct sign_entry *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++)
		free(e[i].by);
	free(e);
}

/* Reads one {"by","key","sig"} object into E; false (E untouched) when it
 * is not exactly that. */
static bool entry_from_json(const cJSON *o, struct sign_entry *e)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], s[crypto_sign_BYTES];
	if (!cJSON_IsObject(o) || cJSON_GetArraySize(o) != 3)
		return false;
	const cJSON *by = cJSON_GetObjectItemCaseSensitive(o, "by");
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(o, "key");
	const cJSON *sig = cJSON_GetObjectItemCaseSensitive(o, "sig");
	if (!cJSON_IsString(by) || !by->valuestring[0] || !cJSON_IsString(key) || !cJSON_IsString(sig) ||
			!hex_exact(key->valuestring, pk, sizeof(pk)) || !hex_exact(sig->valuestring, s, sizeof(s)))
		return false;
	e->by = xstrdup(by->valuestring);
	memcpy(e->key, key->valuestring, SIGN_KEY_HEX);
	memcpy(e->sig, sig->valuestring, SIGN_SIG_HEX);
	return true;
}

bool sign_entries_parse(const char *sigs, struct sign_entry **out, size_t *n, const char **why)
{
	assert(out && n);
	*out = NULL;
	*n = 0;
	const char *reason = NULL;
	if (!sigs || !sigs[0])
		goto done;
	cJSON *arr = cJSON_Parse(sigs);
	if (!cJSON_IsArray(arr)) {
		reason = "the signatures are not a JSON array";
		cJSON_Delete(arr);
		goto done;
	}
	size_t count = (size_t)cJSON_GetArraySize(arr), i = 0;
	struct sign_entry *list = count ? xcalloc(count, sizeof(*list)) : NULL;
	const cJSON *o;
	cJSON_ArrayForEach(o, arr) {
		if (!entry_from_json(o, &list[i])) {
			reason = "a signature entry lacks its \"by\", \"key\" or \"sig\" or has a malformed one";
			break;
		}
		i++;
	}
	cJSON_Delete(arr);
	if (reason) {
		sign_entries_free(list, i);
		goto done;
	}
	*out = list;
	*n = count;
done:
	if (why)
		*why = reason;
	return reason == NULL;
}

char *sign_entries_add(const char *sigs, const char *by, const struct sign_key *k, const char *hash_hex)
{
	assert(by && k);
	char sig[SIGN_SIG_HEX];
	struct sign_entry *list = NULL;
	size_t n = 0;
	if (!sign_hash(k, hash_hex, sig) || !sign_entries_parse(sigs, &list, &n, NULL))
		return NULL;
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i <= n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, o);
		cJSON_AddStringToObject(o, "by", i < n ? list[i].by : by);
		cJSON_AddStringToObject(o, "key", i < n ? list[i].key : sign_key_public(k));
		cJSON_AddStringToObject(o, "sig", i < n ? list[i].sig : sig);
	}
	sign_entries_free(list, n);
	char *text = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	if (!text)
		abort(); /* cJSON fails only when out of memory */
	char *out = xstrdup(text);
	cJSON_free(text);
	return out;
}

/* --- the key object of the engineers chain --- */

cJSON *sign_key_to_json(const char *public_hex, const struct sign_params *p)
{
	assert(public_hex && p);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "public", public_hex);
	cJSON_AddStringToObject(o, "salt", p->salt);
	cJSON_AddNumberToObject(o, "ops", (double)p->ops);
	cJSON_AddNumberToObject(o, "mem", (double)p->mem);
	return o;
}

/* An integer JSON number that a double holds exactly, into *V. */
static bool json_u64(const cJSON *n, uint64_t *v)
{
	if (!cJSON_IsNumber(n))
		return false;
	double d = n->valuedouble;
	if (!(d >= 0 && d <= 9007199254740992.0) || floor(d) != d)
		return false;
	*v = (uint64_t)d;
	return true;
}

bool sign_key_from_json(const cJSON *key, char public_hex[SIGN_KEY_HEX], struct sign_params *p, const char **why)
{
	assert(public_hex && p);
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	const char *reason = NULL;
	const cJSON *pub = cJSON_GetObjectItemCaseSensitive(key, "public");
	const cJSON *salt = cJSON_GetObjectItemCaseSensitive(key, "salt");
	struct sign_params got = {0};
	if (!cJSON_IsObject(key))
		reason = "the key is not a JSON object";
	else if (!cJSON_IsString(pub) || !hex_exact(pub->valuestring, pk, sizeof(pk)))
		reason = "the key's \"public\" is not 64 hex digits";
	else if (!cJSON_IsString(salt) || strlen(salt->valuestring) != SIGN_SALT_HEX - 1)
		reason = "the key's salt is not 32 hex digits";
	else if (!json_u64(cJSON_GetObjectItemCaseSensitive(key, "ops"), &got.ops) ||
			!json_u64(cJSON_GetObjectItemCaseSensitive(key, "mem"), &got.mem))
		reason = "the key's \"ops\" or \"mem\" is not a whole number";
	if (!reason) {
		memcpy(got.salt, salt->valuestring, SIGN_SALT_HEX);
		if (sign_params_valid(&got, &reason)) {
			memcpy(public_hex, pub->valuestring, SIGN_KEY_HEX);
			*p = got;
		}
	}
	if (why)
		*why = reason;
	return reason == NULL;
}
