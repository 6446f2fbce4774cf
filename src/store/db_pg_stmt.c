/* The PostgreSQL engine's statements (db_pg_internal.h): the store's SQL
 * with its '?' placeholders numbered $1..$n, run with db_pg_exec_params at the
 * first db_step (text parameters, except blobs: bytea in binary), its whole
 * result kept and walked row by row. Columns are read as text; a bytea
 * column read as a blob is decoded with PQunescapeBytea. */
#include "db_pg_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/util.h"

/* Type OIDs (server header catalog/pg_type_d.h, not shipped with libpq). */
#define PG_BOOLOID 16
#define PG_BYTEAOID 17
#define PG_INT8OID 20

struct pg_param {
	char *value;          /* NULL: SQL NULL */
	int len;
	int format;           /* 0 text, 1 binary (blobs) */
	Oid type;             /* 0: the server infers it */
};

struct pg_stmt {
	struct db_stmt base;  /* first: db.c's view */
	char *sql;            /* with $1..$n */
	int nparams;
	struct pg_param *params;
	enum db_rc bind_rc;   /* a failed bind, reported by the next db_step */
	PGresult *res;        /* NULL until run */
	int row;              /* the current row, -1 before the first */
	unsigned char **blobs;   /* decoded bytea of the current row, per column */
	size_t *blob_lens;
};

static struct pg_stmt *stmt_of(struct db_stmt *stmt)
{
	assert(stmt && stmt->db->ops == &db_pg_ops);
	return (struct pg_stmt *)stmt;
}

/* The length of the quoted run at SQL (a '...' literal, "..." identifier,
 * -- or block comment) that a '?' inside must not number; 0 when SQL does
 * not start one. An unterminated run extends to the end. */
static size_t quoted_len(const char *sql)
{
	if (sql[0] == '\'' || sql[0] == '"') {
		const char *p = sql + 1;
		for (;;) {
			p = strchr(p, sql[0]);
			if (!p)
				return strlen(sql);
			if (p[1] != sql[0])
				return (size_t)(p + 1 - sql);
			p += 2;  /* a doubled quote stays inside */
		}
	}
	if (sql[0] == '-' && sql[1] == '-')
		return strcspn(sql, "\n");
	if (sql[0] == '/' && sql[1] == '*') {
		const char *end = strstr(sql + 2, "*/");
		return end ? (size_t)(end + 2 - sql) : strlen(sql);
	}
	return 0;
}

/* SQL with each placeholder outside literals, identifiers and comments
 * numbered as PostgreSQL wants: '?NNN' becomes $NNN, and a bare '?' the
 * number after the largest so far (SQLite's rule, so that SQL written once
 * means the same on both engines); *N the number of parameters (the
 * largest number). The caller frees the result. */
static char *number_placeholders(const char *sql, int *n)
{
	struct strbuf sb = {0};
	*n = 0;
	while (*sql) {
		size_t q = quoted_len(sql);
		if (q > 0) {
			strbuf_add(&sb, sql, q);
			sql += q;
		} else if (*sql == '?') {
			sql++;
			size_t digits = strspn(sql, "0123456789");
			int num = 0;
			/* SQLite numbers parameters up to 32766; ?0 or a longer
			 * number is left as written for the server to refuse. */
			if (digits > 0 && digits <= 5) {
				for (size_t i = 0; i < digits; i++)
					num = num * 10 + (sql[i] - '0');
				if (num > 0)
					sql += digits;
			} else if (digits == 0) {
				num = *n + 1;
			}
			if (num > 0) {
				strbuf_addf(&sb, "$%d", num);
				if (num > *n)
					*n = num;
			} else {
				strbuf_add(&sb, "?", 1);
			}
		} else {
			strbuf_add(&sb, sql, 1);
			sql++;
		}
	}
	return strbuf_detach(&sb);
}

