#!/bin/sh
# The PostgreSQL schema and the privileges of docs/postgresql.md on a real
# server: a throwaway cluster (tests/pg/with_pg) gets the doc's superuser
# SQL, the schema script as the owner, and the doc's grants, all as the doc
# prints them; then the application role may append and read but not change
# or remove an event (refused by the server: permission denied), the owner
# is refused by the guard triggers, a duplicate (chain, seq) is a unique
# violation, the derived run table follows the appends, and an append is
# notified on the channel countersign.
#
# usage: test_privileges.sh PRINT_SCHEMA SOURCE_ROOT
# Exits 77 (skipped) when PostgreSQL's binaries are not installed.
set -u
PRINT=${1:?usage: test_privileges.sh PRINT_SCHEMA SOURCE_ROOT}
SRC=${2:?usage: test_privileges.sh PRINT_SCHEMA SOURCE_ROOT}
export LANG=C.UTF-8 TERM=xterm-256color

# Its own cluster, always (the roles it makes are the cluster's, not one
# database's): with_pg runs this script again inside one and removes it.
if [ -z "${CS_PRIV_IN_CLUSTER:-}" ]; then
	export CS_PRIV_IN_CLUSTER=1
	exec "$SRC/tests/pg/with_pg" "$0" "$@"
fi
: "${COUNTERSIGN_TEST_PG:?with_pg sets it}" "${COUNTERSIGN_TEST_PG_DIR:?with_pg sets it}"

psql=""
for b in ${PG_BINDIR:-} $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n -r); do
	if [ -x "$b/psql" ]; then psql="$b/psql"; break; fi
done
[ -n "$psql" ] || psql=$(command -v psql || true)
if [ -z "$psql" ]; then
	echo "skipped: no psql (install postgresql-client)"
	exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/cs-pgpriv.XXXXXX")
trap 'rm -rf "$T"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() {
	failed=$((failed + 1))
	printf 'FAIL: %s\n' "$1" >&2
	printf '  output: %s\n' "$(head -c 2000 "$T/out")" >&2
}

host=$COUNTERSIGN_TEST_PG_DIR
super=$(printf '%s\n' "$COUNTERSIGN_TEST_PG" | sed -n 's/.*user=\([^ ]*\).*/\1/p')
# The doc creates the database countersign; the cluster already has one
# of that name (with_pg's), so the doc's is made under another name.
db=countersign_doc

# sql USER DATABASE: runs stdin in psql as USER, stopping at the first
# error; output (with SQLSTATEs) in $T/out, status in $rc.
sql() {
	"$psql" -X -q -h "$host" -U "$1" -d "$2" -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose >"$T/out" 2>&1
	rc=$?
}
# expect_ok DESC / expect_err SQLSTATE TEXT DESC: on the last sql.
expect_ok() {
	if [ "$rc" -eq 0 ]; then ok; else fail "$1: exit $rc"; fi
}
expect_err() {
	if [ "$rc" -ne 0 ] && grep -qF "ERROR:  $1: $2" "$T/out"; then ok; else fail "$3: expected $1 $2"; fi
}
# expect_out TEXT DESC
expect_out() {
	if grep -qF -- "$1" "$T/out"; then ok; else fail "$2: output lacks '$1'"; fi
}

# doc_block NAME: the first ```sql block after "<!-- test: NAME -->".
doc_block() {
	awk -v m="<!-- test: $1 -->" '
		$0 == m { found = 1; next }
		found == 1 && /^```sql$/ { found = 2; next }
		found == 2 && /^```$/ { exit }
		found == 2 { print }' "$SRC/docs/postgresql.md"
}

# The script in docs is what store_pg_schema() prints.
"$PRINT" >"$T/schema.sql"
if cmp -s "$T/schema.sql" "$SRC/docs/postgresql-schema.sql"; then ok; else
	diff -u "$SRC/docs/postgresql-schema.sql" "$T/schema.sql" >"$T/out"
	fail "docs/postgresql-schema.sql differs from store_pg_schema() (regenerate it with tests/pg/print_schema)"
