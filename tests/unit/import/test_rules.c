/* The text conventions of Markdown runbooks (src/import/import_rules.h),
 * one table per function: the NOA runbook's own lines
 * (../shared/runbooks/noa-server-deploy.md) and how other teams write
 * runbooks (kubectl, oc, helm, psql, gcloud, aws; console transcripts with
 * prompts and output; <PLACEHOLDER>s and $VARS). The last cases of each
 * table are hostile input that must stay fast. */
#include "../check.h"

#include "import_rules.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "countersign/duration.h"
#include "countersign/expand.h"
#include "countersign/util.h"

#define N(a) (sizeof (a) / sizeof (a)[0])

/* CHECK_STR with the case's input in the message. */
#define CHECK_CASE(got, want, input) do { \
	const char *g_ = (got), *w_ = (want); \
	bool same_ = (g_ == NULL && w_ == NULL) || (g_ && w_ && strcmp(g_, w_) == 0); \
	if (same_) { check_passed++; } else { check_failed++; \
		fprintf(stderr, "%s:%d: for \"%s\"\n  got:  %s\n  want: %s\n", __FILE__, __LINE__, (input), \
			g_ ? g_ : "(null)", w_ ? w_ : "(null)"); } \
} while (0)

#define CHECK_BOOL(got, want, input) do { \
	bool g_ = (got), w_ = (want); \
	if (g_ == w_) { check_passed++; } else { check_failed++; \
		fprintf(stderr, "%s:%d: for \"%s\": got %s, want %s\n", __FILE__, __LINE__, (input), \
			g_ ? "true" : "false", w_ ? "true" : "false"); } \
} while (0)

static const char *kind_name(enum import_heading_kind k)
{
	return k == IMPORT_HEADING_ROLLBACK ? "rollback" : k == IMPORT_HEADING_REFERENCE ? "reference" : "plain";
}

static void test_heading_kind(void)
{
	static const struct { const char *title, *kind; } cases[] = {
		/* NOA's headings */
		{"NOA Server Deployment Runbook", "plain"},
		{"Overview", "plain"},
		{"Table of Contents", "reference"},
		{"Pre-Deployment Checklist", "plain"},
		{"Code Quality Validation", "plain"},
		{"Backup and Recovery", "plain"},
		{"Communication and Scheduling", "plain"},
		{"Deployment Procedures", "plain"},
		{"Standard Deployment (Blue-Green)", "plain"},
		{"Step 6: Decommission Blue Environment (After 24 hours)", "plain"},
		{"Rolling Update Deployment", "plain"},
		{"Post-Deployment Verification", "plain"},
		{"Error Rate Monitoring (First Hour Critical)", "plain"},
		{"Rollback Procedures", "rollback"},
		{"When to Rollback", "rollback"},
		{"Blue-Green Rollback (Immediate)", "rollback"},
		{"Canary Rollback", "rollback"},
		{"Rolling Update Rollback", "rollback"},
		{"Database Rollback", "rollback"},
		{"Post-Rollback Verification", "rollback"},
		{"Emergency Procedures", "rollback"},
		{"Complete System Outage", "plain"},
		{"Deployment Checklist Summary", "plain"},
		{"24 Hours After Deployment", "plain"},
		{"Useful Commands Reference", "reference"},
		{"Related Documentation", "reference"},
		{"Support Contacts", "reference"},
		/* other teams */
		{"Roll back", "rollback"},
		{"Roll-back plan", "rollback"},
		{"Backout Plan", "rollback"},
		{"Back out the change", "rollback"},
		{"Disaster Recovery", "rollback"},
		{"Recovery", "rollback"},
		{"Recovery steps", "rollback"},
		{"Incident Response", "rollback"},
		{"Revert", "rollback"},
		{"EMERGENCY: database down", "rollback"},
		{"Contents", "reference"},
		{"TOC", "reference"},
		{"See also", "reference"},
		{"References", "reference"},
		{"Quick Reference", "reference"},
		{"Command reference", "reference"},
		{"Appendix A: Error codes", "reference"},
		{"Glossary", "reference"},
		{"Useful links", "reference"},
		{"Escalation contacts", "reference"},
		{"Further reading", "reference"},
		{"FAQ", "reference"},
		{"Change log", "reference"},
		{"Build", "plain"},
		{"3. Deploy", "plain"},
		{"Step 0.1", "plain"},
		{"Check recovery point objective", "plain"},
		{"Contact-free deploy", "plain"},
		{"Rolling restart", "plain"},
		{"Linkerd install", "plain"},
		{"", "plain"},
		{"***", "plain"},
		{"Ünïcödé — Rollback ✓", "rollback"},
		{"Troubleshooting", "rollback"},
		{"Known Issues", "reference"},
		{"Rollout Status", "plain"},
	};
	for (size_t i = 0; i < N(cases); i++)
		CHECK_CASE(kind_name(import_heading_kind(cases[i].title)), cases[i].kind, cases[i].title);
}

static void test_heading_optional(void)
{
	static const struct { const char *title; bool optional; } cases[] = {
		{"OPTIONAL Step 3", true},
		{"Optional Step 3: Warm the cache", true},
		{"Step 4 (optional)", true},
		{"Step 4 (Optional)", true},
		{"Step 4 [optional]", true},
		{"Optional: notify the data team", true},
		{"optional - seed demo data", true},
		{"Step 5 - optional", true},
		{"_Optional_ step: prune images", true},
		{"Configure optional features", false},
		{"Optionally", false},
		{"Step 3: Smoke Test Green Environment (5 minutes)", false},
		{"Options", false},
		{"Optionality review", false},
		{"", false},
		{"(optional", true},
	};
	for (size_t i = 0; i < N(cases); i++)
		CHECK_BOOL(import_heading_optional(cases[i].title), cases[i].optional, cases[i].title);
}

static void test_clean_title(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{"Step 1: Prepare Green Environment (5-10 minutes)", "Step 1: Prepare Green Environment"},
		{"Step 2: Run Database Migrations (2-5 minutes)", "Step 2: Run Database Migrations"},
		{"Step 6: Decommission Blue Environment (After 24 hours)", "Step 6: Decommission Blue Environment"},
		{"Health Check Validation (5 minutes)", "Health Check Validation"},
		{"Pre-Deployment (1-2 hours before)", "Pre-Deployment"},
		{"During Deployment (30-60 minutes)", "During Deployment"},
		{"Error Rate Monitoring (First Hour Critical)", "Error Rate Monitoring (First Hour Critical)"},
		{"Blue-Green Rollback (Immediate)", "Blue-Green Rollback (Immediate)"},
		{"Standard Deployment (Blue-Green)", "Standard Deployment (Blue-Green)"},
		{"24 Hours After Deployment", "24 Hours After Deployment"},
		{"**All Tests Passing**", "All Tests Passing"},
		{"  Build  ", "Build"},
		{"Build ##", "Build"},
		{"Build ###   ", "Build"},
		{"C#", "C#"},
		{"3. Build", "3. Build"},
		{"Step 0.1", "Step 0.1"},
		{"OPTIONAL Step 3", "OPTIONAL Step 3"},
		{"Run `make check`", "Run make check"},
		{"__Bold__ and _em_ and snake_case_name", "Bold and em and snake_case_name"},
		{"~~Old~~ New", "Old New"},
		{"Tabs\tand\n newlines", "Tabs and newlines"},
		{"Wait (15 min)", "Wait"},
		{"Smoke tests (10 minutes):", "Smoke tests"},
		{"(5 minutes)", "(5 minutes)"},
		{"", ""},
		{"   ", ""},
		{"#", ""},
	};
	for (size_t i = 0; i < N(cases); i++) {
		char *got = import_clean_title(cases[i].in);
		CHECK_CASE(got, cases[i].out, cases[i].in);
		free(got);
	}
}

