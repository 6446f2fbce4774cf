#!/bin/sh
# export of a run in progress: the report says the run is open and what is
# next; an http check's status; output with escape sequences and control
# bytes cleaned; a long output cut to its last lines; and exports while
# another process records on the run, each one whole and consistent (its
# notes, state and anchor describe the same events).
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
SCHEMA=$SRC/data/report.schema.json
DB=$(db_new cs)
export COUNTERSIGN_DB="$DB" COUNTERSIGN_TEST_PIN_COST=min
unset http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

# a web server on 127.0.0.1 for the http item
mkdir "$T/www" && printf 'hello from the test server\n' >"$T/www/index.html"
"$PY" -u -m http.server --bind 127.0.0.1 --directory "$T/www" 0 >"$T/http.log" 2>&1 &
HTTP_PID=$!
trap 'kill $HTTP_PID 2>/dev/null; rm -rf "$T"' EXIT
wait_until 'grep -q "port [0-9]" "$T/http.log"' 20 || { echo "the test web server did not start" >&2; exit 1; }
PORT=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$T/http.log" | head -n 1)

mkdir fx
cat >fx/live.json <<'EOF'
{
  "countersign": 1,
  "id": "cli-report-live",
  "title": "Export of a run in progress",
  "variables": [{"name": "URL", "prompt": "Base URL"}],
  "sections": [
    {
      "id": "prep",
      "title": "Preparation",
      "phase": "Pre-Deployment",
      "items": [
        {"id": "api", "title": "API answers", "kind": "http", "url": "${URL}/", "expect_status": [200]},
        {"id": "noisy", "title": "Prints escapes", "kind": "command",
         "run": "printf 'plain\\n\\033[31mred\\033[0m\\n\\007bell\\r\\n\\033]0;title\\007end\\n'"},
        {"id": "long", "title": "Prints 40000 lines", "kind": "command", "run": "seq 1 40000 | sed 's/^/line /'"},
        {"id": "done", "title": "Done", "kind": "manual"}
      ]
    },
    {
      "id": "deploy",
      "title": "Deploy",
      "phase": "Deployment",
      "items": [{"id": "step", "title": "Step", "kind": "command", "run": "true"}]
    }
  ]
}
EOF

by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin-$who"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin-$who"
}
for e in alice bob; do
	printf 'pin-%s-1\n' "$e" | "$CS" engineer add "$e" --full-name "$e Example" --pin-stdin >/dev/null
done
by alice start fx/live.json --var "URL=http://127.0.0.1:$PORT"
R=$(cat "$T/out")
for i in api noisy long; do
	by alice check "$R" "prep/$i"
	expect_rc 0 "check prep/$i"
done

# fact FILE EXPR WANT DESC: EXPR evaluated with d the JSON report in FILE
fact() {
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
sec = {s["id"]: s for s in d["sections"]}
item = lambda s, i: next(x for x in sec[s]["items"] if x["id"] == i)
print(eval(sys.argv[2]))' "$1" "$2" >"$T/fact" 2>&1
	expect_eq "$(cat "$T/fact")" "$3" "$4"
}
validates() {
	"$PY" -c '
import json, sys, jsonschema
jsonschema.Draft202012Validator(json.load(open(sys.argv[2]))).validate(json.load(open(sys.argv[1])))' "$1" "$SCHEMA" \
		>"$T/fact" 2>&1
}

# --- a run in progress ------------------------------------------------------------
run "$CS" export "$R" --format json -o "$T/open.json"
expect_rc 0 "export of an open run"
if validates "$T/open.json"; then ok; else fail "the open run's report validates: $(cat "$T/fact")"; fi
fact "$T/open.json" 'd["run"]["state"], d["run"]["ended"], d["run"]["current_section"]' "('open', None, 'prep')" \
	"an open run: no end, and the section to pass next"
fact "$T/open.json" '[s["gate"] for s in d["sections"]]' "['open', 'locked']" "open and locked gates"
fact "$T/open.json" 'item("prep", "done")["verdict"], item("prep", "done")["output"]' "('pending', None)" \
	"an item not done yet"