fi

doc_block superuser | sed "s/^\\(CREATE DATABASE\\|REVOKE ALL ON DATABASE\\|GRANT CONNECT ON DATABASE\\) countersign /\\1 $db /; s/^\\\\connect countersign\$/\\\\connect $db/" >"$T/superuser.sql"
doc_block grants >"$T/grants.sql"
if grep -q "CREATE ROLE countersign_app" "$T/superuser.sql" && grep -q "$db" "$T/superuser.sql" &&
	grep -q "GRANT INSERT" "$T/grants.sql"; then ok; else
	cp "$T/superuser.sql" "$T/out"
	fail "docs/postgresql.md: the superuser and grants blocks were not found"
fi

sql "$super" postgres <"$T/superuser.sql"
expect_ok "the doc's superuser SQL"
"$psql" -X -q -h "$host" -U countersign_owner -d "$db" -v ON_ERROR_STOP=1 --single-transaction \
	-f "$SRC/docs/postgresql-schema.sql" >"$T/out" 2>&1
rc=$?
expect_ok "the schema script, as the owner"
sql countersign_owner "$db" <"$T/grants.sql"
expect_ok "the doc's grants, as the owner"

app() { sql countersign_app "$db"; }
owner() { sql countersign_owner "$db"; }
# app1 / owner1 STATEMENT: one statement (not through a pipe, which would
# run sql in a subshell and lose $rc).
app1() { printf '%s\n' "$1" >"$T/in.sql"; app <"$T/in.sql"; }
owner1() { printf '%s\n' "$1" >"$T/in.sql"; owner <"$T/in.sql"; }
COLS="chain, seq, time_us, actor, os_user, host, tty, kind, target, payload, prev, hash"
# ev CHAIN SEQ KIND ACTOR: the values of an event.
ev() { printf "('%s', %s, %s, '%s', 'u', 'h', 't', '%s', '', '{}', 'p%s', 'h%s')" "$1" "$2" "$((1000 + $2))" "$4" "$3" "$2" "$2"; }

app1 "SELECT 'v=' || value FROM meta WHERE name = 'schema_version';"
expect_out "v=5" "meta holds schema version 5"

app <<SQL
INSERT INTO checklists (sha256, text) VALUES (repeat('a', 64), '{}') ON CONFLICT DO NOTHING;
INSERT INTO checklists (sha256, text) VALUES (repeat('a', 64), '{}') ON CONFLICT DO NOTHING;
INSERT INTO runs (id, checklist_id, checklist_sha, title, path, started_us, nonce)
  VALUES ('run1', 'c', repeat('a', 64), 'T', 'p', 1, 'n');
INSERT INTO engineers (name, full_name, pin_hash, created_us) VALUES ('alice', 'Alice', 'x', 1);
INSERT INTO events ($COLS) VALUES $(ev run1 1 run_started alice);
INSERT INTO evidence (sha256, bytes) VALUES (repeat('b', 64), '\\x00ff00') ON CONFLICT DO NOTHING;
UPDATE engineers SET pin_hash = '', public_key = 'k', key_salt = 's', key_ops = 2, key_mem = 3, roles = '["dba"]'
  WHERE name = 'alice';
INSERT INTO pin_attempts (engineer, time_us) VALUES ('alice', 5) RETURNING 'ticket=' || id;
DELETE FROM pin_attempts WHERE engineer = 'alice';
SELECT 'n=' || count(*) FROM events;
SQL
expect_ok "the application role appends an event and writes what the store writes"
expect_out "ticket=1" "a PIN attempt's ticket"
expect_out "n=1" "the event was appended"

