/* Unit tests for the derived times of the gate engine (engine_times.c):
 * when a section opened, since when its items are done, how long its gate
 * has waited (signoff_within), the gate_waiting notices folded, and which
 * manual items are overdue (a manual item's timeout). */
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


/* notes: no gate; build (2 sign-offs): a command, a manual item, an
 * optional manual item; deploy (1 sign-off): a command and a manual item;
 * soak: a wait. The times (signoff_within, manual timeouts) are set by each
 * test on the loaded model, so that the engine is tested apart from the
 * loader. */
static const char times_checklist[] =
	"{\"countersign\": 1, \"id\": \"times-test\", \"title\": \"Times test\",\n"
	" \"sections\": [\n"
	"  {\"id\": \"notes\", \"title\": \"Notes\", \"gate\": false, \"items\": [\n"
	"    {\"id\": \"jot\", \"title\": \"Jot\", \"kind\": \"manual\"}]},\n"
	"  {\"id\": \"build\", \"title\": \"Build\", \"items\": [\n"
	"    {\"id\": \"compile\", \"title\": \"Compile\", \"kind\": \"command\", \"run\": \"true\", \"timeout\": \"1m\"},\n"
	"    {\"id\": \"check\", \"title\": \"Check\", \"kind\": \"manual\"},\n"
	"    {\"id\": \"opt\", \"title\": \"Optional\", \"kind\": \"manual\", \"required\": false, \"waivable\": true}\n"
	"  ]},\n"
	"  {\"id\": \"deploy\", \"title\": \"Deploy\", \"signoffs\": 1, \"items\": [\n"
	"    {\"id\": \"push\", \"title\": \"Push\", \"kind\": \"command\", \"run\": \"true\"},\n"
	"    {\"id\": \"confirm\", \"title\": \"Confirm\", \"kind\": \"manual\", \"waivable\": true}]},\n"
	"  {\"id\": \"soak\", \"title\": \"Soak\", \"signoffs\": 1, \"items\": [\n"
	"    {\"id\": \"settle\", \"title\": \"Settle\", \"kind\": \"wait\", \"duration\": \"10m\"}]}\n"
	" ]}\n";

enum { NOTES, BUILD, DEPLOY, SOAK };
enum { COMPILE, CHECK, OPT };
enum { PUSH, CONFIRM };

static struct fx *fx_open(void)
{
	return fx_load("times-test.json", times_checklist,
		"{\"checklist\":\"times-test\",\"title\":\"Times\",\"variables\":{}}");
}

static void advance(struct fx *f, int64_t delta)
{
	f->now += delta;
	engine_refresh(f->e, f->now);
}

static const struct engine_section_state *sec(const struct fx *f, size_t s)
{
	return engine_section(f->e, s);
}

static const struct engine_item_state *item(const struct fx *f, size_t s, size_t i)
{
	return engine_item(f->e, s, i);
}

static void pass_check(struct fx *f, const char *target)
{
	ev(f, EV_CHECK_STARTED, target, "alice", "{\"attempt\":1}");
	ev(f, EV_CHECK_FINISHED, target, "alice", "{\"verdict\":\"pass\",\"message\":\"ok\"}");
}

static void attest(struct fx *f, const char *target, const char *who, bool pass)
{
	ev(f, EV_ATTESTED, target, who, pass ? "{\"verdict\":\"pass\"}" : "{\"verdict\":\"fail\"}");
}

static void approve(struct fx *f, size_t s, const char *who)
{
	char *p = xasprintf("{\"meaning\":\"approved\",\"digest\":\"%s\"}", sec(f, s)->digest);
	ev(f, EV_SIGNED, f->cl->sections[s].id, who, p);
	free(p);
}

static void notice(struct fx *f, const char *section, int64_t done_us, int k)
{
	char *p = xasprintf("{\"items_done_us\":%" PRId64 ",\"notice\":%d,\"waited_ms\":%" PRId64 "}", done_us, k,
		(f->now - done_us) / 1000);
	ev(f, EV_GATE_WAITING, section, "system", p);
	free(p);
}

