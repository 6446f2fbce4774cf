/* Prints the PostgreSQL schema (store_pg_schema) as a psql script: each
 * statement followed by ";" and a blank line. docs/postgresql-schema.sql is
 * this output, which test_privileges.sh checks and applies. */
#include <stdio.h>

#include "store/schema_pg.h"

int main(void)
{
	size_t n = 0;
	const char *const *sql = store_pg_schema(&n);
	printf("-- countersign: the record's schema on PostgreSQL, version %d.\n"
		"-- Generated from src/store/schema_pg.c; run it as the owner role, in one transaction:\n"
		"--   psql -v ON_ERROR_STOP=1 --single-transaction -f postgresql-schema.sql\n\n",
		STORE_PG_SCHEMA_VERSION);
	for (size_t i = 0; i < n; i++)
		printf("%s;\n\n", sql[i]);
	return ferror(stdout) || fflush(stdout) != 0;
}
