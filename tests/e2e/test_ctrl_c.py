#!/usr/bin/python3
"""Ctrl-C in an interactive item (kubectl logs -f, exec -it, port-forward
are ended that way) goes to the item alone: countersign survives, takes the
terminal back and asks what the item showed. Pass needs a note and records
a pass; fail records a fail; pending (the default) records nothing more and
leaves the item waiting for an attestation. Ctrl-Z does not suspend the
item. `countersign check` of an interactive item on a terminal behaves the
same way and asks on the terminal."""
import json
import os
import sqlite3
import termios

from termharness import PIN, Suite, Term, until

MARK = "31.75"  # a sleep no other process runs
s = Suite("ctrl-c")


def sleeping():
    """True when the item's own sleep runs (not only the shell that will
    start it: a shell given Ctrl-C before it started its command may catch
    it for itself)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
            with open("/proc/%s/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if argv[:2] == [b"sleep", MARK.encode()] and state != "Z":
            return True
    return False


def attested(run):
    db = sqlite3.connect("file:%s?mode=ro" % s.env["COUNTERSIGN_DB"], uri=True)
    rows = [(t, json.loads(p)) for (t, p) in db.execute(
        "SELECT target, payload FROM events WHERE chain = ? AND kind = 'attested' ORDER BY seq", (run,))]
    db.close()
    return rows


def finished(run, target):
    db = sqlite3.connect("file:%s?mode=ro" % s.env["COUNTERSIGN_DB"], uri=True)
    rows = [json.loads(p) for (p,) in db.execute(
        "SELECT payload FROM events WHERE chain = ? AND kind = 'check_finished' AND target = ? ORDER BY seq",
        (run, target))]
    db.close()
    return rows


def item(run, sec, it):
    status = json.loads(s.cli("status", run, "--json").stdout)
    for section in status["sections"]:
        if section["id"] == sec:
            for i in section["items"]:
                if i["id"] == it:
                    return i
    return None


def run_and_interrupt(t, name, banner):
    """Runs the selected interactive item, waits for BANNER and its sleep,
    sends Ctrl-C; checks countersign survives and asks for the outcome."""
    t.send("\r")
    s.expect("%s: the item has the terminal" % name, t, banner)
    s.check("%s: its process runs" % name, until(sleeping))
    t.send("\x03")
    s.expect_all(t, [
        ("%s: countersign survives Ctrl-C and asks what the item showed" % name,
         lambda t: t.alive() and "What did it show?" in t.text()),
        ("%s: the dialog offers pending, pass and fail" % name,
         lambda t: "[pending]" in t.text() and "pass" in t.text() and "fail" in t.text()),
        ("%s: the terminal is in raw mode again" % name, lambda t: not t.slave_attrs()[3] & termios.ICANON),
    ])
    s.check("%s: the item's process is gone" % name, until(lambda: not sleeping()))


try:
    s.engineers("alice")
    path = s.checklist("e2e-ctrl-c", [
        {"id": "watch", "title": "Watch the rollout", "phase": "Deployment", "items": [
            {"id": "logs", "title": "Follow the logs", "kind": "command", "interactive": True,
             "run": "echo following-logs; sleep " + MARK},
            {"id": "shell", "title": "Shell in the pod", "kind": "command", "interactive": True,
             "run": "trap 'echo trapped-int; exit 3' INT; echo in-the-pod; sleep " + MARK + " & wait"},
            {"id": "fwd", "title": "Port forward", "kind": "command", "interactive": True,
             "run": "echo forwarding; sleep " + MARK},
            {"id": "cli", "title": "From the command line", "kind": "command", "interactive": True,
             "run": "echo cli-item; sleep " + MARK}]},
        {"id": "after", "title": "After", "phase": "Post-Deployment", "items": [
            {"id": "done", "title": "Done", "kind": "manual"}]},
    ])
    t, run = s.open_run(path)
    s.check("the run screen shows", run is not None, t.text())

    # pass: a note is required, then a pass is recorded with it
    t.send("\t")
    run_and_interrupt(t, "logs", "following-logs")
    t.send("p\r\r")
    s.expect("logs: a pass without a note is refused", t, "a pass needs a note")
    t.send("no errors for two minutes\r")
    s.expect("logs: pass with a note is recorded", t,
             lambda t: "What did it show?" not in t.text() and "pass: watch/logs attested by alice" in t.text())
    rows = attested(run)
    s.check("logs: the record has the pass and the note",
            rows == [("watch/logs", {"verdict": "pass", "note": "no errors for two minutes"})], rows)
    fin = finished(run, "watch/logs")
    s.check("logs: the check is recorded as ended with Ctrl-C, not interrupted",
            len(fin) == 1 and fin[0].get("signal") == 2 and "Ctrl-C" in fin[0]["message"]
            and "interrupted" not in fin[0]["message"], fin)
    i = item(run, "watch", "logs")
    s.check("logs: status shows a pass that needs nothing more",
            i["verdict"] == "pass" and not i.get("needs_attestation"), i)

    # fail: a script that traps SIGINT ends its own way
    t.send("j")
    run_and_interrupt(t, "shell", "in-the-pod")
    s.check("shell: the script's trap ran", "trapped-int" in bytes(t.raw).decode(errors="replace"))
    t.send("f\rcrash loop in the pod\r")
    s.expect("shell: fail is recorded", t, "fail: watch/shell attested by alice")
    fin = finished(run, "watch/shell")
    s.check("shell: the trap's exit status is recorded", len(fin) == 1 and fin[0].get("exit_status") == 3, fin)
    i = item(run, "watch", "shell")
    s.check("shell: status shows fail", i["verdict"] == "fail" and not i.get("needs_attestation"), i)

    # pending: the default; Ctrl-Z first does not suspend the item
    t.send("j\r")
    s.expect("fwd: the item has the terminal", t, "forwarding")
    s.check("fwd: its process runs", until(sleeping))
    t.send("\x1a")
    s.expect("fwd: Ctrl-Z does not suspend it, and says so", t,
             lambda t: "cannot be suspended" in bytes(t.raw).decode(errors="replace"))
    s.check("fwd: countersign and the item are still there",
            t.alive() and sleeping() and "What did it show?" not in t.text())
    t.send("\x03")
    s.expect("fwd: after Ctrl-C the outcome is asked", t, "What did it show?")
    t.send("\r\r")
    s.expect("fwd: Enter, Enter leaves it pending", t,
             lambda t: "What did it show?" not in t.text() and "left pending" in t.text())
    s.check("fwd: no attestation is recorded", [r for r in attested(run) if r[0] == "watch/fwd"] == [],
            attested(run))
    i = item(run, "watch", "fwd")
    s.check("fwd: it still waits for an attestation and does not count",
            i.get("needs_attestation") is True and "attest?" in t.text(), i)
    t.send("q")
    code = t.wait_exit()
    s.check("q quits", code == 0, "exit %r" % code)

    # the command line: Ctrl-C goes to the item, then the outcome is asked
    def cli_interrupt(name, target, banner):
        c = Term(s, ["check", run, target, "--engineer", "alice"])
        s.expect("%s: the PIN is asked" % name, c, "PIN")
        c.send(PIN["alice"] + "\r")
        s.expect("%s: the item has the terminal" % name, c, banner)
        s.check("%s: its process runs" % name, until(sleeping))
        c.send("\x03")
        s.expect("%s: countersign survives Ctrl-C and asks" % name, c,
                 lambda t: t.alive() and "What did it show?" in t.text())
        return c

    c = cli_interrupt("cli", "watch/cli", "cli-item")
    c.send("pass\r")
    s.expect("cli: a pass asks for a note", c, "Note (what you saw)")
    c.send("tunnel answered\r")
    code = c.wait_exit()
    s.check("cli: a recorded pass exits 0", code == 0, "exit %r\n%s" % (code, c.text()))
    s.check("cli: it says so", "pass: watch/cli attested by alice" in c.text(), c.text())
    rows = [r for r in attested(run) if r[0] == "watch/cli"]
    s.check("cli: the record has the pass and the note",
            rows == [("watch/cli", {"verdict": "pass", "note": "tunnel answered"})], rows)

    c = cli_interrupt("cli pending", "watch/fwd", "forwarding")
    c.send("\r")
    code = c.wait_exit()
    s.check("cli pending: Enter leaves it pending, exit 1", code == 1 and "pending: watch/fwd" in c.text(),
            "exit %r\n%s" % (code, c.text()))
    s.check("cli pending: nothing attested", [r for r in attested(run) if r[0] == "watch/fwd"] == [])
finally:
    s.finish()