static void test_make_id(void)
{
	static const struct { const char *title, *id; } cases[] = {
		{"Code Quality Validation", "code-quality-validation"},
		{"Standard Deployment (Blue-Green)", "standard-deployment-blue-green"},
		{"Step 1: Prepare Green Environment", "step-1-prepare-green-environment"},
		{"Step 0.1", "step-0-1"},
		{"3. Build", "3-build"},
		{"Don't panic", "dont-panic"},
		{"Don\xe2\x80\x99t panic", "dont-panic"},
		{"Café → Bar", "cafe-bar"},
		{"Étape 2 : vérifier le déploiement", "etape-2-verifier-le-deploiement"},
		{"Größe prüfen", "grosse-prufen"},
		{"Łódź Œuvre", "lodz-oeuvre"},
		{"10% → 25% → 50%", "10-25-50"},
		{"日本語", "section"},
		{"", "section"},
		{"---", "section"},
		{"A very long title that goes on and on well past the limit of ids", "a-very-long-title-that-goes-on-and-on-well-past"},
		{"Supercalifragilisticexpialidocious-and-antidisestablishmentarianism", "supercalifragilisticexpialidocious-and"},
		{"Error rate <1%", "error-rate-1"},
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct import_ids used = {0};
		char *id = import_make_id(cases[i].title, "section", &used);
		CHECK_CASE(id, cases[i].id, cases[i].title);
		CHECK(strlen(id) <= 48);
		CHECK(used.list.n == 1 && strcmp(used.list.v[0], id) == 0);
		free(id);
		import_ids_clear(&used);
	}
	/* unique within USED */
	struct import_ids used = {0};
	const char *want[] = {"step-1", "step-1-2", "step-1-3", "item", "item-2", "step-1-2-2"};
	const char *titles[] = {"Step 1", "Step 1", "step 1", "", "!!", "Step 1 2"};
	for (size_t i = 0; i < N(want); i++) {
		char *id = import_make_id(titles[i], "item", &used);
		CHECK_CASE(id, want[i], titles[i]);
		free(id);
	}
	CHECK(used.list.n == N(want));
	/* a suffix on a 48-character id keeps it within 48 */
	const char *longer = "abcdefghij abcdefghij abcdefghij abcdefghij abcdefghij";
	char *a = import_make_id(longer, "item", &used);
	char *b = import_make_id(longer, "item", &used);
	CHECK(strlen(a) <= 48 && strlen(b) <= 48 && strcmp(a, b) != 0);
	CHECK_STR(b + strlen(b) - 2, "-2");
	free(a);
	free(b);
	/* NULL USED: no uniqueness, nothing recorded */
	char *c = import_make_id("Build", "section", NULL);
	CHECK_STR(c, "build");
	free(c);
	import_ids_clear(&used);
}

static bool valid_id(const char *id)
{
	if (!((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= '0' && id[0] <= '9')) || strlen(id) > 48)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-') ||
				(*p == '-' && (p[1] == '-' || p[1] == '\0')))
			return false;
	return true;
}

/* Ids are valid and unique whatever the titles: pieces of titles combined,
 * 300 times the same one, 48 characters and more. */
static void test_make_id_valid(void)
{
	static const char *const pieces[] = {"Step", " 1", ": ", "Déploiement", "—", "日本", "'",
		"\xe2\x80\x99", "--", "x", "(optional)", "  ", "\xff", "abcdefghijklmnopqrstuvwxyz0123456789"};
	struct import_ids used = {0};
	int bad = 0;
	for (size_t a = 0; a < N(pieces); a++)
		for (size_t b = 0; b < N(pieces); b++)
			for (size_t c = 0; c < N(pieces); c++) {
				char title[256];
				snprintf(title, sizeof title, "%s%s%s%s", pieces[a], pieces[b], pieces[c], pieces[c]);
				char *id = import_make_id(title, "item", &used);
				if (!valid_id(id)) {
					bad++;
					fprintf(stderr, "title \"%s\" gives id \"%s\"\n", title, id);
				}
				free(id);
			}
	CHECK(bad == 0);
	char *last = NULL;
	for (int i = 0; i < 300; i++) {
		free(last);
		last = import_make_id("Step 1", "item", &used);
	}
	char *next = import_make_id("Step 1", "item", &used);
	CHECK(strncmp(last, "step-1-", 7) == 0 && strncmp(next, "step-1-", 7) == 0 &&
		atoi(next + 7) == atoi(last + 7) + 1);
	free(last);
	free(next);
	bool unique = true;
	for (size_t i = 0; i < used.list.n && unique; i++)
		for (size_t j = i + 1; j < used.list.n && unique; j++)
			unique = strcmp(used.list.v[i], used.list.v[j]) != 0;
	CHECK(unique);
	CHECK(used.list.n == N(pieces) * N(pieces) * N(pieces) + 301);
	import_ids_clear(&used);
	/* 20,000 items of one title: each id in about constant time, not one
	 * pass over all the ids so far (that took seconds). */
	/* (speed is the import benchmark's to measure: bench/bench_import.sh) */
	for (int i = 0; i < 20000; i++) {
		char *id = import_make_id("Verify", "item", &used);
		if (i == 19999)
			CHECK_STR(id, "verify-20000");
		free(id);
	}
	CHECK(used.list.n == 20000);
	import_ids_clear(&used);
}

static const char *lang_name(enum import_lang l)
{
	switch (l) {
	case IMPORT_LANG_SHELL: return "shell";
	case IMPORT_LANG_CONSOLE: return "console";
	case IMPORT_LANG_NONE: return "none";
	case IMPORT_LANG_OTHER: return "other";
	}
	return "?";
}

static void test_lang(void)
{
	static const struct { const char *info, *lang; } cases[] = {
		{"bash", "shell"}, {"sh", "shell"}, {"shell", "shell"}, {"zsh", "shell"}, {"Bash", "shell"},
		{"bash title=deploy.sh", "shell"}, {"sh {linenos=true}", "shell"}, {"{.bash}", "shell"},
		{"  bash  ", "shell"}, {"ksh", "shell"},
		{"console", "console"}, {"shell-session", "console"}, {"shellsession", "console"},
		{"sh-session", "console"}, {"Console", "console"}, {"console $", "console"},
		{"", "none"}, {"   ", "none"}, {NULL, "none"},
		{"json", "other"}, {"yaml", "other"}, {"yml", "other"}, {"sql", "other"}, {"python", "other"},
		{"text", "other"}, {"powershell", "other"}, {"bashrc", "other"}, {"dockerfile", "other"},
		{"hcl", "other"}, {"diff", "other"}, {"mermaid", "other"},
	};
	for (size_t i = 0; i < N(cases); i++)
		CHECK_CASE(lang_name(import_lang(cases[i].info)), cases[i].lang, cases[i].info ? cases[i].info : "NULL");
}

static void test_looks_like_commands(void)
{
	static const struct { const char *code; bool yes; } cases[] = {
		{"kubectl get pods -n noa-server\n", true},
		{"# Quick health check all services\nkubectl get pods -n noa-server -o wide\n", true},
		{"$ oc get pods\nNAME READY STATUS\nweb-1 1/1 Running\n", true},
		{"helm upgrade --install noa ./chart \\\n  --namespace noa-server \\\n  --values values-prod.yaml\n", true},
		{"sudo systemctl restart nginx\n", true},
		{"NAMESPACE=prod kubectl get pods\n", true},
		{"./scripts/deploy.sh staging\n", true},
		{"cd packages/database-optimizer\nnpm run migrations:down\n", true},
		{"gcloud container clusters get-credentials prod --region europe-west1\n", true},
		{"aws s3 ls s3://backups/\n", true},
		{"psql -U noa -d noa -c \"SELECT 1;\"\n", true},
		{"kubectl apply -f - <<EOF\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\nEOF\n", true},
		{"{\n  \"model\": \"claude\",\n  \"messages\": []\n}\n", false},
		{"[1, 2, 3]\n", false},
		{"apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n", false},
		{"NAME      READY   STATUS\nweb-1     1/1     Running\n", false},
		{"The deployment takes about ten minutes and then\nyou should see the green pods.\n", false},
		{"Time to deploy: make sure everyone is ready.\n", false},
		{"SELECT * FROM users;\n", false},
		{"<configuration>\n</configuration>\n", false},
		{"", false},
		{"\n\n   \n", false},
		{"# only a comment\n", false},
		{"kubectl get pods\nthis is prose\nand more prose\nand more\n", false},
	};
	for (size_t i = 0; i < N(cases); i++)
		CHECK_BOOL(import_looks_like_commands(cases[i].code), cases[i].yes, cases[i].code);
}

