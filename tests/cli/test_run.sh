#!/bin/sh
# Headless runs through the real binary: engineer add, start, runs, status,
# unknown names, PIN failures and the lockout, note, abort.
. "$(dirname "$0")/lib.sh"

DB=$(db_new cs)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
mkdir fx && cp "$SRC"/tests/cli/fixtures/*.json fx/

# by WHO COMMAND ARGS...: runs countersign COMMAND ARGS as engineer WHO, with
# WHO's PIN (pin-WHO-1) on standard input.
by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin"
}

# with_pin PIN WHO COMMAND ARGS...: the same with a given PIN.
with_pin() {
	printf '%s\n' "$1" >"$T/pin"
	who=$2
	shift 2
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin"
}

add_engineer() {
	printf 'pin-%s-1\n' "$1" | "$CS" engineer add "$1" --full-name "$2" --pin-stdin >/dev/null
}

events() {
	db_sql "$DB" "select count(*) from events"
}

# --- engineers ---------------------------------------------------------------
printf 'pin-alice-1\n' >"$T/pin"
run "$CS" engineer add alice --full-name "Alice Example" --pin-stdin <"$T/pin"
expect_rc 0 "engineer add"
expect_in out "alice" "engineer add names the engineer"
add_engineer bob "Bob Example"
add_engineer eve "Eve Example"

run "$CS" engineer add alice --full-name "Another Alice" --pin-stdin <"$T/pin"
expect_rc 2 "engineer add of an existing name"
expect_in err "already exists" "duplicate engineer message"

printf '12345\n' >"$T/pin"
run "$CS" engineer add dave --full-name "Dave Example" --pin-stdin <"$T/pin"
expect_rc 2 "engineer add with a 5-character PIN"
expect_in err "too short" "short PIN message"
run "$CS" engineer list
expect_rc 0 "engineer list"
expect_in out "Alice Example" "engineer list shows alice"
expect_not_in out "dave" "a refused engineer is not registered"
expect_not_in out "Another Alice" "a duplicate does not replace the engineer"

# --- start --------------------------------------------------------------------
by alice start fx/gates.json --title "Friday deploy"
expect_rc 0 "start"
R1=$(cat "$T/out")
expect_eq "$(wc -l <"$T/out" | tr -d ' ')" 1 "start prints one line"
case $R1 in
"" | *[!a-z0-9]*) fail "start prints the run id alone: '$R1'" ;;
*) ok ;;
esac

by alice start fx/gates.json --var ENVNAME=production
expect_rc 0 "a second run of the same checklist"
R2=$(cat "$T/out")
[ "$R1" != "$R2" ] && ok || fail "two runs get distinct ids"

by alice start fx/gates.json --var NOPE=1
expect_rc 2 "start with an undeclared variable"
by alice start fx/missing.json
expect_rc 2 "start with a missing checklist"

# --- status -------------------------------------------------------------------
run "$CS" status "$R1"
expect_rc 0 "status"
expect_in out "Friday deploy" "status shows the title"
expect_in out "ENVNAME=staging" "status shows the default variable"
expect_in out "[open] prep" "first section is open"
expect_in out "[locked] deploy" "second section is locked"
expect_in out "locked until \"prep\" passes its gate" "status says what blocks"
expect_in out "always open, no gate" "status shows the rollback section"
run "$CS" status "$R2" --json
expect_rc 0 "status --json"
expect_in out "\"production\"" "status --json shows the variable given"

# --- unknown names ------------------------------------------------------------
before=$(events)
run "$CS" status nosuchrun
expect_rc 2 "status of an unknown run"
expect_in err "no run \"nosuchrun\"" "unknown run message"
by alice check nosuchrun prep/build
expect_rc 2 "check in an unknown run"
by alice check "$R1" nosuch/build
expect_rc 2 "check in an unknown section"
expect_in err "no section \"nosuch\"" "unknown section message"
by alice check "$R1" prep/nosuch
expect_rc 2 "check of an unknown item"
expect_in err "no item \"nosuch\"" "unknown item message"
by alice sign "$R1" nosuch
expect_rc 2 "sign of an unknown section"
by alice attest "$R1" prep/nosuch
expect_rc 2 "attest of an unknown item"
by nobody check "$R1" prep/build
expect_rc 2 "check by an unknown engineer"
expect_in err "unknown engineer \"nobody\"" "unknown engineer message"
run "$CS" verify nosuchrun
expect_rc 2 "verify of an unknown run"
expect_eq "$(events)" "$before" "nothing recorded for unknown names"

# --- PINs ---------------------------------------------------------------------
fails() {
	db_sql "$DB" "select count(*) from events where chain = 'engineers' and kind = 'pin_failed' and target = 'eve'"
}
before=$(events)
with_pin wrong-pin eve note "$R1" "a note"
expect_rc 2 "a wrong PIN"
expect_in err "wrong PIN for eve" "wrong PIN message"
expect_eq "$(fails)" 1 "a wrong PIN is a pin_failed event of the engineers chain"
expect_eq "$(db_sql "$DB" "select count(*) from events where chain = '$R1' and kind = 'note'")" 0 \
	"a wrong PIN records no note"

by eve note "$R1" "eve is here"
expect_rc 0 "the right PIN after one failure"
for n in 2 3 4 5; do
	with_pin "wrong-$n" eve note "$R1" "a note"
	expect_rc 2 "wrong PIN $n"
done
expect_eq "$(fails)" 5 "five failures recorded"
by eve note "$R1" "locked out"
expect_rc 1 "the sixth attempt within 15 minutes is refused even with the right PIN"
expect_in err "locked" "lockout message"
expect_eq "$(db_sql "$DB" "select count(*) from events where kind = 'note' and payload like '%locked out%'")" 0 \
	"nothing recorded while locked out"
by eve check "$R1" prep/build
expect_rc 1 "the lockout holds for every command"
by alice note "$R1" "alice is not locked"
expect_rc 0 "the lockout is per engineer"
run "$CS" verify
expect_rc 0 "the record verifies after PIN failures"

# --- note -------------------------------------------------------------------
by alice note "$R1" prep "waiting for the build"
expect_rc 0 "note on a section"
by alice note "$R1" prep/build "build 1234"
expect_rc 0 "note on an item"
by alice note "$R1" nosuch "text"
expect_rc 2 "note on an unknown section"
expect_eq "$(db_sql "$DB" "select count(*) from events where chain = '$R1' and kind = 'note'")" 4 \
	"notes of eve and alice on the run, section and item"
expect_eq "$(db_sql "$DB" "select target from events where chain = '$R1' and kind = 'note' and payload like '%build 1234%'")" \
	"prep/build" "a note names its item"

# --- runs ---------------------------------------------------------------------
run "$CS" runs
expect_rc 0 "runs"
expect_in out "$R1" "runs lists the first run"
expect_in out "$R2" "runs lists the second run"
expect_in out "prep" "runs shows the current section"
run "$CS" runs --json
expect_rc 0 "runs --json"
expect_in out "\"$R1\"" "runs --json lists the first run"

# --- abort --------------------------------------------------------------------
by alice abort "$R2"
expect_rc 2 "abort without a reason"
by alice abort "$R2" --reason "wrong release"
expect_rc 0 "abort"
before=$(events)
by alice check "$R2" prep/build
expect_rc 1 "check in an aborted run"
expect_in err "aborted" "refusal says the run is aborted"
by alice attest "$R2" prep/review
expect_rc 1 "attest in an aborted run"
by alice sign "$R2" prep
expect_rc 1 "sign in an aborted run"
by alice note "$R2" "too late"
expect_rc 1 "note in an aborted run"
by alice abort "$R2" --reason "again"
expect_rc 1 "abort of an aborted run"
printf 'pin-alice-1\npin-bob-1\n' >"$T/pin"
run "$CS" override "$R2" prep --engineer alice --engineer bob --reason r --incident INC-1 --pin-stdin <"$T/pin"
expect_rc 1 "override in an aborted run"
expect_eq "$(events)" "$before" "nothing recorded in an aborted run"
run "$CS" status "$R2"
expect_in out "[aborted]" "status shows the run aborted"
expect_in out "wrong release" "status shows the abort reason"

run "$CS" runs
expect_in out "$R1" "runs still lists the open run"
expect_not_in out "$R2" "runs leaves out the aborted run"
run "$CS" runs --all
expect_rc 0 "runs --all"
expect_in out "$R2" "runs --all lists the aborted run"
expect_in out "aborted" "runs --all shows its state"
run "$CS" runs --all --json
expect_rc 0 "runs --all --json"
tr -d ' \t\n' <"$T/out" >"$T/flat"
grep -q "\"id\":\"$R2\",[^}]*\"state\":\"aborted\"" "$T/flat" && ok || fail "runs --all --json shows the aborted state"
grep -q "\"id\":\"$R1\",[^}]*\"state\":\"open\"" "$T/flat" && ok || fail "runs --all --json shows the open state"

run "$CS" verify
expect_rc 0 "verify at the end"
expect_in out "ok: " "verify summary"

finish
