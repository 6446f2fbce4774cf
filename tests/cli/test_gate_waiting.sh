#!/bin/sh
# Gates that do not wait forever: a section with signoff_within "1s" whose
# items are done and whose gate is not signed gets a gate_waiting notice.
# `watch --once` sends what is due (tried in a wait-until loop, never a
# fixed sleep); two of them at the same moment record and deliver notice 1
# exactly once, to the test webhook receiver on 127.0.0.1; the notice is a
# "system" event in the record and verify passes. A gate signed in time
# sends nothing. `watch` without --once keeps sending later notices and ends
# with status 0 when the run ends or on SIGTERM.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
DB=$(db_new cs)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"

# the webhook receiver of the notify tests
"$PY" "$SRC/tests/integration/testserver.py" serve "$T/port" >"$T/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; rm -rf "$T"' EXIT
wait_until 'test -s "$T/port"' 20 || { echo "the test receiver did not start" >&2; exit 1; }
URL="http://127.0.0.1:$(cat "$T/port")"
export HOOK="$URL/hook/ok/gate-waiting"

cat >"$T/gw.json" <<'JSON'
{
  "countersign": 1,
  "id": "gate-waiting",
  "title": "Gate waiting",
  "notify": [{"url": "${HOOK}", "format": "json", "on": ["gate_waiting"]}],
  "sections": [
    {"id": "gate", "title": "Gate", "signoffs": 1, "signoff_within": "1s",
     "items": [{"id": "done", "title": "Done", "kind": "manual"}]},
    {"id": "later", "title": "Later", "signoffs": 1,
     "items": [{"id": "more", "title": "More", "kind": "manual"}]}
  ]
}
JSON
run "$CS" lint "$T/gw.json"
expect_rc 0 "a checklist with signoff_within lints"

printf 'pin-alice-1\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
as_alice() {
	printf 'pin-alice-1\n' | "$CS" "$@" --engineer alice --pin-stdin
}

# deliveries RUN: one line "EVENT TARGET NOTICE" per delivery about RUN
deliveries() {
	"$PY" - "$URL/deliveries" "$1" <<'EOF'
import json, sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
for d in json.load(opener.open(sys.argv[1], timeout=5)):
    body = json.loads(d["body"])
    det = body.get("details", {})
    if det.get("run") == sys.argv[2]:
        print(body["event"], det.get("target"), det.get("notice"))
EOF
}
events() {
	db_sql "$DB" "select actor || ' ' || target || ' ' || $(sql_json payload notice)
		from events where chain = '$1' and kind = 'gate_waiting' order by seq"
}

# A gate signed in time: its items done and signed at once.
S=$(as_alice start "$T/gw.json" 2>>"$T/start.err")
as_alice attest "$S" gate/done >/dev/null
as_alice sign "$S" gate >/dev/null
run db_sql "$DB" "select count(*) from events where chain = '$S' and kind = 'signed'"
expect_in out 1 "the signed run has its signature"

# The waiting gate: items done, nobody signs. Two watch --once at the same
# moment, again and again until one has sent a notice.
W=$(as_alice start "$T/gw.json" 2>>"$T/start.err")
as_alice attest "$W" gate/done >/dev/null
: >"$T/watch.out"
try_watch() {
	"$CS" watch "$W" --once >"$T/w1" 2>"$T/w1.err" &
	p1=$!
	"$CS" watch "$W" --once >"$T/w2" 2>"$T/w2.err" &
	p2=$!
	wait "$p1"
	r1=$?
	wait "$p2"
	r2=$?
	cat "$T/w1" "$T/w2" >>"$T/watch.out"
	[ "$r1" -eq 0 ] && [ "$r2" -eq 0 ] || echo "watch --once failed: $r1 $r2" >>"$T/watch.fail"
	test -s "$T/watch.out"
}
if wait_until try_watch 30; then ok; else fail "watch --once sends a notice once the gate waited 1s"; fi
expect_eq "$(cat "$T/watch.fail" 2>/dev/null)" "" "every watch --once exits 0"
cp "$T/watch.out" "$T/out"
expect_in out "the gate of gate (Gate) has waited" "watch prints the notice: the section"
expect_in out "(within 1s)" "watch prints the notice: within what"
expect_in out "it still needs" "watch prints the notice: what the gate still needs"
expect_eq "$(grep -c 'has waited' "$T/watch.out")" 1 "one line for one notice, though two processes looked"

