#!/bin/sh
# Text countersign makes from what it does not control (a check's output,
# the folder it was told to run in, an error quoting either) is made valid
# UTF-8 before it is recorded, each byte that is not as U+FFFD, the same on
# both engines: the result lands (PostgreSQL's text columns refuse anything
# else, and the interface would hold it forever), the exact output stays in
# the evidence, and verify passes.
. "$(dirname "$0")/lib.sh"

DB=$(db_new cs)
export COUNTERSIGN_DB="$DB" COUNTERSIGN_TEST_PIN_COST=min

cat >"$T/bytes.json" <<'EOF2'
{
  "countersign": 1,
  "id": "bytes",
  "title": "Bytes",
  "environment": ["WORKDIR"],
  "sections": [
    {"id": "one", "title": "One", "items": [
      {"id": "latin", "title": "Latin-1 output", "kind": "command",
       "run": "printf 'caf\\351 \\377\\376 out\\n'; exit 1"},
      {"id": "where", "title": "In a folder named in Latin-1", "kind": "command", "run": "true",
       "cwd": "${WORKDIR}"}
    ]}
  ]
}
EOF2
# a folder whose name is not UTF-8 (taken from the environment, as a run
# may): the check_started payload names it, and the failure's message
# quotes it
WORKDIR=$(printf '%s/caf\351-missing' "$T")
export WORKDIR
printf 'pin-alice-1\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null 2>&1
as alice start "$T/bytes.json"
expect_rc 0 "start"
R=$(cat "$T/out")

# output that is not UTF-8, and a failure
as alice check "$R" one/latin
expect_rc 1 "a check whose output is not UTF-8 fails, recorded"
expect_not_in err "invalid byte sequence" "not the server's error"
as alice check "$R" one/where
expect_rc 1 "a check whose folder name is not UTF-8 fails, recorded"
expect_in out "cannot change to working directory" "the failure says why"
expect_not_in err "invalid byte sequence" "not the server's error"

# what the record holds, as stored: valid UTF-8, U+FFFD where the bytes were
db_sql "$DB" "SELECT payload FROM events WHERE chain = '$R' AND kind IN ('check_started', 'check_finished') \
ORDER BY seq" >"$T/payloads"
expect_eq "$(grep -c . "$T/payloads")" 4 "both checks' starts and results are recorded"
if python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$T/payloads" 2>/dev/null; then
	ok
else
	fail "a recorded payload is not UTF-8: $(od -c "$T/payloads" | head -n 5)"
fi
expect_in payloads "$(printf '"cwd":"%s/caf\357\277\275-missing"' "$T")" "the folder's name is recorded with U+FFFD"
expect_in payloads "$(printf 'cannot change to working directory \\"%s/caf\357\277\275-missing\\"' "$T")" \
	"the failure's message is recorded with U+FFFD"

# the exact output stays in the evidence: its hash is that of the bytes
want=$(printf 'caf\351 \377\376 out\n' | sha256sum | cut -d' ' -f1)
expect_in payloads "\"sha256\":\"$want\"" "the output's hash is that of its exact bytes"
run "$CS" status "$R" --json
expect_rc 0 "status --json"
run "$CS" export "$R" --format md -o "$T/run.md"
expect_rc 0 "export"
run "$CS" verify "$R"
expect_rc 0 "verify passes"

finish
