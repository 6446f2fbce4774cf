/* db info and db copy: a whole record read and written through db.h
 * alone, so that either location may be SQLite or PostgreSQL. A copy moves
 * rows, never re-records them: every event keeps its seq, prev, hash,
 * signatures and payload text byte for byte, so the chains (and the
 * record id of the registry chain's first event) are those of the source. */
#include "countersign/store_copy.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "countersign/event.h"
#include "countersign/util.h"
#include "db.h"
#include "store_copy_internal.h"

void store_db_info_clear(struct store_db_info *info)
{
	if (!info)
		return;
	free(info->location);
	free(info->record);
	memset(info, 0, sizeof(*info));
}

/* The store's outcome for a db.h failure. */
static enum store_status status_of(enum db_rc rc)
{
	return rc == DB_UNAVAILABLE ? STORE_UNAVAILABLE : STORE_FAILED;
}

/* Sets *ERR to "WHAT: <DB's last message>" (replacing any) and returns the
 * status of RC. */
static enum store_status fail(struct db *db, enum db_rc rc, char **err, const char *what)
{
	free(*err);
	if (rc == DB_UNAVAILABLE)
		*err = xasprintf("the database cannot be reached: %s: %s", what, db_error(db));
	else
		*err = xasprintf("%s: %s", what, db_error(db));
	return status_of(rc);
}

/* db_open, with a server that cannot be reached said so. */
static enum store_status open_db(const char *location, enum db_open_mode mode, struct db **out, char **err)
{
	enum db_rc rc = db_open(location, mode, out, err);
	if (rc == DB_UNAVAILABLE) {
		char *why = *err;
		*err = xasprintf("the database cannot be reached: %s", why ? why : "");
		free(why);
	}
	return rc == DB_OK ? STORE_OK : status_of(rc);
}

enum db_rc store_copy_query_int(struct db *db, const char *sql, int64_t *out)
{
	struct db_stmt *stmt = NULL;
	enum db_rc rc = db_prepare(db, sql, &stmt);
	if (rc == DB_OK)
		rc = db_step(stmt);
	if (rc == DB_ROW) {
		*out = db_column_int64(stmt, 0);
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		*out = 0;
		rc = DB_OK;
	}
	db_finalize(stmt);
	return rc;
}

enum db_rc store_copy_schema_of(struct db *db, int *schema, bool *tables)
{
	int64_t v = 0, n = 0;
	enum db_rc rc;
	if (db_engine(db) == DB_SQLITE) {
		rc = store_copy_query_int(db, "PRAGMA user_version", &v);
		if (rc == DB_OK)
			rc = store_copy_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
				&n);
	} else {
		rc = store_copy_query_int(db, "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()", &n);
		int64_t meta = 0;
		if (rc == DB_OK)
			rc = store_copy_query_int(db, "SELECT count(*) FROM pg_catalog.pg_tables "
				"WHERE schemaname = current_schema() AND tablename = 'meta'", &meta);
		if (rc == DB_OK && meta)
			rc = store_copy_query_int(db, "SELECT value FROM meta WHERE name = 'schema_version'", &v);
	}
	if (rc == DB_OK) {
		*schema = (int)v;
		*tables = n > 0;
	}
	return rc;
}

/* The record id in the payload of the registry chain's first event, or
 * NULL (a record from before the registry). */
static char *read_record_id(struct db *db)
{
	struct db_stmt *stmt = NULL;
	char *id = NULL;
	if (db_prepare(db, "SELECT payload FROM events WHERE chain = 'registry' AND seq = 1", &stmt) == DB_OK &&
		db_step(stmt) == DB_ROW) {
		cJSON *o = cJSON_Parse(db_column_text(stmt, 0) ? db_column_text(stmt, 0) : "");
		const cJSON *rec = cJSON_GetObjectItemCaseSensitive(o, "record");
		if (cJSON_IsString(rec))
			id = xstrdup(rec->valuestring);
		cJSON_Delete(o);
	}
	db_finalize(stmt);
	return id;
}

