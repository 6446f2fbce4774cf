#!/bin/sh
# countersign db info and db copy between SQLite files: a record of several
# runs copied whole (the same record id, chains and heads, verify ok on
# both), a copy refused into a database that holds a record, a failed copy
# leaving no file, the new file 0600, and the usage errors.
. "$(dirname "$0")/lib.sh"

DB=$(db_new a)
A=$DB
B=$(db_new b)
C=$(db_new c)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
mkdir fx && cp "$SRC"/tests/cli/fixtures/gates.json fx/

by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin"
}

# A record with engineers, three runs (one completed steps, one aborted,
# one open), a note and evidence.
for who in alice bob; do
	printf 'pin-%s-1\n' "$who" | "$CS" engineer add "$who" --full-name "$who Example" --pin-stdin >/dev/null
done
by alice start fx/gates.json --title "first"
R1=$(cat "$T/out")
by alice check "$R1" prep/build
by alice attest "$R1" prep/review
by bob start fx/gates.json --title "second"
R2=$(cat "$T/out")
by bob abort "$R2" --reason "not today"
by bob start fx/gates.json --title "third"
R3=$(cat "$T/out")
by bob note "$R3" "a note"
expect_rc 0 "the record is made"

# --- db info -------------------------------------------------------------------
run "$CS" db info
expect_rc 0 "db info"
if [ "$ENGINE" = sqlite ]; then
	expect_in out "engine: SQLite" "db info names the engine"
else
	expect_in out "engine: PostgreSQL" "db info names the engine"
fi
expect_in out "location: $A" "db info names the location"
expect_in out "schema version: 5" "db info gives the schema version"
expect_in out "runs: 3" "db info counts the runs"
expect_in out "engineers: 2" "db info counts the engineers"
events=$(sed -n 's/^events: //p' "$T/out")
[ "${events:-0}" -gt 8 ] && ok || fail "db info counts the events: '$events'"
record=$(sed -n 's/^record: //p' "$T/out")
[ ${#record} -eq 32 ] && ok || fail "db info gives the record id: '$record'"

if sqlite_file "db info of a missing file"; then
	run "$CS" --db "$T/none.db" db info
	expect_rc 3 "db info of a missing file"
	[ ! -e "$T/none.db" ] && ok || fail "db info created $T/none.db"
fi

# --- db copy -------------------------------------------------------------------
run "$CS" verify
A_VERIFY=$(cat "$T/out")
run "$CS" db copy "$A" "$B"
expect_rc 0 "db copy into a new file"
expect_in out "copied 1 checklist snapshots, 2 engineers, 3 runs" "db copy counts what it copied"
expect_in out "from $A: $A_VERIFY" "db copy verifies the source"
expect_in out "to $B: $A_VERIFY" "db copy verifies the copy with the same head"
if sqlite_file "the new file's mode"; then
	expect_eq "$(stat -c %a "$B")" 600 "the new file is 0600"
fi

run "$CS" --db "$B" verify
expect_eq "$(cat "$T/out")" "$A_VERIFY" "verify of the copy prints the same events and head"
run "$CS" --db "$B" db info
expect_in out "record: $record" "the copy keeps the record id"
expect_in out "events: $events" "the copy holds every event"
run "$CS" --db "$B" audit
B_AUDIT=$(cat "$T/out")
run "$CS" audit
expect_eq "$B_AUDIT" "$(cat "$T/out")" "the audit of the copy is the source's"

# the copy is a record like any other: it takes new events
by alice check "$R3" prep/build --db "$B"
expect_rc 0 "a check recorded in the copy"
run "$CS" --db "$B" verify
expect_rc 0 "the copy verifies after a new event"

# a copy of the copy: SQLite to SQLite to SQLite
run "$CS" db copy "$B" "$C"
expect_rc 0 "a copy of the copy"
run "$CS" --db "$C" verify
C_VERIFY=$(cat "$T/out")
run "$CS" --db "$B" verify
expect_eq "$C_VERIFY" "$(cat "$T/out")" "the second copy verifies with the same head"

# --- refusals ------------------------------------------------------------------
before=$(db_digest "$B")
run "$CS" db copy "$A" "$B"
expect_rc 1 "db copy into a file that holds a record"
expect_in err "already holds a record" "the refusal says why"
expect_eq "$(db_digest "$B")" "$before" "the refused target is unchanged"

if sqlite_file "empty, missing and other programs' files"; then
	: >"$T/empty.db"
	run "$CS" db copy "$A" "$T/empty.db"
	expect_rc 0 "db copy into an empty file"

	run "$CS" db copy "$T/none.db" "$T/d.db"
	expect_rc 3 "db copy from a missing file"
	[ ! -e "$T/d.db" ] && ok || fail "a failed copy left $T/d.db"

	sqlite3 "$T/other.db" "create table t (x)" 2>/dev/null || printf 'not a database' >"$T/other.db"
	run "$CS" db copy "$A" "$T/other.db"
	[ "$rc" -ne 0 ] && ok || fail "db copy into another program's file is refused"
fi

run "$CS" db copy "$A"
expect_rc 2 "db copy without TO"
run "$CS" db
expect_rc 2 "db without a subcommand"
run "$CS" db frobnicate
expect_rc 2 "db with an unknown subcommand"
run "$CS" help db
expect_rc 0 "help db"
expect_in out "copy FROM TO" "help db describes copy"

finish