enum db_rc db_pg_prepare(struct db *base, const char *sql, struct db_stmt **out)
{
	struct pg_stmt *st = xcalloc(1, sizeof *st);
	st->base.db = base;
	st->sql = number_placeholders(sql, &st->nparams);
	if (st->nparams > 0)
		st->params = xcalloc((size_t)st->nparams, sizeof *st->params);
	st->row = -1;
	*out = &st->base;
	return DB_OK;
}

/* Forgets the current row's decoded blobs. */
static void clear_row(struct pg_stmt *st)
{
	if (!st->blobs)
		return;
	int cols = db_pq()->PQnfields(st->res);
	for (int i = 0; i < cols; i++)
		db_pq()->PQfreemem(st->blobs[i]);
	memset(st->blobs, 0, (size_t)cols * sizeof *st->blobs);
}

static void clear_result(struct pg_stmt *st)
{
	clear_row(st);
	free(st->blobs);
	free(st->blob_lens);
	st->blobs = NULL;
	st->blob_lens = NULL;
	db_pq()->PQclear(st->res);
	st->res = NULL;
	st->row = -1;
}

static void clear_param(struct pg_param *p)
{
	free(p->value);
	memset(p, 0, sizeof *p);
}

void db_pg_reset(struct db_stmt *stmt)
{
	struct pg_stmt *st = stmt_of(stmt);
	clear_result(st);
	for (int i = 0; i < st->nparams; i++)
		clear_param(&st->params[i]);
	st->bind_rc = DB_OK;
}

void db_pg_finalize(struct db_stmt *stmt)
{
	struct pg_stmt *st = stmt_of(stmt);
	db_pg_reset(stmt);
	free(st->params);
	free(st->sql);
	free(st);
}

/* The parameter IDX (1-based) cleared for a new value; NULL (and the
 * statement's bind_rc set) when the statement has no such parameter. */
static struct pg_param *param(struct pg_stmt *st, int idx)
{
	if (idx > st->nparams) {
		db_set_error(st->base.db, "bind: parameter %d of a statement with %d", idx, st->nparams);
		st->bind_rc = DB_ERROR;
		return NULL;
	}
	struct pg_param *p = &st->params[idx - 1];
	clear_param(p);
	return p;
}

void db_pg_bind_text(struct db_stmt *stmt, int idx, const char *text)
{
	struct pg_param *p = param(stmt_of(stmt), idx);
	if (p)
		p->value = xstrdup(text);
}

void db_pg_bind_int64(struct db_stmt *stmt, int idx, int64_t v)
{
	struct pg_param *p = param(stmt_of(stmt), idx);
	if (!p)
		return;
	/* Typed, so that "? + 1" or "? IS NULL" need no cast. */
	p->value = xasprintf("%" PRId64, v);
	p->type = PG_INT8OID;
}

void db_pg_bind_blob(struct db_stmt *stmt, int idx, const void *data, size_t len)
{
	struct pg_param *p = param(stmt_of(stmt), idx);
	if (!p)
		return;
	assert(len <= INT32_MAX);
	p->value = xmalloc(len);
	if (len)
		memcpy(p->value, data, len);
	p->len = (int)len;
	p->format = 1;  /* bytea's binary form is its bytes */
	p->type = PG_BYTEAOID;
}

void db_pg_bind_null(struct db_stmt *stmt, int idx)
{
	(void)param(stmt_of(stmt), idx);
}

