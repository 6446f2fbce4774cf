#include "net/net_util.h"
#include "net/net_curl.h"

#include "countersign/net.h"
#include "countersign/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *net_url_without_userinfo(const char *url)
{
	const struct net_curl *c = net_curl_load();
	if (!c) /* nothing can tell the user info apart: show none of it */
		return xstrdup("***");
	CURLU *h = c->url();
	char *out = NULL;
	if (h && c->url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
		c->url_set(h, CURLUPART_USER, NULL, 0);
		c->url_set(h, CURLUPART_PASSWORD, NULL, 0);
		char *s = NULL;
		if (c->url_get(h, CURLUPART_URL, &s, 0) == CURLUE_OK) {
			out = xstrdup(s);
			c->free(s);
		}
	}
	c->url_cleanup(h);
	return out ? out : xstrdup(url);
}

char *net_redact_url(const char *url)
{
	const struct net_curl *c = net_curl_load();
	if (!c)
		return xstrdup("***");
	CURLU *h = c->url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL;
	char *out = NULL;
	if (h && url && c->url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
		c->url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		c->url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		c->url_get(h, CURLUPART_PORT, &port, 0);
		c->url_get(h, CURLUPART_PATH, &path, 0);
		c->url_get(h, CURLUPART_QUERY, &query, 0);
		/* The user info is never shown; a bare host has nothing to hide. */
		bool hidden = (path && strcmp(path, "/") != 0) || query;
		out = xasprintf("%s://%s%s%s%s", scheme, host, port ? ":" : "", port ? port : "",
			hidden ? "/***" : "");
	}
	c->free(scheme);
	c->free(host);
	c->free(port);
	c->free(path);
	c->free(query);
	c->url_cleanup(h);
	return out ? out : xstrdup("***");
}

void net_format_number(double v, char *buf, size_t size)
{
	if (isnan(v))
		snprintf(buf, size, "NaN");
	else if (isinf(v))
		snprintf(buf, size, "%sInf", v > 0 ? "+" : "-");
	else
		snprintf(buf, size, "%.6g", v);
}
