#!/bin/sh
# What the commands print cannot be forged or lost: a reader that goes away
# (a closed pipe) ends a command with exit 3 and a message instead of a silent
# SIGPIPE death, and text from a checklist or the command line cannot start a
# line of its own that reads like another message or diagnostic.
. "$(dirname "$0")/lib.sh"

DB=$(db_new cs)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
mkdir fx && cp "$SRC"/tests/cli/fixtures/gates.json fx/
rc=0
printf 'pin-alice-1\n' >"$T/pin"
"$CS" engineer add alice --full-name "Alice Example" --pin-stdin <"$T/pin" >/dev/null

# --- a closed pipe -----------------------------------------------------------------
# into_closed_pipe CMD...: CMD with its standard output a pipe whose reading
# end was closed before CMD started (so its first write fails, however busy
# the machine), SIGPIPE at its default; CMD's exit status in $T/rc.
into_closed_pipe() {
	/usr/bin/python3 -c 'import os, subprocess, sys
r, w = os.pipe()
os.close(r)
sys.exit(subprocess.call(sys.argv[1:], stdout=w))' "$@"
	echo $? >"$T/rc"
}
# The reader is gone before the command writes: the write fails.
into_closed_pipe "$CS" start fx/gates.json --engineer alice --pin-stdin <"$T/pin" 2>"$T/err"
expect_eq "$(cat "$T/rc")" 3 "start into a closed pipe: exit 3, not death by SIGPIPE"
expect_in err "was started, but its id could not be written" "start names the run it made"
R=$(db_sql "$DB" "select id from runs limit 1")
for cmd in "status $R" "runs --all" "verify" "engineer list" "lint fx/gates.json --outline"; do
	# shellcheck disable=SC2086
	into_closed_pipe "$CS" $cmd 2>"$T/err"
	expect_eq "$(cat "$T/rc")" 3 "$cmd into a closed pipe: exit 3"
	expect_in err "cannot write to standard output" "$cmd into a closed pipe says so"
done

# --- no forged lines -----------------------------------------------------------------
/usr/bin/python3 -c '
import json, sys
doc = {"countersign": 1, "id": "lines", "title": "Title\nfx/fake.json:1:1: error: forged",
       "sections": [{"id": "s", "title": "S\ncountersign: verify: ok", "bogus\nFAKE: ok": 1,
                     "items": [{"id": "i", "title": "I\r\n  command  forged", "kind": "manual"}]}]}
json.dump(doc, open(sys.argv[1], "w"))' fx/hostile-lines.json
run "$CS" lint fx/hostile-lines.json
if grep -q '^FAKE' "$T/err"; then fail "a key with a newline stays on its diagnostic's line"; else ok; fi
if grep -v '^fx/hostile-lines.json' "$T/err" | grep -q .; then
	fail "every diagnostic line starts with the file name"
else
	ok
fi
run "$CS" lint fx/hostile-lines.json --outline
if grep -qE '^(fx/fake.json|countersign: verify|  command  forged)' "$T/out"; then
	fail "lint --outline prints titles on lines of their own"
else
	ok
fi
run "$CS" status "$(printf 'x\ncountersign: verify: ok')"
if grep -q '^countersign: verify: ok' "$T/err"; then fail "an argument starts a line of its own"; else ok; fi
finish
