#!/bin/sh
# The HTML report in a real browser: headless Chromium prints the shared
# finished run's report (report_fixture.sh) to PDF, and pdftotext finds in
# it the sign-off table, the FORCED mark, the head hash and an output block
# that the print style sheet opened. Skipped (exit 77) without chromium or
# pdftotext (Debian: chromium, poppler-utils; scripts/bootstrap installs them).
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/cli/report_fixture.sh"

PY=/usr/bin/python3
for tool in chromium pdftotext; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		printf 'SKIP: %s is not installed (Debian packages chromium and poppler-utils); the HTML report was not printed\n' \
			"$tool" >&2
		exit 77
	fi
done

DB=$(db_new cs)
R=$(report_fixture_run "$DB") || exit 1
export COUNTERSIGN_DB="$DB"
run "$CS" export "$R" --format html -o "$T/report.html"
expect_rc 0 "export --format html"
head=$("$PY" -c '
import html.parser, sys
class P(html.parser.HTMLParser):
    on = False
    head = ""
    def handle_starttag(self, tag, attrs):
        self.on = tag == "code" and ("class", "head") in attrs
    def handle_data(self, data):
        if self.on:
            self.head += data
    def handle_endtag(self, tag):
        self.on = False
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
print(p.head)' "$T/report.html")
expect_eq "${#head}" 64 "the report names the head hash"

# As root Chromium needs --no-sandbox; its profile goes to a fresh folder
# (HOME may be unwritable); no name resolves, so nothing outside the file
# could load; stdin is closed, there is no terminal.
mkdir -p "$T/chromium"
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
	--user-data-dir="$T/chromium" --no-first-run --no-default-browser-check --disable-extensions \
	--disable-background-networking --disable-component-update --disable-sync --disable-crash-reporter \
	--host-resolver-rules='MAP * ~NOTFOUND' --no-pdf-header-footer \
	--print-to-pdf="$T/report.pdf" "file://$T/report.html" </dev/null >"$T/chromium.log" 2>&1
rc=$?
expect_rc 0 "chromium prints the report to PDF"
if [ -s "$T/report.pdf" ] && [ "$(head -c 5 "$T/report.pdf")" = "%PDF-" ]; then
	ok
else
	fail "a PDF was written (chromium said: $(tail -c 600 "$T/chromium.log"))"
fi

pdftotext -layout "$T/report.pdf" "$T/report.txt" 2>"$T/err"
rc=$?
expect_rc 0 "pdftotext reads the PDF"
cp "$T/report.txt" "$T/out"
expect_in out "Sign-offs" "the sign-off table's heading"
# the sign-off table: its headings, and a row per signature with the full name
expect_in out "Full name" "the sign-off table's columns"
expect_in out "OS user" "the sign-off table's OS user column"
expect_in out "Bob" "a signer's full name (Bob Example, maybe over two lines)"
expect_in out "STALE" "the stale signature marked"
expect_in out "REJECT" "the rejection marked"
expect_in out "FORCED" "the FORCED mark"
expect_in out "INC-4711" "the override's incident"
expect_in out "WAIVED by carol" "the waiver"
# the print style sheet opens the <details> blocks: lint's output is on paper
expect_in out "warning: shadowed name" "an output block opened for print"
# the head hash, whole (a line break may cut it: compare without blanks)
if tr -d ' \n\t\f' <"$T/report.txt" | grep -qF "$head"; then ok; else fail "the head hash $head in the PDF"; fi
expect_not_in out "$REPORT_SECRET" "no secret in the PDF"
pages=$(pdfinfo "$T/report.pdf" 2>/dev/null | sed -n 's/^Pages: *//p')
expect_eq "$([ "${pages:-0}" -ge 2 ] && [ "${pages:-0}" -le 12 ] && echo ok)" ok "a few pages (${pages:-unknown})"

# KEEP_PDF=DIR keeps the PDF (and a PNG of its first pages) to look at
if [ -n "${KEEP_PDF:-}" ]; then
	cp "$T/report.pdf" "$T/report.html" "$KEEP_PDF"/
	command -v pdftoppm >/dev/null 2>&1 && pdftoppm -r 80 -png -f 1 -l 3 "$T/report.pdf" "$KEEP_PDF/report-page"
fi
finish