struct split_case {
	const char *code;
	enum import_lang lang;
	const char *commands, *output, *expect;
};

static void test_split_block(void)
{
	static const struct split_case cases[] = {
		/* NOA: comments kept, Expected lines become expect */
		{"# Run full test suite\npnpm run test:all\n\n# Expected: All tests pass with \xe2\x89\xa5" "80% coverage\n"
			"# Unit tests: packages/*/tests/unit\n", IMPORT_LANG_SHELL,
			"# Run full test suite\npnpm run test:all\n\n# Unit tests: packages/*/tests/unit", "",
			"All tests pass with \xe2\x89\xa5" "80% coverage"},
		{"pnpm run typecheck\n\n# Expected: No TypeScript errors\n", IMPORT_LANG_SHELL,
			"pnpm run typecheck", "", "No TypeScript errors"},
		{"# Check all service health endpoints\ncurl -f https://api.noaserver.com/health\n"
			"# Expected: All return HTTP 200 with \"status\": \"healthy\"\n# expected output: ok\n", IMPORT_LANG_SHELL,
			"# Check all service health endpoints\ncurl -f https://api.noaserver.com/health", "",
			"All return HTTP 200 with \"status\": \"healthy\"; ok"},
		/* continuations and a here-document stay with their command */
		{"kubectl exec -it noa-postgres-0 -n noa-server -- \\\n  psql -U noa -d noa -c \"SELECT 1;\"\n", IMPORT_LANG_SHELL,
			"kubectl exec -it noa-postgres-0 -n noa-server -- \\\n  psql -U noa -d noa -c \"SELECT 1;\"", "", ""},
		/* a "$ " prompt in a shell block: stripped, and what follows is output */
		{"$ kubectl get pods\nNAME    READY\nweb-1   1/1\n", IMPORT_LANG_SHELL,
			"kubectl get pods", "NAME    READY\nweb-1   1/1", ""},
		{"$ export NS=prod\n# comment in a shell block\n$ kubectl get pods -n $NS\nNo resources found.\n", IMPORT_LANG_SHELL,
			"export NS=prod\n# comment in a shell block\nkubectl get pods -n $NS", "No resources found.", ""},
		/* console: "# " is a root prompt, other lines are output */
		{"$ psql -c 'select 1'\n ?column?\n----------\n        1\n(1 row)\n\n# systemctl restart postgresql\n", IMPORT_LANG_CONSOLE,
			"psql -c 'select 1'\nsystemctl restart postgresql", " ?column?\n----------\n        1\n(1 row)", ""},
		{"user@bastion:~$ oc login https://api.prod:6443\nLogin successful.\n[root@db1 ~]# pg_ctl status\npg_ctl: server is running\n", IMPORT_LANG_CONSOLE,
			"oc login https://api.prod:6443\npg_ctl status", "Login successful.\npg_ctl: server is running", ""},
		{"$ helm upgrade noa ./chart \\\n>   --set image.tag=v2 \\\n>   -n noa\nRelease \"noa\" has been upgraded.\n", IMPORT_LANG_CONSOLE,
			"helm upgrade noa ./chart \\\n  --set image.tag=v2 \\\n  -n noa", "Release \"noa\" has been upgraded.", ""},
		{"$ cat <<EOF > /tmp/x\nline one\nEOF\n$ wc -l /tmp/x\n1 /tmp/x\n", IMPORT_LANG_CONSOLE,
			"cat <<EOF > /tmp/x\nline one\nEOF\nwc -l /tmp/x", "1 /tmp/x", ""},
		{"$ true\n$\n$ false\n", IMPORT_LANG_CONSOLE, "true\n\nfalse", "", ""},
		/* other prompts of transcripts; curl's progress meter is output */
		{"bash-5.1$ make\nok\n~/src$ make check\n(venv) $ pip install -r requirements.txt\n% brew upgrade\nsh-4.4# id -u\n0\n",
			IMPORT_LANG_CONSOLE, "make\nmake check\npip install -r requirements.txt\nbrew upgrade\nid -u", "ok\n0", ""},
		{"$ curl -O https://x/y.tgz\n  % Total    % Received\n100  1024  100  1024\n", IMPORT_LANG_CONSOLE,
			"curl -O https://x/y.tgz", "  % Total    % Received\n100  1024  100  1024", ""},
		/* in a shell block "# " is a comment even beside "$ " prompts */
		{"# list pods\n$ kubectl get pods\nNAME\n", IMPORT_LANG_NONE, "# list pods\nkubectl get pods", "NAME", ""},
		{"Just output, no prompt\n", IMPORT_LANG_CONSOLE, "", "Just output, no prompt", ""},
		{"# Expected: 3 pods\n$ kubectl get pods | wc -l\n3\n", IMPORT_LANG_CONSOLE, "kubectl get pods | wc -l", "3", "3 pods"},
		/* CRLF line ends, blank lines at the ends */
		{"\r\n\r\nmake\r\nmake check\r\n\r\n", IMPORT_LANG_SHELL, "make\nmake check", "", ""},
		/* "$(" is not a prompt */
		{"$(pwd)/run.sh\n", IMPORT_LANG_NONE, "$(pwd)/run.sh", "", ""},
		{"", IMPORT_LANG_SHELL, "", "", ""},
		{"\n\n", IMPORT_LANG_CONSOLE, "", "", ""},
	};
	for (size_t i = 0; i < N(cases); i++) {
		char *c = NULL, *o = NULL, *e = NULL;
		import_split_block(cases[i].code, cases[i].lang, &c, &o, &e);
		CHECK_CASE(c, cases[i].commands, cases[i].code);
		CHECK_CASE(o, cases[i].output, cases[i].code);
		CHECK_CASE(e, cases[i].expect, cases[i].code);
		free(c);
		free(o);
		free(e);
	}
}

static void test_inline_is_command(void)
{
	static const struct { const char *code; bool yes; } cases[] = {
		{"kubectl get pods", true},
		{"kubectl get pods -n noa-server", true},
		{"oc rollout status dc/web", true},
		{"helm list -A", true},
		{"psql -U noa -d noa", true},
		{"gcloud auth login", true},
		{"aws sts get-caller-identity", true},
		{"./deploy.sh", true},
		{"../scripts/check.sh prod", true},
		{"/usr/local/bin/backup", true},
		{"$ make release", true},
		{"sudo systemctl status nginx", true},
		{"make", true},
		{"pnpm run test:all", true},
		{"NODE_ENV=production npm start", true},
		{"config.yaml", false},
		{"true", false},
		{"false", false},
		{"NOA_ENV", false},
		{"kubectl", false},
		{"noa-server", false},
		{"/etc/hosts", false},
		{"v0.1.0", false},
		{"status: healthy", false},
		{"time to deploy", false},
		{"watch out", false},
		{"", false},
		{"   ", false},
		{"kubectl get pods\nkubectl get svc", false},
	};
	for (size_t i = 0; i < N(cases); i++)
		CHECK_BOOL(import_inline_is_command(cases[i].code), cases[i].yes, cases[i].code);
}

/* What countersign's ${NAME} expansion will see in OUT: only the variables
 * made, and nothing malformed. */
struct refs {
	const struct import_var *vars;
	size_t n;
	bool ok;
};

static bool ref_known(const char *name, size_t offset, void *data)
{
	struct refs *r = data;
	(void)offset;
	bool known = false;
	for (size_t i = 0; i < r->n && !known; i++)
		known = strcmp(r->vars[i].name, name) == 0;
	r->ok = r->ok && known;
	return true;
}

static bool expands_cleanly(const char *out, const struct import_var *vars, size_t n)
{
	struct refs r = {vars, n, true};
	size_t bad;
	const char *why;
	return expand_scan(out, ref_known, &r, &bad, &why) && r.ok;
}

