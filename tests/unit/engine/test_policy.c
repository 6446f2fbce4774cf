/* Unit tests for the gate policy of the engine (src/core/engine_derive.c,
 * engine_rules.c): signature meanings, roles, independence, "performed",
 * stale signatures under a policy, old records, and the refusals of
 * engine_can_sign and engine_gate_needs with the engineers they name.
 * Each test builds a run from events made here. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../check.h"
#include "engine_fx.h"
#include "countersign/checklist.h"
#include "countersign/engine.h"
#include "countersign/event.h"
#include "countersign/util.h"


/* db: a command and a manual item; app: one command, one signature. */
static const char policy_checklist[] =
	"{\"countersign\": 1, \"id\": \"policy-test\", \"title\": \"Policy test\",\n"
	" \"sections\": [\n"
	"  {\"id\": \"db\", \"title\": \"Database\", \"items\": [\n"
	"    {\"id\": \"migrate\", \"title\": \"Migrate\", \"kind\": \"command\", \"run\": \"true\", \"waivable\": true},\n"
	"    {\"id\": \"check\", \"title\": \"Check\", \"kind\": \"manual\"}]},\n"
	"  {\"id\": \"app\", \"title\": \"App\", \"signoffs\": 1, \"items\": [\n"
	"    {\"id\": \"deploy\", \"title\": \"Deploy\", \"kind\": \"command\", \"run\": \"true\"}]}\n"
	" ]}\n";

enum { DB, APP };

/* The registered engineers: alice holds nothing, bob dba, carol dba and
 * sre, dave sre, erin dba. */
static const char *const bob_roles[] = {"dba"};
static const char *const carol_roles[] = {"dba", "sre"};
static const char *const dave_roles[] = {"sre"};
static const char *const erin_roles[] = {"dba"};
static const struct engine_person people[] = {
	{"alice", NULL, 0}, {"bob", bob_roles, 1}, {"carol", carol_roles, 2}, {"dave", dave_roles, 1},
	{"erin", erin_roles, 1},
};
static const struct engine_roster roster = {people, sizeof(people) / sizeof(people[0])};

static char *why;

static struct fx *fx_open_text(const char *text)
{
	return fx_load("policy-test.json", text, "{\"checklist\":\"policy-test\",\"variables\":{}}");
}

/* The test checklist with db's policy set to COUNT, ROLES (comma-separated,
 * NULL: none), INDEPENDENT, PERFORMED and MEANING. */
static struct fx *fx_open(int count, const char *roles, bool independent, bool performed,
	enum checklist_meaning meaning)
{
	struct fx *f = fx_open_text(policy_checklist);
	struct checklist_policy *p = &f->cl->sections[DB].policy;
	for (size_t r = 0; r < p->n_roles; r++)
		free(p->roles[r]);
	free(p->roles);
	p->roles = NULL;
	p->n_roles = 0;
	for (const char *r = roles; r && *r;) {
		size_t len = strcspn(r, ",");
		p->roles = xreallocarray(p->roles, p->n_roles + 1, sizeof(*p->roles));
		p->roles[p->n_roles++] = xstrndup(r, len);
		r += len + (r[len] == ',');
	}
	p->count = f->cl->sections[DB].signoffs = count;
	p->independent = independent;
	p->performed = performed;
	p->meaning = meaning;
	engine_refresh(f->e, f->now);
	return f;
}

static void run_item(struct fx *f, const char *target, const char *who)
{
	ev(f, EV_CHECK_STARTED, target, who, "{\"attempt\":1}");
	ev(f, EV_CHECK_FINISHED, target, who, "{\"verdict\":\"pass\"}");
}

/* db's items pass: alice runs migrate, the program records its end, erin
 * attests check. */
static void db_done(struct fx *f)
{
	ev(f, EV_CHECK_STARTED, "db/migrate", "alice", "{\"attempt\":1}");
	ev(f, EV_CHECK_FINISHED, "db/migrate", "system", "{\"verdict\":\"pass\"}");
	ev(f, EV_ATTESTED, "db/check", "erin", "{\"verdict\":\"pass\"}");
}

