/* Unit tests for the gate engine (src/core/engine*.c): verdict folding,
 * waits, evidence digests, sign-offs, gates, locks, choice groups,
 * overrides, waivers, attestations and the permission answers with their
 * reasons. Every test builds a run from events made here and looks at the
 * state and the permissions the engine derives from them. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../check.h"
#include "engine_fx.h"
#include "countersign/checklist.h"
#include "countersign/engine.h"
#include "countersign/event.h"
#include "countersign/util.h"

#define NONE ((size_t)-1)  /* not locked */
#define ANY ((size_t)-2)   /* locked, whatever the reason (not chosen) */

/* The checklist most tests run: a gated section, a gate-less one, an
 * always-open one (with a gate, to show it still never blocks), a choice
 * group of two, a wait section without sign-offs and a one-signature end. */
static const char main_checklist[] =
	"{\"countersign\": 1, \"id\": \"engine-test\", \"title\": \"Engine test\",\n"
	" \"sections\": [\n"
	"  {\"id\": \"prep\", \"title\": \"Preparation\", \"items\": [\n"
	"    {\"id\": \"build\", \"title\": \"Build\", \"kind\": \"command\", \"run\": \"true\"},\n"
	"    {\"id\": \"lint\", \"title\": \"Lint\", \"kind\": \"command\", \"run\": \"true\", \"waivable\": true},\n"
	"    {\"id\": \"review\", \"title\": \"Review\", \"kind\": \"manual\"},\n"
	"    {\"id\": \"extra\", \"title\": \"Extra\", \"kind\": \"command\", \"run\": \"true\", \"required\": false,\n"
	"     \"waivable\": true},\n"
	"    {\"id\": \"shell\", \"title\": \"Shell\", \"kind\": \"command\", \"run\": \"sh\", \"interactive\": true}\n"
	"  ]},\n"
	"  {\"id\": \"scratch\", \"title\": \"Scratch notes\", \"gate\": false, \"items\": [\n"
	"    {\"id\": \"jot\", \"title\": \"Jot\", \"kind\": \"command\", \"run\": \"true\"}]},\n"
	"  {\"id\": \"rollback\", \"title\": \"Rollback\", \"always_open\": true, \"items\": [\n"
	"    {\"id\": \"undo\", \"title\": \"Undo\", \"kind\": \"command\", \"run\": \"true\"}]},\n"
	"  {\"id\": \"blue\", \"title\": \"Blue-Green\", \"choice\": \"strategy\", \"items\": [\n"
	"    {\"id\": \"switch\", \"title\": \"Switch\", \"kind\": \"command\", \"run\": \"true\"}]},\n"
	"  {\"id\": \"canary\", \"title\": \"Canary\", \"choice\": \"strategy\", \"items\": [\n"
	"    {\"id\": \"shift\", \"title\": \"Shift\", \"kind\": \"command\", \"run\": \"true\"}]},\n"
	"  {\"id\": \"soak\", \"title\": \"Soak\", \"signoffs\": 0, \"items\": [\n"
	"    {\"id\": \"watch\", \"title\": \"Watch\", \"kind\": \"wait\", \"duration\": \"10m\"}]},\n"
	"  {\"id\": \"final\", \"title\": \"Final\", \"signoffs\": 1, \"items\": [\n"
	"    {\"id\": \"smoke\", \"title\": \"Smoke\", \"kind\": \"command\", \"run\": \"true\", \"waivable\": true}]}\n"
	" ]}\n";

enum { PREP, SCRATCH, ROLLBACK, BLUE, CANARY, SOAK, FINAL, N_SECTIONS };
enum { BUILD, LINT, REVIEW, EXTRA, SHELL, N_PREP_ITEMS };
#define PREP_REQUIRED 4 /* build, lint, review, shell */

/* ---- fixture: a checklist, an engine and a clock ---- */

static char *why;             /* filled by the engine_can_* calls, see perm() */

static struct fx *fx_open_text(const char *text)
{
	return fx_load("engine-test.json", text,
		"{\"checklist\":\"engine-test\","
		"\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"title\":\"Release 1.2.3\",\"variables\":{\"VERSION\":\"1.2.3\"},\"window_ms\":3600000,"
		"\"path\":\"engine-test.json\"}");
}

static struct fx *fx_open(void)
{
	return fx_open_text(main_checklist);
}

/* Moves the clock by DELTA without an event and refreshes. */
static void advance(struct fx *f, int64_t delta)
{
	f->now += delta;
	engine_refresh(f->e, f->now);
}

/* ---- event makers ---- */

static const char *start(struct fx *f, const char *target)
{
	return ev(f, EV_CHECK_STARTED, target, "alice", "{\"attempt\":1,\"command\":\"true\"}");
}

static const char *finish(struct fx *f, const char *target, const char *verdict)
{
	char *p = xasprintf("{\"verdict\":\"%s\",\"message\":\"ended %s\",\"duration_ms\":12}",
		verdict, verdict);
	ev(f, EV_CHECK_FINISHED, target, "alice", p);
	free(p);
	return f->hash;
}

/* A check_finished that asks for an engineer's attestation. */
static const char *finish_attest(struct fx *f, const char *target, const char *verdict)
{
	char *p = xasprintf("{\"verdict\":\"%s\",\"message\":\"see terminal\",\"needs_attestation\":true}",
		verdict);
	ev(f, EV_CHECK_FINISHED, target, "alice", p);
	free(p);
	return f->hash;
}

static const char *attest(struct fx *f, const char *target, const char *who, bool pass)
{
	return ev(f, EV_ATTESTED, target, who,
		pass ? "{\"verdict\":\"pass\",\"note\":\"looked\"}" : "{\"verdict\":\"fail\"}");
}

static const char *waive(struct fx *f, const char *target)
{
	return ev(f, EV_WAIVED, target, "bob", "{\"reason\":\"known flaky\"}");
}

static void pass_item(struct fx *f, const char *target)
{
	start(f, target);
	finish(f, target, "pass");
}

/* Signs section S as WHO over DIGEST (the current evidence when NULL). */
static void sign_over(struct fx *f, size_t s, const char *who, bool approve, const char *digest)
{
	char d[EVENT_HASH_HEX];
	memcpy(d, digest ? digest : engine_section(f->e, s)->digest, EVENT_HASH_HEX);
	char *p = xasprintf("{\"meaning\":\"%s\",\"comment\":\"%s\",\"digest\":\"%s\"}",
		approve ? "approve" : "reject", approve ? "" : "not convinced", d);
	ev(f, EV_SIGNED, f->cl->sections[s].id, who, p);
	free(p);
}

static void approve(struct fx *f, size_t s, const char *who)
{
	sign_over(f, s, who, true, NULL);
}

static void reject(struct fx *f, size_t s, const char *who)
{
	sign_over(f, s, who, false, NULL);
}

static void choose(struct fx *f, const char *section)
{
	ev(f, EV_CHOSEN, section, "alice", "{\"group\":\"strategy\"}");
}

static void override(struct fx *f, const char *section)
{
	ev(f, EV_OVERRIDE, section, "alice",
		"{\"engineers\":[\"alice\",\"bob\"],\"reason\":\"database is down\",\"incident\":\"INC-42\"}");
}

/* Every required item of prep passes (shell is interactive: attested). */
static void pass_prep(struct fx *f)
{
	pass_item(f, "prep/build");
	pass_item(f, "prep/lint");
	attest(f, "prep/review", "alice", true);
	start(f, "prep/shell");
	finish_attest(f, "prep/shell", "pass");
	attest(f, "prep/shell", "alice", true);
}

/* prep passes its gate: items pass, alice and bob approve. */
static void open_prep(struct fx *f)
{
	pass_prep(f);
	approve(f, PREP, "alice");
	approve(f, PREP, "bob");
}

/* prep open, blue chosen and passed. */
static void through_blue(struct fx *f)
{
	open_prep(f);
	choose(f, "blue");
	pass_item(f, "blue/switch");
	approve(f, BLUE, "alice");
	approve(f, BLUE, "bob");
}

/* ---- assertion helpers ---- */