static void test_placeholders(void)
{
	static const struct { const char *in, *out, *vars; } cases[] = {
		{"kubectl describe pod <pod-name> -n noa-server", "kubectl describe pod ${POD_NAME} -n noa-server",
			"POD_NAME=Pod name"},
		/* a placeholder that starts with a digit is one too: no literal
		 * <...> may be left to run */
		{"vault login -method=userpass otp=<2fa code>", "vault login -method=userpass otp=${_2FA_CODE}",
			"_2FA_CODE=2fa code"},
		{"gcloud container node-pools delete <node pool name> --project <PROJECT>",
			"gcloud container node-pools delete ${NODE_POOL_NAME} --project ${PROJECT}",
			"NODE_POOL_NAME=Node pool name;PROJECT=Project"},
		{"kubectl logs -f <pod-name> && kubectl exec -it <pod-name> -- sh",
			"kubectl logs -f ${POD_NAME} && kubectl exec -it ${POD_NAME} -- sh", "POD_NAME=Pod name"},
		{"helm upgrade noa ./chart --set image.tag=$VERSION -n ${NAMESPACE}",
			"helm upgrade noa ./chart --set image.tag=${VERSION} -n ${NAMESPACE}", "VERSION=Version;NAMESPACE=Namespace"},
		{"aws s3 cp backup.sql s3://$BACKUP_BUCKET/$(date +%F)/", "aws s3 cp backup.sql s3://${BACKUP_BUCKET}/$(date +%F)/",
			"BACKUP_BUCKET=Backup bucket"},
		/* the shell's own: assigned here, well known, lower case, special, quoted */
		{"kubectl port-forward svc/noa-mcp 8001:8001 &\nPF_PID=$!\nkill $PF_PID",
			"kubectl port-forward svc/noa-mcp 8001:8001 &\nPF_PID=$!\nkill $PF_PID", ""},
		{"for NS in a b; do kubectl get pods -n $NS; done", "for NS in a b; do kubectl get pods -n $NS; done", ""},
		{"cp $HOME/.kube/config /tmp && echo $PATH $1 $? $# $@", "cp $HOME/.kube/config /tmp && echo $PATH $1 $? $# $@", ""},
		{"for f in *.sql; do psql -f $f; done", "for f in *.sql; do psql -f $f; done", ""},
		{"awk '{print $NF}' file", "awk '{print $NF}' file", ""},
		{"echo \\$NOT_A_VAR \\${HOME} \\$$", "echo \\$$NOT_A_VAR \\$${HOME} \\$$$", ""},
		{"echo '${HOME}' '$$'", "echo '$${HOME}' '$$$$'", ""},
		{"echo $$ ${HOME} ${REPLICAS:-3} ${lower}", "echo $$$$ $${HOME} $${REPLICAS:-3} $${lower}", ""},
		{"echo ${UNCLOSED", "echo $${UNCLOSED", ""},
		/* a '$' written right before a placeholder is the shell's: "$$" before "${NAME}" */
		{"echo cost: $<AMOUNT> \\$<X>", "echo cost: $$${AMOUNT} \\$$${X}", "AMOUNT=Amount;X=X"},
		{"echo ${<VAR>}", "echo $${${VAR}}", "VAR=Var"},
		{"read -r ANSWER; echo $ANSWER", "read -r ANSWER; echo $ANSWER", ""},
		/* not placeholders: redirections, here-documents, comparisons */
		{"kubectl apply -f - <<EOF\nspec: {}\nEOF", "kubectl apply -f - <<EOF\nspec: {}\nEOF", ""},
		{"psql -U noa -d noa < /backups/pre-deploy.sql", "psql -U noa -d noa < /backups/pre-deploy.sql", ""},
		{"# Error rate: Should be <1%", "# Error rate: Should be <1%", ""},
		{"diff <(sort a) <(sort b)", "diff <(sort a) <(sort b)", ""},
		{"cmd <input.txt >out.txt", "cmd <input.txt >out.txt", ""},
		{"psql -c \"SELECT * FROM t WHERE a<b AND c>d\"", "psql -c \"SELECT * FROM t WHERE a<b AND c>d\"", ""},
		/* markup, in a here-document or a string: a tag closed in the same text */
		{"cat <<EOF > app.xml\n<config>\n  <name>web</name>\n</config>\nEOF",
			"cat <<EOF > app.xml\n<config>\n  <name>web</name>\n</config>\nEOF", ""},
		{"curl -d '<request><id>1</id></request>' http://x", "curl -d '<request><id>1</id></request>' http://x", ""},
		{"cat <<EOF\n<name>web</name> <CLUSTER>\nEOF", "cat <<EOF\n<name>web</name> ${CLUSTER}\nEOF", "CLUSTER=Cluster"},
		/* placeholders with a choice, a path, a port, an address, accents:
		 * left as written, the shell would read them as redirections */
		{"systemctl <start|stop> nginx", "systemctl ${START_STOP} nginx", "START_STOP=Start stop"},
		{"cat <path/to/file> && nc <host:port> && ssh <user@host>",
			"cat ${PATH_TO_FILE} && nc ${HOST_PORT} && ssh ${USER_HOST}",
			"PATH_TO_FILE=Path to file;HOST_PORT=Host port;USER_HOST=User host"},
		{"echo <ÉTAPE> <nom du nœud>", "echo ${ETAPE} ${NOM_DU_NOEUD}", "ETAPE=Etape;NOM_DU_NOEUD=Nom du noeud"},
		{"echo <br/> <a/>", "echo <br/> <a/>", ""},
		/* NOA's comment with a placeholder */
		{"# Create incident channel: #incident-<timestamp>", "# Create incident channel: #incident-${TIMESTAMP}", "TIMESTAMP=Timestamp"},
		{"curl -H 'Authorization: Bearer <API token>' https://x/<2fa code>",
			"curl -H 'Authorization: Bearer ${API_TOKEN}' https://x/${_2FA_CODE}", "API_TOKEN=Api token;_2FA_CODE=2fa code"},
		{"", "", ""},
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct import_var *vars = NULL;
		size_t n = 0;
		char *got = import_placeholders(cases[i].in, &vars, &n);
		CHECK_CASE(got, cases[i].out, cases[i].in);
		struct strbuf sb = {0};
		strbuf_addstr(&sb, "");
		for (size_t k = 0; k < n; k++)
			strbuf_addf(&sb, "%s%s=%s", k ? ";" : "", vars[k].name, vars[k].prompt);
		CHECK_CASE(sb.data, cases[i].vars, cases[i].in);
		CHECK_BOOL(expands_cleanly(got, vars, n), true, cases[i].in);
		strbuf_release(&sb);
		free(got);
		import_vars_free(vars, n);
	}
	/* variables collect across calls, each name once */
	struct import_var *vars = NULL;
	size_t n = 0;
	char *a = import_placeholders("echo <PROJECT> $ZONE", &vars, &n);
	char *b = import_placeholders("echo <project> ${ZONE} <Region>", &vars, &n);
	CHECK_STR(a, "echo ${PROJECT} ${ZONE}");
	CHECK_STR(b, "echo ${PROJECT} ${ZONE} ${REGION}");
	CHECK(n == 3);
	free(a);
	free(b);
	import_vars_free(vars, n);
	import_vars_free(NULL, 0);

	/* past IMPORT_MAX_VARS, new placeholders stay, and are found */
	vars = NULL;
	n = 0;
	struct strbuf many = {0};
	for (int i = 0; i < IMPORT_MAX_VARS + 5; i++)
		strbuf_addf(&many, "<v%d> ", i);
	strbuf_addstr(&many, "<v0> $V1");
	char *got = import_placeholders(many.data, &vars, &n);
	CHECK(n == IMPORT_MAX_VARS);
	CHECK(strncmp(got, "${V0} ${V1} ", 12) == 0);
	CHECK(strstr(got, "<v1000> <v1001>") != NULL);
	CHECK(strstr(got, "<v999>") == NULL);
	CHECK(import_has_placeholder(got));
	CHECK(strcmp(got + strlen(got) - 12, "${V0} ${V1}") == 0 || strstr(got, "${V0} ${V1}") != NULL);
	free(got);
	strbuf_release(&many);
	import_vars_free(vars, n);

	static const struct { const char *cmd; bool yes; } left[] = {
		{"kubectl describe pod <pod-name>", true},
		{"kubectl describe pod ${POD_NAME}", false},
		{"psql < dump.sql", false},
		{"cat <<EOF", false},
		{"echo a<b>c", true},
		{"", false},
	};
	for (size_t i = 0; i < N(left); i++)
		CHECK_BOOL(import_has_placeholder(left[i].cmd), left[i].yes, left[i].cmd);
}

