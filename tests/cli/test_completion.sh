#!/bin/sh
# The bash completion (data/completion/countersign.bash), sourced in bash and
# called as bash calls it (COMP_WORDS, COMP_CWORD): the commands and options
# that `countersign --help` and `countersign help COMMAND` name, the values of
# --format, the run ids, sections, SECTION/ITEM and engineers of a real
# database (also one named with --db), checklist and runbook file names; and nothing,
# with nothing printed, when the database is missing.
. "$(dirname "$0")/lib.sh"

COMPLETION=$SRC/data/completion/countersign.bash
mkdir -p "$T/bin"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$CS" >"$T/bin/countersign"
chmod +x "$T/bin/countersign"
export PATH="$T/bin:$PATH" COUNTERSIGN_TEST_PIN_COST=min

# complete WORD...: the candidates for the last WORD (the one being
# completed), sorted, one a line, in $T/out; what bash printed in $T/err.
complete_words() {
	bash -c '
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_countersign
		printf "%s\n" "${COMPREPLY[@]}"' sh "$COMPLETION" countersign "$@" >"$T/out.raw" 2>"$T/err"
	rc=$?
	grep -v '^$' "$T/out.raw" | LC_ALL=C sort >"$T/out"
}

# sorted WORD...: WORDs one a line, sorted as complete_words sorts.
sorted() {
	printf '%s\n' "$@" | LC_ALL=C sort
}

# Commands: exactly those --help lists, and `help COMMAND` takes them too.
"$CS" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }' |
	{ cat; echo help; } | LC_ALL=C sort >"$T/commands"
[ -s "$T/commands" ] && ok || fail "no commands read from --help"
complete_words ""
expect_rc 0 "complete a command"
expect_eq "$(cat "$T/out")" "$(cat "$T/commands")" "the commands"
expect_eq "$(cat "$T/err")" "" "completing prints nothing"
complete_words st
expect_eq "$(cat "$T/out")" "$(sorted start status)" "commands starting with st"
complete_words help ch
expect_eq "$(cat "$T/out")" "$(sorted check checkpoint choose)" "help COMMAND"
complete_words --
expect_eq "$(cat "$T/out")" "$(sorted --db --help --version)" "global options"

# Each command's options: at least those of its usage line, at most those
# its help names anywhere (alternative forms: check --recover...), and --help.
flags() {
	grep -oE -- '(^|[^a-z-])--?[a-z][a-z-]*' | sed 's/^[^-]*//' | LC_ALL=C sort -u
}
for cmd in $(grep -v '^help$' "$T/commands"); do
	"$CS" help "$cmd" >"$T/help"
	{ head -n 1 "$T/help" | flags; echo --help; } | LC_ALL=C sort -u >"$T/least"
	{ flags <"$T/help"; echo --help; } | LC_ALL=C sort -u >"$T/most"
	if [ "$cmd" = engineer ]; then
		complete_words engineer add -
		cp "$T/out" "$T/got"
		complete_words engineer list -
		cat "$T/out" >>"$T/got"
		complete_words engineer pin -
		cat "$T/out" >>"$T/got"
		complete_words engineer role -
		cat "$T/out" >>"$T/got"
	else
		complete_words "$cmd" -
		cp "$T/out" "$T/got"
	fi
	LC_ALL=C sort -u "$T/got" -o "$T/got"
	expect_eq "$(LC_ALL=C comm -23 "$T/least" "$T/got" | tr '\n' ' ')" "" "options of $cmd's usage missing"
	expect_eq "$(LC_ALL=C comm -13 "$T/most" "$T/got" | tr '\n' ' ')" "" "options of $cmd its help does not name"
done
complete_words engineer ""
expect_eq "$(cat "$T/out")" "$(sorted add list pin role)" "engineer add|role|pin|list"
complete_words export RUN --format ""
expect_eq "$(cat "$T/out")" "$(sorted html json junit md)" "--format values"
complete_words export RUN --format = j
expect_eq "$(cat "$T/out")" "$(sorted json junit)" "--format=j"
complete_words audit --kind pin_
expect_eq "$(cat "$T/out")" "$(sorted pin_changed pin_failed pin_locked)" "--kind values"

# No database yet: nothing to offer, nothing printed, nothing created.
DB=$(db_new cs)
export COUNTERSIGN_DB="$DB"
for words in "status" "check" "verify" "sign --engineer" "open --run"; do
	# shellcheck disable=SC2086 # the words split on purpose
	complete_words $words ""
	expect_rc 0 "complete $words without a database"
	expect_eq "$(cat "$T/out")" "" "complete $words without a database: no candidate"
	expect_eq "$(cat "$T/err")" "" "complete $words without a database: nothing printed"
done
complete_words audit --run ""
expect_eq "$(cat "$T/out")" "engineers" "audit --run without a database: the engineers chain alone"
expect_eq "$(cat "$T/err")" "" "audit --run without a database: nothing printed"
if db_absent "$DB"; then ok; else fail "completing created the database"; fi

