#!/usr/bin/python3
"""Reads the HTML and JUnit reports with Python's own parsers.

  check_export.py structure HTML XML
      what holds for any report: the HTML has no script and no reference
      outside the file (every href names an id of the file), ids are unique,
      the sign-off table is there, the print style sheet opens <details>;
      the JUnit XML parses and its counts agree with its testcases.
  check_export.py unit PROGRAM
      runs the unit test PROGRAM (tests/unit/report) with a temporary
      folder, where it writes report.html and report.xml of a report filled
      by hand with hostile text, and checks their structure.
  check_export.py fixture HTML XML SECRET
      the same, and what the report of tests/cli/report_fixture.sh's run
      must show (FORCED, stale, rejection, waiver, not chosen, the anchor, the checkpoint),
      with SECRET in neither file.

Prints one line per check that failed and "N passed, M failed"; exits 1
when any failed.
"""
import hashlib
import html.parser
import sys
import xml.etree.ElementTree as ET

passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, file=sys.stderr)


class Doc(html.parser.HTMLParser):
    """The parts of an HTML document the checks look at."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []          # (tag, attrs dict)
        self.ids = []
        self.stack = []         # open elements: (tag, attrs)
        self.text = []          # all text
        self.rows = {}          # table id or class -> list of rows (list of cell texts)
        self.row_classes = {}   # table key -> list of the rows' class attributes
        self._table = []
        self._row = None
        self._cell = None
        self.style = ""
        self._in_style = False
        self.checkpoints = []   # the text of each <pre class="checkpoint">
        self._pre = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "style":
            self._in_style = True
        if tag == "pre" and "checkpoint" in a.get("class", "").split():
            self._pre = []
        if tag == "table":
            key = a.get("id") or a.get("class") or "table"
            self._table.append(key)
            self.rows.setdefault(key, [])
            self.row_classes.setdefault(key, [])
        elif tag == "tr" and self._table:
            self._row = []
            self.row_classes[self._table[-1]].append(a.get("class", ""))
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False
        if tag == "pre" and self._pre is not None:
            self.checkpoints.append("".join(self._pre))
            self._pre = None
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.rows[self._table[-1]].append(self._row)
            self._row = None
        elif tag == "table" and self._table:
            self._table.pop()

    def handle_data(self, data):
        if self._in_style:
            self.style += data
            return
        self.text.append(data)
        if self._pre is not None:
            self._pre.append(data)
        if self._cell is not None:
            self._cell.append(data)


def read_html(path):
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")
        check(True, "")
    except UnicodeDecodeError as e:
        check(False, f"{path} is not UTF-8: {e}")
        text = raw.decode("utf-8", "replace")
    d = Doc()
    d.feed(text)
    d.close()
    d.raw = text
    d.all_text = " ".join("".join(d.text).split())
    return d


def html_structure(d):
    check(d.raw.startswith("<!DOCTYPE html>"), "HTML5 doctype first")
    tags = [t for t, _ in d.tags]
    check("script" not in tags, "no <script> element")
    for forbidden in ("link", "iframe", "object", "embed", "img", "base", "frame", "audio", "video", "source"):
        check(forbidden not in tags, f"no <{forbidden}> element")
    ids = set(d.ids)
    check(len(ids) == len(d.ids), f"ids are unique ({len(d.ids) - len(ids)} repeated)")
    refs = 0
    for tag, a in d.tags:
        for name, value in a.items():
            check(not name.startswith("on"), f"no event handler attribute ({tag} {name})")
            if name in ("src", "srcset", "action", "formaction", "xlink:href", "data", "poster", "background"):
                check(False, f"<{tag} {name}={value!r}> refers outside the file")
            if name == "href":
                refs += 1
                check(value.startswith("#") and value[1:] in ids, f"<{tag} href={value!r}> names an id of the file")
            if name == "style":
                check("url(" not in value, f"no url() in a style attribute of <{tag}>")
    check(refs > 0, "the document links within itself")
    check("url(" not in d.style and "@import" not in d.style, "the style sheet loads nothing")
    check("@media print" in d.style, "a print style sheet")
    check("details::details-content" in d.style, "the print style sheet opens output blocks")
    check("signoffs" in d.rows, "the sign-off table (id signoffs) is there")
    check("svg" in tags, "an inline SVG timeline")
    check("details" in tags and "summary" in tags, "output in <details> blocks")


def signoff_rows(d):
    rows = d.rows.get("signoffs", [])
    header, body = rows[0], rows[1:]
    check(header[:7] == ["Section", "Engineer", "Full name", "Roles", "Time (UTC)", "Meaning", "Comment"],
          f"sign-off table headings: {header}")
    return [dict(zip(header, r)) for r in body], d.row_classes["signoffs"][1:]


def read_junit(path):
    try:
        tree = ET.parse(path)
        check(True, "")
    except ET.ParseError as e:
        check(False, f"{path} does not parse: {e}")
        return None
    root = tree.getroot()
    check(root.tag == "testsuites", "the root is <testsuites>")
    total = {"tests": 0, "failures": 0, "skipped": 0}
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        n_fail = sum(1 for c in cases if c.find("failure") is not None)
        n_skip = sum(1 for c in cases if c.find("skipped") is not None)
        name = suite.get("name")
        check(int(suite.get("tests")) == len(cases), f"suite {name}: tests= counts its testcases")
        check(int(suite.get("failures")) == n_fail, f"suite {name}: failures= counts its failures")
        check(int(suite.get("skipped")) == n_skip, f"suite {name}: skipped= counts its skips")
        check(suite.get("errors") == "0", f"suite {name}: errors=0")
        float(suite.get("time"))
        for c in cases:
            check(c.get("classname") and c.get("name"), f"suite {name}: a testcase has classname and name")
            float(c.get("time"))
            check(not (c.find("failure") is not None and c.find("skipped") is not None),
                  f"{c.get('name')}: failed or skipped, not both")
        props = [p.get("name") for p in suite.findall("properties/property")]
        check(len(props) == len(set(props)), f"suite {name}: property names are unique")
        for k, v in (("tests", len(cases)), ("failures", n_fail), ("skipped", n_skip)):
            total[k] += v
    for k, v in total.items():
        check(int(root.get(k)) == v, f"<testsuites {k}=> is the sum of its suites")
    return root


def checkpoint_sealed(text):
    """True when TEXT is a checkpoint whose checksum line matches the bytes
    above it (docs/record.md): it came through the markup unchanged."""
    body, sep, last = text.rstrip("\n").rpartition("\n\n")
    return (sep != "" and body.startswith("countersign checkpoint v1\n")
            and last == "\u2014 sha256 " + hashlib.sha256((body + "\n").encode("utf-8")).hexdigest())


def checkpoints(d, root):
    """The record's checkpoint in the HTML and the JUnit XML, the same but
    for the time it was taken (two exports), each whole (its checksum holds)."""
    check(len(d.checkpoints) == 1, f"one checkpoint block in the HTML: {len(d.checkpoints)}")
    suite = root.find("testsuite") if root is not None else None
    prop = (props_of(suite).get("audit.checkpoint") if suite is not None else None) or ""
    html_cp = d.checkpoints[0] if d.checkpoints else ""
    untimed = lambda cp: [l for l in cp.split("\n") if not l.startswith(("time ", "\u2014 "))]
    check(html_cp and untimed(prop) == untimed(html_cp), "the JUnit property audit.checkpoint is the HTML's checkpoint")
    check(checkpoint_sealed(html_cp), "the HTML's checkpoint is whole: its checksum matches its text")
    check(checkpoint_sealed(prop), "the JUnit XML's checkpoint is whole: its checksum matches its text")


def props_of(suite):
    return {p.get("name"): p.get("value") for p in suite.findall("properties/property")}


def fixture(d, root, secret):
    """What the report of report_fixture.sh's run shows."""
    text = d.all_text
    # gates, with FORCED marked on the section and in the warnings
    forced = [a for t, a in d.tags if "g-FORCED" in a.get("class", "")]
    check(len(forced) >= 2, "FORCED marked (badge) on the section and in the list of what needs attention")
    check("FORCED by override" in text and "INC-4711" in text, "the override with its incident")
    check("watch dashboard down; error rate checked by hand" in text, "the override's reason")
    check(any("forced" in a.get("class", "").split() for t, a in d.tags if t == "section"),
          "the FORCED section is highlighted")
    check("not chosen" in text, "the not-chosen alternative")
    rows, classes = signoff_rows(d)
    engineers = [r["Engineer"] for r in rows]
    check(sorted(set(engineers)) == ["alice", "bob", "carol"], f"sign-offs by alice, bob and carol: {engineers}")
    check(all(r["Full name"].endswith(" Example") for r in rows), "each sign-off with its full name")
    check(all(r["Time (UTC)"].endswith(" UTC") for r in rows), "each sign-off's time in UTC")
    check(all(r["OS user"] and r["Host"] and r["TTY"] for r in rows), "each sign-off's OS user, host and tty")
    stale = [r for r, c in zip(rows, classes) if "stale" in c.split()]
    check(stale and all(r["Status"] == "STALE" for r in stale), "stale signatures marked STALE")
    check(any(r["Engineer"] == "alice" and r["Section"] == "prep" and r["Status"] == "STALE" for r in rows),
          "alice's first prep signature is stale (the build ran again after it)")
    rejects = [r for r, c in zip(rows, classes) if "reject" in c.split()]
    check(len(rejects) == 1 and rejects[0]["Engineer"] == "bob" and rejects[0]["Meaning"] == "REJECTED",
          "bob's rejection marked in the sign-off table")
    check(rejects and rejects[0]["Comment"] == "lint failed: waive it or fix it", "the rejection's comment")
    check(all(r["Meaning"] in ("approved", "REJECTED") for r in rows), "each sign-off's meaning as a word")
    check(any(r["Status"] == "counts" and r["Meaning"] == "approved" for r in rows), "approvals that count")
    rej = d.rows.get("rejections", [])
    check(len(rej) == 2 and rej[1][1] == "bob", "the rejections table")
    wv = d.rows.get("waivers", [])
    check(len(wv) == 2 and wv[1][0] == "prep/lint" and wv[1][1] == "carol"
          and wv[1][3] == "warnings only | fixed in 1.5", f"the waivers table: {wv}")
    check("waived" in d.row_classes.get("waivers", ["", ""])[1], "the waiver row highlighted")
    check("WAIVED by carol" in text, "the waived item says who waived it")
    notes = d.rows.get("notes", [])
    check(any("error rate flat after the shift" in c for r in notes for c in r), "the note")
    check("diff read twice" in text, "the attestation's note")
    check("Failed PIN attempts" in text and any(r[1] == "carol" for r in d.rows.get("pin-failures", [])[1:]),
          "carol's wrong PIN")
    check("Release 1.4 | staging" in text, "the run's title")
    check("Completion report fixture" in text and "cli-report" in text, "the checklist's title and id")
    check("API_TOKEN" in text and "***" in text, "the secret variable as ***")
    check("ENVNAME" in text and "staging" in text, "the plain variable")
    head = [a for t, a in d.tags if t == "code" and a.get("class") == "head"]
    check(len(head) == 1, "the head hash")
    anchor = {r[0]: r[1] for r in d.rows.get("kv anchor", []) if len(r) == 2}
    check(anchor.get("Verified at export", "").startswith("VERIFIED (ok: "), f"the verify result: {anchor}")
    check(anchor.get("Head hash") == props_of(root.find("testsuite")).get("audit.head"), "the head hash")
    check(secret not in d.raw, "the secret's value is not in the HTML")

    suites = {s.get("name"): s for s in root.findall("testsuite")}
    check(list(suites) == ["Preparation | checks", "Canary", "Blue-Green", "Post-deployment checks", "Rollback"],
          f"one testsuite per section: {list(suites)}")
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    check(len(cases) == 8, f"one testcase per item: {len(cases)}")
    def outcome(cls, name):
        c = cases.get((cls, name))
        if c is None:
            return "missing"
        return "failure" if c.find("failure") is not None else "skipped" if c.find("skipped") is not None else "pass"
    check(outcome("prep", "Build the release") == "pass", "build passed")
    check(outcome("prep", "Lint is clean") == "skipped", "lint waived: skipped")
    lint = cases.get(("prep", "Lint is clean"))
    check(lint is not None and "warnings only | fixed in 1.5" in lint.find("skipped").get("message", ""),
          "the skip says the waiver's reason")
    check(outcome("prep", "Change reviewed") == "pass", "the manual item passed")
    check(outcome("canary", "Shift 10% of traffic") == "pass", "the canary shift passed")
    check(outcome("canary", "Error rate watched") == "skipped", "the unwatched item of the FORCED section: not run")
    check(outcome("blue-green", "Switch traffic") == "skipped", "the not-chosen alternative: skipped")
    bg = cases.get(("blue-green", "Switch traffic"))
    check(bg is not None and bg.find("skipped").get("message", "").startswith("not chosen"), "skipped as not chosen")
    check(outcome("post", "Smoke test") == "pass", "smoke passed")
    check(outcome("rollback", "Undo the canary") == "skipped", "the rollback never ran: skipped")
    check(sum(1 for c in cases.values() if c.find("failure") is not None) == 0, "no failure: the lint was waived")
    p = props_of(suites["Preparation | checks"])
    check(p.get("section.gate") == "passed", "prep's gate")
    check(p.get("signoff.1.engineer") == "bob" and p.get("signoff.1.meaning") == "rejected", "prep's first signature")
    check(p.get("signoff.4.counted") == "true" and p.get("signoff.1.counted") == "false", "which signatures count")
    check(p.get("section.policy") == "needs 2 approvals", "the section's policy")
    check(p.get("signoff.1.comment") == "lint failed:\nwaive it or fix it", "a comment's newline kept")
    check(any(p.get(f"signoff.{i}.stale") == "true" for i in range(1, 6)), "a stale signature in prep")
    check(p.get("signoff.2.full_name") == "Alice Example", "full names")
    c = props_of(suites["Canary"])
    check(c.get("section.gate") == "FORCED", "canary FORCED")
    check(c.get("override.incident") == "INC-4711", "the override's incident")
    check(p.get("run.id") and p.get("checklist.sha256") and len(p.get("audit.head", "")) == 64,
          "run-level properties")
    check(p.get("audit.verify") == "ok", "verify result")
    check(p.get("variable.API_TOKEN") == "***", "the secret variable as ***")
    check(head and p.get("audit.head") in d.raw, "the same head hash in both")
    raw_xml = open(sys.argv[3], "rb").read().decode("utf-8")
    check(secret not in raw_xml, "the secret's value is not in the JUnit XML")


def main():
    if sys.argv[1] == "unit":
        import subprocess
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            rc = subprocess.run([sys.argv[2], tmp]).returncode
            check(rc == 0, f"{sys.argv[2]} exited {rc}")
            d = read_html(tmp + "/report.html")
            html_structure(d)
            check("<script>" in d.all_text, "the hostile title is text, not an element")
            checkpoints(d, read_junit(tmp + "/report.xml"))
        print(f"{passed} passed, {failed} failed")
        sys.exit(1 if failed or passed == 0 else 0)
    mode, html_path, xml_path = sys.argv[1:4]
    d = read_html(html_path)
    html_structure(d)
    root = read_junit(xml_path)
    if mode == "fixture" and root is not None:
        fixture(d, root, sys.argv[4])
        checkpoints(d, root)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or passed == 0 else 0)


if __name__ == "__main__":
    main()