enum store_status store_db_info(const char *location, struct store_db_info *out, char **err)
{
	assert(location && out && err);
	memset(out, 0, sizeof(*out));
	*err = NULL;
	struct db *db = NULL;
	enum store_status s = open_db(location, DB_OPEN_READ_ONLY, &db, err);
	if (s != STORE_OK)
		return s;
	enum db_rc rc;
	out->postgres = db_engine(db) == DB_POSTGRES;
	out->location = xstrdup(db_location(db));
	bool tables = false;
	if ((rc = store_copy_schema_of(db, &out->schema, &tables)) != DB_OK) {
		s = fail(db, rc, err, "cannot read the schema version");
		goto done;
	}
	if (out->schema == 0 && tables) {
		*err = xasprintf("%s is not a countersign database: it holds tables and no countersign schema",
			out->location);
		s = STORE_FAILED;
		goto done;
	}
	if (out->schema == 0)
		goto done;
	/* One snapshot, so that the counts agree with each other. */
	if ((rc = db_begin(db, false)) != DB_OK ||
		(rc = store_copy_query_int(db, "SELECT count(*) FROM engineers", &out->engineers)) != DB_OK ||
		(rc = store_copy_query_int(db, "SELECT count(*) FROM runs", &out->runs)) != DB_OK ||
		(rc = store_copy_query_int(db, "SELECT count(*) FROM events", &out->events)) != DB_OK) {
		s = fail(db, rc, err, "cannot read the record");
		db_rollback(db);
		goto done;
	}
	out->record = read_record_id(db);
	db_rollback(db);
done:
	if (s != STORE_OK)
		store_db_info_clear(out);
	db_close(db);
	return s;
}

/* One table of the record: its columns, each one's kind (t text, i
 * integer, b bytes) and the order rows are copied in. Events go in the
 * order recorded (rowid: SQLite's implicit one, PostgreSQL's identity
 * column), which the audit's ties keep and the derived run table's
 * trigger on TO needs (each chain in seq order). pin_attempts is not
 * part of the record; run_index and run_actors are rebuilt by TO. */
struct table {
	const char *name;
	const char *columns;
	const char *kinds;
	const char *order;
};

static const struct table tables[] = {
	{"checklists", "sha256, text", "tt", "sha256"},
	{"engineers", "name, full_name, pin_hash, created_us, public_key, key_salt, key_ops, key_mem, roles",
		"tttittiit", "created_us, name"},
	{"runs", "id, checklist_id, checklist_sha, title, path, started_us, nonce", "tttttit", "started_us, id"},
	{"evidence", "sha256, bytes", "tb", "sha256"},
	{"events", "chain, seq, time_us, actor, os_user, host, tty, kind, target, payload, prev, hash, sigs",
		"tiitttttttttt", "rowid"},
};

#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

/* Binds column COL of ROW (FROM's statement) as parameter COL + 1 of INS. */
static void bind_column(struct db_stmt *ins, struct db_stmt *row, int col, char kind)
{
	if (db_column_is_null(row, col)) {
		db_bind_null(ins, col + 1);
	} else if (kind == 'i') {
		db_bind_int64(ins, col + 1, db_column_int64(row, col));
	} else if (kind == 'b') {
		size_t len = 0;
		const void *data = db_column_blob(row, col, &len);
		db_bind_blob(ins, col + 1, len ? data : "", len);
	} else {
		db_bind_text(ins, col + 1, db_column_text(row, col));
	}
}

/* NULL when every text column of ROW (of table T) is valid UTF-8; else a
 * malloc'd message naming the row (an event by its run, seq and kind) and
 * the column. PostgreSQL's text columns refuse anything else, and a SQLite
 * record written before countersign held to UTF-8 may have such text: the
 * copy stops with this rather than the server's error. */
