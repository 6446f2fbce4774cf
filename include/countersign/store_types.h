/* What the record hands out and takes: engineers, run rows, filters for
 * listings and the audit trail, evidence, verification results. Layers
 * above src/run see these through session.h; only src/store and src/run
 * include store.h, which operates on them. */
#ifndef COUNTERSIGN_STORE_TYPES_H
#define COUNTERSIGN_STORE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "countersign/event.h"
#include "countersign/sign.h"

/* How a database is opened: commands that write may create it; commands that
 * only read never create, never migrate and never write, so an auditor's
 * read-only copy can be read and verified and a mistyped path is an error. */
enum store_mode {
	STORE_CREATE,     /* create when missing, migrate, read and write */
	STORE_EXISTING,   /* like STORE_CREATE, but a missing file is an error */
	STORE_READ_ONLY,  /* an existing file, read only (also a read-only file or folder) */
};

struct store_engineer {
	char *name, *full_name;
	char *pin_hash;       /* "" once the engineer has a key; an Argon2id string before (schema < 4) */
	int64_t created_us;
	char public_key[SIGN_KEY_HEX];  /* "" until the engineer has a key */
	struct sign_params key;         /* how the key is derived from the PIN */
	/* The roles the engineer holds (schema 5), sorted, each malloc'd: a
	 * cache of the engineers chain's role_granted and role_removed. */
	char **roles;
	size_t n_roles;
};
/* Frees the strings and roles of E (not E itself); NULL is a no-op. */
void store_engineer_clear(struct store_engineer *e);
/* True when E holds ROLE. */
bool store_engineer_has_role(const struct store_engineer *e, const char *role);

struct store_run_row {
	char *id;            /* short random id */
	char *checklist_id;  /* the checklist's "id" */
	char *checklist_sha;
	char *title;
	char *path;          /* checklist file path the run was started from */
	int64_t started_us;
	char nonce[EVENT_HASH_HEX]; /* random, hex; part of the chain's genesis */
	/* From the derived run table (docs/record.md), filled by store_get_run
	 * and the listings: */
	char *ended;         /* "run_completed", "run_aborted" or NULL (open) */
	const char *state;   /* "open", "completed" or "aborted" (static text) */
	int64_t ended_us;    /* time of the event that ended the run, 0 while open */
	int64_t events;      /* events in the run's chain */
	int64_t last_us;     /* time of its last event */
	char head[EVENT_HASH_HEX]; /* hash of its last event */
};
void store_run_row_clear(struct store_run_row *r);
/* Frees N rows of a listing and the array; NULL is a no-op. */
void store_run_row_array_free(struct store_run_row *rows, size_t n);

/* Which runs a listing shows; NULL or 0 fields do not filter. */
struct store_run_filter {
	const char *checklist;  /* the checklist's "id" */
	const char *state;      /* "open", "completed" or "aborted" */
	const char *engineer;   /* runs in which this engineer recorded any event */
	int64_t since_us;       /* started at or after */
	int64_t until_us;       /* started before (exclusive) */
};

/* Where a page of past runs goes on from: the last run of the page before
 * (its start and id), in the listings' order. */
struct store_run_key {
	int64_t started_us;
	const char *id;
};

struct store_evidence {
	const void *bytes;
	size_t len;
	char sha[EVENT_HASH_HEX]; /* filled by store_append */
};

/* Which events an audit shows; NULL or 0 fields do not filter. */
struct store_audit_filter {
	const char *run;        /* a run id, or EVENT_CHAIN_ENGINEERS */
	const char *engineer;   /* events by this engineer, and the engineers chain's events about them */
	const char *kind;       /* one of the EV_* kinds */
	int64_t since_us;       /* at or after */
	int64_t until_us;       /* before (exclusive) */
};
struct store_audit_entry {
	char *chain;            /* the run id or EVENT_CHAIN_ENGINEERS */
	struct event ev;
};
/* Frees N entries and the array; NULL is a no-op. */
void store_audit_entry_array_free(struct store_audit_entry *entries, size_t n);
/* Gets each entry of an audit read one at a time (valid during the call
 * only); returns false to stop. */
typedef bool (*store_audit_fn)(void *user, const struct store_audit_entry *e);

/* What verify found in one chain it checked. */
struct store_verify_chain {
	char *chain;              /* a run id, "engineers" or "registry" */
	int64_t events;
	int64_t unsigned_events;  /* events that should be signed but were recorded before signatures existed */
	char head[EVENT_HASH_HEX];
};

struct store_verify_result {
	bool ok;
	struct store_verify_chain *chains;  /* the chains checked, in order (on failure: up to the failing one) */
	size_t n_chains;
	int64_t unsigned_events;    /* the sum over CHAINS */
	int64_t events;             /* events checked */
	char head[EVENT_HASH_HEX];  /* hash of the last event of the chain checked */
	char *chain;                /* where it failed (malloc'd) or NULL */
	int64_t bad_seq;            /* the first bad event, 0 if the failure is not one event */
	char *why;                  /* malloc'd: what is wrong */
};
void store_verify_result_clear(struct store_verify_result *r);

/* What 'countersign db info' reads of a database (store_db_info). */
struct store_db_info {
	bool postgres;            /* the engine: PostgreSQL, else SQLite */
	char *location;           /* malloc'd: the location, any password removed */
	int schema;               /* the schema version; 0 for an empty database */
	char *record;             /* malloc'd record id (registry_opened), or NULL */
	int64_t engineers, runs, events;
};
void store_db_info_clear(struct store_db_info *info);

/* What a copy wrote (store_copy): rows of each table. */
struct store_copy_counts {
	int64_t checklists, engineers, runs, evidence, events;
};

#endif
