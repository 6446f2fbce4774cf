#!/bin/sh
# The PostgreSQL server hangs while its host stays up (its processes
# stopped: the kernel still takes what is sent, so no TCP timeout or
# keepalive fires) in the middle of a check: the check's result gives up
# at the statement deadline (shortened here to 2 s) and exits 3 with one
# line, nothing recorded, instead of waiting for ever. Once the server runs
# again, everything works and verify passes.
. "$2/tests/pg/lib_pg.sh"

# the postmaster and every process it started (its backends)
cluster_pids() {
	pm=$(head -n 1 "$COUNTERSIGN_TEST_PG_DIR/data/postmaster.pid")
	echo "$pm" $(pgrep -P "$pm")
}
freeze() {
	pids=$(cluster_pids)
	kill -STOP $pids
}
thaw() {
	[ -n "${pids:-}" ] && kill -CONT $pids 2>/dev/null
	pids=
}
trap 'thaw; rm -rf "$T"' EXIT

export COUNTERSIGN_TEST_PG_DEADLINE_MS=2000
export COUNTERSIGN_DB="$PG"
waiting_check freeze "A check while the server hangs"

freeze
touch "$T/go"
# 2 s for the statement, and room for a loaded machine; without a deadline
# the check waits for ever
if wait_until "! kill -0 $cpid" 20; then
	ok
	wait "$cpid"
	rc=$?
	expect_rc 3 "the result the server did not take is refused ($(cat "$T/check.err"))"
	# one line saying why, and the verdict's line saying it does not count
	expect_eq "$(grep -c 'not recorded: the database cannot be reached' "$T/check.err")" 1 \
		"one line says why: $(cat "$T/check.err")"
	expect_eq "$(wc -l <"$T/check.err")" 2 "and one says the verdict does not count: $(cat "$T/check.err")"
	grep -q "cannot be reached" "$T/check.err" && ok || fail "it says why: $(cat "$T/check.err")"
	grep -q "did not answer within 2 s" "$T/check.err" && ok || fail "it names the deadline: $(cat "$T/check.err")"
else
	fail "the check still waits for the stopped server after 20 s"
	kill "$cpid"
fi
thaw

run "$CS" audit --run "$R" --kind check_finished
expect_rc 0 "audit once the server runs again"
expect_eq "$(grep -c 's/wait' "$T/out")" 0 "nothing of the result was recorded"
by alice check "$R" s/after
expect_rc 0 "another check is recorded once the server runs again"
run "$CS" verify
expect_rc 0 "verify passes"

finish
