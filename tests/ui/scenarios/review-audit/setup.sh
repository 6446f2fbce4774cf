# A run worked by three engineers from the command line, with more events
# than the screen shows: checks, a waiver, an attested value, a wrong PIN, a
# rejection superseded by an approval, a note; then an aborted run.
# (80x24: the record of the first run takes three screens.)
add() { printf '%s\n' "$2" | "$CS" engineer add "$1" --full-name "$3" --pin-stdin >/dev/null; }
add alice 123456 "Alice Example"
add bob 654321 "Bob Builder"
add carol 111111 "Carol Checker"
as() { who=$1; pin=$2; shift 2; printf '%s\n' "$pin" | "$CS" "$@" --engineer "$who" --pin-stdin; }
RUN=$(as alice 123456 start who.json --title "Release 2.4")
as alice 123456 check "$RUN" prep/build >/dev/null
as alice 123456 check "$RUN" prep/flaky >/dev/null || true
as bob 654321 waive "$RUN" prep/flaky --reason "known flaky, ticket OPS-1"
as carol 111111 attest "$RUN" prep/errors --value "0.2%" --note "read from the Grafana board"
as bob 000000 sign "$RUN" prep 2>/dev/null || true
as bob 654321 sign "$RUN" prep --reject --comment "numbers look off"
as bob 654321 sign "$RUN" prep
as alice 123456 sign "$RUN" prep
as alice 123456 note "$RUN" ship "go-live waits for the customer's green light" >/dev/null
as alice 123456 attest "$RUN" ship/go --note "customer confirmed" >/dev/null
as alice 123456 check "$RUN" rollback/undo >/dev/null
RUN2=$(as alice 123456 start who.json --title "Release 2.5")
as bob 654321 abort "$RUN2" --reason "change window cancelled by the customer"
true
