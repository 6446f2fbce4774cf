/* Loading libpq on first use (db_pq.h). The program has one thread, so the
 * table is plain static state: filled once, read everywhere after. */
#include "db_pq.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "countersign/dynlib.h"
#include "countersign/store.h"

/* The soname of libpq's ABI 5 (every libpq since PostgreSQL 8.2; the table
 * needs 9.0 or later: PQconnectdbParams). */
#define DB_LIBPQ "libpq.so.5"

#define SYMBOL(name) { #name, offsetof(struct db_pq, name) }
static const struct dynlib_symbol symbols[] = {
	SYMBOL(PQbackendPID), SYMBOL(PQclear), SYMBOL(PQcmdStatus), SYMBOL(PQcmdTuples),
	SYMBOL(PQconnectdbParams), SYMBOL(PQconnectionNeedsPassword), SYMBOL(PQconninfoFree),
	SYMBOL(PQconninfoParse), SYMBOL(PQconsumeInput), SYMBOL(PQerrorMessage),
	SYMBOL(PQfinish), SYMBOL(PQfreemem), SYMBOL(PQftype),
	SYMBOL(PQgetisnull), SYMBOL(PQgetlength), SYMBOL(PQgetvalue), SYMBOL(PQnfields),
	SYMBOL(PQnotifies), SYMBOL(PQntuples), SYMBOL(PQreset), SYMBOL(PQresultErrorField),
	SYMBOL(PQresultErrorMessage), SYMBOL(PQresultStatus), SYMBOL(PQsetNoticeProcessor),
	SYMBOL(PQsocket), SYMBOL(PQstatus), SYMBOL(PQtransactionStatus), SYMBOL(PQunescapeBytea),
	SYMBOL(PQflush), SYMBOL(PQgetResult), SYMBOL(PQisBusy), SYMBOL(PQsendQuery),
	SYMBOL(PQsendQueryParams), SYMBOL(PQsetnonblocking), SYMBOL(PQconnectPoll),
	SYMBOL(PQconnectStartParams),
};
_Static_assert(sizeof(symbols) / sizeof(symbols[0]) * sizeof(void *) == sizeof(struct db_pq),
	"every member of struct db_pq has a symbol");

static struct db_pq table;
static struct dynlib lib = {
	.soname = DB_LIBPQ,
	.what = "PostgreSQL locations need libpq",
	.needs = "libpq 9.0 or later is needed",
	.symbols = symbols,
	.n_symbols = sizeof(symbols) / sizeof(symbols[0]),
	.table = &table,
};

void store_set_libpq(const char *path)
{
	dynlib_set_path(&lib, path);
}

const struct db_pq *db_pq_load(void)
{
	return dynlib_load(&lib) ? &table : NULL;
}

const char *db_pq_error(void)
{
	return dynlib_error(&lib);
}

const struct db_pq *db_pq(void)
{
	assert(lib.loaded);
	return &table;
}
