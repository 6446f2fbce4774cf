#!/usr/bin/python3
"""A secret skipped when a run is resumed and given later with V: a check
that needs it is refused until then, runs once it is given, and what it
records (an HTTP check's URL in its evidence and message) shows the secret
as *** like one given at the start. The checklist has a notify entry, so the
session's network side is set up before the secret is given."""
import sqlite3

from termharness import Suite, Term, run_screen

SECRET = "s3cr3t-t0k3n-4711"

s = Suite("secret-later")
try:
    s.engineers("alice")
    path = s.checklist("e2e-secret-later", [
        {"id": "api", "title": "API", "phase": "Pre-Deployment", "items": [
            # port 9 (discard) refuses at once on 127.0.0.1
            {"id": "health", "title": "Health answers", "kind": "http",
             "url": "http://127.0.0.1:9/health?token=${TOKEN}"}]},
        {"id": "ship", "title": "Ship", "phase": "Deployment", "items": [
            {"id": "go", "title": "Go live", "kind": "manual"}]},
    ], variables=[{"name": "TOKEN", "prompt": "Token", "secret": True}],
        notify=[{"url": "${CHAT_WEBHOOK}", "format": "slack", "on": ["gate_passed"]}])
    s.env["TOKEN"] = SECRET
    s.cli("start", path, "--engineer", "alice", pin="alice")
    del s.env["TOKEN"]
    run = s.run_ids()[-1]

    t = Term(s, ["open", path])
    s.expect("opening asks to sign in", t, "Sign in")
    t.send("alice\t123456\r")
    s.expect("the open run is offered", t, "start a new run of")
    t.send("\r")
    s.expect("resuming asks for the secret", t, "Secrets")
    t.send("\r")
    s.expect("skipped, the run screen shows", t, run_screen)
    t.send("\t\r")
    s.expect("the check that needs it is refused, saying how to give it", t,
             "${TOKEN} has no value in this session: V gives it")
    t.send("V")
    s.expect("V asks for the variables without a value", t, lambda t: "Variables" in t.text() and "Token" in t.text())
    t.send(SECRET + "\r")
    s.expect("the secret is given", t, "given for this session: TOKEN")
    s.check("the secret is not on the screen", SECRET not in t.text(), t.text())
    t.send("\r")
    s.expect("the check runs and fails (nothing listens)", t, "error: api/health")

    db = sqlite3.connect("file:%s?mode=ro" % s.env["COUNTERSIGN_DB"], uri=True)
    payloads = [p for (p,) in db.execute("SELECT payload FROM events WHERE chain = ?", (run,))]
    evidence = [bytes(b).decode(errors="replace") for (b,) in db.execute("SELECT bytes FROM evidence")]
    db.close()
    recorded = "\n".join(payloads + evidence)
    s.check("the evidence names the URL with the secret as ***", "token=***" in recorded, recorded)
    s.check("the secret is nowhere in the record", SECRET not in recorded, recorded)
    t.send("q")
    s.check("q quits", t.wait_exit() == 0)
finally:
    s.finish()
