/* The registry chain: the record's identity and every run's registration
 * and end, appended by "system" in the transaction of what they record, and
 * opened by migration 4 with what existed before signatures. */
#include "store_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "countersign/utf8.h"
#include "countersign/util.h"

#define RECORD_ID_BYTES 16

const char *store_sigs_column(const struct store *st)
{
	return st->schema >= STORE_SCHEMA_SIGNED ? "sigs" : "'' AS sigs";
}

bool store_chain_is_registry(const char *chain)
{
	return strcmp(chain, EVENT_CHAIN_ENGINEERS) == 0 || strcmp(chain, EVENT_CHAIN_REGISTRY) == 0;
}

void store_process_origin(struct event *o)
{
	memset(o, 0, sizeof(*o));
	o->actor = xstrdup("system");
	/* Names the system gives are made valid UTF-8, as the record holds
	 * only that (event_invalid_text): a user, host or terminal name in
	 * another encoding must not stop every event from being recorded. */
	struct passwd *pw = getpwuid(geteuid());
	const char *user = pw && pw->pw_name ? pw->pw_name : "?";
	o->os_user = utf8_repair(user, strlen(user), false);
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	o->host = utf8_repair(host, strlen(host), false);
	const char *tty = NULL;
	for (int fd = 0; fd <= 2 && !tty; fd++)
		tty = isatty(fd) ? ttyname(fd) : NULL;
	if (!tty)
		tty = "none";
	o->tty = utf8_repair(tty, strlen(tty), false);
}

/* A registry event (all strings malloc'd: clear it with event_clear) by
 * "system" with ORIGIN's os_user, host and tty; PAYLOAD is taken over. */
static struct event registry_event(const struct event *origin, const char *kind, const char *target,
	char *payload)
{
	struct event ev = {0};
	ev.actor = xstrdup("system");
	ev.os_user = xstrdup(origin->os_user ? origin->os_user : "");
	ev.host = xstrdup(origin->host ? origin->host : "");
	ev.tty = xstrdup(origin->tty ? origin->tty : "");
	ev.kind = xstrdup(kind);
	ev.target = xstrdup(target);
	ev.payload = payload;
	return ev;
}

enum store_status store_registry_append_locked(struct store *st, const char *kind, const char *target,
	const char *payload, const struct event *cause)
{
	struct event self = {0};
	if (!cause) {
		store_process_origin(&self);
		cause = &self;
	}
	struct event ev = registry_event(cause, kind, target, xstrdup(payload));
	enum store_status s = store_append_locked(st, EVENT_CHAIN_REGISTRY, &ev, 1, NULL, 0);
	event_clear(&ev);
	event_clear(&self);
	return s;
}

/* Adds NAME: V as a JSON integer (raw: a double would round a time in
 * microseconds). */
static void add_int(cJSON *o, const char *name, int64_t v)
{
	char num[24];
	snprintf(num, sizeof(num), "%" PRId64, v);
	cJSON_AddRawToObject(o, name, num);
}

static char *print_json(cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!text)
		abort(); /* cJSON fails only when out of memory */
	char *out = xstrdup(text);
	cJSON_free(text);
	return out;
}

char *store_run_registered_payload(const struct store_run_row *run)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "checklist", run->checklist_id ? run->checklist_id : "");
	cJSON_AddStringToObject(o, "sha256", run->checklist_sha ? run->checklist_sha : "");
	cJSON_AddStringToObject(o, "title", run->title ? run->title : "");
	cJSON_AddStringToObject(o, "path", run->path ? run->path : "");
	add_int(o, "started_us", run->started_us);
	cJSON_AddStringToObject(o, "nonce", run->nonce);
	return print_json(o);
}

static char *run_ended_payload(const char *kind, int64_t seq, const char *head)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", kind);
	add_int(o, "events", seq);
	cJSON_AddStringToObject(o, "head", head);
	return print_json(o);
}

enum store_status store_registry_run_ended_locked(struct store *st, const char *run, const struct event *ev)
{
	assert(!store_chain_is_registry(run) && ev->seq > 0);
	/* Only the run's first ending event ends it; the trigger's state and
	 * verify agree on that. */
	struct db_stmt *stmt = store_stmt(st, "SELECT 1 FROM events WHERE chain = ?1 "
		"AND kind IN ('" EV_RUN_COMPLETED "', '" EV_RUN_ABORTED "') AND seq < ?2 LIMIT 1");
	if (!stmt)
		return store_last_failure(st);
	store_bind_str(stmt, 1, run);
	db_bind_int64(stmt, 2, ev->seq);
	enum db_rc rc = db_step(stmt);
	enum store_status ended = rc == DB_ROW || rc == DB_DONE ? STORE_OK
		: store_fail(st, rc, "cannot read how the run ended");
	db_finalize(stmt);
	if (rc != DB_DONE)
		return ended;
	char *payload = run_ended_payload(ev->kind, ev->seq, ev->hash);
	enum store_status s = store_registry_append_locked(st, EV_RUN_ENDED, run, payload, ev);
	free(payload);
	return s;
}

/* --- migration 4: the registry chain's first events --- */

struct fill {
	struct store *st;
	struct event origin;
	struct event *evs;
	size_t n, cap;
	bool ok;
};

