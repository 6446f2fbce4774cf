#!/bin/sh
# The PostgreSQL server restarts between a check's start and its result
# (the check waits for a file made after the server is back): the result
# is recorded once, the run goes on, and verify passes.
. "$2/tests/pg/lib_pg.sh"

export COUNTERSIGN_DB="$PG"
waiting_check restart "A check across a server restart"

"$COUNTERSIGN_PG_TMP" restart "$COUNTERSIGN_TEST_PG_DIR" >/dev/null 2>&1
rc=$?
expect_rc 0 "the server restarts"
touch "$T/go"
if wait_until "! kill -0 $cpid" 30; then ok; else fail "the check ends once its file exists"; fi
wait "$cpid"
rc=$?
expect_rc 0 "the check's result is recorded after the restart ($(cat "$T/check.err"))"
grep -q "pass: s/wait" "$T/check.out" && ok || fail "the check says it passed: $(cat "$T/check.out")"

run "$CS" audit --run "$R" --kind check_finished
expect_eq "$(grep -c 's/wait' "$T/out")" 1 "the result is recorded once"
by alice check "$R" s/after
expect_rc 0 "the run goes on"
run "$CS" verify
expect_rc 0 "verify passes"

finish
