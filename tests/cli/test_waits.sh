#!/bin/sh
# Waits time what follows a finished step: a wait starts only once the items
# it follows have passed, the items after it stay locked until it passes,
# status and check say when it passes and in how long, and a started wait can
# be cancelled and started afresh.
. "$(dirname "$0")/lib.sh"

DB=$(db_new cs)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
PY=/usr/bin/python3
mkdir fx && cp "$SRC"/tests/cli/fixtures/waits.json fx/
rc=0

by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin"
}
events() {
	db_sql "$DB" "select count(*) from events"
}
verdict() {
	"$CS" status "$R" --json | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print(next(i["verdict"] for s in d["sections"] for i in s["items"] if s["id"] + "/" + i["id"] == sys.argv[1]))' "$1"
}

printf 'pin-alice-1\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
by alice start fx/waits.json
R=$(cat "$T/out")

run "$CS" status "$R"
expect_in out 'window 2h: starts when section "roll" begins' "the window waits for its section"
"$CS" status "$R" --json >"$T/st.json"
expect_eq "$("$PY" -c 'import json,sys; w=json.load(open(sys.argv[1]))["window"]; print(w["starts_at"], "started" in w)' "$T/st.json")" \
	"roll False" "status --json: the window has not started"

before=$(events)
by alice check "$R" roll/soak
expect_rc 1 "a wait before the step it follows"
expect_in err "the wait roll/soak starts once roll/deploy has passed (it is pending)" "the refusal says what it waits for"
by alice check "$R" roll/verify
expect_rc 1 "the item after a wait that has not started"
expect_in err "comes after the wait roll/soak (Soak for an hour), which has not been started" "the refusal names the wait"
expect_eq "$(events)" "$before" "nothing recorded for the refusals"

by alice check "$R" roll/deploy
expect_rc 0 "the step"
run "$CS" status "$R"
expect_in out '(section "roll"); 1h59m' "the window started with the section's first check"
by alice check "$R" roll/soak
expect_rc 1 "starting the wait"
expect_in out "passes at 20" "check says when it passes (full time)"
expect_in out "(in 1h)" "and in how long"
run "$CS" status "$R"
expect_in out "passes at 20" "status says when it passes"
expect_in out "(in " "and in how long"
by alice check "$R" roll/verify
expect_rc 1 "the item after a running wait"
expect_in err "which has not passed yet" "the refusal says the wait has not passed"

by alice check "$R" roll/deploy --cancel
expect_rc 1 "only a wait is cancelled this way"
by alice check "$R" roll/soak --cancel
expect_rc 0 "cancelling the started wait"
expect_in out "cancelled: roll/soak" "check --cancel says so"
expect_eq "$(verdict roll/soak)" cancelled "the wait is recorded as cancelled"
by alice check "$R" roll/soak --cancel
expect_rc 1 "a wait that is not running cannot be cancelled"
by alice check "$R" roll/soak
expect_rc 1 "the cancelled wait starts afresh"
expect_eq "$(verdict roll/soak)" running "the wait runs again"

by alice check "$R" quick/pause
expect_rc 1 "a wait that follows nothing starts at once"
by alice check "$R" quick/after
expect_rc 1 "the item after it is locked meanwhile"
if wait_until '[ "$(verdict quick/pause)" = pass ]' 10; then ok; else fail "the short wait passes"; fi
by alice check "$R" quick/after
expect_rc 0 "the item after it runs once it passed"

# --- attest_value: an attestation that records the value read ----------------
before=$(events)
by alice attest "$R" quick/read-rate
expect_rc 2 "attesting an item that asks for a value, without one"
expect_in err "asks for the value read (error rate read from Grafana (%)): add --value TEXT" "the refusal says what to read"
expect_eq "$(events)" "$before" "nothing recorded without the value"
by alice attest "$R" quick/read-rate --value "   "
expect_rc 2 "a value of blanks is no value"
by alice attest "$R" quick/read-rate --value "0.21%" --yes
expect_rc 0 "attesting with the value"
run "$CS" status "$R"
expect_in out "value: 0.21%" "status shows the value"
expect_eq "$(db_sql "$DB" "select $(sql_json payload value) from events where kind = 'attested'")" "0.21%" \
	"the record holds the value"

run "$CS" verify
expect_rc 0 "the record verifies"
finish