static void expect(bool cond, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void expect(bool cond, int line, const char *fmt, ...)
{
	if (cond) {
		check_passed++;
		return;
	}
	check_failed++;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s:%d: ", __FILE__, line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Checks a permission answer: OK against WANT and, when refused, that the
 * reason names NEEDLE1 and NEEDLE2 (either may be NULL). Frees the reason. */
static void perm(bool ok, bool want, const char *needle1, const char *needle2, const char *call, int line)
{
	if (ok != want) {
		expect(false, line, "%s: %s, want %s (why: %s)", call, ok ? "allowed" : "refused",
			want ? "allowed" : "refused", why ? why : "(none)");
	} else if (!want) {
		expect(why != NULL, line, "%s: refused without a reason", call);
		if (why && needle1)
			expect(strstr(why, needle1) != NULL, line, "%s: reason \"%s\" does not mention \"%s\"",
				call, why, needle1);
		if (why && needle2)
			expect(strstr(why, needle2) != NULL, line, "%s: reason \"%s\" does not mention \"%s\"",
				call, why, needle2);
	} else {
		check_passed++;
	}
	free(why);
	why = NULL;
}

#define ALLOWED(call) perm((call), true, NULL, NULL, #call, __LINE__)
#define REFUSED(call) perm((call), false, NULL, NULL, #call, __LINE__)
#define REFUSED_WHY(call, n1) perm((call), false, (n1), NULL, #call, __LINE__)
#define REFUSED_WHY2(call, n1, n2) perm((call), false, (n1), (n2), #call, __LINE__)

static const struct engine_item_state *item(const struct fx *f, size_t s, size_t i)
{
	return engine_item(f->e, s, i);
}

static const struct engine_section_state *sec(const struct fx *f, size_t s)
{
	return engine_section(f->e, s);
}

static void expect_verdict(const struct fx *f, size_t s, size_t i, enum engine_verdict want, int line)
{
	enum engine_verdict got = item(f, s, i)->verdict;
	expect(got == want, line, "%s/%s: verdict %s, want %s", f->cl->sections[s].id,
		f->cl->sections[s].items[i].id, engine_verdict_name(got), engine_verdict_name(want));
}
#define VERDICT(f, s, i, want) expect_verdict((f), (s), (i), (want), __LINE__)

static void expect_mark(const struct fx *f, size_t s, enum engine_section_mark want, int line)
{
	enum engine_section_mark got = sec(f, s)->mark;
	expect(got == want, line, "section %s: mark %s, want %s", f->cl->sections[s].id,
		engine_section_mark_name(got), engine_section_mark_name(want));
}
#define MARK(f, s, want) expect_mark((f), (s), (want), __LINE__)

/* Section S is locked by BLOCKER (NONE: not locked; ANY: by no section in particular). */
static void expect_lock(const struct fx *f, size_t s, size_t blocker, int line)
{
	const struct engine_section_state *st = sec(f, s);
	const char *id = f->cl->sections[s].id;
	if (blocker == NONE) {
		expect(!st->locked, line, "section %s: locked by %s, want unlocked", id,
			st->blocked_by < f->cl->n_sections ? f->cl->sections[st->blocked_by].id : "?");
		return;
	}
	if (blocker == ANY) {
		expect(st->locked, line, "section %s: unlocked, want locked", id);
		return;
	}
	expect(st->locked && st->blocked_by == blocker, line, "section %s: %s by %zu, want locked by %s",
		id, st->locked ? "locked" : "unlocked", st->blocked_by, f->cl->sections[blocker].id);
}
#define LOCK(f, s, blocker) expect_lock((f), (s), (blocker), __LINE__)

/* The digest the rules define: for each item in file order its id, '\0',
 * the hash of its latest verdict event or "-", '\n'. HASHES[i] NULL: none. */
static void digest_of(const struct fx *f, size_t s, const char *const *hashes, char out[EVENT_HASH_HEX])
{
	struct strbuf sb = {0};
	const struct checklist_section *sc = &f->cl->sections[s];
	for (size_t i = 0; i < sc->n_items; i++) {
		strbuf_add(&sb, sc->items[i].id, strlen(sc->items[i].id) + 1); /* with its NUL */
		strbuf_addstr(&sb, hashes[i] ? hashes[i] : "-");
		strbuf_addstr(&sb, "\n");
	}
	event_sha256_hex(sb.len ? sb.data : "", sb.len, out);
	strbuf_release(&sb);
}

/* ---- tests ---- */

static void test_names(void)
{
	static const struct {
		enum engine_verdict v;
		const char *name;
	} names[] = {
		{VERDICT_PENDING, "pending"}, {VERDICT_RUNNING, "running"}, {VERDICT_PASS, "pass"},
		{VERDICT_FAIL, "fail"}, {VERDICT_ERROR, "error"}, {VERDICT_NO_DATA, "no_data"},
		{VERDICT_TIMEOUT, "timeout"}, {VERDICT_CANCELLED, "cancelled"}, {VERDICT_WAIVED, "waived"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		enum engine_verdict v = VERDICT_PENDING;
		CHECK_STR(engine_verdict_name(names[i].v), names[i].name);
		expect(engine_verdict_parse(names[i].name, &v) && v == names[i].v, __LINE__,
			"engine_verdict_parse(\"%s\")", names[i].name);
	}
	enum engine_verdict v;
	CHECK(!engine_verdict_parse("passed", &v));
	CHECK(!engine_verdict_parse("", &v));
	CHECK_STR(engine_run_status_name(RUN_OPEN), "open");
	CHECK_STR(engine_run_status_name(RUN_COMPLETED), "completed");
	CHECK_STR(engine_run_status_name(RUN_ABORTED), "aborted");
	/* Every mark has its own name (FORCED must be told apart everywhere). */
	static const enum engine_section_mark marks[] = {MARK_LOCKED, MARK_OPEN, MARK_PASSED, MARK_FAILED,
		MARK_RUNNING, MARK_FORCED, MARK_NOT_CHOSEN, MARK_CHOOSE};
	size_t n = sizeof(marks) / sizeof(marks[0]);
	bool distinct = true;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (!engine_section_mark_name(marks[i]) || !engine_section_mark_name(marks[j]) ||
				strcmp(engine_section_mark_name(marks[i]), engine_section_mark_name(marks[j])) == 0)
				distinct = false;
	CHECK(distinct);
}

static void test_fresh_run(void)
{
	struct fx *f = fx_open();
	CHECK(engine_checklist(f->e) == f->cl);
	CHECK(engine_status(f->e) == RUN_OPEN);
	CHECK(engine_started_us(f->e) == T0);
	CHECK(engine_last_seq(f->e) == 1);
	const char *vars = engine_variables_json(f->e);
	CHECK(vars && strstr(vars, "VERSION") && strstr(vars, "1.2.3"));
	for (size_t i = 0; i < N_PREP_ITEMS; i++) {
		VERDICT(f, PREP, i, VERDICT_PENDING);
		CHECK(item(f, PREP, i)->attempts == 0);
	}
	CHECK(sec(f, PREP)->required_total == PREP_REQUIRED);
	CHECK(sec(f, PREP)->required_done == 0);
	CHECK(sec(f, PREP)->approvals == 0 && sec(f, PREP)->n_signoffs == 0);
	CHECK(!sec(f, PREP)->gate_passed);
	MARK(f, PREP, MARK_OPEN);
	CHECK(engine_current_section(f->e) == PREP);
	CHECK(!engine_all_gates_passed(f->e));
	ALLOWED(engine_can_check(f->e, PREP, BUILD, &why));
	ALLOWED(engine_can_note(f->e, &why));
	ALLOWED(engine_can_abort(f->e, &why));
	fx_close(f);
}

/* Each check_finished verdict: what the item shows, whether it counts for
 * the gate, whether the section turns FAILED, whether a waiver is allowed. */
static void test_verdict_folding(void)
{
	static const struct {
		const char *name;
		enum engine_verdict v;
		bool counts;
	} table[] = {
		{"pass", VERDICT_PASS, true}, {"fail", VERDICT_FAIL, false},
		{"error", VERDICT_ERROR, false}, {"no_data", VERDICT_NO_DATA, false},
		{"timeout", VERDICT_TIMEOUT, false}, {"cancelled", VERDICT_CANCELLED, false},
	};
	for (size_t k = 0; k < sizeof(table) / sizeof(table[0]); k++) {
		struct fx *f = fx_open();
		int64_t t_start = f->now + SEC_US;
		start(f, "prep/lint");
		VERDICT(f, PREP, LINT, VERDICT_RUNNING);
		MARK(f, PREP, MARK_RUNNING);
		CHECK(item(f, PREP, LINT)->started_us == t_start);
		REFUSED_WHY(engine_can_check(f->e, PREP, LINT, &why), "running");
		REFUSED(engine_can_waive(f->e, PREP, LINT, &why));
		finish(f, "prep/lint", table[k].name);
		const struct engine_item_state *it = item(f, PREP, LINT);
		VERDICT(f, PREP, LINT, table[k].v);
		CHECK(it->attempts == 1);
		CHECK(it->finished_us == f->now);
		CHECK(it->message && strstr(it->message, table[k].name));
		CHECK_STR(it->actor, "alice");
		CHECK(sec(f, PREP)->required_done == (table[k].counts ? 1 : 0));
		MARK(f, PREP, table[k].counts ? MARK_OPEN : MARK_FAILED);
		/* A finished check may be run again. */
		ALLOWED(engine_can_check(f->e, PREP, LINT, &why));
		if (table[k].counts) {
			REFUSED(engine_can_waive(f->e, PREP, LINT, &why));
		} else {
			ALLOWED(engine_can_waive(f->e, PREP, LINT, &why));
			/* Not waivable: refused whatever the verdict. */
			start(f, "prep/build");
			finish(f, "prep/build", table[k].name);
			REFUSED(engine_can_waive(f->e, PREP, BUILD, &why));
			waive(f, "prep/lint");
			VERDICT(f, PREP, LINT, VERDICT_WAIVED);
			CHECK(item(f, PREP, LINT)->checked == table[k].v);
			CHECK(sec(f, PREP)->required_done == 1);
			REFUSED(engine_can_waive(f->e, PREP, LINT, &why)); /* already waived */
		}
		fx_close(f);
	}
}

static void test_optional_items(void)
{
	struct fx *f = fx_open();
	start(f, "prep/extra");
	finish(f, "prep/extra", "fail");
	VERDICT(f, PREP, EXTRA, VERDICT_FAIL);
	/* An optional failure neither marks the section FAILED nor blocks it. */
	MARK(f, PREP, MARK_OPEN);
	CHECK(sec(f, PREP)->required_done == 0 && sec(f, PREP)->required_total == PREP_REQUIRED);
	pass_prep(f);
	CHECK(sec(f, PREP)->required_done == PREP_REQUIRED);
	ALLOWED(engine_can_sign(f->e, PREP, "alice", MEANING_APPROVED, NULL, &why));
	/* Optional but waivable: may be waived once failed. */
	ALLOWED(engine_can_waive(f->e, PREP, EXTRA, &why));
	approve(f, PREP, "alice");
	approve(f, PREP, "bob");
	CHECK(sec(f, PREP)->gate_passed);
	MARK(f, PREP, MARK_PASSED);
	fx_close(f);
}

static void test_attempts(void)
{
	struct fx *f = fx_open();
	CHECK(sec(f, PREP)->first_us == 0);
	int64_t t1 = f->now + SEC_US;
	start(f, "prep/build");
	CHECK(sec(f, PREP)->first_us == t1); /* the section's actual time starts here */
	finish(f, "prep/build", "fail");
	CHECK(item(f, PREP, BUILD)->attempts == 1);
	int64_t t2 = f->now + SEC_US;
	ev(f, EV_CHECK_STARTED, "prep/build", "bob", "{\"attempt\":2}");
	VERDICT(f, PREP, BUILD, VERDICT_RUNNING);
	CHECK(item(f, PREP, BUILD)->attempts == 2);
	CHECK(item(f, PREP, BUILD)->started_us == t2);
	MARK(f, PREP, MARK_RUNNING);
	finish(f, "prep/build", "pass");
	VERDICT(f, PREP, BUILD, VERDICT_PASS);
	CHECK(item(f, PREP, BUILD)->finished_us == f->now);
	ev(f, EV_CHECK_STARTED, "prep/build", "bob", "{\"attempt\":3}");
	CHECK(item(f, PREP, BUILD)->attempts == 3);
	CHECK(sec(f, PREP)->first_us == t1);
	CHECK(sec(f, FINAL)->first_us == 0);
	/* A verdict that was PASS does not count while the check runs again. */
	CHECK(sec(f, PREP)->required_done == 0);
	fx_close(f);
}

static void test_manual_and_attestation(void)
{
	struct fx *f = fx_open();
	/* Manual items are attested, not run; command items are run, not attested. */
	REFUSED_WHY(engine_can_check(f->e, PREP, REVIEW, &why), "attest it instead");
	ALLOWED(engine_can_attest(f->e, PREP, REVIEW, &why));
	REFUSED(engine_can_attest(f->e, PREP, BUILD, &why));
	attest(f, "prep/review", "carol", false);
	VERDICT(f, PREP, REVIEW, VERDICT_FAIL);
	CHECK_STR(item(f, PREP, REVIEW)->actor, "carol");
	MARK(f, PREP, MARK_FAILED);
	attest(f, "prep/review", "carol", true);
	VERDICT(f, PREP, REVIEW, VERDICT_PASS);
	CHECK(sec(f, PREP)->required_done == 1);

	/* An interactive command that exited 0 still waits for an attestation. */
	start(f, "prep/shell");
	REFUSED(engine_can_attest(f->e, PREP, SHELL, &why));
	finish_attest(f, "prep/shell", "pass");
	CHECK(item(f, PREP, SHELL)->needs_attestation);
	CHECK(sec(f, PREP)->required_done == 1);
	ALLOWED(engine_can_attest(f->e, PREP, SHELL, &why));
	pass_item(f, "prep/build");
	pass_item(f, "prep/lint");
	REFUSED_WHY(engine_can_sign(f->e, PREP, "alice", MEANING_APPROVED, NULL, &why), "shell");
	/* Approvals given anyway (e.g. recorded elsewhere) do not open the gate. */
	approve(f, PREP, "alice");
	approve(f, PREP, "bob");
	CHECK(!sec(f, PREP)->gate_passed);
	LOCK(f, BLUE, PREP);
	attest(f, "prep/shell", "alice", true);
	VERDICT(f, PREP, SHELL, VERDICT_PASS);
	CHECK(!item(f, PREP, SHELL)->needs_attestation);
	CHECK(sec(f, PREP)->required_done == PREP_REQUIRED);
	/* The attestation is new evidence: the earlier approvals are stale. */
	CHECK(sec(f, PREP)->approvals == 0 && !sec(f, PREP)->gate_passed);
	fx_close(f);

	/* An inconclusive metric (no_data) is settled by an attestation. */
	f = fx_open();
	start(f, "prep/build");
	finish_attest(f, "prep/build", "no_data");
	VERDICT(f, PREP, BUILD, VERDICT_NO_DATA);
	CHECK(item(f, PREP, BUILD)->needs_attestation);
	ALLOWED(engine_can_attest(f->e, PREP, BUILD, &why));
	attest(f, "prep/build", "bob", true);
	VERDICT(f, PREP, BUILD, VERDICT_PASS);
	CHECK(sec(f, PREP)->required_done == 1);
	REFUSED(engine_can_attest(f->e, PREP, BUILD, &why));
	fx_close(f);
}

static void test_wait(void)
{
	struct fx *f = fx_open();
	through_blue(f);
	LOCK(f, SOAK, NONE);
	MARK(f, SOAK, MARK_OPEN);
	ALLOWED(engine_can_check(f->e, SOAK, 0, &why));
	int64_t t = f->now + SEC_US;
	start(f, "soak/watch");
	const struct engine_item_state *w = item(f, SOAK, 0);
	CHECK(w->wait_until_us == t + 10 * MIN_US);
	VERDICT(f, SOAK, 0, VERDICT_RUNNING);
	MARK(f, SOAK, MARK_RUNNING);
	engine_refresh(f->e, t + 10 * MIN_US - 1);
	VERDICT(f, SOAK, 0, VERDICT_RUNNING);
	CHECK(!sec(f, SOAK)->gate_passed);
	LOCK(f, FINAL, SOAK);
	engine_refresh(f->e, t + 10 * MIN_US);
	VERDICT(f, SOAK, 0, VERDICT_PASS);
	/* signoffs 0: the gate passes with the items alone. */
	CHECK(sec(f, SOAK)->gate_passed);
	CHECK(sec(f, SOAK)->approvals == 0);
	MARK(f, SOAK, MARK_PASSED);
	LOCK(f, FINAL, NONE);
	REFUSED(engine_can_sign(f->e, SOAK, "alice", MEANING_APPROVED, NULL, &why));
	REFUSED(engine_can_sign(f->e, SOAK, "alice", MEANING_REJECTED, NULL, &why));
	engine_refresh(f->e, t + 20 * MIN_US);
	VERDICT(f, SOAK, 0, VERDICT_PASS);
	/* The state is a function of the events and now: asked about an earlier
	 * moment (a clock stepped back), the wait is running again. */
	engine_refresh(f->e, t + 5 * MIN_US);
	VERDICT(f, SOAK, 0, VERDICT_RUNNING);
	CHECK(!sec(f, SOAK)->gate_passed);
	fx_close(f);
}

/* Waits time what follows a finished step: a wait starts once the items it
 * follows have passed ("after", or every required item before it), the
 * items after it stay locked until it passes, and a started wait can be
 * cancelled and started afresh. */
static const char wait_checklist[] =
	"{\"countersign\": 1, \"id\": \"waits\", \"title\": \"Waits\", \"sections\": [\n"
	"  {\"id\": \"roll\", \"title\": \"Roll out\", \"signoffs\": 0, \"items\": [\n"
	"    {\"id\": \"deploy\", \"title\": \"Deploy\", \"kind\": \"command\", \"run\": \"true\"},\n"
	"    {\"id\": \"tell\", \"title\": \"Tell the team\", \"kind\": \"manual\"},\n"
	"    {\"id\": \"soak\", \"title\": \"Soak\", \"kind\": \"wait\", \"duration\": \"10m\",\n"
	"     \"after\": [\"deploy\"]},\n"
	"    {\"id\": \"verify\", \"title\": \"Verify\", \"kind\": \"command\", \"run\": \"true\"},\n"
	"    {\"id\": \"settle\", \"title\": \"Settle\", \"kind\": \"wait\", \"duration\": \"5m\"}]}]}\n";

enum { W_DEPLOY, W_TELL, W_SOAK, W_VERIFY, W_SETTLE };

static void test_wait_order(void)
{
	struct fx *f = fx_open_text(wait_checklist);
	REFUSED_WHY(engine_can_check(f->e, 0, W_SOAK, &why), "starts once roll/deploy has passed (it is pending)");
	REFUSED_WHY(engine_can_check(f->e, 0, W_VERIFY, &why), "comes after the wait roll/soak (Soak), which has "
		"not been started");
	ALLOWED(engine_can_attest(f->e, 0, W_TELL, &why));
	pass_item(f, "roll/deploy");
	/* "after" names deploy alone: the manual item need not be done. */
	ALLOWED(engine_can_check(f->e, 0, W_SOAK, &why));
	int64_t t = f->now + SEC_US;
	start(f, "roll/soak");
	REFUSED_WHY(engine_can_check(f->e, 0, W_VERIFY, &why), "which has not passed yet");
	REFUSED_WHY(engine_can_check(f->e, 0, W_SETTLE, &why), "starts once roll/tell has passed");
	ALLOWED(engine_can_cancel_wait(f->e, 0, W_SOAK, &why));
	REFUSED_WHY(engine_can_cancel_wait(f->e, 0, W_DEPLOY, &why), "is not a wait");
	/* Cancelled: it starts afresh. */
	finish(f, "roll/soak", "cancelled");
	VERDICT(f, 0, W_SOAK, VERDICT_CANCELLED);
	CHECK(item(f, 0, W_SOAK)->wait_until_us == 0);
	REFUSED_WHY(engine_can_cancel_wait(f->e, 0, W_SOAK, &why), "is not running");
	REFUSED(engine_can_check(f->e, 0, W_VERIFY, &why));
	t = f->now + SEC_US;
	start(f, "roll/soak");
	CHECK(item(f, 0, W_SOAK)->wait_until_us == t + 10 * MIN_US);
	f->now = t + 10 * MIN_US;
	engine_refresh(f->e, f->now);
	VERDICT(f, 0, W_SOAK, VERDICT_PASS);
	ALLOWED(engine_can_check(f->e, 0, W_VERIFY, &why));
	/* The last wait follows every required item before it: the manual one too. */
	pass_item(f, "roll/verify");
	REFUSED_WHY(engine_can_check(f->e, 0, W_SETTLE, &why), "starts once roll/tell has passed");
	attest(f, "roll/tell", "alice", true);
	ALLOWED(engine_can_check(f->e, 0, W_SETTLE, &why));
	fx_close(f);
}

/* window.starts_at: the window's clock starts with the first activity in
 * that section, not with the run. */
static void test_window_start(void)
{
	struct fx *f = fx_open_text(
		"{\"countersign\": 1, \"id\": \"win\", \"title\": \"Window\",\n"
		" \"window\": {\"duration\": \"2h\", \"starts_at\": \"deploy\"}, \"sections\": [\n"
		"  {\"id\": \"prep\", \"title\": \"Prep\", \"signoffs\": 0, \"items\": [\n"
		"    {\"id\": \"a\", \"title\": \"A\", \"kind\": \"command\", \"run\": \"true\"}]},\n"
		"  {\"id\": \"deploy\", \"title\": \"Deploy\", \"signoffs\": 0, \"items\": [\n"
		"    {\"id\": \"b\", \"title\": \"B\", \"kind\": \"command\", \"run\": \"true\"}]}]}\n");
	CHECK(engine_window_started_us(f->e) == 0);
	pass_item(f, "prep/a");
	CHECK(engine_window_started_us(f->e) == 0);
	int64_t t = f->now + SEC_US;
	pass_item(f, "deploy/b");
	CHECK(engine_window_started_us(f->e) == t);
	fx_close(f);
	/* A section of a choice group stands for the group. */
	f = fx_open_text(
		"{\"countersign\": 1, \"id\": \"win\", \"title\": \"Window\",\n"
		" \"window\": {\"duration\": \"2h\", \"starts_at\": \"blue\"}, \"sections\": [\n"
		"  {\"id\": \"blue\", \"title\": \"Blue\", \"choice\": \"s\", \"items\": [\n"
		"    {\"id\": \"a\", \"title\": \"A\", \"kind\": \"manual\"}]},\n"
		"  {\"id\": \"canary\", \"title\": \"Canary\", \"choice\": \"s\", \"items\": [\n"
		"    {\"id\": \"b\", \"title\": \"B\", \"kind\": \"manual\"}]}]}\n");
	CHECK(engine_window_started_us(f->e) == 0);
	t = f->now + SEC_US;
	choose(f, "canary");
	CHECK(engine_window_started_us(f->e) == t);
	fx_close(f);
	/* Without starts_at, the run's start. */
	f = fx_open();
	CHECK(engine_window_started_us(f->e) == T0);
	fx_close(f);
}

/* An override asked by one engineer waits for a different one, for a
 * limited time; the confirmation is the override. */
static void test_override_request(void)
{
	struct fx *f = fx_open();
	REFUSED_WHY(engine_can_confirm_override(f->e, FINAL, "bob", &why), "no override of \"final\" waits");
	int64_t t = f->now + SEC_US;
	ev(f, EV_OVERRIDE_REQUESTED, "final", "alice", "{\"reason\":\"CI down\",\"incident\":\"INC-1\"}");
	const struct engine_section_state *fs = sec(f, FINAL);
	CHECK(fs->pending_active && fs->pending_expires_us == t + ENGINE_OVERRIDE_CONFIRM_US);
	CHECK_STR(fs->pending_by, "alice");
	LOCK(f, FINAL, PREP);
	REFUSED_WHY(engine_can_confirm_override(f->e, FINAL, "alice", &why), "a second engineer must confirm");
	ALLOWED(engine_can_confirm_override(f->e, FINAL, "bob", &why));
	/* Expired: it must be asked again. */
	engine_refresh(f->e, t + ENGINE_OVERRIDE_CONFIRM_US);
	CHECK(!sec(f, FINAL)->pending_active);
	REFUSED_WHY(engine_can_confirm_override(f->e, FINAL, "bob", &why), "the request has expired");
	engine_refresh(f->e, t + ENGINE_OVERRIDE_CONFIRM_US - 1);
	ev(f, EV_OVERRIDE, "final", "bob",
		"{\"engineers\":[\"alice\",\"bob\"],\"reason\":\"CI down\",\"incident\":\"INC-1\",\"request_seq\":2}");
	fs = sec(f, FINAL);
	CHECK(fs->forced && fs->gate_passed && !fs->pending_active);
	CHECK_STR(fs->override_by, "alice, bob");
	fx_close(f);

	/* A request lapses once the gate passes by the rules; a second one
	 * cannot replace a pending one. */
	f = fx_open();
	ev(f, EV_OVERRIDE_REQUESTED, "prep", "alice", "{\"reason\":\"stuck\",\"incident\":\"INC-9\"}");
	REFUSED_WHY(engine_can_request_override(f->e, PREP, &why), "asked by alice (incident INC-9) already waits");
	open_prep(f);
	CHECK(sec(f, PREP)->gate_passed && !sec(f, PREP)->pending_active && sec(f, PREP)->pending_seq == 0);
	start(f, "prep/build");
	finish(f, "prep/build", "fail");
	CHECK(!sec(f, PREP)->gate_passed && !sec(f, PREP)->pending_active);
	REFUSED_WHY(engine_can_confirm_override(f->e, PREP, "carol", &why), "no override of \"prep\" waits");
	fx_close(f);
}

static void test_digest(void)
{
	struct fx *f = fx_open();
	const char *h[N_PREP_ITEMS] = {0};
	char want[EVENT_HASH_HEX], hb[EVENT_HASH_HEX], hl[EVENT_HASH_HEX], hr[EVENT_HASH_HEX];
	digest_of(f, PREP, h, want);
	CHECK_STR(sec(f, PREP)->digest, want);

	memcpy(hb, start(f, "prep/build"), EVENT_HASH_HEX);
	h[BUILD] = hb;
	digest_of(f, PREP, h, want);
	CHECK_STR(sec(f, PREP)->digest, want);
	CHECK_STR(item(f, PREP, BUILD)->verdict_hash, hb);
	CHECK(item(f, PREP, BUILD)->verdict_seq == f->seq);

	memcpy(hb, finish(f, "prep/build", "pass"), EVENT_HASH_HEX);
	digest_of(f, PREP, h, want);
	CHECK_STR(sec(f, PREP)->digest, want);

	memcpy(hl, start(f, "prep/lint"), EVENT_HASH_HEX);
	memcpy(hl, finish(f, "prep/lint", "fail"), EVENT_HASH_HEX);
	h[LINT] = hl;
	memcpy(hl, waive(f, "prep/lint"), EVENT_HASH_HEX);
	digest_of(f, PREP, h, want);
	CHECK_STR(sec(f, PREP)->digest, want);

	memcpy(hr, attest(f, "prep/review", "bob", true), EVENT_HASH_HEX);
	h[REVIEW] = hr;
	digest_of(f, PREP, h, want);
	CHECK_STR(sec(f, PREP)->digest, want);

	/* Notes, sign-offs, other sections' events and unknown kinds are not evidence. */
	ev(f, EV_NOTE, "prep/build", "alice", "{\"text\":\"looks fine\"}");
	ev(f, EV_NOTE, "prep", "alice", "{\"text\":\"section note\"}");
	reject(f, PREP, "carol");
	pass_item(f, "rollback/undo");
	ev(f, "metrics_sampled", "prep/build", "system", "{\"value\":1}");
	CHECK_STR(sec(f, PREP)->digest, want);
	/* Another section's digest follows its own items. */
	const char *hs[1] = {0};
	char want_scratch[EVENT_HASH_HEX];
	digest_of(f, SCRATCH, hs, want_scratch);
	CHECK_STR(sec(f, SCRATCH)->digest, want_scratch);
	fx_close(f);
}

static void test_signoffs(void)
{
	struct fx *f = fx_open();
	/* Approve is refused until every required item passes; the reason names
	 * the first that has not. Reject is allowed any time. */
	REFUSED_WHY(engine_can_sign(f->e, PREP, "alice", MEANING_APPROVED, NULL, &why), "build");
	ALLOWED(engine_can_sign(f->e, PREP, "carol", MEANING_REJECTED, NULL, &why));
	pass_item(f, "prep/build");
	REFUSED_WHY(engine_can_sign(f->e, PREP, "alice", MEANING_APPROVED, NULL, &why), "lint");
	pass_prep(f);
	ALLOWED(engine_can_sign(f->e, PREP, "alice", MEANING_APPROVED, NULL, &why));

	int64_t t_alice = f->now + SEC_US;
	approve(f, PREP, "alice");
	const struct engine_section_state *p = sec(f, PREP);
	CHECK(p->n_signoffs == 1);
	CHECK_STR(p->signoffs[0].engineer, "alice");
	CHECK(p->signoffs[0].approve && !p->signoffs[0].stale);
	CHECK(p->signoffs[0].time_us == t_alice);
	CHECK_STR(p->signoffs[0].digest, p->digest);
	CHECK(p->approvals == 1);
	CHECK(!p->gate_passed);
	LOCK(f, BLUE, PREP);
	REFUSED_WHY(engine_can_sign(f->e, PREP, "alice", MEANING_APPROVED, NULL, &why),
		"alice has already approved this evidence");
	ALLOWED(engine_can_sign(f->e, PREP, "bob", MEANING_APPROVED, NULL, &why));

	/* One engineer counts once, however often they sign. */
	approve(f, PREP, "alice");
	p = sec(f, PREP);
	CHECK(p->n_signoffs == 2);
	CHECK(p->approvals == 1);
	CHECK(!p->gate_passed);

	/* The second distinct engineer opens the gate. */
	int64_t t_bob = f->now + SEC_US;
	approve(f, PREP, "bob");
	p = sec(f, PREP);
	CHECK(p->approvals == 2);
	CHECK(p->gate_passed);
	CHECK(p->passed_us == t_bob);
	MARK(f, PREP, MARK_PASSED);
	LOCK(f, BLUE, NONE);
	CHECK(engine_current_section(f->e) == BLUE);
	fx_close(f);
}

static void test_stale_signoffs(void)
{
	struct fx *f = fx_open();
	/* Before the gate passes, a new verdict makes the signatures stale. */
	pass_prep(f);
	approve(f, PREP, "alice");
	start(f, "prep/build");
	const struct engine_section_state *p = sec(f, PREP);
	CHECK(p->signoffs[0].stale && p->approvals == 0);
	finish(f, "prep/build", "pass");
	CHECK(sec(f, PREP)->approvals == 0 && !sec(f, PREP)->gate_passed);
	/* A stale approval does not stop the engineer approving again. */
	ALLOWED(engine_can_sign(f->e, PREP, "alice", MEANING_APPROVED, NULL, &why));
	approve(f, PREP, "alice");
	approve(f, PREP, "bob");
	p = sec(f, PREP);
	CHECK(p->n_signoffs == 3);
	CHECK(p->approvals == 2 && p->gate_passed);
	CHECK(!p->signoffs[1].stale && !p->signoffs[2].stale);

	/* A signature over other evidence than the current is stale at once. */
	sign_over(f, PREP, "carol", true, "0000000000000000000000000000000000000000000000000000000000000000");
	p = sec(f, PREP);
	CHECK(p->signoffs[3].stale);
	CHECK(p->approvals == 2 && p->gate_passed);
	fx_close(f);
}

/* Re-running an item of a section whose gate passed: the same verdict is a
 * re-check that keeps the gate; a failure reopens it, and later sections
 * already under way stay open and say so. */
static void test_recheck_after_signoff(void)
{
	struct fx *f = fx_open();
	open_prep(f);
	char digest[EVENT_HASH_HEX];
	memcpy(digest, sec(f, PREP)->digest, EVENT_HASH_HEX);
	start(f, "prep/build");
	const struct engine_section_state *p = sec(f, PREP);
	const struct engine_item_state *b = item(f, PREP, BUILD);
	CHECK(b->verdict == VERDICT_RUNNING && b->rechecking);
	CHECK(p->gate_passed && p->approvals == 2 && !p->signoffs[0].stale);
	MARK(f, PREP, MARK_PASSED);
	LOCK(f, BLUE, NONE);
	finish(f, "prep/build", "pass");
	b = item(f, PREP, BUILD);
	CHECK(b->verdict == VERDICT_PASS && !b->rechecking && b->rechecks == 1 && b->recheck_us == f->now);
	CHECK_STR(b->recheck_actor, "alice");
	CHECK(sec(f, PREP)->gate_passed && !sec(f, PREP)->reopened);
	CHECK(strcmp(sec(f, PREP)->digest, digest) == 0);

	/* A cancelled re-check says nothing: the signed verdict stands, with who
	 * gave it and when, and a note says what became of the re-check. */
	const struct engine_item_state *l = item(f, PREP, LINT);
	int64_t signed_at = l->finished_us, signed_seq = l->verdict_seq;
	start(f, "prep/lint");
	ev(f, EV_CHECK_FINISHED, "prep/lint", "bob", "{\"verdict\":\"cancelled\",\"message\":\"stopped\"}");
	l = item(f, PREP, LINT);
	CHECK(l->verdict == VERDICT_PASS && l->rechecks == 0);
	CHECK(l->finished_us == signed_at && l->verdict_seq == signed_seq);
	CHECK_STR(l->actor, "alice");
	CHECK(l->recheck_void && strstr(l->recheck_void, "bob was cancelled"));
	CHECK(sec(f, PREP)->gate_passed);
	/* An optional item run for the first time after sign-off, passing. */
	start(f, "prep/extra");
	finish(f, "prep/extra", "pass");
	CHECK(sec(f, PREP)->gate_passed && strcmp(sec(f, PREP)->digest, digest) == 0);
	/* Re-attesting a manual item with the same word. */
	attest(f, "prep/review", "bob", true);
	CHECK(sec(f, PREP)->gate_passed && item(f, PREP, REVIEW)->rechecks == 1);

	/* Work starts in the next sections, then a re-check fails. */
	choose(f, "blue");
	start(f, "blue/switch");
	start(f, "prep/build");
	finish(f, "prep/build", "fail");
	p = sec(f, PREP);
	CHECK(!p->gate_passed && p->reopened && p->reopened_us == f->now);
	CHECK(item(f, PREP, BUILD)->rechecks == 0);  /* the kept re-checks no longer tell anything */
	CHECK(p->approvals == 0 && p->signoffs[0].stale && p->signoffs[1].stale);
	MARK(f, PREP, MARK_FAILED);
	/* Blue had begun: it stays open and names the gate that reopened; the
	 * soak section had not: it is locked again. */
	LOCK(f, BLUE, NONE);
	CHECK(sec(f, BLUE)->reopened_before == PREP);
	LOCK(f, SOAK, PREP);
	CHECK(sec(f, SOAK)->reopened_before == NONE);
	/* Mending it is ordinary work again: new verdicts, new signatures. */
	start(f, "prep/build");
	CHECK(!item(f, PREP, BUILD)->rechecking);
	finish(f, "prep/build", "pass");
	approve(f, PREP, "alice");
	approve(f, PREP, "bob");
	CHECK(sec(f, PREP)->gate_passed);
	LOCK(f, SOAK, BLUE);  /* held by blue's gate again, no longer by prep */
	fx_close(f);
}

/* A failing re-check of an optional item reopens the gate too (the signers
 * signed it passing); waiving it afterwards is a new verdict. */
static void test_recheck_optional_fails(void)
{
	struct fx *f = fx_open();
	open_prep(f);
	start(f, "prep/extra");
	finish(f, "prep/extra", "fail");
	CHECK(!sec(f, PREP)->gate_passed && sec(f, PREP)->reopened);
	waive(f, "prep/extra");
	CHECK(sec(f, PREP)->approvals == 0 && !sec(f, PREP)->gate_passed);
	approve(f, PREP, "alice");
	approve(f, PREP, "bob");
	CHECK(sec(f, PREP)->gate_passed);
	fx_close(f);
}

/* A rejection the same engineer later replaces with an approval of the same
 * evidence is superseded: shown so, and no longer standing. */
static void test_superseded_rejection(void)
{
	struct fx *f = fx_open();
	pass_prep(f);
	reject(f, PREP, "bob");
	CHECK(sec(f, PREP)->rejected && !sec(f, PREP)->signoffs[0].superseded);
	approve(f, PREP, "alice");
	approve(f, PREP, "bob");
	const struct engine_section_state *p = sec(f, PREP);
	CHECK(p->signoffs[0].superseded && !p->signoffs[0].stale && !p->signoffs[0].approve);
	CHECK(!p->signoffs[1].superseded && !p->signoffs[2].superseded);
	CHECK(!p->rejected && p->gate_passed);
	fx_close(f);
}

/* An interactive re-check waits for the attestation, which decides. */
static void test_recheck_attested(void)
{
	struct fx *f = fx_open();
	open_prep(f);
	start(f, "prep/shell");
	finish_attest(f, "prep/shell", "pass");
	CHECK(sec(f, PREP)->gate_passed && item(f, PREP, SHELL)->rechecking);
	ALLOWED(engine_can_attest(f->e, PREP, SHELL, &why));
	attest(f, "prep/shell", "bob", false);
	CHECK(!sec(f, PREP)->gate_passed && sec(f, PREP)->reopened);
	fx_close(f);
}

static void test_rejection(void)
{
	struct fx *f = fx_open();
	pass_prep(f);
	reject(f, PREP, "carol");
	CHECK(sec(f, PREP)->rejected);
	approve(f, PREP, "alice");
	approve(f, PREP, "bob");
	const struct engine_section_state *p = sec(f, PREP);
	CHECK(p->approvals == 2);
	CHECK(p->rejected);
	CHECK(!p->gate_passed);
	CHECK(p->mark != MARK_PASSED);
	LOCK(f, BLUE, PREP);
	/* A current rejection holds until a new verdict makes it stale. */
	start(f, "prep/lint");
	finish(f, "prep/lint", "pass");
	CHECK(!sec(f, PREP)->rejected);
	approve(f, PREP, "alice");
	approve(f, PREP, "bob");
	CHECK(sec(f, PREP)->gate_passed);

	/* An engineer's latest signature decides: approve then reject. */
	reject(f, PREP, "alice");
	p = sec(f, PREP);
	CHECK(p->rejected);
	CHECK(p->approvals == 1);
	CHECK(!p->gate_passed);
	LOCK(f, BLUE, PREP);
	/* ...and reject then approve. */
	approve(f, PREP, "alice");
	p = sec(f, PREP);
	CHECK(!p->rejected);
	CHECK(p->approvals == 2 && p->gate_passed);
	fx_close(f);
}

/* The lock state of every section as the run moves on: table rows are
 * (section, blocker or NONE, mark). */
struct lock_row {
	size_t s, blocker;
	enum engine_section_mark mark;
};

static void expect_rows(const struct fx *f, const struct lock_row *rows, size_t n, int line)
{
	for (size_t k = 0; k < n; k++) {
		expect_lock(f, rows[k].s, rows[k].blocker, line);
		expect_mark(f, rows[k].s, rows[k].mark, line);
	}
}
#define ROWS(f, rows) expect_rows((f), (rows), sizeof(rows) / sizeof(rows[0]), __LINE__)

static void test_locks_in_file_order(void)
{
	struct fx *f = fx_open();
	static const struct lock_row at_start[] = {
		{PREP, NONE, MARK_OPEN}, {SCRATCH, PREP, MARK_LOCKED}, {ROLLBACK, NONE, MARK_OPEN},
		{BLUE, PREP, MARK_LOCKED}, {CANARY, PREP, MARK_LOCKED}, {SOAK, PREP, MARK_LOCKED},
		{FINAL, PREP, MARK_LOCKED},
	};
	ROWS(f, at_start);
	/* Nothing in a locked section can be done; the reason names the blocker
	 * and how far it is. */
	REFUSED_WHY2(engine_can_check(f->e, SCRATCH, 0, &why), "prep", "Preparation");
	REFUSED_WHY2(engine_can_check(f->e, FINAL, 0, &why), "0/4", "0/2");
	pass_item(f, "prep/build");
	REFUSED_WHY2(engine_can_check(f->e, FINAL, 0, &why), "prep", "1/4");
	/* Each refused for the lock alone: the item would otherwise qualify. */
	start(f, "final/smoke");
	finish(f, "final/smoke", "fail");
	REFUSED_WHY(engine_can_waive(f->e, FINAL, 0, &why), "prep");
	start(f, "scratch/jot");
	finish_attest(f, "scratch/jot", "pass");
	REFUSED_WHY(engine_can_attest(f->e, SCRATCH, 0, &why), "prep");
	REFUSED_WHY(engine_can_sign(f->e, FINAL, "alice", MEANING_REJECTED, NULL, &why), "prep");
	pass_item(f, "final/smoke");
	REFUSED_WHY(engine_can_sign(f->e, FINAL, "alice", MEANING_APPROVED, NULL, &why), "prep");
	REFUSED_WHY(engine_can_choose(f->e, BLUE, &why), "prep");
	/* The always-open section is usable from the start. */
	ALLOWED(engine_can_check(f->e, ROLLBACK, 0, &why));
	ALLOWED(engine_can_sign(f->e, ROLLBACK, "alice", MEANING_REJECTED, NULL, &why));

	open_prep(f);
	static const struct lock_row after_prep[] = {
		{PREP, NONE, MARK_PASSED}, {SCRATCH, NONE, MARK_OPEN}, {ROLLBACK, NONE, MARK_OPEN},
		{BLUE, NONE, MARK_CHOOSE}, {CANARY, NONE, MARK_CHOOSE}, {SOAK, BLUE, MARK_LOCKED},
		{FINAL, BLUE, MARK_LOCKED},
	};
	ROWS(f, after_prep);
	ALLOWED(engine_can_check(f->e, SCRATCH, 0, &why));
	REFUSED_WHY2(engine_can_check(f->e, SOAK, 0, &why), "blue", "Blue-Green");

	choose(f, "blue");
	static const struct lock_row after_choice[] = {
		{BLUE, NONE, MARK_OPEN}, {CANARY, ANY, MARK_NOT_CHOSEN}, {SOAK, BLUE, MARK_LOCKED},
		{FINAL, BLUE, MARK_LOCKED},
	};
	ROWS(f, after_choice);

	pass_item(f, "blue/switch");
	approve(f, BLUE, "alice");
	approve(f, BLUE, "bob");
	static const struct lock_row after_blue[] = {
		{BLUE, NONE, MARK_PASSED}, {CANARY, ANY, MARK_NOT_CHOSEN}, {SOAK, NONE, MARK_OPEN},
		{FINAL, SOAK, MARK_LOCKED},
	};
	ROWS(f, after_blue);
	REFUSED_WHY2(engine_can_check(f->e, FINAL, 0, &why), "soak", "Soak");
	fx_close(f);
}

static void test_gate_false_and_always_open(void)
{
	struct fx *f = fx_open();
	/* The always-open section has a pending gate of its own and still blocks
	 * nothing; the gate-less section never passes and never blocks. */
	open_prep(f);
	LOCK(f, BLUE, NONE);
	CHECK(!sec(f, ROLLBACK)->gate_passed);
	CHECK(!sec(f, SCRATCH)->gate_passed);
	start(f, "scratch/jot");
	finish(f, "scratch/jot", "fail");
	MARK(f, SCRATCH, MARK_FAILED);
	LOCK(f, BLUE, NONE);
	pass_item(f, "scratch/jot");
	CHECK(!sec(f, SCRATCH)->gate_passed);
	CHECK(sec(f, SCRATCH)->mark != MARK_PASSED);
	REFUSED(engine_can_sign(f->e, SCRATCH, "alice", MEANING_APPROVED, NULL, &why));
	REFUSED(engine_can_sign(f->e, SCRATCH, "alice", MEANING_REJECTED, NULL, &why));
	/* Always open, even when everything before it failed. */
	start(f, "prep/build");
	finish(f, "prep/build", "fail");
	LOCK(f, ROLLBACK, NONE);
	ALLOWED(engine_can_check(f->e, ROLLBACK, 0, &why));
	REFUSED(engine_can_override(f->e, ROLLBACK, &why));
	fx_close(f);
}

static void test_choice_group(void)
{
	struct fx *f = fx_open();
	open_prep(f);
	/* Awaiting the choice: members cannot be worked on or signed. */
	MARK(f, BLUE, MARK_CHOOSE);
	MARK(f, CANARY, MARK_CHOOSE);
	CHECK(!sec(f, BLUE)->chosen && !sec(f, CANARY)->not_chosen);
	REFUSED(engine_can_check(f->e, BLUE, 0, &why));
	REFUSED(engine_can_sign(f->e, BLUE, "alice", MEANING_REJECTED, NULL, &why));
	REFUSED(engine_can_choose(f->e, PREP, &why)); /* no group */
	ALLOWED(engine_can_choose(f->e, BLUE, &why));
	ALLOWED(engine_can_choose(f->e, CANARY, &why));
	/* Until the choice, what follows the group waits for its first member. */
	LOCK(f, SOAK, BLUE);
	CHECK(engine_current_section(f->e) == BLUE);

	choose(f, "canary");
	CHECK(sec(f, CANARY)->chosen);
	CHECK(sec(f, BLUE)->not_chosen);
	MARK(f, BLUE, MARK_NOT_CHOSEN);
	MARK(f, CANARY, MARK_OPEN);
	CHECK(sec(f, BLUE)->locked);
	REFUSED(engine_can_choose(f->e, BLUE, &why));
	REFUSED(engine_can_choose(f->e, CANARY, &why));
	REFUSED(engine_can_check(f->e, BLUE, 0, &why));
	REFUSED(engine_can_sign(f->e, BLUE, "alice", MEANING_REJECTED, NULL, &why));
	ALLOWED(engine_can_check(f->e, CANARY, 0, &why));
	/* Later sections wait for the chosen member only. */
	LOCK(f, SOAK, CANARY);
	CHECK(engine_current_section(f->e) == CANARY);
	pass_item(f, "canary/shift");
	approve(f, CANARY, "alice");
	CHECK(sec(f, SOAK)->locked);
	approve(f, CANARY, "bob");
	LOCK(f, SOAK, NONE);
	CHECK(engine_current_section(f->e) == SOAK);
	fx_close(f);
}

static void test_override(void)
{
	struct fx *f = fx_open();
	/* A locked section can be forced open. */
	ALLOWED(engine_can_override(f->e, FINAL, &why));
	override(f, "final");
	const struct engine_section_state *fs = sec(f, FINAL);
	CHECK(fs->forced);
	CHECK(fs->gate_passed);
	CHECK(!fs->locked);
	MARK(f, FINAL, MARK_FORCED);
	CHECK_STR(fs->override_reason, "database is down");
	CHECK_STR(fs->override_incident, "INC-42");
	ALLOWED(engine_can_check(f->e, FINAL, 0, &why));
	REFUSED(engine_can_override(f->e, FINAL, &why)); /* already through */
	/* Sections between are still held by prep. */
	LOCK(f, SOAK, PREP);

	/* A failing gate forced through unlocks what follows it. */
	start(f, "prep/build");
	finish(f, "prep/build", "fail");
	MARK(f, PREP, MARK_FAILED);
	ALLOWED(engine_can_override(f->e, PREP, &why));
	override(f, "prep");
	CHECK(sec(f, PREP)->gate_passed);
	MARK(f, PREP, MARK_FORCED);
	LOCK(f, SCRATCH, NONE);
	LOCK(f, BLUE, NONE);
	MARK(f, BLUE, MARK_CHOOSE);
	CHECK(engine_current_section(f->e) == BLUE);
	/* Forced stays forced when the evidence changes. */
	start(f, "prep/build");
	finish(f, "prep/build", "fail");
	reject(f, PREP, "carol");
	CHECK(sec(f, PREP)->gate_passed);
	MARK(f, PREP, MARK_FORCED);
	fx_close(f);
}

static void test_complete_run(void)
{
	struct fx *f = fx_open();
	through_blue(f);
	int64_t t = f->now + SEC_US;
	start(f, "soak/watch");
	advance(f, 10 * MIN_US);
	CHECK(f->now == t + 10 * MIN_US);
	VERDICT(f, SOAK, 0, VERDICT_PASS);
	CHECK(!engine_all_gates_passed(f->e));
	CHECK(engine_current_section(f->e) == FINAL);
	pass_item(f, "final/smoke");
	approve(f, FINAL, "carol");
	/* Rollback (always open, gate pending), scratch (no gate) and canary (not
	 * chosen) do not hold the run. */
	CHECK(sec(f, FINAL)->gate_passed);
	CHECK(engine_all_gates_passed(f->e));
	CHECK(engine_current_section(f->e) == NONE);

	int64_t t_done = f->now + SEC_US;
	ev(f, EV_RUN_COMPLETED, "", "alice", "{}");
	CHECK(engine_status(f->e) == RUN_COMPLETED);
	CHECK(engine_ended_us(f->e) == t_done);
	REFUSED_WHY(engine_can_check(f->e, ROLLBACK, 0, &why), "run is completed");
	REFUSED_WHY(engine_can_note(f->e, &why), "run is completed");
	REFUSED_WHY(engine_can_abort(f->e, &why), "run is completed");
	REFUSED_WHY(engine_can_override(f->e, ROLLBACK, &why), "run is completed");
	fx_close(f);
}

static void test_aborted_run(void)
{
	struct fx *f = fx_open();
	pass_item(f, "prep/build");
	start(f, "prep/lint");
	finish(f, "prep/lint", "fail");
	int64_t t = f->now + SEC_US;
	ev(f, EV_RUN_ABORTED, "", "alice", "{\"reason\":\"database migration failed\"}");
	CHECK(engine_status(f->e) == RUN_ABORTED);
	CHECK_STR(engine_abort_reason(f->e), "database migration failed");
	CHECK(engine_ended_us(f->e) == t);
	/* Everything is refused, even what is otherwise always allowed. */
	REFUSED_WHY(engine_can_check(f->e, PREP, EXTRA, &why), "run is aborted");
	REFUSED_WHY(engine_can_check(f->e, ROLLBACK, 0, &why), "run is aborted");
	REFUSED_WHY(engine_can_attest(f->e, PREP, REVIEW, &why), "run is aborted");
	REFUSED_WHY(engine_can_waive(f->e, PREP, LINT, &why), "run is aborted");
	REFUSED_WHY(engine_can_sign(f->e, PREP, "carol", MEANING_REJECTED, NULL, &why), "run is aborted");
	REFUSED_WHY(engine_can_override(f->e, FINAL, &why), "run is aborted");
	REFUSED_WHY(engine_can_note(f->e, &why), "run is aborted");
	REFUSED_WHY(engine_can_abort(f->e, &why), "run is aborted");
	fx_close(f);

	/* Choosing, too. */
	f = fx_open();
	open_prep(f);
	ev(f, EV_RUN_ABORTED, "", "alice", "{\"reason\":\"window closed\"}");
	REFUSED_WHY(engine_can_choose(f->e, BLUE, &why), "run is aborted");
	fx_close(f);
}

static void test_unknown_kinds(void)
{
	struct fx *f = fx_open();
	pass_item(f, "prep/build");
	char digest[EVENT_HASH_HEX];
	memcpy(digest, sec(f, PREP)->digest, EVENT_HASH_HEX);
	int64_t seq_before = engine_last_seq(f->e);
	ev(f, "verdict_rewritten", "prep/build", "mallory", "{\"verdict\":\"fail\"}");
	ev(f, "section_teleported", "final", "mallory", "{}");
	CHECK(engine_last_seq(f->e) == seq_before + 2);
	VERDICT(f, PREP, BUILD, VERDICT_PASS);
	CHECK(item(f, PREP, BUILD)->attempts == 1);
	CHECK_STR(sec(f, PREP)->digest, digest);
	LOCK(f, FINAL, PREP);
	CHECK(engine_status(f->e) == RUN_OPEN);
	/* Notes change nothing either. */
	ev(f, EV_NOTE, "", "alice", "{\"text\":\"starting\"}");
	VERDICT(f, PREP, BUILD, VERDICT_PASS);
	CHECK(engine_last_seq(f->e) == seq_before + 3);
	fx_close(f);
}

/* A record with an event deleted (verify names the gap) still folds: the
 * engine asks only that each seq is above the last one folded. */
static void test_chain_gap(void)
{
	struct fx *f = fx_open();
	start(f, "prep/build");
	f->seq++;  /* the event after the start is missing */
	finish(f, "prep/build", "pass");
	VERDICT(f, PREP, BUILD, VERDICT_PASS);
	CHECK(engine_last_seq(f->e) == f->seq && f->seq == 4);
	fx_close(f);
}

/* A second checklist: a choice group at the top, so it is reached at once. */
static void test_choice_group_first(void)
{
	static const char text[] =
		"{\"countersign\": 1, \"id\": \"engine-test\", \"title\": \"Choice first\",\n"
		" \"sections\": [\n"
		"  {\"id\": \"bg\", \"title\": \"Blue-Green\", \"choice\": \"strategy\", \"signoffs\": 0, \"items\": [\n"
		"    {\"id\": \"go\", \"title\": \"Go\", \"kind\": \"command\", \"run\": \"true\"}]},\n"
		"  {\"id\": \"roll\", \"title\": \"Rolling\", \"choice\": \"strategy\", \"signoffs\": 0, \"items\": []},\n"
		"  {\"id\": \"after\", \"title\": \"After\", \"signoffs\": 0, \"items\": []}\n"
		" ]}\n";
	struct fx *f = fx_open_text(text);
	MARK(f, 0, MARK_CHOOSE);
	MARK(f, 1, MARK_CHOOSE);
	/* Members do not lock each other; what follows waits for the group. */
	LOCK(f, 1, NONE);
	LOCK(f, 2, 0);
	CHECK(!engine_all_gates_passed(f->e));
	choose(f, "roll");
	CHECK(sec(f, 1)->gate_passed);
	MARK(f, 1, MARK_PASSED);
	MARK(f, 0, MARK_NOT_CHOSEN);
	LOCK(f, 2, NONE);
	CHECK(sec(f, 2)->gate_passed);
	CHECK(engine_all_gates_passed(f->e));
	CHECK(engine_current_section(f->e) == NONE);
	fx_close(f);
}

int main(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "sodium_init failed\n");
		return 2;
	}
	test_names();
	test_fresh_run();
	test_verdict_folding();
	test_optional_items();
	test_attempts();
	test_manual_and_attestation();
	test_wait();
	test_digest();
	test_signoffs();
	test_stale_signoffs();
	test_recheck_after_signoff();
	test_recheck_optional_fails();
	test_recheck_attested();
	test_superseded_rejection();
	test_wait_order();
	test_window_start();
	test_override_request();
	test_rejection();
	test_locks_in_file_order();
	test_gate_false_and_always_open();
	test_choice_group();
	test_override();
	test_complete_run();
	test_aborted_run();
	test_unknown_kinds();
	test_chain_gap();
	test_choice_group_first();
	return check_report();
}
