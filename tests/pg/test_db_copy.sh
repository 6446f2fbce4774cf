#!/bin/sh
# A record of several runs copied SQLite -> PostgreSQL -> SQLite with
# countersign db copy: verify prints the same events and head on all three,
# the record id and the audit are the same, and a database that holds a
# record is refused as a target.
. "$2/tests/pg/lib_pg.sh"

export COUNTERSIGN_DB="$T/a.db"
cp "$SRC"/tests/cli/fixtures/gates.json .
add_engineer alice
add_engineer bob
by alice start gates.json --title "first"
R1=$(cat "$T/out")
by alice check "$R1" prep/build
by alice check "$R1" prep/flag
by alice attest "$R1" prep/review --yes
by alice sign "$R1" prep
by bob start gates.json --title "second"
R2=$(cat "$T/out")
by bob abort "$R2" --reason "not today"
by bob start gates.json --title "third"
R3=$(cat "$T/out")
by bob note "$R3" "a note"
expect_rc 0 "the record is made on SQLite"

run "$CS" verify
expect_rc 0 "the SQLite record verifies"
V_A=$(cat "$T/out")
run "$CS" audit
AUDIT_A=$(cat "$T/out")
run "$CS" db info
RECORD=$(sed -n 's/^record: //p' "$T/out")

# SQLite -> PostgreSQL
run "$CS" db copy "$T/a.db" "$PG"
expect_rc 0 "db copy SQLite -> PostgreSQL"
expect_in out "to $PG: $V_A" "the PostgreSQL copy verifies with the same head"
run "$CS" --db "$PG" verify
expect_rc 0 "verify on PostgreSQL"
expect_eq "$(cat "$T/out")" "$V_A" "verify on PostgreSQL prints the same events and head"
run "$CS" --db "$PG" db info
expect_in out "engine: PostgreSQL" "db info names PostgreSQL"
expect_in out "record: $RECORD" "the record id is kept"
expect_in out "runs: 3" "db info counts the runs on PostgreSQL"
expect_not_in out "password" "db info prints no password"
run "$CS" --db "$PG" audit
expect_eq "$(cat "$T/out")" "$AUDIT_A" "the audit on PostgreSQL is the SQLite one"

# PostgreSQL -> SQLite
run "$CS" db copy "$PG" "$T/c.db"
expect_rc 0 "db copy PostgreSQL -> SQLite"
run "$CS" --db "$T/c.db" verify
expect_eq "$(cat "$T/out")" "$V_A" "verify on the copy back prints the same events and head"
run "$CS" --db "$T/c.db" audit
expect_eq "$(cat "$T/out")" "$AUDIT_A" "the audit of the copy back is the first one"
cmp -s "$T/a.db" "$T/c.db" && fail "the copy back is a byte copy (a test that proves nothing)" || ok

# a target that holds a record
run "$CS" db copy "$T/a.db" "$PG"
expect_rc 1 "db copy into a PostgreSQL record is refused"
expect_in err "already holds a record" "the refusal says why"
run "$CS" --db "$PG" verify
expect_eq "$(cat "$T/out")" "$V_A" "the refused target is unchanged"

finish
