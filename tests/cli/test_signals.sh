#!/bin/sh
# A check's processes never outlive the countersign that runs it unnoticed:
# a closed terminal (SIGHUP) and a closed pipe (SIGPIPE) stop the check and
# record it; a check stuck "running" on another host is shown as such and
# recorded as interrupted with `check --recover`.
. "$(dirname "$0")/lib.sh"

DB=$(db_new cs)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
PY=/usr/bin/python3
mkdir fx && cp "$SRC"/tests/cli/fixtures/signals.json fx/

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
rc=0

verdict() {
	"$CS" status "$R" --json | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print(next(i["verdict"] for s in d["sections"] for i in s["items"] if s["id"] + "/" + i["id"] == sys.argv[1]))' "$1"
}

printf 'pin-alice-1\n' >"$T/pin-a"
"$CS" engineer add alice --full-name "Alice Example" --pin-stdin <"$T/pin-a" >/dev/null
SECRET=Kx9-not-for-ps-3141
printf 'TOKEN=%s\n' "$SECRET" >"$T/vars"
chmod 600 "$T/vars"
"$CS" start fx/signals.json --engineer alice --var-file "$T/vars" --pin-stdin <"$T/pin-a" >"$T/out" 2>"$T/err"
R=$(cat "$T/out")
[ -n "$R" ] && ok || fail "start"

# --- SIGHUP: the terminal closed -------------------------------------------------
"$CS" check "$R" s/hup --engineer alice --pin-stdin <"$T/pin-a" >"$T/hup.out" 2>&1 &
cpid=$!
bg_pids="$bg_pids $cpid"
if wait_until '[ -s fx/hup.pgid ]' 10; then ok; else fail "the hup check started"; fi
group=$(cat fx/hup.pgid)
kill -HUP "$cpid"
if wait_until "! kill -0 $cpid" 15; then ok; else fail "countersign ends on SIGHUP"; fi
if wait_until "! group_alive $group" 10; then ok; else fail "SIGHUP stops the check's processes"; fi
expect_eq "$(verdict s/hup)" cancelled "SIGHUP records the check as cancelled"

# --- SIGPIPE: the reader of the output went away -----------------------------------
rc_file=$T/chatty.rc
( "$CS" check "$R" s/chatty --engineer alice --pin-stdin <"$T/pin-a" 2>"$T/chatty.err"; echo $? >"$rc_file" ) | head -n 3 >/dev/null
if wait_until '[ -s "$rc_file" ]' 20; then ok; else fail "countersign ends when its reader goes"; fi
group=$(cat fx/chatty.pgid)
if wait_until "! group_alive $group" 10; then ok; else fail "SIGPIPE stops the check's processes"; fi
expect_eq "$(verdict s/chatty)" cancelled "SIGPIPE records the check as cancelled"

# --- a secret in a running check's script is on no command line ----------------
"$CS" check "$R" s/secretive --engineer alice --var-file "$T/vars" --pin-stdin <"$T/pin-a" >"$T/sec.out" 2>&1 &
cpid=$!
bg_pids="$bg_pids $cpid"
if wait_until '[ -s fx/secretive.pgid ]' 10; then ok; else fail "the secretive check started"; fi
# The search itself must not hold the secret on its command line: it reads it from the file.
if "$PY" -c '
import glob, sys
secret = open(sys.argv[1]).read().split("=", 1)[1].strip().encode()
found = False
for f in glob.glob("/proc/[0-9]*/cmdline"):
    try:
        found |= secret in open(f, "rb").read()
    except OSError:
        pass
sys.exit(0 if found else 1)' "$T/vars"; then
	fail "a secret is readable in a process's command line"
else
	ok
fi
kill -INT "$cpid"
if wait_until "! kill -0 $cpid" 15; then ok; else fail "Ctrl-C ends the secretive check"; fi
expect_eq "$(verdict s/secretive)" cancelled "the secretive check ran until cancelled (its script saw the secret)"

# --- a check stuck on another host: shown, then recovered by an engineer ---------
if command -v unshare >/dev/null 2>&1 && unshare -u true 2>/dev/null; then
	unshare -u sh -c 'hostname countersign-other-host && exec "$@"' sh \
		"$CS" check "$R" s/stuck --engineer alice --pin-stdin <"$T/pin-a" >/dev/null 2>&1 &
	cpid=$!
	bg_pids="$bg_pids $cpid"
	if wait_until '[ -s fx/stuck.pgid ]' 10; then ok; else fail "the stuck check started"; fi
	kill -KILL "$cpid"
	wait "$cpid" 2>/dev/null
	kill -KILL -"$(cat fx/stuck.pgid)" 2>/dev/null
	before=$(db_sql "$DB" "select count(*) from events")
	run "$CS" status "$R"
	expect_in out "countersign-other-host" "status names the other host"
	expect_in out "--recover" "status says how to recover it"
	run "$CS" check "$R" s/stuck --engineer alice --pin-stdin <"$T/pin-a"
	expect_rc 1 "a check running elsewhere is not run again"
	expect_eq "$(db_sql "$DB" "select count(*) from events")" "$before" "nothing is recorded meanwhile"
	run "$CS" check "$R" s/stuck --recover --engineer alice --pin-stdin <"$T/pin-a"
	expect_rc 2 "--recover needs a reason"
	printf 'wrong\n' >"$T/pin-bad"
	run "$CS" check "$R" s/stuck --recover --engineer alice --reason "host renamed" --pin-stdin <"$T/pin-bad"
	expect_rc 2 "--recover needs the right PIN"
	run "$CS" check "$R" s/stuck --recover --engineer alice --reason "host renamed" --pin-stdin <"$T/pin-a"
	expect_rc 0 "--recover records it"
	expect_eq "$(verdict s/stuck)" error "the stuck check is an error"
	expect_eq "$(db_sql "$DB" "select actor from events where kind = 'check_finished' and target = 's/stuck'")" \
		alice "recorded by the engineer who recovered it"
	run "$CS" check "$R" s/stuck --recover --engineer alice --reason again --pin-stdin <"$T/pin-a"
	expect_rc 1 "nothing left to recover"

	# A result that arrives after its attempt was recovered lands nowhere.
	"$CS" check "$R" s/held --engineer alice --pin-stdin <"$T/pin-a" >"$T/held.out" 2>"$T/held.err" &
	cpid=$!
	bg_pids="$bg_pids $cpid"
	if wait_until '[ "$(verdict s/held)" = running ]' 10; then ok; else fail "the held check runs"; fi
	unshare -u sh -c 'hostname countersign-other-host && exec "$@"' sh \
		"$CS" check "$R" s/held --recover --engineer alice --reason "looked stuck" --pin-stdin <"$T/pin-a" \
		>"$T/out" 2>"$T/err"
	rc=$?
	expect_rc 0 "recovered from another host name while it runs here"
	touch fx/release
	if wait_until "! kill -0 $cpid" 10; then ok; else fail "the held check ends once released"; fi
	wait "$cpid"
	held_rc=$?
	expect_eq "$held_rc" 1 "its late result is refused (exit 1)"
	if grep -q "was not recorded" "$T/held.err"; then ok; else fail "it says the result was not recorded"; fi
	expect_eq "$(verdict s/held)" error "the item keeps the recovery's verdict"
	expect_eq "$(db_sql "$DB" "select count(*) from events where kind = 'check_finished' and target = 's/held'")" 1 \
		"one result for the attempt"
else
	echo "skipped: the other-host test needs unshare -u (root)" >&2
fi

run "$CS" verify
expect_rc 0 "the record verifies"
finish
