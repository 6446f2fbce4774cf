/* Verification of the registry chain: registry_opened (the record's id and
 * what was recorded before signatures), and every run's start and end, so
 * that a run removed whole, a row edited or a run cut short after its end
 * is found. */
#include "store_verify_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

void verify_registry_clear(struct verify_registry *reg)
{
	for (size_t i = 0; i < reg->n_runs; i++) {
		free(reg->runs[i].run);
		free(reg->runs[i].registered);
		free(reg->runs[i].end_kind);
	}
	free(reg->runs);
	free(reg->pins);
	cJSON_Delete(reg->opened);
	memset(reg, 0, sizeof(*reg));
}

/* The payload of registry_opened into REG; false with a static reason. */
static bool read_opened(struct verify_registry *reg, const char *payload, const char **why)
{
	reg->opened = cJSON_Parse(payload);
	const cJSON *record = cJSON_GetObjectItemCaseSensitive(reg->opened, "record");
	reg->unsigned_through = cJSON_GetObjectItemCaseSensitive(reg->opened, "unsigned_through");
	reg->legacy_pins = cJSON_GetObjectItemCaseSensitive(reg->opened, "legacy_pins");
	*why = !cJSON_IsObject(reg->opened) ? "it is not a JSON object"
		: !cJSON_IsString(record) || strlen(record->valuestring) != CHECKPOINT_RECORD_HEX - 1 ||
			strspn(record->valuestring, "0123456789abcdef") != CHECKPOINT_RECORD_HEX - 1
		? "its record id is not 32 lowercase hex digits"
		: !cJSON_IsObject(reg->unsigned_through) ? "its unsigned_through is not an object"
		: !cJSON_IsObject(reg->legacy_pins) ? "its legacy_pins is not an object" : NULL;
	if (!*why)
		snprintf(reg->record, sizeof(reg->record), "%s", record->valuestring);
	return !*why;
}

bool verify_registry_load(struct verifier *v)
{
	if (v->reg.loaded)
		return true;
	struct db_stmt *stmt = verify_prepare(v, "SELECT kind, payload, time_us, actor FROM events "
		"WHERE chain = ?1 AND seq = 1", "cannot read the registry chain");
	if (!stmt)
		return false;
	db_bind_text(stmt, 1, EVENT_CHAIN_REGISTRY);
	enum db_rc rc = db_step(stmt);
	const char *why = NULL;
	v->chain = EVENT_CHAIN_REGISTRY;
	bool ok = false;
	if (rc == DB_DONE)
		verify_fail(v, 1, "event 1 is missing (the chain has no events): the record has no registry_opened, "
			"which says what was recorded before signatures (the record was altered)");
	else if (rc != DB_ROW)
		verify_db_fail(v, rc, "cannot read the registry chain");
	else if (strcmp(store_col_str(stmt, 0), EV_REGISTRY_OPENED) != 0)
		verify_fail(v, 1, "event 1 (%s by %s): is not registry_opened, which opens the registry chain "
			"(the record was altered)", store_col_str(stmt, 0), store_col_str(stmt, 3));
	else if (!read_opened(&v->reg, store_col_str(stmt, 1), &why))
		verify_fail(v, 1, "event 1 (registry_opened by %s): %s (the record was altered)",
			store_col_str(stmt, 3), why);
	else
		ok = true;
	if (ok) {
		v->reg.opened_us = db_column_int64(stmt, 2);
		v->reg.loaded = true;
	}
	db_finalize(stmt);
	return ok;
}

int64_t verify_unsigned_through(const struct verifier *v, const char *chain)
{
	const cJSON *n = v->reg.loaded ? cJSON_GetObjectItemCaseSensitive(v->reg.unsigned_through, chain) : NULL;
	return cJSON_IsNumber(n) && n->valuedouble > 0 ? (int64_t)n->valuedouble : 0;
}

/* The registry's entry of RUN, made when missing. Runs are mostly
 * registered and ended close together, so the search starts at the end. */
