#!/usr/bin/python3
"""The interface with the PostgreSQL server down (run by
test_e2e_unreachable.sh inside tests/pg/with_pg, which halts and starts the
cluster with pg_tmp):

1. an attestation made while the server is down says "not recorded: the
   database cannot be reached" and changes nothing; a check that ends while
   it is down shows "not recorded: database unreachable, retrying" until the
   server is back, then its result lands exactly once and verify passes;
2. quitting with a result held asks first, and answering yes prints what was
   lost (item, verdict, finish time, evidence) once the screen is left;
3. a message said while a result is held (a refusal of another key) shows,
   after a short form of the retrying line;
4. the terminal closing (SIGHUP) with a result held: it is tried on without
   a screen and lands when the server is back;
5. the same with the server staying down: after the time allowed
   (COUNTERSIGN_TEST_HANGUP_MS here, 60 s in the program) what was lost goes
   to syslog (COUNTERSIGN_TEST_SYSLOG_FILE here), one line per result."""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from termharness import Suite  # noqa: E402

PG_TMP = os.environ.get("COUNTERSIGN_PG_TMP")
PG_DIR = os.environ.get("COUNTERSIGN_TEST_PG_DIR")
HELD = "not recorded: database unreachable, retrying"


def pg(cmd):
    subprocess.run([PG_TMP, cmd, PG_DIR], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def row(t, title):
    return next((l for l in t.screen.display if title in l), "")


def finishes(s, run, target):
    out = s.cli("audit", "--run", run, "--kind", "check_finished").stdout
    return sum(1 for l in out.splitlines() if target in l)


s = Suite("unreachable")
try:
    if not (PG_TMP and PG_DIR and os.environ.get("COUNTERSIGN_E2E_DB")):
        s.skip("needs a throwaway PostgreSQL cluster (tests/pg/with_pg)")
    s.engineers("alice")

    def checklist(name):
        return s.checklist(name, [
            {"id": "s", "title": "Steps", "phase": "Deployment", "signoffs": 0, "items": [
                {"id": "wait", "title": "Waits for go", "kind": "command",
                 "run": "while [ ! -e '%s' ]; do sleep 0.05; done; echo went" % os.path.join(s.dir, name + ".go")},
                {"id": "look", "title": "Look at the graphs", "kind": "manual"}]},
        ])

    # --- 1. held while the server is down, recorded once when it is back ---
    t, run = s.open_run(checklist("held"))
    s.check("the run screen shows", run is not None, t.text())
    t.send("\t\r")
    s.expect("the check runs", t, lambda t: "running" in row(t, "Waits for go"))
    pg("halt")
    t.send("j ")
    t.wait_for("Attest")
    t.send("\r\r")
    s.expect("an attestation with the server down is not recorded, and says so", t,
             "not recorded: the database cannot be reached")
    s.check("and changes nothing", "pass" not in row(t, "Look at the graphs"), t.text())
    t.send("\x1b")  # the dialog stays open to be sent again: Esc leaves it
    s.expect("Esc closes the attest dialog", t, lambda t: "Attest " not in t.text())
    open(os.path.join(s.dir, "held.go"), "w").close()
    s.expect_all(t, [
        ("the check's end with the server down says it is not recorded", HELD),
        ("with the count held and the next try", lambda t: re.search(r"1 result held, next try in \d+s", t.text())),
        ("the item is not shown as passed", lambda t: "pass" not in row(t, "Waits for go")),
    ])
    pg("start")
    s.expect_all(t, [
        ("once the server is back the result lands and says so",
         "recorded pass of s/wait after the database came back"),
        ("the item shows it passed", lambda t: "pass" in row(t, "Waits for go")),
        ("the retrying line is gone", lambda t: HELD not in t.text()),
    ], timeout=40)
    s.check("the result is recorded exactly once", finishes(s, run, "s/wait") == 1, finishes(s, run, "s/wait"))
    s.check("verify passes", s.cli("verify", check=False).returncode == 0)
    t.send("q")
    code = t.wait_exit()
    s.check("q quits at once when nothing is held", code == 0, "%s\n%s" % (code, t.text()))

    # --- 2. quitting with a result held asks, and yes says what was lost ---
    t, run = s.open_run(checklist("lost"))
    s.check("a second run shows", run is not None, t.text())
    t.send("\t\r")
    s.expect("its check runs", t, lambda t: "running" in row(t, "Waits for go"))
    pg("halt")
    open(os.path.join(s.dir, "lost.go"), "w").close()
    s.expect("its result is held", t, HELD)
    t.send("q")
    s.expect_all(t, [
        ("q asks first", "1 result is not recorded: the database cannot be reached"),
        ("naming it", "s/wait: pass, finished"),
        ("and asks to lose it", "Quit and lose them? (y/N)"),
    ])
    t.send("n")
    s.expect("no stays", t, HELD)
    s.check("and keeps running", t.alive())
    t.send("q")
    t.wait_for("Quit and lose them?")
    t.send("y")
    code = t.wait_exit()
    s.check("yes quits, with exit status 3", code == 3, code)
    raw = t.raw.decode(errors="replace")
    s.check("what was lost is printed after the screen",
            re.search(r"NOT recorded .*\n?.*s/wait: pass, finished \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, "
                      r"evidence [0-9a-f]{64}", raw) is not None, raw[-600:])
    pg("start")
    s.check("nothing of it was recorded", finishes(s, run, "s/wait") == 0)

    # --- 3. another message said while a result is held shows too ---
    t, run = s.open_run(checklist("fresh"))
    s.check("a third run shows", run is not None, t.text())
    t.send("\t\r")
    s.expect("its check runs", t, lambda t: "running" in row(t, "Waits for go"))
    pg("halt")
    open(os.path.join(s.dir, "fresh.go"), "w").close()
    s.expect("its result is held", t, HELD)
    t.send("jc")  # cancel on an item that does not run: refused on the status line
    s.expect_all(t, [
        ("the refusal shows while a result is held", "nothing of this item runs in this session"),
        ("after a short form of the retrying line", lambda t: re.search(r"not recorded \(1 held, retry in \d+s\)", t.text())),
    ])
    pg("start")
    s.expect("it lands once the server is back", t, "recorded pass of s/wait after the database came back", timeout=40)
    t.send("q")
    s.check("q quits", t.wait_exit() == 0)

    # --- 4. the terminal closes with a result held: tried on, lands ---
    log = os.path.join(s.dir, "syslog.txt")
    t, run = s.open_run(checklist("hup"), env={"COUNTERSIGN_TEST_SYSLOG_FILE": log})
    s.check("a fourth run shows", run is not None, t.text())
    t.send("\t\r")
    s.expect("its check runs", t, lambda t: "running" in row(t, "Waits for go"))
    pg("halt")
    open(os.path.join(s.dir, "hup.go"), "w").close()
    s.expect("its result is held", t, HELD)
    os.close(t.master)  # the terminal window closes
    t.master = os.open("/dev/null", os.O_RDONLY)
    t.proc.send_signal(signal.SIGHUP)
    time.sleep(2)  # a span of time, not a wait for something
    s.check("after the hangup the program still tries", t.alive())
    pg("start")
    code = t.wait_exit(40)
    s.check("it ends once the result landed, with status 0", code == 0, code)
    s.check("the result is recorded once", finishes(s, run, "s/wait") == 1, finishes(s, run, "s/wait"))
    s.check("nothing was logged as lost", not os.path.exists(log))

    # --- 5. the same with the server down: what is lost goes to syslog ---
    t, run = s.open_run(checklist("hup2"), env={"COUNTERSIGN_TEST_SYSLOG_FILE": log,
                                                 "COUNTERSIGN_TEST_HANGUP_MS": "1500"})
    s.check("a fifth run shows", run is not None, t.text())
    t.send("\t\r")
    s.expect("its check runs", t, lambda t: "running" in row(t, "Waits for go"))
    pg("halt")
    open(os.path.join(s.dir, "hup2.go"), "w").close()
    s.expect("its result is held", t, HELD)
    os.close(t.master)
    t.master = os.open("/dev/null", os.O_RDONLY)
    t.proc.send_signal(signal.SIGHUP)
    code = t.wait_exit(30)
    s.check("it gives up after the time allowed, with status 3", code == 3, code)
    lines = open(log).read().splitlines() if os.path.exists(log) else []
    s.check("one line per lost result, naming run, item, verdict, finish time and evidence",
            len(lines) == 1 and re.search(r"NOT recorded .*: run %s, s/wait: pass, finished \d{4}-\d\d-\d\d "
                                          r"\d\d:\d\d:\d\d UTC, evidence [0-9a-f]{64}$" % re.escape(run), lines[0]),
            lines)
    pg("start")
    s.check("nothing of it was recorded", finishes(s, run, "s/wait") == 0)
finally:
    s.finish()
