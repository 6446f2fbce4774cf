#!/usr/bin/python3
"""The bundled tour (checklists/tour.json), walked by keys the way a newcomer
would after the quick start: it is listed first on the home screen of a new
database; the first engineer registers there and starts it; every kind of
item works on this machine (a command that passes, one that fails and is
waived, the tour's own web server on 127.0.0.1 and an HTTP check against it,
a short wait, manual items, a choice of two alternatives); the first gate
explains on screen how a second engineer signs, and bob, registered with the
command the tour names, signs from a second interface on the same database;
the run completes and the tour's web server is stopped at the end."""
import os
import re
import shutil
import socket
import subprocess

from termharness import PIN, Suite, Term, run_screen, until

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
s = Suite("tour")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def server_running(port):
    """A process of the tour's web server for PORT is alive."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "http.server" in cmd and cmd.rstrip().endswith(" %d" % port):
            return True
    return False


def flat(t):
    """The right-hand panes' text (items, output), wrapped lines joined, the
    boxes' edges gone."""
    return " ".join(" ".join(l.split("││")[-1].replace("│", " ").split()) for l in t.screen.display)


def row(t, title):
    """The item or section row that shows TITLE, or ''."""
    return next((l for l in t.screen.display if title in l), "")


def item_is(t, title, verdict):
    return re.search(r"%s +\S+ .*%s" % (re.escape(verdict), re.escape(title)), row(t, title)) is not None


def sign(t, who, name):
    """Signs the selected section in T as WHO (approve)."""
    t.send("s")
    s.expect("%s: the sign dialog opens" % name, t, "Sign section")
    # the engineer field may be prefilled with the operator: Ctrl-U empties it
    t.send("\x15" + who + "\t" + PIN[who] + "\r\r\r")


def attest(t, title):
    """Attests the selected item TITLE as a pass: Space, then the dialog's
    defaults (pass, no note) when Space opens one."""
    t.send(" ")
    t.wait_for(lambda t: "Attest" in t.text() or item_is(t, title, "pass"))
    if "Attest" in t.text():
        t.send("\r\r")
    s.expect("%s is attested" % title, t, lambda t: item_is(t, title, "pass"))


