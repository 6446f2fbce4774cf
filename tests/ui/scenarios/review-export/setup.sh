# A completed run (two engineers signed both sections) and an aborted one.
add() { printf '%s\n' "$2" | "$CS" engineer add "$1" --full-name "$3" --pin-stdin >/dev/null; }
add alice 123456 "Alice Example"
add bob 654321 "Bob Builder"
as() { who=$1; pin=$2; shift 2; printf '%s\n' "$pin" | "$CS" "$@" --engineer "$who" --pin-stdin; }
set -e
RUN=$(as alice 123456 start sign.json --title "Release 3.0")
as alice 123456 check "$RUN" check/probe >/dev/null
as alice 123456 attest "$RUN" check/dash >/dev/null
as alice 123456 sign "$RUN" check >/dev/null
as bob 654321 sign "$RUN" check >/dev/null
as alice 123456 attest "$RUN" ship/go >/dev/null
as alice 123456 sign "$RUN" ship >/dev/null
as bob 654321 sign "$RUN" ship >/dev/null
RUN2=$(as alice 123456 start sign.json --title "Release 3.1")
as bob 654321 abort "$RUN2" --reason "not this week" >/dev/null
