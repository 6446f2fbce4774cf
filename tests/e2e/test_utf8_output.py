#!/usr/bin/python3
"""UTF-8 in a check's output under LANG=C.UTF-8: Jest's ✓ and eslint's ✖
show as themselves in the output pane and the full-screen view, never as
`??`, also while a character's bytes are still arriving, after a flood of
output has pushed the oldest bytes out, and next to a byte that is not
UTF-8 (which alone becomes one '?'). Wide characters wrap by the columns
they take, so nothing is cut off."""
import os

from termharness import Suite, run_screen

s = Suite("utf8-output")

# The checks wait for a file the test creates, so that the state looked at
# (a character half written, a flood kept in memory) holds until then.
WAIT = "n=0; while [ ! -f %s ] && [ $n -lt 600 ]; do sleep 0.05; n=$((n+1)); done"
CHECK = "\\342\\234\\223"   # ✓
CROSS = "\\342\\234\\226"   # ✖


def body_rows(t):
    """The rows of the output pane (right of the sections pane, below the items)."""
    rows = t.screen.display
    top = next((i for i, l in enumerate(rows) if i > 1 and "┐" in l and "┌" in l[20:]), 0)
    return [l for l in rows[top + 1:t.rows - 3]]


try:
    s.engineers("alice")
    wide = "界" * 40 + "END"
    path = s.checklist("e2e-utf8-output", [
        {"id": "quality", "title": "Quality", "phase": "Pre-Deployment", "signoffs": 0, "items": [
            # Jest's pass mark arrives in two writes, a second apart by the file
            {"id": "jest", "title": "Unit tests", "kind": "command",
             "run": "printf 'start\\n\\342\\234'; %s; printf '\\223 adds numbers\\n%s 1 problem\\n"
                    "\\377 bad byte %s ok\\n%s\\n'" % (WAIT % "go1", CROSS, CHECK, wide)},
            # 13-byte lines ("✓✓✓✓\\n") past the 256 KiB kept: what is kept starts 1 byte into a ✓
            {"id": "flood", "title": "Lint", "kind": "command",
             "run": "i=0; while [ $i -lt 25000 ]; do printf '%s%s%s%s\\n'; i=$((i+1)); done; %s"
                    % (CHECK, CHECK, CHECK, CHECK, WAIT % "go2")},
        ]},
    ])
    t, run = s.open_run(path)
    s.check("the run screen shows", run is not None and run_screen(t), t.text())

    t.send("\t\r")
    s.expect("the check runs and its first line shows", t, lambda t: "start" in t.text() and "▶" in t.text())
    t.settle()
    s.check("a character whose bytes are still arriving is not shown as ??", "??" not in t.text()
            and not any("?" in l for l in body_rows(t)), t.text())
    open(os.path.join(s.dir, "go1"), "w").close()
    s.expect_all(t, [
        ("Jest's ✓ shows in the output pane", "✓ adds numbers"),
        ("eslint's ✖ shows in the output pane", "✖ 1 problem"),
        ("the check passed", lambda t: "pass: quality/jest" in t.text()),
    ])
    s.check("a byte that is not UTF-8 is one '?', the ✓ on its line stays", "? bad byte ✓ ok" in t.text(), t.text())
    s.check("no ?? anywhere", "??" not in t.text(), t.text())
    rows = "".join(l.strip("│ ") for l in body_rows(t))
    s.check("wide characters wrap by their columns: the end of a line of them shows", "END" in rows
            and rows.count("界") == 40, t.text())

    t.send("o")
    s.expect_all(t, [
        ("full screen: ✓ shows", lambda t: any(l.startswith("✓ adds numbers") for l in t.screen.display)),
        ("full screen: ✖ shows", lambda t: any(l.startswith("✖ 1 problem") for l in t.screen.display)),
    ])
    s.check("full screen: no ??", "??" not in t.text(), t.text())
    t.send("q")
    s.expect("back on the run screen", t, run_screen)

    # the flood: 325,000 bytes; the newest 256 KiB are kept while it runs
    t.send("j\r")
    s.expect("the flood runs", t, lambda t: "▶" in t.text() and "✓✓✓✓" in t.text())
    t.send("o")
    s.expect("its output full screen", t, lambda t: "output (" in t.line(0) and "✓✓✓✓" in t.text())
    t.send("g")
    s.expect("at the top of what is kept", t, lambda t: "lines 1-" in t.line(0))
    t.settle()
    first = t.line(2)
    s.check("the oldest line kept starts with a whole ✓, not ??", first.startswith("✓") and "?" not in first,
            t.text())
    s.check("no ?? on the full screen of the flood", "??" not in t.text(), t.text())
    t.send("q")
    # back on the run screen before the flood ends: a key that leaves the
    # full screen clears the status line, and the check's end, read in the
    # same turn of the loop, would say "pass" on a line about to be cleared
    s.expect("back on the run screen while the flood runs", t, run_screen)
    open(os.path.join(s.dir, "go2"), "w").close()
    s.expect("the flood ends", t, lambda t: "pass: quality/flood" in t.text())
    t.send("q")
    s.check("q quits", t.wait_exit() == 0)
finally:
    s.finish()
