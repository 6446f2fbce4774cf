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
    s.check("grown to 100x30, the boxes reach the new right edge and bottom",
            t.wait_for(frame(100, 30)) is not None, t.text())
    s.check("at 100 columns the whole hint line fits", "q quit" in t.line(29), t.line(29))

    t.resize(60, 20)
    small = "countersign needs at least 80x24; this terminal is 60x20."
    s.check("below 80x24 the screen says what it needs", t.wait_for(small) is not None, t.text())
    s.check("and shows nothing of the run screen cut off", "Sections" not in t.text(), t.text())
    t.send("j\t")
    t.resize(79, 24)
    s.check("one column short is still too small",
            t.wait_for("this terminal is 79x24") is not None, t.text())

    t.resize(80, 24)
    s.check("back at 80x24 the run screen is drawn whole", t.wait_for(frame(80, 24)) is not None, t.text())
    s.check("keys pressed while too small were not acted on",
            t.line(1).startswith("┌* Sections"), t.line(1))

    t.resize(60, 20)
    t.wait_for(small)
    t.send("q")
    s.check("q quits from the too-small screen", t.wait_exit() == 0)
finally:
    s.finish()