static struct verify_reg_run *reg_run(struct verify_registry *reg, const char *run)
{
	for (size_t i = reg->n_runs; i > 0; i--)
		if (strcmp(reg->runs[i - 1].run, run) == 0)
			return &reg->runs[i - 1];
	reg->runs = xreallocarray(reg->runs, reg->n_runs + 1, sizeof(*reg->runs));
	struct verify_reg_run *r = &reg->runs[reg->n_runs++];
	memset(r, 0, sizeof(*r));
	r->run = xstrdup(run);
	return r;
}

static bool fail_registry(struct verifier *v, const struct event *ev, const char *what)
{
	char *name = verify_event_name(v, ev);
	verify_fail(v, ev->seq, "%s: %s", name, what);
	free(name);
	return false;
}

/* run_ended's payload into R: false when malformed. */
static bool read_ended(struct verify_reg_run *r, const char *payload)
{
	cJSON *p = cJSON_Parse(payload);
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(p, "kind");
	const cJSON *events = cJSON_GetObjectItemCaseSensitive(p, "events");
	const cJSON *head = cJSON_GetObjectItemCaseSensitive(p, "head");
	bool ok = cJSON_IsString(kind) && cJSON_IsNumber(events) && cJSON_IsString(head) &&
		store_is_sha_hex(head->valuestring);
	if (ok) {
		r->end_kind = xstrdup(kind->valuestring);
		r->end_events = (int64_t)events->valuedouble;
		snprintf(r->end_head, sizeof(r->end_head), "%s", head->valuestring);
	}
	cJSON_Delete(p);
	return ok;
}

void verify_note_registry_head(struct verifier *v, const struct event *ev, const cJSON *p)
{
	const cJSON *heads = cJSON_GetObjectItemCaseSensitive(p, "heads");
	const cJSON *reg = cJSON_GetObjectItemCaseSensitive(heads, "registry");
	const cJSON *head = cJSON_GetObjectItemCaseSensitive(heads, "registry_head");
	if (!cJSON_IsNumber(reg) || !cJSON_IsString(head))
		return; /* recorded before heads named the registry's head */
	struct verify_registry *r = &v->reg;
	r->pins = xreallocarray(r->pins, r->n_pins + 1, sizeof(*r->pins));
	struct verify_reg_pin *pin = &r->pins[r->n_pins++];
	pin->seq = (int64_t)reg->valuedouble;
	snprintf(pin->hash, sizeof(pin->hash), "%s", head->valuestring);
	pin->engineers_seq = ev->seq;
}

/* EV of the registry chain against the heads signed key events name: the
 * registry up to a key event is fixed by its signatures. */
static bool check_pins(struct verifier *v, const struct event *ev)
{
	for (size_t i = 0; i < v->reg.n_pins; i++) {
		const struct verify_reg_pin *pin = &v->reg.pins[i];
		if (pin->seq == ev->seq && strcmp(pin->hash, ev->hash) != 0) {
			char *name = verify_event_name(v, ev);
			verify_fail(v, ev->seq, "%s: is not the registry event %" PRId64 " that engineers event %" PRId64
				" signed as the registry's head then (the registry chain was rewritten)", name, ev->seq,
				pin->engineers_seq);
			free(name);
			return false;
		}
	}
	return true;
}

/* Every registry head signed key events name is in the registry chain
 * just checked (EVENTS long). */
static bool check_pins_present(struct verifier *v, int64_t events)
{
	for (size_t i = 0; i < v->reg.n_pins; i++)
		if (v->reg.pins[i].seq > events)
			return verify_fail(v, 0, "the registry chain has %" PRId64 " events, but engineers event %" PRId64
				" signed that it had %" PRId64 " (events were removed from its end)", events,
				v->reg.pins[i].engineers_seq, v->reg.pins[i].seq);
	return true;
}