# A real database: two engineers, an open run and an aborted one.
cat >"$T/deploy.json" <<'EOF'
{"countersign": 1, "id": "comp", "title": "Completion",
 "sections": [
  {"id": "prep", "title": "Prep", "items": [
    {"id": "build", "title": "Build", "kind": "command", "run": "true"},
    {"id": "review", "title": "Review", "kind": "manual"}]},
  {"id": "ship", "title": "Ship", "items": [
    {"id": "deploy", "title": "Deploy", "kind": "command", "run": "true"}]}]}
EOF
printf '123456\n' | "$CS" engineer add alice --full-name Alice --pin-stdin >/dev/null 2>&1
printf '654321\n' | "$CS" engineer add bob --full-name Bob --pin-stdin >/dev/null 2>&1
OPEN=$(printf '123456\n' | "$CS" start "$T/deploy.json" --engineer alice --pin-stdin 2>/dev/null)
DONE=$(printf '123456\n' | "$CS" start "$T/deploy.json" --engineer alice --pin-stdin 2>/dev/null)
printf '123456\n' | "$CS" abort "$DONE" --engineer alice --reason done --pin-stdin >/dev/null 2>&1
[ -n "$OPEN" ] && [ -n "$DONE" ] && [ "$OPEN" != "$DONE" ] && ok || fail "two runs started"

complete_words status ""
expect_eq "$(cat "$T/out")" "$(sorted "$OPEN" "$DONE")" "status RUN: every run"
complete_words export "$(printf %.3s "$OPEN")"
expect_in out "$OPEN" "export RUN by its first letters"
complete_words check ""
expect_eq "$(cat "$T/out")" "$OPEN" "check RUN: the open runs"
complete_words audit --run ""
expect_eq "$(cat "$T/out")" "$(sorted "$OPEN" "$DONE" engineers)" "audit --run"
complete_words check "$OPEN" ""
expect_eq "$(cat "$T/out")" "$(sorted prep/build prep/review ship/deploy)" "check RUN SECTION/ITEM"
complete_words check --engineer alice "$OPEN" pr
expect_eq "$(cat "$T/out")" "$(sorted prep/build prep/review)" "check RUN after an option, by prefix"
complete_words sign "$OPEN" ""
expect_eq "$(cat "$T/out")" "$(sorted prep ship)" "sign RUN SECTION"
complete_words note "$OPEN" s
expect_eq "$(cat "$T/out")" "$(sorted ship ship/deploy)" "note RUN SECTION[/ITEM]"
complete_words sign "$OPEN" prep --engineer ""
expect_eq "$(cat "$T/out")" "$(sorted alice bob)" "--engineer NAME"
complete_words audit --engineer ""
expect_eq "$(cat "$T/out")" "$(sorted alice bob system)" "audit --engineer"
complete_words check "$OPEN" prep/build ""
expect_eq "$(cat "$T/out")" "" "nothing after SECTION/ITEM"
expect_eq "$(cat "$T/err")" "" "completing a real database prints nothing"

# --db on the command line names the database, wherever it stands.
if [ "$ENGINE" = sqlite ]; then
	OTHER=$T/other.db
	mv "$DB" "$OTHER"
	rm -f "$DB-wal" "$DB-shm"
else
	OTHER=$DB
	DB=$(db_new moved)
	COUNTERSIGN_DB=$DB
fi
complete_words status ""
expect_eq "$(cat "$T/out")" "" "the database moved away"
complete_words --db "$OTHER" status ""
expect_eq "$(cat "$T/out")" "$(sorted "$OPEN" "$DONE")" "--db PATH status RUN"
# bash splits --db=PATH at the = (COMP_WORDBREAKS)
complete_words status --db = "$OTHER" ""
expect_eq "$(cat "$T/out")" "$(sorted "$OPEN" "$DONE")" "status --db=PATH RUN"
if db_absent "$DB"; then ok; else fail "completing created the database"; fi

# File names: checklists for open, start and lint; folders to go into.
mkdir -p "$T/lists"
: >"$T/lists/a.json"
: >"$T/lists/b.txt"
complete_words lint "$T/lists/"
expect_eq "$(cat "$T/out")" "$T/lists/a.json" "lint FILE: .json files"
complete_words open "$T/li"
expect_eq "$(cat "$T/out")" "$T/lists" "open: folders"
complete_words start "$T/deploy.json" --var-file "$T/lists/b"
expect_eq "$(cat "$T/out")" "$T/lists/b.txt" "--var-file FILE: any file"
: >"$T/lists/c.md"
complete_words import "$T/lists/"
expect_eq "$(cat "$T/out")" "$T/lists/c.md" "import FILE: .md files"
complete_words import "$T/lists/c.md" -o "$T/lists/a"
expect_eq "$(cat "$T/out")" "$T/lists/a.json" "import -o FILE: any file"

finish
