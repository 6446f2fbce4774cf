#!/usr/bin/python3
"""Quitting while a check runs: Ctrl-C (and q) ask first, default No; n
keeps the check running; y quits, the check's processes are stopped and it
is recorded as cancelled, and the terminal is given back in line mode."""
import json
import signal
import termios

from termharness import Suite, Term, process_running

MARK = "37.25"  # a sleep no other process runs
s = Suite("quit")
try:
    s.engineers("alice")
    path = s.checklist("e2e-quit", [
        {"id": "prep", "title": "Preparation", "phase": "Pre-Deployment", "items": [
            {"id": "slow", "title": "Slow check", "kind": "command", "run": "echo started; sleep " + MARK}]},
    ])
    t, run = s.open_run(path)
    s.check("the run screen shows", run is not None, t.text())
    t.send("\t\r")
    s.check("the check runs", t.wait_for("▶ running") is not None and t.wait_for("started") is not None, t.text())
    s.check("its process is there", process_running("sleep " + MARK))

    t.send("\x03")
    s.check("Ctrl-C asks before quitting", t.wait_for("Quit? (y/N)") is not None, t.text())
    s.check("the question says the check will be cancelled", "1 check(s) still run" in t.text(), t.text())
    t.send("n")
    s.check("n keeps the interface", t.wait_for(lambda t: "Quit?" not in t.text()) is not None and t.alive(), t.text())
    s.check("and the check still runs", "▶ running" in t.text() and process_running("sleep " + MARK), t.text())

    t.send("\x03")
    t.wait_for("Quit? (y/N)")
    t.send("\r")
    s.check("Enter answers No", t.wait_for(lambda t: "Quit?" not in t.text()) is not None and t.alive(), t.text())

    t.send("q")
    s.check("q asks too", t.wait_for("Quit? (y/N)") is not None, t.text())
    t.send("y")
    code = t.wait_exit()
    s.check("y quits with exit status 0", code == 0, "exit %r" % code)
    s.check("no process of the check is left", not process_running("sleep " + MARK))
    lflag = t.slave_attrs()[3]
    s.check("the terminal is back in line mode with echo",
            lflag & termios.ECHO and lflag & termios.ICANON, "lflag %o" % lflag)
    status = json.loads(s.cli("status", run, "--json").stdout)
    verdict = status["sections"][0]["items"][0]["verdict"]
    s.check("the check is recorded as cancelled", verdict == "cancelled", verdict)

    # the terminal goes away (SIGHUP) while the check runs
    t = Term(s, ["open", path])
    t.wait_for("Sign in")
    t.send("alice\t123456\r")
    s.check("reopening asks to resume the open run", t.wait_for("Resume it (y)") is not None, t.text())
    t.send("y")
    t.wait_for("Slow check")
    t.send("\t\r")
    s.check("the check runs again", t.wait_for("▶ running") is not None and process_running("sleep " + MARK), t.text())
    t.proc.send_signal(signal.SIGHUP)
    code = t.wait_exit()
    s.check("SIGHUP ends the interface", code is not None, "still running")
    s.check("SIGHUP leaves no process of the check", not process_running("sleep " + MARK))
    lflag = t.slave_attrs()[3]
    s.check("SIGHUP gives the terminal back in line mode", lflag & termios.ICANON, "lflag %o" % lflag)
    status = json.loads(s.cli("status", run, "--json").stdout)
    item = status["sections"][0]["items"][0]
    s.check("the check is recorded as ended, never as running or passed",
            item["verdict"] in ("cancelled", "error") and item["attempts"] == 2, item)
finally:
    s.finish()
