/* Engineers' signing keys: an Ed25519 key pair derived from the PIN with
 * Argon2id (libsodium crypto_pwhash, then crypto_sign_seed_keypair), and
 * the signatures events carry. Only the public half and the derivation
 * parameters are ever stored; docs/record.md describes the formats. */
#ifndef COUNTERSIGN_SIGN_H
#define COUNTERSIGN_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGN_SALT_HEX 33   /* 16 random bytes as lowercase hex, and a NUL */
#define SIGN_KEY_HEX 65    /* an Ed25519 public key (32 bytes) as hex, and a NUL */
#define SIGN_SIG_HEX 129   /* an Ed25519 signature (64 bytes) as hex, and a NUL */

/* How a key is derived from a PIN (public: stored in the engineers table
 * and in the engineers chain). */
struct sign_params {
	char salt[SIGN_SALT_HEX];
	uint64_t ops;   /* Argon2id opslimit */
	uint64_t mem;   /* Argon2id memlimit, in bytes */
};

/* An unlocked key: the secret half lives in sodium_malloc'd memory and is
 * wiped by sign_key_destroy. */
struct sign_key;

/* Fresh parameters: a random salt and the cost pin_set_cost selected
 * (libsodium's "interactive" level by default). */
void sign_params_new(struct sign_params *p);

/* True when P names a salt of 32 hex digits and a cost within libsodium's
 * bounds and no higher than its "sensitive" level (so that a doctored
 * record cannot make a PIN check take minutes or gigabytes); else false
 * with a static reason in *WHY. */
bool sign_params_valid(const struct sign_params *p, const char **why);

/* Derives the key of PIN under P. Returns the key (free with
 * sign_key_destroy) or NULL with a static reason in *WHY (invalid
 * parameters, out of memory). */
struct sign_key *sign_key_derive(const char *pin, const struct sign_params *p, const char **why);
/* Wipes and frees K; NULL is a no-op. */
void sign_key_destroy(struct sign_key *k);
/* K's public key as lowercase hex (borrowed, valid while K lives). */
const char *sign_key_public(const struct sign_key *k);

/* Signs the 32 bytes HASH_HEX (an event's hash, 64 hex digits) encodes,
 * into SIG as lowercase hex. False when HASH_HEX is not 64 hex digits. */
bool sign_hash(const struct sign_key *k, const char *hash_hex, char sig[SIGN_SIG_HEX]);
/* True when SIG_HEX is a valid signature by PUBLIC_HEX over the 32 bytes
 * HASH_HEX encodes; false for any malformed input. */
bool sign_verify(const char *public_hex, const char *hash_hex, const char *sig_hex);

/* --- the signatures of one event (events.sigs) --- *
 * Stored as "" (unsigned) or a JSON array of
 * {"by": NAME, "key": PUBLIC_HEX, "sig": SIG_HEX}, in signing order. */
struct sign_entry {
	char *by;
	char key[SIGN_KEY_HEX];
	char sig[SIGN_SIG_HEX];
};
/* Parses SIGS (NULL or "" is an empty list) into *OUT and *N (free with
 * sign_entries_free). False, with a static reason in *WHY, when it is not
 * such a list (an entry without its three fields, a key or signature that is
 * not hex of the right length). */
bool sign_entries_parse(const char *sigs, struct sign_entry **out, size_t *n, const char **why);
/* Frees N entries and the array; NULL is a no-op. */
void sign_entries_free(struct sign_entry *e, size_t n);
/* Returns SIGS (NULL or "": none) with one more entry: BY's signature with
 * K over HASH_HEX, as malloc'd text the caller frees; NULL when HASH_HEX is
 * not 64 hex digits or SIGS does not parse. */
char *sign_entries_add(const char *sigs, const char *by, const struct sign_key *k, const char *hash_hex);

/* The key object of the engineers chain's events:
 * {"public": HEX, "salt": HEX, "ops": N, "mem": N}. Returns a new cJSON
 * object (the caller adds it to a payload or deletes it). */
struct cJSON;
struct cJSON *sign_key_to_json(const char *public_hex, const struct sign_params *p);
/* Reads such an object into PUBLIC_HEX and P. False, with a static reason
 * in *WHY, when KEY is not an object with those four fields well formed
 * (P must also pass sign_params_valid). */
bool sign_key_from_json(const struct cJSON *key, char public_hex[SIGN_KEY_HEX], struct sign_params *p,
	const char **why);

#endif
