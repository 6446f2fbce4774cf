"""Shared helpers of the torture suite (Python standard library only).

Each test script runs the real countersign binary (its path is argv[1]) in a
temporary folder with its own database, counts assertions and ends with
"N passed, M failed". Nothing here sleeps to synchronise: every wait is for a
state, with a deadline.
"""
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


class Suite:
    """Counts assertions; failures are printed at once with their details."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []

    def check(self, cond, desc, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            self.failures.append(desc)
            print(f"FAIL: {desc}", file=sys.stderr)
            if detail:
                for line in str(detail).splitlines()[:40]:
                    print(f"  {line}", file=sys.stderr)
            sys.stderr.flush()
        return bool(cond)

    def skip(self, desc):
        self.skipped += 1
        print(f"SKIP: {desc}", file=sys.stderr)

    def note(self, text):
        print(text)
        sys.stdout.flush()

    def finish(self):
        if self.failures:
            print("failed assertions:", file=sys.stderr)
            for f in self.failures:
                print(f"  - {f}", file=sys.stderr)
        extra = f", {self.skipped} skipped" if self.skipped else ""
        print(f"{self.passed} passed, {self.failed} failed{extra}")
        sys.stdout.flush()
        sys.exit(1 if self.failed or self.passed == 0 else 0)


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default


def env_float(name, default):
    v = os.environ.get(name, "")
    return float(v) if v.strip() else default


def make_rng(suite):
    seed = env_int("TORTURE_SEED", int.from_bytes(os.urandom(4), "big"))
    suite.note(f"seed {seed} (TORTURE_SEED={seed} repeats this run's choices)")
    return random.Random(seed)


def wait_until(fn, timeout, interval=0.02):
    """Polls fn() until it returns something true; returns it, or None at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def pin_of(name):
    return f"pin-{name}-1"


class Result:
    def __init__(self, args, rc, out, err, pid, t0, t1):
        self.args, self.rc, self.out, self.err, self.pid = args, rc, out, err, pid
        self.t0, self.t1 = t0, t1

    def __repr__(self):
        return (f"$ countersign {' '.join(self.args)}\n  exit {self.rc}\n  stdout: {self.out[-1500:]!r}\n"
                f"  stderr: {self.err[-1500:]!r}")