/* build's items pass (compile, then check attested); returns when. */
static int64_t build_items(struct fx *f)
{
	pass_check(f, "build/compile");
	attest(f, "build/check", "alice", true);
	return f->now;
}

/* ---- tests ---- */

static void test_opened(void)
{
	struct fx *f = fx_open();
	CHECK(sec(f, BUILD)->opened_us == T0);
	CHECK(sec(f, NOTES)->opened_us == T0);     /* no gate holds it: open from the start */
	CHECK(sec(f, DEPLOY)->opened_us == 0);     /* locked by build */
	CHECK(sec(f, SOAK)->opened_us == 0);
	build_items(f);
	approve(f, BUILD, "alice");
	approve(f, BUILD, "bob");
	CHECK(sec(f, BUILD)->gate_passed);
	int64_t passed = sec(f, BUILD)->passed_us;
	CHECK(passed == f->now);
	CHECK(sec(f, DEPLOY)->opened_us == passed);
	CHECK(sec(f, BUILD)->opened_us == T0);     /* stays when it was */
	CHECK(sec(f, SOAK)->opened_us == 0);       /* deploy still holds it */
	advance(f, 5 * MIN_US);
	CHECK(sec(f, DEPLOY)->opened_us == passed); /* derived from the record, not from now */
	fx_close(f);
}

static void test_items_done(void)
{
	struct fx *f = fx_open();
	CHECK(sec(f, BUILD)->items_done_us == 0);
	pass_check(f, "build/compile");
	CHECK(sec(f, BUILD)->items_done_us == 0);  /* check is still to do */
	int64_t done = build_items(f);              /* compile again, then check: the latest counts */
	CHECK(sec(f, BUILD)->items_done_us == done);
	attest(f, "build/opt", "bob", true);         /* an optional item does not move it */
	CHECK(sec(f, BUILD)->items_done_us == done);
	/* a re-check before the gate passed undoes it, and its pass sets it anew */
	ev(f, EV_CHECK_STARTED, "build/compile", "alice", "{\"attempt\":3}");
	CHECK(sec(f, BUILD)->items_done_us == 0);
	ev(f, EV_CHECK_FINISHED, "build/compile", "alice", "{\"verdict\":\"pass\"}");
	CHECK(sec(f, BUILD)->items_done_us == f->now);
	/* a section still locked has no items done */
	CHECK(sec(f, DEPLOY)->items_done_us == 0);
	fx_close(f);
}

/* A wait is done when its time is up, not when it was started. */
static void test_items_done_wait(void)
{
	struct fx *f = fx_open();
	build_items(f);
	approve(f, BUILD, "alice");
	approve(f, BUILD, "bob");
	pass_check(f, "deploy/push");
	attest(f, "deploy/confirm", "bob", true);
	approve(f, DEPLOY, "carol");
	CHECK(sec(f, DEPLOY)->gate_passed);
	CHECK(sec(f, SOAK)->opened_us == sec(f, DEPLOY)->passed_us);
	ev(f, EV_CHECK_STARTED, "soak/settle", "alice", "{}");
	int64_t until = f->now + 10 * MIN_US;
	CHECK(sec(f, SOAK)->items_done_us == 0);
	advance(f, 10 * MIN_US + 30 * SEC_US);
	CHECK(sec(f, SOAK)->items_done_us == until);
	fx_close(f);
}

