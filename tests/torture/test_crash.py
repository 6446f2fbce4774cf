#!/usr/bin/python3
"""Crash torture: the real countersign is killed at random moments during
check, attest, note, sign and start. After every kill and at the end: the
record verifies, every command that reported success is in it, no item is
left running once a writing command has run again, and no process of a
killed check survives that recovery. Before the random part, fixed cases: a
read-only command after a kill records nothing, and a hang-up or a broken
pipe during a check stops the check's processes and records its end.

usage: test_crash.py COUNTERSIGN_BINARY
TORTURE_SECONDS (default 40) and TORTURE_ITERATIONS (default 400) bound the
random part; TORTURE_SEED repeats a run's choices.
"""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torturelib import (Env, Suite, check_started_by_pid, count_events, describe_pids, env_float,  # noqa: E402
                        env_int, events, finish_of, forget_pin_reservations, is_interrupted, kill_tagged,
                        make_rng, pin_of, replay, summarize, tagged_pids, wait_until)

ENGINEERS = ["alice", "bob", "carol"]
CHECK_ITEMS = ["fast", "medium", "slow", "kids", "linger"]
SURVIVOR_DEADLINE = 5.0


def running_items(st):
    return [f"{s['id']}/{i['id']}" for s in st["sections"] for i in s["items"] if i["verdict"] == "running"]


def wait_started(env, run, pid, item, tag, procs):
    """Waits until process PID has recorded check_started of ITEM and the
    check's processes (PROCS of them, countersign included) carry TAG."""
    def ready():
        evs = [e for e in events(env.db, run) if e["kind"] == "check_started" and e["target"] == item
               and e["p"].get("pid") == pid]
        return evs and len(tagged_pids(tag)) >= procs
    return wait_until(ready, 15)


