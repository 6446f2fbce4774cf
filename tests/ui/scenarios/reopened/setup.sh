# The gate of "check" passes; bob re-checks config after sign-off (it still
# passes: a re-check, the gate stays), alice starts "ship"; then probe's
# re-check fails: the gate of "check" reopens, "ship" stays open.
add() { printf '%s\n' "$2" | "$CS" engineer add "$1" --full-name "$3" --pin-stdin >/dev/null; }
add alice 123456 "Alice Example"
add bob 654321 "Bob Builder"
as() { who=$1; pin=$2; shift 2; printf '%s\n' "$pin" | "$CS" "$@" --engineer "$who" --pin-stdin; }
touch healthy
RUN=$(as alice 123456 start reopen.json)
as alice 123456 check "$RUN" check/probe >/dev/null
as alice 123456 check "$RUN" check/config >/dev/null
as alice 123456 sign "$RUN" check
as bob 654321 sign "$RUN" check
as bob 654321 check "$RUN" check/config --yes >/dev/null
as alice 123456 attest "$RUN" ship/go
rm healthy
as bob 654321 check "$RUN" check/probe --yes >/dev/null || true