static void test_waiting(void)
{
	struct fx *f = fx_open();
	f->cl->sections[BUILD].signoff_within_ms = 30 * 60 * 1000;
	advance(f, 0);
	CHECK(sec(f, BUILD)->waiting_us == 0);
	int64_t done = build_items(f);
	CHECK(sec(f, BUILD)->waiting_us == 0);     /* as of the moment the items passed */
	advance(f, 12 * MIN_US);
	CHECK(sec(f, BUILD)->waiting_us == 12 * MIN_US);
	CHECK(sec(f, BUILD)->waiting_notices == 0);
	approve(f, BUILD, "alice");                  /* one of two: still waiting */
	CHECK(sec(f, BUILD)->waiting_us == f->now - done);
	advance(f, 30 * MIN_US);
	CHECK(sec(f, BUILD)->waiting_us == f->now - done);
	approve(f, BUILD, "bob");
	CHECK(sec(f, BUILD)->gate_passed);
	CHECK(sec(f, BUILD)->waiting_us == 0);     /* signed: nothing waits */
	/* without signoff_within nothing is measured */
	pass_check(f, "deploy/push");
	attest(f, "deploy/confirm", "bob", true);
	advance(f, 60 * MIN_US);
	CHECK(sec(f, DEPLOY)->items_done_us != 0);
	CHECK(sec(f, DEPLOY)->waiting_us == 0);
	fx_close(f);
}

static void test_waiting_not_open(void)
{
	struct fx *f = fx_open();
	f->cl->sections[NOTES].signoff_within_ms = 60 * 1000;   /* no gate: nothing to wait for */
	f->cl->sections[BUILD].signoff_within_ms = 60 * 1000;
	attest(f, "notes/jot", "alice", true);
	build_items(f);
	advance(f, 5 * MIN_US);
	CHECK(sec(f, NOTES)->waiting_us == 0);
	CHECK(sec(f, BUILD)->waiting_us > 0);
	ev(f, EV_RUN_ABORTED, "", "alice", "{\"reason\":\"called off\"}");
	advance(f, 5 * MIN_US);
	CHECK(sec(f, BUILD)->waiting_us == 0);     /* an ended run waits for nobody */
	fx_close(f);
}

static void test_notices(void)
{
	struct fx *f = fx_open();
	f->cl->sections[BUILD].signoff_within_ms = 60 * 1000;
	int64_t done = build_items(f);
	advance(f, 61 * SEC_US);
	notice(f, "build", done - 1, 1);            /* about another completion: not this wait's */
	CHECK(sec(f, BUILD)->waiting_notices == 0);
	notice(f, "build", done, 1);
	CHECK(sec(f, BUILD)->waiting_notices == 1);
	advance(f, 3 * MIN_US);
	notice(f, "build", done, 4);                /* only the latest interval is sent */
	CHECK(sec(f, BUILD)->waiting_notices == 4);
	notice(f, "build", done, 2);                /* a lower one later does not lower it */
	CHECK(sec(f, BUILD)->waiting_notices == 4);
	ev(f, EV_GATE_WAITING, "build", "system", "{\"notice\":\"9\"}");  /* malformed: ignored */
	ev(f, EV_GATE_WAITING, "build", "system", "{\"items_done_us\":1,\"notice\":0}");
	CHECK(sec(f, BUILD)->waiting_notices == 4);
	ev(f, EV_GATE_WAITING, "nowhere", "system", "{\"items_done_us\":1,\"notice\":1}");  /* unknown section */
	CHECK(sec(f, BUILD)->waiting_notices == 4);
	/* the items are done again later: the notices were about the earlier wait */
	pass_check(f, "build/compile");
	CHECK(sec(f, BUILD)->items_done_us == f->now);
	CHECK(sec(f, BUILD)->waiting_notices == 0);
	CHECK(sec(f, BUILD)->waiting_us == 0);
	advance(f, 2 * MIN_US);
	CHECK(sec(f, BUILD)->waiting_us == 2 * MIN_US);
	notice(f, "build", sec(f, BUILD)->items_done_us, 2);
	CHECK(sec(f, BUILD)->waiting_notices == 2);
	fx_close(f);
}

/* A notice is the program's: it is not work begun in the section, so it
 * never starts a window that starts at that section. */
static void test_notice_is_not_activity(void)
{
	struct fx *f = fx_open();
	notice(f, "soak", f->now, 1);
	CHECK(sec(f, SOAK)->first_us == 0);
	ev(f, EV_SIGNED, "soak", "alice", "{\"meaning\":\"rejected\",\"comment\":\"not yet\",\"digest\":\"x\"}");
	CHECK(sec(f, SOAK)->first_us == f->now);
	fx_close(f);
}

