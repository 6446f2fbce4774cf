#!/usr/bin/python3
"""Quitting while a check runs: Ctrl-C (and q) ask first, default No; n
keeps the check running; y quits, the check's processes are stopped and it
is recorded as cancelled, and the terminal is given back in line mode."""
import json
import signal
import termios

from termharness import Suite, Term, process_running, until

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
    s.expect("the check runs", t, lambda t: "▶ running" in t.text() and "started" in t.text())
    s.check("its process is there", until(lambda: process_running("sleep " + MARK)))

    t.send("\x03")
    s.expect_all(t, [
        ("Ctrl-C asks before quitting", "Quit? (y/N)"),
        ("the question says the check will be cancelled", "1 check(s) still run"),
    ])
    t.send("n")
    s.expect_all(t, [
        ("n keeps the interface", lambda t: "Quit?" not in t.text() and t.alive()),
        ("and the check still runs", "▶ running"),
    ])
    s.check("and its process still runs", process_running("sleep " + MARK))

    t.send("\x03")
    s.expect("Ctrl-C asks again", t, "Quit? (y/N)")
    t.send("\r")
    s.expect("Enter answers No", t, lambda t: "Quit?" not in t.text() and t.alive())

    t.send("q")
    s.expect("q asks too", t, "Quit? (y/N)")
    t.send("y")
    code = t.wait_exit()
    s.check("y quits with exit status 0", code == 0, "exit %r" % code)
    s.check("no process of the check is left", until(lambda: not process_running("sleep " + MARK)))
    lflag = t.slave_attrs()[3]
    s.check("the terminal is back in line mode with echo",
            lflag & termios.ECHO and lflag & termios.ICANON, "lflag %o" % lflag)
    status = json.loads(s.cli("status", run, "--json").stdout)
    verdict = status["sections"][0]["items"][0]["verdict"]
    s.check("the check is recorded as cancelled", verdict == "cancelled", verdict)

    # the terminal goes away (SIGHUP) while the check runs
    t = Term(s, ["open", path])
    s.expect("reopening asks to sign in", t, "Sign in")
    t.send("alice\t123456\r")
    s.expect("reopening offers the open run", t, "start a new run of")
    t.send("\r")
    s.expect("the run is resumed", t, "Slow check")
    t.send("\t\r")
    s.expect("the check runs again", t, "▶ running")
    s.check("its process is there again", until(lambda: process_running("sleep " + MARK)))
    t.proc.send_signal(signal.SIGHUP)
    code = t.wait_exit()
    s.check("SIGHUP ends the interface", code is not None, "still running")
    s.check("SIGHUP leaves no process of the check", until(lambda: not process_running("sleep " + MARK)))
    lflag = t.slave_attrs()[3]
    s.check("SIGHUP gives the terminal back in line mode", lflag & termios.ICANON, "lflag %o" % lflag)
    status = json.loads(s.cli("status", run, "--json").stdout)
    item = status["sections"][0]["items"][0]
    s.check("the check is recorded as ended, never as running or passed",
            item["verdict"] in ("cancelled", "error") and item["attempts"] == 2, item)
finally:
    s.finish()
