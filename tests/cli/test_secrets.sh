#!/bin/sh
# Secrets stay off the command line: a --var value is wiped from
# /proc/PID/cmdline while the check runs, and --var-file gives variables
# from NAME=VALUE lines (comments, blank lines, FILE:LINE for a bad line, a
# warning for a file others can read) to start and to check.
. "$(dirname "$0")/lib.sh"

DB=$(db_new cs)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
unset TOKEN TARGET
mkdir fx && cp "$SRC"/tests/cli/fixtures/*.json fx/

# Whatever a failed test leaves running is stopped on the way out.
bg_pid=
cleanup() {
	[ -n "$bg_pid" ] && kill -KILL "$bg_pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin"
}

# wait_for FILE: until FILE exists, at most 20 s. Returns 1 on the deadline.
wait_for() {
	i=0
	while [ ! -e "$1" ]; do
		i=$((i + 1))
		[ "$i" -gt 400 ] && return 1
		sleep 0.05
	done
}

printf 'pin-alice-1\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null

# --- /proc/PID/cmdline while a check holds the secret -------------------------------
ARGV_SECRET=argv-secret-5f3c9a
rm -f fx/hold.started fx/hold.release
export TOKEN=from-the-environment
by alice start fx/hostile.json
expect_rc 0 "start with the secret in the environment"
unset TOKEN
R=$(cat "$T/out")
printf 'pin-alice-1\n' >"$T/pin"
"$CS" check "$R" s1/hold --engineer alice --pin-stdin --var "TOKEN=$ARGV_SECRET" <"$T/pin" >"$T/hold.out" 2>&1 &
bg_pid=$!
if wait_for fx/hold.started; then ok; else fail "the check started"; fi
if ! wrapped "the command line in /proc/PID/cmdline (valgrind keeps its own copy)"; then
	tr '\0' ' ' <"/proc/$bg_pid/cmdline" >"$T/cmdline"
	if grep -qF -- "--var TOKEN=" "$T/cmdline"; then ok; else
		fail "the command line read is the check's: $(cat "$T/cmdline")"; fi
	if grep -qF -- "$ARGV_SECRET" "$T/cmdline"; then
		fail "the --var value is readable in /proc/PID/cmdline: $(cat "$T/cmdline")"; else ok; fi
	if ps -o args= -p "$bg_pid" | grep -qF -- "$ARGV_SECRET"; then fail "ps shows the --var value"; else ok; fi
fi
touch fx/hold.release
wait "$bg_pid"
rc=$?
bg_pid=
expect_rc 0 "the check had the secret all the same"
grep -q "pass: s1/hold" "$T/hold.out" && ok || fail "the verdict of the held check: $(cat "$T/hold.out")"

# --- --var-file for start -----------------------------------------------------------
SECRET=s3cr3t-from-file
umask 077
printf '# the run'"'"'s variables\n\n  TARGET=prod = yes # all of it\r\nTOKEN=%s\n' "$SECRET" >vars
by alice start fx/hostile.json --var-file vars
expect_rc 0 "start with --var-file"
expect_not_in err "warning" "no warning for a file only its owner can read"
R=$(cat "$T/out")
run "$CS" status "$R"
expect_in out "TARGET=prod = yes # all of it" "the value is the rest of the line, as it is (CR LF ending taken off)"
expect_in out "TOKEN=***" "the secret from the file is not stored"

# --- --var-file for check -----------------------------------------------------------
by alice check "$R" s1/token --var-file vars
expect_rc 0 "check with the file start used: fixed variables with their recorded values"
expect_in out "pass: s1/token" "the check saw the secret from that file"
printf 'TARGET=elsewhere\n' >other
by alice check "$R" s1/token --var-file vars --var-file other
expect_rc 2 "a variable given in two files"
by alice check "$R" s1/token --var-file other
expect_rc 2 "a fixed variable with another value than the run's"
expect_in err "TARGET is fixed for the run" "the refusal names it"
printf 'TOKEN=%s\n' "$SECRET" >token
by alice check "$R" s1/token --var-file token
expect_rc 0 "check with the secret from --var-file"
expect_in out "pass: s1/token" "the check saw the exact value"

mkfifo fifo
printf 'TOKEN=%s\n' "$SECRET" >fifo &
writer=$!
by alice check "$R" s1/token --var-file fifo
expect_rc 0 "check with --var-file from a pipe, as with <(command)"
expect_not_in err "warning" "no warning for a pipe"
[ "$rc" -ne 0 ] && cat fifo >/dev/null  # a check that never read it would leave the writer waiting
wait "$writer"

umask 022
printf 'TOKEN=%s\n' "$SECRET" >loose
by alice check "$R" s1/token --var-file loose
expect_rc 0 "a file others can read still works"
expect_in err "loose can be read by other users (mode 0644)" "but draws a warning"

printf 'TOKEN=%s\n# fine\nexport TOKEN=%s\n' "$SECRET" "$SECRET" >bad
by alice check "$R" s1/token --var-file bad
expect_rc 2 "a bad line in a variables file"
expect_in err "bad:3: not a NAME=VALUE line" "the error names FILE:LINE"
expect_not_in err "$SECRET" "the bad line is not shown: it may hold a secret"

printf 'oops\n' >bad2
by alice check "$R" s1/token --var-file bad2
expect_rc 2 "a line without ="
expect_in err "bad2:1:" "the error names FILE:LINE"

by alice check "$R" s1/token --var-file missing
expect_rc 2 "a variables file that does not exist"
expect_in err "cannot read the variables file missing" "the error names the file"

by alice check "$R" s1/token --var-file token --var "TOKEN=other"
expect_rc 2 "a variable given twice (file and --var)"
expect_in err "TOKEN is given twice (token:1 and --var)" "the error names both places"

by alice check "$R" s1/token --var "TOKEN=$SECRET" --var "TOKEN=$SECRET"
expect_rc 2 "a variable given twice with --var"

finish
