/* Loading libpq on first use (db_pq.h). The program has one thread, so the
 * table is plain static state: filled once, read everywhere after. */
#include "db_pq.h"

#include <assert.h>
#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "countersign/store.h"

/* The soname of libpq's ABI 5 (every libpq since PostgreSQL 8.2; the table
 * needs 9.0 or later: PQconnectdbParams). */
#define DB_LIBPQ "libpq.so.5"

/* dlsym gives a void *; POSIX guarantees it can hold a function's address. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers fit a void *");

#define SYMBOL(name) { #name, offsetof(struct db_pq, name) }
static const struct {
	const char *name;
	size_t offset;
} symbols[] = {
	SYMBOL(PQbackendPID), SYMBOL(PQclear), SYMBOL(PQcmdStatus), SYMBOL(PQcmdTuples),
	SYMBOL(PQconnectdbParams), SYMBOL(PQconnectionNeedsPassword), SYMBOL(PQconninfoFree),
	SYMBOL(PQconninfoParse), SYMBOL(PQconsumeInput), SYMBOL(PQerrorMessage), SYMBOL(PQexec),
	SYMBOL(PQexecParams), SYMBOL(PQfinish), SYMBOL(PQfreemem), SYMBOL(PQftype),
	SYMBOL(PQgetisnull), SYMBOL(PQgetlength), SYMBOL(PQgetvalue), SYMBOL(PQnfields),
	SYMBOL(PQnotifies), SYMBOL(PQntuples), SYMBOL(PQreset), SYMBOL(PQresultErrorField),
	SYMBOL(PQresultErrorMessage), SYMBOL(PQresultStatus), SYMBOL(PQsetNoticeProcessor),
	SYMBOL(PQsocket), SYMBOL(PQstatus), SYMBOL(PQtransactionStatus), SYMBOL(PQunescapeBytea),
};
_Static_assert(sizeof(symbols) / sizeof(symbols[0]) * sizeof(void *) == sizeof(struct db_pq),
	"every member of struct db_pq has a symbol");

static struct {
	char library[4096];   /* what dlopen is given; "" until set */
	bool tried;
	bool loaded;
	struct db_pq table;
	char error[4096 + 512];
} lib;

void store_set_libpq(const char *path)
{
	assert(path && !lib.tried);
	snprintf(lib.library, sizeof(lib.library), "%s", path);
}

/* Fills the table from HANDLE; false with lib.error set when a symbol is
 * missing (a libpq older than the table needs, or another library). */
static bool resolve(void *handle, const char *name)
{
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		(void)dlerror();
		void *fn = dlsym(handle, symbols[i].name);
		if (!fn) {
			const char *why = dlerror();
			snprintf(lib.error, sizeof(lib.error), "PostgreSQL locations need libpq (%s): %s "
				"(libpq 9.0 or later is needed)", name, why ? why : symbols[i].name);
			return false;
		}
		memcpy((char *)&lib.table + symbols[i].offset, &fn, sizeof(fn));
	}
	return true;
}

const struct db_pq *db_pq_load(void)
{
	if (lib.tried)
		return lib.loaded ? &lib.table : NULL;
	lib.tried = true;
	const char *name = lib.library[0] ? lib.library : DB_LIBPQ;
	/* RTLD_NOW: a missing dependency of libpq shows here, as this error,
	 * rather than as a crash in the middle of a transaction. */
	void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		const char *why = dlerror();
		snprintf(lib.error, sizeof(lib.error), "PostgreSQL locations need libpq (%s): %s", name,
			why ? why : "cannot be loaded");
		return NULL;
	}
	if (!resolve(handle, name)) {
		memset(&lib.table, 0, sizeof(lib.table));
		dlclose(handle);
		return NULL;
	}
	lib.loaded = true;
	return &lib.table;
}

const char *db_pq_error(void)
{
	assert(lib.tried && !lib.loaded);
	return lib.error;
}

const struct db_pq *db_pq(void)
{
	assert(lib.loaded);
	return &lib.table;
}
