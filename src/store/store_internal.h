/* Shared by the store's source files only: the connection, error keeping,
 * statement and transaction helpers, and the chain append that runs inside
 * a transaction the caller already holds. */
#ifndef COUNTERSIGN_STORE_INTERNAL_H
#define COUNTERSIGN_STORE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "countersign/store.h"
#include "db.h"

/* The tags hashed to make the genesis "prev" of the engineers and the
 * registry chains. */
#define STORE_ENGINEERS_GENESIS_TAG "countersign-engineers-v1"
#define STORE_REGISTRY_GENESIS_TAG "countersign-registry-v1"
/* The first schema version with signatures, keys and the registry chain. */
#define STORE_SCHEMA_SIGNED 4
/* The first schema version with engineers' roles (engineers.roles). */
#define STORE_SCHEMA_ROLES 5

struct store {
	/* The connection through db.h. On SQLite it owns the handle store.c
	 * opened and configured (db_sqlite_adopt); on PostgreSQL db_open
	 * made it. */
	struct db *conn;
	char *path;
	char *err; /* last error, malloc'd; "" when none */
	/* What the last store_fail returned: STORE_UNAVAILABLE when the
	 * server could not be reached, else STORE_FAILED. */
	enum store_status fail_status;
	/* The last store_fail was DB_BUSY (another writer held the lock past
	 * the engine's wait); cleared by each store_begin. */
	bool fail_busy;
	bool fail_unknown;       /* the last commit's outcome is unknown (store_outcome_unknown) */
	bool read_only;
	/* A read-only connection to a version 2 database: run_index and
	 * run_actors are temporary views computed from the events, and there
	 * is no trigger to check. */
	bool derived_views;
	/* The schema version of the file (PRAGMA user_version) once opened: a
	 * read-only connection may read an older one, which has no signatures,
	 * keys or registry chain (see store_sigs_column). Raised when a read
	 * transaction finds the record migrated since (store_schema_of_snapshot). */
	int schema;
	/* The file opened, so a write can tell that it was removed or replaced
	 * under us (SQLite would go on writing to the unlinked inode). */
	dev_t dev;
	ino_t ino;
};

/* The derived run table's rows computed from the events, as migration 3
 * fills the table (a read-only connection to a version 2 database computes
 * the same rows run by run in views, migrations.c): run, state, ended_us,
 * last_seq, head, last_us, events. A
 * run ends at its first run_completed or run_aborted. SQLite takes the bare
 * columns hash and time_us of an aggregate with max() from the row with the
 * maximum. */
#define STORE_RUN_INDEX_SELECT \
	"SELECT h.chain, CASE e.kind WHEN 'run_completed' THEN 'completed' WHEN 'run_aborted' THEN 'aborted' " \
	"ELSE 'open' END, e.time_us, h.last_seq, h.hash, h.time_us, h.n " \
	"FROM (SELECT chain, max(seq) AS last_seq, hash, time_us, count(*) AS n FROM events " \
	"WHERE chain <> 'engineers' GROUP BY chain) AS h " \
	"LEFT JOIN (SELECT chain, min(seq), kind, time_us FROM events " \
	"WHERE kind IN ('run_completed', 'run_aborted') GROUP BY chain) AS e ON e.chain = h.chain " \
	"WHERE h.chain IN (SELECT id FROM runs)"
/* The trigger that keeps the derived run table with every append, exactly
 * as migration 3 created it and SQLite keeps its text (a read-only
 * connection to a version 3 database finds this one). The first
 * run_completed or run_aborted ends a run: nothing but the program's own
 * notify_failed may follow it. */
#define STORE_RUN_INDEX_TRIGGER_V3 \
	"CREATE TRIGGER run_index_append AFTER INSERT ON events WHEN NEW.chain <> 'engineers'\n" \
	"BEGIN\n" \
	"  INSERT INTO run_index (run, state, ended_us, last_seq, head, last_us, events)\n" \
	"  VALUES (NEW.chain, CASE NEW.kind WHEN 'run_completed' THEN 'completed'\n" \
	"      WHEN 'run_aborted' THEN 'aborted' ELSE 'open' END,\n" \
	"    CASE WHEN NEW.kind IN ('run_completed', 'run_aborted') THEN NEW.time_us END,\n" \
	"    NEW.seq, NEW.hash, NEW.time_us, 1)\n" \
	"  ON CONFLICT (run) DO UPDATE SET\n" \
	"    state = CASE WHEN state = 'open' THEN excluded.state ELSE state END,\n" \
	"    ended_us = CASE WHEN state = 'open' THEN excluded.ended_us ELSE ended_us END,\n" \
	"    last_seq = excluded.last_seq, head = excluded.head, last_us = excluded.last_us,\n" \
	"    events = events + 1;\n" \
	"  INSERT OR IGNORE INTO run_actors (actor, run) VALUES (NEW.actor, NEW.chain);\n" \
	"END"
