/* Shared state of the checklist loader's passes. Internal to src/core. */
#ifndef COUNTERSIGN_LOADER_CTX_H
#define COUNTERSIGN_LOADER_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "countersign/checklist.h"
#include "countersign/util.h"
#include "jsonpos.h"

struct lctx {
	struct diag_list *diags;
	struct jpos pos;
	struct strbuf path;     /* JSON path of what is being read */
	struct checklist *cl;
	/* The top level's "signoffs" and "signoff_within": what a section
	 * without its own gets (loader_policy.c). */
	struct checklist_policy default_policy;
	int64_t default_within_ms;
};

/* Reports at NODE (its key when AT_KEY), under the current path. */
void lctx_report(struct lctx *c, enum diag_severity sev, const cJSON *node, bool at_key,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Reports at byte OFF of the decoded string NODE. */
void lctx_report_in_string(struct lctx *c, enum diag_severity sev, const cJSON *node,
	size_t off, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Appends ".KEY" or "[I]" to the path; returns the length to restore with lctx_leave. */
size_t lctx_enter_key(struct lctx *c, const char *key);
size_t lctx_enter_index(struct lctx *c, size_t i);
void lctx_leave(struct lctx *c, size_t saved);

/* "a string", "a number", ...: for "must be X, not Y" messages. */
const char *lctx_type_name(const cJSON *node);

/* Field readers. Each looks KEY up in OBJ; a missing field leaves *OUT as it
 * was and reports an error only when REQUIRED. A wrong type is an error at the
 * value. Strings are copied into *OUT (freeing what was there). Return true
 * when the field was present and valid. */
bool get_string(struct lctx *c, const cJSON *obj, const char *key, bool required, char **out);
bool get_bool(struct lctx *c, const cJSON *obj, const char *key, bool *out);
bool get_int(struct lctx *c, const cJSON *obj, const char *key, int lo, int hi, int *out);
bool get_number(struct lctx *c, const cJSON *obj, const char *key, double *out);
bool get_duration(struct lctx *c, const cJSON *obj, const char *key, bool required, int64_t *out);
bool get_range(struct lctx *c, const cJSON *obj, const char *key, int64_t *lo, int64_t *hi);
bool get_string_array(struct lctx *c, const cJSON *obj, const char *key, char ***out, size_t *n);
bool get_kv(struct lctx *c, const cJSON *obj, const char *key, struct checklist_kv_list *out);
/* An id matching ^[a-z0-9][a-z0-9-]*$. */
bool get_id(struct lctx *c, const cJSON *obj, const char *key, bool required, char **out);
/* A POSIX extended regex within regex_check's bounds that compiles. */
bool get_regex(struct lctx *c, const cJSON *obj, const char *key, char **out);

/* Checks ${NAME} references in the string NODE: malformed ones are errors,
 * undeclared names warnings. */
void check_refs(struct lctx *c, const cJSON *node);

/* Sign-off policies, in loader_policy.c: the top level's defaults, then
 * each section's own (read once its "gate" and "always_open" are known). */
void load_policy_defaults(struct lctx *c, const cJSON *root);
void load_section_policy(struct lctx *c, const cJSON *obj, struct checklist_section *s);
/* Frees P's roles and resets it to the format's default (count 2, approved). */
void lctx_policy_clear(struct checklist_policy *p);

/* Item validation, in loader_item.c. */
void load_item(struct lctx *c, const cJSON *obj, struct checklist_item *it);

#endif
