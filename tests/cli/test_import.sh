#!/bin/sh
# countersign import: the checklist alone on standard output, the messages
# (FILE:LINE: kind: text) and the summary on standard error; -o written whole
# or not at all and never over an existing file without --force; a file that
# cannot be read, a folder and a file too large refused with a clear message.
# test_import_bad.sh: hostile input; test_import_noa.sh: a real runbook.
. "$(dirname "$0")/lib.sh"

# A short runbook with something to say about: a JSON block (kept as
# details, never run) on line 11, a zero-width space in a command on line 16.
cat >"$T/deploy.md" <<'EOF'
# Deploy the shop

## Before

### Checks

- [ ] **Tests pass** on the main branch
- [x] **Change approved** in the ticket

Settings to compare:
```json
{"replicas": 3}
```

```bash
kubectl get pods -n shop@ZWSP@
```

## Ship

### Roll out (5 minutes)

```bash
kubectl rollout restart deployment/shop -n shop
```
EOF
# the zero-width space (U+200B), written so that it shows here
sed -i "s/@ZWSP@/$(printf '\342\200\213')/" "$T/deploy.md"

# Standard output is the checklist and nothing else; it loads and lints.
run "$CS" import "$T/deploy.md"
expect_rc 0 "import a runbook"
if python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/out" 2>/dev/null; then ok
else fail "standard output is JSON alone"; fi
cp "$T/out" "$T/deploy.json"
cp "$T/err" "$T/deploy.err"
"$CS" lint "$T/deploy.json" >"$T/lint.out" 2>"$T/lint.err"
lint_rc=$?
expect_eq "$lint_rc" 0 "the checklist lints"
expect_eq "$(cat "$T/lint.err")" "" "the checklist lints without a warning"
expect_not_in out "warning" "no message on standard output"

# Standard error: every line a message with the file's name and a line (or
# none, about the whole file), the summary last.
F="$T/deploy.md"
if [ "$(wc -l <"$T/deploy.err")" -ge 2 ]; then ok; else fail "messages and a summary on standard error"; fi
bad=$(sed '$d' "$T/deploy.err" | grep -vcE "^$F(:[1-9][0-9]*)?: (warning|skipped|note): [^ ]")
expect_eq "$bad" 0 "each message is FILE:LINE: kind: text"
if tail -n 1 "$T/deploy.err" | grep -qE "^$F: imported [0-9]+ sections?, [0-9]+ items?"; then ok
else fail "the summary is the last line: $(tail -n 1 "$T/deploy.err")"; fi
expect_in deploy.err "$F:11: note:" "the JSON block, at its line"
expect_in deploy.err "$F:16: warning:" "the zero-width space, at its line"
if grep -q '"run": "{' "$T/deploy.json"; then fail "the JSON block is run"; else ok; fi

# - reads standard input; -o - is standard output.
"$CS" import - <"$T/deploy.md" >"$T/stdin.json" 2>"$T/stdin.err"
rc=$?
expect_rc 0 "import - reads standard input"
expect_eq "$(cmp -s "$T/stdin.json" "$T/deploy.json" && echo same)" same "the same checklist from standard input"
run "$CS" import "$T/deploy.md" -o -
expect_rc 0 "-o - "
expect_eq "$(cmp -s "$T/out" "$T/deploy.json" && echo same)" same "-o - is standard output"

# -o FILE: the file holds what standard output would, and standard output
# nothing; no temporary file is left beside it.
mkdir -p "$T/lists"
run "$CS" import -o "$T/lists/deploy.json" "$T/deploy.md"
expect_rc 0 "import -o FILE"
expect_eq "$(cat "$T/out")" "" "nothing on standard output with -o"
expect_eq "$(cmp -s "$T/lists/deploy.json" "$T/deploy.json" && echo same)" same "-o FILE holds the checklist"
expect_eq "$(ls -A "$T/lists")" "deploy.json" "no temporary file left"
expect_eq "$(tail -n 1 "$T/err")" "$(tail -n 1 "$T/deploy.err")" "the summary with -o too"

# An existing FILE is left as it is without --force, and the message says
# how to replace it.
printf 'mine\n' >"$T/lists/deploy.json"
run "$CS" import "$T/deploy.md" -o "$T/lists/deploy.json"
expect_rc 2 "-o over an existing file"
expect_in err "--force" "the refusal names --force"
expect_eq "$(cat "$T/lists/deploy.json")" "mine" "the existing file is untouched"
expect_eq "$(cat "$T/out")" "" "nothing on standard output when refused"
# --force replaces it by a rename (a new inode: never truncated in place),
# keeping its mode.
chmod 640 "$T/lists/deploy.json"
inode=$(stat -c %i "$T/lists/deploy.json")
run "$CS" import "$T/deploy.md" --force -o "$T/lists/deploy.json"
expect_rc 0 "--force replaces the file"
expect_eq "$(cmp -s "$T/lists/deploy.json" "$T/deploy.json" && echo same)" same "--force writes the checklist"
if [ "$(stat -c %i "$T/lists/deploy.json")" != "$inode" ]; then ok; else fail "--force wrote in place"; fi
expect_eq "$(stat -c %a "$T/lists/deploy.json")" 640 "the replaced file keeps its mode"
expect_eq "$(ls -A "$T/lists")" "deploy.json" "no temporary file left after --force"
# never over the runbook itself, even with --force
cp "$T/deploy.md" "$T/keep.md"
run "$CS" import "$T/keep.md" --force -o "$T/keep.md"
expect_rc 2 "-o the runbook itself"
expect_eq "$(cmp -s "$T/keep.md" "$T/deploy.md" && echo same)" same "the runbook is untouched"
# a folder, or a folder that does not exist
run "$CS" import "$T/deploy.md" --force -o "$T/lists"
expect_rc 2 "-o a folder"
expect_in err "folder" "-o a folder: says so"
run "$CS" import "$T/deploy.md" -o "$T/missing/deploy.json"
expect_rc 3 "-o into a missing folder"
expect_in err "$T/missing/deploy.json" "the failure names the file"
# nothing imported: nothing written
: >"$T/empty.md"
run "$CS" import "$T/empty.md" -o "$T/lists/empty.json"
expect_rc 2 "-o with nothing to import"
if [ -e "$T/lists/empty.json" ]; then fail "a file written with nothing imported"; else ok; fi