static void test_estimate(void)
{
	static const struct { const char *text, *est; } cases[] = {
		/* NOA */
		{"Step 1: Prepare Green Environment (5-10 minutes)", "5-10m"},
		{"Step 2: Run Database Migrations (2-5 minutes)", "2-5m"},
		{"Step 3: Smoke Test Green Environment (5 minutes)", "5m"},
		{"Step 5: Monitor Green Environment (15-30 minutes)", "15-30m"},
		{"Step 6: Decommission Blue Environment (After 24 hours)", "24h"},
		{"Pre-Deployment (1-2 hours before)", "1-2h"},
		{"Post-Deployment (1 hour after)", "1h"},
		{"Total rollback time: <2 minutes", "2m"},
		{"Total rollback time: 10-15 minutes", "10-15m"},
		{"Error Rate Monitoring (First Hour Critical)", NULL},
		{"Error rate >5% for 5+ minutes", NULL},
		{"Response time p95 >2s for 5+ minutes", NULL},
		{"Scheduled during low-traffic hours (e.g., 2am-4am UTC)", NULL},
		{"Increase canary traffic: 10% \xe2\x86\x92 25% \xe2\x86\x92 50%", NULL},
		{"kubectl port-forward -n noa-server svc/noa-mcp 8001:8001", NULL},
		{"Canary error rate should be \xe2\x89\xa4 stable error rate", NULL},
		{"Delete blue resources after 7 days (allows rollback window)", "7d"},
		/* other forms */
		{"up to 40 minutes", "40m"},
		{"takes 90 seconds", "90s"},
		{"48 hours", "48h"},
		{"after 2 days", "2d"},
		{"(120 minutes)", "120m"},
		{"about 1.5 hours", "1h30m"},
		{"(~5 min)", "5m"},
		{"(5\xe2\x80\x93" "10 minutes)", "5-10m"},
		{"5 to 10 minutes", "5-10m"},
		{"45 minutes to 1 hour", "45m-1h"},
		{"1h-1h30m", "1h-1h30m"},
		{"(1 hour 30 minutes)", "1h30m"},
		{"2h 15m", "2h15m"},
		{"2 hours and 15 minutes", "2h15m"},
		{"(1-1h 30m)", NULL},
		{"10-5 minutes, then 2 minutes", "2m"},
		{"5 minutes 2 times", "5m"},
		{"5 minutes 10 hours", "5m"},
		{"(30m)", "30m"},
		{"2 hrs", "2h"},
		{"1 week", "7d"},
		{"500 ms", "500ms"},
		{"10 - 20 mins", "10-20m"},
		{"10-5 minutes", NULL},
		{"0 minutes", NULL},
		{"≥ 10 minutes", NULL},
		{"5 m", NULL},
		{"claude-3-5-sonnet-20241022", NULL},
		{"version 2.5", NULL},
		{"v1beta1", NULL},
		{"", NULL},
		{"1234567890 minutes", NULL},
		{"999999 weeks", NULL},
		{"20000 hours of uptime", NULL},
		{"366 days", "366d"},
		{"0.5 minutes", "30s"},
		{"1.0001 hours", "1h"},
	};
	for (size_t i = 0; i < N(cases); i++) {
		char *got = import_estimate(cases[i].text);
		CHECK_CASE(got, cases[i].est, cases[i].text);
		/* whatever it gives is a valid checklist estimate */
		int64_t lo, hi;
		const char *why;
		if (got)
			CHECK(duration_parse_range(got, &lo, &hi, &why));
		free(got);
	}
}

/* Whatever a time hint gives, the checklist takes: every combination of
 * numbers, units and separators. */
static void test_estimate_valid(void)
{
	static const char *const numbers[] = {"0", "1", "1.5", "0.001", "59", "999999", "7"};
	static const char *const units[] = {"", "ms", " ms", "s", " sec", "m", " min", " minutes",
		"h", " hours", "d", " days", " weeks", "h30m", " hour 30 minutes"};
	static const char *const seps[] = {"", "-", " to ", "\xe2\x80\x93", " - "};
	int given = 0;
	for (size_t a = 0; a < N(numbers); a++)
		for (size_t ua = 0; ua < N(units); ua++)
			for (size_t sp = 0; sp < N(seps); sp++)
				for (size_t b = 0; b < N(numbers); b++)
					for (size_t ub = 1; ub < N(units); ub++) {
						char text[128];
						if (seps[sp][0] == '\0')
							snprintf(text, sizeof text, "(%s%s)", numbers[a], units[ua]);
						else
							snprintf(text, sizeof text, "(%s%s%s%s%s)", numbers[a], units[ua], seps[sp],
								numbers[b], units[ub]);
						char *est = import_estimate(text);
						int64_t lo, hi;
						const char *why;
						if (est) {
							given++;
							if (!duration_parse_range(est, &lo, &hi, &why)) {
								check_failed++;
								fprintf(stderr, "%s gives %s: %s\n", text, est, why);
							}
						}
						free(est);
					}
	CHECK(given > 1000);
}

static void test_wait(void)
{
	static const struct { const char *text, *dur; } cases[] = {
		{"wait 15 minutes", "15m"},
		{"Wait for 2 hours", "2h"},
		{"# Wait 15 minutes between each increment", "15m"},
		{"Wait at least 10 min before promoting", "10m"},
		{"then wait ~5 minutes", "5m"},
		{"Waiting 30s for the cache", "30s"},
		{"Pause for 1 hour", "1h"},
		{"wait 5-10 minutes", "5m"},
		{"Wait another 24 hours", "24h"},
		{"# Wait and monitor...", NULL},
		{"# 3. Wait for pods to be ready", NULL},
		{"kubectl wait --for=condition=ready pod -l app=noa-mcp -n noa-server-green --timeout=300s", NULL},
		{"helm upgrade --wait --timeout 10m", NULL},
		{"await 5 minutes", NULL},
		{"waiter 5 minutes", NULL},
		{"Monitor for 15 minutes", NULL},
		{"wait", NULL},
		{"", NULL},
	};
	for (size_t i = 0; i < N(cases); i++) {
		char *got = import_wait(cases[i].text);
		CHECK_CASE(got, cases[i].dur, cases[i].text);
		int64_t ms;
		const char *why;
		if (got)
			CHECK(duration_parse(got, &ms, &why));
		free(got);
	}
}