/* WHO signs db with MEANING (a payload word, NULL: none) holding ROLES (a
 * JSON array text, NULL: none recorded), over the current evidence. */
static void sign(struct fx *f, size_t s, const char *who, const char *meaning, const char *roles)
{
	struct strbuf p = {0};
	strbuf_addf(&p, "{\"digest\":\"%s\"", engine_section(f->e, s)->digest);
	if (meaning)
		strbuf_addf(&p, ",\"meaning\":\"%s\"", meaning);
	if (roles)
		strbuf_addf(&p, ",\"roles\":%s", roles);
	strbuf_addstr(&p, "}");
	ev(f, EV_SIGNED, f->cl->sections[s].id, who, p.data);
	strbuf_release(&p);
}

static const struct engine_section_state *sec(const struct fx *f, size_t s)
{
	return engine_section(f->e, s);
}

static const struct engine_signoff *last_signoff(const struct fx *f, size_t s)
{
	const struct engine_section_state *ss = sec(f, s);
	return ss->n_signoffs ? &ss->signoffs[ss->n_signoffs - 1] : NULL;
}

/* engine_can_sign refuses with exactly WANT. */
#define REFUSED_AS(call, want) do { \
	bool ok_ = (call); \
	CHECK(!ok_); \
	CHECK_STR(why, (want)); \
	free(why); \
	why = NULL; \
} while (0)
#define ALLOWED(call) do { \
	bool ok_ = (call); \
	if (!ok_) \
		fprintf(stderr, "refused: %s\n", why ? why : "(no reason)"); \
	CHECK(ok_); \
	free(why); \
	why = NULL; \
} while (0)

/* gate_needs says exactly WANT (NULL: nothing). */
static void needs_is(const struct fx *f, size_t s, const char *want, int line)
{
	char *got = engine_gate_needs(f->e, s, &roster);
	if ((!got && !want) || (got && want && strcmp(got, want) == 0)) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "%s:%d: gate_needs\n  got:  %s\n  want: %s\n", __FILE__, line, got ? got : "(null)",
			want ? want : "(null)");
	}
	free(got);
}
#define NEEDS(f, s, want) needs_is((f), (s), (want), __LINE__)

/* ---- tests ---- */

/* Records from before meanings: "approve", "reject" and no meaning fold
 * as approvals and a rejection, counted under the default policy. */
static void test_old_records(void)
{
	struct fx *f = fx_open_text(policy_checklist);
	const struct checklist_policy *p = &f->cl->sections[DB].policy;
	CHECK(p->count == 2 && p->n_roles == 0 && !p->independent && !p->performed && p->meaning == MEANING_APPROVED);
	db_done(f);
	sign(f, DB, "bob", "approve", NULL);
	CHECK(last_signoff(f, DB)->meaning == MEANING_APPROVED && last_signoff(f, DB)->approve);
	CHECK(last_signoff(f, DB)->counted && last_signoff(f, DB)->n_roles == 0);
	CHECK(sec(f, DB)->approvals == 1 && !sec(f, DB)->gate_passed && sec(f, DB)->policy_met);
	sign(f, DB, "carol", "reject", NULL);
	CHECK(last_signoff(f, DB)->meaning == MEANING_REJECTED && !last_signoff(f, DB)->counted);
	CHECK(sec(f, DB)->rejected);
	sign(f, DB, "carol", NULL, NULL);  /* no meaning at all: an approval, superseding her rejection */
	CHECK(last_signoff(f, DB)->meaning == MEANING_APPROVED && last_signoff(f, DB)->counted);
	CHECK(sec(f, DB)->signoffs[1].superseded && !sec(f, DB)->rejected);
	CHECK(sec(f, DB)->approvals == 2 && sec(f, DB)->gate_passed);
	REFUSED_AS(engine_can_sign(f->e, DB, "bob", MEANING_APPROVED, NULL, &why),
		"bob has already approved this evidence of \"db\"; a second engineer must sign");
	fx_close(f);
}

