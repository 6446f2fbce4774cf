/* Loading libcurl on first use (net_curl.h). The program has one thread, so
 * the table is plain static state: filled once, read everywhere after. */
#include "net/net_curl.h"

#include "countersign/net.h"

#include <assert.h>
#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The soname of libcurl's ABI 4 (every libcurl since 7.16); the table
 * needs 7.83 or later (curl_easy_header). */
#define NET_LIBCURL "libcurl.so.4"

/* dlsym gives a void *; POSIX guarantees it can hold a function's address. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers fit a void *");

#define SYMBOL(member) { "curl_" #member, offsetof(struct net_curl, member) }
static const struct {
	const char *name;
	size_t offset;
} symbols[] = {
	SYMBOL(global_init), SYMBOL(global_cleanup), SYMBOL(free),
	SYMBOL(easy_init), SYMBOL(easy_cleanup), SYMBOL(easy_setopt), SYMBOL(easy_getinfo),
	SYMBOL(easy_strerror), SYMBOL(easy_escape), SYMBOL(easy_header),
	SYMBOL(slist_append), SYMBOL(slist_free_all),
	SYMBOL(url), SYMBOL(url_cleanup), SYMBOL(url_set), SYMBOL(url_get), SYMBOL(url_strerror),
	SYMBOL(multi_init), SYMBOL(multi_cleanup), SYMBOL(multi_setopt), SYMBOL(multi_add_handle),
	SYMBOL(multi_remove_handle), SYMBOL(multi_info_read), SYMBOL(multi_socket_action),
	SYMBOL(multi_strerror),
};
_Static_assert(sizeof(symbols) / sizeof(symbols[0]) * sizeof(void *) == sizeof(struct net_curl),
	"every member of struct net_curl has a symbol");

static struct {
	char library[4096];   /* what dlopen is given; "" until set or loaded */
	bool tried;
	bool loaded;
	struct net_curl table;
	char error[4096 + 512];
} lib;

void net_set_libcurl(const char *path)
{
	assert(path && !lib.tried);
	snprintf(lib.library, sizeof(lib.library), "%s", path);
}

/* Fills the table from HANDLE; false with lib.error set when a symbol is
 * missing (a libcurl older than the table needs). */
static bool resolve(void *handle, const char *name)
{
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		(void)dlerror();
		void *fn = dlsym(handle, symbols[i].name);
		if (!fn) {
			const char *why = dlerror();
			snprintf(lib.error, sizeof(lib.error), "libcurl (%s): %s (libcurl 7.83 or later is needed)",
				name, why ? why : symbols[i].name);
			return false;
		}
		memcpy((char *)&lib.table + symbols[i].offset, &fn, sizeof(fn));
	}
	return true;
}

const struct net_curl *net_curl_load(void)
{
	if (lib.tried)
		return lib.loaded ? &lib.table : NULL;
	lib.tried = true;
	const char *name = lib.library[0] ? lib.library : NET_LIBCURL;
	/* RTLD_NOW: a missing dependency of libcurl shows here, as this
	 * error, rather than as a crash in the middle of a check. */
	void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		const char *why = dlerror();
		snprintf(lib.error, sizeof(lib.error), "libcurl (%s): %s", name, why ? why : "cannot be loaded");
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

const struct net_curl *net_curl(void)
{
	assert(lib.loaded);
	return &lib.table;
}

const char *net_libcurl_error(void)
{
	return net_curl_load() ? NULL : lib.error;
}
