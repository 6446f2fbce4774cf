#!/bin/sh
# countersign audit and runs through the real binary: every filter of audit
# alone and combined, --json as one document, usage errors named, wrong PINs
# and a lockout in the trail; runs from the derived run table (a finished
# run is never folded); a version 2 database read as it is; and two
# processes recording on one run while audit and runs read.
. "$(dirname "$0")/lib.sh"

DB=$(db_new cs)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
PY=/usr/bin/python3
mkdir fx && cp "$SRC"/tests/cli/fixtures/gates.json fx/
# A second checklist (another snapshot) for the run whose snapshot is spoilt below.
sed 's/"title": "Gates, sign-offs and overrides"/"title": "Gates, second copy"/' fx/gates.json >fx/gates2.json

by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin-$who"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin-$who"
}
wrong_pin() {
	who=$1
	shift
	printf 'not-the-pin\n' >"$T/wrong-pin"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/wrong-pin"
}
# sql QUERY: one value from the database
sql() {
	db_sql "$DB" "$1"
}
lines() {
	if [ -s "$T/out" ]; then wc -l <"$T/out" | tr -d ' '; else echo 0; fi
}
# expect_lines N DESC: audit printed N lines (and exited 0)
expect_lines() {
	if [ "$rc" -eq 0 ] && [ "$(lines)" = "$1" ]; then ok; else fail "$2: want $1 lines, got $(lines)"; fi
}
# every_line FIXED DESC: each line of out holds FIXED
every_line() {
	if [ -s "$T/out" ] && ! grep -vqF -- "$1" "$T/out"; then ok; else fail "$2: a line lacks '$1'"; fi
}
# json EXPR: EXPR in Python on the JSON document in $T/out (d)
json() {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$T/out" "$1"
}
expect_json() {
	got=$(json "$1" 2>&1)
	expect_eq "$got" "$2" "$3"
}

for e in alice bob carol; do
	printf 'pin-%s-1\n' "$e" | "$CS" engineer add "$e" --full-name "$e Example" --pin-stdin >/dev/null
done

# --- a first run, aborted; a wrong PIN on it ---------------------------------------
by alice start fx/gates2.json
R1=$(cat "$T/out")
by alice check "$R1" prep/build
wrong_pin bob note "$R1" "bob tries"
expect_rc 2 "a wrong PIN is refused"
by alice attest "$R1" prep/review --note "read the diff"
by alice abort "$R1" --reason "wrong window"
expect_rc 0 "abort"
t1=$(date +%s)
wait_until "[ \$(date +%s) -gt $t1 ]" 3 || fail "the clock did not move on"

# --- a second run, open; carol locked out on it -----------------------------------
by bob start fx/gates.json
R2=$(cat "$T/out")
by bob check "$R2" prep/build
printf 'pin-alice-1\n' >"$T/pin-alice"
run "$CS" note "$R2" --engineer alice --pin-stdin "$(printf 'all \033]0;pwned\007good\033[2J')" <"$T/pin-alice"
expect_rc 0 "a note with escape sequences"
for i in 1 2 3 4 5; do wrong_pin carol note "$R2" "carol $i"; done
wrong_pin carol note "$R2" "carol 6"
expect_rc 1 "the sixth attempt is refused: carol is locked out"
expect_in err "carol is locked" "the lockout is said"

# the registry chain repeats each run's start and end for verify: audit
# shows it only when asked (--run, --kind)
ALL=$(sql "select count(*) from events where chain <> 'registry'")
ENG=$(sql "select count(*) from events where chain = 'engineers'")

# --- no filter: everything, oldest first ------------------------------------------
run "$CS" audit
expect_lines "$ALL" "audit lists every event"
head -n 1 "$T/out" >"$T/first"
grep -qF "engineers   alice" "$T/first" && grep -qF "engineer registered" "$T/first" && ok ||
	fail "the oldest event comes first: $(cat "$T/first")"
expect_not_in out "$(printf '\033')" "no escape character reaches the output"
expect_in out 'note; text "all good"' "a note's escape sequences are left out"
expect_in out "wrong PIN (for note); run $R1" "bob's wrong PIN names its run"
expect_in out "locked out after 5 wrong PINs until" "carol's lockout is in the trail"
run "$CS" audit --json
expect_rc 0 "audit --json"
"$PY" -c 'import json,sys; json.load(sys.stdin)' <"$T/out" && ok || fail "--json is one JSON document"
expect_json "d['count'] == len(d['events']) == $ALL" "true" "--json counts its events"
expect_json "all(a['time_us'] <= b['time_us'] for a, b in zip(d['events'], d['events'][1:]))" "true" \
	"--json is oldest first"