try:
    shutil.copytree(os.path.join(SOURCE, "checklists"), os.path.join(s.dir, "checklists"))
    tmp = os.path.join(s.dir, "tmp")
    os.mkdir(tmp)
    s.env["TMPDIR"] = tmp  # where the tour keeps its server's pid and log
    port = free_port()

    # --- the home screen of a new database ---
    t = Term(s, [], 80, 24)  # the smallest screen the interface supports
    def first_checklist(t):
        lines = t.screen.display
        return next((lines[i + 1].strip() for i, l in enumerate(lines) if l.startswith("Checklists")), "")
    s.expect_all(t, [
        ("the home screen lists the bundled checklists", lambda t: all(
            "checklists/%s.json" % n in t.text() for n in ("tour", "noa-server-deploy", "countersign-release"))),
        ("the tour is listed first", lambda t: first_checklist(t) == "checklists/tour.json"),
    ])
    t.send("\r")
    s.expect("opening it offers to register the first engineer", t, "Register the first engineer")
    t.send("alice\tAlice Example\t%s\t%s\r" % (PIN["alice"], PIN["alice"]))
    s.expect_all(t, [
        ("the new-run form asks for the tour's port", "Port of the tour's web server"),
        ("with a default", "47913"),
    ])
    t.send("\x15%d\r\r\r" % port)
    s.expect("the run screen shows the tour", t, lambda t: run_screen(t) and "A tour of countersign" in t.text())
    run = s.run_ids()[-1]

    # --- First steps: pass, fail and waive, attest ---
    s.expect("the section's description says what a gate is", t, lambda t: "two engineers sign it" in flat(t))
    t.send("\t\r")
    s.expect("a command passes", t, lambda t: item_is(t, "A command that passes", "pass")
             and "releasing v1.0.0" in t.text())
    t.send("j\r")
    s.expect("a command fails", t, lambda t: item_is(t, "A check that fails", "fail"))
    t.send("w")
    s.expect("w asks for a reason", t, "Waive")
    t.send("the tour fails it on purpose\r")
    s.expect("it is waived", t, lambda t: item_is(t, "A check that fails", "waived"))
    t.send("j")
    attest(t, "Attest a manual item")
    t.send("j")
    s.expect_all(t, [
        ("at the gate the screen says how to register a second engineer (80x24)",
         lambda t: "countersign engineer add bob" in flat(t)),
        ("and how they sign from a second terminal", lambda t: "countersign open --run RUN" in flat(t)),
        ("all of it fits", lambda t: "bob's signature shows here within a second" in flat(t)),
    ], timeout=5)
    attest(t, "A second engineer signs")
    s.expect("every item of the first section counts", t, "items 4/4 · sign-offs 0/2")
    t.send("\t")
    sign(t, "alice", "alice signs")
    s.expect("alice's approval counts", t, "items 4/4 · sign-offs 1/2")

    # --- bob: registered as the tour says, signs from a second interface ---
    s.cli("engineer", "add", "bob", "--full-name", "Bob Example", pin="bob")
    b = Term(s, ["open", "--run", run], 80, 24)
    s.expect("bob's terminal asks him to sign in", b, "Sign in")
    b.send("bob\t%s\r" % PIN["bob"])
    s.expect("bob sees the run", b, lambda b: run_screen(b) and "sign-offs 1/2" in b.text())
    sign(b, "bob", "bob signs")
    s.expect("bob's screen shows the gate passed", b, "sign-offs 2/2")
    s.expect("alice's screen shows it too, without a key", t, "sign-offs 2/2")
    b.send("q")
    s.check("bob's interface quits", b.wait_exit() == 0)

    # --- An HTTP check against the tour's own server, a wait ---
    t.send("j")
    s.expect_all(t, [
        ("the next section is open", lambda t: "small web server" in flat(t)),
        ("its description names the chosen port", lambda t: "127.0.0.1:%d" % port in flat(t)),
    ])
    t.send("\t\r")
    s.expect("the tour's server starts", t, lambda t: item_is(t, "Start the web server", "pass"), timeout=15)
    s.check("it listens on the chosen port", until(lambda: answers(port)))
    t.send("j\r")
    s.expect("the HTTP check passes", t, lambda t: item_is(t, "The server is healthy", "pass"), timeout=15)
    t.send("jj\r")
    s.expect("the item after the wait is locked before the wait", t, lambda t: "wait" in t.text().lower()
             and item_is(t, "The server's log", "pending"))
    t.send("k\r")
    s.expect("the wait runs", t, lambda t: item_is(t, "A short wait", "running") or "passes at" in t.text())
    s.expect("the wait passes by itself", t, lambda t: item_is(t, "A short wait", "pass"), timeout=30)
    t.send("j\r")
    s.expect("the item after the wait shows the server's log", t,
             lambda t: item_is(t, "The server's log", "pass") and "GET /health.json" in flat(t))
    s.expect("every item of the web section counts", t, "items 4/4 · sign-offs 0/1")
    t.send("\t")
    sign(t, "alice", "web")
    s.expect("its gate passes", t, "items 4/4 · sign-offs 1/1")

    # --- a choice of two alternatives ---
    t.send("j")
    s.expect("the alternatives wait for a choice", t, "Deploy quickly")
    t.send("C")
    s.expect("C asks to choose", t, "Choose")
    t.send("y")
    s.expect("the other alternative is not chosen", t, "not chosen")
    t.send("\t\r")
    s.expect("a confirm item shows its expanded command", t, "Switching traffic to v1.0.0")
    t.send("y")
    s.expect("it runs once confirmed", t, lambda t: item_is(t, "Switch traffic", "pass"))
    t.send("\t")
    sign(t, "alice", "deploy")
    s.expect("the chosen alternative's gate passes", t, "items 1/1 · sign-offs 1/1")

    # --- Wrap up: the server is stopped, the run completes ---
    t.send("jj")
    s.expect("wrap up is selected", t, lambda t: "Stop the tour's web server, look at the record" in flat(t))
    t.send("\t\r")
    s.expect("the tour stops its server", t, lambda t: item_is(t, "Stop the web server", "pass"), timeout=15)
    t.send("j")
    attest(t, "Look at the record")
    s.expect("the last items count", t, "items 2/2 · sign-offs 0/1")
    t.send("\t")
    sign(t, "alice", "wrap up")
    s.expect("the run completes", t, lambda t: "completed" in t.text().lower())
    status = s.cli("status", run).stdout
    s.check("status says completed", "[completed]" in status, status)
    s.check("the tour's server is stopped", until(lambda: not server_running(port) and not answers(port)),
            "still running on %d" % port)
    s.check("nothing of the server is left in the state folder",
            not any(f.endswith(".pid") for f in os.listdir(os.path.join(tmp, "countersign-tour-%d" % os.getuid()))))
    t.send("q")
    s.check("q quits", t.wait_exit() == 0)

    # a busy port: the server's start says so, and nothing is left running
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        r = subprocess.run(["sh", os.path.join(s.dir, "checklists", "tour", "server.sh"), "start", str(taken)],
                           env=s.env, capture_output=True, text=True, timeout=60)
    s.check("a busy port fails the server's start", r.returncode == 1, r.stdout + r.stderr)
    s.check("saying the port is busy and what to do",
            "port %d on 127.0.0.1 is busy" % taken in r.stdout and "another TOUR_PORT" in r.stdout, r.stdout)
    s.check("and no server of the tour is left", not server_running(taken))
finally:
    try:
        port  # stop a server a failed walk left behind
        if server_running(port):
            subprocess.run(["sh", os.path.join(SOURCE, "checklists", "tour", "server.sh"), "stop", str(port)],
                           env=s.env, capture_output=True, timeout=30)
    except NameError:
        pass
    s.finish()
