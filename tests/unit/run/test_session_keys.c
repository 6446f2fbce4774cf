/* The session's keys: a PIN check keeps the engineer's key unlocked and
 * what the engineer records is signed with it; recording without one is
 * refused; an override is signed by both engineers when both are unlocked;
 * session_lock forgets a key; a PIN change signs with the old key, makes the
 * old PIN useless and leaves earlier signatures valid; a key replaced by a
 * PIN change in another session is refused, nothing written, and forgotten. */
#include "../store/fixture.h"

#include <cjson/cJSON.h>

#include "countersign/session.h"
#include "countersign/vars.h"

static const char checklist_text[] =
	"{\"countersign\": 1, \"id\": \"keys\", \"title\": \"Keys\", \"sections\": [\n"
	" {\"id\": \"s\", \"title\": \"S\", \"items\": [\n"
	"  {\"id\": \"a\", \"title\": \"A\", \"kind\": \"manual\"}]},\n"
	" {\"id\": \"t\", \"title\": \"T\", \"items\": [\n"
	"  {\"id\": \"b\", \"title\": \"B\", \"kind\": \"manual\"}]}]}\n";

static char *db_path;
static char said[1024];  /* the last message a session reported */

static void keep_message(void *data, const char *message)
{
	(void)data;
	snprintf(said, sizeof(said), "%s", message);
}

static void open_session(struct session *s)
{
	memset(s, 0, sizeof(*s));
	s->report.say = keep_message;
	if (session_open_store(s, db_path) != CS_OK) {
		fprintf(stderr, "cannot open %s\n", db_path);
		exit(1);
	}
}

/* A note by ACTOR on the run S holds. */
static int note(struct session *s, const char *actor, const char *text)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "text", text);
	return session_record(s, &(struct session_guard){.action = ACTION_NOTE}, actor, EV_NOTE, "", p);
}

/* The events of CHAIN, read through a session of their own. */
static size_t load(const char *chain, struct event **evs)
{
	struct session s;
	open_session(&s);
	size_t n = 0;
	*evs = NULL;
	CHECK(session_chain_events(&s, chain, 0, evs, &n) == CS_OK);
	session_close(&s);
	return n;
}

/* True when event EV carries a signature by NAME that verifies with NAME's key PUBLIC_HEX. */
static bool signed_by(const struct event *ev, const char *name, const char *public_hex)
{
	struct sign_entry *e = NULL;
	size_t n = 0;
	const char *why = NULL;
	bool found = false;
	if (!sign_entries_parse(ev->sigs, &e, &n, &why))
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].by, name) == 0 && (!public_hex || strcmp(e[i].key, public_hex) == 0) &&
			sign_verify(e[i].key, ev->hash, e[i].sig))
			found = true;
	sign_entries_free(e, n);
	return found;
}

static void public_key_of(const char *name, char out[SIGN_KEY_HEX])
{
	struct session s;
	open_session(&s);
	struct store_engineer e = {0};
	CHECK(session_engineer(&s, name, &e) == CS_OK);
	snprintf(out, SIGN_KEY_HEX, "%s", e.public_key);
	store_engineer_clear(&e);
	session_close(&s);
}

static char *start_run(void)
{
	struct session s;
	open_session(&s);
	struct diag_list d;
	diag_list_init(&d, "keys.json");
	struct checklist *cl = checklist_load_text("keys.json", checklist_text, strlen(checklist_text), &d);
	diag_list_clear(&d);
	if (!cl)
		exit(1);
	struct var_values v = {0};
	vars_assign(&v, cl, NULL, 0, true, &s.report);
	/* no PIN entered: refused, nothing started */
	CHECK(session_start_run(&s, cl, &v, NULL, "alice") == CS_INVALID);
	CHECK(strstr(said, "cannot record as alice: alice's PIN was not entered") != NULL);
	CHECK(!s.have_run);
	CHECK(session_check_pin(&s, "alice", "pin-alice-1", "test") == CS_OK);
	CHECK(session_start_run(&s, cl, &v, NULL, "alice") == CS_OK);
	char *id = xstrdup(s.run.id);
	vars_clear(&v);
	checklist_destroy(cl);
	session_close(&s);
	return id;
}

