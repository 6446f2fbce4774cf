#!/bin/sh
# Gates through the real binary: locks, sign-offs and rejections, stale
# signatures, waivers, attestations, overrides, always-open sections,
# alternatives, and two engineers signing at the same moment.
. "$(dirname "$0")/lib.sh"

DB=$(db_new cs)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
PY=$(command -v /usr/bin/python3 || command -v python3)
mkdir fx && cp "$SRC"/tests/cli/fixtures/*.json fx/

# by WHO COMMAND ARGS...: runs countersign COMMAND ARGS as engineer WHO, with
# WHO's PIN (pin-WHO-1) on standard input.
by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin"
}

add_engineer() {
	printf 'pin-%s-1\n' "$1" | "$CS" engineer add "$1" --full-name "$1 Example" --pin-stdin >/dev/null
}

events() {
	db_sql "$DB" "select count(*) from events"
}

# js RUN EXPR: evaluates the Python expression EXPR on `status RUN --json`
# (d: the document; sec(ID), item("SECTION/ITEM"): its parts) and prints it
# as JSON (strings bare).
js() {
	"$CS" status "$1" --json >"$T/status.json" || return 1
	"$PY" - "$T/status.json" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
def sec(i): return next(s for s in d["sections"] if s["id"] == i)
def item(p):
    s, i = p.split("/")
    return next(x for x in sec(s)["items"] if x["id"] == i)
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

# expect_js RUN EXPR WANT DESC
expect_js() {
	got=$(js "$1" "$2")
	if [ "$got" = "$3" ]; then ok; else fail "$4: $2 is '$got', want '$3'"; fi
}

# expect_status RUN FIXED-STRING DESC: the text status of RUN has the string.
expect_status() {
	run "$CS" status "$1"
	expect_in out "$2" "$3"
}

for e in alice bob carol; do add_engineer "$e"; done

# --- a locked section refuses everything, and records nothing -----------------
by alice start fx/gates.json
R=$(cat "$T/out")
before=$(events)
by alice check "$R" deploy/step
expect_rc 1 "check in a locked section"
expect_in err 'section "deploy" is locked: "prep" (Preparation) has not passed its gate' \
	"check refusal names the blocking gate"
by alice attest "$R" deploy/approval
expect_rc 1 "attest in a locked section"
expect_in err '"prep" (Preparation) has not passed its gate' "attest refusal names the blocking gate"
by alice sign "$R" deploy
expect_rc 1 "sign in a locked section"
expect_in err '"prep" (Preparation) has not passed its gate' "sign refusal names the blocking gate"
by alice sign "$R" deploy --reject --comment "no"
expect_rc 1 "reject in a locked section"
by alice sign "$R" post
expect_rc 1 "sign two sections ahead"
expect_in err '"prep"' "the first closed gate is named"
expect_eq "$(events)" "$before" "no event for refusals in a locked section"

# --- always open sections work while every gate is closed --------------------
by alice check "$R" rollback/undo
expect_rc 0 "check in an always-open section while the first gate is closed"
by alice attest "$R" rollback/announce
expect_rc 0 "attest in an always-open section"
by alice sign "$R" rollback
expect_rc 1 "an ungated section takes no signature"
expect_js "$R" 'sec("rollback")["state"]' "open" "the always-open section is never locked"

# --- signing before the items pass --------------------------------------------
before=$(events)
by alice sign "$R" prep
expect_rc 1 "sign before the required items pass"
expect_in err "cannot approve \"prep\" yet: prep/build is pending" "refusal names the first item not passed"
expect_eq "$(events)" "$before" "no event for a refused signature"

# --- waivers and attestations -------------------------------------------------
by alice check "$R" prep/build
expect_rc 0 "check prep/build"
touch fx/flag-fail fx/strict-fail
by alice check "$R" prep/flag
expect_rc 1 "a failing waivable item"
by alice check "$R" prep/strict
expect_rc 1 "a failing item"
by alice waive "$R" prep/flag
expect_rc 2 "waive without a reason"
before=$(events)
by alice waive "$R" prep/strict --reason "known issue"
expect_rc 1 "waive of a non-waivable item"
expect_in err "not waivable" "non-waivable message"
expect_eq "$(events)" "$before" "no event for a refused waiver"
by alice waive "$R" prep/flag --reason "flag is a known false alarm"
expect_rc 0 "waive of a failed waivable item"
expect_js "$R" 'item("prep/flag")["verdict"]' "waived" "the item is waived"
if [ "$ENGINE" = sqlite ]; then
	utc="strftime('%Y-%m-%d %H:%M:%S UTC', time_us / 1000000, 'unixepoch')"
else
	utc="to_char(to_timestamp(time_us / 1000000) at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"')"
fi
waived_at=$(db_sql "$DB" "select $utc from events where kind = 'waived' and target = 'prep/flag'")
expect_js "$R" 'item("prep/flag")["time"]' "$waived_at" "status dates a waiver by the waiver, not by the check"
by alice waive "$R" prep/build --reason "x"
expect_rc 1 "waive of a passing item"
rm fx/flag-fail fx/strict-fail
by alice check "$R" prep/strict
expect_rc 0 "the item passes once fixed"
by alice check "$R" prep/review
expect_rc 1 "check of a manual item"
expect_in err "attest it instead" "manual item message"
by alice attest "$R" prep/review --fail --note "two approvals missing"
expect_rc 0 "attest --fail"
expect_in out "fail" "attest --fail says fail"
expect_js "$R" 'item("prep/review")["verdict"]' "fail" "attest --fail records fail"
by alice sign "$R" prep
expect_rc 1 "sign while a manual item failed"
expect_in err "prep/review is fail" "refusal names the failed item"
by alice attest "$R" prep/review --note "approved by two"
expect_rc 0 "attest"
expect_js "$R" 'item("prep/review")["verdict"]' "pass" "attest records pass"
by alice attest "$R" prep/build
expect_rc 1 "attest of a command item"

# --- sign-offs ----------------------------------------------------------------
by bob sign "$R" prep --reject
expect_rc 2 "reject without a comment"
by alice sign "$R" prep
expect_rc 0 "first signature"
expect_in out "sign-offs 1/2" "first signature counts"
before=$(events)
by alice sign "$R" prep
expect_rc 1 "the same engineer signing twice"
expect_in err "alice has already approved" "second signature message"
expect_eq "$(events)" "$before" "no event for the second signature"
expect_status "$R" "items 4/4 · sign-offs 1/2" "status counts one engineer once"
expect_js "$R" 'sec("prep")["signoffs"]' 1 "status --json counts one engineer once"
expect_js "$R" 'sec("prep")["gate_passed"]' false "one signature does not pass the gate"

by bob sign "$R" prep --reject --comment "logs are missing"
expect_rc 0 "rejection"
by carol sign "$R" prep
expect_rc 0 "a second approval while a rejection stands"
expect_js "$R" 'sec("prep")["signoffs"]' 2 "two approvals"
expect_js "$R" 'sec("prep")["rejected"]' true "the rejection stands"
expect_js "$R" 'sec("prep")["gate_passed"]' false "a rejection keeps the gate closed"
expect_status "$R" "REJECTED" "status shows the rejection"
by alice check "$R" deploy/step
expect_rc 1 "next section stays locked while rejected"

# A new verdict makes every earlier signature stale, the rejection too.
by alice check "$R" prep/build
expect_rc 0 "re-run after the rejection"
expect_js "$R" '[s["stale"] for s in sec("prep")["signatures"]]' '[true, true, true]' \
	"every earlier signature is stale"
expect_js "$R" 'sec("prep")["rejected"]' false "the stale rejection no longer counts"
expect_js "$R" 'sec("prep")["signoffs"]' 0 "stale approvals no longer count"
expect_status "$R" "[stale]" "status marks stale signatures"
by alice sign "$R" prep
expect_rc 0 "alice signs the new evidence"
by alice check "$R" deploy/step
expect_rc 1 "one signature on the new evidence is not enough"
by bob sign "$R" prep
expect_rc 0 "bob signs the new evidence"
expect_in out "gate passed" "the second distinct engineer opens the gate"
expect_js "$R" 'sec("prep")["state"]' "passed" "prep passed"
expect_js "$R" 'sec("deploy")["locked"]' false "deploy unlocked"
by alice check "$R" deploy/step
expect_rc 0 "check in the unlocked section"
by alice note "$R" prep "signed off after review"
expect_js "$R" 'sec("prep")["gate_passed"]' true "a note or a check in another section leaves the signatures current"

# --- re-running after sign-off: a re-check keeps the gate, a failure reopens it --
before=$(events)
by carol check "$R" prep/build
expect_rc 1 "a re-check after the gate passed asks first (no terminal: --yes)"
expect_in err "has passed its gate (approved by alice, bob)" "the question says who signed"
expect_in err "if it fails, the gate reopens" "the question says what will happen"
expect_eq "$(events)" "$before" "nothing recorded without --yes"
by carol check "$R" prep/build --yes
expect_rc 0 "re-check after the gate passed"
expect_js "$R" 'sec("prep")["gate_passed"]' true "a re-check with the same verdict keeps the gate"
expect_js "$R" '[s["stale"] for s in sec("prep")["signatures"] if s["engineer"] in ("alice", "bob")][-2:]' \
	'[false, false]' "the signatures stay current"
expect_js "$R" 'item("prep/build")["rechecks"]' 1 "status --json counts the re-check"
expect_status "$R" "re-checked after sign-off by carol" "status shows the re-check"
touch fx/strict-fail
by carol check "$R" prep/strict --yes
expect_rc 1 "a re-check that fails"
rm -f fx/strict-fail
expect_js "$R" 'sec("prep")["gate_passed"]' false "a failed re-check reopens the gate"
expect_js "$R" 'sec("prep")["reopened"]' true "status --json says it reopened"
expect_js "$R" '[s["stale"] for s in sec("prep")["signatures"] if s["engineer"] in ("alice", "bob") and not s["stale"]]' \
	'[]' "the signatures that opened the gate are stale"
expect_js "$R" 'sec("deploy")["state"]' "open" "deploy, already under way, is not locked again"
expect_js "$R" 'sec("deploy")["reopened_before"]' "prep" "deploy names the gate that reopened"
expect_js "$R" 'sec("post")["state"]' "locked" "post, not begun, is locked again"
expect_status "$R" "[stale]" "status shows [stale]"
expect_status "$R" "gate reopened" "status shows the reopened gate"
before=$(events)
by alice check "$R" post/smoke
expect_rc 1 "a check in a section locked again"
expect_in err '"prep" (Preparation) has not passed its gate' "the refusal names the reopened gate"
expect_eq "$(events)" "$before" "no event written"
by carol check "$R" prep/strict
expect_rc 0 "mending the failed item is ordinary work (no question)"
by alice sign "$R" prep
by carol sign "$R" prep
expect_rc 0 "two engineers sign again"
expect_js "$R" 'sec("prep")["gate_passed"]' true "the gate opens again"
by alice attest "$R" deploy/approval
expect_rc 0 "attest in deploy"
before=$(events)
by carol attest "$R" prep/review --fail --note "second thoughts"
expect_rc 1 "attesting again after the gate passed asks first (no terminal: --yes)"
expect_in err "has passed its gate" "the question says the gate passed"
expect_eq "$(events)" "$before" "nothing recorded without --yes"
run "$CS" verify "$R"
expect_rc 0 "the run verifies"

# --- override -----------------------------------------------------------------
by alice start fx/gates.json
R2=$(cat "$T/out")
override() {
	printf 'pin-alice-1\npin-bob-1\n' >"$T/pin"
	run "$CS" override "$R2" "$@" --pin-stdin <"$T/pin"
}
before=$(events)
override prep --engineer alice --reason "outage" --incident INC-42
expect_rc 2 "override with one engineer"
expect_in err "two distinct engineers" "one engineer message"
override prep --engineer alice --engineer alice --reason "outage" --incident INC-42
expect_rc 2 "override by the same engineer twice"
override prep --engineer alice --engineer bob --incident INC-42
expect_rc 2 "override without a reason"
override prep --engineer alice --engineer bob --reason "outage"
expect_rc 2 "override without an incident"
override prep --engineer alice --engineer bob --reason "" --incident INC-42
expect_rc 2 "override with an empty reason"
override rollback --engineer alice --engineer bob --reason "outage" --incident INC-42
expect_rc 1 "override of an always-open section"
printf 'pin-alice-1\nwrong-pin\n' >"$T/pin"
run "$CS" override "$R2" prep --engineer alice --engineer bob --reason "outage" --incident INC-42 --pin-stdin <"$T/pin"
expect_rc 2 "override with the second PIN wrong"
expect_eq "$(db_sql "$DB" "select count(*) from events where chain = '$R2'")" \
	"$(db_sql "$DB" "select count(*) from events where chain = '$R2' and kind = 'run_started'")" \
	"no override recorded when refused"
override prep --engineer alice --engineer bob --reason "payments down" --incident INC-42
expect_rc 0 "override"
expect_in out "FORCED" "override says FORCED"
expect_status "$R2" "[FORCED] prep" "status shows the section FORCED"
expect_status "$R2" "INC-42" "status shows the incident"
expect_js "$R2" 'sec("prep")["forced"]' true "status --json forced"
expect_js "$R2" 'sec("prep")["state"]' "FORCED" "status --json state FORCED"
expect_js "$R2" 'sec("prep")["override"]["incident"]' "INC-42" "status --json has the incident"
expect_js "$R2" 'sec("deploy")["locked"]' false "the next section unlocks"
by alice check "$R2" deploy/step
expect_rc 0 "check in the section after the forced gate"
override prep --engineer alice --engineer bob --reason "again" --incident INC-43
expect_rc 1 "override of a section already passed"

# --- alternatives ---------------------------------------------------------------
by alice start fx/choice.json
R3=$(cat "$T/out")
by alice check "$R3" prep/ready
expect_rc 0 "pass the section before the group"
expect_js "$R3" 'sec("blue-green")["state"]' "choose" "the group waits for a choice"
expect_js "$R3" 'sec("canary")["state"]' "choose" "every member waits for a choice"
expect_js "$R3" 'sec("post")["state"]' "locked" "later sections are locked until a choice"
before=$(events)
by alice check "$R3" blue-green/switch
expect_rc 1 "check in a member before the choice"
expect_in err "choose" "refusal says to choose"
by alice check "$R3" post/smoke
expect_rc 1 "check after the group before the choice"
expect_in err "strategy" "refusal names the group"
by alice check "$R3" rollback/undo
expect_rc 0 "the always-open section works before the choice"
before=$(events)
by alice choose "$R3" post
expect_rc 1 "choose a section outside any group"
by alice choose "$R3" canary
expect_rc 0 "choose"
expect_js "$R3" 'sec("blue-green")["state"]' "not chosen" "the other member is not chosen"
expect_js "$R3" 'sec("blue-green")["chosen"]' false "chosen is false for the other member"
expect_js "$R3" 'sec("canary")["chosen"]' true "chosen is true for the choice"
before=$(events)
by bob choose "$R3" blue-green
expect_rc 1 "a second choice"
expect_in err "already chosen" "second choice message"
by bob choose "$R3" canary
expect_rc 1 "choosing the same member again"
by alice check "$R3" blue-green/switch
expect_rc 1 "check in the member not chosen"
expect_in err "not chosen" "not chosen message"
expect_eq "$(events)" "$before" "no event for refusals in the group"
by alice check "$R3" canary/shift
expect_rc 0 "check in the chosen member"
expect_js "$R3" 'sec("canary")["state"]' "passed" "the chosen member passes its gate"
expect_js "$R3" 'sec("post")["locked"]' false "the member not chosen does not block"
by alice check "$R3" post/smoke
expect_rc 0 "check after the group"
expect_status "$R3" "[not chosen] blue-green" "status shows not chosen"

# Two engineers choosing different alternatives at the same moment: one wins.
by alice start fx/choice.json
R5=$(cat "$T/out")
by alice check "$R5" prep/ready
printf 'pin-alice-1\n' >"$T/pin-a"
printf 'pin-bob-1\n' >"$T/pin-b"
"$CS" choose "$R5" blue-green --engineer alice --pin-stdin <"$T/pin-a" >"$T/choose-a" 2>&1 &
pa=$!
"$CS" choose "$R5" canary --engineer bob --pin-stdin <"$T/pin-b" >"$T/choose-b" 2>&1 &
pb=$!
wait $pa
ra=$?
wait $pb
rb=$?
expect_eq "$(db_sql "$DB" "select count(*) from events where chain = '$R5' and kind = 'chosen'")" 1 \
	"two choices at the same moment record one (exits $ra and $rb: $(cat "$T/choose-a" "$T/choose-b"))"
expect_eq "$((ra + rb))" 1 "one of two simultaneous choices is refused"

# The last gate completes the run; nothing more is recorded in it.
by alice sign "$R3" post
by bob sign "$R3" post
expect_rc 0 "the last signature"
expect_in out "completed" "the last gate completes the run"
expect_js "$R3" 'd["state"]' completed "status --json shows the run completed"
run "$CS" runs
expect_not_in out "$R3" "runs leaves out the completed run"
run "$CS" runs --all
expect_in out "$R3" "runs --all lists the completed run"
before=$(events)
by alice check "$R3" rollback/undo
expect_rc 1 "check in a completed run"
expect_in err "completed" "the refusal says the run is completed"
by alice note "$R3" "late"
expect_rc 1 "note in a completed run"
expect_eq "$(events)" "$before" "nothing recorded in a completed run"

# --- two engineers signing at the same moment ---------------------------------
by alice start fx/gates.json
R4=$(cat "$T/out")
for i in build flag strict; do by alice check "$R4" "prep/$i"; done
by alice attest "$R4" prep/review
printf 'pin-alice-1\n' >"$T/pin-a"
printf 'pin-bob-1\n' >"$T/pin-b"
for section in prep deploy; do
	if [ "$section" = deploy ]; then
		by alice check "$R4" deploy/step
		by alice attest "$R4" deploy/approval
	fi
	"$CS" sign "$R4" "$section" --engineer alice --pin-stdin <"$T/pin-a" >"$T/sign-a" 2>&1 &
	pa=$!
	"$CS" sign "$R4" "$section" --engineer bob --pin-stdin <"$T/pin-b" >"$T/sign-b" 2>&1 &
	pb=$!
	wait $pa
	ra=$?
	wait $pb
	rb=$?
	rc=$ra
	expect_rc 0 "alice signs $section at the same moment as bob: $(cat "$T/sign-a")"
	rc=$rb
	expect_rc 0 "bob signs $section at the same moment as alice: $(cat "$T/sign-b")"
	expect_js "$R4" "sec(\"$section\")[\"signoffs\"]" 2 "both signatures of $section landed"
	expect_js "$R4" "sec(\"$section\")[\"gate_passed\"]" true "the gate of $section passed"
done
expect_eq "$(db_sql "$DB" "select count(*) from events where chain = '$R4' and kind = 'signed'")" 4 \
	"four signatures recorded"
run "$CS" verify
expect_rc 0 "the chains verify after concurrent signing"

finish