/* The gate counts the policy's meaning only: reviewed signatures do not
 * count toward an approval gate, and approvals not toward a review gate. */
static void test_meanings(void)
{
	struct fx *f = fx_open(2, NULL, false, false, MEANING_APPROVED);
	db_done(f);
	ALLOWED(engine_can_sign(f->e, DB, "bob", MEANING_REVIEWED, &roster, &why));
	sign(f, DB, "bob", "reviewed", "[\"dba\"]");
	CHECK(!last_signoff(f, DB)->counted && sec(f, DB)->approvals == 0);
	CHECK(last_signoff(f, DB)->n_roles == 1 && strcmp(last_signoff(f, DB)->roles[0], "dba") == 0);
	REFUSED_AS(engine_can_sign(f->e, DB, "bob", MEANING_REVIEWED, &roster, &why),
		"bob has already signed this evidence of \"db\" as reviewed");
	/* a judgment replaces the same engineer's earlier one */
	sign(f, DB, "bob", "approved", "[\"dba\"]");
	CHECK(sec(f, DB)->signoffs[0].superseded && last_signoff(f, DB)->counted);
	ALLOWED(engine_can_sign(f->e, DB, "bob", MEANING_REVIEWED, &roster, &why));
	sign(f, DB, "carol", "approved", NULL);
	CHECK(sec(f, DB)->approvals == 2 && sec(f, DB)->gate_passed);
	fx_close(f);

	f = fx_open(1, NULL, false, false, MEANING_REVIEWED);
	db_done(f);
	sign(f, DB, "bob", "approved", NULL);
	CHECK(!last_signoff(f, DB)->counted && !sec(f, DB)->gate_passed);
	NEEDS(f, DB, "1 more review");
	sign(f, DB, "carol", "reviewed", NULL);
	CHECK(last_signoff(f, DB)->counted && sec(f, DB)->approvals == 1 && sec(f, DB)->gate_passed);
	NEEDS(f, DB, NULL);
	fx_close(f);
}

/* Each policy role must be held (as the signature recorded) by a counted
 * signer; the last slot is refused to one who would leave a role uncovered,
 * naming who could sign. */
static void test_roles(void)
{
	struct fx *f = fx_open(2, "dba,sre", false, false, MEANING_APPROVED);
	db_done(f);
	NEEDS(f, DB, "2 more approvals, by an engineer with roles dba, sre: bob, carol, dave, erin");
	/* two slots: alice, holding nothing, may take the first */
	ALLOWED(engine_can_sign(f->e, DB, "alice", MEANING_APPROVED, &roster, &why));
	sign(f, DB, "alice", "approved", "[]");
	CHECK(sec(f, DB)->approvals == 1 && !sec(f, DB)->policy_met);
	NEEDS(f, DB, "1 more approval, by an engineer with roles dba, sre: carol");
	REFUSED_AS(engine_can_sign(f->e, DB, "bob", MEANING_APPROVED, &roster, &why),
		"needs an approver with roles dba, sre: carol");
	REFUSED_AS(engine_can_sign(f->e, DB, "zed", MEANING_APPROVED, &roster, &why),
		"needs an approver with roles dba, sre: carol");
	/* without a roster nobody holds a role */
	REFUSED_AS(engine_can_sign(f->e, DB, "carol", MEANING_APPROVED, NULL, &why),
		"needs an approver with roles dba, sre: nobody registered can; grant the role with "
		"'countersign engineer role NAME --add dba'");
	ALLOWED(engine_can_sign(f->e, DB, "carol", MEANING_APPROVED, &roster, &why));
	/* rejections and other meanings are not held to the roles */
	ALLOWED(engine_can_sign(f->e, DB, "bob", MEANING_REJECTED, &roster, &why));
	ALLOWED(engine_can_sign(f->e, DB, "bob", MEANING_REVIEWED, &roster, &why));
	sign(f, DB, "carol", "approved", "[\"dba\",\"sre\"]");
	CHECK(sec(f, DB)->approvals == 2 && sec(f, DB)->policy_met && sec(f, DB)->gate_passed);
	NEEDS(f, DB, NULL);
	fx_close(f);

	/* a count reached without the role: the gate waits for one more, with it */
	f = fx_open(1, "dba", false, false, MEANING_APPROVED);
	db_done(f);
	sign(f, DB, "alice", "approved", NULL);  /* allowed by an older roster, say */
	CHECK(sec(f, DB)->approvals == 1 && !sec(f, DB)->policy_met && !sec(f, DB)->gate_passed);
	NEEDS(f, DB, "1 more approval, by an engineer with role dba: bob, carol, erin");
	REFUSED_AS(engine_can_sign(f->e, DB, "dave", MEANING_APPROVED, &roster, &why),
		"needs an approver with role dba: bob, carol, erin");
	/* the role the signature recorded is what counts, not the roster's */
	sign(f, DB, "dave", "approved", "[\"dba\"]");
	CHECK(sec(f, DB)->policy_met && sec(f, DB)->gate_passed);
	fx_close(f);

	/* nobody holds the role */
	f = fx_open(1, "auditor", false, false, MEANING_APPROVED);
	db_done(f);
	REFUSED_AS(engine_can_sign(f->e, DB, "bob", MEANING_APPROVED, &roster, &why),
		"needs an approver with role auditor: nobody registered can; grant the role with "
		"'countersign engineer role NAME --add auditor'");
	fx_close(f);
}

