/* A record as a whole, at any location: what a database holds (db info)
 * and a copy of every table from one location to another (db copy), read
 * and written through the store's SQL interface, so either side may be a
 * SQLite file or a PostgreSQL database. Only src/run uses these
 * (session_db_info, session_db_copy). */
#ifndef COUNTERSIGN_STORE_COPY_H
#define COUNTERSIGN_STORE_COPY_H

#include "countersign/store.h"
#include "countersign/store_types.h"

/* Reads LOCATION (a SQLite path or a PostgreSQL location) without writing:
 * its engine, location without password, schema version, record id and
 * how many engineers, runs and events it holds, into OUT (zeroed first;
 * clear with store_db_info_clear). An empty database is STORE_OK with
 * schema 0. On failure returns STORE_FAILED (STORE_UNAVAILABLE when a
 * server cannot be reached) with a malloc'd reason in *ERR. */
enum store_status store_db_info(const char *location, struct store_db_info *out, char **err);

/* Copies the record at FROM (read-only, one snapshot) to TO in one write
 * transaction: checklists, engineers, runs, evidence, then every event in
 * the order recorded with its exact hash, signatures and payload text; the
 * derived run table is rebuilt by TO's own trigger as the events land.
 * Chains are unchanged, so verify prints the same heads on both. TO must
 * hold no record: a SQLite file that does not exist yet (created 0600;
 * its folder must exist) or is empty, or a PostgreSQL database that is
 * empty (the schema is created, as by its owner role) or holds the schema
 * and no rows. COUNTS (may be NULL) gets the rows written.
 * STORE_CONFLICT when TO already holds a record; STORE_NOT_FOUND when FROM
 * holds none; STORE_REFUSED when TO is PostgreSQL and a row holds text
 * that is not UTF-8 (a SQLite record older than that rule; *ERR names the
 * event and its field); STORE_FAILED (STORE_UNAVAILABLE: a server cannot
 * be reached) otherwise. Nothing is written to TO unless all of it is; *ERR is a
 * malloc'd reason on failure. */
enum store_status store_copy(const char *from, const char *to, struct store_copy_counts *counts, char **err);

#endif