static void test_destructive(void)
{
	static const struct { const char *cmd; bool yes; } cases[] = {
		/* NOA */
		{"kubectl scale deployment noa-mcp --replicas=0 -n noa-server", true},
		{"kubectl delete namespace noa-server", true},
		{"kubectl delete pod noa-postgres-0 -n noa-server", true},
		{"kubectl rollout undo deployment/noa-mcp -n noa-server", true},
		{"kubectl patch ingress noa-server-ingress -n noa-server \\\n  --type='json' \\\n"
			"  -p='[{\"op\": \"replace\", \"path\": \"/spec/rules/0/http/paths/0/backend/service/name\", \"value\": \"noa-mcp-green\"}]'", true},
		{"kubectl annotate ingress noa-server-ingress -n noa-server \\\n  nginx.ingress.kubernetes.io/canary-weight=\"0\" --overwrite", true},
		{"kubectl exec -it noa-postgres-0 -n noa-server -- bash -c \"\n  psql -U noa -d postgres -c 'DROP DATABASE noa;'\n\"", true},
		{"cd packages/database-optimizer\nnpm run migrations:down", true},
		{"kubectl apply -f - <<EOF\napiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  name: noa-mcp-vs\nEOF", true},
		{"kubectl scale deployment noa-mcp --replicas=3 -n noa-server", false},
		{"kubectl rollout restart deployment -n noa-server", false},
		{"kubectl apply -k k8s/overlays/prod-green/", false},
		{"kubectl get ingress noa-server-ingress -n noa-server -o yaml | grep \"service:\"", false},
		{"kubectl set image deployment/noa-mcp noa-mcp=registry.noaserver.com/noa-server:v0.1.0 -n noa-server", false},
		{"# 2. Delete blue resources after 7 days\nkubectl get ns", false},
		{"kubectl port-forward -n noa-server-green svc/noa-mcp 8001:8001 &\nPF_PID=$!\nkill $PF_PID", false},
		{"psql -U noa -d noa -c \"SELECT * FROM schema_migrations ORDER BY version DESC LIMIT 5;\"", false},
		/* other teams */
		{"oc delete project old-feature", true},
		{"oc scale dc/web --replicas 0", true},
		{"oc patch route web -p '{\"spec\":{\"to\":{\"name\":\"web-green\"}}}'", true},
		{"oc set route-backends web web-blue=0 web-green=100", true},
		{"kubectl patch svc web -p '{\"spec\":{\"selector\":{\"version\":\"v2\"}}}'", true},
		{"kubectl patch deployment web -p '{\"spec\":{\"replicas\":4}}'", false},
		{"kubectl drain node-1 --ignore-daemonsets", true},
		{"helm uninstall noa -n noa-server", true},
		{"helm rollback noa 3", true},
		{"helm upgrade --install noa ./chart", false},
		{"psql -c 'TRUNCATE audit_log'", true},
		{"psql -c \"delete from sessions where expired\"", true},
		{"psql -f drop_tables.sql", false},
		{"mysql -e 'DROP TABLE users'", true},
		{"dropdb noa_staging", true},
		{"redis-cli FLUSHALL", true},
		{"gcloud container node-pools delete pool-1 --cluster prod", true},
		{"gcloud container clusters resize prod --num-nodes=0", true},
		{"gcloud compute instances list", false},
		{"aws ec2 terminate-instances --instance-ids i-123", true},
		{"aws s3 rm s3://bucket/key --recursive", true},
		{"aws s3 rb s3://old-bucket --force", true},
		{"aws autoscaling update-auto-scaling-group --auto-scaling-group-name web --desired-capacity 0", true},
		{"aws s3 ls", false},
		{"terraform destroy -target=module.db", true},
		{"terraform apply -destroy", true},
		{"terraform plan", false},
		{"docker system prune -af", true},
		{"docker rm -f web", true},
		{"docker ps", false},
		{"git push --force origin main", true},
		{"git reset --hard origin/main", true},
		{"git pull", false},
		{"sudo systemctl stop nginx", true},
		{"sudo systemctl restart nginx", false},
		{"rm -rf /var/lib/app/cache", true},
		{"sudo rm -rf /", true},
		{"rm /tmp/pf.pid", true},
		{"echo delete", false},
		{"grep -i 'drop table' migrations/*.sql", false},
		{"echo 'DROP TABLE users' > notes.txt", false},
		{"psql -U noa <<SQL\nDROP TABLE sessions;\nSQL", true},
		{"cat <<EOF\nDROP TABLE sessions;\nEOF", false},
		{"psql -U noa -c 'ALTER TABLE users DROP COLUMN legacy'", true},
		{"/usr/bin/psql -c 'drop database noa'", true},
		{"npm install --force", false},
		{"helm upgrade noa ./chart --force", true},
		{"kubectl replace --force -f web.yaml", true},
		{"aws ec2 stop-instances --instance-ids i-123", true},
		{"gcloud services disable compute.googleapis.com", true},
		{"kubectl set selector svc web version=v2", true},
		{"rake db:drop", true},
		{"php artisan migrate:rollback", true},
		{"php artisan migrate", false},
		/* inside another command: a substitution in quotes, a shell's -c
		 * script, a remote command, xargs, find, a wrapper with options */
		{"echo \"$(kubectl delete ns staging)\"", true},
		{"echo \"deleted: `kubectl delete pod web-0`\"", true},
		{"echo \"$(kubectl get ns)\"", false},
		{"sh -c 'rm -rf /var/lib/app'", true},
		{"bash -c \"kubectl delete ns old\"", true},
		{"bash -c 'kubectl get ns'", false},
		{"ssh admin@db1 'sudo rm -rf /data/old'", true},
		{"ssh -p 2222 admin@db1 sudo systemctl stop postgresql", true},
		{"ssh admin@db1 uptime", false},
		{"cat pods.txt | xargs kubectl delete pod", true},
		{"xargs -r -n 1 rm -f < files.txt", true},
		{"kubectl get pods -o name | xargs -I{} echo {}", false},
		{"find /var/log/app -name '*.gz' -mtime +7 -delete", true},
		{"find /tmp/app -type f -exec rm {} +", true},
		{"find /tmp/app -type f -exec ls -l {} \\;", false},
		{"sudo -u postgres dropdb app_staging", true},
		{"sudo -u postgres psql -c 'SELECT 1'", false},
		{"timeout 60 kubectl delete ns old", true},
		{"nice -n 10 rm -rf /var/cache/app", true},
		{"timeout 60 kubectl get pods", false},
		/* more that remove or stop */
		{"curl -X DELETE https://api.example.com/v1/jobs/42", true},
		{"curl -fsS --request DELETE https://api.example.com/v1/jobs/42", true},
		{"curl -X GET https://api.example.com/v1/jobs", false},
		{"zfs destroy tank/old", true},
		{"lvremove -y /dev/vg0/old", true},
		{"pg_dropcluster 14 main --stop", true},
		{"dropuser app_old", true},
		{"git clean -fdx", true},
		{"crontab -r", true},
		{"iptables -F", true},
		{"reboot", true},
		{"sudo shutdown -r now", true},
		{"gitlab-ctl stop", true},
		{"gitlab-ctl reconfigure", false},
		{"mongosh --eval 'db.dropDatabase()'", true},
		{"ls -la", false},
		{"", false},
	};
	for (size_t i = 0; i < N(cases); i++)
		CHECK_BOOL(import_destructive(cases[i].cmd), cases[i].yes, cases[i].cmd);
}