static void test_overdue(void)
{
	struct fx *f = fx_open();
	f->cl->sections[BUILD].items[CHECK].timeout_ms = 5 * 60 * 1000;
	f->cl->sections[BUILD].items[OPT].timeout_ms = 60 * 1000;
	f->cl->sections[DEPLOY].items[CONFIRM].timeout_ms = 10 * 60 * 1000;
	advance(f, 0);
	CHECK(item(f, BUILD, CHECK)->due_us == T0 + 5 * MIN_US);
	CHECK(!item(f, BUILD, CHECK)->overdue);
	CHECK(item(f, BUILD, COMPILE)->due_us == 0);   /* a command's timeout is its check's */
	CHECK(item(f, DEPLOY, CONFIRM)->due_us == 0);  /* locked: not open yet */
	CHECK(item(f, NOTES, 0)->due_us == 0);         /* no timeout */
	f->now = T0 + 5 * MIN_US - 1;
	engine_refresh(f->e, f->now);
	CHECK(!item(f, BUILD, CHECK)->overdue);
	CHECK(item(f, BUILD, OPT)->overdue);           /* optional ones too */
	advance(f, 1);
	CHECK(item(f, BUILD, CHECK)->overdue);
	attest(f, "build/check", "alice", false);       /* a failure is not done: still overdue */
	CHECK(item(f, BUILD, CHECK)->overdue);
	attest(f, "build/check", "alice", true);
	CHECK(!item(f, BUILD, CHECK)->overdue);
	CHECK(item(f, BUILD, CHECK)->due_us == 0);
	ev(f, EV_WAIVED, "build/opt", "bob", "{\"reason\":\"not needed\"}");
	CHECK(!item(f, BUILD, OPT)->overdue);
	/* deploy's manual item is due its timeout after build's gate let it open */
	pass_check(f, "build/compile");
	approve(f, BUILD, "alice");
	approve(f, BUILD, "bob");
	int64_t opened = sec(f, DEPLOY)->opened_us;
	CHECK(opened == sec(f, BUILD)->passed_us && opened != 0);
	CHECK(item(f, DEPLOY, CONFIRM)->due_us == opened + 10 * MIN_US);
	advance(f, 10 * MIN_US);
	CHECK(item(f, DEPLOY, CONFIRM)->overdue);
	ev(f, EV_RUN_ABORTED, "", "alice", "{\"reason\":\"called off\"}");
	CHECK(!item(f, DEPLOY, CONFIRM)->overdue);      /* an ended run has nothing overdue */
	fx_close(f);
}

/* What the loader gives the engine: signoff_within and a manual item's
 * timeout read from the checklist. */
static void test_from_checklist(void)
{
	static const char text[] =
		"{\"countersign\": 1, \"id\": \"t\", \"title\": \"T\", \"sections\": [\n"
		" {\"id\": \"a\", \"title\": \"A\", \"signoff_within\": \"30m\", \"items\": [\n"
		"   {\"id\": \"m\", \"title\": \"M\", \"kind\": \"manual\", \"timeout\": \"5m\"}]}]}\n";
	struct diag_list d;
	diag_list_init(&d, "t.json");
	struct checklist *cl = checklist_load_text("t.json", text, strlen(text), &d);
	if (!cl)
		diag_list_print(&d, stderr);
	diag_list_clear(&d);
	CHECK(cl != NULL);
	if (!cl)
		return;
	CHECK(cl->sections[0].signoff_within_ms == 30 * 60 * 1000);
	CHECK(cl->sections[0].items[0].timeout_ms == 5 * 60 * 1000);
	checklist_destroy(cl);
}

int main(void)
{
	if (sodium_init() < 0)
		return 2;
	test_opened();
	test_items_done();
	test_items_done_wait();
	test_waiting();
	test_waiting_not_open();
	test_notices();
	test_notice_is_not_activity();
	test_overdue();
	test_from_checklist();
	return check_report();
}
