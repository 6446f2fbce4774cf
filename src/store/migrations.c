/* Schema migrations: an ordered list of SQL steps, each taking the database
 * from user_version N-1 to N in one transaction. A step is never edited once
 * released; changes come as a new step at the end. docs/record.md describes
 * the resulting schema. */
#include "store_internal.h"
#include "db_engine.h"

#include <sqlite3.h>
#include "schema_pg.h"

#include <assert.h>
#include <stdlib.h>

#include "countersign/util.h"

struct migration {
	int version;     /* user_version after the step */
	const char *sql; /* ends by setting that user_version (a pragma takes no parameters) */
	/* Run after SQL in the same transaction, for what SQL alone cannot
	 * write (hashed events); NULL when none. False with the reason in ST. */
	bool (*fill)(struct store *st);
};

static const struct migration migrations[] = {
	{1,
		"CREATE TABLE checklists (\n"
		"  sha256 TEXT PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),\n"
		"  text TEXT NOT NULL\n"
		");\n"
		"CREATE TABLE engineers (\n"
		"  name TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),\n"
		"  full_name TEXT NOT NULL,\n"
		"  pin_hash TEXT NOT NULL,\n"
		"  created_us INTEGER NOT NULL\n"
		");\n"
		"CREATE TABLE runs (\n"
		"  id TEXT PRIMARY KEY NOT NULL,\n"
		"  checklist_id TEXT NOT NULL,\n"
		"  checklist_sha TEXT NOT NULL REFERENCES checklists (sha256),\n"
		"  title TEXT NOT NULL,\n"
		"  path TEXT NOT NULL,\n"
		"  started_us INTEGER NOT NULL,\n"
		"  nonce TEXT NOT NULL\n"
		");\n"
		"CREATE INDEX runs_by_start ON runs (started_us);\n"
		"CREATE TABLE events (\n"
		"  chain TEXT NOT NULL,\n"
		"  seq INTEGER NOT NULL CHECK (seq >= 1),\n"
		"  time_us INTEGER NOT NULL,\n"
		"  actor TEXT NOT NULL,\n"
		"  os_user TEXT NOT NULL,\n"
		"  host TEXT NOT NULL,\n"
		"  tty TEXT NOT NULL,\n"
		"  kind TEXT NOT NULL,\n"
		"  target TEXT NOT NULL,\n"
		"  payload TEXT NOT NULL,\n"
		"  prev TEXT NOT NULL,\n"
		"  hash TEXT NOT NULL,\n"
		"  PRIMARY KEY (chain, seq)\n"
		");\n"
		"CREATE INDEX events_by_time ON events (time_us);\n"
		"CREATE INDEX events_by_actor ON events (actor, time_us);\n"
		"CREATE INDEX events_by_kind ON events (kind, time_us);\n"
		"CREATE TABLE evidence (\n"
		"  sha256 TEXT PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),\n"
		"  bytes BLOB NOT NULL\n"
		");\n"
		/* The record is append-only. Runs and checklist snapshots never
		 * change either; engineers may only change their PIN hash, and are
		 * never removed, so a name is never reused. */
		"CREATE TRIGGER events_no_update BEFORE UPDATE ON events\n"
		"  BEGIN SELECT RAISE(ABORT, 'events are append-only: an event cannot be changed'); END;\n"
		"CREATE TRIGGER events_no_delete BEFORE DELETE ON events\n"
		"  BEGIN SELECT RAISE(ABORT, 'events are append-only: an event cannot be deleted'); END;\n"
		"CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence\n"
		"  BEGIN SELECT RAISE(ABORT, 'evidence is append-only: it cannot be changed'); END;\n"
		"CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence\n"
		"  BEGIN SELECT RAISE(ABORT, 'evidence is append-only: it cannot be deleted'); END;\n"
		"CREATE TRIGGER runs_no_update BEFORE UPDATE ON runs\n"
		"  BEGIN SELECT RAISE(ABORT, 'runs cannot be changed'); END;\n"
		"CREATE TRIGGER runs_no_delete BEFORE DELETE ON runs\n"
		"  BEGIN SELECT RAISE(ABORT, 'runs cannot be deleted'); END;\n"
		"CREATE TRIGGER checklists_no_update BEFORE UPDATE ON checklists\n"
		"  BEGIN SELECT RAISE(ABORT, 'checklist snapshots cannot be changed'); END;\n"
		"CREATE TRIGGER checklists_no_delete BEFORE DELETE ON checklists\n"
		"  BEGIN SELECT RAISE(ABORT, 'checklist snapshots cannot be deleted'); END;\n"
		"CREATE TRIGGER engineers_no_rename BEFORE UPDATE OF name, full_name, created_us ON engineers\n"
		"  BEGIN SELECT RAISE(ABORT, 'only an engineer''s PIN can be changed'); END;\n"
		"CREATE TRIGGER engineers_no_delete BEFORE DELETE ON engineers\n"
		"  BEGIN SELECT RAISE(ABORT, 'engineers cannot be deleted: a name is never reused'); END;\n"
		"PRAGMA user_version = 1;\n", NULL},
	{2,
		/* PIN checks under way: a check reserves its attempt here before
		 * the slow Argon2id comparison, so that a burst of simultaneous
		 * guesses cannot all pass the lockout count. Not part of the
		 * record: a row lives for one comparison (or, when its process
		 * died, until the lockout window has passed). */
		"CREATE TABLE pin_attempts (\n"
		"  id INTEGER PRIMARY KEY,\n"
		"  engineer TEXT NOT NULL,\n"
		"  time_us INTEGER NOT NULL\n"
		");\n"
		"CREATE INDEX pin_attempts_by_engineer ON pin_attempts (engineer, time_us);\n"
		"PRAGMA user_version = 2;\n", NULL},
	{3,
		/* The derived run table: each run's state, end, head and size, and
		 * who recorded in it, kept by a trigger in the transaction of every
		 * append (so it never disagrees with the chains) and filled here
		 * from the events already recorded. Listing runs and the reviewer's
		 * filters read it instead of folding every run; verify compares it
		 * with the chains. */
		"CREATE TABLE run_index (\n"
		"  run TEXT PRIMARY KEY NOT NULL,\n"
		"  state TEXT NOT NULL CHECK (state IN ('open', 'completed', 'aborted')),\n"
		"  ended_us INTEGER,\n"
		"  last_seq INTEGER NOT NULL,\n"
		"  head TEXT NOT NULL,\n"
		"  last_us INTEGER NOT NULL,\n"
		"  events INTEGER NOT NULL\n"
		");\n"
		"CREATE INDEX run_index_by_state ON run_index (state);\n"
		"CREATE TABLE run_actors (\n"
		"  actor TEXT NOT NULL,\n"
		"  run TEXT NOT NULL,\n"
		"  PRIMARY KEY (actor, run)\n"
		") WITHOUT ROWID;\n"
		"CREATE INDEX runs_by_checklist ON runs (checklist_id, started_us);\n"
		"INSERT INTO run_index (run, state, ended_us, last_seq, head, last_us, events) "
		STORE_RUN_INDEX_SELECT ";\n"
		"INSERT INTO run_actors (actor, run) " STORE_RUN_ACTORS_SELECT ";\n"
		STORE_RUN_INDEX_TRIGGER_V3 ";\n"
		"PRAGMA user_version = 3;\n", NULL},
	{4,
		/* Signatures (events.sigs, outside the hash they sign), each
		 * engineer's public key and how it is derived from the PIN, and the
		 * registry chain, which the trigger of the derived run table must
		 * leave out as it leaves out the engineers chain. The fill opens
		 * the registry chain with what existed before signatures. */
		"ALTER TABLE events ADD COLUMN sigs TEXT NOT NULL DEFAULT '';\n"
		"ALTER TABLE engineers ADD COLUMN public_key TEXT NOT NULL DEFAULT '';\n"
		"ALTER TABLE engineers ADD COLUMN key_salt TEXT NOT NULL DEFAULT '';\n"
		"ALTER TABLE engineers ADD COLUMN key_ops INTEGER NOT NULL DEFAULT 0;\n"
		"ALTER TABLE engineers ADD COLUMN key_mem INTEGER NOT NULL DEFAULT 0;\n"
		"DROP TRIGGER run_index_append;\n"
		STORE_RUN_INDEX_TRIGGER ";\n"
		"PRAGMA user_version = 4;\n", store_registry_fill},
	{5,
		/* Roles: a cache of the engineers chain's role_granted and
		 * role_removed events (a JSON array of names, sorted), which
		 * store_set_role alone writes and verify compares with the chain.
		 * The trigger that keeps names, full names and registration times
		 * is remade to say what may change. */
		"ALTER TABLE engineers ADD COLUMN roles TEXT NOT NULL DEFAULT '[]';\n"
		"DROP TRIGGER engineers_no_rename;\n"
		"CREATE TRIGGER engineers_no_rename BEFORE UPDATE OF name, full_name, created_us ON engineers\n"
		"  BEGIN SELECT RAISE(ABORT, 'only an engineer''s PIN, key and roles can be changed'); END;\n"
		"PRAGMA user_version = 5;\n", NULL},
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int store_schema_version(void)
{
	return migrations[N_MIGRATIONS - 1].version;
}

/* Runs SQL, a query of one row of one integer, into *OUT. */
static bool read_int(struct store *st, const char *sql, const char *what, int64_t *out)
{
	struct db_stmt *stmt = store_stmt(st, sql);
	if (!stmt)
		return false;
	enum db_rc rc = db_step(stmt);
	bool ok = rc == DB_ROW;
	if (ok)
		*out = db_column_int64(stmt, 0);
	else if (rc == DB_DONE)
		store_set_err(st, "%s: no answer", what);
	else
		store_fail(st, rc, what);
	db_finalize(stmt);
	return ok;
}

/* PostgreSQL keeps the schema version in meta; a database without meta
 * has none (0). *TABLES, when not NULL, the number of tables in the
 * schema the connection uses (a database without meta that holds some is
 * not countersign's). */
static bool read_version_pg(struct store *st, int *version, int64_t *tables)
{
	int64_t meta = 0, n = 0;
	if (!read_int(st, "SELECT count(*) FROM pg_catalog.pg_tables "
			"WHERE schemaname = current_schema() AND tablename = 'meta'",
			"cannot read the schema version", &meta) ||
		(tables && !read_int(st, "SELECT count(*) FROM pg_catalog.pg_tables "
			"WHERE schemaname = current_schema()", "cannot read the schema version", &n)))
		return false;
	if (tables)
		*tables = n;
	*version = 0;
	if (meta == 0)
		return true;
	int64_t v = 0;
	if (!read_int(st, "SELECT value FROM meta WHERE name = 'schema_version'", "cannot read the schema version",
			&v))
		return false;
	*version = v > 0 && v < 1000000 ? (int)v : -1;
	if (*version < 0) {
		store_set_err(st, "cannot use %s: its meta table holds no valid schema version", st->path);
		return false;
	}
	return true;
}

static bool read_version(struct store *st, int *version)
{
	if (store_is_pg(st))
		return read_version_pg(st, version, NULL);
	int64_t v = 0;
	if (!read_int(st, "PRAGMA user_version", "cannot read the schema version", &v))
		return false;
	*version = (int)v;
	return true;
}

static bool refuse_newer(struct store *st, int version)
{
	if (version <= store_schema_version())
		return false;
	store_set_err(st, "cannot use %s: its schema version is %d, newer than this countersign knows (%d); "
		"use a newer countersign", st->path, version, store_schema_version());
	return true;
}

/* Applies step I unless another process did it first (the version is read
 * again inside the write transaction). */
static bool apply(struct store *st, int i)
{
	if (store_begin(st, true, "cannot start a schema migration") != STORE_OK)
		return false;
	int version = 0;
	if (!read_version(st, &version) || refuse_newer(st, version))
		goto fail;
	if (version < migrations[i].version) {
		if (db_exec(st->conn, migrations[i].sql) != DB_OK) {
			store_set_err(st, "cannot migrate %s to schema version %d: %s", st->path,
				migrations[i].version, db_error(st->conn));
			goto fail;
		}
		if (migrations[i].fill && !migrations[i].fill(st)) {
			char *why = xstrdup(st->err);
			store_set_err(st, "cannot migrate %s to schema version %d: %s", st->path, migrations[i].version,
				why);
			free(why);
			goto fail;
		}
		if (!read_version(st, &version))
			goto fail;
		if (version != migrations[i].version) {
			store_set_err(st, "schema migration %d left user_version at %d", migrations[i].version, version);
			goto fail;
		}
	}
	return store_commit(st, "cannot commit a schema migration") == STORE_OK;
fail:
	store_rollback(st);
	return false;
}

/* A read-only connection to a version 2 database, which has no derived run
 * table: views of the same names compute its rows from the events on each
 * read (slower, never stale). They live in the connection's temp schema, so
 * nothing is written to the file. Each row is computed from its own run's
 * events by the primary key, so that reading one run (status, export) reads
 * only that run; run_actors may name a pair more than once. */
static bool derive_in_views(struct store *st)
{
	static const char sql[] =
		"CREATE TEMP VIEW run_index (run, state, ended_us, last_seq, head, last_us, events) AS "
		"SELECT r.id, "
		"  coalesce((SELECT CASE e.kind WHEN 'run_completed' THEN 'completed' ELSE 'aborted' END FROM events e "
		"    WHERE e.chain = r.id AND e.kind IN ('run_completed', 'run_aborted') ORDER BY e.seq LIMIT 1), 'open'), "
		"  (SELECT e.time_us FROM events e WHERE e.chain = r.id AND e.kind IN ('run_completed', 'run_aborted') "
		"    ORDER BY e.seq LIMIT 1), "
		"  (SELECT e.seq FROM events e WHERE e.chain = r.id ORDER BY e.seq DESC LIMIT 1), "
		"  (SELECT e.hash FROM events e WHERE e.chain = r.id ORDER BY e.seq DESC LIMIT 1), "
		"  (SELECT e.time_us FROM events e WHERE e.chain = r.id ORDER BY e.seq DESC LIMIT 1), "
		"  (SELECT count(*) FROM events e WHERE e.chain = r.id) "
		"FROM runs r WHERE EXISTS (SELECT 1 FROM events e WHERE e.chain = r.id);\n"
		"CREATE TEMP VIEW run_actors (actor, run) AS "
		"SELECT actor, chain FROM events WHERE chain NOT IN ('engineers', 'registry');\n";
	if (db_exec(st->conn, sql) != DB_OK) {
		store_set_err(st, "cannot read %s (schema version 2): %s", st->path, db_error(st->conn));
		return false;
	}
	st->derived_views = true;
	return true;
}

bool store_refuse_foreign(struct store *st)
{
	/* One statement, so one snapshot: another process may be creating the
	 * record meanwhile, and its tables must not be seen without their
	 * version. Migration 1 creates every table and sets version 1 in one
	 * transaction, so countersign never leaves tables at version 0. */
	sqlite3 *db = db_sqlite_handle(st->conn);
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(db, "SELECT (SELECT user_version FROM pragma_user_version), "
			"(SELECT count(*) FROM main.sqlite_schema)", -1, &stmt, NULL) != SQLITE_OK) {
		sqlite3_finalize(stmt);
		return false;
	}
	bool foreign = sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) == 0 &&
		sqlite3_column_int(stmt, 1) > 0;
	sqlite3_finalize(stmt);
	if (!foreign)
		return false;
	store_set_err(st, "cannot use %s: it is not a countersign database but some other SQLite database "
		"(it holds tables and no countersign schema); nothing was changed in it; check --db or COUNTERSIGN_DB",
		st->path);
	return true;
}

