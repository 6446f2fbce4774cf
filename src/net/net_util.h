/* Small pure helpers of the network module: URLs without what they may
 * hide, numbers for messages. */
#ifndef COUNTERSIGN_NET_UTIL_H
#define COUNTERSIGN_NET_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* URL without user name and password (malloc'd); URL itself when it cannot
 * be parsed. */
char *net_url_without_userinfo(const char *url);

/* A sample value for messages: 6 significant digits, "NaN", "+Inf", "-Inf". */
void net_format_number(double v, char *buf, size_t size);

#endif