run "$CS" export "$R" --format md
expect_rc 0 "export --format md of an open run"
expect_in out "> **IN PROGRESS: this run is still open.**" "the Markdown report says the run is in progress"
expect_in out 'Next section to pass: `prep`.' "and which section is next"
expect_in out "| Ended | not yet |" "and that it has not ended"
expect_in out "| \`api\` API answers | http | pass | 1 |" "the http item"
expect_in out "| HTTP 200 |" "the Markdown report shows the HTTP status"
cp "$T/out" "$T/open.md"

# --- evidence: http status, control bytes, long output ------------------------------
fact "$T/open.json" 'item("prep", "api")["http_status"], item("prep", "api")["exit_status"]' "(200, None)" \
	"an http item's status, no exit status"
fact "$T/open.json" 'item("prep", "api")["output"]["excerpt"]' "hello from the test server" \
	"an http item's excerpt is the end of its body"
fact "$T/open.json" 'item("prep", "noisy")["exit_status"]' 0 "a command's exit status"
fact "$T/open.json" 'any(c in item("prep", "noisy")["output"]["excerpt"] for c in "\x1b\x07\r\x9b")' False \
	"no escape, bell or carriage return in an excerpt"
fact "$T/open.json" 'item("prep", "noisy")["output"]["excerpt"]' "plain
red
^Gbell
end" "escape sequences removed, a bell shown as ^G"
for f in "$T/open.json" "$T/open.md"; do
	if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$f"; then
		fail "${f##*/} holds a control byte"
	else
		ok
	fi
done
fact "$T/open.json" 'len(item("prep", "long")["output"]["excerpt"].encode()) <= 4096' True \
	"a long output's excerpt is at most 4096 bytes"
fact "$T/open.json" 'item("prep", "long")["output"]["excerpt"].split("\n")[-1]' "line 40000" "it ends with the last line"
fact "$T/open.json" 'all(l.startswith("line ") for l in item("prep", "long")["output"]["excerpt"].split("\n"))' True \
	"it starts at the beginning of a line"
fact "$T/open.json" 'item("prep", "long")["output"]["bytes"], item("prep", "long")["output"]["omitted"] > 0' \
	"($(seq 1 40000 | sed 's/^/line /' | wc -c), True)" "the whole output's size, and what the record left out"

# --- exports while another process records on the run -------------------------------
# (with a busy timeout: a writer may hold the lock for a moment)
notes() {
	db_sql "$DB" "select count(*) from events where chain = '$R' and kind = 'note'"
}
(
	i=0
	while [ ! -e "$T/stop" ]; do
		i=$((i + 1))
		printf 'pin-bob-1\n' | "$CS" note "$R" --engineer bob --pin-stdin "note $i" >/dev/null 2>"$T/writer.err" || exit 1
	done
) &
WRITER=$!
wait_until '[ "$(notes)" -ge 1 ]' 30 || fail "the writer records notes"
start=$(notes)
k=0
while [ "$k" -lt 5 ] || { [ "$(notes)" -lt $((start + 5)) ] && [ "$k" -lt 400 ]; }; do
	k=$((k + 1))
	"$CS" export "$R" --format json -o "$T/live-$k.json" 2>"$T/live-$k.err" || fail "export $k while recording"
done
touch "$T/stop"
wait "$WRITER"
expect_eq "$?" 0 "the writer recorded every note ($(cat "$T/writer.err"))"
expect_eq "$([ "$(notes)" -ge $((start + 5)) ] && echo yes)" yes \
	"notes were recorded during the exports ($k exports; notes $start before, $(notes) after)"
# every report is whole, validates, verified, and its notes, events and head agree
"$PY" - "$T" "$k" "$SCHEMA" "$DB" "$R" "$SRC" >"$T/out" 2>&1 <<'EOF'
import json, sqlite3, sys, jsonschema
t, k, schema, db, run = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
v = jsonschema.Draft202012Validator(json.load(open(schema)))
if db.startswith(("postgresql://", "postgres://")):
    sys.path.insert(0, sys.argv[6] + "/tests/cli")
    import tamper
    con = tamper.PsqlDB(db)
