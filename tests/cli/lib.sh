# Helpers for the cli suite: each test script sources this file, runs the real
# binary ($CS) in a temporary folder, and ends with `finish`.
set -u
CS=${1:?usage: test.sh COUNTERSIGN_BINARY SOURCE_ROOT}
SRC=${2:?usage: test.sh COUNTERSIGN_BINARY SOURCE_ROOT}
export LANG=C.UTF-8 TERM=xterm-256color
unset COUNTERSIGN_DB
T=$(mktemp -d "${TMPDIR:-/tmp}/countersign-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export HOME="$T/home" XDG_DATA_HOME="$T/data"
mkdir -p "$HOME"
cd "$T" || exit 1

# Under `meson test --setup valgrind`, COUNTERSIGN_WRAPPER (tests/valgrind-wrap)
# runs every countersign of the script; each process's report goes to
# $T/valgrind/PID.log and `finish` fails on any that reports an error (the
# "==PID==" lines; "--PID--" lines are valgrind's own warnings).
if [ -n "${COUNTERSIGN_WRAPPER:-}" ]; then
	export VALGRIND_LOG_DIR="$T/valgrind"
	mkdir -p "$VALGRIND_LOG_DIR"
	printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$COUNTERSIGN_WRAPPER" "$CS" >"$T/countersign-wrapped"
	chmod +x "$T/countersign-wrapped"
	CS="$T/countersign-wrapped"
fi
passed=0
failed=0

# run CMD...: runs it, keeping stdout in $T/out, stderr in $T/err, status in $rc.
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
}

ok() {
	passed=$((passed + 1))
}

fail() {
	failed=$((failed + 1))
	printf 'FAIL: %s\n' "$1" >&2
	printf '  status %s\n  stdout: %s\n  stderr: %s\n' "$rc" "$(head -c 2000 "$T/out")" "$(head -c 2000 "$T/err")" >&2
}

# expect_rc N DESC
expect_rc() {
	if [ "$rc" -eq "$1" ]; then ok; else fail "$2: expected exit $1, got $rc"; fi
}

# expect_out FILE(out|err) FIXED-STRING DESC
expect_in() {
	if grep -qF -- "$2" "$T/$1"; then ok; else fail "$3: $1 lacks '$2'"; fi
}

expect_not_in() {
	if grep -qF -- "$2" "$T/$1"; then fail "$3: $1 has '$2'"; else ok; fi
}

# expect_eq GOT WANT DESC
expect_eq() {
	if [ "$1" = "$2" ]; then ok; else fail "$3: got '$1', want '$2'"; fi
}

# wait_until COMMAND SECONDS: true once COMMAND (a string for eval) succeeds,
# false when SECONDS pass first.
wait_until() {
	deadline=$(($(date +%s) + $2 + 1))
	until eval "$1" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# group_alive PGID: some process of the group exists and is not a zombie
# (zombies wait for a parent that may be slow to reap them; they run nothing).
group_alive() {
	ps -A -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^[ZX]/ { found = 1 } END { exit !found }'
}

# wrapped WHAT: true, saying WHAT is skipped, when countersign runs under
# COUNTERSIGN_WRAPPER: its memory, speed and /proc command line are then the
# wrapper's (valgrind's), so a check of them would measure the wrapper.
wrapped() {
	[ -n "${COUNTERSIGN_WRAPPER:-}" ] || return 1
	printf 'skipped under %s: %s\n' "${COUNTERSIGN_WRAPPER##*/}" "$1" >&2
}

finish() {
	if [ -n "${VALGRIND_LOG_DIR:-}" ]; then
		for log in "$VALGRIND_LOG_DIR"/*.log; do
			grep -q '^==[0-9]*==' "$log" 2>/dev/null || continue
			failed=$((failed + 1))
			printf 'FAIL: valgrind reports errors (%s):\n' "${log##*/}" >&2
			cat "$log" >&2
		done
	fi
	printf '%d passed, %d failed\n' "$passed" "$failed"
	[ "$failed" -eq 0 ]
	exit $?
}