/* Under "independent" an engineer who ran, attested or waived an item of
 * the section does not count, is refused, and the refusal names who could. */
static void test_independent(void)
{
	struct fx *f = fx_open(1, NULL, true, false, MEANING_APPROVED);
	db_done(f);
	const struct engine_section_state *ss = sec(f, DB);
	/* alice started migrate, erin attested check; the program ("system") is nobody */
	CHECK(ss->n_executors == 2 && strcmp(ss->executors[0], "alice") == 0 && strcmp(ss->executors[1], "erin") == 0);
	CHECK_STR(ss->executor_acts[0], "ran db/migrate");
	CHECK_STR(ss->executor_acts[1], "attested db/check");
	NEEDS(f, DB, "1 more approval, by an engineer who did not run its items: bob, carol, dave");
	REFUSED_AS(engine_can_sign(f->e, DB, "alice", MEANING_APPROVED, &roster, &why),
		"needs an approver who did not run, attest or waive items of \"db\" (alice ran db/migrate): "
		"bob, carol, dave");
	REFUSED_AS(engine_can_sign(f->e, DB, "erin", MEANING_APPROVED, &roster, &why),
		"needs an approver who did not run, attest or waive items of \"db\" (erin attested db/check): "
		"bob, carol, dave");
	/* an executor may still reject, and review (not counted here) */
	ALLOWED(engine_can_sign(f->e, DB, "alice", MEANING_REJECTED, &roster, &why));
	ALLOWED(engine_can_sign(f->e, DB, "alice", MEANING_REVIEWED, &roster, &why));
	/* one who signed anyway (an older program) does not count */
	sign(f, DB, "alice", "approved", NULL);
	CHECK(!last_signoff(f, DB)->counted && sec(f, DB)->approvals == 0 && !sec(f, DB)->gate_passed);
	ALLOWED(engine_can_sign(f->e, DB, "bob", MEANING_APPROVED, &roster, &why));
	sign(f, DB, "bob", "approved", "[\"dba\"]");
	CHECK(last_signoff(f, DB)->counted && sec(f, DB)->gate_passed);
	fx_close(f);

	/* a waiver makes its giver an executor */
	f = fx_open(1, NULL, true, false, MEANING_APPROVED);
	ev(f, EV_CHECK_STARTED, "db/migrate", "alice", "{\"attempt\":1}");
	ev(f, EV_CHECK_FINISHED, "db/migrate", "alice", "{\"verdict\":\"fail\"}");
	ev(f, EV_WAIVED, "db/migrate", "dave", "{\"reason\":\"known\"}");
	ev(f, EV_ATTESTED, "db/check", "alice", "{\"verdict\":\"pass\"}");
	REFUSED_AS(engine_can_sign(f->e, DB, "dave", MEANING_APPROVED, &roster, &why),
		"needs an approver who did not run, attest or waive items of \"db\" (dave waived db/migrate): "
		"bob, carol, erin");
	fx_close(f);

	/* independence and a role together */
	f = fx_open(1, "dba", true, false, MEANING_APPROVED);
	db_done(f);
	NEEDS(f, DB, "1 more approval, by an engineer with role dba who did not run its items: bob, carol");
	REFUSED_AS(engine_can_sign(f->e, DB, "dave", MEANING_APPROVED, &roster, &why),
		"needs an approver with role dba who did not run items of this section: bob, carol");
	REFUSED_AS(engine_can_sign(f->e, DB, "erin", MEANING_APPROVED, &roster, &why),
		"needs an approver who did not run, attest or waive items of \"db\" (erin attested db/check), "
		"with role dba: bob, carol");
	fx_close(f);

	/* nobody left who did not run the items */
	f = fx_open(1, NULL, true, false, MEANING_APPROVED);
	const char *const everyone[] = {"alice", "bob", "carol", "dave", "erin"};
	for (size_t k = 0; k < 5; k++)
		ev(f, EV_ATTESTED, "db/check", everyone[k], "{\"verdict\":\"pass\"}");
	run_item(f, "db/migrate", "alice");
	REFUSED_AS(engine_can_sign(f->e, DB, "bob", MEANING_APPROVED, &roster, &why),
		"needs an approver who did not run, attest or waive items of \"db\" (bob attested db/check): "
		"nobody registered can; register another engineer with 'countersign engineer add'");
	fx_close(f);
}

