#!/usr/bin/python3
"""An interactive item gives the terminal to its command: the screen shows
what the command prints, the terminal is in line mode with echo while the
command reads, Enter reaches the command, and afterwards the run screen comes
back whole, asks what the item showed, and left pending the item waits for
an engineer's attestation."""
import json
import sqlite3
import termios

from termharness import Suite

s = Suite("interactive")
try:
    s.engineers("alice")
    path = s.checklist("e2e-interactive", [
        {"id": "shell", "title": "Shell", "phase": "Pre-Deployment", "items": [
            {"id": "look", "title": "Look around", "kind": "command", "interactive": True,
             "run": "printf 'inside\\n'; read x; echo \"got [$x]\""}]},
        {"id": "next", "title": "Next", "phase": "Deployment", "items": [
            {"id": "done", "title": "Done", "kind": "manual"}]},
    ])
    t, run = s.open_run(path)
    s.check("the run screen shows", run is not None, t.text())
    t.send("\t\r")

    def cooked(t):
        lflag = t.slave_attrs()[3]
        return bool(lflag & termios.ICANON and lflag & termios.ECHO)
    s.expect_all(t, [
        ("the command's output shows on the terminal", "inside"),
        ("while the command reads, the terminal is in line mode with echo", cooked),
        ("the interface is not drawn over the command",
         lambda t: "Sections" not in t.text() or t.text().index("inside") > t.text().index("Sections")),
    ])
    t.send("yes\r")
    s.expect_all(t, [
        ("after Enter the run screen comes back",
         lambda t: "Look around" in t.text() and t.line(1).startswith("┌")
         and "interactive; exit status 0" in t.text()),
        ("the typed line reached the command, not the interface",
         lambda t: "got [yes]" in bytes(t.raw).decode(errors="replace")),
        ("what the item showed is asked", "What did it show?"),
    ])
    t.send("\r\r")
    s.expect_all(t, [
        ("Enter, Enter leaves it pending", "left pending"),
        ("the item waits for attestation", "attest?"),
        ("it does not count for the gate yet", "items 0/1"),
        ("the screen is whole again: no line of the command is left",
         lambda t: not any(l.startswith(("inside", "got [")) for l in t.screen.display)),
        ("the interface has the terminal in raw mode again", lambda t: not t.slave_attrs()[3] & termios.ICANON),
    ])
    t.send(" \r\r")
    s.expect("Space attests it (pass, the dialog's default) and the gate counts it",
             t, lambda t: "items 1/1" in t.text() and "shell/look attested by" in t.text())
    db = sqlite3.connect("file:%s?mode=ro" % s.env["COUNTERSIGN_DB"], uri=True)
    finished = [json.loads(p) for (p,) in db.execute(
        "SELECT payload FROM events WHERE chain = ? AND kind = 'check_finished'", (run,))]
    db.close()
    s.check("the record has the exit status and no output",
            len(finished) == 1 and finished[0].get("exit_status") == 0 and "evidence" not in finished[0]
            and "inside" not in json.dumps(finished), finished)
    t.send("q")
    s.check("q quits", t.wait_exit() == 0)
finally:
    s.finish()
