#!/usr/bin/python3
"""Waits in a real terminal: a wait cannot start before the step it follows,
the item after a running wait is locked, the row counts down ("in 59m…")
and the output pane says when it passes, and c cancels it (asked first)
so that it can be started afresh."""
import sqlite3

from termharness import Suite

s = Suite("waits")
try:
    s.engineers("alice")
    path = s.checklist("e2e-waits", [
        {"id": "roll", "title": "Roll out", "phase": "Deployment", "signoffs": 0, "items": [
            {"id": "deploy", "title": "Deploy the release", "kind": "command", "run": "echo deployed"},
            {"id": "soak", "title": "Soak for an hour", "kind": "wait", "duration": "1h"},
            {"id": "verify", "title": "Error rate after the soak", "kind": "command", "run": "echo fine"}]},
    ])
    t, run = s.open_run(path, cols=100, rows=30)
    s.check("the run screen shows", run is not None, t.text())
    t.send("\tj\r")
    s.expect("the wait does not start before the step it follows", t,
             "the wait roll/soak starts once roll/deploy has passed")
    t.send("j\r")
    s.expect("the item after the wait is locked", t, "comes after the wait roll/soak")
    t.send("kk\r")
    s.expect("the step passes", t, lambda t: "pass: roll/deploy" in t.text() or "items 1/2" in t.text())
    t.send("j\r")
    s.expect_all(t, [
        ("the wait starts", "wait started: roll/soak"),
        ("its row counts down", lambda t: any("Soak for an hour" in l and (" in 59m" in l or " in 1h" in l)
                                              for l in t.screen.display)),
        ("the output pane says when it passes", "(in "),
        ("and how to cancel it", "c cancels it"),
    ])
    s.check("the output pane names the time", "passes at " in t.text(), t.text())
    t.send("j\r")
    s.expect("the item after the running wait is locked", t, "which has not passed yet")
    t.send("kc")
    s.expect("c asks before cancelling", t, "Cancel the wait")
    t.send("y")
    s.expect("y cancels it", t, lambda t: "wait cancelled: roll/soak" in t.text()
             and any("Soak for an hour" in l and "cancelled" in l for l in t.screen.display))
    t.send("\r")
    s.expect("it starts afresh", t, lambda t: any("Soak for an hour" in l and "running" in l
                                                  for l in t.screen.display))
    db = sqlite3.connect("file:%s?mode=ro" % s.env["COUNTERSIGN_DB"], uri=True)
    kinds = [k for (k,) in db.execute("SELECT kind FROM events WHERE chain = ? AND target = 'roll/soak' "
                                      "ORDER BY seq", (run,))]
    db.close()
    s.check("the record: started, cancelled, started", kinds == ["check_started", "check_finished", "check_started"],
            kinds)
    t.send("q")
    s.check("q quits", t.wait_exit() == 0)
finally:
    s.finish()