# The notice is the current interval's: the first, or a later one when the
# first watch started late (a slow machine, valgrind): only the latest is sent.
wait_until '[ "$(deliveries "$W" | grep -c "gate_waiting gate ")" -ge 1 ]' 20
deliveries "$W" >"$T/out"
k=$(awk 'NR == 1 {print $3}' "$T/out")
expect_eq "$(grep -c "^gate_waiting gate $k\$" "$T/out")" 1 "exactly one notification for the interval sent ($k)"
expect_eq "$(wc -l <"$T/out")" 1 "one notification in all, though two processes looked"
expect_eq "$(grep -vc '^gate_waiting gate [0-9]*$' "$T/out")" 0 "nothing but gate_waiting is delivered"
events "$W" >"$T/out"
expect_eq "$(grep -c "^system gate $k\$" "$T/out")" 1 "notice $k is one system event in the record"
expect_eq "$(wc -l <"$T/out")" "$(deliveries "$W" | wc -l)" "each recorded notice was delivered once"

# The signed run: its items were done before W's, so its interval has
# passed too; nothing is due for it.
run "$CS" watch "$S" --once
expect_rc 0 "watch --once of the run whose gate was signed"
expect_eq "$(cat "$T/out")" "" "it prints nothing"
expect_eq "$(events "$S")" "" "a gate signed in time records no notice"
expect_eq "$(deliveries "$S")" "" "a gate signed in time sends nothing"

# Other commands never send them.
before=$(events "$W" | wc -l)
as_alice note "$W" "still waiting" >/dev/null
run "$CS" status "$W"
expect_eq "$(events "$W" | wc -l)" "$before" "note and status record no notice"

# watch without --once: sends the later intervals' notice, ends when the run does.
"$CS" watch "$W" >"$T/bg.out" 2>"$T/bg.err" &
bg=$!
if wait_until 'grep -q "has waited" "$T/bg.out"' 30; then ok; else fail "watch sends the next interval's notice"; fi
as_alice abort "$W" --reason "called off" >/dev/null
if wait_until '! kill -0 "$bg"' 20; then ok; else fail "watch ends when the run ends"; kill "$bg"; fi
wait "$bg"
rc=$?
expect_rc 0 "watch exits 0 when the run ended"
events "$W" | awk '{print $3}' >"$T/out"
expect_eq "$(sort -n -u "$T/out" | wc -l)" "$(wc -l <"$T/out")" "no notice number is recorded twice"
wait_until '[ "$(deliveries "$W" | wc -l)" -eq "$(events "$W" | wc -l)" ]' 20
expect_eq "$(deliveries "$W" | wc -l)" "$(events "$W" | wc -l)" "every notice was delivered exactly once"

# SIGTERM ends a watch that has nothing to send, with status 0 (once it
# handles SIGTERM: /proc says which signals a process catches; under a
# wrapper that is the wrapper's, which catches every signal from the start).
catches_term() {
	mask=$(awk '/^SigCgt:/ {print $2}' "/proc/$1/status" 2>/dev/null)
	[ -n "$mask" ] && [ $((0x$mask & 0x4000)) -ne 0 ]
}
if ! wrapped "watch ending on SIGTERM"; then
	"$CS" watch "$S" >"$T/bg2.out" 2>"$T/bg2.err" &
	bg=$!
	wait_until 'catches_term "$bg"' 20
	kill -TERM "$bg"
	wait "$bg"
	rc=$?
	expect_rc 0 "watch ends with status 0 on SIGTERM"
fi

run "$CS" verify
expect_rc 0 "verify accepts the gate_waiting notices recorded by system"

# A notice forged into the record of the run whose gate was signed: verify
# names it (countersign records one only for a gate still waiting).
FORGED=$(db_clone "$DB" forged)
tamper "$FORGED" guards-off >/dev/null
tamper "$FORGED" append "$S" gate_waiting system gate \
	'{"items_done_us":1,"notice":1,"waited_ms":5000}' >/dev/null
run "$CS" --db "$FORGED" verify "$S"
expect_rc 1 "verify refuses a forged gate_waiting notice"
expect_in err "a gate_waiting notice for gate, but its gate had passed" "verify names the forged notice"

run "$CS" watch nosuchrun --once
expect_rc 2 "watch of an unknown run"
run "$CS" watch
expect_rc 2 "watch needs a run"
run "$CS" watch "$S" --bogus
expect_rc 2 "watch refuses an unknown option"
run "$CS" watch --help
expect_in out "watch RUN [--once]" "watch --help"
finish