static void fill_push(struct fill *f, const char *kind, const char *target, char *payload)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->evs = xreallocarray(f->evs, f->cap, sizeof(*f->evs));
	}
	f->evs[f->n++] = registry_event(&f->origin, kind, target, payload);
}

/* Runs SQL (no parameters) and calls ROW for each row. */
static void fill_each(struct fill *f, const char *sql, void (*row)(struct fill *f, struct db_stmt *stmt, void *user),
	void *user)
{
	if (!f->ok)
		return;
	struct db_stmt *stmt = store_stmt(f->st, sql);
	if (!stmt) {
		f->ok = false;
		return;
	}
	enum db_rc rc;
	while ((rc = db_step(stmt)) == DB_ROW)
		row(f, stmt, user);
	if (rc != DB_DONE) {
		store_fail(f->st, rc, "cannot read the record");
		f->ok = false;
	}
	db_finalize(stmt);
}

static void unsigned_row(struct fill *f, struct db_stmt *stmt, void *user)
{
	(void)f;
	add_int(user, store_col_str(stmt, 0), db_column_int64(stmt, 1));
}

static void legacy_pin_row(struct fill *f, struct db_stmt *stmt, void *user)
{
	(void)f;
	char sha[EVENT_HASH_HEX];
	const char *pin_hash = store_col_str(stmt, 1);
	event_sha256_hex(pin_hash, strlen(pin_hash), sha);
	cJSON_AddStringToObject(user, store_col_str(stmt, 0), sha);
}

static void registered_row(struct fill *f, struct db_stmt *stmt, void *user)
{
	(void)user;
	struct store_run_row run = {0};
	run.id = (char *)store_col_str(stmt, 0);
	run.checklist_id = (char *)store_col_str(stmt, 1);
	run.checklist_sha = (char *)store_col_str(stmt, 2);
	run.title = (char *)store_col_str(stmt, 3);
	run.path = (char *)store_col_str(stmt, 4);
	run.started_us = db_column_int64(stmt, 5);
	snprintf(run.nonce, sizeof(run.nonce), "%s", store_col_str(stmt, 6));
	fill_push(f, EV_RUN_REGISTERED, run.id, store_run_registered_payload(&run));
}

static void ended_row(struct fill *f, struct db_stmt *stmt, void *user)
{
	(void)user;
	fill_push(f, EV_RUN_ENDED, store_col_str(stmt, 0), run_ended_payload(store_col_str(stmt, 1),
		db_column_int64(stmt, 2), store_col_str(stmt, 3)));
}

/* registry_opened: a fresh record id, and what existed before signatures:
 * each chain's size (events up to it may be unsigned) and a hash of each
 * engineer's PIN hash (whose row verify checks against it until the
 * engineer has a key). */
static char *opened_payload(struct fill *f)
{
	unsigned char id[RECORD_ID_BYTES];
	char hex[CHECKPOINT_RECORD_HEX];
	randombytes_buf(id, sizeof(id));
	sodium_bin2hex(hex, sizeof(hex), id, sizeof(id));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "record", hex);
	cJSON_AddNumberToObject(o, "schema", STORE_SCHEMA_SIGNED);
	cJSON *through = cJSON_AddObjectToObject(o, "unsigned_through");
	cJSON *pins = cJSON_AddObjectToObject(o, "legacy_pins");
	/* The engineers chain first, then the runs as they started. A run's
	 * start is one value per chain (runs.id is its key); it is grouped by
	 * as well because PostgreSQL orders only by what is grouped. */
	fill_each(f, "SELECT e.chain, max(e.seq) FROM events AS e LEFT JOIN runs AS r ON r.id = e.chain "
		"GROUP BY e.chain, r.started_us ORDER BY r.started_us IS NOT NULL, r.started_us, e.chain",
		unsigned_row, through);
	fill_each(f, "SELECT name, pin_hash FROM engineers ORDER BY name", legacy_pin_row, pins);
	return print_json(o);
}

bool store_registry_fill(struct store *st)
{
	struct fill f = {.st = st, .ok = true};
	store_process_origin(&f.origin);
	fill_push(&f, EV_REGISTRY_OPENED, "", opened_payload(&f));
	fill_each(&f, "SELECT id, checklist_id, checklist_sha, title, path, started_us, nonce FROM runs "
		"ORDER BY started_us, id", registered_row, NULL);
	/* Each run's first ending event: the seq of the first, then its row
	 * by the primary key. */
	fill_each(&f, "SELECT r.id, e.kind, e.seq, e.hash FROM runs AS r JOIN "
		"(SELECT chain, min(seq) AS seq FROM events "
		"WHERE kind IN ('" EV_RUN_COMPLETED "', '" EV_RUN_ABORTED "') GROUP BY chain) AS m ON m.chain = r.id "
		"JOIN events AS e ON e.chain = m.chain AND e.seq = m.seq "
		"ORDER BY r.started_us, r.id", ended_row, NULL);
	if (f.ok)
		f.ok = store_append_locked(st, EVENT_CHAIN_REGISTRY, f.evs, f.n, NULL, 0) == STORE_OK;
	event_array_free(f.evs, f.n);
	event_clear(&f.origin);
	return f.ok;
}
