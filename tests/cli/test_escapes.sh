#!/bin/sh
# Text from outside the program never drives the terminal: titles from a
# checklist, run titles, names, comments, reasons and a check's output reach
# it without escape sequences or control characters, in plain text always
# and on a terminal for JSON and a check's output; control characters are
# refused in full names when an engineer registers.
. "$(dirname "$0")/lib.sh"

DB=$(db_new cs)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
PY=$(command -v /usr/bin/python3 || command -v python3)
PTY="$SRC/tests/cli/pty_run.py"
mkdir fx && cp "$SRC"/tests/cli/fixtures/*.json fx/
ESC=$(printf '\033')
HOSTILE=$(printf 'A\033]0;PWNED\033\\\033[31mRED')

by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin"
}

add_engineer() {
	printf 'pin-%s-1\n' "$1" | "$CS" engineer add "$1" --full-name "$2" --pin-stdin >/dev/null
}

# expect_clean out|err|FILE DESC: valid UTF-8 with no control character
# but newline and tab (no ESC, BEL, C1 control, DEL).
expect_clean() {
	f=$1
	case $f in /*) ;; *) f=$T/$1 ;; esac
	if "$PY" - "$f" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError:
    sys.exit(1)
sys.exit(1 if any((ord(c) < 32 and c not in "\n\t") or 0x7f <= ord(c) < 0xa0 for c in text) else 0)
EOF
	then ok; else fail "$2: $1 has control characters: $(od -c "$f" | grep -m3 '\\033\|\\a\|302')"; fi
}

# on_tty INPUT COMMAND ARGS...: runs the command on a terminal; output in
# $T/tty, status in $rc.
on_tty() {
	printf '%s' "$1" >"$T/typed"
	shift
	"$PY" "$PTY" "$T/typed" "$T/tty" "$@"
	rc=$?
}

# --- registration refuses control characters ----------------------------------
printf 'pin-alice-1\n' >"$T/pin"
run "$CS" engineer add alice --full-name "$HOSTILE" --pin-stdin <"$T/pin"
expect_rc 2 "a full name with escape sequences is refused"
expect_in err "control characters" "the refusal says why"
run "$CS" engineer add alice --full-name "$(printf 'Alice\tExample')" --pin-stdin <"$T/pin"
expect_rc 2 "a full name with a tab is refused"
run "$CS" engineer add alice --full-name "$(printf 'Alice \302\233Example')" --pin-stdin <"$T/pin"
expect_rc 2 "a full name with a C1 control is refused"
run "$CS" engineer add alice --full-name "$(printf 'Alice \351')" --pin-stdin <"$T/pin"
expect_rc 2 "a full name that is not UTF-8 is refused"
run "$CS" engineer add "$(printf 'a\033[2J')" --full-name "Alice" --pin-stdin <"$T/pin"
expect_rc 2 "a short name with an escape sequence is refused"
expect_clean err "the refusal quotes the short name without its escape sequence"
n=0
[ -e "$DB" ] && n=$(db_sql "$DB" "select count(*) from engineers")
if [ "$n" = 0 ]; then ok; else fail "nothing was registered by the refusals: $n engineers"; fi

run "$CS" engineer add alice --full-name "Zoë Ålice-日本" --pin-stdin <"$T/pin"
expect_rc 0 "a full name in UTF-8 is registered"
expect_in out "Zoë Ålice-日本" "UTF-8 is kept as it is"
add_engineer bob "Bob Example"

# a name stored by an older version or another tool is still shown safely
if [ "$ENGINE" = sqlite ]; then chr=char; else chr=chr; fi
db_sql "$DB" "INSERT INTO engineers (name, full_name, pin_hash, created_us) VALUES ('mallory', 'M' || $chr(27) || ']0;PWNED' || $chr(7) ||
	$chr(27) || '[31mRED' || $chr(10) || 'forged', 'x', 0)"
run "$CS" engineer list
expect_rc 0 "engineer list"
expect_clean out "engineer list"
expect_in out "MRED^Jforged" "a stored full name keeps its text, a newline shown as ^J"
expect_in out "Zoë Ålice-日本" "engineer list keeps UTF-8"
run "$CS" engineer list --json
expect_in out '\u001b]0;PWNED\u0007' "engineer list --json to a pipe keeps the exact value, escaped by JSON"

# --- runs and status ------------------------------------------------------------
TITLE=$(printf 'Deploy \033]0;PWNED-TITLE\007\033[2Jnow \302\233x')
printf 'pin-alice-1\n' >"$T/pin"
export TOKEN=s3cr3t-from-env
run "$CS" start fx/hostile.json --engineer alice --title "$TITLE" --pin-stdin <"$T/pin"
expect_rc 0 "start with a hostile title"
R=$(cat "$T/out")

run "$CS" runs
expect_rc 0 "runs"
expect_clean out "runs"
expect_in out "Deploy now ?x" "runs shows the title without its escape sequences"

run "$CS" status "$R"
expect_rc 0 "status"
expect_clean out "status"
expect_in out "Hostile list" "the checklist title without its escape sequence"
expect_in out "Section RED" "the section title without its colours"
expect_in out "Item link" "the item title without its hyperlink"
expect_in out "Phase cleared" "the phase without its clear-screen"

# comments, reasons and messages
by bob sign "$R" s1 --reject --comment "$(printf 'bad \033[8mhidden\033[0m\r\nforged: approve')"
expect_rc 0 "a rejection with a hostile comment"
expect_clean out "sign"
run "$CS" status "$R"
expect_clean out "status with a comment"
expect_in out "bad hidden^M^Jforged: approve" "the comment stays on its line, controls shown"
run "$CS" status "$(printf 'no\033]0;PWNED\007run')"
expect_rc 2 "an unknown run"
expect_clean err "the error quotes the run id without its escape sequence"

# JSON: exact to a pipe (cJSON escapes controls), sanitised on a terminal
run "$CS" status "$R" --json
expect_rc 0 "status --json"
if "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["title"] == sys.argv[2] else 1)' \
	"$T/out" "$TITLE"; then ok; else fail "status --json to a pipe keeps the exact title"; fi
on_tty "" "$CS" status "$R" --json
expect_rc 0 "status --json on a terminal"
expect_clean "$T/tty" "status --json on a terminal"
if "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/tty"; then ok; else
	fail "status --json on a terminal is still JSON"; fi
on_tty "" "$CS" runs --json
expect_clean "$T/tty" "runs --json on a terminal"

# --- a check's output -------------------------------------------------------------
on_tty "pin-alice-1
" "$CS" check "$R" s1/echo --engineer alice --pin-stdin
expect_rc 0 "check on a terminal"
expect_clean "$T/tty" "a check's output on a terminal"
expect_in tty "out  ? done" "the output keeps its text, the C1 control as ?"
expect_in tty "pass: s1/echo" "the verdict line"
by alice check "$R" s1/echo
expect_rc 0 "check to a pipe"
if grep -qF "${ESC}]0;PWNED-OUTPUT" "$T/out"; then ok; else
	fail "a check's output to a pipe is the command's own bytes"; fi

# --- lint -------------------------------------------------------------------------
cat >fx/unknown.json <<'EOF'
{"countersign": 1, "id": "x", "title": "X \u001b[31mred", "e\u001b]0;PWNED\u0007": 1,
 "sections": [{"id": "s", "title": "S \u001b[2J", "items": [{"id": "i", "title": "I", "kind": "manual"}]}]}
EOF
run "$CS" lint fx/unknown.json --outline
expect_rc 0 "lint with an unknown field"
expect_clean out "lint --outline"
expect_clean err "lint's warnings"
expect_in err "warning" "the warning is printed"
run "$CS" lint fx/hostile.json --outline
expect_clean out "lint --outline of the hostile checklist"

# --- abort reason -----------------------------------------------------------------
by alice abort "$R" --reason "$(printf 'done \033]0;PWNED\007here')"
expect_rc 0 "abort"
expect_clean out "abort"
run "$CS" status "$R"
expect_clean out "status of an aborted run"
expect_in out ": done here" "the reason without its escape sequence"
expect_in out "aborted by alice at 20" "status says who aborted the run and when (full time)"

finish