else:
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
counts = set()
for i in range(1, k + 1):
    d = json.load(open("%s/live-%d.json" % (t, i)))
    v.validate(d)
    n = d["audit"]["events"]
    counts.add(n)
    assert d["audit"]["verified"], (i, d["audit"])
    head = con.execute("select hash from events where chain = ? and seq = ?", (run, n)).fetchone()[0]
    assert d["audit"]["head"] == head, (i, n)
    want = con.execute("select count(*) from events where chain = ? and kind = 'note' and seq <= ?", (run, n)).fetchone()[0]
    assert len(d["notes"]) == want, (i, n, len(d["notes"]), want)
print("ok", len(counts))
EOF
rc=$?
expect_rc 0 "every export made while recording is whole and consistent ($(head -c 300 "$T/out"))"
expect_eq "$(awk '{print ($2 >= 2) ? "several" : "one"}' "$T/out")" several \
	"the exports saw the run at different points"

# --- failed PIN attempts ----------------------------------------------------------
# Records from before failures named their run (inserted by hand: the run's
# own chain is untouched, so the report still verifies): a failure counts when
# it is by one of the run's engineers during the run; five within 15 minutes
# lock out. Then failures that name the run, the fifth recorded as pin_locked;
# one that names another run, and one naming none after the record began
# naming runs, do not count.
t0=$(db_sql "$DB" "select time_us from events where chain = '$R' and seq = 1")
Z=0000000000000000000000000000000000000000000000000000000000000000
legacy() { # OFFSET_US TARGET PAYLOAD
	db_sql "$DB" "insert into events (chain, seq, time_us, actor, os_user, host, tty, kind, target, payload,
		prev, hash) select 'engineers', max(seq) + 1, $t0 + $1, '$2', 'ops', 'old-host', 'none', 'pin_failed', '$2',
		'$3', '$Z', '$Z' from events where chain = 'engineers'"
}
legacy 1000 alice '{"command":"sign"}'
legacy 2000 dave '{"command":"sign"}'
legacy -1200000000 alice '{"command":"sign"}'
for off in 3000 4000 5000 6000; do legacy "$off" alice '{"command":"sign"}'; done
for i in 1 2 3 4 5; do
	printf 'not-bobs-pin\n' | "$CS" note "$R" --engineer bob --pin-stdin "wrong $i" >/dev/null 2>&1
done
expect_eq "$(db_sql "$DB" "select count(*) from events where chain = 'engineers' and kind = 'pin_locked'")" 1 \
	"five wrong PINs lock bob out"
legacy 7000 alice '{"command":"note","run":"otherrun00"}'
legacy 8000 alice '{"command":"sign"}'
# The hand-made events chained as the store chains them: verifying a run
# checks the engineers chain too, which gives the keys its events are
# signed with.
first=$(db_sql "$DB" "select min(seq) from events where chain = 'engineers' and host = 'old-host'")
tamper "$DB" guards-off
tamper "$DB" rewrite engineers "$first" \
	"$(db_sql "$DB" "select payload from events where chain = 'engineers' and seq = $first")"
run "$CS" export "$R" --format json -o "$T/pins.json"
expect_rc 0 "export with failed PINs"
fact "$T/pins.json" '[(p["engineer"], p["command"], p["lockout"]) for p in d["pin_failures"]]' \
	"$(printf "%s, " "('alice', 'sign', False)" "('alice', 'sign', False)" "('alice', 'sign', False)" \
		"('alice', 'sign', False)" "('alice', 'sign', True)" "('bob', 'note', False)" "('bob', 'note', False)" \
		"('bob', 'note', False)" "('bob', 'note', False)" | sed 's/^/[/')('bob', 'note', True)]" \
	"the run's failed PINs, old and new records, with their lockouts"
fact "$T/pins.json" 'd["pin_failures"][0]["host"], d["audit"]["verified"]' "('old-host', True)" \
	"where a failure came from; the run's chain still verifies"
run "$CS" export "$R" --format md
expect_in out "| **LOCKED OUT** |" "the Markdown report marks a lockout"

kill $HTTP_PID 2>/dev/null
finish