expect_json "d['filters']" '{"run": null, "engineer": null, "kind": null, "since": null, "until": null}' \
	"--json names the filters"
expect_json "len(set((e['chain'], e['seq']) for e in d['events']))" "$ALL" "--json: each event once"
locked=$(json "[e for e in d['events'] if e['kind'] == 'pin_locked'][0]['payload']")
expect_eq "$(printf '%s' "$locked" | "$PY" -c 'import json,sys; p=json.load(sys.stdin); print(sorted(p), p["failures"], p["run"], isinstance(p["until_us"], int))')" \
	"['failures', 'run', 'until_us'] 5 $R2 True" "pin_locked carries until_us, failures and the run"

# --- each filter alone --------------------------------------------------------------
run "$CS" audit --run "$R1"
expect_lines "$(sql "select count(*) from events where chain = '$R1' or (chain = 'engineers'
	and kind in ('pin_failed', 'pin_locked') and $(sql_json payload run) = '$R1')")" \
	"--run: that run's events, and the wrong PINs that name it"
every_line "$R1" "--run: only that run"
run "$CS" audit --run engineers
expect_lines "$ENG" "--run engineers: the engineers chain"
run "$CS" audit --engineer bob
expect_lines "$(sql "select count(*) from events where actor = 'bob' or (chain = 'engineers' and target = 'bob')")" \
	"--engineer: bob's events and his registration"
expect_in out "wrong PIN" "--engineer shows the engineer's wrong PIN"
run "$CS" audit --engineer system
expect_rc 0 "--engineer system is the program's own events"
run "$CS" audit --kind pin_failed
expect_lines 6 "--kind pin_failed: bob once, carol five times"
every_line "wrong PIN (for note); run " "each wrong PIN names the run it was for"
run "$CS" audit --kind pin_locked
expect_lines 1 "--kind pin_locked: one lockout"
expect_in out "engineers   carol" "the lockout is carol's, in the engineers chain"
expect_in out "run $R2" "the lockout names the run"
since=$(date -u -d "@$((t1 + 1))" +%Y-%m-%dT%H:%M:%S)
until=$(date -u -d "@$t1" +%Y-%m-%dT%H:%M:%S)
run "$CS" audit --since "$since"
expect_lines "$(sql "select count(*) from events where chain <> 'registry' and time_us >= $((t1 + 1))000000")" "--since: from that second on"
expect_not_in out "$R1" "--since leaves out the first run"
run "$CS" audit --until "${until}Z"
expect_lines "$(sql "select count(*) from events where chain <> 'registry' and time_us < $((t1 + 1))000000")" \
	"--until: up to the end of that second (Z allowed)"
expect_not_in out "$R2" "--until leaves out the second run"
today=$(date -u +%Y-%m-%d)
run "$CS" audit --since "$today"
expect_lines "$ALL" "--since today (a date): all of today"
run "$CS" audit --until "$today"
expect_lines "$ALL" "--until today takes in the whole day"
run "$CS" audit --until "$(date -u -d yesterday +%Y-%m-%d)"
expect_lines 1 "--until yesterday: nothing"
expect_in out "no events match" "an empty trail says so"
run "$CS" audit --since "$(date -u -d "@$((t1 + 60))" +%Y-%m-%dT%H:%M)"
expect_rc 0 "--since with minutes"

# --- a run's trail includes the wrong PINs and the lockout of people acting on it ---
run "$CS" audit --run "$R2" --kind pin_failed
expect_lines 5 "--run: carol's five wrong PINs on the second run are in its trail"
run "$CS" audit --run "$R2" --kind pin_locked
expect_lines 1 "--run: carol's lockout on the second run is in its trail"
run "$CS" audit --run "$R1" --engineer bob
expect_in out "wrong PIN (for note); run $R1" "--run --engineer: bob's wrong PIN on the first run"
run "$CS" audit --run "$R1" --kind pin_failed --engineer carol
expect_lines 1 "--run leaves out wrong PINs on other runs"
expect_in out "no events match" "carol's wrong PINs were on the second run"