bool verify_registry_event(struct verifier *v, const struct event *ev)
{
	if (!check_pins(v, ev))
		return false;
	if (strcmp(ev->actor, "system") != 0 || (ev->sigs && ev->sigs[0]))
		return fail_registry(v, ev, "registry events are the program's own, by system and unsigned "
			"(the record was altered)");
	bool opened = strcmp(ev->kind, EV_REGISTRY_OPENED) == 0;
	if (ev->seq == 1 || opened)
		return ev->seq == 1 && opened ? true
			: fail_registry(v, ev, "registry_opened is event 1 of the registry chain and no other "
				"(the record was altered)");
	if (strcmp(ev->kind, EV_RUN_REGISTERED) == 0) {
		struct verify_reg_run *r = reg_run(&v->reg, ev->target);
		if (r->n_registered++ == 0) {
			r->reg_seq = ev->seq;
			r->registered = xstrdup(ev->payload);
		} else if (r->n_registered == 2) {
			r->reg_seq2 = ev->seq;
		}
		return true;
	}
	if (strcmp(ev->kind, EV_RUN_ENDED) == 0) {
		struct verify_reg_run *r = reg_run(&v->reg, ev->target);
		if (r->n_ended++ == 0) {
			r->end_seq = ev->seq;
			if (!read_ended(r, ev->payload))
				return fail_registry(v, ev, "its payload does not say how the run ended (kind, events, head)");
		}
		return true;
	}
	return fail_registry(v, ev, "it is not an event of the registry chain (the record was altered)");
}

static int cmp_reg_run(const void *a, const void *b)
{
	return strcmp(((const struct verify_reg_run *)a)->run, ((const struct verify_reg_run *)b)->run);
}

/* 1 when SQL (with ?1 bound to RUN) finds a row, 0 when not, -1 on error
 * (recorded as "cannot read the runs"). */
static int exists(struct verifier *v, const char *sql, const char *run)
{
	struct db_stmt *stmt = verify_prepare(v, sql, "cannot read the runs");
	if (!stmt)
		return -1;
	db_bind_text(stmt, 1, run);
	enum db_rc rc = db_step(stmt);
	if (rc != DB_ROW && rc != DB_DONE)
		verify_db_fail(v, rc, "cannot read the runs");
	db_finalize(stmt);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

bool verify_registry_runs(struct verifier *v)
{
	struct verify_registry *reg = &v->reg;
	if (!check_pins_present(v, v->cur->events))
		return false;
	if (reg->n_runs)
		qsort(reg->runs, reg->n_runs, sizeof(*reg->runs), cmp_reg_run);
	for (size_t i = 0; i < reg->n_runs; i++) {
		const struct verify_reg_run *r = &reg->runs[i];
		int row = exists(v, "SELECT 1 FROM runs WHERE id = ?1", r->run);
		if (row == 1)
			continue;
		int events = row < 0 ? -1 : exists(v, "SELECT 1 FROM events WHERE chain = ?1 LIMIT 1", r->run);
		if (events < 0)
			return false;
		v->chain = r->run;
		if (!r->n_registered)
			return verify_fail(v, 0, "run %s ended (registry event %" PRId64 ") but was never registered, and "
				"is missing (the record was altered)", r->run, r->end_seq);
		return events
			? verify_fail(v, 0, "run %s was registered (registry event %" PRId64 ") but its row is missing "
				"(the row was removed)", r->run, r->reg_seq)
			: verify_fail(v, 0, "run %s was registered (registry event %" PRId64 ") but is missing: its row "
				"and events were removed", r->run, r->reg_seq);
	}
	return true;
}

/* A field of the row against the one run_registered gives. */
static bool same_field(struct verifier *v, const struct store_run_row *run, const struct verify_reg_run *r,
	const cJSON *p, const char *field, const char *label, const char *row_value)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(p, field);
	char *said = cJSON_IsString(f) ? xstrdup(f->valuestring)
		: cJSON_IsNumber(f) ? xasprintf("%" PRId64, (int64_t)f->valuedouble) : NULL;
	bool ok = said && strcmp(said, row_value) == 0;
	if (!ok && said)
		verify_fail(v, 0, "the row of run %s says %s \"%s\", its run_registered event (registry event %" PRId64
			") says \"%s\" (the row or the registry chain was edited)", run->id, label, row_value, r->reg_seq, said);
	else if (!ok)
		verify_fail(v, 0, "the run_registered event of run %s (registry event %" PRId64 ") does not say its %s "
			"(the record was altered)", run->id, r->reg_seq, label);
	free(said);
	return ok;
}