static void test_interactive(void)
{
	static const struct { const char *cmd; bool yes; } cases[] = {
		/* NOA */
		{"kubectl exec -it <pod-name> -n noa-server -- sh", true},
		{"kubectl exec -it noa-postgres-0 -n noa-server -- \\\n  psql -U noa -d noa -c \"SELECT COUNT(*) FROM users;\"", true},
		{"kubectl logs -f job/manual-migration-* -n noa-server-green", true},
		{"kubectl logs -f -l app=noa-mcp -n noa-server-green --tail=100", true},
		{"kubectl port-forward -n noa-server svc/noa-mcp 8001:8001", true},
		{"kubectl port-forward -n noa-server-green svc/noa-mcp 8001:8001 &\nPF_PID=$!", false},
		{"kubectl logs noa-postgres-0 -n noa-server --tail=100", false},
		{"kubectl rollout status deployment/noa-mcp -n noa-server", false},
		{"kubectl get pods -n noa-server -o wide", false},
		{"kubectl describe pod <pod-name> -n noa-server", false},
		/* other teams */
		{"kubectl -n prod exec -ti web-0 -- bash", true},
		{"kubectl exec web-0 -- ls /app", false},
		{"kubectl exec --stdin --tty web-0 -- /bin/sh", true},
		{"kubectl run debug --rm -it --image=busybox -- sh", true},
		{"kubectl debug -it node/node-1 --image=ubuntu", true},
		{"kubectl get pods -w", true},
		{"kubectl get pods --watch", true},
		{"kubectl edit configmap app-config", true},
		{"oc rsh web-1", true},
		/* a lone "-" among the options (read from stdin) is read within
		 * the word, not past it */
		{"redis-cli - -h", true},
		{"redis-cli -", true},
		{"ssh - host", true},
		{"oc debug node/worker-0", true},
		{"oc debug node/worker-0 -- chroot /host uptime", false},
		{"psql -U noa -d noa", true},
		{"psql \"$DATABASE_URL\"", true},
		{"psql -U noa -d noa -c 'select 1'", false},
		{"psql -U noa -d noa --command='select 1'", false},
		{"psql -U noa -d noa -f migrate.sql", false},
		{"psql -U noa -d noa < dump.sql", false},
		{"cat dump.sql | psql -U noa", false},
		{"psql <<EOF\nselect 1;\nEOF", false},
		{"mysql -u root -p", true},
		{"mysql -u root -e 'show databases'", false},
		{"redis-cli -h cache", true},
		{"redis-cli -h cache PING", false},
		{"less /var/log/syslog", true},
		{"journalctl -u nginx | less", true},
		{"more README", true},
		{"vi /etc/nginx/nginx.conf", true},
		{"sudo vim /etc/hosts", true},
		{"top", true},
		{"watch kubectl get pods", true},
		{"tail -f /var/log/nginx/error.log", true},
		{"tail -n 100 /var/log/nginx/error.log", false},
		{"journalctl -fu nginx", true},
		{"ssh bastion", true},
		{"ssh -i ~/.ssh/id_ed25519 -p 2222 admin@bastion", true},
		{"ssh admin@db1 'sudo systemctl status postgresql'", false},
		{"gcloud compute ssh web-1 --zone europe-west1-b", true},
		{"gcloud compute ssh web-1 --command 'uptime'", false},
		{"gcloud sql connect prod-db --user=postgres", true},
		{"aws ssm start-session --target i-123", true},
		{"docker exec -it web sh", true},
		{"docker exec web ls", false},
		{"bash", true},
		{"bash deploy.sh", false},
		{"sudo -i", true},
		{"crontab -e", true},
		{"crontab -l", false},
		{"git rebase -i HEAD~3", true},
		{"git commit", true},
		{"git commit -m 'release'", false},
		{"curl https://api.noaserver.com/health", false},
		{"kubectl top pods -n noa-server", false},
		{"oc logs -f dc/web", true},
		{"watch -n 5 kubectl get pods", true},
		{"kubectl exec -n prod web-0 -- cat /etc/hosts | less", true},
		/* sudo's options that take a value, su */
		{"sudo -u postgres psql", true},
		{"sudo -u postgres psql -c 'SELECT 1'", false},
		{"sudo -iu postgres", true},
		{"sudo -u app bash", true},
		{"su - postgres", true},
		{"sudo su - postgres", true},
		{"su - postgres -c 'pg_ctl status'", false},
		{"", false},
	};
	for (size_t i = 0; i < N(cases); i++)
		CHECK_BOOL(import_interactive(cases[i].cmd), cases[i].yes, cases[i].cmd);
}

static void test_invisible(void)
{
	static const struct { const char *text; const char *what; size_t offset; } cases[] = {
		{"kubectl\xe2\x80\x8b get pods", "a zero-width space (U+200B)", 7},
		{"kubectl get pods", NULL, 0},
		{"\xef\xbb\xbfkubectl", "a zero-width no-break space or BOM (U+FEFF)", 0},
		{"rm -rf /tmp/\xe2\x80\xae" "cod.sh", "a right-to-left override (U+202E)", 12},
		{"echo a\xe2\x81\xa6" "b", "a left-to-right isolate (U+2066)", 6},
		{"co\xc2\xad" "mmand", "a soft hyphen (U+00AD)", 2},
		{"kubectl\xc2\xa0get", "a no-break space (U+00A0)", 7},
		{"x\xe2\x80\x8dy", "a zero-width joiner (U+200D)", 1},
		{"x\xf3\xa0\x80\x81y", "an invisible tag character (U+E0000-U+E007F)", 1},
		/* blank letters, spaces the shell does not split on, separators, selectors */
		{"if [ \"$\xe3\x85\xa4\" ]", "a Hangul filler (U+3164)", 7},
		{"get pods\xe2\x80\xa8-n x", "a line or paragraph separator (U+2028, U+2029)", 8},
		{"kubectl\xe2\x80\x83get", "a space the shell does not split on (U+2000-U+200A, U+202F, U+205F, U+3000)", 7},
		{"kubectl\xe2\x80\xafget", "a space the shell does not split on (U+2000-U+200A, U+202F, U+205F, U+3000)", 7},
		{"kubectl\xe3\x80\x80get", "a space the shell does not split on (U+2000-U+200A, U+202F, U+205F, U+3000)", 7},
		{"pods\xef\xb8\x8f", "a variation selector (U+FE00-U+FE0F, U+E0100-U+E01EF)", 4},
		{"pods\xf3\xa0\x84\x81", "a variation selector (U+FE00-U+FE0F, U+E0100-U+E01EF)", 4},
		{"pods\xcd\x8f", "a combining grapheme joiner (U+034F)", 4},
		{"x\xe1\x85\x9fy", "a Hangul filler (U+115F, U+1160)", 1},
		{"x\xe2\xa0\x80y", "a Braille blank (U+2800)", 1},
		/* visible non-ASCII and bytes that are not UTF-8 are not reported */
		{"Canary error rate should be \xe2\x89\xa4 stable", NULL, 0},
		{"10% \xe2\x86\x92 25%", NULL, 0},
		{"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", NULL, 0},
		{"\xff\xfe bad bytes \xe2\x80", NULL, 0},
		{"\xe2\x80 then \xe2\x80\x8b", "a zero-width space (U+200B)", 8},
		{"", NULL, 0},
	};
	for (size_t i = 0; i < N(cases); i++) {
		size_t off = 999;
		const char *what = import_invisible(cases[i].text, &off);
		CHECK_CASE(what, cases[i].what, cases[i].text);
		if (what && cases[i].what)
			CHECK(off == cases[i].offset);
	}
	CHECK(import_invisible("a\xe2\x80\x8b", NULL) != NULL); /* OFFSET may be NULL */
}

static void test_alternatives(void)
{
	const char *deploy[] = {
		"Standard Deployment (Blue-Green)", "Canary Deployment (Progressive Rollout)",
		"Rolling Update Deployment", "Environment-Specific Procedures",
	};
	bool member[8];
	CHECK(import_alternatives(deploy, N(deploy)));
	CHECK(import_alternative_members(deploy, N(deploy), member) == 3);
	CHECK(member[0] && member[1] && member[2] && !member[3]);

	const char *rollback[] = {
		"When to Rollback", "Blue-Green Rollback (Immediate)", "Canary Rollback",
		"Rolling Update Rollback", "Database Rollback", "Configuration Rollback",
		"Post-Rollback Verification",
	};
	CHECK(import_alternative_members(rollback, N(rollback), member) == 3);
	CHECK(!member[0] && member[1] && member[2] && member[3] && !member[4] && !member[5] && !member[6]);

	static const struct { const char *titles[4]; size_t n; bool yes; } cases[] = {
		{{"Option A: Helm", "Option B: kustomize"}, 2, true},
		{{"Option 1 - manual", "Option 2 - scripted", "Verify"}, 3, true},
		{{"Alternative I", "Alternative II"}, 2, true},
		{{"Using Istio", "Using NGINX ingress"}, 2, true},
		{{"Blue/green", "Canary"}, 2, true},
		{{"Code Quality Validation", "Infrastructure Validation", "Backup and Recovery", "Deployment Artifacts"}, 4, false},
		{{"Health Check Validation (5 minutes)", "Smoke Tests (10 minutes)", "Performance Validation (15 minutes)"}, 3, false},
		{{"Staging Deployment", "Production Deployment"}, 2, false},
		{{"Canary Deployment"}, 1, false},
		{{"Canary Deployment", "Canary Rollback"}, 2, false},
		{{"Option A: Helm", "Plan B"}, 2, false},
		{{"Optional step", "Options"}, 2, false},
		{{NULL}, 0, false},
	};
	for (size_t i = 0; i < N(cases); i++)
		CHECK_BOOL(import_alternatives(cases[i].titles, cases[i].n), cases[i].yes,
			cases[i].n ? cases[i].titles[0] : "(none)");
}

/* Whole blocks of the NOA runbook through the rules as the importer uses
 * them: split, placeholders, flags; what runs expands with only the
 * variables made and holds no "<...>". */
