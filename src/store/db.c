/* db.h: picks the engine for a location and dispatches each call through
 * that engine's db_ops (db_engine.h). Keeps what is common to both
 * engines: the location, the last error message and the list of live
 * statements that db_close finalizes. */
#include "db_engine.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/util.h"

/* libpq's connection keywords (PostgreSQL 15's list plus
 * load_balance_hosts from 16): a location that starts "KEYWORD=" is a
 * libpq keyword string. Listing them, rather than taking any "word=",
 * keeps a SQLite file named like "run=1.db" a file. */
static const char *const pg_keywords[] = {
	"application_name", "channel_binding", "client_encoding", "connect_timeout",
	"dbname", "fallback_application_name", "gssencmode", "gsslib", "host", "hostaddr",
	"keepalives", "keepalives_count", "keepalives_idle", "keepalives_interval",
	"krbsrvname", "load_balance_hosts", "options", "passfile", "password", "port",
	"replication", "requirepeer", "requiressl", "service", "ssl_max_protocol_version",
	"ssl_min_protocol_version", "sslcert", "sslcompression", "sslcrl", "sslcrldir",
	"sslkey", "sslmode", "sslpassword", "sslrootcert", "sslsni", "target_session_attrs",
	"tcp_user_timeout", "user",
};

static bool is_keyword_string(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	const char *word = s;
	while (islower((unsigned char)*s) || *s == '_')
		s++;
	size_t len = (size_t)(s - word);
	while (isspace((unsigned char)*s))
		s++;
	if (len == 0 || *s != '=')
		return false;
	for (size_t i = 0; i < sizeof pg_keywords / sizeof pg_keywords[0]; i++)
		if (strlen(pg_keywords[i]) == len && memcmp(pg_keywords[i], word, len) == 0)
			return true;
	return false;
}

enum db_engine db_engine_of(const char *location)
{
	assert(location);
	if (strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0)
		return DB_POSTGRES;
	return is_keyword_string(location) ? DB_POSTGRES : DB_SQLITE;
}

static const struct db_ops *ops_for(enum db_engine engine)
{
	return engine == DB_POSTGRES ? &db_pg_ops : &db_sqlite_ops;
}

void db_base_init(struct db *db, const struct db_ops *ops, const char *location)
{
	assert(db && ops && location);
	db->ops = ops;
	db->location = xstrdup(location);
	db->error = NULL;
	db->stmts = NULL;
}

void db_set_error(struct db *db, const char *fmt, ...)
{
	assert(db && fmt);
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	free(db->error);
	db->error = msg;
}

enum db_rc db_open(const char *location, enum db_open_mode mode, struct db **out, char **err)
{
	assert(location && out && err);
	*out = NULL;
	*err = NULL;
	const struct db_ops *ops = ops_for(db_engine_of(location));
	enum db_rc rc = ops->open(location, mode, out, err);
	assert((rc == DB_OK) == (*out != NULL));
	assert(rc == DB_OK || *err);
	return rc;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	while (db->stmts)
		db_finalize(db->stmts);
	free(db->location);
	free(db->error);
	db->location = db->error = NULL;
	db->ops->close(db);
}

enum db_engine db_engine(const struct db *db)
{
	assert(db);
	return db->ops->engine;
}

const char *db_location(const struct db *db)
{
	assert(db);
	return db->location;
}

const char *db_error(const struct db *db)
{
	assert(db);
	return db->error ? db->error : "";
}

enum db_rc db_exec(struct db *db, const char *sql)
{
	assert(db && sql);
	return db->ops->exec(db, sql);
}

enum db_rc db_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	assert(db && sql && out);
	*out = NULL;
	enum db_rc rc = db->ops->prepare(db, sql, out);
	if (rc != DB_OK)
		return rc;
	struct db_stmt *stmt = *out;
	assert(stmt && stmt->db == db);
	stmt->prev = NULL;
	stmt->next = db->stmts;
	if (db->stmts)
		db->stmts->prev = stmt;
	db->stmts = stmt;
	return DB_OK;
}

void db_finalize(struct db_stmt *stmt)
{
	if (!stmt)
		return;
	struct db *db = stmt->db;
	if (stmt->prev)
		stmt->prev->next = stmt->next;
	else
		db->stmts = stmt->next;
	if (stmt->next)
		stmt->next->prev = stmt->prev;
	db->ops->finalize(stmt);
}

void db_reset(struct db_stmt *stmt)
{
	assert(stmt);
	stmt->db->ops->reset(stmt);
}

void db_bind_text(struct db_stmt *stmt, int idx, const char *text)
{
	assert(stmt && idx >= 1);
	if (text)
		stmt->db->ops->bind_text(stmt, idx, text);
	else
		stmt->db->ops->bind_null(stmt, idx);
}

void db_bind_int64(struct db_stmt *stmt, int idx, int64_t v)
{
	assert(stmt && idx >= 1);
	stmt->db->ops->bind_int64(stmt, idx, v);
}

void db_bind_blob(struct db_stmt *stmt, int idx, const void *data, size_t len)
{
	assert(stmt && idx >= 1 && (data || len == 0));
	stmt->db->ops->bind_blob(stmt, idx, data, len);
}

void db_bind_null(struct db_stmt *stmt, int idx)
{
	assert(stmt && idx >= 1);
	stmt->db->ops->bind_null(stmt, idx);
}

enum db_rc db_step(struct db_stmt *stmt)
{
	assert(stmt);
	return stmt->db->ops->step(stmt);
}

const char *db_column_text(struct db_stmt *stmt, int col)
{
	assert(stmt && col >= 0);
	return stmt->db->ops->column_text(stmt, col);
}

int64_t db_column_int64(struct db_stmt *stmt, int col)
{
	assert(stmt && col >= 0);
	return stmt->db->ops->column_int64(stmt, col);
}

const void *db_column_blob(struct db_stmt *stmt, int col, size_t *len)
{
	assert(stmt && col >= 0 && len);
	return stmt->db->ops->column_blob(stmt, col, len);
}

bool db_column_is_null(struct db_stmt *stmt, int col)
{
	assert(stmt && col >= 0);
	return stmt->db->ops->column_is_null(stmt, col);
}

int db_column_count(struct db_stmt *stmt)
{
	assert(stmt);
	return stmt->db->ops->column_count(stmt);
}

enum db_rc db_begin(struct db *db, bool write)
{
	assert(db);
	return db->ops->begin(db, write);
}

enum db_rc db_commit(struct db *db)
{
	assert(db);
	db->outcome_unknown = false;
	return db->ops->commit(db);
}

bool db_outcome_unknown(const struct db *db)
{
	assert(db);
	return db->outcome_unknown;
}

void db_rollback(struct db *db)
{
	assert(db);
	db->ops->rollback(db);
}

int64_t db_changes(struct db *db)
{
	assert(db);
	return db->ops->changes(db);
}

int64_t db_data_version(struct db *db)
{
	assert(db);
	return db->ops->data_version(db);
}

int db_notify_fd(struct db *db)
{
	assert(db);
	return db->ops->notify_fd(db);
}
