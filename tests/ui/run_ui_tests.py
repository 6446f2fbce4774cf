#!/usr/bin/python3
"""The ui suite: drives the real countersign binary from key scripts and
compares its screen dumps with expected files, with no terminal needed.

Each scenario is a folder under tests/ui/scenarios/ holding:
  setup.sh   optional; run first with $CS (the binary) in a fresh folder
             holding the fixture checklists (tests/ui/fixtures/*.json)
  keys       the key script (docs/interface.md, "The test hook", has its format)
  *.expected the expected screen dumps, one per ':dump NAME' in the script
  env        optional KEY=VALUE lines (e.g. COUNTERSIGN_UI_SIZE=100x30)
  args       optional: the command line of `keys` (args.2 of keys.2...);
             $RUN1, $RUN2... stand for the ids of the runs in the record
             by start time when the script starts
  check.sh   optional; run last, in the same folder and environment (with
             $SCENARIO the scenario's folder): it fails the scenario when
             it exits non-zero (files written, the record unchanged)

Volatile text (run ids, clock times, dates, durations, hashes) is replaced by
placeholders before comparing. With --bless the dumps are written as the
expected files instead (review them before committing).

usage: run_ui_tests.py COUNTERSIGN_BINARY SOURCE_ROOT [--bless] [SCENARIO...]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def normalise(text, run_ids, work):
    # the scenario's folder (a random name) as WORK, before anything else
    for path in sorted({work, os.path.realpath(work)}, key=len, reverse=True):
        text = text.replace(path, "WORK")
    for i, rid in enumerate(run_ids):
        text = text.replace(rid, "RUN%d" % (i + 1))
    text = re.sub(r"\b\d{4}-\d{2}-\d{2}\b", "YYYY-MM-DD", text)
    text = re.sub(r"\b\d{2}:\d{2}:\d{2}\b", "hh:mm:ss", text)
    text = re.sub(r"\b\d{2}:\d{2}\b", "hh:mm", text)
    # hashes first: a digest's shown end may be all digits and a "d"
    # (…0372915d), which the durations' pattern would take for days
    text = re.sub(r"\b[0-9a-f]{8,}\b", "HEX", text)
    # durations (12ms, 3s, 1m30s, -2s; estimates too, consistently) with the
    # padding before them, which varies with their width
    text = re.sub(r" *-?\b(?:\d+ms|(?:\d+[dhm])*\d+[dhms])\b", " Nt", text)
    return text


def run_ids(cs, env):
    out = subprocess.run([cs, "runs", "--all", "--json"], env=env, capture_output=True, text=True)
    try:
        runs = json.loads(out.stdout)
    except ValueError:
        return []
    return [r["id"] for r in sorted(runs, key=lambda r: r["started_us"])]


def run_scenario(cs, name, bless):
    src = os.path.join(HERE, "scenarios", name)
    work = tempfile.mkdtemp(prefix="countersign-ui.")
    failures = []
    try:
        for f in os.listdir(os.path.join(HERE, "fixtures")):
            shutil.copy(os.path.join(HERE, "fixtures", f), work)
        env = dict(os.environ)
        env.update({
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "xterm-256color",
            "COUNTERSIGN_DB": os.path.join(work, "cs.db"), "COUNTERSIGN_TEST_PIN_COST": "min",
            "HOME": work, "XDG_DATA_HOME": os.path.join(work, "data"), "CS": cs,
            "COUNTERSIGN_UI_DUMP_DIR": os.path.join(work, "dumps"), "COUNTERSIGN_UI_SIZE": "80x24",
            "SCENARIO": src,
        })
        env.pop("NO_COLOR", None)
        envfile = os.path.join(src, "env")
        if os.path.exists(envfile):
            for line in open(envfile):
                if "=" in line and not line.startswith("#"):
                    k, v = line.strip().split("=", 1)
                    env[k] = v
        os.mkdir(env["COUNTERSIGN_UI_DUMP_DIR"])
        setup = os.path.join(src, "setup.sh")
        if os.path.exists(setup):
            r = subprocess.run(["sh", setup], cwd=work, env=env, capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                return ["setup.sh failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr)]
        scripts = sorted(f for f in os.listdir(src) if f == "keys" or f.startswith("keys."))
        for script in scripts:
            env["COUNTERSIGN_UI_SCRIPT"] = os.path.join(src, script)
            args = [cs]
            argsfile = os.path.join(src, "args" + script[4:])
            if os.path.exists(argsfile):
                ids = run_ids(cs, env)
                for arg in open(argsfile).read().split():
                    # $RUN12 before $RUN1
                    for i in reversed(range(len(ids))):
                        arg = arg.replace("$RUN%d" % (i + 1), ids[i])
                    args.append(arg)
            r = subprocess.run(args, cwd=work, env=env, capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                failures.append("%s: countersign exited %d: %s" % (script, r.returncode, r.stderr.strip()))
        env.pop("COUNTERSIGN_UI_SCRIPT", None)
        check = os.path.join(src, "check.sh")
        if os.path.exists(check):
            r = subprocess.run(["sh", check], cwd=work, env=env, capture_output=True, text=True, timeout=300)
            if r.returncode != 0:
                failures.append("check.sh failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr))
        ids = run_ids(cs, env)
        dumps = sorted(os.listdir(env["COUNTERSIGN_UI_DUMP_DIR"]))
        expected = sorted(f[:-9] for f in os.listdir(src) if f.endswith(".expected"))
        for d in sorted(set(dumps) | set(expected)):
            got_path = os.path.join(env["COUNTERSIGN_UI_DUMP_DIR"], d)
            exp_path = os.path.join(src, d + ".expected")
            got = normalise(open(got_path).read(), ids, work) if os.path.exists(got_path) else None
            if bless and got is not None:
                open(exp_path, "w").write(got)
                continue
            if got is None:
                failures.append("%s: no dump was made" % d)
            elif not os.path.exists(exp_path):
                failures.append("%s: no expected file (run with --bless)" % d)
            elif open(exp_path).read() != got:
                failures.append("%s: screen differs\n--- expected\n%s--- got\n%s" % (d, open(exp_path).read(), got))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return failures


def main():
    args = sys.argv[1:]
    bless = "--bless" in args
    args = [a for a in args if a != "--bless"]
    if len(args) < 2:
        print(__doc__)
        return 2
    cs, names = os.path.abspath(args[0]), args[2:]
    if not names:
        names = sorted(os.listdir(os.path.join(HERE, "scenarios")))
    passed = failed = 0
    for name in names:
        problems = run_scenario(cs, name, bless)
        if problems:
            failed += 1
            print("FAIL %s" % name)
            for p in problems:
                print("  " + p.replace("\n", "\n  "))
        else:
            passed += 1
            print("ok   %s" % name)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
