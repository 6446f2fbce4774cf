/* Loading a shared library on first use: libcurl for network checks and
 * webhooks (src/net), libpq for PostgreSQL locations (src/store). A command
 * that needs neither maps neither library nor its dependencies. The caller
 * keeps one static struct dynlib per library and a table of function
 * pointers that the symbols fill; the program has one thread, so that state
 * is filled once and read everywhere after. */
#ifndef COUNTERSIGN_DYNLIB_H
#define COUNTERSIGN_DYNLIB_H

#include <stdbool.h>
#include <stddef.h>

/* One function: its name in the library and where its pointer goes in the
 * caller's table (offsetof). */
struct dynlib_symbol {
	const char *name;
	size_t offset;
};

struct dynlib {
	/* Set by the caller (static initialiser). */
	const char *soname;    /* what dlopen is given unless dynlib_set_path said otherwise */
	const char *what;      /* starts each error: "libcurl", "PostgreSQL locations need libpq" */
	const char *needs;     /* what a missing symbol means: "libcurl 7.83 or later is needed" */
	const struct dynlib_symbol *symbols;
	size_t n_symbols;
	void *table;           /* n_symbols pointers, filled by dynlib_load */
	/* Kept by dynlib_load. */
	char path[4096];
	bool tried;
	bool loaded;
	char error[4096 + 512];
};

/* Loads LIB from PATH instead of its soname (a test hook); only before the
 * first dynlib_load. PATH is copied. */
void dynlib_set_path(struct dynlib *lib, const char *path);

/* Loads LIB and fills its table on the first call; later calls give the same
 * answer without trying again. Returns true when the table is usable; false
 * with dynlib_error saying why (the library or one of its symbols missing).
 * The library stays loaded until the program exits; nothing to free. */
bool dynlib_load(struct dynlib *lib);

/* Why dynlib_load failed ("libcurl (libcurl.so.4): ..."), owned by LIB;
 * only after it failed. */
const char *dynlib_error(const struct dynlib *lib);

#endif