static char *row_not_utf8(const struct table *t, struct db_stmt *row)
{
	bool events = strcmp(t->name, "events") == 0;
	char *columns = xstrdup(t->columns);
	char *bad = NULL, *save = NULL;
	const char *col = strtok_r(columns, ", ", &save);
	for (int i = 0; col && !bad && t->kinds[i]; i++, col = strtok_r(NULL, ", ", &save))
		if (t->kinds[i] == 't')
			bad = event_text_invalid(col, db_column_text(row, i), events && strcmp(col, "payload") == 0);
	free(columns);
	if (!bad)
		return NULL;
	char *msg = events
		? xasprintf("cannot copy event %" PRId64 " (%s) of %s to PostgreSQL: its %s, which PostgreSQL's text "
			"columns refuse (the record copied from keeps it as it is)", db_column_int64(row, 1),
			db_column_text(row, 7) ? db_column_text(row, 7) : "", db_column_text(row, 0) ? db_column_text(row, 0) : "",
			bad)
		: xasprintf("cannot copy %s row %s to PostgreSQL: its %s, which PostgreSQL's text columns refuse",
			t->name, db_column_text(row, 0) ? db_column_text(row, 0) : "", bad);
	free(bad);
	return msg;
}

/* Before a copy to PostgreSQL: the first event of FROM (inside its
 * transaction) holding text that is not UTF-8 stops it, named as such
 * (the run's own row, copied before its events, holds the same title). */
static enum store_status events_utf8(struct db *from, char **err)
{
	const struct table *t = &tables[N_TABLES - 1];
	assert(strcmp(t->name, "events") == 0);
	char *sql = xasprintf("SELECT %s FROM events ORDER BY %s", t->columns, t->order);
	struct db_stmt *sel = NULL;
	enum db_rc rc = db_prepare(from, sql, &sel);
	free(sql);
	enum store_status s = STORE_OK;
	if (rc == DB_OK)
		while ((rc = db_step(sel)) == DB_ROW)
			if ((*err = row_not_utf8(t, sel))) {
				s = STORE_REFUSED;
				break;
			}
	if (s == STORE_OK && rc != DB_DONE)
		s = fail(from, rc, err, "cannot read the record to copy");
	db_finalize(sel);
	return s;
}

/* Copies table T from FROM to TO (both inside their transactions); adds
 * the rows to *COUNT. */
static enum store_status copy_table(struct db *from, struct db *to, const struct table *t, int64_t *count,
	char **err)
{
	int n = (int)strlen(t->kinds);
	struct strbuf ins_sql = {0};
	strbuf_addf(&ins_sql, "INSERT INTO %s (%s) VALUES (", t->name, t->columns);
	for (int i = 0; i < n; i++)
		strbuf_addstr(&ins_sql, i ? ", ?" : "?");
	strbuf_addstr(&ins_sql, ")");
	char *sel_sql = xasprintf("SELECT %s FROM %s ORDER BY %s", t->columns, t->name, t->order);
	struct db_stmt *sel = NULL, *ins = NULL;
	enum store_status s = STORE_OK;
	enum db_rc rc = db_prepare(from, sel_sql, &sel);
	if (rc != DB_OK) {
		s = fail(from, rc, err, "cannot read the record to copy");
		goto done;
	}
	if ((rc = db_prepare(to, ins_sql.data, &ins)) != DB_OK) {
		s = fail(to, rc, err, "cannot write the copy");
		goto done;
	}
	while ((rc = db_step(sel)) == DB_ROW) {
		if (db_engine(to) == DB_POSTGRES && (*err = row_not_utf8(t, sel))) {
			s = STORE_REFUSED;
			goto done;
		}
		for (int i = 0; i < n; i++)
			bind_column(ins, sel, i, t->kinds[i]);
		enum db_rc w = db_step(ins);
		if (w != DB_DONE) {
			char *what = xasprintf("cannot write %s to the copy", t->name);
			s = fail(to, w, err, what);
			free(what);
			goto done;
		}
		db_reset(ins);
		(*count)++;
	}
	if (rc != DB_DONE)
		s = fail(from, rc, err, "cannot read the record to copy");
done:
	db_finalize(sel);
	db_finalize(ins);
	free(sel_sql);
	strbuf_release(&ins_sql);
	return s;
}

/* Opens FROM read-only and checks that it holds a record at this
 * program's schema version. */
