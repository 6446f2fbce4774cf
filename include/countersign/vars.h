/* Run variables: values from --var, defaults, the record and the environment. */
#ifndef COUNTERSIGN_VARS_H
#define COUNTERSIGN_VARS_H

#include <stdbool.h>

#include "countersign/checklist.h"
#include "countersign/reporter.h"

struct var_values {
	const struct checklist *cl;
	char **values;         /* parallel to cl->variables; NULL when unset */
};

/* Applies "NAME=VALUE" assignments over defaults. Prints the problem and
 * returns false for an unknown name, a malformed assignment or a value that
 * does not match the variable's pattern. */
bool vars_assign(struct var_values *v, const struct checklist *cl, const char *const *assign,
	int n, bool defaults, const struct reporter *r);
void vars_clear(struct var_values *v);

/* Fills unset variables from the recorded JSON object (non-secret values)
 * and then from the environment (secrets must come from --var or there). */
void vars_from_record(struct var_values *v, const char *json);

/* The first variable still without a value, or NULL. */
const struct checklist_variable *vars_missing(const struct var_values *v);

/* Lookup for expand_string: run variables first, then the environment. */
const char *vars_lookup(const char *name, void *data);

/* Checks every ${NAME} of the checklist resolves; prints and returns false
 * naming the first that does not. */
bool vars_check_refs(const struct var_values *v, const struct reporter *r);

/* The variables as a JSON object text with secrets as "***" (malloc'd). */
char *vars_record_json(const struct var_values *v);

/* TEXT (a description, details, an expected result, a command) as people
 * are shown it: ${NAME} of a run variable with a value is replaced by the
 * value, a secret's by "***", and $$ by $; a reference to anything else (the
 * environment, an unset variable) and malformed text stay as written. Never
 * NULL: a malloc'd string the caller frees. */
char *vars_expand_text(const struct var_values *v, const char *text);

/* NULL-terminated list of secret values that are set (borrowed strings;
 * the array is malloc'd). */
const char **vars_secrets(const struct var_values *v);

#endif
