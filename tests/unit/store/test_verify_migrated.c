/* Unit tests of verify on a read-only connection whose record another
 * process migrates after it was opened (export and verify never migrate,
 * and a command that records may bring the record up to date at any
 * moment): the verdict is the one of the snapshot the verify reads, its
 * schema version, triggers and rows together, never a tamper finding
 * made of the schema it saw at open. The record is the version 3 record a
 * countersign before signing keys wrote (tests/cli/fixtures/tamper-v3.sql),
 * also taken back to version 2 (before the derived run table).
 *
 * usage: test_store_verify_migrated TAMPER_V3_SQL */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "countersign/pin.h"
#include "countersign/sign.h"
#include "countersign/store.h"
#include "countersign/util.h"

#define LEGACY_RUN "083k8qf9gk"

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Runs SQL on the file PATH with a connection of its own. */
static void sql_on(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", path, msg ? msg : "?");
		check_failed++;
	}
	sqlite3_free(msg);
	sqlite3_close(db);
}

static int user_version(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	int v = -1;
	if (sqlite3_open(path, &db) == SQLITE_OK &&
		sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
		sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

/* The version 3 record of FIXTURE at PATH; at version 2 with TWO, as the
 * migration torture makes it. */
static void make_record(const char *path, const char *fixture, bool two)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = fopen(fixture, "r");
	CHECK(f != NULL);
	if (!f)
		exit(1);
	text = xcalloc(1, 1 << 20);
	len = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	CHECK(len > 0 && len < (1 << 20) - 1);
	sql_on(path, text);
	free(text);
	if (two)
		sql_on(path, "DROP TRIGGER run_index_append; DROP TABLE run_index; DROP TABLE run_actors; "
			"DROP INDEX runs_by_checklist; PRAGMA user_version = 2;");
	sql_on(path, "PRAGMA journal_mode=WAL");
}

/* Registers dave in ST with a key, as `engineer add` does once it has
 * migrated the record: a signed event the verify must check as signed. */
static void add_engineer(struct store *st)
{
	pin_set_cost(PIN_COST_MIN);
	struct store_engineer e = {.name = "dave", .full_name = "Dave"};
	sign_params_new(&e.key);
	struct sign_key *k = sign_key_derive("pin-dave-1", &e.key, NULL);
	CHECK(k != NULL);
	if (!k)
		return;
	snprintf(e.public_key, sizeof(e.public_key), "%s", sign_key_public(k));
	struct event origin = {.actor = "system", .os_user = "ops", .host = "deploy-01", .tty = "/dev/pts/3"};
	CHECK(store_add_engineer(st, &e, &origin, k) == STORE_OK);
	sign_key_destroy(k);
}

/* Verifies RUN (NULL: the whole record) on ST; true when it passed. */
static bool verifies(struct store *st, const char *run, const char *label)
{
	struct store_verify_result r;
	enum store_status s = store_verify(st, run, NULL, &r);
	bool ok = s == STORE_OK && r.ok;
	if (!ok)
		fprintf(stderr, "%s: status %d: %s\n", label, (int)s, s == STORE_OK ? (r.why ? r.why : "?")
			: store_error(st));
	store_verify_result_clear(&r);
	return ok;
}

/* Opened read-only at version FROM (3 or 2), the record is migrated by
 * another connection to the current version, which then (with ENROL)
 * registers an engineer with a key; the read-only connection's verify of
 * the run, of the registry and engineers chains and of the whole record
 * passes. */
static void test_migrated_after_open(const char *tmp, const char *fixture, int from, bool enrol)
{
	char *path = xasprintf("%s/v%d%s.db", tmp, from, enrol ? "-enrol" : "");
	make_record(path, fixture, from == 2);
	CHECK(user_version(path) == from);
	char *err = NULL;
	struct store *ro = store_open_mode(path, STORE_READ_ONLY, &err);
	CHECK(ro != NULL);
	if (!ro) {
		fprintf(stderr, "open: %s\n", err ? err : "?");
		free(err);
		free(path);
		return;
	}
	CHECK(verifies(ro, LEGACY_RUN, "before the migration: the run"));
	/* A command that records, in another process: here another connection. */
	struct store *rw = store_open(path, &err);
	CHECK(rw != NULL);
	if (rw && enrol)
		add_engineer(rw);
	store_close(rw);
	free(err);
	CHECK(user_version(path) == store_schema_version());
	CHECK(verifies(ro, LEGACY_RUN, "after the migration: the run"));
	CHECK(verifies(ro, NULL, "after the migration: the whole record"));
	CHECK(verifies(ro, "registry", "after the migration: the registry chain"));
	CHECK(verifies(ro, "engineers", "after the migration: the engineers chain"));
	store_close(ro);
	free(path);
}

/* A trigger really replaced after the migration is still found by the
 * connection that opened before it. */
static void test_replaced_after_migration(const char *tmp, const char *fixture)
{
	char *path = xasprintf("%s/replaced.db", tmp);
	make_record(path, fixture, false);
	char *err = NULL;
	struct store *ro = store_open_mode(path, STORE_READ_ONLY, &err);
	CHECK(ro != NULL);
	struct store *rw = store_open(path, &err);
	CHECK(rw != NULL);
	store_close(rw);
	free(err);
	sql_on(path, "DROP TRIGGER run_index_append; CREATE TRIGGER run_index_append AFTER INSERT ON events "
		"BEGIN SELECT 1; END;");
	struct store_verify_result r;
	CHECK(ro && store_verify(ro, LEGACY_RUN, NULL, &r) == STORE_OK && !r.ok && r.why &&
		strstr(r.why, "run_index_append was replaced"));
	store_verify_result_clear(&r);
	store_close(ro);
	free(path);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s TAMPER_V3_SQL\n", argv[0]);
		return 2;
	}
	char tmpl[] = "/tmp/cs-verify-migrated-XXXXXX";
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 1;
	}
	for (int from = 3; from >= 2; from--) {
		test_migrated_after_open(tmpl, argv[1], from, false);
		test_migrated_after_open(tmpl, argv[1], from, true);
	}
	test_replaced_after_migration(tmpl, argv[1]);
	nftw(tmpl, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return check_report();
}