/* Runs ST and keeps its whole result. */
static enum db_rc run(struct pg_stmt *st)
{
	struct pg_db *db = conn_of(st->base.db);
	bool reconnected;
	enum db_rc rc = db_pg_ensure_connected(db, &reconnected);
	if (rc != DB_OK)
		return rc;
	int n = st->nparams;
	const char **values = xcalloc((size_t)n, sizeof *values);
	int *lens = xcalloc((size_t)n, sizeof *lens);
	int *formats = xcalloc((size_t)n, sizeof *formats);
	Oid *types = xcalloc((size_t)n, sizeof *types);
	for (int i = 0; i < n; i++) {
		values[i] = st->params[i].value;
		lens[i] = st->params[i].len;
		formats[i] = st->params[i].format;
		types[i] = st->params[i].type;
	}
	PGresult *res = db_pg_exec_params(db, st->sql, n, types, values, lens, formats);
	free(values);
	free(lens);
	free(formats);
	free(types);
	ExecStatusType status = db_pq()->PQresultStatus(res);
	if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
		return db_pg_fail(db, res);
	db_pg_note_changes(db, res);
	db_pg_track_txn(db);
	st->res = res;
	int cols = db_pq()->PQnfields(res);
	if (cols > 0) {
		st->blobs = xcalloc((size_t)cols, sizeof *st->blobs);
		st->blob_lens = xcalloc((size_t)cols, sizeof *st->blob_lens);
	}
	return DB_OK;
}

enum db_rc db_pg_step(struct db_stmt *stmt)
{
	struct pg_stmt *st = stmt_of(stmt);
	if (st->bind_rc != DB_OK)
		return st->bind_rc;
	if (!st->res) {
		enum db_rc rc = run(st);
		if (rc != DB_OK)
			return rc;
	}
	clear_row(st);
	if (st->row < db_pq()->PQntuples(st->res))
		st->row++;
	return st->row < db_pq()->PQntuples(st->res) ? DB_ROW : DB_DONE;
}

/* Asserts a row is current and COL is one of its columns. */
static void check_col(struct pg_stmt *st, int col)
{
	assert(st->res && st->row >= 0 && st->row < db_pq()->PQntuples(st->res));
	assert(col < db_pq()->PQnfields(st->res));
	(void)st;
	(void)col;
}

const char *db_pg_column_text(struct db_stmt *stmt, int col)
{
	struct pg_stmt *st = stmt_of(stmt);
	check_col(st, col);
	if (db_pq()->PQgetisnull(st->res, st->row, col))
		return NULL;
	return db_pq()->PQgetvalue(st->res, st->row, col);
}

int64_t db_pg_column_int64(struct db_stmt *stmt, int col)
{
	struct pg_stmt *st = stmt_of(stmt);
	const char *text = db_pg_column_text(stmt, col);
	if (!text)
		return 0;
	if (db_pq()->PQftype(st->res, col) == PG_BOOLOID)
		return text[0] == 't';
	return strtoll(text, NULL, 10);
}

const void *db_pg_column_blob(struct db_stmt *stmt, int col, size_t *len)
{
	struct pg_stmt *st = stmt_of(stmt);
	check_col(st, col);
	*len = 0;
	if (db_pq()->PQgetisnull(st->res, st->row, col))
		return NULL;
	if (db_pq()->PQftype(st->res, col) != PG_BYTEAOID) {
		*len = (size_t)db_pq()->PQgetlength(st->res, st->row, col);
		return db_pq()->PQgetvalue(st->res, st->row, col);
	}
	if (!st->blobs[col]) {
		st->blobs[col] = db_pq()->PQunescapeBytea((const unsigned char *)db_pq()->PQgetvalue(st->res, st->row, col),
			&st->blob_lens[col]);
		if (!st->blobs[col]) {
			fputs("countersign: out of memory\n", stderr);
			abort();  /* as xmalloc */
		}
	}
	*len = st->blob_lens[col];
	return st->blobs[col];
}

bool db_pg_column_is_null(struct db_stmt *stmt, int col)
{
	struct pg_stmt *st = stmt_of(stmt);
	check_col(st, col);
	return db_pq()->PQgetisnull(st->res, st->row, col);
}

int db_pg_column_count(struct db_stmt *stmt)
{
	struct pg_stmt *st = stmt_of(stmt);
	return st->res ? db_pq()->PQnfields(st->res) : 0;
}