class Env:
    """A temporary folder, database and environment for one test script."""

    def __init__(self, binary, name):
        self.cs = os.path.abspath(binary)
        self.root = tempfile.mkdtemp(prefix=f"countersign-{name}.", dir=os.environ.get("TMPDIR", "/tmp"))
        os.chmod(self.root, 0o755)
        self.db = os.path.join(self.root, "cs.db")
        self.tag_prefix = f"t{os.getpid()}x{os.urandom(3).hex()}"
        self._n = 0
        self._lock = threading.Lock()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("COUNTERSIGN_")}
        self.env.update({
            "LANG": "C.UTF-8", "TERM": "xterm-256color",
            "HOME": os.path.join(self.root, "home"), "XDG_DATA_HOME": os.path.join(self.root, "data"),
            "COUNTERSIGN_DB": self.db, "COUNTERSIGN_TEST_PIN_COST": "min",
        })
        os.makedirs(self.env["HOME"])
        for f in os.listdir(HERE):
            if f.endswith(".json"):
                shutil.copy(os.path.join(HERE, f), os.path.join(self.root, f))

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def new_tag(self):
        with self._lock:
            self._n += 1
            return f"{self.tag_prefix}-{self._n}"

    def environ(self, tag=None, db=None, extra=None):
        e = dict(self.env)
        if tag:
            e["TORTURE_TAG"] = tag
        if db:
            e["COUNTERSIGN_DB"] = db
        if extra:
            e.update(extra)
        return e

    def spawn(self, args, pins=(), tag=None, db=None, extra_env=None, stdin_pipe=False, user=None):
        """Starts countersign ARGS; PINS go to its standard input (or a pipe left open).
        Returns (Popen, out_path, err_path, t0)."""
        n = self.new_tag() if tag is None else tag
        outp = self.path(f"out.{os.getpid()}.{n}")
        errp = self.path(f"err.{os.getpid()}.{n}")
        with open(outp, "wb") as o, open(errp, "wb") as e:
            cmd = [self.cs] + list(args)
            if user is not None:
                cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--"] + cmd
            p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=o, stderr=e,
                                 env=self.environ(tag=n, db=db, extra=extra_env), cwd=self.root)
        t0 = time.time()
        if not stdin_pipe:
            try:
                p.stdin.write("".join(f"{x}\n" for x in pins).encode())
                p.stdin.close()
            except BrokenPipeError:
                pass
        return p, outp, errp, t0

    def collect(self, p, outp, errp, t0, args, timeout=60):
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
            rc = "hung"
        t1 = time.time()
        out = read_text(outp)
        err = read_text(errp)
        for f in (outp, errp):
            try:
                os.unlink(f)
            except OSError:
                pass
        return Result(args, rc, out, err, p.pid, t0, t1)

    def run(self, args, pins=(), timeout=60, db=None, extra_env=None, user=None, tag=None):
        p, o, e, t0 = self.spawn(args, pins, db=db, extra_env=extra_env, user=user, tag=tag)
        return self.collect(p, o, e, t0, args, timeout)

    def by(self, who, args, timeout=60, **kw):
        """countersign ARGS --engineer WHO --pin-stdin, with WHO's PIN."""
        return self.run(list(args) + ["--engineer", who, "--pin-stdin"], [pin_of(who)], timeout=timeout, **kw)

    def add_engineers(self, suite, names):
        for n in names:
            r = self.run(["engineer", "add", n, "--full-name", f"{n.title()} Torture", "--pin-stdin"], [pin_of(n)])
            suite.check(r.rc == 0, f"register engineer {n}", r)

    def start_run(self, suite, checklist, who="alice"):
        r = self.by(who, ["start", self.path(checklist)])
        suite.check(r.rc == 0 and r.out.strip(), f"start a run of {checklist}", r)
        return r.out.strip()

    def status(self, run, db=None):
        r = self.run(["status", run, "--json"], db=db)
        if r.rc != 0:
            return None, r
        try:
            return json.loads(r.out), r
        except ValueError:
            return None, r

    def cleanup(self):
        kill_tagged(self.tag_prefix)
        shutil.rmtree(self.root, ignore_errors=True)


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


# --- processes ------------------------------------------------------------------

