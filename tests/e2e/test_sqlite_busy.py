#!/usr/bin/python3
"""A SQLite record whose write lock another process keeps longer than the
busy timeout (10 s) when a check ends: the result is held, not lost. The
status line says "not recorded: database busy/locked, retrying", the item
is not shown as passed, q asks before losing it; once the lock is let go
the result lands exactly once and verify passes."""
import os
import sqlite3

from termharness import Suite

HELD = "not recorded: database busy/locked, retrying"


def row(t, title):
    return next((l for l in t.screen.display if title in l), "")


s = Suite("sqlite_busy")
try:
    s.engineers("alice")
    go = os.path.join(s.dir, "go")
    path = s.checklist("busy", [{"id": "s", "title": "Steps", "signoffs": 0, "items": [
        {"id": "wait", "title": "Waits for go", "kind": "command",
         "run": "while [ ! -e '%s' ]; do sleep 0.05; done; echo went" % go},
        {"id": "look", "title": "Look", "kind": "manual"}]}])
    t, run = s.open_run(path)
    s.check("the run screen shows", run is not None, t.text())
    t.send("\t\r")
    s.expect("the check runs", t, lambda t: "running" in row(t, "Waits for go"))
    db = sqlite3.connect(os.path.join(s.dir, "cs.db"), isolation_level=None, timeout=30)
    db.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    open(go, "w").close()
    s.expect_all(t, [
        ("past the busy timeout the result is held, and the line says why", HELD),
        ("the item is not shown as passed", lambda t: "pass" not in row(t, "Waits for go")),
    ], timeout=40)
    t.send("q")
    s.expect_all(t, [
        ("q asks first, saying why", "1 result is not recorded: the database is busy"),
        ("and asks to lose it", "Quit and lose them? (y/N)"),
    ])
    t.send("n")
    db.execute("ROLLBACK")
    db.close()
    s.expect_all(t, [
        ("once the lock is let go the result lands", "recorded pass of s/wait after the database was free again"),
        ("the item shows it passed", lambda t: "pass" in row(t, "Waits for go")),
        ("the retrying line is gone", lambda t: HELD not in t.text()),
    ], timeout=40)
    audit = s.cli("audit", "--run", run, "--kind", "check_finished").stdout
    s.check("the result is recorded once", sum("s/wait" in l for l in audit.splitlines()) == 1, audit)
    s.check("verify passes", s.cli("verify", check=False).returncode == 0)
    t.send("q")
    s.check("q quits at once when nothing is held", t.wait_exit() == 0)
finally:
    s.finish()
