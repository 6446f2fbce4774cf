/* The record's schema on PostgreSQL, at SQLite's schema version 5. SQLite
 * reaches version 5 through five migrations (migrations.c); a PostgreSQL
 * record starts at 5, so these statements create that state at once, and
 * each object says which SQLite migration it mirrors. Later changes come,
 * as on SQLite, as new migrations; these statements are never edited once
 * released.
 *
 * The dialect: SQLite's INTEGER (64 bits) is BIGINT, BLOB is BYTEA, and
 * every text column compares byte by byte (COLLATE "C", as SQLite's
 * BINARY), so that ordering by a name or an id is the same on both engines
 * whatever the database's locale. SQLite's implicit rowid, which the audit
 * orders by (time_us, rowid), is an explicit identity column of the same
 * name, so the store's SQL reads the same on both. Triggers call plpgsql
 * functions; the guards raise restrict_violation (SQLSTATE 23001, a
 * constraint class error as SQLite's RAISE(ABORT) is SQLITE_CONSTRAINT),
 * with SQLite's messages. PostgreSQL has no user_version: meta keeps the
 * schema version. */
#include "schema_pg.h"

#include <assert.h>

#define TEXT_C "TEXT COLLATE \"C\""
#define STRINGIFY(x) #x
#define NUMBER(x) STRINGIFY(x)

/* A row-level (or, for TRUNCATE, statement-level) trigger that refuses the
 * change with MSG (SQL string literal text, quotes doubled). */
#define GUARD(name, event, table, level, msg) \
	"CREATE TRIGGER " name " BEFORE " event " ON " table " FOR EACH " level "\n" \
	"  EXECUTE FUNCTION countersign_refuse('" msg "')"

#define MSG_EVENTS_DELETE "events are append-only: an event cannot be deleted"
#define MSG_EVIDENCE_DELETE "evidence is append-only: it cannot be deleted"
#define MSG_RUNS_DELETE "runs cannot be deleted"
#define MSG_CHECKLISTS_DELETE "checklist snapshots cannot be deleted"
#define MSG_ENGINEERS_DELETE "engineers cannot be deleted: a name is never reused"

