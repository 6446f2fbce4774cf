#!/bin/sh
# The PostgreSQL server's host stops answering in the middle of a check (a
# crash or a cut network: no reply, not even a reset): the check's result
# is refused within seconds ("cannot be reached", exit 3), not after TCP
# gives up a quarter of an hour later with the program frozen meanwhile.
# The server is reached over TCP on 127.0.0.1 through tcp_relay.py, inside
# a network namespace of the test's own, whose loopback is taken down to
# make the silence. Skipped (77) where no network namespace can be made
# (not root, no unshare or ip).
# Inside the cluster (with_pg, from lib_pg.sh), the test runs again in the
# namespace before lib_pg.sh makes its folder.
if [ -n "${COUNTERSIGN_TEST_PG:-}" ] && [ -z "${CS_IN_NETNS:-}" ]; then
	if ! command -v ip >/dev/null 2>&1 || ! unshare -n true 2>/dev/null; then
		echo "skipped: needs a network namespace of its own (root, unshare, ip)"
		exit 77
	fi
	CS_IN_NETNS=1 exec unshare -n sh "$0" "$@"
fi
. "$2/tests/pg/lib_pg.sh"
ip link set lo up
/usr/bin/python3 "$SRC/tests/pg/tcp_relay.py" 5432 "$COUNTERSIGN_TEST_PG_DIR/.s.PGSQL.5432" >"$T/relay.out" 2>&1 &
relay=$!
trap 'ip link set lo up; kill $relay 2>/dev/null; rm -rf "$T"' EXIT
wait_until 'grep -q ready "$T/relay.out"' 10 || { echo "tcp_relay.py did not start" >&2; exit 1; }

# the cluster's location with the relay's address in place of its socket
export COUNTERSIGN_DB="$PG host=127.0.0.1 port=5432"
waiting_check partition "A check while the server's host goes silent"

ip link set lo down
touch "$T/go"
# 10 s for the statement's packets to go unanswered, 10 s for the one new
# connection tried; TCP alone would wait about 15 minutes
if wait_until "! kill -0 $cpid" 60; then
	ok
	wait "$cpid"
	rc=$?
	expect_rc 3 "the result the server could not take is refused"
	grep -q "cannot be reached" "$T/check.err" && ok || fail "it says why: $(cat "$T/check.err")"
else
	fail "the check still waits for the silent server after 60 s"
	kill "$cpid"
fi
ip link set lo up

run "$CS" audit --run "$R" --kind check_finished
expect_eq "$(grep -c 's/wait' "$T/out")" 0 "nothing of the result was recorded"
run "$CS" verify
expect_rc 0 "verify passes"

finish
