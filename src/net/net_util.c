#include "net/net_util.h"

#include "countersign/net.h"
#include "countersign/util.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *net_url_without_userinfo(const char *url)
{
	CURLU *h = curl_url();
	char *out = NULL;
	if (h && curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
		curl_url_set(h, CURLUPART_USER, NULL, 0);
		curl_url_set(h, CURLUPART_PASSWORD, NULL, 0);
		char *s = NULL;
		if (curl_url_get(h, CURLUPART_URL, &s, 0) == CURLUE_OK) {
			out = xstrdup(s);
			curl_free(s);
		}
	}
	curl_url_cleanup(h);
	return out ? out : xstrdup(url);
}

char *net_redact_url(const char *url)
{
	CURLU *h = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL;
	char *out = NULL;
	if (h && url && curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
		curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		curl_url_get(h, CURLUPART_PORT, &port, 0);
		curl_url_get(h, CURLUPART_PATH, &path, 0);
		curl_url_get(h, CURLUPART_QUERY, &query, 0);
		/* The user info is never shown; a bare host has nothing to hide. */
		bool hidden = (path && strcmp(path, "/") != 0) || query;
		out = xasprintf("%s://%s%s%s%s", scheme, host, port ? ":" : "", port ? port : "",
			hidden ? "/***" : "");
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(h);
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
