#!/bin/sh
# countersign import on a runbook written by another team, read where it
# lies (../shared/runbooks/noa-server-deploy.md beside the source tree; the
# test is skipped, exit 77, without it): the checklist lints clean; every
# heading, checkbox and code block of the runbook, counted by cmark-gfm, is
# in the checklist or named on standard error at its line
# (import_account.py); the Blue-Green, Canary and Rolling procedures are
# reported as a likely choice; no command runs with a <PLACEHOLDER> in it.
. "$(dirname "$0")/lib.sh"

NOA=$SRC/../shared/runbooks/noa-server-deploy.md
if [ ! -f "$NOA" ]; then
	printf 'skipped: %s is not there\n' "$NOA" >&2
	exit 77
fi
if ! command -v cmark-gfm >/dev/null 2>&1; then
	printf 'skipped: cmark-gfm (Debian package cmark-gfm) counts the runbook independently\n' >&2
	exit 77
fi

before=$(sha256sum <"$NOA")
run timeout 60 "$CS" import "$NOA"
expect_rc 0 "import the NOA runbook"
cp "$T/out" "$T/noa.json"
cp "$T/err" "$T/noa.err"

"$CS" lint "$T/noa.json" >"$T/lint.out" 2>"$T/lint.err"
expect_eq "$?" 0 "the NOA checklist lints"
expect_eq "$(grep -c 'error' "$T/lint.err")" 0 "the NOA checklist lints without an error"
expect_in lint.out "ok," "lint says ok"

# Every part accounted for.
python3 "$SRC/tests/cli/import_account.py" "$NOA" "$T/noa.json" "$T/noa.err" >"$T/account" 2>&1
account_rc=$?
printf 'NOA runbook: %s\n' "$(head -n 1 "$T/account")" >&2
if [ "$account_rc" -eq 0 ]; then ok; else fail "parts not accounted for: $(cat "$T/account")"; fi

# The three alternative procedures, reported on one line as a choice.
if grep -i 'choice' "$T/noa.err" | grep 'Blue-Green' | grep 'Canary' | grep -q 'Rolling'; then ok
else fail "no line reports the Blue-Green / Canary / Rolling choice"; fi

# Messages at lines of the runbook, the summary last.
bad=$(sed '$d' "$T/noa.err" | grep -vcE "^$NOA(:[1-9][0-9]*)?: (warning|skipped|note): ")
expect_eq "$bad" 0 "each message is FILE:LINE: kind: text"
if tail -n 1 "$T/noa.err" | grep -qE "^$NOA: imported [0-9]+ sections"; then ok; else fail "the summary last"; fi
lines=$(wc -l <"$NOA")
beyond=$(sed '$d' "$T/noa.err" | sed -n "s|^$NOA:\([0-9]*\): .*|\1|p" | awk -v n="$lines" '$1 > n' | wc -l)
expect_eq "$beyond" 0 "every message's line is in the runbook"

# No command keeps a placeholder such as <pod-name>: in the NOA runbook they
# are all in scripts of several lines (runs that are arrays).
python3 "$SRC/tests/cli/import_runs.py" "$T/noa.json" >"$T/placeholders" 2>&1
expect_eq "$(cat "$T/placeholders")" "" "no command runs with a <PLACEHOLDER>"

# The documents quote this import's summary: they say what it gives now.
summary=$(tail -n 1 "$T/noa.err" | sed "s|^$NOA: ||")
for doc in docs/importing.md docs/cli.md; do
	quoted=$(grep -o 'imported [0-9]* sections, [0-9]* items ([^)]*), [0-9]* variables\{0,1\}; skipped [0-9]* parts\{0,1\}' \
		"$SRC/$doc" | sort -u)
	expect_eq "$quoted" "$summary" "$doc quotes the NOA import's summary"
done

# The runbook was read in place, not changed.
expect_eq "$(sha256sum <"$NOA")" "$before" "the runbook is unchanged"

finish
