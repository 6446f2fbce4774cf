#!/usr/bin/python3
"""The reviewer's side on a record of 10,000 finished runs of 100 events each
(one million events, built once by bench_record and cached in the build
folder), each figure a ratio against sqlite3 doing the same reading in the
same run:

  runs        `countersign runs --all` against
              sqlite3 DB 'SELECT chain, count(*), max(seq) FROM events GROUP BY chain'
  audit       `countersign audit --engineer NAME` against sqlite3 selecting
              that engineer's events, oldest first
  audit-json  the same with --json

Each command runs N times, the two sides taking turns; the figures are the
best wall-clock time and the best CPU time (user + system) of each, output
to /dev/null. Targets: within 3x.

usage: bench_review.py COUNTERSIGN BENCH_RECORD DB [--repeat N] [--runs N] [--only NAME]

(--only runs measures `runs --all` alone: a countersign from before `audit`
existed, with /bin/true for BENCH_RECORD and a record turned back into
schema version 2, gives the figure before the derived run table.)
"""
import os
import subprocess
import sys
import time

ARGS = sys.argv[1:]
if len(ARGS) < 3:
    print(__doc__)
    sys.exit(2)
CS, BENCH_RECORD, DB = ARGS[:3]


def option(name, default):
    return int(ARGS[ARGS.index(name) + 1]) if name in ARGS else default


REPEAT = option("--repeat", 7)
RUNS = option("--runs", 10000)
ENGINEER = "eng01"
TARGET = 3.0


def measure(argv):
    """Wall and CPU seconds of one run of ARGV, its output to /dev/null."""
    with open(os.devnull, "wb") as null:
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdout=null, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit("%s failed (%d): %s" % (" ".join(argv), proc.returncode, err.strip()))
    return wall, usage.ru_utime + usage.ru_stime


def compare(name, ours, theirs):
    """Runs both REPEAT times, taking turns; prints the best of each."""
    measure(ours)  # warm the page cache
    measure(theirs)
    a, b = [], []
    for _ in range(REPEAT):
        a.append(measure(ours))
        b.append(measure(theirs))
    wall_a, wall_b = min(x[0] for x in a), min(x[0] for x in b)
    cpu_a, cpu_b = min(x[1] for x in a), min(x[1] for x in b)
    ratio = wall_a / wall_b
    print("%s: countersign %.0f ms (cpu %.0f ms), sqlite3 %.0f ms (cpu %.0f ms): %.2fx wall, %.2fx cpu "
          "(target %.0fx: %s)" % (name, wall_a * 1000, cpu_a * 1000, wall_b * 1000, cpu_b * 1000, ratio,
                                  cpu_a / cpu_b, TARGET, "met" if ratio <= TARGET else "MISSED"))
    return ratio <= TARGET


def main():
    start = time.monotonic()
    subprocess.run([BENCH_RECORD, DB, str(RUNS)], check=True)
    print("record: ready in %.1f s" % (time.monotonic() - start))
    engineer_sql = ("SELECT * FROM events WHERE actor = '%s' ORDER BY time_us" % ENGINEER)
    only = ARGS[ARGS.index("--only") + 1] if "--only" in ARGS else None
    compare("runs --all", [CS, "--db", DB, "runs", "--all"],
            ["sqlite3", DB, "SELECT chain, count(*), max(seq) FROM events GROUP BY chain"])
    if only == "runs":
        return 0
    compare("audit --engineer", [CS, "--db", DB, "audit", "--engineer", ENGINEER], ["sqlite3", DB, engineer_sql])
    compare("audit --engineer --json", [CS, "--db", DB, "audit", "--engineer", ENGINEER, "--json"],
            ["sqlite3", "-json", DB, engineer_sql])
    return 0


if __name__ == "__main__":
    sys.exit(main())
