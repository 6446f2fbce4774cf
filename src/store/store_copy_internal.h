/* Shared by store_copy.c and store_copy_schema.c: a database's schema
 * version, and the schema a copy writes into. */
#ifndef COUNTERSIGN_STORE_COPY_INTERNAL_H
#define COUNTERSIGN_STORE_COPY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "countersign/store.h"
#include "db.h"

/* Runs SQL (no parameters) whose first row's first column is an integer,
 * into *OUT (0 when there is no row). */
enum db_rc store_copy_query_int(struct db *db, const char *sql, int64_t *out);

/* The schema version of DB (SQLite: user_version; PostgreSQL: meta, 0
 * without it) and whether it holds any table at all. */
enum db_rc store_copy_schema_of(struct db *db, int *schema, bool *tables);

/* Inside TO's write transaction: makes TO a database at this program's
 * schema version that holds no record. An empty database gets the schema
 * (SQLite: exactly the tables, indexes and triggers the migrations leave,
 * as sqlite_schema keeps their text; PostgreSQL: store_pg_schema()); one
 * at the version with no rows is used as it is. STORE_CONFLICT when TO
 * holds a record, STORE_FAILED (or STORE_UNAVAILABLE) otherwise, with a
 * malloc'd reason in *ERR. */
enum store_status store_copy_prepare_target(struct db *to, char **err);

#endif