/* "performed": a current performed signature by one who did the work,
 * besides the counted ones; only an executor may sign as performed. */
static void test_performed(void)
{
	struct fx *f = fx_open(1, NULL, true, true, MEANING_APPROVED);
	REFUSED_AS(engine_can_sign(f->e, DB, "alice", MEANING_PERFORMED, &roster, &why),
		"cannot sign \"db\" as performed yet: db/migrate is pending (every required item must pass or be "
		"waived first)");
	db_done(f);
	NEEDS(f, DB, "1 more approval, by an engineer who did not run its items: bob, carol, dave; "
		"a performed signature by one who ran its items (alice, erin)");
	REFUSED_AS(engine_can_sign(f->e, DB, "bob", MEANING_PERFORMED, &roster, &why),
		"bob did not run, attest or waive any item of \"db\"; a performed signature says the signer did "
		"this work: sign as reviewed or approved");
	sign(f, DB, "bob", "approved", NULL);
	CHECK(sec(f, DB)->approvals == 1 && !sec(f, DB)->policy_met && !sec(f, DB)->gate_passed);
	NEEDS(f, DB, "a performed signature by one who ran its items (alice, erin)");
	ALLOWED(engine_can_sign(f->e, DB, "alice", MEANING_PERFORMED, &roster, &why));
	sign(f, DB, "alice", "performed", NULL);
	CHECK(!last_signoff(f, DB)->counted && sec(f, DB)->policy_met && sec(f, DB)->gate_passed);
	CHECK(sec(f, DB)->passed_us == last_signoff(f, DB)->time_us);
	/* not counted, but it is the performed signature the policy needs */
	CHECK(last_signoff(f, DB)->performs && !sec(f, DB)->signoffs[0].performs);
	fx_close(f);

	/* without independence one engineer may say both "I did it" and "I approve" */
	f = fx_open(1, NULL, false, true, MEANING_APPROVED);
	db_done(f);
	sign(f, DB, "alice", "performed", NULL);
	REFUSED_AS(engine_can_sign(f->e, DB, "alice", MEANING_PERFORMED, &roster, &why),
		"alice has already signed this evidence of \"db\" as performed");
	ALLOWED(engine_can_sign(f->e, DB, "alice", MEANING_APPROVED, &roster, &why));
	sign(f, DB, "alice", "approved", NULL);
	CHECK(!sec(f, DB)->signoffs[0].superseded && sec(f, DB)->signoffs[1].counted);
	CHECK(sec(f, DB)->signoffs[0].performs && !sec(f, DB)->signoffs[1].performs);
	CHECK(sec(f, DB)->policy_met && sec(f, DB)->gate_passed);
	fx_close(f);
}