/* The same trigger as migration 4 remade it (verify compares its text):
 * the registry chain is not a run either. */
#define STORE_RUN_INDEX_TRIGGER \
	"CREATE TRIGGER run_index_append AFTER INSERT ON events WHEN NEW.chain NOT IN ('engineers', 'registry')\n" \
	"BEGIN\n" \
	"  INSERT INTO run_index (run, state, ended_us, last_seq, head, last_us, events)\n" \
	"  VALUES (NEW.chain, CASE NEW.kind WHEN 'run_completed' THEN 'completed'\n" \
	"      WHEN 'run_aborted' THEN 'aborted' ELSE 'open' END,\n" \
	"    CASE WHEN NEW.kind IN ('run_completed', 'run_aborted') THEN NEW.time_us END,\n" \
	"    NEW.seq, NEW.hash, NEW.time_us, 1)\n" \
	"  ON CONFLICT (run) DO UPDATE SET\n" \
	"    state = CASE WHEN state = 'open' THEN excluded.state ELSE state END,\n" \
	"    ended_us = CASE WHEN state = 'open' THEN excluded.ended_us ELSE ended_us END,\n" \
	"    last_seq = excluded.last_seq, head = excluded.head, last_us = excluded.last_us,\n" \
	"    events = events + 1;\n" \
	"  INSERT OR IGNORE INTO run_actors (actor, run) VALUES (NEW.actor, NEW.chain);\n" \
	"END"
/* Who recorded in which run: actor, run. */
#define STORE_RUN_ACTORS_SELECT \
	"SELECT DISTINCT actor, chain FROM events WHERE chain <> 'engineers' AND chain IN (SELECT id FROM runs)"

