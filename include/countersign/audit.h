/* The audit trail for people and for programs: one event of the record as
 * one line of text (for `countersign audit` and the review screen's audit
 * view) or as a JSON object with every detail. Both take an entry from
 * session_audit. */
#ifndef COUNTERSIGN_AUDIT_H
#define COUNTERSIGN_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "countersign/store_types.h"

struct cJSON;

/* One line for people: "2026-11-26 19:00:03 UTC  RUN  SECTION/ITEM  ENGINEER
 * what happened: verdict or meaning — comment, reason or note". Text from
 * the record has its control characters and escape sequences made safe
 * (sanitize_text without flags: UTF-8 is kept; a caller showing it on a
 * terminal that is not UTF-8 sanitises again with SANITIZE_ASCII). No
 * newline at the end. Returns a malloc'd string; the caller frees it. */
char *audit_line(const struct store_audit_entry *e);

/* Every detail of E as a JSON object: chain, seq, time (UTC, ISO 8601),
 * time_us, actor, os_user, host, tty, kind, target, payload (the parsed
 * JSON object), prev and hash. Returns a new cJSON object the caller
 * deletes with cJSON_Delete. */
struct cJSON *audit_json(const struct store_audit_entry *e);

/* Reads a date or time as the reviewer's filters take it, in UTC:
 * "YYYY-MM-DD", "YYYY-MM-DDTHH:MM" or "YYYY-MM-DDTHH:MM:SS" (a space may
 * stand for the T), each with an optional "Z". With END false, *US is the
 * start of what TEXT names; with END true, the first microsecond after it
 * (so "--until 2026-11-26" takes in the whole day: a filter's until is
 * exclusive). Returns false for anything else, another time zone
 * included. */
bool audit_parse_date(const char *text, bool end, int64_t *us);

#endif