/* Says that a PostgreSQL database holding TABLES tables and no countersign
 * schema is some other program's; false when it holds none. */
static bool foreign_pg(struct store *st, int64_t tables)
{
	if (tables == 0)
		return false;
	store_set_err(st, "cannot use %s: it is not a countersign database but some other PostgreSQL "
		"database (it holds tables and no countersign schema); nothing was changed in it; check --db or "
		"COUNTERSIGN_DB", st->path);
	return true;
}

bool store_check_version(struct store *st)
{
	int version = 0;
	if (!read_version(st, &version) || refuse_newer(st, version))
		return false;
	st->schema = version;
	/* Version 3 only added the derived run table, version 4 signatures,
	 * keys and the registry chain, version 5 roles; a version 2, 3 or 4
	 * database (for instance an auditor's copy on read-only media) can
	 * still be read: as unsigned events, engineers without keys and no
	 * registry (before 4), engineers without roles (before 5). */
	if (version == 2 && store_read_only(st))
		return derive_in_views(st);
	if ((version == 3 || version == 4) && store_read_only(st))
		return true;
	if (version == 0 && !store_is_pg(st) && store_refuse_foreign(st))
		return false;
	int64_t tables = 0;
	if (version == 0 && store_is_pg(st) && (!read_version_pg(st, &version, &tables) || foreign_pg(st, tables)))
		return false;
	if (version == 0) {
		store_set_err(st, "cannot read %s: nothing has been recorded in it yet (an empty database); "
			"check --db or COUNTERSIGN_DB", st->path);
		return false;
	}
	if (version < store_schema_version()) {
		store_set_err(st, "cannot read %s: its schema version is %d, older than this countersign's (%d); "
			"any command that records (as its owner) brings it up to date", st->path, version,
			store_schema_version());
		return false;
	}
	return true;
}