static bool check_registered(struct verifier *v, const struct store_run_row *run, const struct verify_reg_run *r)
{
	cJSON *p = cJSON_Parse(r->registered);
	char started[32];
	snprintf(started, sizeof(started), "%" PRId64, run->started_us);
	bool ok = same_field(v, run, r, p, "checklist", "checklist", run->checklist_id) &&
		same_field(v, run, r, p, "sha256", "checklist snapshot", run->checklist_sha) &&
		same_field(v, run, r, p, "title", "title", run->title) &&
		same_field(v, run, r, p, "path", "path", run->path) &&
		same_field(v, run, r, p, "started_us", "start (us)", started) &&
		same_field(v, run, r, p, "nonce", "nonce", run->nonce);
	cJSON_Delete(p);
	return ok;
}

/* The run's end, as its chain (just checked) gives it, against run_ended. */
static bool check_ended(struct verifier *v, const struct store_run_row *run, const struct verify_reg_run *r)
{
	if (r->n_ended > 1)
		return verify_fail(v, 0, "run %s has %d run_ended events in the registry chain (the record was altered)",
			run->id, r->n_ended);
	if (!r->n_ended && !v->end_seq)
		return true;
	if (!r->n_ended)
		return verify_fail(v, 0, "run %s ended at its event %" PRId64 " (run_%s), but the registry chain has no "
			"run_ended for it (the registry chain was altered)", run->id, v->end_seq, v->end_kind);
	if (!v->end_seq)
		return verify_fail(v, 0, "the registry chain says run %s ended at its event %" PRId64 " (%s; registry "
			"event %" PRId64 "), but its chain has no such end: events were removed from its end", run->id,
			r->end_events, r->end_kind, r->end_seq);
	bool same_kind = strncmp(r->end_kind, "run_", 4) == 0 && strcmp(r->end_kind + 4, v->end_kind) == 0;
	if (!same_kind || r->end_events != v->end_seq || strcmp(r->end_head, v->end_hash) != 0)
		return verify_fail(v, r->end_events == v->end_seq ? v->end_seq : 0, "the registry chain says run %s "
			"ended at its event %" PRId64 " (%s, hash %.*s...; registry event %" PRId64 "), its chain ends at "
			"event %" PRId64 " (run_%s, hash %.*s...): the chain was cut short or rewritten", run->id,
			r->end_events, r->end_kind, VERIFY_SHORT_HASH, r->end_head, r->end_seq, v->end_seq, v->end_kind,
			VERIFY_SHORT_HASH, v->end_hash);
	return true;
}

const struct verify_reg_run *verify_registry_find(const struct verifier *v, const char *run)
{
	struct verify_reg_run key = {.run = (char *)run};
	return v->reg.n_runs ? bsearch(&key, v->reg.runs, v->reg.n_runs, sizeof(*v->reg.runs), cmp_reg_run) : NULL;
}

bool verify_registry_run(struct verifier *v, const struct store_run_row *run)
{
	const struct verify_reg_run *r = verify_registry_find(v, run->id);
	if (!r || !r->n_registered)
		return verify_fail(v, 0, "run %s has no run_registered event in the registry chain (its row was added "
			"outside countersign, or the registry chain was altered)", run->id);
	if (r->n_registered > 1)
		return verify_fail(v, 0, "run %s was registered twice (registry events %" PRId64 " and %" PRId64 "; the "
			"record was altered)", run->id, r->reg_seq, r->reg_seq2);
	return check_registered(v, run, r) && check_ended(v, run, r);
}
