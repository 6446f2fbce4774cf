#!/bin/sh
# audit (and the other --json outputs) with hostile text: bytes that are not
# UTF-8 are refused when typed and, in a record made before that rule, must
# not make the JSON unreadable; escape sequences and C1 controls must not
# reach the terminal through a line; and a careless command line: an option
# given without its value is said to need one.
. "$(dirname "$0")/lib.sh"

DB=$(db_new cs)
export COUNTERSIGN_DB="$DB" COUNTERSIGN_TEST_PIN_COST=min

# py_json FILE DESC: FILE parses as one JSON document (Python's json module
# reads the bytes as UTF-8 and refuses anything else).
py_json() {
	if python3 -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$1" \
		2>"$T/py.err"; then
		ok
	else
		fail "$2: $(tail -n 1 "$T/py.err")"
	fi
}

cat >"$T/adv.json" <<'EOF'
{
  "countersign": 1,
  "id": "adv",
  "title": "Adversary",
  "sections": [
    {"id": "one", "title": "One", "items": [
      {"id": "say", "title": "Say something", "kind": "command", "run": "echo said"}
    ]}
  ]
}
EOF
printf 'pin-alice-1\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null 2>&1
# a title and a note that are not UTF-8 (a Latin-1 terminal, a mangled paste):
# refused before anything is recorded, naming the field and the byte, the
# same on both engines (PostgreSQL's text columns would refuse them with the
# server's own error).
as alice start "$T/adv.json" --title "$(printf 'caf\351 \377\376 run')"
expect_rc 2 "start with a title that is not UTF-8 is refused"
expect_in err "countersign: start: --title is not valid UTF-8 (byte offset 3)" "the message names --title and the byte"
expect_not_in err "invalid byte sequence" "not the server's error"
run "$CS" runs --all --json
expect_eq "$(grep -c '"id"' "$T/out")" 0 "the refused start recorded no run"
as alice start "$T/adv.json" --title "Adversary run"
expect_rc 0 "start"
R=$(cat "$T/out")
as alice note "$R" "$(printf 'overlong \300\257 surrogate \355\240\200 cut \342\202')"
expect_rc 2 "a note that is not UTF-8 is refused"
expect_in err "countersign: note: the note's TEXT is not valid UTF-8 (byte offset 9)" "the message names the note and the byte"
expect_not_in err "invalid byte sequence" "not the server's error"
as alice note "$R" "$(printf 'escapes \033]0;pwned\007 \033[2J csi-c1 \302\233 31m bell \007 end')"
expect_rc 0 "a note with escape sequences"
run "$CS" audit --run "$R" --kind note --json
expect_eq "$(grep -c '"seq":' "$T/out")" 1 "the refused note recorded nothing"

# json_checks RUN WHAT: the --json outputs about RUN are UTF-8 JSON.
json_checks() {
	run "$CS" audit --json
	expect_rc 0 "audit --json ($2)"
	cp "$T/out" "$T/audit.json"
	py_json "$T/audit.json" "audit --json is UTF-8 JSON ($2)"
	run "$CS" audit --json --run "$1" --kind note
	expect_rc 0 "audit --json --run --kind note ($2)"
	cp "$T/out" "$T/notes.json"
	py_json "$T/notes.json" "audit --json of the notes is UTF-8 JSON ($2)"
	run "$CS" runs --all --json
	expect_rc 0 "runs --all --json ($2)"
	cp "$T/out" "$T/runs.json"
	py_json "$T/runs.json" "runs --all --json is UTF-8 JSON ($2)"
	run "$CS" status "$1" --json
	expect_rc 0 "status --json ($2)"
	cp "$T/out" "$T/status.json"
	py_json "$T/status.json" "status --json is UTF-8 JSON ($2)"
}

