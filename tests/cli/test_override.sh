#!/bin/sh
# Break glass with the second engineer at another terminal: one engineer asks
# for the override (reason, incident, their PIN); it is pending, shown by
# status, and takes effect only when a different engineer confirms it with
# their own PIN; two confirmations at once record one override.
. "$(dirname "$0")/lib.sh"

DB=$(db_new cs)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
PY=/usr/bin/python3
mkdir fx && cp "$SRC"/tests/cli/fixtures/gates.json fx/
rc=0

by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin-$who"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin-$who"
}
events() {
	db_sql "$DB" "select count(*) from events"
}
section() {
	"$CS" status "$R" --json | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
s = next(s for s in d["sections"] if s["id"] == sys.argv[1])
print(eval(sys.argv[2]))' "$1" "$2"
}

for e in alice bob carol; do
	printf 'pin-%s-1\n' "$e" | "$CS" engineer add "$e" --full-name "$e example" --pin-stdin >/dev/null
done
by alice start fx/gates.json
R=$(cat "$T/out")

before=$(events)
by alice override "$R" deploy --request --reason "prep blocked by a broken CI" --incident INC-9
expect_rc 0 "one engineer asks for an override"
expect_in out "pending: override of deploy asked by alice" "the request says it is pending"
expect_in out "override $R deploy --confirm" "and how the second engineer confirms"
expect_eq "$(section deploy 's["state"]')" locked "nothing is forced by the request alone"
expect_eq "$(section deploy 's["override_asked"]["by"]')" alice "status --json shows the request"
run "$CS" status "$R"
expect_in out "OVERRIDE ASKED by alice: prep blocked by a broken CI (incident INC-9)" "status shows the request"

by bob override "$R" deploy --request --reason "another reason" --incident INC-10
expect_rc 1 "a second request does not replace a pending one"
expect_in err "asked by alice (incident INC-9) already waits for confirmation" "the refusal names the pending request"
by alice override "$R" deploy --confirm
expect_rc 1 "the engineer who asked cannot confirm"
expect_in err "alice asked for this override; a second engineer must confirm it" "the refusal says why"
by bob override "$R" deploy --confirm --reason other
expect_rc 2 "a confirmation takes the request's reason"
by bob override "$R" post --confirm
expect_rc 1 "nothing to confirm in another section"
expect_in err 'no override of "post" waits for confirmation' "the refusal says there is no request"

# bob and carol confirm at the same moment: one override is recorded.
printf 'pin-bob-1\n' >"$T/pin-bob"
printf 'pin-carol-1\n' >"$T/pin-carol"
"$CS" override "$R" deploy --confirm --engineer bob --pin-stdin <"$T/pin-bob" >"$T/o1" 2>"$T/e1" &
p1=$!
"$CS" override "$R" deploy --confirm --engineer carol --pin-stdin <"$T/pin-carol" >"$T/o2" 2>"$T/e2" &
p2=$!
wait $p1
r1=$?
wait $p2
r2=$?
expect_eq "$(printf '%s\n' "$r1" "$r2" | sort | tr '\n' ' ')" "0 1 " "one confirmation lands, the other is refused"
expect_eq "$(db_sql "$DB" "select count(*) from events where kind = 'override'")" 1 "one override event"
expect_eq "$(section deploy 's["state"]')" FORCED "the section is FORCED"
who=$(db_sql "$DB" "select actor from events where kind = 'override'")
expect_eq "$(section deploy 's["override"]["by"]')" "alice, $who" "the override names both engineers"
expect_eq "$(section deploy '"override_asked" in s')" False "no request is pending any more"

run "$CS" verify
expect_rc 0 "the record verifies"
finish
