#!/usr/bin/python3
"""A PIN changed in another terminal while the interface is open: alice's
interface has her key unlocked since she signed in; from the command line
she changes her PIN. The interface's next record in her name (a check) is
refused, saying why, nothing is written, and it asks her to sign in again;
her old PIN is refused there, the new one works and her next check is
recorded and signed with the new key. The record verifies."""
import sqlite3
import subprocess

from termharness import PIN, Suite, run_screen

s = Suite("pin_changed")
NEW_PIN = "777777"


def events(kind):
    db = sqlite3.connect(s.env["COUNTERSIGN_DB"])
    try:
        return db.execute("select count(*) from events where kind = ?", (kind,)).fetchone()[0]
    finally:
        db.close()


try:
    s.engineers("alice", "bob")
    path = s.checklist("e2e-pin-changed", [
        {"id": "check", "title": "Checks", "phase": "Pre-Deployment", "items": [
            {"id": "one", "title": "First check", "kind": "command", "run": "echo one"},
            {"id": "two", "title": "Second check", "kind": "command", "run": "echo two"}]},
    ])
    t, run = s.open_run(path)
    s.check("alice's run screen shows", run is not None, t.text())
    t.send("\t\r")
    s.expect("her first check is recorded", t, "items 1/2")

    r = subprocess.run([s.binary, "engineer", "pin", "alice", "--pin-stdin"], cwd=s.dir, env=s.env,
                       input="%s\n%s\n%s\n" % (PIN["alice"], NEW_PIN, NEW_PIN), capture_output=True, text=True,
                       timeout=60)
    s.check("alice changes her PIN from the command line", r.returncode == 0, r.stderr)
    started = events("check_started")

    t.send("j\r")
    s.expect("the interface asks her to sign in again", t, "Sign in again")
    # the dialog and the reason may reach the screen in different frames
    s.expect("the refused record said why", t,
             lambda t: "was changed in another terminal" in t.text() or "was changed since it was entered" in t.text())
    s.check("nothing was recorded with her replaced key", events("check_started") == started)

    t.send(PIN["alice"] + "\r")
    s.expect("her old PIN is refused", t, "wrong PIN for alice")
    t.send(NEW_PIN + "\r")
    s.expect("her new PIN signs her in", t, lambda t: "Sign in again" not in t.text() and run_screen(t))
    t.send("\r")
    s.expect("her second check is recorded", t, "items 2/2")

    db = sqlite3.connect(s.env["COUNTERSIGN_DB"])
    key = db.execute("select public_key from engineers where name = 'alice'").fetchone()[0]
    sigs = db.execute("select sigs from events where chain = ? and target = 'check/two' order by seq",
                      (run,)).fetchall()
    db.close()
    s.check("it is signed with her new key", len(sigs) == 2 and all(key in x[0] for x in sigs), sigs)
    r = s.cli("verify", check=False)
    s.check("the record verifies", r.returncode == 0, r.stdout + r.stderr)
    t.send("q")
finally:
    s.finish()
