#!/bin/sh
# The command line's core commands on a PostgreSQL record (--db and
# COUNTERSIGN_DB naming the server): engineer add and list, start, runs,
# check, attest, sign by two engineers, status, audit, verify, export md
# with its anchor checked by verify, db info; with the server down, exit 3
# and one line saying the database cannot be reached.
. "$2/tests/pg/lib_pg.sh"

export COUNTERSIGN_DB="$PG"
cp "$SRC"/tests/cli/fixtures/gates.json .

printf 'pin-alice-1\n' >"$T/pin"
run "$CS" engineer add alice --full-name "Alice Example" --pin-stdin <"$T/pin"
expect_rc 0 "engineer add on PostgreSQL"
add_engineer bob
run "$CS" engineer add alice --full-name "Another Alice" --pin-stdin <"$T/pin"
expect_rc 2 "engineer add of an existing name"
run "$CS" engineer list
expect_in out "Alice Example" "engineer list"
expect_in out "bob Example" "engineer list names bob"

by alice start gates.json --title "Friday deploy"
expect_rc 0 "start"
R=$(cat "$T/out")
run "$CS" runs
expect_in out "$R" "runs lists the run"
for item in build flag strict; do
	by alice check "$R" "prep/$item"
	expect_rc 0 "check prep/$item"
done
by alice attest "$R" prep/review --yes
expect_rc 0 "attest"
by alice sign "$R" prep
expect_rc 0 "the first sign-off"
expect_in out "sign-offs 1/2" "one of two sign-offs"
by bob sign "$R" prep
expect_rc 0 "the second sign-off"
expect_in out "gate passed" "the gate opens"
by bob check "$R" deploy/step
expect_rc 0 "a check in the next section"

run "$CS" status "$R"
expect_rc 0 "status"
expect_in out "Friday deploy" "status shows the title"
expect_in out "[passed] prep" "status shows the gate passed"
run "$CS" audit --run "$R" --kind signed
expect_rc 0 "audit"
expect_eq "$(grep -c 'signed: approved' "$T/out")" 2 "audit shows both signatures"

run "$CS" verify
expect_rc 0 "verify"
expect_in out "ok: " "verify prints ok"
run "$CS" export "$R" --format md -o report.md
expect_rc 0 "export md"
anchor=$(sed -n 's/.*verify [a-z0-9]* --anchor \([0-9a-f]*\).*/\1/p' report.md | head -n 1)
[ ${#anchor} -eq 64 ] && ok || fail "the report has an anchor: '$anchor'"
run "$CS" verify "$R" --anchor "$anchor"
expect_rc 0 "verify --anchor of the report's anchor"
grep -q "Friday deploy" report.md && ok || fail "the report names the run"

run "$CS" db info
expect_rc 0 "db info"
expect_in out "engine: PostgreSQL" "db info names the engine"
expect_in out "runs: 1" "db info counts the run"

# --- the server down: exit 3 and one line, nothing claimed ----------------------
"$COUNTERSIGN_PG_TMP" halt "$COUNTERSIGN_TEST_PG_DIR" >/dev/null 2>&1
run "$CS" status "$R"
expect_rc 3 "status with the server down"
expect_eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "status says so in one line"
expect_in err "the database cannot be reached" "status says the database cannot be reached"
by alice note "$R" "while the server is down"
expect_rc 3 "a note with the server down"
expect_eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "note says so in one line"
expect_in err "the database cannot be reached" "note says the database cannot be reached"
run "$CS" db info
expect_rc 3 "db info with the server down"
expect_in err "the database cannot be reached" "db info says the database cannot be reached"

finish
