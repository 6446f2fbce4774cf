/* Loading a shared library on first use (countersign/dynlib.h). */
#include "countersign/dynlib.h"

#include <assert.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* dlsym gives a void *; POSIX guarantees it can hold a function's address. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers fit a void *");

void dynlib_set_path(struct dynlib *lib, const char *path)
{
	assert(lib && path && !lib->tried);
	snprintf(lib->path, sizeof(lib->path), "%s", path);
}

/* Fills LIB's table from HANDLE; false with the error set when a symbol is
 * missing (an older library than the table needs, or another library). */
static bool resolve(struct dynlib *lib, void *handle, const char *name)
{
	for (size_t i = 0; i < lib->n_symbols; i++) {
		(void)dlerror();
		void *fn = dlsym(handle, lib->symbols[i].name);
		if (!fn) {
			const char *why = dlerror();
			snprintf(lib->error, sizeof(lib->error), "%s (%s): %s (%s)", lib->what, name,
				why ? why : lib->symbols[i].name, lib->needs);
			return false;
		}
		memcpy((char *)lib->table + lib->symbols[i].offset, &fn, sizeof(fn));
	}
	return true;
}

bool dynlib_load(struct dynlib *lib)
{
	assert(lib && lib->soname && lib->what && lib->needs && lib->table);
	if (lib->tried)
		return lib->loaded;
	lib->tried = true;
	const char *name = lib->path[0] ? lib->path : lib->soname;
	/* RTLD_NOW: a missing dependency of the library shows here, as this
	 * error, rather than as a crash in the middle of a check or a
	 * transaction. */
	void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		const char *why = dlerror();
		snprintf(lib->error, sizeof(lib->error), "%s (%s): %s", lib->what, name, why ? why : "cannot be loaded");
		return false;
	}
	if (!resolve(lib, handle, name)) {
		for (size_t i = 0; i < lib->n_symbols; i++)
			memset((char *)lib->table + lib->symbols[i].offset, 0, sizeof(void *));
		dlclose(handle);
		return false;
	}
	lib->loaded = true;
	return true;
}

const char *dynlib_error(const struct dynlib *lib)
{
	assert(lib && lib->tried && !lib->loaded);
	return lib->error;
}