# --- combined -----------------------------------------------------------------------
run "$CS" audit --run "$R2" --engineer alice --kind note
expect_lines 1 "--run --engineer --kind: alice's note on the second run"
run "$CS" audit --run engineers --engineer carol --kind pin_failed --since "$today" --until "$today"
expect_lines 5 "all five filters: carol's wrong PINs today"
run "$CS" audit --engineer alice --until "$until"
expect_lines "$(sql "select count(*) from events where (actor = 'alice' or (chain = 'engineers' and target = 'alice'))
	and time_us < $((t1 + 1))000000")" "--engineer --until"
every_line "alice" "--engineer --until: only alice"
run "$CS" audit --kind check_finished --since "$since"
expect_lines 1 "--kind --since: the second run's check"
every_line "$R2" "--kind --since: in the second run"
run "$CS" audit --engineer bob --kind pin_failed --json
expect_json "[(e['actor'], e['kind'], e['payload']['run']) for e in d['events']]" "[[\"bob\", \"pin_failed\", \"$R1\"]]" \
	"--json with filters"
expect_json "d['filters']['engineer'] + ' ' + d['filters']['kind']" "bob pin_failed" "--json names the filters given"

# --- usage errors: exit 2, naming what was wrong --------------------------------------
bad() {
	want=$1
	shift
	run "$CS" audit "$@"
	expect_rc 2 "audit $*"
	expect_in err "countersign: audit: $want" "audit $*: the message"
	expect_eq "$(lines)" 0 "audit $*: nothing on stdout"
}
bad "--engineer nobody: no engineer of that name is registered" --engineer nobody
bad "--run nosuchrun0: no such run; 'countersign runs --all' lists them" --run nosuchrun0
bad "--kind signd: not a kind of event; one of run_started," --kind signd
bad "--since 2026-13-01: not a date; give YYYY-MM-DD" --since 2026-13-01
bad "--since 2026-02-30: not a date" --since 2026-02-30
bad "--until 2026-11-26T25:00: not a date" --until 2026-11-26T25:00
bad "--since 2026-11-26T10:00+02:00: not a date" --since 2026-11-26T10:00+02:00
bad "--until yesterday: not a date" --until yesterday
bad "--since 2026-11-27 is after --until 2026-11-26: no event could match; swap them" --since 2026-11-27 --until 2026-11-26
bad "unknown option \"--actor\"" --actor bob
bad "--kind is given more than once" --kind note --kind signed

# --- runs: state from the derived table; a finished run is never folded --------------
run "$CS" runs
expect_rc 0 "runs"
expect_in out "$R2" "runs lists the open run"
expect_in out "open       " "with its state"
expect_not_in out "$R1" "runs leaves out the aborted run"
grep "$R2" "$T/out" | grep -qF " prep " && ok || fail "the open run's current section is named"
run "$CS" runs --all
expect_in out "$R1" "runs --all lists the aborted run"
grep "$R1" "$T/out" | grep -qF "aborted    " && ok || fail "runs --all: the aborted run's state"
run "$CS" runs --all --json
expect_json "[(r['id'], r['state'], r['current_section'], r['events']) for r in d]" \
	"[[\"$R2\", \"open\", \"prep\", $(sql "select count(*) from events where chain = '$R2'")], [\"$R1\", \"aborted\", \"-\", $(sql "select count(*) from events where chain = '$R1'")]]" \
	"runs --json: states, sections and event counts"
expect_json "d[1]['head'] == '$(sql "select hash from events where chain = '$R1' order by seq desc limit 1")' and d[1]['ended_us'] > 0 and d[0]['ended_us'] is None" \
	"true" "runs --json: head and end"
# A finished run whose checklist snapshot cannot be read is still listed:
# listing it never folds it.
SPOILT=$(db_clone "$DB" spoilt)
db_guards_off "$SPOILT"
db_sql "$SPOILT" "update checklists set text = 'not json' where sha256 = (select checklist_sha from runs where id = '$R1')"
run "$CS" --db "$SPOILT" runs --all
expect_rc 0 "runs --all with a spoilt snapshot"
grep "$R1" "$T/out" | grep -qF "aborted" && ok || fail "the finished run with a spoilt snapshot is listed"

