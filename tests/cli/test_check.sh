#!/bin/sh
# countersign check through the real binary: verdicts, confirm, wait items,
# timeouts and cancels that must leave no process behind, a killed check,
# 1 GiB of output in bounded memory, and secrets kept out of the record.
. "$(dirname "$0")/lib.sh"

DB=$(db_new cs)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
unset TOKEN
PY=$(command -v /usr/bin/python3 || command -v python3)
mkdir fx && cp "$SRC"/tests/cli/fixtures/*.json fx/

# Whatever a failed test leaves running is stopped on the way out.
cleanup() {
	for f in "$T"/fx/*.pgid; do
		[ -s "$f" ] && kill -KILL -"$(cat "$f")" 2>/dev/null
	done
	for p in ${bg_pids:-}; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
bg_pids=

by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin"
}

events() {
	db_sql "$DB" "select count(*) from events"
}

# gone PID: the process has exited (a zombie waiting for `wait` counts).
gone() {
	case $(ps -o stat= -p "$1") in
	"" | Z*) true ;;
	*) false ;;
	esac
}

# js RUN EXPR: the Python expression EXPR on `status RUN --json`; item("S/I").
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

expect_js() {
	got=$(js "$1" "$2")
	if [ "$got" = "$3" ]; then ok; else fail "$4: $2 is '$got', want '$3'"; fi
}

# payload RUN ITEM KEY: KEY of the latest check_finished payload of ITEM.
payload() {
	db_sql "$DB" "select payload from events where chain = '$1' and kind = 'check_finished' and target = '$2' \
		order by seq desc limit 1" | "$PY" -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1]))' "$3"
}

printf 'pin-alice-1\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
SECRET=Zq7-very-secret-4711
by alice start fx/checks.json --var "TOKEN=$SECRET"
expect_rc 0 "start with a secret variable"
R=$(cat "$T/out")

# --- verdicts -----------------------------------------------------------------
by alice check "$R" checks/ok
expect_rc 0 "a passing command"
expect_in out "all good" "check prints the output"
expect_in out "pass: checks/ok: exit status 0" "check prints the verdict"
by alice check "$R" checks/exit3
expect_rc 1 "a failing command"
expect_in out "fail: checks/exit3: exit status 3" "the verdict names the exit status"
expect_js "$R" 'item("checks/exit3")["verdict"]' fail "status shows fail"
expect_js "$R" 'item("checks/exit3")["message"]' "exit status 3" "status shows the exit status"
by alice check "$R" checks/coverage-ok
expect_rc 0 "output matching expect_output"
by alice check "$R" checks/coverage-low
expect_rc 1 "output not matching expect_output"
expect_in out "does not match expect_output" "expect_output message"
by alice check "$R" checks/errors
expect_rc 1 "output matching fail_output fails even with exit status 0"
expect_in out "matches fail_output" "fail_output message"
expect_js "$R" 'item("checks/errors")["verdict"]' fail "fail_output verdict"
expect_js "$R" 'item("checks/ok")["attempts"]' 1 "one attempt"
by alice check "$R" checks/ok
expect_js "$R" 'item("checks/ok")["attempts"]' 2 "a re-run is a second attempt"

# --- confirm ------------------------------------------------------------------
before=$(events)
by alice check "$R" checks/switch
expect_rc 1 "a confirm item without --yes and no terminal"
expect_in err "--yes" "the refusal says how to confirm"
expect_eq "$(events)" "$before" "nothing recorded without confirmation"
[ ! -e fx/switched.txt ] && ok || fail "the unconfirmed command did not run"
by alice check "$R" checks/switch --yes
expect_rc 0 "a confirm item with --yes"
[ -e fx/switched.txt ] && ok || fail "the confirmed command ran"

# --- wait item ----------------------------------------------------------------
by alice check "$R" checks/soak
expect_rc 1 "starting a wait is not yet a pass"
expect_in out "passes at" "check says when the wait passes"
wrapped "the wait still running after a 2s wait's check returned" ||
	expect_js "$R" 'item("checks/soak")["verdict"]' running "check returned while the wait runs"
wait_until "js '$R' 'item(\"checks/soak\")[\"verdict\"]' | grep -qx pass" 10 && ok ||
	fail "the wait item passes once its time is up"
by alice check "$R" checks/soak
expect_rc 0 "check of an elapsed wait"
expect_in out "pass" "check of an elapsed wait says pass"

# --- timeout: nothing of the group survives ------------------------------------
by alice check "$R" checks/hang
expect_rc 1 "a check that times out"
expect_in out "timeout: checks/hang" "the verdict is timeout"
expect_js "$R" 'item("checks/hang")["verdict"]' timeout "status shows timeout"
pgid=$(cat fx/hang.pgid 2>/dev/null)
if [ -z "$pgid" ]; then
	fail "the hanging check wrote its process group"
elif wait_until "! group_alive $pgid" 10; then
	ok
else
	fail "no process of the timed-out group is left (group $pgid: $(ps -A -o pid=,pgid=,stat=,args= | awk -v g="$pgid" '$2 == g'))"
fi

# --- cancel with SIGINT -------------------------------------------------------
printf 'pin-alice-1\n' >"$T/pin-a"
"$CS" check "$R" checks/slow --engineer alice --pin-stdin <"$T/pin-a" >"$T/out" 2>"$T/err" &
cpid=$!
bg_pids="$bg_pids $cpid"
wait_until '[ -s fx/slow.pgid ]' 10 || fail "the slow check started"
group_alive "$(cat fx/slow.pgid)" && ok || fail "the slow check's group runs before the cancel"
kill -INT "$cpid"
wait_until "gone $cpid" 15 || {
	fail "check ends on SIGINT"
	kill -KILL "$cpid"
}
wait "$cpid"
rc=$?
expect_rc 1 "a cancelled check"
expect_in out "cancelled: checks/slow" "the verdict is cancelled"
expect_js "$R" 'item("checks/slow")["verdict"]' cancelled "status shows cancelled"
pgid=$(cat fx/slow.pgid 2>/dev/null)
if [ -n "$pgid" ] && wait_until "! group_alive $pgid" 10; then
	ok
else
	fail "no process of the cancelled group is left (group $pgid)"
fi

# --- SIGKILL in the middle of a check ------------------------------------------
"$CS" check "$R" checks/sleeper --engineer alice --pin-stdin <"$T/pin-a" >/dev/null 2>&1 &
cpid=$!
bg_pids="$bg_pids $cpid"
if wait_until "js '$R' 'item(\"checks/sleeper\")[\"verdict\"]' | grep -qx running" 10 &&
	wait_until '[ -s fx/sleeper.pgid ]' 10; then
	ok
else
	fail "status shows the check running"
fi
before=$(events)
by alice check "$R" checks/sleeper
expect_rc 1 "a second check of a running item"
expect_in err "already running" "already running message"
expect_eq "$(events)" "$before" "nothing recorded for the refused second check"
kill -KILL "$cpid"
wait "$cpid" 2>/dev/null
# The check's own processes outlive the killed countersign: the recovery
# stops them. status only reads: it shows the check as interrupted and
# records nothing.
sleeper_group=$(cat fx/sleeper.pgid)
if kill -0 -"$sleeper_group" 2>/dev/null; then ok; else fail "the killed check's processes are still there"; fi
before=$(events)
run "$CS" status "$R"
expect_rc 0 "status after the killed check"
expect_in out "interrupted: process" "status shows the killed check as interrupted"
expect_eq "$(events)" "$before" "status records nothing"
expect_js "$R" 'item("checks/sleeper")["process"]' gone "status --json says the check's process is gone"
by alice note "$R" "after the killed check"
expect_rc 0 "a command that records"
expect_js "$R" 'item("checks/sleeper")["verdict"]' error "the killed check is an error"
expect_eq "$(db_sql "$DB" "select count(*) from events where chain = '$R' and kind = 'check_finished' \
	and target = 'checks/sleeper' and payload like '%interrupted%'")" 1 "recorded once, by the first command that records"
if wait_until "! kill -0 -$sleeper_group" 5; then ok; else fail "the recovery stopped the check's processes"; fi
expect_eq "$(db_sql "$DB" "select count(*) from events where chain = '$R' and kind = 'check_finished' \
	and target = 'checks/sleeper' and payload like '%were stopped%'")" 1 "the recovery says it stopped them"
run "$CS" verify
expect_rc 0 "the record verifies after the killed check"

# --- two checks of one item at the same moment: never two runs at once -------
"$CS" check "$R" checks/pause --engineer alice --pin-stdin <"$T/pin-a" >"$T/pause-1" 2>&1 &
p1=$!
"$CS" check "$R" checks/pause --engineer alice --pin-stdin <"$T/pin-a" >"$T/pause-2" 2>&1 &
p2=$!
bg_pids="$bg_pids $p1 $p2"
wait "$p1"
r1=$?
wait "$p2"
r2=$?
kinds=$(db_sql "$DB" "select $(sql_agg kind ' ') from (select kind from events where chain = '$R' \
	and target = 'checks/pause' order by seq) k")
case "$kinds" in
"check_started check_finished" | "check_started check_finished check_started check_finished") ok ;;
*) fail "two checks of one item never run at once (events: $kinds; exits $r1 and $r2: $(cat "$T/pause-1" "$T/pause-2"))" ;;
esac
if [ "$kinds" = "check_started check_finished" ]; then
	[ $((r1 + r2)) -eq 1 ] && grep -q "already running" "$T/pause-1" "$T/pause-2" && ok ||
		fail "the check that did not run says the item is already running"
fi

# --- 1 GiB of output ----------------------------------------------------------
if ! wrapped "1 GiB of output (too slow under valgrind; its memory is valgrind's)"; then
	size=1073741824
	(head -c $size /dev/zero | sha256sum | cut -d' ' -f1 >"$T/flood.sha") &
	shapid=$!
	bg_pids="$bg_pids $shapid"
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f %M -o "$T/rss" "$CS" check "$R" checks/flood --engineer alice --pin-stdin \
			<"$T/pin-a" >/dev/null 2>"$T/err"
		rc=$?
		peak_kb=$(tail -n 1 "$T/rss")
	else
		"$CS" check "$R" checks/flood --engineer alice --pin-stdin <"$T/pin-a" >/dev/null 2>"$T/err" &
		cpid=$!
		peak_kb=0
		while kill -0 "$cpid" 2>/dev/null; do
			hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$cpid/status" 2>/dev/null)
			[ -n "$hwm" ] && [ "$hwm" -gt "$peak_kb" ] && peak_kb=$hwm
			sleep 0.05
		done
		wait "$cpid"
		rc=$?
	fi
	wait "$shapid"
	: >"$T/out"
	expect_rc 0 "a check printing 1 GiB"
	if [ "${peak_kb:-0}" -gt 0 ] && [ "$peak_kb" -lt 65536 ]; then
		ok
	else
		fail "peak memory of a 1 GiB check stays under 64 MiB (got ${peak_kb:-?} KiB)"
	fi
	expect_eq "$(payload "$R" checks/flood bytes)" $size "the record counts every byte"
	expect_eq "$(payload "$R" checks/flood omitted)" $((size - 65536 - 196608)) \
		"the record keeps the first 64 KiB and the last 192 KiB and counts the rest"
	expect_eq "$(payload "$R" checks/flood sha256)" "$(cat "$T/flood.sha")" "the recorded SHA-256 is that of the stream"
	ev=$(payload "$R" checks/flood evidence)
	len=$(db_sql "$DB" "select length(bytes) from evidence where sha256 = '$ev'")
	if [ "${len:-0}" -gt 262144 ] && [ "$len" -lt 263000 ]; then ok; else fail "the stored excerpt is head and tail ($len bytes)"; fi
	if [ "$ENGINE" = sqlite ]; then
		marked="instr(bytes, cast('1073479680 bytes omitted' as blob)) > 0"
	else
		marked="(position('1073479680 bytes omitted'::bytea in bytes) > 0)::int"
	fi
	expect_eq "$(db_sql "$DB" "select $marked from evidence where sha256 = '$ev'")" \
		1 "the excerpt marks how much was left out"
fi

# --- secrets ------------------------------------------------------------------
by alice check "$R" checks/secret
expect_rc 2 "a check needing a secret that was not given"
expect_in err "TOKEN" "the refusal names the secret"
by alice check "$R" checks/secret --var "TOKEN=$SECRET"
expect_rc 0 "a check echoing the secret"
expect_not_in out "$SECRET" "the secret is not shown"
expect_in out "token=***" "the secret is masked"
if [ "$ENGINE" = sqlite ]; then
	masked="instr(bytes, cast('from the environment: ***' as blob)) > 0"
else
	masked="position('from the environment: ***'::bytea in bytes) > 0"
fi
expect_eq "$(db_sql "$DB" "select count(*) from evidence where $masked")" \
	1 "the evidence has the masked output"
if [ "$ENGINE" = sqlite ]; then
	for f in "$DB" "$DB-wal" "$DB-shm"; do
		[ -e "$f" ] || continue
		n=$(grep -a -c -F -- "$SECRET" "$f")
		expect_eq "$n" 0 "the secret is not in $(basename "$f")"
	done
else
	# bytea columns are dumped in hex
	hex=$(printf '%s' "$SECRET" | od -An -tx1 | tr -d ' \n')
	expect_eq "$(pg_dump --no-sync "$DB" | grep -a -c -F -e "$SECRET" -e "$hex")" 0 "the secret is not in the database"
fi
run "$CS" status "$R"
expect_not_in out "$SECRET" "status does not show the secret"
expect_in out "TOKEN=***" "status masks the secret variable"
run "$CS" status "$R" --json
expect_not_in out "$SECRET" "status --json does not show the secret"
run "$CS" verify
expect_rc 0 "the record verifies at the end"

finish
