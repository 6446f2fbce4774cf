# Three engineers work on a run from the command line: alice runs the checks,
# bob waives one, carol attests a value; bob rejects, then approves the same
# evidence (his rejection is superseded), alice approves. A second run is
# aborted by bob.
add() { printf '%s\n' "$2" | "$CS" engineer add "$1" --full-name "$3" --pin-stdin >/dev/null; }
add alice 123456 "Alice Example"
add bob 654321 "Bob Builder"
add carol 111111 "Carol Checker"
as() { who=$1; pin=$2; shift 2; printf '%s\n' "$pin" | "$CS" "$@" --engineer "$who" --pin-stdin; }
RUN=$(as alice 123456 start who.json)
as alice 123456 check "$RUN" prep/build >/dev/null
as alice 123456 check "$RUN" prep/flaky >/dev/null || true
as bob 654321 waive "$RUN" prep/flaky --reason "known flaky, ticket OPS-1"
as carol 111111 attest "$RUN" prep/errors --value "0.2%" --note "read from the Grafana board"
as bob 654321 sign "$RUN" prep --reject --comment "numbers look off"
as bob 654321 sign "$RUN" prep
as alice 123456 sign "$RUN" prep
RUN2=$(as alice 123456 start who.json)
as bob 654321 abort "$RUN2" --reason "change window cancelled by the customer"
