#!/usr/bin/python3
"""The home screen while another terminal finishes a run: the list reads the
past runs a page at a time (src/ui/ui_home.c), so a run that was open when
the screen opened and ends before the list comes to its page is in the
open runs already read and among the past runs read later. Each run is
listed once, the count of past runs stays what it was, and the oldest run
is still at the end of the list, whether the list is scrolled a row at a
time or jumps to the end (G reads the rest at once).

The record: 5 past runs, then a run left open ("Middle"), then 43 more
past runs: 48, two pages of 24 at 80x24. Once "Middle" has ended there
are 49, and the second page ends one run short of the oldest."""
from termharness import PIN, Suite, Term

s = Suite("home_live")


def start(title):
    return s.cli("start", path, "--engineer", "alice", "--title", title, pin="alice").stdout.strip()


def abort(run):
    s.cli("abort", run, "--engineer", "alice", "--reason", "test", pin="alice")


def titles(t):
    """The titles of the run rows on the screen, top to bottom."""
    return [l[67:].strip() for l in t.screen.display if len(l) > 67 and l[2:12].strip().isalnum()
            and l[13:22].strip() in ("open", "completed", "aborted")]


def selected(t):
    """The selected row (drawn in reverse video), or None."""
    for y, line in enumerate(t.screen.display):
        if t.screen.buffer[y][4].reverse:
            return line
    return None


def at_end(t):
    return titles(t)[-1:] == ["Past 00"]


try:
    s.engineers("alice")
    path = s.checklist("e2e-home-live", [
        {"id": "one", "title": "One", "phase": "Deployment", "items": [
            {"id": "look", "title": "Looked at it", "kind": "manual"}]},
    ])
    for i in range(5):
        abort(start("Past %02d" % i))
    middle = start("Middle")
    for i in range(5, 48):
        abort(start("Past %02d" % i))

    # two home screens open while "Middle" is still open
    rows = Term(s, [], 80, 24)
    jump = Term(s, [], 80, 24)
    for t in (rows, jump):
        s.expect_all(t, [
            ("the home screen counts 48 past runs", "Past runs (48)"),
            ("and lists the open run", lambda t: "Middle" in titles(t)),
        ])

    # another terminal ends it
    abort(middle)

    # a row at a time to the end, each key once the one before has shown
    # (keys that come together are drawn as one move, which reads another
    # page), then back to the top
    for _ in range(80):
        before = selected(rows)
        rows.send("j")
        if rows.wait_for(lambda t: selected(t) != before, 2) is None:
            break
    s.check("scrolled a row at a time, the list ends at the oldest run", rows.wait_for(at_end) is not None,
            rows.text())
    s.check("the run that ended meanwhile is not listed again among the past runs",
            "Middle" not in titles(rows), rows.text())
    rows.send("g")
    s.expect_all(rows, [
        ("back at the top, the count of past runs is unchanged", "Past runs (48)"),
        ("and the run is listed once, with the state it has now",
         lambda t: [l[13:22].strip() for l in t.screen.display if l.rstrip().endswith(" Middle")] == ["aborted"]),
    ])

    # a jump to the end reads the rest at once
    jump.send("G")
    s.check("after G the list ends at the oldest run", jump.wait_for(at_end) is not None, jump.text())
    s.check("after G the run that ended meanwhile is not listed again", "Middle" not in titles(jump),
            jump.text())
    jump.send("g")
    s.expect("after G and back, the count of past runs is unchanged", jump, "Past runs (48)")

    for t in (rows, jump):
        t.send("q")
        s.check("q quits", t.wait_exit() == 0)
finally:
    s.finish()
