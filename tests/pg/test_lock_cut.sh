#!/bin/sh
# A writer's network is cut while its transaction holds the write lock (the
# server never learns that the client went: no FIN, no reset): the writer
# gives up at its statement deadline, and the server ends the abandoned
# transaction once it sat idle for twice that deadline, so that the other
# writers proceed instead of finding the record locked until the server's
# TCP keepalive notices (hours by default).
. "$2/tests/pg/lib_pg.sh"

/usr/bin/python3 "$2/tests/pg/cut_relay.py" 5497 "$COUNTERSIGN_TEST_PG_DIR/.s.PGSQL.5432" "$T/trigger" \
	>"$T/relay.out" 2>&1 &
relay=$!
trap 'kill $relay 2>/dev/null; rm -rf "$T"' EXIT
wait_until 'grep -q ready "$T/relay.out"' 10 || { echo "cut_relay.py did not start" >&2; exit 1; }

export COUNTERSIGN_DB="$PG"
cat >cut.json <<JSON
{"countersign": 1, "id": "pg-cut", "title": "A writer cut off holding the lock", "sections": [
 {"id": "s", "title": "Steps", "items": [
  {"id": "wait", "title": "Waits for go", "kind": "command",
   "run": "while [ ! -e '$T/go' ]; do sleep 0.05; done; echo went"},
  {"id": "m", "title": "Looked", "kind": "manual"}]}]}
JSON
add_engineer alice
add_engineer bob
by alice start cut.json
expect_rc 0 "start"
R=$(cat "$T/out")

# alice reaches the server through the relay, with a 2 s deadline: her
# session's abandoned transaction ends after 4 s idle
printf 'pin-alice-1\n' >"$T/pin-alice"
COUNTERSIGN_TEST_PG_DEADLINE_MS=2000 COUNTERSIGN_DB="$PG host=127.0.0.1 port=5497" \
	"$CS" check "$R" s/wait --engineer alice --pin-stdin <"$T/pin-alice" >"$T/check.out" 2>"$T/check.err" &
cpid=$!
if wait_until '"$CS" audit --run "$R" --kind check_started | grep -q s/wait' 20; then
	ok
else
	fail "the check started"
fi
touch "$T/trigger" "$T/go"
wait "$cpid"
rc=$?
expect_rc 3 "the writer cut off holding the lock gives up ($(cat "$T/check.err"))"
grep -q '^cut$' "$T/relay.out" && ok || fail "the relay cut the writer off while it held the lock"

# bob, on the server directly, waits for the lock at most 10 s: it must be
# free by then (4 s idle), not held for as long as the server keeps the
# dead connection
by bob attest "$R" s/m
expect_rc 0 "another writer records once the abandoned transaction ended ($(cat "$T/err" 2>/dev/null))"
run "$CS" verify
expect_rc 0 "verify"

finish