static const char *const statements[] = {
	/* SQLite: PRAGMA user_version, which every migration sets. Written
	 * by the last statement, read before migrating. */
	"CREATE TABLE meta (\n"
	"  name " TEXT_C " PRIMARY KEY NOT NULL,\n"
	"  value BIGINT NOT NULL\n"
	")",

	/* Migration 1: the guard triggers' RAISE(ABORT, message). TG_ARGV[0]
	 * is the message. */
	"CREATE FUNCTION countersign_refuse() RETURNS trigger LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	"  RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'restrict_violation';\n"
	"END\n"
	"$$",

	/* Migration 1: checklist snapshots. */
	"CREATE TABLE checklists (\n"
	"  sha256 " TEXT_C " PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),\n"
	"  text " TEXT_C " NOT NULL\n"
	")",

	/* Migration 1, with migration 4's key columns and migration 5's
	 * roles (SQLite adds them by ALTER TABLE with these defaults). */
	"CREATE TABLE engineers (\n"
	"  name " TEXT_C " PRIMARY KEY NOT NULL CHECK (name <> ''),\n"
	"  full_name " TEXT_C " NOT NULL,\n"
	"  pin_hash " TEXT_C " NOT NULL,\n"
	"  created_us BIGINT NOT NULL,\n"
	"  public_key " TEXT_C " NOT NULL DEFAULT '',\n"
	"  key_salt " TEXT_C " NOT NULL DEFAULT '',\n"
	"  key_ops BIGINT NOT NULL DEFAULT 0,\n"
	"  key_mem BIGINT NOT NULL DEFAULT 0,\n"
	"  roles " TEXT_C " NOT NULL DEFAULT '[]'\n"
	")",

	/* Migration 1: runs and runs_by_start. */
	"CREATE TABLE runs (\n"
	"  id " TEXT_C " PRIMARY KEY NOT NULL,\n"
	"  checklist_id " TEXT_C " NOT NULL,\n"
	"  checklist_sha " TEXT_C " NOT NULL REFERENCES checklists (sha256),\n"
	"  title " TEXT_C " NOT NULL,\n"
	"  path " TEXT_C " NOT NULL,\n"
	"  started_us BIGINT NOT NULL,\n"
	"  nonce " TEXT_C " NOT NULL\n"
	")",
	"CREATE INDEX runs_by_start ON runs (started_us)",

	/* Migration 1, with migration 4's sigs. rowid stands for SQLite's
	 * implicit one: the order recorded, which ends each index as it
	 * does on SQLite, so the audit's (time_us, rowid) needs no sort. */
	"CREATE TABLE events (\n"
	"  chain " TEXT_C " NOT NULL,\n"
	"  seq BIGINT NOT NULL CHECK (seq >= 1),\n"
	"  time_us BIGINT NOT NULL,\n"
	"  actor " TEXT_C " NOT NULL,\n"
	"  os_user " TEXT_C " NOT NULL,\n"
	"  host " TEXT_C " NOT NULL,\n"
	"  tty " TEXT_C " NOT NULL,\n"
	"  kind " TEXT_C " NOT NULL,\n"
	"  target " TEXT_C " NOT NULL,\n"
	"  payload " TEXT_C " NOT NULL,\n"
	"  prev " TEXT_C " NOT NULL,\n"
	"  hash " TEXT_C " NOT NULL,\n"
	"  sigs " TEXT_C " NOT NULL DEFAULT '',\n"
	"  rowid BIGINT GENERATED ALWAYS AS IDENTITY,\n"
	"  PRIMARY KEY (chain, seq)\n"
	")",
	"CREATE INDEX events_by_time ON events (time_us, rowid)",
	"CREATE INDEX events_by_actor ON events (actor, time_us, rowid)",
	"CREATE INDEX events_by_kind ON events (kind, time_us, rowid)",

	/* Migration 1: evidence. */
	"CREATE TABLE evidence (\n"
	"  sha256 " TEXT_C " PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),\n"
	"  bytes BYTEA NOT NULL\n"
	")",

	/* Migration 1: the guard triggers, with the messages SQLite gives. */
	GUARD("events_no_update", "UPDATE", "events", "ROW", "events are append-only: an event cannot be changed"),
	GUARD("events_no_delete", "DELETE", "events", "ROW", MSG_EVENTS_DELETE),
	GUARD("evidence_no_update", "UPDATE", "evidence", "ROW", "evidence is append-only: it cannot be changed"),
	GUARD("evidence_no_delete", "DELETE", "evidence", "ROW", MSG_EVIDENCE_DELETE),
	GUARD("runs_no_update", "UPDATE", "runs", "ROW", "runs cannot be changed"),
	GUARD("runs_no_delete", "DELETE", "runs", "ROW", MSG_RUNS_DELETE),
	GUARD("checklists_no_update", "UPDATE", "checklists", "ROW", "checklist snapshots cannot be changed"),
	GUARD("checklists_no_delete", "DELETE", "checklists", "ROW", MSG_CHECKLISTS_DELETE),
	/* Migration 5's engineers_no_rename (migration 1's, remade with the
	 * message naming what may change). */
	GUARD("engineers_no_rename", "UPDATE OF name, full_name, created_us", "engineers", "ROW",
		"only an engineer''s PIN, key and roles can be changed"),
	GUARD("engineers_no_delete", "DELETE", "engineers", "ROW", MSG_ENGINEERS_DELETE),
	/* PostgreSQL only: TRUNCATE fires no DELETE trigger (SQLite has no
	 * TRUNCATE), so it is refused as the delete it is. */
	GUARD("events_no_truncate", "TRUNCATE", "events", "STATEMENT", MSG_EVENTS_DELETE),
	GUARD("evidence_no_truncate", "TRUNCATE", "evidence", "STATEMENT", MSG_EVIDENCE_DELETE),
	GUARD("runs_no_truncate", "TRUNCATE", "runs", "STATEMENT", MSG_RUNS_DELETE),
	GUARD("checklists_no_truncate", "TRUNCATE", "checklists", "STATEMENT", MSG_CHECKLISTS_DELETE),
	GUARD("engineers_no_truncate", "TRUNCATE", "engineers", "STATEMENT", MSG_ENGINEERS_DELETE),

	/* Migration 2: PIN checks under way (not part of the record). */
	"CREATE TABLE pin_attempts (\n"
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
	"  engineer " TEXT_C " NOT NULL,\n"
	"  time_us BIGINT NOT NULL\n"
	")",
	"CREATE INDEX pin_attempts_by_engineer ON pin_attempts (engineer, time_us)",

	/* Migration 3: the derived run table and its indexes. There are no
	 * events yet, so nothing to fill it from. */
	"CREATE TABLE run_index (\n"
	"  run " TEXT_C " PRIMARY KEY NOT NULL,\n"
	"  state " TEXT_C " NOT NULL CHECK (state IN ('open', 'completed', 'aborted')),\n"
	"  ended_us BIGINT,\n"
	"  last_seq BIGINT NOT NULL,\n"
	"  head " TEXT_C " NOT NULL,\n"
	"  last_us BIGINT NOT NULL,\n"
	"  events BIGINT NOT NULL\n"
	")",
	"CREATE INDEX run_index_by_state ON run_index (state)",
	"CREATE TABLE run_actors (\n"
	"  actor " TEXT_C " NOT NULL,\n"
	"  run " TEXT_C " NOT NULL,\n"
	"  PRIMARY KEY (actor, run)\n"
	")",
	"CREATE INDEX runs_by_checklist ON runs (checklist_id, started_us)",

	/* Migration 4's run_index_append (STORE_RUN_INDEX_TRIGGER): the same
	 * upsert in the transaction of every append. It runs with its
	 * owner's rights (SECURITY DEFINER, with the search path it was
	 * created under), so the application role needs no write privilege
	 * on the derived tables: it can only read them. */
	"CREATE FUNCTION countersign_run_index_append() RETURNS trigger LANGUAGE plpgsql\n"
	"SECURITY DEFINER SET search_path FROM CURRENT AS $$\n"
	"BEGIN\n"
	"  INSERT INTO run_index AS r (run, state, ended_us, last_seq, head, last_us, events)\n"
	"  VALUES (NEW.chain, CASE NEW.kind WHEN 'run_completed' THEN 'completed'\n"
	"      WHEN 'run_aborted' THEN 'aborted' ELSE 'open' END,\n"
	"    CASE WHEN NEW.kind IN ('run_completed', 'run_aborted') THEN NEW.time_us END,\n"
	"    NEW.seq, NEW.hash, NEW.time_us, 1)\n"
	"  ON CONFLICT (run) DO UPDATE SET\n"
	"    state = CASE WHEN r.state = 'open' THEN excluded.state ELSE r.state END,\n"
	"    ended_us = CASE WHEN r.state = 'open' THEN excluded.ended_us ELSE r.ended_us END,\n"
	"    last_seq = excluded.last_seq, head = excluded.head, last_us = excluded.last_us,\n"
	"    events = r.events + 1;\n"
	"  INSERT INTO run_actors (actor, run) VALUES (NEW.actor, NEW.chain) ON CONFLICT DO NOTHING;\n"
	"  RETURN NULL;\n"
	"END\n"
	"$$",
	"CREATE TRIGGER run_index_append AFTER INSERT ON events FOR EACH ROW\n"
	"  WHEN (NEW.chain NOT IN ('engineers', 'registry'))\n"
	"  EXECUTE FUNCTION countersign_run_index_append()",

	/* PostgreSQL only (SQLite's readers poll PRAGMA data_version): other
	 * connections learn of an append from a notification on the channel
	 * countersign, sent when the appending transaction commits (one per
	 * transaction however many events it holds). */
	"CREATE FUNCTION countersign_notify() RETURNS trigger LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	"  NOTIFY countersign;\n"
	"  RETURN NULL;\n"
	"END\n"
	"$$",
	"CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH STATEMENT\n"
	"  EXECUTE FUNCTION countersign_notify()",

	/* Migration 5's PRAGMA user_version = 5: the version these
	 * statements create. */
	"INSERT INTO meta (name, value) VALUES ('schema_version', " NUMBER(STORE_PG_SCHEMA_VERSION) ")",
};

const char *const *store_pg_schema(size_t *n)
{
	assert(n);
	*n = sizeof(statements) / sizeof(statements[0]);
	return statements;
}
