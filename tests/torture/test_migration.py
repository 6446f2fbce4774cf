#!/usr/bin/python3
"""Migration torture: a version 2 record (before the derived run table) of
a few thousand finished runs is brought to the current version (the derived run
table, then signatures and the registry chain, then roles) while other processes
read it (runs, runs --all, audit, status, export, verify) and record in it
(notes on open runs), and while processes migrating it are killed
(SIGKILL) at random moments, again and again, before one is let finish.
Afterwards: no reader failed, hung or saw a wrong state (a finished run
listed as open, an open one missing, a run count short), every note a
process acknowledged is in the record, the derived run table equals what
the events say, the registry chain registers every run and the end of every
ended one, and the whole record verifies. The record starts as one that
countersign wrote before signing keys (version 3, whose engineers have PIN
hashes and no keys), which is first read without being migrated.

usage: test_migration.py COUNTERSIGN_BINARY
TORTURE_SECONDS (default 15) sets how long readers and writers run;
TORTURE_ITERATIONS (default 6) how many migrations are killed;
TORTURE_SEED repeats a run's choices.
"""
import hashlib
import json
import os
import signal
import sqlite3
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torturelib import Env, Suite, db_connect, env_float, env_int, make_rng, pin_of  # noqa: E402

FINISHED = 3000      # finished runs written straight into the file
EVENTS = 40          # events each
OPEN = 3             # open runs: the legacy record's and two more
ENGINEERS = ["alice", "bob"]
SCHEMA = 5           # the schema version a record that is written to ends at

# The derived run table as migration 3 computes it (docs/record.md); the
# engineers and registry chains are no runs.
DERIVED = """
SELECT h.chain, CASE e.kind WHEN 'run_completed' THEN 'completed' WHEN 'run_aborted' THEN 'aborted'
  ELSE 'open' END, e.time_us, h.last_seq, h.hash, h.time_us, h.n
FROM (SELECT chain, max(seq) AS last_seq, hash, time_us, count(*) AS n FROM events
      WHERE chain NOT IN ('engineers', 'registry') GROUP BY chain) AS h
LEFT JOIN (SELECT chain, min(seq), kind, time_us FROM events
           WHERE kind IN ('run_completed', 'run_aborted') GROUP BY chain) AS e ON e.chain = h.chain
ORDER BY 1"""


def sha(b):
    return hashlib.sha256(b).hexdigest()


def event_hash(seq, prev, time_us, fields):
    """The event hash of docs/record.md ("Checking the record without countersign")."""
    h = hashlib.sha256(b"countersign-event-v1" + struct.pack(">Q", seq) + bytes.fromhex(prev)
                       + struct.pack(">Q", time_us))
    for f in fields:
        b = f.encode()
        h.update(struct.pack(">Q", len(b)) + b)
    return h.hexdigest()


HERE = os.path.dirname(os.path.abspath(__file__))
# A version 3 record as countersign wrote it before signing keys: engineers
# alice, bob and carol (PINs pin-NAME-1, as pin_of says) and one open run.
LEGACY = os.path.join(HERE, "..", "cli", "fixtures", "tamper-v3.sql")
LEGACY_RUN = "083k8qf9gk"


def load_version_3(db):
    c = sqlite3.connect(db, timeout=30)
    with open(LEGACY) as f:
        c.executescript(f.read())
    c.close()


