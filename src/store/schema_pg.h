/* The record's schema in PostgreSQL's dialect: the same logical schema as
 * SQLite's migrations 1 to 5 (migrations.c), created in one step on an
 * empty database. docs/postgresql.md says who runs it and with which
 * privileges; docs/postgresql-schema.sql is its text for psql -f. */
#ifndef COUNTERSIGN_STORE_SCHEMA_PG_H
#define COUNTERSIGN_STORE_SCHEMA_PG_H

#include <stddef.h>

/* The schema version the statements create (SQLite's user_version 5),
 * which the last statement writes into meta. */
#define STORE_PG_SCHEMA_VERSION 5

/* The statements that create the schema, in the order they must run, in
 * one transaction, by the role that will own the objects. Each is one SQL
 * statement without its final ';' (function bodies hold their own).
 * Returns a static array of *N static strings: nothing to free. */
const char *const *store_pg_schema(size_t *n);

#endif
