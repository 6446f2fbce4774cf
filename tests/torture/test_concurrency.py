#!/usr/bin/python3
"""Concurrency torture: several countersign processes act on one run at once
(checks, sign-offs by four engineers, attestations, notes, choices, and
status/runs/verify readers) for a bounded time; a run that completes is
followed by a new one. Afterwards: every success is in the record exactly
once and nothing else is, no check is recorded as interrupted (nothing was
killed), every event was allowed by the rules when it was written, status
--json matches what the events imply, and the record verifies. Then a PIN
burst: 16 processes give one engineer a wrong PIN at the same moment; at most
five are checked and recorded, the rest are refused as locked.

usage: test_concurrency.py COUNTERSIGN_BINARY
TORTURE_SECONDS (default 20) sets how long the processes hammer the run;
TORTURE_SEED repeats a run's choices.
"""
import json
import os
import random
import re
import sys
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torturelib import (Env, Suite, blocked_reading_stdin, check_started_by_pid, env_float, events,  # noqa: E402
                        finish_of, is_interrupted, make_rng, replay, run_ids, summarize, wait_until)

ENGINEERS = ["alice", "bob", "carol", "dave"]
BURST = 16
MAX_RUNS = 30
REFUSED = re.compile(r"locked|already|not chosen|choose one|is completed|is aborted|cannot approve|"
                     r"changed while signing|needs no signature|a second engineer")