static enum store_status open_source(const char *location, struct db **out, char **err)
{
	enum store_status s = open_db(location, DB_OPEN_READ_ONLY, out, err);
	if (s != STORE_OK)
		return s;
	enum db_rc rc;
	int schema = 0;
	bool any = false;
	if ((rc = store_copy_schema_of(*out, &schema, &any)) != DB_OK)
		return fail(*out, rc, err, "cannot read the schema version of the record to copy");
	const char *where = db_location(*out);
	if (schema == 0) {
		*err = any ? xasprintf("%s is not a countersign database: it holds tables and no countersign schema",
			where) : xasprintf("%s holds no record (an empty database)", where);
		return any ? STORE_FAILED : STORE_NOT_FOUND;
	}
	if (schema != store_schema_version()) {
		*err = schema > store_schema_version()
			? xasprintf("%s has schema version %d, newer than this countersign knows (%d); use a newer countersign",
				where, schema, store_schema_version())
			: xasprintf("%s has schema version %d, older than this countersign's (%d); any command that "
				"records (as its owner) brings it up to date, then copy it", where, schema, store_schema_version());
		return STORE_FAILED;
	}
	return STORE_OK;
}

/* A SQLite TO that does not exist yet is created here, 0600 whatever the
 * umask (a record is not for other users to read); *CREATED says so, so
 * that a failed copy removes it again. */
static enum store_status create_file(const char *location, bool *created, char **err)
{
	*created = false;
	if (db_engine_of(location) != DB_SQLITE || access(location, F_OK) == 0)
		return STORE_OK;
	int fd = open(location, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		*err = xasprintf("cannot create %s: %s", location, strerror(errno));
		return STORE_FAILED;
	}
	close(fd);
	*created = true;
	return STORE_OK;
}

static void remove_file(const char *location)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char *p = xasprintf("%s%s", location, suffixes[i]);
		unlink(p);
		free(p);
	}
}

enum store_status store_copy(const char *from_loc, const char *to_loc, struct store_copy_counts *counts, char **err)
{
	assert(from_loc && to_loc && err);
	*err = NULL;
	struct store_copy_counts c = {0};
	struct db *from = NULL, *to = NULL;
	bool created = false, from_txn = false, to_txn = false;
	enum db_rc rc;
	enum store_status s = open_source(from_loc, &from, err);
	if (s == STORE_OK)
		s = create_file(to_loc, &created, err);
	if (s != STORE_OK)
		goto done;
	if ((s = open_db(to_loc, DB_OPEN_READ_WRITE, &to, err)) != STORE_OK)
		goto done;
	/* one snapshot of the whole record (db_begin: REPEATABLE READ on PostgreSQL) */
	if ((rc = db_begin(from, false)) != DB_OK) {
		s = fail(from, rc, err, "cannot read the record to copy");
		goto done;
	}
	from_txn = true;
	if ((rc = db_begin(to, true)) != DB_OK) {
		s = fail(to, rc, err, "cannot start writing the copy");
		goto done;
	}
	to_txn = true;
	if (db_engine(to) == DB_POSTGRES && (s = events_utf8(from, err)) != STORE_OK)
		goto done;
	if ((s = store_copy_prepare_target(to, err)) != STORE_OK)
		goto done;
	int64_t *count_of[N_TABLES] = {&c.checklists, &c.engineers, &c.runs, &c.evidence, &c.events};
	for (size_t i = 0; i < N_TABLES && s == STORE_OK; i++)
		s = copy_table(from, to, &tables[i], count_of[i], err);
	if (s != STORE_OK)
		goto done;
	to_txn = false;
	if ((rc = db_commit(to)) != DB_OK)
		s = fail(to, rc, err, "cannot commit the copy");
done:
	if (to_txn)
		db_rollback(to);
	if (from_txn)
		db_rollback(from);
	db_close(from);
	db_close(to);
	if (s != STORE_OK && created)
		remove_file(to_loc);
	if (s == STORE_OK && counts)
		*counts = c;
	return s;
}
