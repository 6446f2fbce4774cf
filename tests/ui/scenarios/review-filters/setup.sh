# Four runs of three checklists by two engineers, made with the command line:
# a completed run (alice and bob), an aborted one (alice started it, bob
# aborted it), and two open ones (alice's and bob's).
add() { printf '%s\n' "$2" | "$CS" engineer add "$1" --full-name "$3" --pin-stdin >/dev/null; }
add alice 123456 "Alice Example"
add bob 654321 "Bob Builder"
as() { who=$1; pin=$2; shift 2; printf '%s\n' "$pin" | "$CS" "$@" --engineer "$who" --pin-stdin; }
set -e
RUN=$(as alice 123456 start sign.json --title "Release 1.0")
as alice 123456 check "$RUN" check/probe >/dev/null
as alice 123456 attest "$RUN" check/dash >/dev/null
as alice 123456 sign "$RUN" check >/dev/null
as bob 654321 sign "$RUN" check >/dev/null
as alice 123456 attest "$RUN" ship/go >/dev/null
as alice 123456 sign "$RUN" ship >/dev/null
as bob 654321 sign "$RUN" ship >/dev/null
RUN=$(as alice 123456 start who.json --title "Hotfix 0.9.1")
as bob 654321 abort "$RUN" --reason "window cancelled" >/dev/null
as alice 123456 start sign.json --title "Release 1.1" >/dev/null
as bob 654321 start choice.json >/dev/null
"$CS" runs --all
