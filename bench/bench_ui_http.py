#!/usr/bin/python3
"""Benchmark of the terminal interface while many HTTP checks run at once,
driven in a pseudo-terminal the way the e2e suite does it
(tests/e2e/termharness.py), against the integration test server:

  start         a checklist with N http items in one always-open section,
                each asking the test server's /slow route (an answer after
                MS milliseconds); the engineer signs in through the dialogs
                and starts every check by keys (Enter on each item, j to the
                next), and the time until all N have started is measured
  key-latency   j / k alternately while all N checks wait for their answers:
                the time from the key until the screen shows the selection
                moved (the detail pane's title names the item); median and
                p95 (target: under 50 ms); then again while the answers
                arrive and their verdicts are recorded, and with no check
                running, for comparison within one run
  finish        the time until every check has passed

Run through tests/integration/with_servers.sh (it starts the test server
and exports TEST_HTTP_URL; `meson test --benchmark ui-http` does that).

usage: bench_ui_http.py COUNTERSIGN_BINARY SOURCE_ROOT [--checks N] [--presses N] [--ms MS]
"""
import os
import shutil
import sqlite3
import statistics
import sys
import time

ARGS = sys.argv[1:]
if len(ARGS) < 2 or not os.environ.get("TEST_HTTP_URL"):
    print(__doc__)
    sys.exit(2)
sys.path.insert(0, os.path.join(ARGS[1], "tests", "e2e"))
sys.argv = [sys.argv[0], ARGS[0]]
from termharness import Suite  # noqa: E402


def option(name, default):
    return int(ARGS[ARGS.index(name) + 1]) if name in ARGS else default


N_CHECKS = option("--checks", 100)
N_PRESSES = option("--presses", 50)
# Long enough that every check still waits for its answer while the keys
# are measured (starting 100 checks by keys takes a few seconds).
ANSWER_MS = option("--ms", 10000)
LATENCY_TARGET_MS = 50


def ms(seconds):
    return "%.1f ms" % (seconds * 1000)


