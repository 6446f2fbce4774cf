# Four runs, each with something a key could record if review let it: a
# section whose evidence is complete and unsigned (s), a passed manual item
# (Space), a failed waivable item (w), a manual item asking for a value, an
# always-open rollback check (Enter), a choice to make (C); and a completed
# run for open --run. Then a snapshot of the record (check.sh compares).
add() { printf '%s\n' "$2" | "$CS" engineer add "$1" --full-name "$3" --pin-stdin >/dev/null; }
add alice 123456 "Alice Example"
add bob 654321 "Bob Builder"
as() { who=$1; pin=$2; shift 2; printf '%s\n' "$pin" | "$CS" "$@" --engineer "$who" --pin-stdin; }
set -e
DONE=$(as alice 123456 start sign.json --title "Done")
as alice 123456 check "$DONE" check/probe >/dev/null
as alice 123456 attest "$DONE" check/dash >/dev/null
as alice 123456 sign "$DONE" check >/dev/null
as bob 654321 sign "$DONE" check >/dev/null
as alice 123456 attest "$DONE" ship/go >/dev/null
as alice 123456 sign "$DONE" ship >/dev/null
as bob 654321 sign "$DONE" ship >/dev/null
echo "$DONE" >done-run
RUN=$(as alice 123456 start sign.json --title "Unsigned")
as alice 123456 check "$RUN" check/probe >/dev/null
as alice 123456 attest "$RUN" check/dash >/dev/null
RUN=$(as alice 123456 start who.json --title "Failed and pending")
as alice 123456 check "$RUN" prep/build >/dev/null
as alice 123456 check "$RUN" prep/flaky >/dev/null || true
RUN=$(as alice 123456 start choice.json --title "Choice to make")
as alice 123456 check "$RUN" prep/build >/dev/null
sh "$SCENARIO/snapshot.sh" >before
