#!/usr/bin/python3
"""Resizing the terminal (TIOCSWINSZ and SIGWINCH): the screen is drawn
again at the new size; below 80x24 it says what it needs and ignores keys
other than q; made large enough again, the run screen comes back."""
from termharness import Suite

s = Suite("resize")
try:
    s.engineers("alice")
    path = s.checklist("e2e-resize", [
        {"id": "prep", "title": "Preparation", "phase": "Pre-Deployment", "items": [
            {"id": "build", "title": "Build passes", "kind": "command", "run": "echo built"}]},
        {"id": "ship", "title": "Ship", "phase": "Deployment", "items": [
            {"id": "go", "title": "Go live", "kind": "manual"}]},
    ])
    t, run = s.open_run(path)
    s.check("the run screen shows at 80x24", run is not None, t.text())

    def frame(cols, rows):
        def drawn(t):
            d = t.screen.display
            return (len(d) == rows and d[1].startswith("┌") and d[1].endswith("┐")
                    and d[rows - 3].startswith("└") and d[rows - 3].endswith("┘")
                    and "Enter run" in d[rows - 1] and "items 0/1" in t.text())
        return drawn

    t.resize(100, 30)
    s.expect_all(t, [
        ("grown to 100x30, the boxes reach the new right edge and bottom", frame(100, 30)),
        ("at 100 columns the whole hint line fits", lambda t: "q quit" in t.line(29)),
    ])

    t.resize(60, 20)
    small = "countersign needs at least 80x24; this terminal is 60x20."
    s.expect_all(t, [
        ("below 80x24 the screen says what it needs", small),
        ("and shows nothing of the run screen cut off", lambda t: "Sections" not in t.text()),
    ])
    t.send("j\t")
    t.resize(79, 24)
    s.expect("one column short is still too small", t, "this terminal is 79x24")

    t.resize(80, 24)
    s.expect_all(t, [
        ("back at 80x24 the run screen is drawn whole", frame(80, 24)),
        ("keys pressed while too small were not acted on", lambda t: t.line(1).startswith("┌* Sections")),
    ])

    t.resize(60, 20)
    s.expect("too small again", t, small)
    t.send("q")
    s.check("q quits from the too-small screen", t.wait_exit() == 0)
finally:
    s.finish()
