#!/usr/bin/python3
"""A check whose output is full of terminal control sequences (clear the
screen, home and move the cursor, erase a line, set the window title, ring
the bell, colours) cannot touch the terminal: the screen stays whole, the
text shows clean in the output pane and full screen, and none of the
sequences reaches the terminal."""
from termharness import Suite

s = Suite("escapes")
NASTY = ("printf '\\033[2J\\033[H\\033]0;pwned-title\\007\\033[31mred\\033[0m\\n'; "
         "printf 'ab\\033[5;10Hcd\\033[2Aef\\033[Kgh\\n'; "
         "printf '\\033]2;other-title\\033\\\\\\033[?1049l\\033[?25lmiddle\\007end\\n'; "
         "printf '\\033Pq#0;2;0;0;0\\033\\\\after-dcs\\n'; "
         "printf '\\302\\23331mc1-csi\\n'")
try:
    s.engineers("alice")
    path = s.checklist("e2e-escapes", [
        {"id": "noisy", "title": "Noisy output", "phase": "Pre-Deployment", "items": [
            {"id": "print", "title": "Prints control sequences", "kind": "command", "run": NASTY}]},
        {"id": "ship", "title": "Ship", "phase": "Deployment", "items": [
            {"id": "go", "title": "Go live", "kind": "manual"}]},
    ], title="Escapes deploy")
    t, run = s.open_run(path)
    s.check("the run screen shows", run is not None, t.text())
    before = len(t.raw)
    t.send("\t\r")

    def pane(t):
        return "\n".join(t.screen.display[7:21])
    s.expect_all(t, [
        ("the check passes", "pass: noisy/print"),
        ("the title bar is still there", lambda t: t.line(0).startswith(" Escapes deploy · run %s" % run)),
        ("the boxes are still there",
         lambda t: t.line(1).startswith("┌* Sections") or t.line(1).startswith("┌─ Sections")),
        ("the bottom of the boxes and the hint line are still there",
         lambda t: t.line(21).startswith("└") and "Enter run" in t.line(23)),
        ("the sections pane still lists the sections", lambda t: "○ Noisy output" in t.text() and "⊘ Ship" in t.text()),
        ("the output pane shows the text without the sequences",
         lambda t: all(w in pane(t) for w in ("red", "abcdefgh", "after-dcs", "c1-csi"))),
        ("the bell shows as ^G", lambda t: "middle^Gend" in pane(t)),
    ])
    t.settle()  # what must not show: read all that has come
    s.check("the title sequence's text is not in the output", "pwned-title" not in pane(t), pane(t))
    s.check("the window title was not changed", t.screen.title == "", repr(t.screen.title))
    written = bytes(t.raw[before:])
    for name, seq in (("OSC 0 (title)", b"\x1b]0;"), ("OSC 2 (title)", b"\x1b]2;"), ("BEL", b"\x07"),
                      ("DCS", b"\x1bP"), ("a C1 CSI", b"\xc2\x9b")):
        s.check("no %s was written to the terminal" % name, seq not in written,
                written[max(0, written.find(seq) - 40):written.find(seq) + 40])
    t.send("o")
    s.expect("full screen, the output is clean too",
             t, lambda t: "output (5 lines)" in t.line(0) and t.line(1).startswith("✓ pass: run by alice")
             and t.line(2).startswith("red") and t.line(3).startswith("abcdefgh")
             and t.line(4).startswith("middle^Gend") and t.line(5).startswith("after-dcs"))
    t.send("q")
    s.expect("q goes back to the run screen", t, lambda t: "Enter run" in t.line(23))
    t.send("q")
    s.check("q quits", t.wait_exit() == 0)
finally:
    s.finish()