/* Signatures on old evidence count for nothing under a policy, and an
 * approver who later works on an item stops counting. */
static void test_stale_under_policy(void)
{
	struct fx *f = fx_open(1, "dba", true, false, MEANING_APPROVED);
	db_done(f);
	sign(f, DB, "bob", "approved", "[\"dba\"]");
	CHECK(sec(f, DB)->gate_passed);
	/* bob re-runs migrate after the gate passed: the signed verdict stands
	 * (same evidence) but bob is now one who ran it */
	run_item(f, "db/migrate", "bob");
	CHECK(!sec(f, DB)->signoffs[0].stale && !sec(f, DB)->signoffs[0].counted);
	CHECK(sec(f, DB)->approvals == 0 && !sec(f, DB)->policy_met && !sec(f, DB)->gate_passed);
	NEEDS(f, DB, "1 more approval, by an engineer with role dba who did not run its items: carol");
	REFUSED_AS(engine_can_sign(f->e, DB, "bob", MEANING_APPROVED, &roster, &why),
		"needs an approver who did not run, attest or waive items of \"db\" (bob ran db/migrate), with role "
		"dba: carol");
	sign(f, DB, "carol", "approved", "[\"dba\",\"sre\"]");
	CHECK(sec(f, DB)->gate_passed);
	fx_close(f);

	/* a signature on old evidence: neither its count nor its role stand */
	f = fx_open(1, "dba", false, false, MEANING_APPROVED);
	db_done(f);
	char old[EVENT_HASH_HEX];
	memcpy(old, sec(f, DB)->digest, EVENT_HASH_HEX);
	ev(f, EV_ATTESTED, "db/check", "erin", "{\"verdict\":\"fail\"}");
	char *p = xasprintf("{\"meaning\":\"approved\",\"roles\":[\"dba\"],\"digest\":\"%s\"}", old);
	ev(f, EV_SIGNED, "db", "bob", p);
	free(p);
	CHECK(last_signoff(f, DB)->stale && !last_signoff(f, DB)->counted);
	ev(f, EV_ATTESTED, "db/check", "erin", "{\"verdict\":\"pass\"}");
	CHECK(sec(f, DB)->signoffs[0].stale && sec(f, DB)->approvals == 0 && !sec(f, DB)->policy_met);
	CHECK(!sec(f, DB)->gate_passed);
	/* bob may sign the new evidence */
	ALLOWED(engine_can_sign(f->e, DB, "bob", MEANING_APPROVED, &roster, &why));
	fx_close(f);

	/* a performed signature on old evidence does not satisfy "performed" */
	f = fx_open(1, NULL, false, true, MEANING_APPROVED);
	db_done(f);
	sign(f, DB, "alice", "performed", NULL);
	run_item(f, "db/migrate", "alice");
	sign(f, DB, "bob", "approved", NULL);
	CHECK(sec(f, DB)->signoffs[0].stale && !sec(f, DB)->policy_met && !sec(f, DB)->gate_passed);
	fx_close(f);
}

/* A rejection blocks under any policy; the gate says whose; a new
 * judgment by the same engineer replaces it. */
