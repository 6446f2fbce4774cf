# What the screen wrote, read back: the JSON report names the run and says
# it completed; the JUnit file is XML with a testsuite per section; the
# Markdown and the HTML name the run; nothing went to a folder that did not
# exist.
RUN=$("$CS" runs --all --json | python3 -c 'import json, sys
print([r["id"] for r in json.load(sys.stdin) if r["title"] == "Release 3.0"][0])')
python3 - "$RUN" <<'PY' || exit 1
import json, sys, xml.etree.ElementTree as ET
run = sys.argv[1]
report = json.load(open("countersign-%s.json" % run))
assert report["format"] == "countersign-report", report["format"]
assert report["run"]["id"] == run and report["run"]["state"] == "completed", report["run"]
junit = ET.parse("run-report.xml").getroot()
assert junit.tag == "testsuites" and run in junit.get("name"), junit.attrib
assert [s.get("name") for s in junit.iter("testsuite")] == ["Health check", "Ship"], list(junit)
assert len(list(junit.iter("testcase"))) == 3
md = open("countersign-%s.md" % run).read()
assert md.startswith("#") and run in md, md[:200]
html = open("countersign-%s.html" % run).read()
assert html.lstrip().lower().startswith("<!doctype html") and run in html, html[:200]
PY
test ! -e reports || { echo "reports/ was created"; exit 1; }