class Hammer:
    def __init__(self, suite, env, rng, checklist):
        self.suite, self.env, self.rng = suite, env, rng
        self.lock = threading.RLock()
        self.results = []   # dicts: kind, run, who, extra, res
        self.snapshot = {}  # run -> last status --json a reader saw
        self.n = 0
        self.runs = []
        self.run = None
        self.stop_at = 0
        self.sections = checklist["sections"]
        self.commands = [(s["id"], i["id"]) for s in self.sections for i in s["items"] if i["kind"] == "command"]
        self.manual = [(s["id"], i["id"]) for s in self.sections for i in s["items"] if i["kind"] == "manual"]
        self.signable = [s["id"] for s in self.sections if s.get("gate", True) and s.get("signoffs", 2) > 0]
        self.choices = [s["id"] for s in self.sections if s.get("choice")]

    def next_n(self):
        with self.lock:
            self.n += 1
            return self.n

    def record(self, kind, run, who, extra, res):
        with self.lock:
            self.results.append({"kind": kind, "run": run, "who": who, "extra": extra, "res": res})

    def start_run(self):
        who = self.rng.choice(ENGINEERS)
        res = self.env.by(who, ["start", self.env.path("concurrency.json")])
        self.record("start", None, who, None, res)
        rid = res.out.strip()
        if res.rc == 0 and rid:
            self.runs.append(rid)
            self.run = rid

    def rotate(self, old):
        """A run completed: the next actions go to a new one."""
        with self.lock:
            if self.run != old or len(self.runs) >= MAX_RUNS:
                return
            self.start_run()

    def current(self, run):
        st = self.snapshot.get(run)
        return st.get("current_section") if st else None

    def pending(self, run, sec):
        """Items of SEC that the last snapshot shows not passed."""
        st = self.snapshot.get(run)
        for s in (st or {}).get("sections", []):
            if s["id"] == sec:
                return [i["id"] for i in s["items"] if i["verdict"] not in ("pass", "waived")]
        return []

    def act(self, kind, argv, who, run, extra):
        res = self.env.by(who, argv)
        self.record(kind, run, who, extra, res)
        if res.rc == 1 and "is completed" in res.err:
            self.rotate(run)
        return res

    # --- workers -----------------------------------------------------------------------

    def checker(self, rng):
        while time.monotonic() < self.stop_at:
            run = self.run
            cur = self.current(run)
            todo = self.pending(run, cur) if cur else []
            cmds = [(s, i) for s, i in self.commands if s == cur and i in todo]
            if cmds and rng.random() < 0.8:
                sec, item = rng.choice(cmds)
            elif rng.random() < 0.75:
                sec, item = "rollback", "undo"
            else:
                sec, item = rng.choice(self.commands)
            self.act("check", ["check", run, f"{sec}/{item}", "--yes"], rng.choice(ENGINEERS), run, f"{sec}/{item}")

    def signer(self, rng):
        while time.monotonic() < self.stop_at:
            run = self.run
            cur = self.current(run)
            sec = cur if cur in self.signable and rng.random() < 0.8 else rng.choice(self.signable)
            self.act("sign", ["sign", run, sec], rng.choice(ENGINEERS), run, sec)

    def recorder(self, rng):
        while time.monotonic() < self.stop_at:
            run = self.run
            cur = self.current(run)
            who = rng.choice(ENGINEERS)
            k = self.next_n()
            r = rng.random()
            todo = self.pending(run, cur) if cur else []
            manual = [(s, i) for s, i in self.manual if s == cur and i in todo]
            if cur in self.choices or r < 0.1:
                sec = rng.choice(self.choices)
                self.act("choose", ["choose", run, sec], who, run, sec)
            elif manual or r < 0.4:
                sec, item = rng.choice(manual or self.manual)
                text = f"attest-{k}"
                self.act("attest", ["attest", run, f"{sec}/{item}", "--note", text, "--yes"], who, run, text)
            else:
                text = f"note-{k}"
                target = rng.choice([[], [rng.choice(self.signable)], ["prep/c1"]])
                self.act("note", ["note", run] + target + [text], who, run, text)

    def reader(self, rng):
        i = 0
        while time.monotonic() < self.stop_at:
            i += 1
            run = self.run
            st, res = self.env.status(run)
            self.record("status", run, None, None, res)
            if st is not None:
                with self.lock:
                    self.snapshot[run] = st
                if st.get("state") == "completed":
                    self.rotate(run)
            if i % 5 == 0:
                self.record("runs", None, None, None, self.env.run(["runs", "--json"]))
            if i % 7 == 0:
                self.record("verify", None, None, None, self.env.run(["verify"]))

    def hammer(self, seconds):
        self.stop_at = time.monotonic() + seconds
        workers = [self.checker, self.checker, self.signer, self.signer, self.recorder, self.reader, self.reader]
        threads = [threading.Thread(target=w, args=(random.Random(self.rng.random()),))
                   for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=seconds + 120)
        self.suite.check(not any(t.is_alive() for t in threads), "every worker ended")
        return len(workers)


def judge_exits(h, suite):
    bad, kinds = [], Counter()
    for r in h.results:
        res, kind = r["res"], r["kind"]
        if res.rc == 0:
            continue
        if res.rc == 1 and kind in ("check", "sign", "choose", "attest", "note") and REFUSED.search(res.err):
            continue
        bad.append(f"{kind}: {res!r}")
        kinds[f"{kind} exit {res.rc}"] += 1
    suite.check(not bad, f"every command ended in success or a refusal by the rules ({len(bad)} did not: "
                f"{', '.join(f'{k}: {v}' for k, v in sorted(kinds.items()))})", summarize(bad, 6))
    bad_json = [r for r in h.results if r["kind"] == "status" and r["res"].rc == 0 and not r["res"].out.startswith("{")]
    suite.check(not bad_json, "every status --json printed JSON", summarize(map(repr, (r["res"] for r in bad_json)), 3))


