#!/bin/sh
# A re-check after sign-off under an independent policy: the question asked
# before it says that one who signed the gate and now runs its items stops
# counting (the gate reopens even when the item passes), and names the
# signers by the meaning the gate counts (a review gate: "reviewed by").
. "$(dirname "$0")/lib.sh"

DB=$(db_new base)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
for e in alice bob carol; do
	printf 'pin-%s-1\n' "$e" | "$CS" engineer add "$e" --full-name "$e Example" --pin-stdin >/dev/null
done
cat >"$T/r.json" <<'JSON'
{"countersign": 1, "id": "r", "title": "R",
 "signoffs": {"count": 1, "meaning": "reviewed", "independent": true},
 "sections": [
  {"id": "a", "title": "A", "items": [{"id": "m", "title": "M", "kind": "manual"}]},
  {"id": "b", "title": "B", "items": [{"id": "m", "title": "M", "kind": "manual"}]}]}
JSON
# as NAME ARGS...: ARGS as NAME with NAME's PIN.
as() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin"
}
as alice start "$T/r.json"
RUN=$(cat "$T/out")
as alice attest "$RUN" a/m
expect_rc 0 "alice attests a/m"
as bob sign "$RUN" a --meaning reviewed
expect_rc 0 "bob reviews a"
expect_in out "gate passed" "the gate passes"
as bob attest "$RUN" a/m
expect_rc 1 "bob attesting a/m again asks first"
expect_in err "(reviewed by bob)" "names the signer by the meaning the gate counts"
expect_in err "unless one who signed it runs it: its policy is independent" \
	"says the gate reopens when a signer re-checks it under an independent policy"
as bob attest "$RUN" a/m --yes
expect_rc 0 "bob re-checks a/m"
run "$CS" status "$RUN"
expect_in out "[open] a" "the gate reopened, as the question said"
expect_not_in out "the gate stays passed" "status does not say the gate stayed passed"
expect_in out "same verdict; the gate is not passed now" "status says the gate is not passed after the re-check"
as carol attest "$RUN" b/m
expect_rc 1 "b is locked again"
finish