def proc_state(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            s = f.read()
        return s[s.rindex(b")") + 2:s.rindex(b")") + 3].decode()
    except (OSError, ValueError):
        return ""


def tagged_pids(tag, prefix=False):
    """Live (not zombie) processes whose environment holds TORTURE_TAG=TAG
    (or a tag starting with TAG when PREFIX)."""
    want = f"TORTURE_TAG={tag}".encode()
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        hit = any(v.startswith(want) for v in env) if prefix else want in env
        if hit and proc_state(d) not in ("Z", "X", ""):
            found.append(int(d))
    return found


def describe_pids(pids):
    out = []
    for p in pids[:8]:
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            cmd = "?"
        out.append(f"pid {p} [{proc_state(p)}]: {cmd[:120]}")
    return "\n".join(out)


def kill_tagged(tag, prefix=True):
    """Stops what a test left running (only processes carrying this test's tag)."""
    for p in tagged_pids(tag, prefix=prefix):
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


def blocked_reading_stdin(pid):
    try:
        with open(f"/proc/{pid}/wchan") as f:
            w = f.read()
        if "pipe_read" in w or "pipe_wait" in w:
            return True
        with open(f"/proc/{pid}/syscall") as f:
            return f.read().split(" ")[0] == "0" and os.uname().machine == "x86_64"
    except OSError:
        return False


# --- the record -------------------------------------------------------------------

def forget_pin_reservations(db):
    """Removes the PIN attempts reserved and never settled. A PIN check
    killed between its reservation and its settlement counts as an attempt
    for the lockout window, by design (a guess cannot escape being counted
    by killing its process); a test that kills commands at random on
    purpose would otherwise lock its engineers out after five such kills.
    Call it only while no command of the test is checking a PIN."""
    c = sqlite3.connect(db, timeout=30)
    try:
        c.execute("DELETE FROM pin_attempts")
        c.commit()
    finally:
        c.close()


def db_connect(db):
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    c.row_factory = sqlite3.Row
    return c


def events(db, chain):
    c = db_connect(db)
    try:
        rows = c.execute("SELECT seq, time_us, actor, host, kind, target, payload, hash FROM events"
                         " WHERE chain = ? ORDER BY seq", (chain,)).fetchall()
    finally:
        c.close()
    out = []
    for r in rows:
        d = dict(r)
        d["p"] = json.loads(d["payload"])
        out.append(d)
    return out


def run_ids(db):
    c = db_connect(db)
    try:
        return [r[0] for r in c.execute("SELECT id FROM runs ORDER BY started_us")]
    finally:
        c.close()


def run_checklist(db, run):
    c = db_connect(db)
    try:
        row = c.execute("SELECT c.text FROM runs r JOIN checklists c ON c.sha256 = r.checklist_sha"
                        " WHERE r.id = ?", (run,)).fetchone()
    finally:
        c.close()
    return json.loads(row[0])


def count_events(db, chain=None):
    c = db_connect(db)
    try:
        if chain is None:
            return c.execute("SELECT count(*) FROM events").fetchone()[0]
        return c.execute("SELECT count(*) FROM events WHERE chain = ?", (chain,)).fetchone()[0]
    finally:
        c.close()


def is_interrupted(ev):
    return ev["kind"] == "check_finished" and str(ev["p"].get("message", "")).startswith("interrupted")


def check_started_by_pid(evs, pid, t0, t1):
    """check_started events written by process PID between T0 and T1 (seconds)."""
    return [e for e in evs if e["kind"] == "check_started" and e["p"].get("pid") == pid
            and t0 - 1 <= e["time_us"] / 1e6 <= t1 + 1]


def finish_of(evs, started):
    """The first check_finished of the same item after the check_started STARTED."""
    for e in evs:
        if e["seq"] > started["seq"] and e["kind"] == "check_finished" and e["target"] == started["target"]:
            return e
    return None


# --- an independent model of the rules --------------------------------------------

COUNTS = ("pass", "waived")
FAILED = ("fail", "error", "no_data", "timeout", "cancelled")


class Model:
    """Replays a run's events with the gate rules of docs/cli.md and
    docs/checklist-format.md, written afresh here so that status --json and
    the record can be checked against them. Every event is also checked
    against the rule that should have allowed it when it was written."""

    def __init__(self, checklist):
        self.secs = []
        for s in checklist["sections"]:
            self.secs.append({
                "id": s["id"], "gate": s.get("gate", True), "always_open": s.get("always_open", False),
                "signoffs": s.get("signoffs", 2), "choice": s.get("choice"),
                "items": [{"id": i["id"], "kind": i.get("kind", "command"), "required": i.get("required", True)}
                          for i in s["items"]],
            })
        # verdict: the latest word; gate_verdict/gate_hash: what the gate counts
        # (a re-check after the gate passed that did not fail keeps the signed one).
        self.items = {(si, ii): {"verdict": "pending", "hash": None, "attempts": 0, "gate_verdict": "pending",
                                 "gate_hash": None, "rechecking": False, "rechecks": 0}
                      for si, s in enumerate(self.secs) for ii in range(len(s["items"]))}
        self.first_us = [0] * len(self.secs)
        self.reopened = [False] * len(self.secs)
        self.reopened_us = [0] * len(self.secs)
        self.signoffs = [[] for _ in self.secs]
        self.chosen = [False] * len(self.secs)
        self.not_chosen = [False] * len(self.secs)
        self.forced = [False] * len(self.secs)
        self.status = "open"
        self.completed_events = 0
        self.violations = []
        self.derive()

    def find(self, target):
        sid, _, iid = target.partition("/")
        for si, s in enumerate(self.secs):
            if s["id"] == sid:
                if not iid:
                    return si, None
                for ii, it in enumerate(s["items"]):
                    if it["id"] == iid:
                        return si, ii
        return None, None

    def derive(self):
        n = len(self.secs)
        self.digest, self.approvals, self.rejected, self.done, self.total = [], [], [], [], []
        self.gate_passed, self.stale = [], []
        for si, s in enumerate(self.secs):
            h = hashlib.sha256()
            done = total = 0
            for ii, it in enumerate(s["items"]):
                st = self.items[(si, ii)]
                h.update(it["id"].encode() + b"\0" + (st["gate_hash"] or "-").encode() + b"\n")
                if it["required"]:
                    total += 1
                    done += st["gate_verdict"] in COUNTS
            d = h.hexdigest()
            sos = self.signoffs[si]
            stale = [so["digest"] != d for so in sos]
            approvals, rejected = 0, False
            for k, so in enumerate(sos):
                if stale[k]:
                    continue
                if any(not stale[j] and sos[j]["engineer"] == so["engineer"] for j in range(k + 1, len(sos))):
                    continue
                if so["approve"]:
                    approvals += 1
                else:
                    rejected = True
            by_rules = done == total and approvals >= s["signoffs"] and not rejected
            self.digest.append(d)
            self.approvals.append(approvals)
            self.rejected.append(rejected)
            self.done.append(done)
            self.total.append(total)
            self.stale.append(stale)
            self.gate_passed.append(s["gate"] and (self.forced[si] or by_rules))
        self.locked, self.blocked_by, self.mark = [False] * n, [None] * n, [None] * n
        for si, s in enumerate(self.secs):
            if s["always_open"] or self.forced[si]:
                continue
            if self.not_chosen[si]:
                self.locked[si] = True
                continue
            for p in range(si):
                if not self.gate_counts(p) or self.same_group(si, p):
                    continue
                # Work under way before an earlier gate reopened stays open.
                if (not self.gate_passed[p] and self.reopened[p] and self.first_us[si]
                        and self.first_us[si] < self.reopened_us[p]):
                    continue
                if not self.gate_passed[p]:
                    self.locked[si], self.blocked_by[si] = True, p
                    break
        for si, s in enumerate(self.secs):
            self.mark[si] = self.compute_mark(si)

    def gate_counts(self, si):
        s = self.secs[si]
        return s["gate"] and not s["always_open"] and not self.not_chosen[si]

    def same_group(self, a, b):
        ca, cb = self.secs[a]["choice"], self.secs[b]["choice"]
        return ca is not None and ca == cb

    def group_has_choice(self, si):
        return any(self.same_group(si, k) and self.chosen[k] for k in range(len(self.secs)))

    def compute_mark(self, si):
        s = self.secs[si]
        if self.not_chosen[si]:
            return "not chosen"
        if self.locked[si]:
            return "locked"
        if s["choice"] and not self.group_has_choice(si):
            return "choose"
        if self.forced[si]:
            return "FORCED"
        if self.gate_passed[si]:
            return "passed"
        failed = False
        for ii, it in enumerate(s["items"]):
            if self.items[(si, ii)]["verdict"] == "running":
                return "running"
            failed |= it["required"] and self.items[(si, ii)]["gate_verdict"] in FAILED
        return "failed" if failed else "open"

    def all_gates_passed(self):
        return all(self.gate_passed[si] for si in range(len(self.secs)) if self.gate_counts(si))

    def workable(self, si):
        if self.status != "open":
            return f"the run is {self.status}"
        if self.not_chosen[si]:
            return "not chosen"
        if self.locked[si] and self.blocked_by[si] is not None:
            return f"locked behind {self.secs[self.blocked_by[si]]['id']}"
        if self.mark[si] == "choose":
            return "no alternative chosen"
        return None

    def running(self, target):
        si, ii = self.find(target)
        return si is not None and ii is not None and self.items[(si, ii)]["verdict"] == "running"

    def end_recheck(self, si, st, v, ev):
        """Ends a re-check after the gate passed: a pass, a cancel or an
        interruption keeps the signed verdict (true); anything else reopens
        the gate."""
        st["rechecking"] = False
        if v == "pass":
            st["rechecks"] += 1
            return True
        if v == "cancelled" or "interrupted_seq" in ev["p"]:
            st["verdict"] = st["gate_verdict"]
            return True
        self.reopened[si] = True
        self.reopened_us[si] = ev["time_us"]
        return False

    def violate(self, ev, why):
        self.violations.append(f"event {ev['seq']} {ev['kind']} {ev['target']} by {ev['actor']}: {why}")

    def apply(self, ev, allow_interrupted=lambda ev: False):
        kind, target = ev["kind"], ev["target"]
        p = ev["p"]
        # Only the end of a check that was already running may follow the end of the run.
        if self.status != "open" and not (kind == "check_finished" and self.running(target)):
            self.violate(ev, f"recorded after the run was {self.status}")
        if kind == "run_completed":
            self.completed_events += 1
            if not self.all_gates_passed():
                self.violate(ev, "the run completed while a gate had not passed")
            self.status = "completed"
        elif kind == "run_aborted":
            self.status = "aborted"
        elif kind in ("check_started", "check_finished", "attested", "waived"):
            si, ii = self.find(target)
            if si is None or ii is None:
                self.violate(ev, "unknown item")
                return
            st = self.items[(si, ii)]
            it = self.secs[si]["items"][ii]
            keep = False
            if kind == "check_started":
                why = self.workable(si)
                if why:
                    self.violate(ev, f"a check started while the section was {why}")
                if st["verdict"] == "running":
                    self.violate(ev, "a second check started while the item was running")
                st["rechecking"] = keep = it["kind"] != "wait" and self.gate_passed[si]
                st["verdict"] = "running"
                st["attempts"] += 1
            elif kind == "check_finished":
                if st["verdict"] != "running":
                    self.violate(ev, f"a check finished while the item was {st['verdict']} (no check running)")
                if is_interrupted(ev) and not allow_interrupted(ev):
                    self.violate(ev, f"recorded as interrupted: {p.get('message')}")
                v = p.get("verdict", "error")
                st["verdict"] = v
                if st["rechecking"]:
                    keep = p.get("needs_attestation") is True or self.end_recheck(si, st, v, ev)
            elif kind == "attested":
                why = self.workable(si)
                if why:
                    self.violate(ev, f"attested while the section was {why}")
                v = "fail" if p.get("verdict") == "fail" else "pass"
                recheck = st["rechecking"] or (it["kind"] == "manual" and self.gate_passed[si])
                st["verdict"] = v
                if recheck:
                    keep = self.end_recheck(si, st, v, ev)
                if it["kind"] == "manual":
                    st["attempts"] += 1
            elif kind == "waived":
                st["verdict"] = "waived"
            st["hash"] = ev["hash"]
            if not keep:
                st["gate_verdict"], st["gate_hash"] = st["verdict"], ev["hash"]
            if not self.first_us[si]:
                self.first_us[si] = ev["time_us"]
        elif kind == "signed":
            si, _ = self.find(target)
            if si is None:
                self.violate(ev, "unknown section")
                return
            approve = p.get("meaning") not in ("reject", "rejected")
            if not self.first_us[si]:
                self.first_us[si] = ev["time_us"]
            why = self.workable(si)
            if why:
                self.violate(ev, f"signed while the section was {why}")
            if approve:
                s = self.secs[si]
                for ii, it in enumerate(s["items"]):
                    if it["required"] and self.items[(si, ii)]["gate_verdict"] not in COUNTS:
                        self.violate(ev, f"approved while {it['id']} was {self.items[(si, ii)]['gate_verdict']}")
                        break
                if p.get("digest") != self.digest[si]:
                    self.violate(ev, "approved a digest that was not the section's current evidence")
                sos = self.signoffs[si]
                for k in range(len(sos) - 1, -1, -1):
                    if self.stale[si][k] or sos[k]["engineer"] != ev["actor"]:
                        continue
                    if sos[k]["approve"]:
                        self.violate(ev, f"{ev['actor']} approved the same evidence twice")
                    break
            self.signoffs[si].append({"engineer": ev["actor"], "approve": approve, "digest": p.get("digest", "")})
        elif kind == "chosen":
            si, _ = self.find(target)
            if si is None:
                self.violate(ev, "unknown section")
                return
            if self.group_has_choice(si):
                self.violate(ev, "a second alternative chosen in one group")
            if self.locked[si] and self.blocked_by[si] is not None:
                self.violate(ev, "chosen while locked")
            if not self.first_us[si]:
                self.first_us[si] = ev["time_us"]
            for k in range(len(self.secs)):
                if self.same_group(si, k):
                    self.chosen[k] = k == si
                    self.not_chosen[k] = k != si
        elif kind == "override":
            si, _ = self.find(target)
            if si is not None:
                self.forced[si] = True
                if not self.first_us[si]:
                    self.first_us[si] = ev["time_us"]
        self.derive()

    def compare_status(self, st):
        """Differences between status --json and the model, as a list of strings."""
        diffs = []
        want_state = self.status
        if st.get("state") != want_state:
            diffs.append(f"run state {st.get('state')!r}, the events imply {want_state!r}")
        by_id = {s["id"]: s for s in st.get("sections", [])}
        for si, s in enumerate(self.secs):
            js = by_id.get(s["id"])
            if js is None:
                diffs.append(f"section {s['id']} missing from status")
                continue
            want = {"state": self.mark[si], "locked": self.locked[si], "gate_passed": self.gate_passed[si],
                    "items_done": self.done[si], "items_required": self.total[si],
                    "signoffs": self.approvals[si], "rejected": self.rejected[si], "digest": self.digest[si],
                    "reopened": self.reopened[si]}
            for k, v in want.items():
                if js.get(k) != v:
                    diffs.append(f"{s['id']}.{k} is {js.get(k)!r}, the events imply {v!r}")
            jitems = {i["id"]: i for i in js.get("items", [])}
            for ii, it in enumerate(s["items"]):
                got = jitems.get(it["id"], {})
                m = self.items[(si, ii)]
                if got.get("verdict") != m["verdict"]:
                    diffs.append(f"{s['id']}/{it['id']} verdict {got.get('verdict')!r}, the events imply "
                                 f"{m['verdict']!r}")
                if got.get("rechecks", 0) != m["rechecks"]:
                    diffs.append(f"{s['id']}/{it['id']} rechecks {got.get('rechecks')!r}, the events imply "
                                 f"{m['rechecks']!r}")
                if got.get("attempts") != m["attempts"]:
                    diffs.append(f"{s['id']}/{it['id']} attempts {got.get('attempts')!r}, the events imply "
                                 f"{m['attempts']!r}")
            sigs = js.get("signatures", [])
            if len(sigs) != len(self.signoffs[si]):
                diffs.append(f"{s['id']}: {len(sigs)} signatures in status, {len(self.signoffs[si])} in the record")
            else:
                for k, sig in enumerate(sigs):
                    if sig.get("stale") != self.stale[si][k] or sig.get("engineer") != self.signoffs[si][k]["engineer"]:
                        diffs.append(f"{s['id']}: signature {k + 1} ({sig.get('engineer')}) stale={sig.get('stale')},"
                                     f" the events imply stale={self.stale[si][k]}")
        return diffs


def replay(db, run, allow_interrupted=lambda ev: False):
    m = Model(run_checklist(db, run))
    evs = events(db, run)
    for ev in evs:
        if ev["kind"] != "run_started":
            m.apply(ev, allow_interrupted)
    return m, evs


def summarize(lines, limit=12):
    lines = list(lines)
    head = lines[:limit]
    more = f"\n... and {len(lines) - limit} more" if len(lines) > limit else ""
    return "\n".join(head) + more