def success_in_record(r, evs):
    """None when the success R is in EVS exactly once, else why not."""
    kind, res, who, extra = r["kind"], r["res"], r["who"], r["extra"]
    if kind == "check":
        st = check_started_by_pid(evs, res.pid, res.t0, res.t1)
        if len(st) != 1:
            return f"{len(st)} check_started by pid {res.pid}"
        fin = finish_of(evs, st[0])
        if not fin or fin["actor"] != who or fin["p"].get("verdict") != "pass":
            return f"its finish is {fin and (fin['actor'], fin['payload'])}, not {who}'s pass"
        return None
    if kind in ("attest", "note"):
        want, key = ("attested", "note") if kind == "attest" else ("note", "text")
        n = sum(1 for e in evs if e["kind"] == want and e["p"].get(key) == extra and e["actor"] == who)
        return None if n == 1 else f"{n} {want} events with {key} {extra!r}"
    if kind == "sign":
        m = re.search(r"signed evidence ([0-9a-f]{16})\.\.\.", res.out)
        if not m:
            return "no digest printed"
        n = sum(1 for e in evs if e["kind"] == "signed" and e["actor"] == who and e["target"] == extra
                and e["p"].get("digest", "").startswith(m.group(1)))
        return None if n == 1 else f"{n} signed events by {who} for {extra} with digest {m.group(1)}"
    if kind == "choose":
        n = sum(1 for e in evs if e["kind"] == "chosen" and e["target"] == extra and e["actor"] == who)
        return None if n == 1 else f"{n} chosen events for {extra} by {who}"
    return None


def check_record(h, suite, env):
    v = env.run(["verify"])
    suite.check(v.rc == 0 and v.out.startswith("ok:"), "verify after the hammering", v)
    runs = run_ids(env.db)
    suite.check(sorted(runs) == sorted(h.runs), "the runs in the record are the runs that start reported",
                f"record {runs}, started {h.runs}")
    successes = Counter()
    problems, interrupted, violations, diffs = [], [], [], []
    for run in runs:
        model, evs = replay(env.db, run)
        mine = [r for r in h.results if r["run"] == run and r["res"].rc == 0 and r["kind"] not in ("status",)]
        for r in mine:
            successes[r["kind"]] += 1
            why = success_in_record(r, evs)
            if why:
                problems.append(f"run {run}: {r['kind']} {' '.join(r['res'].args[1:4])} by {r['who']} "
                                f"(pid {r['res'].pid}): {why}")
        # Nothing but the successes: each kind's events number its successes.
        by_kind = Counter(e["kind"] for e in evs if e["actor"] != "system")
        ok_kind = Counter(r["kind"] for r in mine)
        for kind, ev_kind in (("note", "note"), ("attest", "attested"), ("sign", "signed"),
                              ("choose", "chosen"), ("check", "check_started")):
            if by_kind[ev_kind] != ok_kind[kind]:
                problems.append(f"run {run}: {by_kind[ev_kind]} {ev_kind} events but {ok_kind[kind]} successful "
                                f"{kind} commands")
        interrupted += [f"run {run}: event {e['seq']} {e['target']} by {e['actor']}: {e['p'].get('message')}"
                        for e in evs if is_interrupted(e)]
        violations += [f"run {run}: {x}" for x in model.violations if "interrupted" not in x]
        if model.completed_events > 1:
            violations.append(f"run {run}: {model.completed_events} run_completed events")
        if model.status == "open" and model.all_gates_passed():
            violations.append(f"run {run}: every gate passed but the run was not completed")
        st, sr = env.status(run)
        if st is None:
            diffs.append(f"run {run}: status --json failed: {sr!r}")
        else:
            diffs += [f"run {run}: {d}" for d in model.compare_status(st)]
            suite.note(f"run {run} ({st['state']}, {len(evs)} events): " +
                       ", ".join(f"{s['id']} {s['state']}" for s in st["sections"]))
    suite.check(not interrupted, f"no check recorded as interrupted when nothing was killed ({len(interrupted)} were)",
                summarize(interrupted))
    suite.check(not problems, "every success is in the record exactly once, and nothing else is",
                summarize(problems))
    suite.check(not violations, "every event was allowed by the rules when it was written", summarize(violations))
    suite.check(not diffs, "status --json of every run matches what its events imply", summarize(diffs))
    return successes, runs