def percentile(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def item_id(i):
    return "h%03d" % i


def selected(i):
    """The screen shows item I selected: the detail pane is titled with its id."""
    want = "─ %s " % item_id(i)
    return lambda t: any(want in line for line in t.screen.display)


class Record:
    """Counts of the run's check events, read from the database as they land."""

    def __init__(self, path, run):
        self.db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        self.run = run

    def count(self, kind, verdict=None):
        sql = "SELECT count(*) FROM events WHERE chain = ? AND kind = ? AND target LIKE 'net/%'"
        args = [self.run, kind]
        if verdict:
            sql += " AND json_extract(payload, '$.verdict') = ?"
            args.append(verdict)
        return self.db.execute(sql, args).fetchone()[0]

    def in_flight(self):
        return self.count("check_started") - self.count("check_finished")

    def close(self):
        self.db.close()


def presses(t, first, n, until=None):
    """N presses of j / k between items FIRST and FIRST + 1 (FIRST + 1 is
    selected), or as many as it takes until UNTIL() holds: the key-to-redraw
    times, or None when a press did not show."""
    lat = []
    if selected(first)(t):
        t.send("j")
        if t.wait_for(selected(first + 1)) is None:
            return None
    if until is None:
        t.settle(quiet=0.05, timeout=1.0)
    for p in range(n):
        if until is not None and until():
            break
        key, want = ("k", first) if p % 2 == 0 else ("j", first + 1)
        t.pump(0)
        start = time.monotonic()
        t.send(key)
        if t.wait_for(selected(want), timeout=5) is None:
            print("key-latency: press %d (%s) did not show within 5 s\n%s" % (p + 1, key, t.text()))
            return None
        lat.append(time.monotonic() - start)
        t.settle(quiet=0.01, timeout=0.2)
    return lat


def figures(lat):
    return "median %s, p95 %s, max %s" % (ms(statistics.median(lat)), ms(percentile(lat, 95)), ms(max(lat)))


def bench(s):
    base = os.environ["TEST_HTTP_URL"]
    items = [{"id": item_id(i), "title": "Slow answer %d" % i, "kind": "http",
              "url": "%s/slow?ms=%d&n=%d" % (base, ANSWER_MS, i), "timeout": "%ds" % (ANSWER_MS // 1000 + 60)}
             for i in range(N_CHECKS)]
    path = s.checklist("bench-ui-http", [
        {"id": "net", "title": "Network checks", "phase": "Deployment", "always_open": True, "gate": False,
         "items": items},
        {"id": "signoff", "title": "Sign-off", "phase": "Post-Deployment",
         "items": [{"id": "done", "title": "Checks reviewed", "kind": "manual"}]},
    ], title="HTTP checks benchmark")
    t, run = s.open_run(path, rows=40, cols=100)
    if run is None:
        print("start: the run screen did not show\n" + t.text())
        return 1
    rec = Record(s.env["COUNTERSIGN_DB"], run)
    # The run opens on the gated section: up to the network checks, then
    # into their items.
    t.send("k")
    if t.wait_for(lambda t: "Network checks ──" in t.text()) is None:
        print("start: the network checks section did not show\n" + t.text())
        return 1
    t.send("\t")
    t.wait_for(lambda t: "* Network checks" in t.text())

    start = time.monotonic()
    for i in range(N_CHECKS):
        if t.wait_for(selected(i)) is None:
            print("start: item %s was not selected\n%s" % (item_id(i), t.text()))
            return 1
        t.send("\r")
        if t.wait_for("running net/%s" % item_id(i)) is None:
            print("start: %s did not start\n%s" % (item_id(i), t.text()))
            return 1
        if i + 1 < N_CHECKS:
            t.send("j")
    started = time.monotonic() - start
    deadline = time.monotonic() + 10
    while rec.count("check_started") < N_CHECKS and time.monotonic() < deadline:
        t.pump(0.05)
    print("start: %d http checks (each answered after %d ms) started by keys in %.2f s; "
          "%d recorded as started, %d in flight"
          % (N_CHECKS, ANSWER_MS, started, rec.count("check_started"), rec.in_flight()))

    flight_before = rec.in_flight()
    lat = presses(t, N_CHECKS - 2, N_PRESSES)
    flight_after = rec.in_flight()
    if lat is None:
        return 1
    busy = statistics.median(lat)
    flight = ("%d" % flight_before if flight_before == flight_after
              else "%d (at the end %d)" % (flight_before, flight_after))
    print("key-latency: %d presses while %s http checks were in flight: %s (target %d ms: %s)"
          % (len(lat), flight, figures(lat), LATENCY_TARGET_MS,
             "met" if percentile(lat, 95) * 1000 < LATENCY_TARGET_MS else "MISSED"))

    # Keys again while the answers arrive and each verdict is recorded.
    while time.monotonic() < start + ANSWER_MS / 1000 - 0.2 and rec.count("check_finished") == 0:
        t.pump(0.05)
    finishing = presses(t, N_CHECKS - 2, 2000, until=lambda: rec.count("check_finished") >= N_CHECKS)
    if finishing is None:
        return 1
    if finishing:
        print("key-latency: %d presses while the %d answers arrived and were recorded: %s"
              % (len(finishing), N_CHECKS, figures(finishing)))
    deadline = time.monotonic() + ANSWER_MS / 1000 + 60
    while rec.count("check_finished") < N_CHECKS and time.monotonic() < deadline:
        t.pump(0.05)
    passed = rec.count("check_finished", "pass")
    print("finish: %d of %d checks passed, the last %.2f s after the first started"
          % (passed, N_CHECKS, time.monotonic() - start))

    idle = presses(t, N_CHECKS - 2, N_PRESSES)
    if idle is None:
        return 1
    print("key-latency: %d presses with no check running: %s; with %d in flight the median is %.1fx"
          % (len(idle), figures(idle), N_CHECKS, busy / max(statistics.median(idle), 1e-9)))
    rec.close()
    t.send("q")
    code = t.wait_exit()
    if code != 0:
        print("the interface exited with status %s\n%s" % (code, t.raw[-2000:].decode(errors="replace")))
    return 0 if passed == N_CHECKS and code == 0 else 1


def main():
    s = Suite("bench-ui-http")
    try:
        s.engineers("alice")
        return bench(s)
    finally:
        for t in s.terms:
            t.close()
        shutil.rmtree(s.dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