# --- a version 2 database (before the derived run table), read as it is --------------
# A real one: the version 3 record of the fixture without its derived run
# table (a newer database cannot be made older: its events are signed).
if sqlite_file "a version 2 database file, read-only"; then
	V2=$T/v2.db
	L=083k8qf9gk
	sqlite3 "$T/v3.db" <"$SRC/tests/cli/fixtures/tamper-v3.sql"
	cp "$T/v3.db" "$V2"
	sqlite3 "$V2" "drop trigger run_index_append; drop table run_index; drop table run_actors;
		drop index runs_by_checklist; pragma user_version = 2"
	chmod 0444 "$V2"
	run "$CS" --db "$V2" runs --all --json
	expect_rc 0 "runs on a version 2 database"
	expect_json "[(r['id'], r['state']) for r in d]" "[[\"$L\", \"open\"]]" \
		"runs on a version 2 database: the states"
	run "$CS" --db "$V2" audit --run "$L"
	expect_lines 4 "audit on a version 2 database"
	run "$CS" --db "$V2" verify
	expect_rc 0 "verify on a version 2 database"
	expect_eq "$(sqlite3 "$V2" "pragma user_version")" 2 "reading leaves a version 2 database as it is"
	chmod 0644 "$V2"
	printf 'pin-dave-1\n' | "$CS" --db "$V2" engineer add dave --full-name "Dave Example" --pin-stdin >/dev/null
	expect_eq "$(sqlite3 "$V2" "pragma user_version")" 5 "a command that records brings it up to date (version 5)"
	derived="select group_concat(x, ' ') from (select run || ':' || state || ':' || events || ':' || head as x
		from run_index order by run)"
	expect_eq "$(sqlite3 "$V2" "$derived")" "$(sqlite3 "$T/v3.db" "$derived")" \
		"the migration fills the derived run table from the events"
fi

# --- two processes recording on one run while audit and runs read -------------------
N=12
before=$(sql "select count(*) from events where chain = '$R2'")
writer() {
	who=$1
	printf 'pin-%s-1\n' "$who" >"$T/wpin-$who"
	i=0
	while [ $i -lt $N ]; do
		"$CS" note "$R2" --engineer "$who" --pin-stdin "$who note $i" <"$T/wpin-$who" >/dev/null 2>>"$T/werr-$who" ||
			echo "note $i failed" >>"$T/werr-$who"
		i=$((i + 1))
	done
}
: >"$T/werr-alice"
: >"$T/werr-bob"
writer alice &
wa=$!
writer bob &
wb=$!
reads=0
bad_reads=0
last=0
while kill -0 "$wa" 2>/dev/null || kill -0 "$wb" 2>/dev/null; do
	"$CS" audit --run "$R2" --json >"$T/r-audit" 2>"$T/r-err" &&
		n=$("$PY" -c 'import json,sys; d=json.load(sys.stdin); assert d["count"] == len(d["events"]); print(d["count"])' \
			<"$T/r-audit") || { bad_reads=$((bad_reads + 1)); n=$last; }
	[ "$n" -ge "$last" ] || bad_reads=$((bad_reads + 1))
	last=$n
	"$CS" runs --json >"$T/r-runs" 2>>"$T/r-err" &&
		"$PY" -c 'import json,sys; d=json.load(sys.stdin); assert any(r["id"] == sys.argv[1] for r in d)' "$R2" \
			<"$T/r-runs" || bad_reads=$((bad_reads + 1))
	reads=$((reads + 1))
done
wait "$wa"
wait "$wb"
expect_eq "$(cat "$T/werr-alice" "$T/werr-bob")" "" "both writers recorded every note"
[ "$reads" -gt 0 ] && ok || fail "audit and runs read while the writers recorded"
expect_eq "$bad_reads" 0 "every read during the writes was whole ($reads reads; $(cat "$T/r-err"))"
after=$(sql "select count(*) from events where chain = '$R2'")
expect_eq "$after" "$((before + 2 * N))" "every note is in the chain"
run "$CS" audit --run "$R2" --kind note
expect_lines "$((2 * N + 1))" "audit sees every note after the writes"
expect_eq "$(sql "select events || ' ' || last_seq || ' ' || (case when head = (select hash from events where chain = '$R2' order by seq desc limit 1) then 1 else 0 end) from run_index where run = '$R2'")" \
	"$after $after 1" "the derived row kept up with both writers"
run "$CS" verify
expect_rc 0 "verify after the concurrent writes"

finish
