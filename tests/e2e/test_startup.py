#!/usr/bin/python3
"""Start-up and exit in a real terminal: the first engineer registers on an
empty database, the run screen is drawn whole, q quits at once when nothing
runs, and the terminal is given back as it was (echo and line editing on,
alternate screen left, cursor shown)."""
import re
import termios

from termharness import Suite, Term

s = Suite("startup")
try:
    path = s.checklist("e2e-startup", [
        {"id": "prep", "title": "Preparation", "phase": "Pre-Deployment", "items": [
            {"id": "build", "title": "Build passes", "kind": "command", "run": "echo built"},
            {"id": "review", "title": "Code reviewed", "kind": "manual"}]},
        {"id": "ship", "title": "Ship", "phase": "Deployment", "items": [
            {"id": "go", "title": "Go live", "kind": "manual"}]},
        {"id": "undo", "title": "Roll back", "phase": "Rollback", "always_open": True, "gate": False,
         "items": [{"id": "revert", "title": "Revert", "kind": "command", "run": "echo reverted"}]},
    ], title="Startup deploy")
    t = Term(s, ["open", path])
    before = t.slave_attrs()
    s.expect("an empty database asks to register the first engineer", t, "Register the first engineer")
    t.send("alice\tAlice Example\t123456\t123456\r")
    s.expect("the new engineer is signed in and asked for the run title",
             t, lambda t: "Run title" in t.text() and "signed in as alice" in t.text())
    t.send("\r")
    drawn = s.expect("the run screen is drawn", t, "items 0/2")
    run = s.run_ids()[-1] if drawn else "?"
    s.expect_all(t, [
        ("the title bar names checklist, run and operator",
         lambda t: t.line(0).startswith(" Startup deploy · run %s" % run)
         and re.search(r" alice · \d\d:\d\d:\d\d$", t.line(0).rstrip())),
        ("the sections pane and the items pane are boxed side by side",
         lambda t: t.line(1).startswith("┌* Sections") and t.line(1).rstrip().endswith("┐")
         and t.line(21).startswith("└") and t.line(21).rstrip().endswith("┘")),
        ("sections are grouped by phase with their marks",
         lambda t: "Pre-Deployment" in t.line(2) and "○ Preparation" in t.line(3)
         and "⊘ Ship" in t.text() and "○ Roll back" in t.text()),
        ("the items pane shows items and the gate line",
         lambda t: re.search(r"· pending +cmd +Build passes", t.text()) and "items 0/2 · sign-offs 0/2" in t.text()),
        ("the key hint line is at the bottom", lambda t: "Enter run" in t.line(23) and "? more" in t.line(23)),
    ])

    t.send("q")
    code = t.wait_exit()
    s.check("q quits at once when nothing runs, exit status 0", code == 0, "exit %r" % code)
    after = t.slave_attrs()
    lflag = after[3]
    s.check("echo and line editing are back on",
            lflag & termios.ECHO and lflag & termios.ICANON, "lflag %o" % lflag)
    s.check("input and output modes are as before", after[:3] == before[:3], "%r -> %r" % (before[:3], after[:3]))
    raw = bytes(t.raw)
    s.check("the alternate screen was entered and then left",
            raw.rfind(b"\x1b[?1049h") >= 0 and raw.rfind(b"\x1b[?1049l") > raw.rfind(b"\x1b[?1049h"))
    s.check("the cursor is shown again", raw.rfind(b"\x1b[?25h") > raw.rfind(b"\x1b[?25l"))
    s.check("the run was recorded", s.cli("status", run).returncode == 0)
finally:
    s.finish()