static void test_rejection(void)
{
	struct fx *f = fx_open(1, NULL, true, false, MEANING_APPROVED);
	db_done(f);
	sign(f, DB, "alice", "rejected", NULL);
	sign(f, DB, "bob", "approved", NULL);
	CHECK(sec(f, DB)->rejected && sec(f, DB)->approvals == 1 && !sec(f, DB)->gate_passed);
	NEEDS(f, DB, "alice's rejection withdrawn (alice signs again as reviewed or approved)");
	/* a performed signature stands beside the rejection: it does not withdraw it */
	sign(f, DB, "alice", "performed", NULL);
	CHECK(sec(f, DB)->rejected && !sec(f, DB)->gate_passed);
	NEEDS(f, DB, "alice's rejection withdrawn (alice signs again as reviewed or approved)");
	sign(f, DB, "alice", "reviewed", NULL);
	CHECK(!sec(f, DB)->rejected && sec(f, DB)->gate_passed);
	fx_close(f);
}

/* What engine_gate_needs leaves out, and the general refusals. */
static void test_needs_nothing(void)
{
	struct fx *f = fx_open(2, NULL, false, false, MEANING_APPROVED);
	NEEDS(f, DB, NULL);  /* items not done */
	NEEDS(f, APP, NULL);  /* locked, items not done */
	db_done(f);
	NEEDS(f, DB, "2 more approvals");
	sign(f, DB, "bob", "approved", NULL);
	NEEDS(f, DB, "1 more approval");
	sign(f, DB, "carol", "approved", NULL);
	NEEDS(f, DB, NULL);  /* passed */
	fx_close(f);

	f = fx_open(0, NULL, false, false, MEANING_APPROVED);
	db_done(f);
	CHECK(sec(f, DB)->gate_passed && sec(f, DB)->policy_met);
	NEEDS(f, DB, NULL);
	REFUSED_AS(engine_can_sign(f->e, DB, "bob", MEANING_APPROVED, &roster, &why),
		"section \"db\" needs no signature");
	REFUSED_AS(engine_can_sign(f->e, DB, "bob", MEANING_PERFORMED, &roster, &why),
		"section \"db\" needs no signature");
	fx_close(f);
}

/* The checklist's default policy applies where a section says nothing;
 * a section's own signoffs replaces it whole. */
static void test_defaults_and_overrides(void)
{
	struct fx *f = fx_open_text(
		"{\"countersign\": 1, \"id\": \"policy-test\", \"title\": \"Defaults\",\n"
		" \"signoffs\": {\"count\": 1, \"roles\": [\"dba\"], \"independent\": true},\n"
		" \"sections\": [\n"
		"  {\"id\": \"db\", \"title\": \"Database\", \"items\": [\n"
		"    {\"id\": \"migrate\", \"title\": \"Migrate\", \"kind\": \"command\", \"run\": \"true\"}]},\n"
		"  {\"id\": \"app\", \"title\": \"App\", \"signoffs\": {\"count\": 1}, \"items\": [\n"
		"    {\"id\": \"deploy\", \"title\": \"Deploy\", \"kind\": \"command\", \"run\": \"true\"}]}\n"
		" ]}\n");
	run_item(f, "db/migrate", "erin");
	REFUSED_AS(engine_can_sign(f->e, DB, "erin", MEANING_APPROVED, &roster, &why),
		"needs an approver who did not run, attest or waive items of \"db\" (erin ran db/migrate), with role "
		"dba: bob, carol");
	REFUSED_AS(engine_can_sign(f->e, DB, "dave", MEANING_APPROVED, &roster, &why),
		"needs an approver with role dba who did not run items of this section: bob, carol");
	sign(f, DB, "bob", "approved", "[\"dba\"]");
	CHECK(sec(f, DB)->gate_passed);
	/* app's own policy has neither the role nor independence of the default */
	run_item(f, "app/deploy", "erin");
	ALLOWED(engine_can_sign(f->e, APP, "erin", MEANING_APPROVED, &roster, &why));
	sign(f, APP, "erin", "approved", "[\"dba\"]");
	CHECK(sec(f, APP)->gate_passed);
	fx_close(f);
}

int main(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "sodium_init failed\n");
		return 2;
	}
	test_old_records();
	test_meanings();
	test_roles();
	test_independent();
	test_performed();
	test_stale_under_policy();
	test_rejection();
	test_needs_nothing();
	test_defaults_and_overrides();
	return check_report();
}
