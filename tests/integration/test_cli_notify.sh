#!/bin/sh
# Webhook notifications of the headless commands, against testserver.py's
# receiver: notify-checklist.json has a Slack webhook and a JSON webhook that
# listen to different events, and a third whose receiver answers 500 (to
# run_started and check_passed). After each of start, check (pass and fail),
# sign, override, note and abort, the receiver must have got exactly the
# messages of the listed events, naming the run and the section or item. The
# webhook paths (they may carry a token) never appear in the database or in
# what the commands print; a failed delivery is recorded as a notify_failed
# event with the URL redacted, without failing the command; a run that
# completes sends its checkpoint to a webhook listening to "checkpoint";
# `verify` passes at the end.
#
#   with_servers.sh -- sh test_cli_notify.sh COUNTERSIGN_BINARY
set -u
CS=${1:?usage: test_cli_notify.sh COUNTERSIGN_BINARY (run through with_servers.sh)}
here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-/usr/bin/python3}
: "${TEST_HTTP_URL:?run through with_servers.sh}"

T=$(mktemp -d "${TMPDIR:-/tmp}/countersign-notify.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

for v in $(env | sed -n 's/^\(COUNTERSIGN_[A-Z_]*\)=.*/\1/p'); do
	unset "$v"
done
export COUNTERSIGN_DB="$T/cs.db" COUNTERSIGN_TEST_PIN_COST=min LANG=C.UTF-8 HOME="$T"
DB=$T/cs.db
printf '123456\n' >"$T/pin.alice"
printf '654321\n' >"$T/pin.bob"
printf '123456\n654321\n' >"$T/pin.both"
# The secret parts of the webhook URLs.
export HOOK_SLACK="$TEST_HTTP_URL/hook/ok/T0KEN-slack-4c1d?key=Q5ECRET-slack"
export HOOK_JSON="$TEST_HTTP_URL/hook/ok/T0KEN-json-8b2a"
export HOOK_BROKEN="$TEST_HTTP_URL/hook/fail/T0KEN-broken-77e0"
CHECKLIST=$here/notify-checklist.json
: >"$T/cli.log"

passed=0
failed=0
ok() {
	passed=$((passed + 1))
	[ "${CS_TEST_VERBOSE:-0}" = 0 ] || printf 'ok   %s\n' "$1"
}
bad() {
	failed=$((failed + 1))
	printf 'FAIL %s\n' "$1"
	[ $# -lt 2 ] || printf '%s\n' "$2" | head -c 3000 | sed 's/^/  /'
}
expect() {
	d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

# cs WHO|both COMMAND ARG...: the command with WHO's PIN(s) on stdin; output
# in $T/out and $T/err (and kept in $T/cli.log), exit status in $rc.
cs() {
	pins=$1
	shift
	if [ "$pins" = both ]; then
		"$CS" "$@" --engineer alice --engineer bob --pin-stdin <"$T/pin.both" >"$T/out" 2>"$T/err"
	else
		"$CS" "$@" --engineer "$pins" --pin-stdin <"$T/pin.$pins" >"$T/out" 2>"$T/err"
	fi
	rc=$?
	cat "$T/out" "$T/err" >>"$T/cli.log"
}
expect_rc() {
	if [ "$rc" -eq "$1" ]; then ok "$2"; else bad "$2: exit $rc, expected $1" "$(cat "$T/out" "$T/err")"; fi
}

# The receiver's deliveries, one a line: "slack TEXT", "json EVENT TARGET
# TEXT" or "broken TEXT". Those already seen by the previous call are left
# out, so each step is judged by what it alone delivered.
seen=0
new_deliveries() {
	"$PY" - "$TEST_HTTP_URL/deliveries" "$seen" >"$T/new" <<'EOF'
import json, os, sys, urllib.request
RUN = os.environ.get("RUN")
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
all = json.load(opener.open(sys.argv[1], timeout=5))
print(len(all))
for d in all[int(sys.argv[2]):]:
    body = json.loads(d["body"])
    if d["path"] == "/hook/ok/T0KEN-slack-4c1d":
        print("slack", body["text"])
    elif d["path"] == "/hook/ok/T0KEN-json-8b2a":
        det = body["details"]
        ok = body["source"] == "countersign" and det["run"] == RUN and body["time"].endswith("Z")
        print("json", body["event"], det["target"] or "-", body["text"], "" if ok else "(bad fields)")
    elif d["path"] == "/hook/fail/T0KEN-broken-77e0":
        print("broken", body["text"])
    else:
        print("elsewhere", d["path"], d["body"])
EOF
	seen=$(head -n 1 "$T/new")
	sed -i 1d "$T/new"
}
# delivered DESC EXPECTED-LINES: the step delivered exactly these (in any order).
delivered() {
	new_deliveries
	printf '%s\n' "$2" | sed '/^$/d' | sort >"$T/want"
	# latencies vary: "status 200 in 3 ms" reads "status 200 in NNms"
	sed -E 's/ *$//; s/ in [0-9]+ ms/ in NNms/g' "$T/new" | sort >"$T/got"
	if cmp -s "$T/want" "$T/got"; then ok "$1"; else
		bad "$1" "wanted:
$(cat "$T/want")
got:
$(cat "$T/got")"
	fi
}

"$CS" engineer add alice --full-name "Alice Example" --pin-stdin <"$T/pin.alice" >>"$T/cli.log" 2>&1 &&
	"$CS" engineer add bob --full-name "Bob Example" --pin-stdin <"$T/pin.bob" >>"$T/cli.log" 2>&1
expect "two engineers registered" test $? -eq 0

# start: run_started to the JSON webhook, and to the broken one, which answers
# 500 three times (2 s and 4 s apart): reported, recorded, not fatal.
cs alice start "$CHECKLIST" --var "BASE=$TEST_HTTP_URL" --title "Notify walk 1"
expect_rc 0 "start succeeds although a receiver answers 500"
RUN=$(cat "$T/out")
P="countersign · Notify walk · run $RUN:"
expect "start reports the failed delivery, URL redacted" grep -qF \
	"notification of run_started to $TEST_HTTP_URL/*** failed: status 500 from the receiver (3 attempts)" "$T/err"
export RUN # for new_deliveries
delivered "start: run_started to json; three attempts to the broken receiver" "json run_started - $P alice started the run
broken $P alice started the run
broken $P alice started the run
broken $P alice started the run"

sqlite3 "$DB" "SELECT payload FROM events WHERE chain = '$RUN' AND kind = 'notify_failed'" >"$T/failed"
expect "a notify_failed event" test "$(wc -l <"$T/failed")" -eq 1
expect "notify_failed names the event, the redacted URL, the attempts and the status" "$PY" - "$T/failed" "$TEST_HTTP_URL/***" <<'EOF'
import json, sys
e = json.loads(open(sys.argv[1]).read())
sys.exit(not (e["event"] == "run_started" and e["url"] == sys.argv[2] and e["attempts"] == 3
              and e["status"] == 500 and "status 500" in e["error"]))
EOF

# check, passing: check_passed to json, and to the broken receiver, whose
# failure leaves the verdict's exit status alone.
cs alice check "$RUN" verify/health
expect_rc 0 "check verify/health passes although a receiver answers 500"
delivered "check (pass): check_passed to json and the broken receiver" "json check_passed verify/health $P verify/health: pass (status 200 in NNms, 1 JSON value as expected)
broken $P verify/health: pass (status 200 in NNms, 1 JSON value as expected)
broken $P verify/health: pass (status 200 in NNms, 1 JSON value as expected)
broken $P verify/health: pass (status 200 in NNms, 1 JSON value as expected)"
expect "a second notify_failed event, for check_passed" test "$(sqlite3 "$DB" \
	"SELECT count(*) FROM events WHERE chain = '$RUN' AND kind = 'notify_failed' AND payload LIKE '%\"check_passed\"%'")" -eq 1

# check, failing: check_failed to slack only.
cs alice check "$RUN" verify/unavailable
expect_rc 1 "check verify/unavailable fails"
expect "the failure says why" grep -qF "fail: verify/unavailable: status 503, expected 2xx" "$T/out"
delivered "check (fail): check_failed to slack only" "slack $P verify/unavailable: fail (status 503, expected 2xx)"

# sign: signoff to slack, and the gate it passes to json.
cs alice sign "$RUN" verify
expect_rc 0 "sign verify"
delivered "sign: signoff to slack, gate_passed to json" "slack $P alice approved verify
json gate_passed verify $P gate of verify passed"

# a re-check after sign-off that fails: check_failed to slack, gate_reopened to json.
cs alice check "$RUN" verify/unavailable --yes
expect_rc 1 "a failing re-check of verify/unavailable after sign-off"
delivered "re-check (fail): check_failed to slack, gate_reopened to json" "slack $P verify/unavailable: fail (status 503, expected 2xx)
json gate_reopened verify $P gate of verify reopened: a re-check after sign-off failed; its signatures are stale"
cs alice sign "$RUN" verify
expect_rc 0 "sign verify again"
delivered "sign again: signoff to slack, gate_passed to json" "slack $P alice approved verify
json gate_passed verify $P gate of verify passed"

# override: to slack only (a forced gate is not a gate_passed).
cs both override "$RUN" deploy --reason "rollout done by hand" --incident INC-7
expect_rc 0 "override deploy"
delivered "override: to slack only" "slack $P FORCED deploy by alice and bob: rollout done by hand (incident INC-7)"

# note: listed nowhere.
cs alice note "$RUN" after "dashboards look calm"
expect_rc 0 "note"
delivered "note: no message" ""

# abort: to both.
cs alice abort "$RUN" --reason "end of the notify walk"
expect_rc 0 "abort"
delivered "abort: run_aborted to slack and json" "slack $P aborted by alice: end of the notify walk
json run_aborted - $P aborted by alice: end of the notify walk"

# A run that completes sends its checkpoint to a webhook listening to
# "checkpoint": in the text and in details.checkpoint, which verify
# --checkpoint accepts.
cat >"$T/cp.json" <<'JSON'
{"countersign": 1, "id": "notify-checkpoint", "title": "Notify checkpoint",
 "notify": [{"url": "${HOOK_JSON}", "format": "json", "on": ["checkpoint"]}],
 "sections": [{"id": "only", "title": "Only", "signoffs": 1,
               "items": [{"id": "done", "title": "Done", "kind": "manual"}]}]}
JSON
cs alice start "$T/cp.json" --title "Notify checkpoint"
expect_rc 0 "start a run whose checklist sends checkpoints"
RUN2=$(cat "$T/out")
cs alice attest "$RUN2" only/done
cs alice sign "$RUN2" only
expect_rc 0 "the signature that completes it"
new_deliveries
# (the checkpoint's text spans lines: count the lines that start a delivery)
expect "one delivery, the checkpoint, to the json webhook" test \
	"$(grep -E '^(slack|json|broken|elsewhere) ' "$T/new" | cut -d' ' -f1-2)" = "json checkpoint"
"$PY" - "$TEST_HTTP_URL/deliveries" "$RUN2" "$T/cp.txt" <<'EOF'
import json, sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
got = [json.loads(d["body"]) for d in json.load(opener.open(sys.argv[1], timeout=5))]
cps = [b for b in got if b.get("event") == "checkpoint"]
assert len(cps) == 1, cps
cp, det = cps[0]["details"]["checkpoint"], cps[0]["details"]
assert cp.startswith("countersign checkpoint v1\n") and "\nrun %s " % sys.argv[2] in cp, cp
assert det["run"] == sys.argv[2] and cp in cps[0]["text"], cps[0]
open(sys.argv[3], "w").write(cp)
EOF
expect "the checkpoint is in details.checkpoint and in the text, naming the run" test $? -eq 0
"$CS" verify --checkpoint "$T/cp.txt" >"$T/out" 2>&1
expect "verify --checkpoint accepts the checkpoint the webhook got" grep -q "^ok: " "$T/out"

# Never shown, never stored: the webhook paths and the query.
for secret in T0KEN-slack T0KEN-json T0KEN-broken Q5ECRET; do
	expect "$secret is not in what the commands printed" sh -c "! grep -qF '$secret' '$T/cli.log'"
	expect "$secret is not in the database" sh -c "! sqlite3 '$DB' .dump | grep -qF '$secret'"
done

"$CS" verify "$RUN" >"$T/out" 2>&1
expect "verify passes" grep -q "^ok: " "$T/out"
"$CS" status "$RUN" --json >"$T/status" 2>&1
expect "status --json: aborted, verify signed, deploy forced" "$PY" - "$T/status" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["id"]: x for x in d["sections"]}
sys.exit(not (d["state"] == "aborted" and s["verify"]["gate_passed"] and not s["verify"]["forced"]
              and s["deploy"]["forced"]))
EOF

# Under -Db_sanitize a report may hide behind an expected exit status 1.
expect "no sanitizer report from any command" sh -c "! grep -E 'Sanitizer|runtime error:' '$T/cli.log'"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
