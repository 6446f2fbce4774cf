#!/bin/sh
# export --format html and --format junit of the shared finished run
# (report_fixture.sh), read back with Python's html.parser and
# xml.etree.ElementTree (check_export.py): nothing outside the file, no
# script, the sign-off table, FORCED, stale, the rejection and the waiver
# marked; one testcase per item with failures and skips in their places and
# the signatures as properties; the secret's value in neither.
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/cli/report_fixture.sh"

PY=/usr/bin/python3
DB=$(db_new cs)
R=$(report_fixture_run "$DB") || exit 1
export COUNTERSIGN_DB="$DB"

run "$CS" export "$R" --format html -o "$T/report.html"
expect_rc 0 "export --format html -o FILE"
expect_eq "$(wc -c <"$T/out")" 0 "nothing on stdout with -o"
run "$CS" export "$R" --format junit -o "$T/report.xml"
expect_rc 0 "export --format junit -o FILE"

# the parsers' checks, each counted here
"$PY" "$SRC/tests/cli/check_export.py" fixture "$T/report.html" "$T/report.xml" "$REPORT_SECRET" >"$T/out" 2>"$T/err"
rc=$?
expect_rc 0 "the reports read back with html.parser and ElementTree"
cat "$T/err" >&2
checks=$(sed -n 's/^\([0-9]*\) passed, 0 failed$/\1/p' "$T/out")
expect_eq "$([ "${checks:-0}" -ge 60 ] && echo many)" many "the parsers ran their checks (${checks:-none})"

# the secret never reaches either file, nor standard output
expect_not_in out "$REPORT_SECRET" "no secret in the checker's output"
cp "$T/report.html" "$T/out"
expect_not_in out "$REPORT_SECRET" "no secret in the HTML"
cp "$T/report.xml" "$T/out"
expect_not_in out "$REPORT_SECRET" "no secret in the JUnit XML"

# standard output without -o is the same document, byte for byte but for
# the export time (in the checkpoint too)
run "$CS" export "$R" --format junit
expect_rc 0 "export --format junit to standard output"
expect_in out '<testsuites name="Release 1.4 | staging (run '"$R"')"' "the run's testsuites"
grep -v 'timestamp\|audit.verify_message\|audit.checkpoint' "$T/out" >"$T/a"
grep -v 'timestamp\|audit.verify_message\|audit.checkpoint' "$T/report.xml" >"$T/b"
if cmp -s "$T/a" "$T/b"; then ok; else fail "stdout and -o give the same JUnit"; fi

# the head hash the report prints anchors verify
head=$("$PY" -c '
import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot().find("testsuite")
print({p.get("name"): p.get("value") for p in s.iter("property")}["audit.head"])' "$T/report.xml")
run "$CS" verify "$R" --anchor "$head"
expect_rc 0 "verify --anchor with the report's head hash"
cp "$T/report.html" "$T/out"
expect_in out "<code class=\"head\">$head</code>" "the HTML's audit anchor has the same head hash"

finish