bool store_schema_of_snapshot(struct store *st)
{
	/* A PostgreSQL record is only ever made at the current version
	 * (migrate_pg), so it has no older schema to have opened. */
	if (store_is_pg(st))
		return true;
	int version = 0;
	if (!read_version(st, &version) || refuse_newer(st, version))
		return false;
	if (version < st->schema) {
		store_set_err(st, "cannot read %s: its schema version went from %d to %d while it was open "
			"(the file was changed outside countersign)", st->path, st->schema, version);
		return false;
	}
	st->schema = version;
	return true;
}

/* PostgreSQL: an empty database gets the whole schema (store_pg_schema) in
 * one write transaction, whose lock makes a second process wait and then
 * find it made; a database at this version opens; any other is refused. */
static bool migrate_pg(struct store *st)
{
	assert(store_schema_version() == STORE_PG_SCHEMA_VERSION);
	int version = 0;
	if (!read_version(st, &version) || refuse_newer(st, version))
		return false;
	if (version == 0) {
		if (store_begin(st, true, "cannot start creating the schema") != STORE_OK)
			return false;
		int64_t tables = 0;
		if (!read_version_pg(st, &version, &tables) || refuse_newer(st, version))
			goto fail;
		if (version == 0 && foreign_pg(st, tables))
			goto fail;
		size_t n = 0;
		const char *const *sql = store_pg_schema(&n);
		for (size_t i = 0; version == 0 && i < n; i++) {
			if (db_exec(st->conn, sql[i]) != DB_OK) {
				store_set_err(st, "cannot create the schema in %s: %s", st->path, db_error(st->conn));
				goto fail;
			}
		}
		/* As migration 4's fill: the registry chain opens with the
		 * record's id (there is nothing else to register yet). */
		st->schema = STORE_PG_SCHEMA_VERSION;
		if (version == 0 && !store_registry_fill(st)) {
			char *why = xstrdup(st->err);
			store_set_err(st, "cannot create the schema in %s: %s", st->path, why);
			free(why);
			goto fail;
		}
		if (!read_version(st, &version))
			goto fail;
		if (store_commit(st, "cannot commit the schema") != STORE_OK)
			return false;
	}
	if (version != store_schema_version()) {
		store_set_err(st, "cannot use %s: its schema version is %d, which countersign never creates on "
			"PostgreSQL", st->path, version);
		return false;
	}
	st->schema = version;
	return true;
fail:
	store_rollback(st);
	return false;
}

bool store_migrate(struct store *st)
{
	if (store_is_pg(st))
		return migrate_pg(st);
	int version = 0;
	if (!read_version(st, &version) || refuse_newer(st, version))
		return false;
	for (int i = 0; i < N_MIGRATIONS; i++) {
		if (version >= migrations[i].version)
			continue;
		if (!apply(st, i))
			return false;
	}
	st->schema = store_schema_version();
	return true;
}