class Crash:
    def __init__(self, suite, env, rng):
        self.suite, self.env, self.rng = suite, env, rng
        self.run = None
        self.successes = []       # (description, check function)
        self.killed_pids = set()  # countersign processes we SIGKILLed during a check
        self.survivor_failures = 0
        self.counts = {}
        self.n = 0

    # --- what a success must have left in the record ---------------------------------

    def expect_recorded(self, kind, res, who, extra):
        """A check function for the success RES: returns None when the record
        has it, else why not."""
        run = self.run
        if kind == "check":
            item = extra

            def f():
                evs = events(self.env.db, run)
                st = check_started_by_pid(evs, res.pid, res.t0, res.t1)
                if len(st) != 1:
                    return f"{len(st)} check_started events by pid {res.pid} for {item}"
                fin = finish_of(evs, st[0])
                if not fin or fin["p"].get("verdict") != "pass" or fin["actor"] != who:
                    return f"the check's finish is {fin and (fin['actor'], fin['p'])}, not {who}'s pass"
                return None
        elif kind in ("attest", "note"):
            text = extra

            def f():
                evs = events(self.env.db, run)
                key = "note" if kind == "attest" else "text"
                want = "attested" if kind == "attest" else "note"
                hits = [e for e in evs if e["kind"] == want and e["p"].get(key) == text and e["actor"] == who]
                return None if len(hits) == 1 else f"{len(hits)} {want} events with {key} {text!r}"
        elif kind == "sign":
            m = re.search(r"signed evidence ([0-9a-f]{16})\.\.\. of work", res.out)

            def f():
                if not m:
                    return "no digest in the output"
                evs = events(self.env.db, run)
                hits = [e for e in evs if e["kind"] == "signed" and e["actor"] == who and e["target"] == "work"
                        and e["p"].get("digest", "").startswith(m.group(1))]
                return None if len(hits) == 1 else f"{len(hits)} signed events by {who} of digest {m.group(1)}"
        elif kind == "start":
            rid = res.out.strip()

            def f():
                if not re.fullmatch(r"[0-9a-z]{10}", rid):
                    return f"start printed {rid!r}"
                evs = events(self.env.db, rid)
                return None if evs and evs[0]["kind"] == "run_started" else f"run {rid} has no run_started"
        return f

    def success_line(self, kind, res, who, extra):
        if kind == "check":
            return f"pass: work/{extra}: " in res.out
        if kind == "attest":
            return f"pass: work/review attested by {who}" in res.out
        if kind == "note":
            return "noted" in res.out
        if kind == "sign":
            return f"approved: {who} signed evidence" in res.out
        return bool(re.fullmatch(r"[0-9a-z]{10}\n", res.out))

    def add_success(self, desc, fn):
        why = fn()
        self.suite.check(why is None, f"a reported success is in the record: {desc}", why)
        self.successes.append((desc, fn))

    # --- actions ------------------------------------------------------------------------

    def action(self, kind, item=None):
        self.n += 1
        who = self.rng.choice(ENGINEERS)
        extra = None
        if kind == "check":
            extra = item or self.rng.choice(CHECK_ITEMS)
            args = ["check", self.run, f"work/{extra}", "--yes"]
        elif kind == "attest":
            extra = f"attest-{self.n}"
            args = ["attest", self.run, "work/review", "--note", extra, "--yes"]
        elif kind == "note":
            extra = f"note-{self.n}"
            target = self.rng.choice([[], ["work"], ["work/fast"]])
            args = ["note", self.run] + target + [extra]
        elif kind == "sign":
            args = ["sign", self.run, "work"]
        else:
            args = ["start", self.env.path("crash.json")]
        return who, extra, args + ["--engineer", who, "--pin-stdin"]

    def key(self, kind, extra):
        return f"check {extra}" if kind == "check" else kind

    def attempt(self, kind, delay, item=None):
        """Runs one action, SIGKILLed after DELAY seconds unless it ended first.
        Returns (result, killed, who, extra, tag)."""
        who, extra, args = self.action(kind, item)
        tag = self.env.new_tag()
        p, o, e, t0 = self.env.spawn(args, [pin_of(who)], tag=tag)
        killed = False
        if delay is not None:
            try:
                p.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGKILL)
        res = self.env.collect(p, o, e, t0, args, timeout=60)
        killed = res.rc == -signal.SIGKILL
        return res, killed, who, extra, tag

    def judge(self, kind, res, killed, who, extra):
        desc = f"{kind} {' '.join(res.args)} (pid {res.pid})"
        if res.rc == 0:
            self.suite.check(self.success_line(kind, res, who, extra), f"exit 0 with its success line: {desc}", res)
            self.add_success(desc, self.expect_recorded(kind, res, who, extra))
        elif killed:
            # Output that made it out before the kill is a promise too.
            if self.success_line(kind, res, who, extra) and kind != "start":
                self.add_success(desc + " [killed after printing success]",
                                 self.expect_recorded(kind, res, who, extra))
        else:
            allowed = res.rc == 1 and kind == "sign"
            self.suite.check(allowed, f"no unexpected failure: {desc}", res)

    def after_kill(self, kind, res, tag):
        """After a kill: the record verifies; a writing command recovers the
        run; nothing is left running; nothing of the killed check survives."""
        v = self.env.run(["verify"])
        self.suite.check(v.rc == 0 and v.out.startswith("ok:"), f"verify after killing {kind} (pid {res.pid})", v)
        forget_pin_reservations(self.env.db)
        rec_text = f"recovery-{self.n}"
        r = self.env.by("alice", ["note", self.run, rec_text])
        if self.suite.check(r.rc == 0, f"a writing command after killing {kind} (pid {res.pid})", r):
            self.add_success(f"note {rec_text}", self.expect_recorded("note", r, "alice", rec_text))
        st, sr = self.env.status(self.run)
        if self.suite.check(st is not None, "status --json after a recovery", sr):
            left = running_items(st)
            self.suite.check(not left, f"no item left running after killing {kind} (pid {res.pid}) and a note",
                             f"running: {left}")
        if kind == "check":
            deadline = SURVIVOR_DEADLINE if self.survivor_failures < 3 else 0.5
            alive = wait_until(lambda: not tagged_pids(tag), deadline)
            if not alive:
                left = tagged_pids(tag)
                self.survivor_failures += 1
                self.suite.check(False, f"no process of the killed check {' '.join(res.args[:3])} (pid {res.pid}) "
                                 f"survives its recovery ({deadline:g} s)", describe_pids(left))
                kill_tagged(tag, prefix=False)
            else:
                self.suite.check(True, "no survivor")

    # --- the fixed cases ------------------------------------------------------------------

    def read_only_after_kill(self):
        """A killed check: read-only commands record nothing; the next writing
        command records the interruption once and stops the check's group."""
        env, run = self.env, self.run
        tag = env.new_tag()
        args = ["check", run, "work/hold", "--yes", "--engineer", "alice", "--pin-stdin"]
        p, o, e, t0 = env.spawn(args, [pin_of("alice")], tag=tag)
        ok = self.suite.check(wait_started(env, run, p.pid, "work/hold", tag, 5),
                              "the slow check started (check_started recorded, its 4 processes seen)",
                              describe_pids(tagged_pids(tag)))
        p.send_signal(signal.SIGKILL)
        res = env.collect(p, o, e, t0, args)
        self.killed_pids.add(res.pid)
        if not ok:
            kill_tagged(tag, prefix=False)
            return
        before = count_events(env.db, run)
        for ro in (["status", run], ["status", run, "--json"], ["runs"], ["runs", "--all", "--json"],
                   ["verify", run], ["verify"], ["engineer", "list"]):
            r = env.run(ro)
            self.suite.check(r.rc == 0, f"{' '.join(ro[:1])} after a killed check", r)
        after = count_events(env.db, run)
        new = events(env.db, run)[before:]
        self.suite.check(after == before, "read-only commands record nothing after a killed check "
                         f"(events {before} -> {after})",
                         "\n".join(f"{x['seq']} {x['actor']} {x['kind']} {x['target']} {x['payload']}" for x in new))
        still = tagged_pids(tag)
        self.suite.check(len(still) >= 4, "the killed check's processes are still there before the recovery "
                         "(the case under test)", describe_pids(still))
        r = env.by("bob", ["note", run, "after the kill"])
        self.suite.check(r.rc == 0, "a writing command after the kill", r)
        evs = events(env.db, run)
        started = check_started_by_pid(evs, res.pid, res.t0, res.t1)
        fins = [x for x in evs if started and x["seq"] > started[0]["seq"] and x["kind"] == "check_finished"
                and x["target"] == "work/hold"]
        self.suite.check(len(fins) == 1 and is_interrupted(fins[0]) and fins[0]["actor"] == "system",
                         "the interruption is recorded once, by system", [f["payload"] for f in fins])
        st, sr = env.status(run)
        self.suite.check(st is not None and not running_items(st), "nothing left running after the recovery",
                         st and running_items(st))
        gone = wait_until(lambda: not tagged_pids(tag), SURVIVOR_DEADLINE)
        self.suite.check(gone, "the recovery stops the still-running process group of the interrupted check "
                         f"(within {SURVIVOR_DEADLINE:g} s)", describe_pids(tagged_pids(tag)))
        kill_tagged(tag, prefix=False)

    def own_end_recorded(self, res, item, what):
        evs = events(self.env.db, self.run)
        started = check_started_by_pid(evs, res.pid, res.t0, res.t1)
        fin = finish_of(evs, started[0]) if started else None
        self.suite.check(fin is not None and fin["actor"] == "alice" and fin["p"].get("verdict") != "pass",
                         f"after {what}, countersign itself recorded the end of {item} (cancelled)",
                         f"finish: {fin and (fin['actor'], fin['payload'])}")

    def hangup(self):
        """SIGHUP (the terminal closed) during a check: handled like SIGTERM."""
        env, run = self.env, self.run
        tag = env.new_tag()
        args = ["check", run, "work/hold", "--yes", "--engineer", "alice", "--pin-stdin"]
        p, o, e, t0 = env.spawn(args, [pin_of("alice")], tag=tag)
        ok = self.suite.check(wait_started(env, run, p.pid, "work/hold", tag, 5), "the slow check started",
                              describe_pids(tagged_pids(tag)))
        p.send_signal(signal.SIGHUP)
        try:
            p.wait(timeout=10)
            ended = True
        except subprocess.TimeoutExpired:
            ended = False
        self.suite.check(ended, "countersign ends within 10 s of SIGHUP during a check")
        res = env.collect(p, o, e, t0, args)
        # Whatever else fails here, an "interrupted" of this check is no new finding.
        self.killed_pids.add(res.pid)
        if ok:
            gone = wait_until(lambda: not tagged_pids(tag), 8)
            self.suite.check(gone, "SIGHUP during a check stops the check's whole process group (8 s)",
                             describe_pids(tagged_pids(tag)))
            self.own_end_recorded(res, "work/hold", "SIGHUP")
        kill_tagged(tag, prefix=False)
        r = env.by("alice", ["note", run, "after the hang-up"])
        self.suite.check(r.rc == 0, "a note after the hang-up", r)

    def broken_pipe(self):
        """`countersign check ... | head -1`: the reader goes away (SIGPIPE)."""
        env, run = self.env, self.run
        tag = env.new_tag()
        args = ["check", run, "work/chatty", "--yes", "--engineer", "alice", "--pin-stdin"]
        p = subprocess.Popen([env.cs] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env=env.environ(tag=tag), cwd=env.root)
        t0 = time.time()
        p.stdin.write(f"{pin_of('alice')}\n".encode())
        p.stdin.close()
        first = p.stdout.readline()
        self.suite.check(first.startswith(b"line"), "the chatty check printed its first line", first)
        p.stdout.close()
        try:
            rc = p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
            self.suite.check(False, "countersign ends within 10 s once its output pipe is closed")
        res = type("R", (), {"pid": p.pid, "t0": t0, "t1": time.time(), "rc": rc})()
        self.killed_pids.add(p.pid)
        gone = wait_until(lambda: not tagged_pids(tag), 8)
        self.suite.check(gone, f"a broken output pipe (exit {rc}) stops the check's whole process group (8 s)",
                         describe_pids(tagged_pids(tag)))
        self.own_end_recorded(res, "work/chatty", "a broken pipe")
        kill_tagged(tag, prefix=False)
        r = env.by("alice", ["note", run, "after the broken pipe"])
        self.suite.check(r.rc == 0, "a note after the broken pipe", r)

    # --- the random part --------------------------------------------------------------------

    def calibrate(self):
        """How long each action takes here, unkilled: kills are spread over that."""
        calib = {}
        for item in CHECK_ITEMS:
            res, _, who, extra, _ = self.attempt_fixed("check", item)
            calib[f"check {item}"] = res.t1 - res.t0
        for kind in ("attest", "note", "sign", "start"):
            res, _, who, extra, _ = self.attempt_fixed(kind, None)
            calib[kind] = res.t1 - res.t0
        self.suite.note("unkilled durations: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in calib.items()))
        return calib

    def attempt_fixed(self, kind, item):
        out = self.attempt(kind, None, item)
        res, killed, who, extra, tag = out
        self.judge(kind, res, killed, who, extra)
        return out

    def loop(self, calib):
        seconds = env_float("TORTURE_SECONDS", 40)
        iterations = env_int("TORTURE_ITERATIONS", 400)
        kinds = ["check"] * 8 + ["attest"] * 3 + ["note"] * 3 + ["sign"] * 4 + ["start"] * 2
        end = time.monotonic() + seconds
        done = kills = 0
        per = {}
        while done < iterations and time.monotonic() < end:
            kind = self.rng.choice(kinds)
            # The item is chosen inside attempt(); the delay uses the slowest check
            # for checks so that the whole of each one is covered over many tries.
            base = max(v for k, v in calib.items() if k.startswith("check")) if kind == "check" else calib[kind]
            delay = self.rng.uniform(0, 2.0 * base)
            res, killed, who, extra, tag = self.attempt(kind, delay)
            done += 1
            k = self.key(kind, extra)
            c = per.setdefault(k, [0, 0, 0])
            c[0] += 1
            if res.rc == 0:
                c[1] += 1
            self.judge(kind, res, killed, who, extra)
            if killed:
                kills += 1
                c[2] += 1
                if kind == "check":
                    self.killed_pids.add(res.pid)
                self.after_kill(kind, res, tag)
        self.suite.note(f"{done} actions, {kills} SIGKILLs in {seconds:g} s budget; per action "
                        "(tries/successes/kills): " + ", ".join(f"{k} {v[0]}/{v[1]}/{v[2]}" for k, v in sorted(per.items())))
        self.suite.check(kills > 0 and done > 0, f"the loop killed something ({kills} kills in {done} actions)")

    def final(self):
        env, run = self.env, self.run
        v = env.run(["verify"])
        self.suite.check(v.rc == 0, "verify at the end", v)
        r = env.by("carol", ["note", run, "the end"])
        self.suite.check(r.rc == 0, "a writing command at the end", r)
        missing = []
        for desc, fn in self.successes:
            why = fn()
            if why:
                missing.append(f"{desc}: {why}")
        self.suite.check(not missing, f"all {len(self.successes)} reported successes are still in the record",
                         summarize(missing))
        gone = wait_until(lambda: not tagged_pids(env.tag_prefix, prefix=True), SURVIVOR_DEADLINE)
        self.suite.check(gone, "no process of any check is left at the end",
                         describe_pids(tagged_pids(env.tag_prefix, prefix=True)))
        kill_tagged(env.tag_prefix)

        all_evs = events(env.db, run)

        def allowed(ev):
            starts = [e for e in all_evs if e["seq"] < ev["seq"] and e["kind"] == "check_started"
                      and e["target"] == ev["target"]]
            return bool(starts) and starts[-1]["p"].get("pid") in self.killed_pids
        model, evs = replay(env.db, run, allowed)
        self.suite.check(not model.violations, f"every one of the {len(evs)} events was allowed by the rules "
                         "when written, and only killed checks are interrupted", summarize(model.violations))
        st, sr = env.status(run)
        if self.suite.check(st is not None, "status --json at the end", sr):
            diffs = model.compare_status(st)
            self.suite.check(not diffs, "status --json matches what the events imply", summarize(diffs))
            self.suite.check(not running_items(st), "nothing running at the end", running_items(st))


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: test_crash.py COUNTERSIGN_BINARY")
    suite = Suite("crash")
    env = Env(sys.argv[1], "crash")
    try:
        rng = make_rng(suite)
        c = Crash(suite, env, rng)
        env.add_engineers(suite, ENGINEERS)
        c.run = env.start_run(suite, "crash.json")
        c.read_only_after_kill()
        c.hangup()
        c.broken_pipe()
        calib = c.calibrate()
        c.loop(calib)
        c.final()
    finally:
        env.cleanup()
    suite.finish()


if __name__ == "__main__":
    main()