# Input that cannot be read: exit 3 (or 2 for a folder), a clear message,
# nothing on standard output.
run "$CS" import "$T/nothing-here.md"
expect_rc 3 "a missing runbook"
expect_in err "cannot read $T/nothing-here.md" "a missing runbook: says so"
expect_eq "$(cat "$T/out")" "" "a missing runbook: nothing on standard output"
run "$CS" import "$T/lists"
expect_rc 2 "a folder as the runbook"
expect_in err "is a folder" "a folder as the runbook: says so"
if [ "$(id -u)" -ne 0 ]; then
	cp "$T/deploy.md" "$T/locked.md"
	chmod 000 "$T/locked.md"
	run "$CS" import "$T/locked.md"
	expect_rc 3 "an unreadable runbook"
	expect_in err "Permission denied" "an unreadable runbook: says why"
else
	printf 'skipped as root: an unreadable runbook\n' >&2
fi

# Too large: refused from its size, unread (a sparse 100 GiB file would take
# minutes to read), and from a pipe once past the limit.
truncate -s 100G "$T/huge.md"
run timeout 20 "$CS" import "$T/huge.md"
expect_rc 2 "a 100 GiB runbook"
expect_in err "too large" "a 100 GiB runbook: says so"
head -c 9000000 /dev/zero | tr '\0' 'a' >"$T/nine.md"
"$CS" import - <"$T/nine.md" >"$T/out" 2>"$T/err"
rc=$?
expect_rc 2 "9 MB on standard input"
expect_in err "too large" "9 MB on standard input: says so"

# Usage.
run "$CS" import
expect_rc 2 "no runbook"
expect_in err "usage: countersign import FILE.md" "no runbook: the usage"
run "$CS" import "$T/deploy.md" "$T/keep.md"
expect_rc 2 "two runbooks"
run "$CS" import "$T/deploy.md" --frobnicate
expect_rc 2 "an unknown option"
expect_in err "--frobnicate" "an unknown option: named"
run "$CS" import "$T/deploy.md" -o
expect_rc 2 "-o without a file"
run "$CS" help import
expect_rc 0 "help import"
expect_in out "--force" "help import names --force"

# docs/importing.md shows the unit tests' runbooks and their messages as they
# are (import_docs.py).
if python3 "$SRC/tests/cli/import_docs.py" "$SRC" >"$T/docs" 2>&1; then ok
else fail "docs/importing.md differs from the fixtures: $(tail -n +2 "$T/docs" | head -3)"; fi

# No runbook of the unit tests gives a command that runs with a literal
# <placeholder> (a string or any non-comment line of a script).
n=0
for md in "$SRC"/tests/unit/import/fixtures/*.md; do
	name=$(basename "$md" .md)
	"$CS" import "$md" >"$T/$name.runs.json" 2>/dev/null || continue
	if python3 "$SRC/tests/cli/import_runs.py" "$T/$name.runs.json" >"$T/$name.runs" 2>&1; then ok
	else fail "fixture $name runs a placeholder: $(head -3 "$T/$name.runs")"; fi
	n=$((n + 1))
done
[ "$n" -ge 20 ] && ok "$n fixtures without a placeholder to run" || fail "only $n fixtures imported"

# Every runbook of the unit tests, counted by another reader (cmark-gfm):
# each heading, checkbox and code block is in the checklist or in a message.
if command -v cmark-gfm >/dev/null 2>&1; then
	n=0
	for md in "$SRC"/tests/unit/import/fixtures/*.md; do
		[ -f "${md%.md}.json" ] || continue
		name=$(basename "$md" .md)
		"$CS" import "$md" >"$T/$name.json" 2>"$T/$name.err"
		if python3 "$SRC/tests/cli/import_account.py" "$md" "$T/$name.json" "$T/$name.err" >"$T/$name.account" 2>&1; then
			ok "fixture $name: every part accounted for"
		else
			fail "fixture $name: $(grep 'not accounted' "$T/$name.account" | head -3)"
		fi
		n=$((n + 1))
	done
	[ "$n" -ge 20 ] && ok "$n fixtures accounted" || fail "only $n fixtures found"
else
	echo "cmark-gfm is absent: fixtures not counted"
fi

finish