# --- a record made before countersign held to UTF-8 -----------------------------
# A SQLite record of then may hold such text (the test program's
# COUNTERSIGN_TEST_LEGACY_TEXT records as it did): it still reads, verifies
# and exports, its JSON is UTF-8 JSON; a copy to PostgreSQL stops naming the
# event, never with the server's error.
OLD="$T/old.db"
(
	export COUNTERSIGN_DB="$OLD" COUNTERSIGN_TEST_LEGACY_TEXT=1
	printf 'pin-alice-1\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null 2>&1
	as alice start "$T/adv.json" --title "$(printf 'caf\351 \377\376 run')"
	[ "$rc" -eq 0 ] || exit 1
	cat "$T/out" >"$T/old-run"
	as alice note "$(cat "$T/old-run")" "$(printf 'overlong \300\257 surrogate \355\240\200 cut \342\202')"
	[ "$rc" -eq 0 ]
)
expect_eq "$?" 0 "a record of then holds a title and a note that are not UTF-8"
RO=$(cat "$T/old-run")
COUNTERSIGN_DB="$OLD" json_checks "$RO" "a record of then"
expect_in audit.json "$(printf 'caf\357\277\275 \357\277\275\357\277\275 run')" \
	"each byte that is not UTF-8 is U+FFFD"
run env COUNTERSIGN_DB="$OLD" "$CS" verify "$RO"
expect_rc 0 "a record of then verifies"
for f in md json html; do
	run env COUNTERSIGN_DB="$OLD" "$CS" export "$RO" --format "$f" -o "$T/old.$f"
	expect_rc 0 "a record of then exports as $f"
done
py_json "$T/old.json" "its JSON export is UTF-8 JSON"
if [ "$ENGINE" = pg ]; then
	TO=$(db_new copy)
	run "$CS" db copy "$OLD" "$TO"
	expect_rc 1 "a copy of a record of then to PostgreSQL is refused"
	expect_in err "cannot copy event 1 (run_started) of $RO to PostgreSQL: its payload field \"title\" is not valid UTF-8 (byte offset 3)" \
		"the message names the event, the field and the byte"
	expect_not_in err "invalid byte sequence" "not the server's error"
	run env COUNTERSIGN_DB="$TO" "$CS" db info
	expect_in out "no record yet" "nothing of the copy was kept"
else
	run "$CS" db copy "$OLD" "$T/old-copy.db"
	expect_rc 0 "a record of then copies to another SQLite file"
	run env COUNTERSIGN_DB="$T/old-copy.db" "$CS" verify "$RO"
	expect_rc 0 "the copy verifies"
fi

# --- JSON stays JSON ------------------------------------------------------------
json_checks "$R" "escapes"
# valid text is kept exactly: a C1 control and ESC stay escaped, as JSON has them
expect_in notes.json '\u001b]0;pwned\u0007' "an escape sequence is kept, escaped, in JSON"

# --- a line for people holds no control ----------------------------------------
run "$CS" audit --run "$R"
expect_rc 0 "audit --run"
if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$T/out"; then
	fail "an audit line holds a control byte"
else
	ok
fi
if LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$T/out"; then
	fail "an audit line holds a C1 control"
else
	ok
fi

# --- an option without its value ------------------------------------------------
run "$CS" audit --since
expect_rc 2 "audit --since without a date"
expect_in err "countersign: audit: --since needs a value" "the message says the value is missing"
run "$CS" audit --run "$R" --engineer
expect_rc 2 "audit --engineer without a name"
expect_in err "countersign: audit: --engineer needs a value" "the message names the option"
run "$CS" export "$R" --format
expect_rc 2 "export --format without a format"
expect_in err "countersign: export: --format needs a value" "the message names --format"
run "$CS" export "$R" --format md -o
expect_rc 2 "export -o without a file"
expect_in err "countersign: export: -o needs a value" "the message names -o"
run "$CS" audit --bogus
expect_rc 2 "an unknown option"
expect_in err "countersign: audit: unknown option \"--bogus\"" "the message says it is unknown"
expect_not_in err "value missing" "an unknown option is not a missing value"
run "$CS" audit -x
expect_rc 2 "an unknown short option"
expect_in err "countersign: audit: unknown option \"-x\"" "the message says -x is unknown"

# --- a quote inside a comment cannot imitate another field of the line ----------
as alice note "$R" 'fine"; reason "approved by the CISO'
expect_rc 0 "a note holding a quote"
run "$CS" audit --run "$R" --kind note
expect_in out 'text "fine\"; reason \"approved by the CISO"' "quotes inside the text are escaped"
expect_not_in out 'text "fine"; reason' "the note does not end where its quote is"

finish
