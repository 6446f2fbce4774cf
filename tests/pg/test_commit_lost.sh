#!/bin/sh
# The server takes a check's result (COMMIT) but its answer is lost on the
# way back: the check must not say "not recorded, nothing changed", since
# the result was recorded. It says that whether it was recorded is unknown
# and where to look; the record holds the result once, and verify passes.
# The answer is dropped by commit_relay.py, between the program (TCP on
# 127.0.0.1) and the cluster's socket.
. "$2/tests/pg/lib_pg.sh"
/usr/bin/python3 "$SRC/tests/pg/commit_relay.py" "$COUNTERSIGN_TEST_PG_DIR/.s.PGSQL.5432" "$T/trigger" \
	>"$T/relay.out" 2>&1 &
relay=$!
trap 'kill $relay 2>/dev/null; rm -rf "$T"' EXIT
wait_until 'grep -q ready "$T/relay.out"' 10 || { echo "commit_relay.py did not start" >&2; exit 1; }
port=$(sed -n 's/^ready //p' "$T/relay.out")

# a short deadline: the lost answer is a silence
export COUNTERSIGN_TEST_PG_DEADLINE_MS=2000
export COUNTERSIGN_DB="$PG host=127.0.0.1 port=$port"
waiting_check commit "A check whose commit's answer is lost"
touch "$T/trigger" "$T/go"
if wait_until "! kill -0 $cpid" 30; then
	ok
	wait "$cpid"
	rc=$?
	expect_rc 3 "the check ends with the database's exit status"
	grep -q "swallowing" "$T/relay.out" && ok || fail "the relay dropped the commit's answer"
	expect_not_in check.err "nothing changed" "it does not say nothing changed"
	expect_not_in check.err "it was not recorded" "it does not say the result was not recorded"
	grep -q "whether it was recorded is unknown" "$T/check.err" && ok || fail "it says so: $(cat "$T/check.err")"
	grep -q "countersign status $R" "$T/check.err" && ok || fail "and where to look: $(cat "$T/check.err")"
else
	fail "the check still waits after 30 s"
	kill "$cpid"
fi

run "$CS" audit --run "$R" --kind check_finished
expect_eq "$(grep -c 's/wait' "$T/out")" 1 "the result is in the record once"
run "$CS" verify
expect_rc 0 "verify passes"

finish
