/* libcurl, loaded when the first network check, webhook or URL helper needs
 * it rather than when the program starts: a command check, `status` or
 * `--version` then maps none of libcurl's thirty-odd dependencies (TLS,
 * Kerberos, LDAP, SSH...). The program is compiled against libcurl's headers
 * only and calls it through this table, filled by dlsym from libcurl.so.4.
 * Every curl_* function the network module calls is here; a new one needs a
 * member and a line in net_curl.c's symbol list. */
#ifndef COUNTERSIGN_NET_CURL_H
#define COUNTERSIGN_NET_CURL_H

#include <curl/curl.h>

/* Members are named after the function without "curl_" (not after the
 * function itself: curl/typecheck-gcc.h makes some of those names macros).
 * __typeof__ keeps each pointer's type exactly the header's declaration. */
struct net_curl {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_global_cleanup) *global_cleanup;
	__typeof__(curl_free) *free;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_easy_escape) *easy_escape;
	__typeof__(curl_easy_header) *easy_header;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
	__typeof__(curl_url) *url;
	__typeof__(curl_url_cleanup) *url_cleanup;
	__typeof__(curl_url_set) *url_set;
	__typeof__(curl_url_get) *url_get;
	__typeof__(curl_url_strerror) *url_strerror;
	__typeof__(curl_multi_init) *multi_init;
	__typeof__(curl_multi_cleanup) *multi_cleanup;
	__typeof__(curl_multi_setopt) *multi_setopt;
	__typeof__(curl_multi_add_handle) *multi_add_handle;
	__typeof__(curl_multi_remove_handle) *multi_remove_handle;
	__typeof__(curl_multi_info_read) *multi_info_read;
	__typeof__(curl_multi_socket_action) *multi_socket_action;
	__typeof__(curl_multi_strerror) *multi_strerror;
};

/* The table, loading libcurl on the first call; later calls give the same
 * answer without trying again. Returns NULL when libcurl cannot be loaded
 * (net_libcurl_error says why). The table and the library stay until the
 * program exits; nothing to free. */
const struct net_curl *net_curl_load(void);

/* The table, for code that runs only after net_curl_load succeeded (inside
 * a struct net, or on a URL a net job already parsed); asserts that. */
const struct net_curl *net_curl(void);

#endif
