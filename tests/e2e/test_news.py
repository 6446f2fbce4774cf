#!/usr/bin/python3
"""News from other terminals: with alice's interface open, bob works on the
same run from the command line (another process, another terminal) and
alice's status line says what he did, with his name, without a key being
pressed: he starts an item, alice's signature goes stale, a gate passes, he
rejects, asks for an override (alice confirms it elsewhere); a re-check
that fails after sign-off reopens the gate, and every open interface
(alice's and bob's own) shows it at once. N lists the recent events,
newest first. Prints how long each took to show."""
import os
import subprocess
import time

from termharness import PIN, Suite, Term, run_screen

LIMIT = 3.0  # seconds from the other process's change to the screen

s = Suite("news")


def status(t):
    return t.line(t.rows - 2)


def shows(t, what, test, since):
    took = t.wait_for(test)
    s.check("%s shows on the status line" % what, took is not None, t.text())
    if took is not None:
        print("     %s: shown %.0f ms after the change" % (what, (time.monotonic() - since) * 1000))
    return took


try:
    s.engineers("alice", "bob")
    open(os.path.join(s.dir, "healthy"), "w").close()
    path = s.checklist("e2e-news", [
        {"id": "check", "title": "Health check", "phase": "Pre-Deployment", "items": [
            {"id": "probe", "title": "Service answers", "kind": "command",
             "run": "n=0; while [ ! -f go ] && [ $n -lt 600 ]; do sleep 0.05; n=$((n+1)); done; "
                    "test -f healthy && echo healthy"},
            {"id": "config", "title": "Config is valid", "kind": "command", "run": "echo valid"}]},
        {"id": "ship", "title": "Ship", "phase": "Deployment", "items": [
            {"id": "go", "title": "Go live", "kind": "manual"},
            {"id": "watch", "title": "Dashboards watched", "kind": "manual"}]},
        {"id": "verify", "title": "Verify", "phase": "Post-Deployment", "items": [
            {"id": "smoke", "title": "Smoke test", "kind": "manual"}]},
    ])
    t, run = s.open_run(path)
    s.check("alice's run screen shows", run is not None, t.text())

    # bob starts an item: it waits for a file, so "started" holds until then
    probe = subprocess.Popen([s.binary, "check", run, "check/probe", "--engineer", "bob", "--pin-stdin"],
                             cwd=s.dir, env=s.env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    probe.stdin.write((PIN["bob"] + "\n").encode())
    probe.stdin.close()
    since = time.monotonic()
    shows(t, "bob starting an item", lambda t: "bob started check/probe" in status(t), since)
    open(os.path.join(s.dir, "go"), "w").close()
    s.check("bob's check passes", probe.wait(30) == 0)
    s.cli("check", run, "check/config", "--engineer", "bob", pin="bob")
    s.expect("both items passed", t, "items 2/2 · sign-offs 0/2")

    # alice signs from another terminal (her name: her signature)
    since = time.monotonic()
    s.cli("sign", run, "check", "--engineer", "alice", pin="alice")
    shows(t, "a signature", lambda t: "alice approved check" in status(t), since)

    # bob runs config again: alice's signature is of other evidence now
    since = time.monotonic()
    s.cli("check", run, "check/config", "--engineer", "bob", pin="bob")
    shows(t, "alice's signature made stale", lambda t: "your signature of check is stale: bob" in status(t), since)

    s.cli("sign", run, "check", "--engineer", "alice", pin="alice")
    since = time.monotonic()
    s.cli("sign", run, "check", "--engineer", "bob", pin="bob")
    shows(t, "a gate passing", lambda t: "the gate of check passed (sign-offs 2/2)" in status(t), since)

    s.cli("attest", run, "ship/go", "--engineer", "alice", pin="alice")
    since = time.monotonic()
    s.cli("sign", run, "ship", "--engineer", "bob", "--reject", "--comment", "dashboards not watched yet", pin="bob")
    shows(t, "a rejection", lambda t: "bob REJECTED ship: dashboards not watched yet" in status(t), since)

    since = time.monotonic()
    s.cli("override", run, "verify", "--request", "--engineer", "bob", "--reason", "pager storm",
          "--incident", "INC-9", pin="bob")
    shows(t, "an override asked for", lambda t: "bob asks for an override of verify" in status(t), since)
    since = time.monotonic()
    s.cli("override", run, "verify", "--confirm", "--engineer", "alice", pin="alice")
    shows(t, "an override confirmed", lambda t: "alice confirmed bob's override of verify: FORCED" in status(t), since)

    # bob opens the run in his own interface too
    b = Term(s, ["open", "--run", run], 80, 24)
    s.expect("bob's interface asks him to sign in", b, "Sign in")
    b.send("bob\t%s\r" % PIN["bob"])
    s.expect("bob's run screen shows", b, run_screen)
    t.send("g")
    s.expect("alice looks at the check section", t, "sign-offs 2/2 · gate passed")

    # a re-check after sign-off that fails reopens the gate: every open screen says so
    os.remove(os.path.join(s.dir, "healthy"))
    since = time.monotonic()
    s.cli("check", run, "check/probe", "--engineer", "bob", "--yes", pin="bob", check=False)
    for who, term in (("alice", t), ("bob", b)):
        took = term.wait_for(lambda term: "the gate of check REOPENED" in status(term), timeout=LIMIT)
        s.check("%s's interface shows the reopened gate within %.0f s" % (who, LIMIT), took is not None, term.text())
        if took is not None:
            print("     reopen on %s's screen: %.0f ms after the command ended" % (who, (time.monotonic() - since) * 1000))
    s.expect("alice's gate line says the gate reopened", t, lambda t: "gate reopened" in t.text()
             and "sign-offs 0/2" in t.text())
    t.send("j")
    s.expect("the section already under way says an earlier gate reopened", t,
             lambda t: "an earlier gate reopened at" in t.text() and "after this section began: check" in t.text())

    # N: the recent events, newest first
    t.send("N")
    s.expect_all(t, [
        ("N lists the recent events", lambda t: "Recent events of run" in t.line(0)),
        ("with the reopened gate", "the gate of check REOPENED"),
        ("the override asked for", "bob asks for an override of verify"),
        ("the rejection", "bob REJECTED ship"),
        ("the gate that passed", "the gate of check passed"),
        ("the stale signature", "your signature of check is stale"),
    ])
    text = t.text()
    s.check("newest first", text.index("REOPENED") < text.index("confirmed bob's override")
            < text.index("asks for an override")
            < text.index("REJECTED ship"), text)
    t.send("N")
    s.expect("N again goes back", t, run_screen)
    b.send("q")
    s.check("bob's interface quits", b.wait_exit() == 0)
    t.send("q")
    s.check("alice's interface quits", t.wait_exit() == 0)
finally:
    s.finish()