def pin_burst(suite, env):
    """16 wrong PINs for one engineer at the same moment."""
    run = env.start_run(suite, "concurrency.json", "alice")
    procs = []
    for k in range(BURST):
        args = ["note", run, f"burst-{k}", "--engineer", "eve", "--pin-stdin"]
        procs.append((env.spawn(args, stdin_pipe=True), args))
    # Released together once every one waits for its PIN.
    ready = wait_until(lambda: all(blocked_reading_stdin(p.pid) for (p, _, _, _), _ in procs), 30)
    suite.check(ready, f"all {BURST} processes wait for the PIN before any gets one")
    for (p, _, _, _), _ in procs:
        try:
            p.stdin.write(b"wrong-pin-0\n")
            p.stdin.flush()
        except BrokenPipeError:
            pass
    for (p, _, _, _), _ in procs:
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass
    results = [env.collect(p, o, e, t0, args, timeout=60) for (p, o, e, t0), args in procs]
    wrong = [r for r in results if r.rc == 2 and "wrong PIN" in r.err]
    locked = [r for r in results if r.rc == 1 and "locked" in r.err]
    other = [r for r in results if r not in wrong and r not in locked]
    failed = [e for e in events(env.db, "engineers") if e["kind"] == "pin_failed" and e["target"] == "eve"]
    suite.note(f"PIN burst: {len(wrong)} checked as wrong, {len(locked)} refused as locked, {len(other)} other; "
               f"{len(failed)} pin_failed events")
    suite.check(len(failed) <= 5, f"a burst of {BURST} wrong PINs records at most 5 pin_failed events "
                f"(got {len(failed)})", "\n".join(r.err.strip() for r in wrong[:8]))
    suite.check(len(wrong) <= 5, f"at most 5 of {BURST} simultaneous wrong PINs are checked (got {len(wrong)})")
    suite.check(len(wrong) == len(failed), "every PIN checked as wrong is a pin_failed event")
    suite.check(len(locked) == BURST - len(wrong), f"the rest ({BURST - len(wrong)}) are refused as locked "
                f"(got {len(locked)})", summarize(map(repr, other), 3))
    suite.check(not [e for e in events(env.db, run) if e["kind"] == "note"], "no note was recorded by the burst")
    r = env.by("eve", ["note", run, "right PIN, but locked"])
    suite.check(r.rc == 1 and "locked" in r.err, "after the burst eve is locked even with the right PIN", r)
    r = env.by("alice", ["note", run, "alice is not locked"])
    suite.check(r.rc == 0, "another engineer is not affected", r)
    v = env.run(["verify"])
    suite.check(v.rc == 0, "verify after the PIN burst", v)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: test_concurrency.py COUNTERSIGN_BINARY")
    suite = Suite("concurrency")
    env = Env(sys.argv[1], "concurrency")
    try:
        rng = make_rng(suite)
        env.add_engineers(suite, ENGINEERS + ["eve"])
        with open(env.path("concurrency.json")) as f:
            checklist = json.load(f)
        h = Hammer(suite, env, rng, checklist)
        h.start_run()
        seconds = env_float("TORTURE_SECONDS", 20)
        t0 = time.monotonic()
        n = h.hammer(seconds)
        took = time.monotonic() - t0
        judge_exits(h, suite)
        successes, runs = check_record(h, suite, env)
        kinds = Counter(r["kind"] for r in h.results)
        suite.note(f"{n} processes at once for {took:.1f} s: {len(h.results)} commands "
                   f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}); successes: "
                   f"{', '.join(f'{k} {v}' for k, v in sorted(successes.items()))}; {len(runs)} runs")
        suite.check(successes["check"] > 0 and successes["sign"] > 0 and successes["note"] > 0,
                    "checks, sign-offs and notes succeeded during the hammering")
        pin_burst(suite, env)
    finally:
        env.cleanup()
    suite.finish()


if __name__ == "__main__":
    main()
