#!/usr/bin/python3
"""The bundled NOA checklist as engineers meet it: the interface shows
descriptions, details and commands with the run's values (v0.1.0, not
${VERSION}); the automated backup job can stand in for the manual pg_dump
(neither is required alone; a fresh dump in /backups is); the checks the
runbook gives as targets are waivable; and Monitor error logs passes when
grep finds no error (its own exit status 1)."""
import json
import os
import shutil
import subprocess

from termharness import PIN, Suite, Term, run_screen

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOA = os.path.join(SOURCE, "checklists", "noa-server-deploy.json")
s = Suite("noa-checklist")


def flat(t):
    """The right-hand panes' text, wrapped lines joined."""
    return " ".join(" ".join(l.split("││")[-1].replace("│", " ").split()) for l in t.screen.display)


def item(doc, sec, it):
    section = next(x for x in doc["sections"] if x["id"] == sec)
    return next(x for x in section["items"] if x["id"] == it)


try:
    doc = json.load(open(NOA))

    # --- the backup: either of the two, and proof of a fresh dump ---
    manual, job = item(doc, "backup-recovery", "db-backup"), item(doc, "backup-recovery", "db-backup-job")
    exists = item(doc, "backup-recovery", "backup-exists")
    s.check("the manual pg_dump is not required on its own", manual.get("required") is False)
    s.check("nor is the automated backup job", job.get("required") is False)
    s.check("the job's check waits until the job has completed", "kubectl wait --for=condition=complete" in
            "\n".join(job["run"] if isinstance(job["run"], list) else [job["run"]]))
    s.check("a fresh dump in /backups is required, whichever made it",
            exists.get("required", True) and "-mmin" in "\n".join(exists["run"]))

    # --- targets the runbook gives as advisory are waivable ---
    advisory = [("performance", i) for i in
                ("p95-latency", "error-rate", "db-connection-pool", "cache-hit-rate", "cpu-usage", "memory-usage")]
    advisory += [("blue-green", i) for i in ("green-error-rate", "green-p95", "green-no-5xx")]
    s.check("the runbook's targets are waivable",
            all(item(doc, *a).get("waivable") for a in advisory),
            [a for a in advisory if not item(doc, *a).get("waivable")])
    hard = [("error-monitoring", "error-rate-alert"), ("canary", "canary-error-rate"),
            ("smoke-tests", "auth-login")]
    s.check("hard limits are not", not any(item(doc, *h).get("waivable") for h in hard))

    # --- Monitor error logs: no error found is the pass ---
    logs = item(doc, "error-monitoring", "error-logs")
    script = "\n".join(logs["run"] if isinstance(logs["run"], list) else [logs["run"]]).replace(
        "${NAMESPACE}", "noa-server")
    stubs = os.path.join(s.dir, "stubs")
    os.mkdir(stubs)
    with open(os.path.join(stubs, "kubectl"), "w") as f:
        f.write("#!/bin/sh\nprintf 'info: GET /health 200\\n%s\\ninfo: done\\n' \"$STUB_LINE\"\n")
    os.chmod(os.path.join(stubs, "kubectl"), 0o755)

    def error_logs(line):
        env = dict(s.env, PATH=stubs + ":" + os.environ["PATH"], STUB_LINE=line)
        return subprocess.run(["/bin/sh", "-c", script], env=env, capture_output=True, text=True, timeout=30)
    clean, dirty = error_logs("info: POST /chat 200"), error_logs("ERROR: connection refused")
    s.check("error logs without an error line pass (exit status 0)", clean.returncode == 0,
            "exit %d: %s" % (clean.returncode, clean.stdout))
    s.check("an error line fails and shows", dirty.returncode == 1 and "ERROR: connection refused" in dirty.stdout,
            "exit %d: %s" % (dirty.returncode, dirty.stdout))

    # --- the interface shows the run's values, not ${VERSION} ---
    shutil.copytree(os.path.join(SOURCE, "checklists"), os.path.join(s.dir, "checklists"))
    t = Term(s, ["open", "checklists/noa-server-deploy.json", "--var", "TOKEN=t0ken-e2e"], 100, 30)
    s.expect("opening it offers to register the first engineer", t, "Register the first engineer")
    t.send("alice\tAlice Example\t%s\t%s\r" % (PIN["alice"], PIN["alice"]))
    s.expect("the new-run form asks for the variables", t, "Release to deploy")
    fields = len(doc["variables"]) + 1  # and the run title
    t.send("\r" * fields)
    s.expect("the run screen shows", t, run_screen)
    t.send("jjjj")
    s.expect_all(t, [
        ("a section's description shows the release", lambda t: "Kubernetes manifests for v0.1.0" in flat(t)),
        ("and no ${VERSION}", lambda t: "${VERSION}" not in t.text()),
    ])
    t.send("kk\t")
    s.expect_all(t, [
        ("an item's command shows the namespace", lambda t: "kubectl exec noa-postgres-0 -n noa-server" in flat(t)),
        ("and no ${NAMESPACE}", lambda t: "${NAMESPACE}" not in t.text()),
        ("its details show too", lambda t: "Or use automated backup job" in t.text() and "either one" in flat(t)),
    ])
    t.send("q")
    s.check("q quits", t.wait_exit() == 0)
finally:
    s.finish()
