#!/usr/bin/python3
"""Marks, boxes and colour as the terminal allows: Unicode under a UTF-8
locale, plain ASCII (and nothing else) under LANG=C, and no colour at all
with NO_COLOR set, with the same text either way."""
import re

from termharness import Suite, ANSI_COLOUR

s = Suite("locale")


def sections():
    return [
        {"id": "prep", "title": "Preparation", "phase": "Pre-Deployment", "signoffs": 0, "items": [
            {"id": "build", "title": "Build passes", "kind": "command", "run": "echo built"},
            {"id": "lint", "title": "Lint", "kind": "command", "run": "echo warn; exit 1", "required": False}]},
        {"id": "ship", "title": "Ship", "phase": "Deployment", "items": [
            {"id": "go", "title": "Go live", "kind": "manual"}]},
        {"id": "verify", "title": "Verify", "phase": "Post-Deployment", "items": [
            {"id": "smoke", "title": "Smoke test", "kind": "manual"}]},
    ]


def run_two_checks(t, label, marks):
    """Runs the build (pass) and lint (fail) checks; waits until the screen
    shows both verdicts, the passed gate and the status line, in MARKS
    (pass, fail, passed section) and the locale's separator."""
    t.send("\t\r")
    s.expect("%s: the first check passes" % label, t, lambda t: "items 1/1" in t.text())
    t.send("j\r")
    # the gate has passed (lint is optional): running lint is a re-check, asked first
    s.expect("%s: running lint asks first" % label, t, "Re-check Lint? (y/N)")
    t.send("y")
    ok, bad, done = marks
    sep = "·" if ok == "✓" else "-"
    return t.wait_for(lambda t: "fail: prep/lint: exit status 1" in t.text() and ok + " pass" in t.text()
                      and bad + " fail" in t.text() and done + " Preparation" in t.text()
                      and "items 1/1 %s sign-offs 0/0" % sep in t.text()
                      and "Enter run" in t.line(23))


try:
    s.engineers("alice")
    # UTF-8
    t, run = s.open_run(s.checklist("e2e-utf8", sections()))
    s.check("UTF-8: the run screen shows", run is not None, t.text())
    s.check("UTF-8: both checks show their verdicts", run_two_checks(t, "UTF-8", ("✓", "✗", "✓")) is not None, t.text())
    s.expect_all(t, [
        ("UTF-8: boxes are drawn with line characters",
         lambda t: t.line(1).startswith("┌* Sections") or t.line(1).startswith("┌─ Sections")),
        ("UTF-8: section marks ✓ passed and ⊘ locked", lambda t: "✓ Preparation" in t.text() and "⊘ Verify" in t.text()),
        ("UTF-8: verdict marks ✓ pass and ✗ fail", lambda t: "✓ pass" in t.text() and "✗ fail" in t.text()),
        ("UTF-8: the separators are middle dots", "items 1/1 · sign-offs 0/0"),
    ])
    text = t.text()
    colours = {c.bg for row in t.screen.buffer.values() for c in row.values()} | \
        {c.fg for row in t.screen.buffer.values() for c in row.values()}
    s.check("with colour allowed, the screen uses colour", colours - {"default"}, colours)
    utf8_text, utf8_run = text, run
    t.send("q")
    s.check("UTF-8: q quits", t.wait_exit() == 0)

    # LANG=C
    t, run = s.open_run(s.checklist("e2e-ascii", sections()), env={"LANG": "C", "LC_ALL": "C"})
    s.check("LANG=C: the run screen shows", run is not None, t.text())
    s.check("LANG=C: both checks show their verdicts", run_two_checks(t, "LANG=C", ("+", "x", "+")) is not None, t.text())
    s.expect_all(t, [
        ("LANG=C: boxes are drawn with + - |",
         lambda t: t.line(1).startswith("+") and "-+" in t.line(1) and t.line(2).startswith("|")),
        ("LANG=C: section marks + passed and # locked",
         lambda t: "| + Preparation" in t.text() and "| # Verify" in t.text()),
        ("LANG=C: verdict marks + pass and x fail", lambda t: "+ pass" in t.text() and "x fail" in t.text()),
    ])
    text = t.text()
    bad = sorted({ch for ch in text if ord(ch) > 126})
    s.check("LANG=C: nothing but ASCII on the screen", not bad, "".join(bad))
    s.check("LANG=C: no character is shown as '?' for want of an ASCII form",
            "??" not in text and "? " not in t.line(0), text)
    t.send("q")
    s.check("LANG=C: q quits", t.wait_exit() == 0)

    # NO_COLOR
    t, run2 = s.open_run(s.checklist("e2e-nocolor", sections()), env={"NO_COLOR": "1"})
    s.check("NO_COLOR: the run screen shows", run2 is not None, t.text())
    s.check("NO_COLOR: both checks show their verdicts", run_two_checks(t, "NO_COLOR", ("✓", "✗", "✓")) is not None, t.text())
    cells = [c for row in t.screen.buffer.values() for c in row.values()]
    s.check("NO_COLOR: every cell has the terminal's own colours",
            all(c.fg == "default" and c.bg == "default" for c in cells),
            sorted({(c.fg, c.bg) for c in cells}))
    s.check("NO_COLOR: no colour sequence was written", not ANSI_COLOUR.search(bytes(t.raw)),
            ANSI_COLOUR.findall(bytes(t.raw))[:5])

    def plain(text, run_id):
        text = text.replace(run_id, "RUN")
        text = re.sub(r"\d\d:\d\d:\d\d|\b\d+ms\b|\b\d+s\b", "T", text)
        return re.sub(r"[ ]+", " ", text)
    same = t.wait_for(lambda t: plain(t.text(), run2 or "?") == plain(utf8_text, utf8_run or "?"))
    s.check("NO_COLOR: the text is the same as with colour", same is not None,
            "--- colour\n%s\n--- NO_COLOR\n%s" % (utf8_text, t.text()))
    t.send("q")
    s.check("NO_COLOR: q quits", t.wait_exit() == 0)
finally:
    s.finish()
