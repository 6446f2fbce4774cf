#!/bin/sh
# A record from before signing keys (fixtures/tamper-v3.sql: engineers alice,
# bob and carol with PIN hashes only, run 083k8qf9gk with 4 events): read
# as it is, verify says its events predate signatures instead of failing;
# the first command that records brings it up to date, and an engineer's
# next PIN entry gives them a key (key_enrolled) with which what they do
# from then on is signed; verify says how many events of each run are
# unsigned. Against someone who can write the file: bob's PIN hash replaced
# by carol's after the update, before bob's key was enrolled, is caught by
# verify naming the engineers table, and carol's PIN then either does not
# work as bob's or what she does as bob is caught too.
. "$(dirname "$0")/lib.sh"
sqlite_file_test "a version 3 record file (fixtures/tamper-v3.sql is SQLite's)"

BASE=$(db_new base)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$BASE"
TAMPER=tamper
R=083k8qf9gk

by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin"
}
engineers_kinds() {
	sqlite3 "$1" "select group_concat(kind || ' ' || target, ', ') from
		(select kind, target from events where chain = 'engineers' and seq > 3 order by seq)"
}

db_sql "$BASE" <"$SRC/tests/cli/fixtures/tamper-v3.sql"
expect_eq "$(db_sql "$BASE" "pragma user_version")" 3 "the fixture is a version 3 record"

# --- read as it is ------------------------------------------------------------------
run "$CS" verify
expect_rc 0 "verify of a record from before signatures"
expect_in out "unsigned" "says that its events are unsigned"
expect_eq "$(db_sql "$BASE" "pragma user_version")" 3 "reading it changed nothing"

# --- brought up to date; alice enrolled by her PIN ------------------------------------------
by alice note "$R" "after the update"
expect_rc 0 "alice records in the old record"
expect_eq "$(db_sql "$BASE" "pragma user_version")" 5 "the record is now version 5"
expect_eq "$(engineers_kinds "$BASE")" "key_enrolled alice" "alice's PIN gave her a key"
N=$(db_sql "$BASE" "select max(seq) from events where chain = '$R'")
expect_eq "$N" 5 "alice's note is event 5"
case $($TAMPER "$BASE" sigs-of "$R" 5) in
*'"by":"alice"'*) ok ;;
*) fail "alice's note is signed" ;;
esac
run "$CS" verify
expect_rc 0 "verify after the update"
expect_in out "run $R: 4 of 5 events unsigned" "names the run's events from before signatures"
run "$CS" verify "$R"
expect_rc 0 "verify RUN after the update"
db_sql "$BASE" "pragma wal_checkpoint(truncate)" >/dev/null

# --- bob's PIN hash replaced by carol's before bob has a key ----------------------------------
DB=$(db_clone "$BASE" swap)
$TAMPER "$DB" guards-off
$TAMPER "$DB" swap-engineer bob carol
run "$CS" --db "$DB" verify
expect_rc 1 "verify after bob's PIN hash was replaced by carol's"
expect_in err "engineers" "names the engineers table or chain"
expect_in err "bob" "and bob"
printf 'pin-carol-1\n' >"$T/pin"
run "$CS" --db "$DB" note "$R" "carol writing as bob" --engineer bob --pin-stdin <"$T/pin"
if [ "$rc" -ne 0 ]; then
	ok
else
	# Her PIN worked as bob's, and gave "bob" a key derived from it: that
	# must not make the record verify (once bob has a key, his row is no
	# longer compared with registry_opened.legacy_pins).
	run "$CS" --db "$DB" verify
	expect_rc 1 "verify after carol wrote as bob with her PIN"
	expect_in err "engineers" "names the engineers table or chain"
	expect_in err "bob" "and bob"
fi

# --- bob's own PIN: enrolled, then signed ----------------------------------------------------
DB=$(db_clone "$BASE" bob)
by bob --db "$DB" note "$R" "bob after the update"
expect_rc 0 "bob records with his PIN"
expect_eq "$(engineers_kinds "$DB")" "key_enrolled alice, key_enrolled bob" "bob's PIN gave him a key"
run "$CS" --db "$DB" verify
expect_rc 0 "verify after bob's enrolment"
expect_in out "run $R: 4 of 6 events unsigned" "still the same 4 unsigned events"

finish
