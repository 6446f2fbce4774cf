#!/usr/bin/python3
"""A check stuck "running" because the process that started it ran on
another host (or on this one under an older host name) cannot be seen from
here: the run screen says so, and `c` on it asks for the operator's PIN and
a reason, then records it as interrupted by that engineer. Faking the other
host needs a UTS namespace (unshare -u, as root): skipped where there is none."""
import json
import os
import signal
import sqlite3
import subprocess

from termharness import PIN, Suite, run_screen, until

s = Suite("recover")
try:
    if subprocess.run(["unshare", "-u", "true"], capture_output=True).returncode != 0:
        s.skip("no UTS namespace here (unshare -u needs root)")
    s.engineers("alice")
    path = s.checklist("e2e-recover", [
        {"id": "work", "title": "Work", "phase": "Deployment", "items": [
            {"id": "stuck", "title": "Long job", "kind": "command",
             "run": "echo $$ > stuck.pgid; sleep 300"},
            {"id": "other", "title": "Other", "kind": "manual"}]},
    ])
    run = s.cli("start", path, "--engineer", "alice", pin="alice").stdout.strip()
    # The check runs under another host name, then its countersign dies.
    env = dict(s.env)
    proc = subprocess.Popen(
        ["unshare", "-u", "sh", "-c", 'hostname countersign-far-away && exec "$@"', "sh",
         s.binary, "check", run, "work/stuck", "--engineer", "alice", "--pin-stdin"],
        cwd=s.dir, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.stdin.write((PIN["alice"] + "\n").encode())
    proc.stdin.close()
    pgid_file = os.path.join(s.dir, "stuck.pgid")
    s.check("the check started elsewhere", until(lambda: os.path.exists(pgid_file) and os.path.getsize(pgid_file)))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    try:
        os.killpg(int(open(pgid_file).read()), signal.SIGKILL)
    except (OSError, ValueError):
        pass

    t = __import__("termharness").Term(s, ["open", "--run", run], 100, 30)
    s.expect("sign in", t, "Sign in")
    t.send("alice\t" + PIN["alice"] + "\r")
    s.expect("the run screen shows", t, run_screen)
    t.send("\t")
    s.expect_all(t, [
        ("the item still reads running", lambda t: any("Long job" in l and "running" in l for l in t.screen.display)),
        ("the detail says it cannot be seen from here", "cannot be seen from here"),
        ("and names the other host", "countersign-far-away"),
    ])
    t.send("c")
    s.expect("c opens the recovery dialog", t, "Recover a stuck check")
    t.send("wrong-pin\t" + "host renamed by a restart\r")
    s.expect("a wrong PIN records nothing and keeps the dialog", t,
             lambda t: "wrong PIN" in t.text() and "Recover a stuck check" in t.text())
    t.send(PIN["alice"] + "\r\r")  # Enter moves on to the reason, Enter there submits
    s.expect("the right PIN records it", t, "recorded as interrupted by alice")
    db = sqlite3.connect("file:%s?mode=ro" % s.env["COUNTERSIGN_DB"], uri=True)
    rows = db.execute("SELECT actor, payload FROM events WHERE chain = ? AND kind = 'check_finished' "
                      "AND target = 'work/stuck'", (run,)).fetchall()
    db.close()
    s.check("one check_finished, by alice, with the reason",
            len(rows) == 1 and rows[0][0] == "alice" and "host renamed by a restart" in json.loads(rows[0][1])["message"]
            and json.loads(rows[0][1])["verdict"] == "error", rows)
    s.expect("the item reads error", t, lambda t: any("Long job" in l and "error" in l for l in t.screen.display))
    t.send("q")
    s.check("q quits", t.wait_exit() == 0)
finally:
    s.finish()
