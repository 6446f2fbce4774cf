/* The audit trail for people and for programs: one event of the record as
 * one line of text (for `countersign audit` and the review screen's audit
 * view) or as a JSON object with every detail. Both take an entry from
 * session_audit. */
#ifndef COUNTERSIGN_AUDIT_H
#define COUNTERSIGN_AUDIT_H

#include "countersign/store.h"

struct cJSON;

/* One line for people: "2026-11-26 19:00:03 UTC  RUN  SECTION/ITEM  ENGINEER
 * what happened: verdict or meaning — comment, reason or note". Text from
 * the record has its control characters and escape sequences made safe
 * (sanitize_text without flags: UTF-8 is kept; a caller showing it on a
 * terminal that is not UTF-8 sanitises again with SANITIZE_ASCII). No
 * newline at the end. Returns a malloc'd string; the caller frees it. */
char *audit_line(const struct audit_entry *e);

/* Every detail of E as a JSON object: chain, seq, time (UTC, ISO 8601),
 * time_us, actor, os_user, host, tty, kind, target, payload (the parsed
 * JSON object), prev and hash. Returns a new cJSON object the caller
 * deletes with cJSON_Delete. */
struct cJSON *audit_json(const struct audit_entry *e);

#endif
