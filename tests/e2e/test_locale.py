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


def run_two_checks(t):
    t.send("\t\r")
    t.wait_for(lambda t: "items 1/1" in t.text())
    t.send("j\r")
    took = t.wait_for("fail: prep/lint")
    t.settle()
    return took


try:
    s.engineers("alice")
    # UTF-8
    t, run = s.open_run(s.checklist("e2e-utf8", sections()))
    run_two_checks(t)
    text = t.text()
    s.check("UTF-8: boxes are drawn with line characters", t.line(1).startswith("┌* Sections") or
            t.line(1).startswith("┌─ Sections"), t.line(1))
    s.check("UTF-8: section marks ✓ passed and ⊘ locked", "✓ Preparation" in text and "⊘ Verify" in text, text)
    s.check("UTF-8: verdict marks ✓ pass and ✗ fail", "✓ pass" in text and "✗ fail" in text, text)
    s.check("UTF-8: the separators are middle dots", "items 1/1 · sign-offs 0/0" in text, text)
    colours = {c.bg for row in t.screen.buffer.values() for c in row.values()} | \
        {c.fg for row in t.screen.buffer.values() for c in row.values()}
    s.check("with colour allowed, the screen uses colour", colours - {"default"}, colours)
    utf8_text, utf8_run = text, run
    t.send("q")
    t.wait_exit()

    # LANG=C
    t, run = s.open_run(s.checklist("e2e-ascii", sections()), env={"LANG": "C", "LC_ALL": "C"})
    s.check("LANG=C: the run screen shows", run is not None, t.text())
    run_two_checks(t)
    text = t.text()
    s.check("LANG=C: boxes are drawn with + - |", t.line(1).startswith("+") and "-+" in t.line(1)
            and t.line(2).startswith("|"), t.line(1) + "\n" + t.line(2))
    s.check("LANG=C: section marks + passed and # locked", "| + Preparation" in text and "| # Verify" in text, text)
    s.check("LANG=C: verdict marks + pass and x fail", "+ pass" in text and "x fail" in text, text)
    bad = sorted({ch for ch in text if ord(ch) > 126})
    s.check("LANG=C: nothing but ASCII on the screen", not bad, "".join(bad))
    s.check("LANG=C: no character is shown as '?' for want of an ASCII form",
            "??" not in text and "? " not in t.line(0), text)
    t.send("q")
    t.wait_exit()

    # NO_COLOR
    t, run2 = s.open_run(s.checklist("e2e-nocolor", sections()), env={"NO_COLOR": "1"})
    s.check("NO_COLOR: the run screen shows", run2 is not None, t.text())
    run_two_checks(t)
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
    s.check("NO_COLOR: the text is the same as with colour",
            plain(t.text(), run2 or "?") == plain(utf8_text, utf8_run or "?"),
            "--- colour\n%s\n--- NO_COLOR\n%s" % (utf8_text, t.text()))
    t.send("q")
    t.wait_exit()
finally:
    s.finish()