static void test_signed_records(const char *run)
{
	char alice[SIGN_KEY_HEX], bob[SIGN_KEY_HEX];
	public_key_of("alice", alice);
	public_key_of("bob", bob);
	struct session s;
	open_session(&s);
	CHECK(session_load_run(&s, run) == CS_OK);
	CHECK(note(&s, "bob", "without a PIN") == CS_INVALID);
	CHECK(strstr(said, "bob's PIN was not entered") != NULL);
	CHECK(session_check_pin(&s, "bob", "pin-bob-2", "test") == CS_INVALID);  /* wrong: nothing unlocked */
	CHECK(note(&s, "bob", "wrong PIN") == CS_INVALID);
	CHECK(session_check_pin(&s, "bob", "pin-bob-1", "test") == CS_OK);
	CHECK(note(&s, "bob", "signed") == CS_OK);
	/* both unlocked: the override carries both signatures */
	CHECK(session_check_pin(&s, "alice", "pin-alice-1", "test") == CS_OK);
	cJSON *p = cJSON_CreateObject();
	cJSON *who = cJSON_AddArrayToObject(p, "engineers");
	cJSON_AddItemToArray(who, cJSON_CreateString("alice"));
	cJSON_AddItemToArray(who, cJSON_CreateString("bob"));
	cJSON_AddStringToObject(p, "reason", "test");
	cJSON_AddStringToObject(p, "incident", "INC-1");
	CHECK(session_record(&s, &(struct session_guard){.action = ACTION_OVERRIDE, .sec = 1}, "alice", EV_OVERRIDE,
		"t", p) == CS_OK);
	session_lock(&s, "bob");
	session_lock(&s, "bob");  /* a no-op once forgotten */
	CHECK(note(&s, "bob", "locked") == CS_INVALID);
	CHECK(note(&s, "alice", "still unlocked") == CS_OK);
	session_close(&s);

	struct event *evs = NULL;
	size_t n = load(run, &evs);
	CHECK(n == 4);
	if (n == 4) {
		CHECK(strcmp(evs[0].kind, EV_RUN_STARTED) == 0 && signed_by(&evs[0], "alice", alice));
		CHECK(strcmp(evs[1].kind, EV_NOTE) == 0 && signed_by(&evs[1], "bob", bob));
		CHECK(strcmp(evs[2].kind, EV_OVERRIDE) == 0 && signed_by(&evs[2], "alice", alice) &&
			signed_by(&evs[2], "bob", bob));
		CHECK(signed_by(&evs[3], "alice", alice) && !signed_by(&evs[3], "bob", NULL));
	}
	event_array_free(evs, n);
}

/* Session A has bob's key unlocked; session B changes bob's PIN: A's next
 * record as bob is refused, nothing written, and A forgets the key. The old
 * PIN is useless, the new one works, and what bob signed before verifies. */
static void test_pin_change(const char *run)
{
	char old_key[SIGN_KEY_HEX], new_key[SIGN_KEY_HEX];
	public_key_of("bob", old_key);
	struct session a, b;
	open_session(&a);
	CHECK(session_load_run(&a, run) == CS_OK);
	CHECK(session_check_pin(&a, "bob", "pin-bob-1", "test") == CS_OK);

	open_session(&b);
	CHECK(session_change_pin(&b, "bob", "pin-bob-1", "short") == CS_INVALID);
	CHECK(session_change_pin(&b, "bob", "pin-bob-9", "pin-bob-2") == CS_INVALID);  /* wrong old PIN */
	CHECK(session_change_pin(&b, "bob", "pin-bob-1", "pin-bob-2") == CS_OK);
	session_close(&b);
	public_key_of("bob", new_key);
	CHECK(strcmp(old_key, new_key) != 0);

	struct event *before = NULL;
	size_t n_before = load(run, &before);
	event_array_free(before, n_before);
	CHECK(note(&a, "bob", "after the change") == CS_REFUSED);
	CHECK(strstr(said, "the PIN of bob was changed since it was entered; enter it again") != NULL);
	CHECK(note(&a, "bob", "forgotten") == CS_INVALID);
	struct event *after = NULL;
	size_t n_after = load(run, &after);
	event_array_free(after, n_after);
	CHECK(n_after == n_before);

	CHECK(session_check_pin(&a, "bob", "pin-bob-1", "test") == CS_INVALID);
	CHECK(session_check_pin(&a, "bob", "pin-bob-2", "test") == CS_OK);
	CHECK(note(&a, "bob", "with the new PIN") == CS_OK);
	session_close(&a);

	/* key_rotated is signed by the old key and carries the new one */
	struct event *evs = NULL;
	size_t n = load(EVENT_CHAIN_ENGINEERS, &evs);
	const struct event *rotated = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(evs[i].kind, EV_KEY_ROTATED) == 0)
			rotated = &evs[i];
	CHECK(rotated && strcmp(rotated->target, "bob") == 0 && signed_by(rotated, "bob", old_key) &&
		strstr(rotated->payload, new_key) != NULL);
	event_array_free(evs, n);
	n = load(run, &evs);
	CHECK(n > 0 && signed_by(&evs[n - 1], "bob", new_key));
	CHECK(n > 1 && signed_by(&evs[1], "bob", old_key));
	event_array_free(evs, n);

	struct session v;
	open_session(&v);
	struct store_verify_result res = {0};
	CHECK(session_verify(&v, NULL, NULL, &res) == CS_OK && res.ok);
	if (!res.ok)
		fprintf(stderr, "verify: %s: %s\n", res.chain ? res.chain : "", res.why ? res.why : "");
	store_verify_result_clear(&res);
	session_close(&v);
}

int main(void)
{
	session_test_cheap_pins();
	char *dir = fixture_tmpdir();
	db_path = xasprintf("%s/keys.db", dir);
	struct session s;
	open_session(&s);
	CHECK(session_add_engineer(&s, "alice", "Alice Example", "pin-alice-1") == CS_OK);
	CHECK(session_add_engineer(&s, "bob", "Bob Example", "pin-bob-1") == CS_OK);
	session_close(&s);
	char *run = start_run();
	test_signed_records(run);
	test_pin_change(run);
	free(run);
	free(db_path);
	fixture_rm_rf(dir);
	return check_report();
}
