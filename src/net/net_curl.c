/* Loading libcurl on first use (net_curl.h). The program has one thread, so
 * the table is plain static state: filled once, read everywhere after. */
#include "net/net_curl.h"

#include "countersign/dynlib.h"
#include "countersign/net.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The soname of libcurl's ABI 4 (every libcurl since 7.16); the table
 * needs 7.83 or later (curl_easy_header). */
#define NET_LIBCURL "libcurl.so.4"

#define SYMBOL(member) { "curl_" #member, offsetof(struct net_curl, member) }
static const struct dynlib_symbol symbols[] = {
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

static struct net_curl table;
static struct dynlib lib = {
	.soname = NET_LIBCURL,
	.what = "libcurl",
	.needs = "libcurl 7.83 or later is needed",
	.symbols = symbols,
	.n_symbols = sizeof(symbols) / sizeof(symbols[0]),
	.table = &table,
};

void net_set_libcurl(const char *path)
{
	dynlib_set_path(&lib, path);
}

const struct net_curl *net_curl_load(void)
{
	return dynlib_load(&lib) ? &table : NULL;
}

const struct net_curl *net_curl(void)
{
	assert(lib.loaded);
	return &table;
}

const char *net_libcurl_error(void)
{
	return net_curl_load() ? NULL : dynlib_error(&lib);
}