for stmt in "UPDATE events SET kind = 'x'" "DELETE FROM events" "TRUNCATE events" \
	"UPDATE evidence SET bytes = '\\x00'" "DELETE FROM evidence" \
	"UPDATE runs SET title = 'x'" "DELETE FROM checklists" \
	"UPDATE run_index SET events = 0" "INSERT INTO run_actors VALUES ('mallory', 'run1')" \
	"UPDATE meta SET value = 4"; do
	table=$(printf '%s\n' "$stmt" | sed 's/^\(UPDATE\|DELETE FROM\|TRUNCATE\|INSERT INTO\) \([a-z_]*\).*/\2/')
	app1 "$stmt;"
	expect_err 42501 "permission denied for table $table" "the application role: $stmt"
done
for stmt in "UPDATE engineers SET full_name = 'x'" "UPDATE engineers SET name = 'x'" "DELETE FROM engineers"; do
	app1 "$stmt;"
	expect_err 42501 "permission denied for table engineers" "the application role: $stmt"
done

app1 "INSERT INTO events ($COLS) VALUES $(ev run1 1 check_passed alice);"
expect_err 23505 'duplicate key value violates unique constraint "events_pkey"' "a duplicate (chain, seq)"

# The owner may write anything, but the guard triggers refuse it.
owner1 "UPDATE events SET kind = 'x';"
expect_err 23001 "events are append-only: an event cannot be changed" "the owner: UPDATE events"
owner1 "UPDATE events SET sigs = 'x';"
expect_err 23001 "events are append-only: an event cannot be changed" "the owner: UPDATE events.sigs"
owner1 "DELETE FROM events;"
expect_err 23001 "events are append-only: an event cannot be deleted" "the owner: DELETE FROM events"
owner1 "TRUNCATE events CASCADE;"
expect_err 23001 "events are append-only: an event cannot be deleted" "the owner: TRUNCATE events"
owner1 "UPDATE evidence SET bytes = '\\x00';"
expect_err 23001 "evidence is append-only: it cannot be changed" "the owner: UPDATE evidence"
owner1 "DELETE FROM evidence;"
expect_err 23001 "evidence is append-only: it cannot be deleted" "the owner: DELETE FROM evidence"
owner1 "UPDATE runs SET title = 'x';"
expect_err 23001 "runs cannot be changed" "the owner: UPDATE runs"
owner1 "DELETE FROM checklists;"
expect_err 23001 "checklist snapshots cannot be deleted" "the owner: DELETE FROM checklists"
owner1 "UPDATE engineers SET full_name = 'x';"
expect_err 23001 "only an engineer's PIN, key and roles can be changed" "the owner: rename an engineer"
owner1 "DELETE FROM engineers;"
expect_err 23001 "engineers cannot be deleted: a name is never reused" "the owner: DELETE FROM engineers"
owner1 "UPDATE engineers SET roles = '[]' WHERE name = 'alice';"
expect_ok "the owner may change an engineer's roles"

# The derived run table follows the appends (run_index_append): the first
# run_completed ends the run, a later event moves its head, not its end;
# the engineers and registry chains are not runs. The appending session
# is notified at commit, once per statement's transaction.
app <<SQL
LISTEN countersign;
INSERT INTO events ($COLS) VALUES $(ev run1 2 run_completed bob), $(ev run1 3 notify_failed system);
INSERT INTO events ($COLS) VALUES $(ev engineers 1 engineer_registered alice), $(ev registry 1 registry_opened system);
SELECT 'idx=' || run || ',' || state || ',' || ended_us || ',' || last_seq || ',' || head || ',' || last_us || ',' || events
  FROM run_index ORDER BY run;
SELECT 'actors=' || string_agg(actor || '@' || run, ' ' ORDER BY actor) FROM run_actors;
SQL
expect_ok "appends after the run's end"
expect_out "idx=run1,completed,1002,3,h3,1003,3" "run_index: ended by the first run_completed, head and count moved by notify_failed"
expect_out "actors=alice@run1 bob@run1 system@run1" "run_actors: who recorded in the run, not in the engineers or registry chain"
expect_out 'Asynchronous notification "countersign" received' "an append is notified on the channel countersign"
if [ "$(grep -c '^idx=' "$T/out")" -eq 1 ]; then ok; else fail "run_index: the engineers and registry chains have no row"; fi

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