def add_open_runs(db, n):
    """N open runs of the record's checklist, started as countersign starts
    them (run_started saying what the row says)."""
    c = sqlite3.connect(db, timeout=30)
    cl_sha = c.execute("SELECT sha256 FROM checklists LIMIT 1").fetchone()[0]
    base = int(time.time() * 1000000) - 3600 * 1000000
    ids = []
    for r in range(n):
        rid = f"o{r:09d}"
        started = base + r * 1000000
        nonce = os.urandom(32).hex()
        title = f"Open {r}"
        c.execute("INSERT INTO runs (id, checklist_id, checklist_sha, title, path, started_us, nonce) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?)", (rid, "cli-gates", cl_sha, title, "gates.json", started, nonce))
        prev = sha(b"\0".join(str(x).encode() for x in (rid, cl_sha, started, nonce)) + b"\0")
        payload = json.dumps({"checklist": "cli-gates", "sha256": cl_sha, "title": title,
                              "variables": {"ENVNAME": "staging"}, "window_ms": 0, "path": "gates.json"},
                             separators=(",", ":"))
        fields = (ENGINEERS[r % 2], "ops", "host", "/dev/pts/1", "run_started", "", payload)
        c.execute("INSERT INTO events (chain, seq, time_us, actor, os_user, host, tty, kind, target, payload, "
                  "prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (rid, 1, started) + fields + (prev, event_hash(1, prev, started, fields)))
        ids.append(rid)
    c.commit()
    c.close()
    return ids


def make_version_2(db):
    c = sqlite3.connect(db, timeout=30)
    c.executescript("DROP TRIGGER run_index_append; DROP TABLE run_index; DROP TABLE run_actors; "
                    "DROP INDEX runs_by_checklist; PRAGMA user_version = 2;")
    c.close()


def add_finished_runs(db):
    """FINISHED runs of EVENTS events each, hashed as countersign hashes them,
    in one transaction (the guard triggers let inserts through)."""
    c = sqlite3.connect(db, timeout=30)
    cl_sha = c.execute("SELECT sha256 FROM checklists LIMIT 1").fetchone()[0]
    base = 1735689600000000
    runs, events = [], []
    for r in range(FINISHED):
        rid = f"m{r:09d}"
        started = base + r * 3600 * 1000000
        nonce = os.urandom(32).hex()
        runs.append((rid, "cli-gates", cl_sha, "Migrated", "gates.json", started, nonce))
        prev = sha(b"\0".join(str(x).encode() for x in (rid, cl_sha, started, nonce)) + b"\0")
        for seq in range(1, EVENTS + 1):
            t = started + seq * 1000000
            kind = "run_started" if seq == 1 else (
                ("run_completed" if r % 4 else "run_aborted") if seq == EVENTS else "note")
            actor = "system" if seq == EVENTS and r % 4 else ENGINEERS[(r + seq) % 2]
            payload = json.dumps({"text": f"n{seq}"}) if kind == "note" else "{}"
            fields = (actor, "ops", "host", "/dev/pts/1", kind, "", payload)
            h = event_hash(seq, prev, t, fields)
            events.append((rid, seq, t) + fields + (prev, h))
            prev = h
    c.executemany("INSERT INTO runs (id, checklist_id, checklist_sha, title, path, started_us, nonce) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?)", runs)
    c.executemany("INSERT INTO events (chain, seq, time_us, actor, os_user, host, tty, kind, target, payload, "
                  "prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", events)
    c.commit()
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()


def user_version(db):
    c = db_connect(db)
    try:
        return c.execute("PRAGMA user_version").fetchone()[0]
    finally:
        c.close()


class Storm:
    def __init__(self, suite, env, rng, open_runs, n_runs, seconds):
        self.suite, self.env, self.rng = suite, env, rng
        self.open_runs, self.n_runs = open_runs, n_runs
        self.stop = time.monotonic() + seconds
        self.lock = threading.Lock()
        self.notes = []
        self.counts = {}

    def count(self, what, ok):
        with self.lock:
            n, bad = self.counts.get(what, (0, 0))
            self.counts[what] = (n + 1, bad + (0 if ok else 1))

    def check(self, cond, desc, r):
        self.count(desc.split(":")[0], cond)
        if not cond:
            with self.lock:
                self.suite.check(False, desc, r)

    def writer(self, who):
        i = 0
        while time.monotonic() < self.stop:
            i += 1
            run = self.rng.choice(self.open_runs)
            text = f"{who} note {i}"
            r = self.env.by(who, ["note", run, text], timeout=60)
            self.check(r.rc == 0, "note: recorded while the record is migrated", r)
            if r.rc == 0:
                with self.lock:
                    self.notes.append((run, text))

    def reader(self, kind):
        while time.monotonic() < self.stop:
            run = self.rng.choice(self.open_runs)
            if kind == "runs-all":
                r = self.env.run(["runs", "--all", "--json"], timeout=60)
                ok = r.rc == 0
                if ok:
                    d = json.loads(r.out)
                    states = {x["id"]: x["state"] for x in d}
                    ok = len(d) == self.n_runs and all(states.get(x) == "open" for x in self.open_runs) and \
                        all(s == ("open" if i in self.open_runs else "aborted" if int(i[1:]) % 4 == 0
                                  else "completed") for i, s in states.items())
                self.check(ok, "runs --all: every run, each in its state", r)
            elif kind == "runs":
                r = self.env.run(["runs", "--json"], timeout=60)
                ok = r.rc == 0 and sorted(x["id"] for x in json.loads(r.out)) == sorted(self.open_runs)
                self.check(ok, "runs: exactly the open runs", r)
            elif kind == "audit":
                r = self.env.run(["audit", "--run", run, "--json"], timeout=60)
                ok = r.rc == 0 and json.loads(r.out)["count"] > 0
                self.check(ok, "audit --run: one JSON document", r)
            elif kind == "status":
                r = self.env.run(["status", run, "--json"], timeout=60)
                self.check(r.rc == 0, "status of an open run", r)
            elif kind == "export":
                r = self.env.run(["export", run, "--format", "json"], timeout=60)
                self.check(r.rc == 0, "export of an open run", r)
            elif kind == "verify":
                r = self.env.run(["verify", self.rng.choice([run, f"m{self.rng.randrange(FINISHED):09d}"])],
                                 timeout=60)
                self.check(r.rc == 0 and r.out.startswith("ok:"), "verify RUN: ok", r)

    def migrators(self, kills, window):
        """Processes that would migrate, killed at random moments, KILLS times."""
        killed = 0
        for k in range(kills):
            if user_version(self.env.db) >= SCHEMA:
                break
            args = ["note", self.open_runs[0], f"migrator {k}", "--engineer", "alice", "--pin-stdin"]
            p, o, e, t0 = self.env.spawn(args, [pin_of("alice")])
            time.sleep(self.rng.uniform(0.0, window))
            p.send_signal(signal.SIGKILL)
            r = self.env.collect(p, o, e, t0, args)
            killed += r.rc == -signal.SIGKILL
            if r.rc == 0:
                with self.lock:
                    self.notes.append((self.open_runs[0], f"migrator {k}"))
        return killed


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: test_migration.py COUNTERSIGN_BINARY")
    suite = Suite("migration")
    env = Env(sys.argv[1], "migration")
    try:
        rng = make_rng(suite)
        load_version_3(env.db)
        open_runs = [LEGACY_RUN] + add_open_runs(env.db, OPEN - 1)
        # Read, a version 3 record is not migrated.
        r = env.run(["status", open_runs[1], "--json"])
        suite.check(r.rc == 0, "status of a run in a version 3 record", r)
        r = env.run(["audit", "--run", LEGACY_RUN, "--json"])
        suite.check(r.rc == 0 and json.loads(r.out)["count"] > 0, "audit of a version 3 record", r)
        suite.check(user_version(env.db) == 3, "reading leaves a version 3 record at version 3")
        make_version_2(env.db)
        add_finished_runs(env.db)
        n_runs = FINISHED + OPEN
        suite.check(user_version(env.db) == 2, "the record is at schema version 2")

        # How long one migration takes here, on a copy: the kills fall within it.
        copy = env.path("timing.db")
        c = sqlite3.connect(env.db)
        c.execute("VACUUM INTO ?", (copy,))
        c.close()
        t0 = time.monotonic()
        r = env.run(["engineer", "add", "dave", "--full-name", "Dave", "--pin-stdin"], [pin_of("dave")], db=copy)
        took = time.monotonic() - t0
        suite.check(r.rc == 0, "a migration of the copy", r)
        suite.note(f"{FINISHED * EVENTS} events; one migration and append take {took:.2f} s")

        storm = Storm(suite, env, rng, open_runs, n_runs, env_float("TORTURE_SECONDS", 15))
        threads = [threading.Thread(target=storm.writer, args=(w,)) for w in ENGINEERS]
        threads += [threading.Thread(target=storm.reader, args=(k,))
                    for k in ("runs-all", "runs", "audit", "status", "export", "verify")]
        for t in threads:
            t.start()
        killed = storm.migrators(env_int("TORTURE_ITERATIONS", 6), took * 1.5)
        for t in threads:
            t.join()
        suite.note(f"{killed} migrating processes killed; "
                   + ", ".join(f"{k} {n} ({b} failed)" for k, (n, b) in sorted(storm.counts.items())))
        for what, (n, bad) in sorted(storm.counts.items()):
            suite.check(n > 0 and bad == 0, f"{what}: {n} done, none failed")

        # Whatever was killed, the record ends migrated and consistent.
        r = env.by("bob", ["note", open_runs[1], "after the storm"])
        suite.check(r.rc == 0, "a note after the storm", r)
        storm.notes.append((open_runs[1], "after the storm"))
        suite.check(user_version(env.db) == SCHEMA, f"the record is at schema version {SCHEMA}")
        c = db_connect(env.db)
        try:
            want = [tuple(x) for x in c.execute(DERIVED)]
            got = [tuple(x) for x in c.execute("SELECT run, state, ended_us, last_seq, head, last_us, events "
                                               "FROM run_index ORDER BY 1")]
            actors = c.execute("SELECT count(*) FROM (SELECT DISTINCT actor, chain FROM events "
                               "WHERE chain NOT IN ('engineers', 'registry'))").fetchone()[0]
            registry = [(k, t, json.loads(p)) for k, t, p in c.execute(
                "SELECT kind, target, payload FROM events WHERE chain = 'registry' ORDER BY seq")]
            ended = dict(c.execute("SELECT chain, min(seq) FROM events WHERE kind IN ('run_completed', "
                                   "'run_aborted') AND chain NOT IN ('engineers', 'registry') GROUP BY chain"))
            got_actors = c.execute("SELECT count(*) FROM run_actors").fetchone()[0]
            recorded = set((x[0], x[1]) for x in c.execute(
                "SELECT chain, json_extract(payload, '$.text') FROM events WHERE kind = 'note'"))
        finally:
            c.close()
        suite.check(want == got, f"the derived run table equals what the events say ({len(got)} rows)",
                    f"{len(want)} computed, {len(got)} in the table")
        suite.check(actors == got_actors, "run_actors names each engineer of each run once",
                    f"{actors} pairs in the events, {got_actors} in the table")
        kinds = [k for k, _, _ in registry]
        suite.check(kinds[:1] == ["registry_opened"] and kinds.count("registry_opened") == 1,
                    "the registry chain opens once", kinds[:3])
        through = registry[0][2].get("unsigned_through", {}) if registry else {}
        suite.check(len(through) == n_runs + 1 and through.get("m000000000") == EVENTS
                    and through.get(LEGACY_RUN) == 4
                    and through.get("engineers", 0) >= 3,
                    "registry_opened counts the events recorded before signatures", len(through))
        registered = sorted(t for k, t, _ in registry if k == "run_registered")
        suite.check(registered == sorted([f"m{r:09d}" for r in range(FINISHED)] + open_runs),
                    f"every run is registered once ({len(registered)})")
        ends = {t: p for k, t, p in registry if k == "run_ended"}
        suite.check(len(ends) == len(ended) == FINISHED
                    and all(ends[r]["events"] == seq for r, seq in ended.items()),
                    f"every ended run's end is registered with its ending event ({len(ends)})")
        missing = [n for n in storm.notes if n not in recorded]
        suite.check(not missing, f"every acknowledged note is recorded ({len(storm.notes)})", missing[:5])
        r = env.run(["verify"], timeout=300)
        suite.check(r.rc == 0 and r.out.startswith("ok:"), "the whole record verifies", r)
    finally:
        env.cleanup()
    suite.finish()


if __name__ == "__main__":
    main()