/* Replaces the last error with a formatted message. */
void store_set_err(struct store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* --- over db.h (st->conn), for both engines --- */

/* True when ST's record is on PostgreSQL. */
bool store_is_pg(const struct store *st);
/* Sets the last error to "WHAT: <the engine's message>" for the failure RC
 * of the last db_* call on st->conn and returns STORE_UNAVAILABLE for
 * DB_UNAVAILABLE (the server cannot be reached), else STORE_FAILED (on
 * SQLite naming a full disk or a file open read-only as such). DB_CONSTRAINT and DB_BUSY are failures too; a caller that expects
 * a constraint checks RC itself. */
enum store_status store_fail(struct store *st, enum db_rc rc, const char *what);
/* The status the last store_fail returned (for a caller that got NULL
 * from store_stmt). */
enum store_status store_last_failure(const struct store *st);
/* Prepares SQL ('?N' placeholders, the SQL both engines accept); on
 * failure records the error (store_fail) and returns NULL. Free with
 * db_finalize. */
struct db_stmt *store_stmt(struct store *st, const char *sql);
/* Binds S, or "" when S is NULL (every text column is NOT NULL). */
void store_bind_str(struct db_stmt *stmt, int idx, const char *s);
/* The text of column COL, "" for NULL: borrowed from the statement and
 * valid until its next step, reset or finalize. */
const char *store_col_str(struct db_stmt *stmt, int col);
/* The text of column COL as a malloc'd string ("" for NULL). */
char *store_col_dup(struct db_stmt *stmt, int col);

/* SQL that differs between the engines, as a piece of a statement. */
enum store_sql_piece {
	/* The "run" field of an event's JSON payload, as text. */
	STORE_SQL_PAYLOAD_RUN,
	/* Before a column in a WHERE term: SQLite's "+" (do not use an
	 * index for this term); nothing on PostgreSQL. */
	STORE_SQL_NO_INDEX,
};
/* The engine's text for PIECE (static). */
const char *store_sql(const struct store *st, enum store_sql_piece piece);

/* BEGIN IMMEDIATE (waiting out the busy timeout) / COMMIT / ROLLBACK,
 * through db_begin(write)/db_commit/db_rollback on st->conn (both engines).
 * store_rollback never fails loudly: it is the cleanup path. */
enum store_status store_begin(struct store *st, bool immediate, const char *what);
enum store_status store_commit(struct store *st, const char *what);
void store_rollback(struct store *st);


/* The genesis "prev" of CHAIN: the engineers or registry tag hash, or the
 * run's genesis (STORE_NOT_FOUND when CHAIN names no run). */
enum store_status store_chain_genesis(struct store *st, const char *chain, char out[EVENT_HASH_HEX]);

/* store_append without BEGIN/COMMIT: the caller holds a write transaction. */
enum store_status store_append_locked(struct store *st, const char *chain, struct event *evs, size_t n,
	struct store_evidence *evidence, size_t n_evidence);

/* The "evidence" field of a payload: calls FN for each named hash. Returns
 * false with *WHY (static text) when the payload is not a JSON object or the
 * field is neither a string nor an array of strings. FN returning false stops
 * the walk, and the whole call returns false with *WHY NULL. */
typedef bool (*store_evidence_fn)(const char *sha, void *user);
bool store_payload_evidence(const char *payload, store_evidence_fn fn, void *user, const char **why);

/* True when S is 64 lowercase hex digits. */
bool store_is_sha_hex(const char *s);

/* The column list of events.sigs in a SELECT: "sigs", or "'' AS sigs" for
 * a database older than signatures (static text). */
const char *store_sigs_column(const struct store *st);
/* True when CHAIN is one of the store's own chains (engineers, registry),
 * not a run. */
bool store_chain_is_registry(const char *chain);

/* Appends to the registry chain, inside the caller's write transaction, an
 * event of KIND about TARGET with PAYLOAD (JSON object text), by "system"
 * with the os_user, host and tty of CAUSE (NULL: of this process). */
enum store_status store_registry_append_locked(struct store *st, const char *kind, const char *target,
	const char *payload, const struct event *cause);
/* After EV, the first run_completed or run_aborted of this append to RUN,
 * was appended (inside the same write transaction): appends EV_RUN_ENDED
 * {kind, events, head} to the registry chain, unless the run had ended
 * before EV. */
enum store_status store_registry_run_ended_locked(struct store *st, const char *run, const struct event *ev);
/* Migration 4's fill: opens the registry chain (registry_opened) and
 * registers every run there is, and the end of every run that ended. False
 * with the reason in ST. Runs inside the migration's transaction. */
bool store_registry_fill(struct store *st);
/* The run_registered payload of RUN (malloc'd JSON text, caller frees). */
char *store_run_registered_payload(const struct store_run_row *run);

struct cJSON;
/* What a key or role event says of the record when it happens: the
 * registry chain's length and the last seq of every open run, added to OBJ
 * as "heads" {registry, runs{RUN: seq}}. Inside the caller's transaction
 * (store_engineers.c). */
enum store_status store_add_heads(struct store *st, struct cJSON *obj);

/* One column (COLUMN, a name written in the code, never input) of engineer
 * NAME's row into *OUT (malloc'd, the caller frees; "" for NULL), inside the
 * caller's transaction. STORE_NOT_FOUND, with the error set, for an unknown
 * NAME. */
enum store_status store_engineer_column(struct store *st, const char *name, const char *column, char **out);

/* store_roles.c: roles as the engineers table keeps them, a JSON array of
 * names. Parses TEXT into *OUT (malloc'd strings, sorted, duplicates
 * dropped; free with store_roles_free); false, with none, when TEXT is not
 * an array of strings. */
bool store_roles_parse(const char *text, char ***out, size_t *n);
void store_roles_free(char **roles, size_t n);
/* The JSON text of ROLES (sorted, as the table keeps it), malloc'd. */
char *store_roles_text(char *const *roles, size_t n);
/* Inside the caller's write transaction: STORE_OK when EV is not a
 * signature (EV_SIGNED) or the "roles" its payload claims (absent: none)
 * are its actor's current roles; else STORE_REFUSED with the reason. */
enum store_status store_check_signed_roles(struct store *st, const struct event *ev);

/* Applies the migrations in migrations.c; false with the reason in ST. */
bool store_migrate(struct store *st);
/* For a connection that does not migrate: true when the schema is the one
 * this program knows; false with the reason in ST (older: open it once with
 * a command that writes; newer: use a newer countersign). */
bool store_check_version(struct store *st);
/* Inside the caller's read transaction: the schema version of the snapshot
 * it reads, kept in ST->schema. A read-only connection opened at an older
 * version meets a newer one once another process migrated the record (a
 * forward step: the snapshot's tables and triggers are that version's).
 * False with the reason in ST when the snapshot's version is one this
 * program does not know, or older than the one opened. */
bool store_schema_of_snapshot(struct store *st);
/* True, with the reason in ST, when the open file is another program's
 * SQLite database (schema version 0 with tables in it), which countersign
 * must neither migrate nor switch to write-ahead logging. False when it is
 * countersign's, empty, or cannot be read (opening says why). */
bool store_refuse_foreign(struct store *st);

#endif
