/* A section's sign-off policy and a signature's roles in words, the same
 * in every report, in status and in the sign dialog. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/checklist.h"
#include "countersign/report.h"
#include "countersign/util.h"
#include "report/report_internal.h"

static void add_roles(struct strbuf *sb, const char *const *roles, size_t n)
{
	for (size_t k = 0; k < n; k++)
		strbuf_addf(sb, "%s%s", k ? ", " : "", roles[k]);
}

char *report_roles_text(const char *const *roles, size_t n)
{
	struct strbuf sb = {0};
	add_roles(&sb, roles, n);
	return sb.data ? strbuf_detach(&sb) : xstrdup("");
}

bool report_signature_rejects(const struct report_signature *so)
{
	return strcmp(so->meaning, "rejected") == 0;
}

const char *report_signature_status(const struct report_signature *so, const char *policy_meaning)
{
	if (so->stale)
		return "STALE";
	if (so->superseded)
		return "superseded";
	if (so->counted || report_signature_rejects(so))
		return "counts";
	if (so->performs)
		return "counts as performed";
	return policy_meaning && strcmp(so->meaning, policy_meaning) == 0 ? "does not count" : "recorded";
}

char *report_policy_text(const struct checklist_policy *p)
{
	assert(p);
	if (p->count <= 0)
		return xstrdup("needs no signature");
	bool review = p->meaning == MEANING_REVIEWED;
	struct strbuf sb = {0};
	strbuf_addf(&sb, "needs %d %s%s", p->count, review ? "review" : "approval", p->count == 1 ? "" : "s");
	if (p->n_roles) {
		strbuf_addstr(&sb, p->n_roles == 1 ? " · role " : " · roles ");
		add_roles(&sb, (const char *const *)p->roles, p->n_roles);
	}
	if (p->independent)
		strbuf_addstr(&sb, " · independent");
	if (p->performed)
		strbuf_addstr(&sb, " · performed by who ran it");
	return strbuf_detach(&sb);
}
