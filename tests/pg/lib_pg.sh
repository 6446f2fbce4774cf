# Sourced by the pg suite's command line tests (arguments: COUNTERSIGN_BINARY
# SOURCE_ROOT): runs the test again inside a throwaway PostgreSQL cluster
# (with_pg: exit 77, skipped, without PostgreSQL's binaries), then gives it
# the cli suite's helpers (tests/cli/lib.sh), PG (the cluster's location)
# and by WHO COMMAND ARGS... (COMMAND as WHO, PIN pin-WHO-1 on stdin).
if [ -z "${COUNTERSIGN_TEST_PG:-}" ]; then
	# with_pg would run the shell itself under a valgrind wrapper: the
	# wrapper is handed to lib.sh, which wraps countersign alone.
	CS_PG_WRAPPER=${COUNTERSIGN_WRAPPER:-} COUNTERSIGN_WRAPPER='' exec "$2/tests/pg/with_pg" sh "$0" "$@"
fi
if [ -n "${CS_PG_WRAPPER:-}" ]; then
	export COUNTERSIGN_WRAPPER="$CS_PG_WRAPPER"
else
	unset COUNTERSIGN_WRAPPER
fi
. "$2/tests/cli/lib.sh"
PG=$COUNTERSIGN_TEST_PG
export COUNTERSIGN_TEST_PIN_COST=min

by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin-$who"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin-$who"
}

add_engineer() {
	printf 'pin-%s-1\n' "$1" | "$CS" engineer add "$1" --full-name "$1 Example" --pin-stdin >/dev/null
}

# on_host NAME COMMAND ARGS...: COMMAND with the host name NAME (a UTS
# namespace of its own); only when can_rename_host says it can.
on_host() {
	name=$1
	shift
	unshare -u sh -c 'hostname "$0" && exec "$@"' "$name" "$@"
}
can_rename_host() {
	command -v unshare >/dev/null 2>&1 && unshare -u sh -c 'hostname countersign-probe' 2>/dev/null
}

# waiting_check NAME TITLE: starts, as alice, a run of checklist NAME whose
# item s/wait waits for the file $T/go (and s/after runs true), then alice's
# check of s/wait in the background: its pid in $cpid, its output in
# $T/check.out and $T/check.err, the run in $R. Returns once the check's
# start is recorded.
waiting_check() {
	cat >"$T/$1.json" <<JSON
{
  "countersign": 1,
  "id": "$1",
  "title": "$2",
  "sections": [
    {"id": "s", "title": "Waits", "items": [
      {"id": "wait", "title": "Waits for go", "kind": "command",
       "run": "while [ ! -e '$T/go' ]; do sleep 0.05; done; echo went"},
      {"id": "after", "title": "Runs after", "kind": "command", "run": "true"}
    ]}
  ]
}
JSON
	add_engineer alice
	by alice start "$T/$1.json"
	expect_rc 0 "start"
	R=$(cat "$T/out")
	"$CS" check "$R" s/wait --engineer alice --pin-stdin <"$T/pin-alice" >"$T/check.out" 2>"$T/check.err" &
	cpid=$!
	if wait_until '"$CS" audit --run "$R" --kind check_started | grep -q s/wait' 20; then
		ok
	else
		fail "the check started"
	fi
}