static void test_noa_blocks(void)
{
	static const struct {
		const char *code, *vars;
		bool confirm, interactive;
		const char *expect;
	} cases[] = {
		{"# Check all service health endpoints\n"
			"for service in noa-mcp noa-claude-flow noa-ui noa-llama-cpp noa-agenticos; do\n"
			"  echo \"Checking $service...\"\n"
			"  kubectl exec -it deployment/$service -n noa-server -- curl -f http://localhost/health\n"
			"done\n\n# Expected: All return HTTP 200 with \"status\": \"healthy\"\n",
			"", false, true, "All return HTTP 200 with \"status\": \"healthy\""},
		{"# Port-forward to green environment\n"
			"kubectl port-forward -n noa-server-green svc/noa-mcp 8001:8001 &\nPF_PID=$!\n\n"
			"# Run smoke tests\ncurl http://localhost:8001/health\n\n# Kill port-forward\nkill $PF_PID\n\n"
			"# Expected: All health checks return 200, API calls succeed\n",
			"", false, false, "All health checks return 200, API calls succeed"},
		{"# Increase canary traffic: 10% \xe2\x86\x92 25% \xe2\x86\x92 50% \xe2\x86\x92 75% \xe2\x86\x92 100%\n"
			"# Wait 15 minutes between each increment\n\n# 25%\n"
			"kubectl annotate ingress noa-server-ingress -n noa-server \\\n"
			"  nginx.ingress.kubernetes.io/canary-weight=\"25\" --overwrite\n",
			"", true, false, ""},
		{"# Describe pod for troubleshooting\nkubectl describe pod <pod-name> -n noa-server\n\n"
			"# Exec into pod\nkubectl exec -it <pod-name> -n noa-server -- sh\n",
			"POD_NAME", false, true, ""},
		{"# 1. Declare SEV1 incident\n# Create incident channel: #incident-<timestamp>\n# Page on-call engineers\n\n"
			"# 2. Check infrastructure\nkubectl get nodes\nkubectl get pods --all-namespaces\n\n"
			"# 3. Restart all services\nkubectl rollout restart deployment -n noa-server\n",
			"TIMESTAMP", false, false, ""},
		{"# Step 1: Stop application to prevent new writes\n"
			"kubectl scale deployment noa-mcp --replicas=0 -n noa-server\n\n"
			"# Step 2: Restore database from backup\n"
			"kubectl exec -it noa-postgres-0 -n noa-server -- bash -c \"\n"
			"  psql -U noa -d postgres -c 'DROP DATABASE noa;'\n"
			"  psql -U noa -d noa < /backups/pre-deploy-*.sql\n\"\n",
			"", true, true, ""},
		{"# Run migrations job in green environment\n"
			"kubectl create job --from=cronjob/db-migrations manual-migration-$(date +%s) -n noa-server-green\n",
			"", false, false, ""},
	};
	for (size_t i = 0; i < N(cases); i++) {
		char *commands, *output, *expect;
		import_split_block(cases[i].code, import_lang("bash"), &commands, &output, &expect);
		CHECK_CASE(output, "", cases[i].code);
		CHECK_CASE(expect, cases[i].expect, cases[i].code);
		struct import_var *vars = NULL;
		size_t n = 0;
		char *run = import_placeholders(commands, &vars, &n);
		struct strbuf names = {0};
		strbuf_addstr(&names, "");
		for (size_t k = 0; k < n; k++)
			strbuf_addf(&names, "%s%s", k ? ";" : "", vars[k].name);
		CHECK_CASE(names.data, cases[i].vars, cases[i].code);
		CHECK_BOOL(expands_cleanly(run, vars, n), true, run);
		CHECK_BOOL(import_has_placeholder(run), false, run);
		CHECK_BOOL(import_destructive(run), cases[i].confirm, run);
		CHECK_BOOL(import_interactive(run), cases[i].interactive, run);
		CHECK(import_invisible(run, NULL) == NULL);
		strbuf_release(&names);
		import_vars_free(vars, n);
		free(run);
		free(commands);
		free(output);
		free(expect);
	}
}

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

/* Every function on SIZE bytes of FILL repeated; the CPU seconds taken. */
static double run_all(const char *fill, size_t size)
{
	size_t fl = strlen(fill);
	char *big = xmalloc(size + 1);
	for (size_t i = 0; i < size; i++)
		big[i] = fill[i % fl];
	big[size] = '\0';
	clock_t start = clock();
	char *c, *o, *e;
	import_split_block(big, IMPORT_LANG_CONSOLE, &c, &o, &e);
	free(c), free(o), free(e);
	import_split_block(big, IMPORT_LANG_SHELL, &c, &o, &e);
	free(c), free(o), free(e);
	(void)import_looks_like_commands(big);
	struct import_var *vars = NULL;
	size_t n = 0;
	free(import_placeholders(big, &vars, &n));
	import_vars_free(vars, n);
	free(import_estimate(big));
	free(import_wait(big));
	(void)import_destructive(big);
	(void)import_interactive(big);
	size_t off;
	(void)import_invisible(big, &off);
	(void)import_heading_kind(big);
	(void)import_heading_optional(big);
	free(import_clean_title(big));
	struct import_ids used = {0};
	free(import_make_id(big, "x", &used));
	import_ids_clear(&used);
	(void)import_inline_is_command(big);
	const char *titles[] = {big, big};
	(void)import_alternatives(titles, 2);
	double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
	free(big);
	return secs;
}

/* Hostile input: one line of 512 KiB of each pattern that could make a
 * scan go back or forth ('<', '$', "${", ranges, "wait", prompts with
 * continuations, here-documents, comments, quotes, dashes), and 5 MiB of
 * a few (one of them a single line); less under valgrind (COUNTERSIGN_WRAPPER) and sanitizers, which
 * are 10 to 50 times slower but still far past where quadratic work would
 * take minutes. Nothing here times out on its own: a scan gone quadratic
 * shows as the suite's timeout, and the CPU seconds of a slow pattern are
 * printed; speed itself is bench/bench_import.sh's to measure. */
static void test_bounded(void)
{
	static const char *const fills[] = {
		"<a", "$A", "${", "1-", "wait ", "$ x \\\n", "<<E\n", "# a\n", "\xe2\x80", "a'b\"", "-",
		"a b ", "(", ")", "x=", "\\", "5 minutes ", "kubectl delete -it ", "kubectl patch ",
		"<<E ", "kubectl apply -f - <<E\nkind: Ingress\nE\n", "ssh -i ", "<", "$(",
	};
	size_t line = 512u << 10, big = 5u << 20;
	if (getenv("COUNTERSIGN_WRAPPER"))
		line = 32u << 10, big = 256u << 10;
#ifdef SANITIZED
	line = 128u << 10, big = 1u << 20;
#endif
	/* distinct placeholders: each is looked up among the variables so far */
	struct strbuf distinct = {0};
	for (unsigned i = 0; distinct.len < line; i++)
		strbuf_addf(&distinct, "<p%u> $V%u ", i, i);
	struct import_var *vars = NULL;
	size_t n = 0;
	free(import_placeholders(distinct.data, &vars, &n));
	CHECK(n == IMPORT_MAX_VARS);
	import_vars_free(vars, n);
	strbuf_release(&distinct);
	for (size_t f = 0; f < N(fills); f++) {
		double secs = run_all(fills[f], line);
		if (secs > 5)
			fprintf(stderr, "fill \"%s\": %.2fs\n", fills[f], secs);
	}
	static const char *const big_fills[] = {"a b ", "$ kubectl get pods -n <ns> \\\n", "- [ ] wait 5-10 minutes\n"};
	for (size_t f = 0; f < N(big_fills); f++) {
		double secs = run_all(big_fills[f], big);
		if (secs > 10)
			fprintf(stderr, "fill \"%s\": %.2fs\n", big_fills[f], secs);
	}
}

int main(void)
{
	test_heading_kind();
	test_heading_optional();
	test_clean_title();
	test_make_id();
	test_make_id_valid();
	test_lang();
	test_looks_like_commands();
	test_split_block();
	test_inline_is_command();
	test_placeholders();
	test_estimate();
	test_estimate_valid();
	test_wait();
	test_destructive();
	test_interactive();
	test_invisible();
	test_alternatives();
	test_noa_blocks();
	test_bounded();
	return check_report();
}
