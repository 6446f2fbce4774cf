/* vars_expand_text: what people are shown of a text with ${NAME} in it. */
#include <stdlib.h>
#include <string.h>

#include "countersign/checklist.h"
#include "countersign/diag.h"
#include "countersign/vars.h"
#include "../check.h"

static const char doc[] =
	"{\"countersign\": 1, \"id\": \"v\", \"title\": \"V\", \"variables\": ["
	"{\"name\": \"VERSION\", \"default\": \"v1.2.3\"},"
	"{\"name\": \"TOKEN\", \"secret\": true},"
	"{\"name\": \"UNSET\"}],"
	"\"sections\": [{\"id\": \"s\", \"title\": \"S\"}]}";

static void expect_text(const struct var_values *v, const char *text, const char *want)
{
	char *got = vars_expand_text(v, text);
	CHECK_STR(got, want);
	free(got);
}

int main(void)
{
	struct diag_list d;
	diag_list_init(&d, "v.json");
	struct checklist *cl = checklist_load_text("v.json", doc, strlen(doc), &d);
	CHECK(cl != NULL);
	if (!cl)
		return check_report();
	struct var_values v = {0};
	const char *assign[] = {"TOKEN=s3cret"};
	CHECK(vars_assign(&v, cl, assign, 1, true, NULL));
	setenv("COUNTERSIGN_TEST_ENV_VALUE", "from-the-environment", 1);

	expect_text(&v, "Docker images for ${VERSION}.", "Docker images for v1.2.3.");
	expect_text(&v, "${VERSION}${VERSION}", "v1.2.3v1.2.3");
	/* a secret is never shown */
	expect_text(&v, "Bearer ${TOKEN}", "Bearer ***");
	/* what is not a run variable with a value stays as written: an unset
	 * one, and the environment (a webhook URL may be a secret) */
	expect_text(&v, "pod ${UNSET} at ${COUNTERSIGN_TEST_ENV_VALUE}", "pod ${UNSET} at ${COUNTERSIGN_TEST_ENV_VALUE}");
	/* $$ is a literal $; a plain $NAME is the shell's */
	expect_text(&v, "cost $$5, exit $fail, ${VERSION}", "cost $5, exit $fail, v1.2.3");
	/* malformed text is shown as written */
	expect_text(&v, "${VERSION} and ${", "${VERSION} and ${");
	expect_text(&v, "", "");
	expect_text(&v, NULL, "");

	vars_clear(&v);
	checklist_destroy(cl);
	diag_list_clear(&d);
	return check_report();
}
