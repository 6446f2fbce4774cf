#!/usr/bin/python3
"""An idle interface after the PostgreSQL server restarts (run by
test_e2e_relink.sh inside tests/pg/with_pg, which restarts the cluster with
pg_tmp): the run screen is left alone, the server restarts (every client's
connection is cut), and what another engineer then records from the command
line shows on the open screen without a key being pressed, as it does while
the connection lasts. Also: a second restart, and a restart while the other
engineer's change lands."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from termharness import Suite  # noqa: E402

PG_TMP = os.environ.get("COUNTERSIGN_PG_TMP")
PG_DIR = os.environ.get("COUNTERSIGN_TEST_PG_DIR")
# The reconnection backs off to at most 8 s between tries; a restart on a
# busy machine takes a few seconds more.
LIMIT = 20.0


def pg(cmd):
    subprocess.run([PG_TMP, cmd, PG_DIR], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def passed(title):
    return lambda t: any(re.search(r"✓ pass +manual +" + title, l) for l in t.screen.display)


s = Suite("relink")
try:
    if not (PG_TMP and PG_DIR and os.environ.get("COUNTERSIGN_E2E_DB")):
        s.skip("needs a throwaway PostgreSQL cluster (tests/pg/with_pg)")
    s.engineers("alice", "bob")
    path = s.checklist("relink", [
        {"id": "s", "title": "Steps", "phase": "Deployment", "signoffs": 0, "items": [
            {"id": "one", "title": "Dashboard reviewed", "kind": "manual"},
            {"id": "two", "title": "Pager checked", "kind": "manual"},
            {"id": "three", "title": "Canary looked at", "kind": "manual"}]},
    ])
    t, run = s.open_run(path)
    s.check("the run screen shows", run is not None, t.text())
    t.settle()

    pg("restart")
    s.cli("attest", run, "s/one", "--engineer", "bob", pin="bob")
    s.expect("after a server restart, another engineer's attestation shows without a key",
             t, passed("Dashboard reviewed"), timeout=LIMIT)

    pg("restart")
    pg("restart")
    s.cli("attest", run, "s/two", "--engineer", "bob", pin="bob")
    s.expect("and after two more restarts", t, passed("Pager checked"), timeout=LIMIT)

    # The server down for a while: the status line says so, and the screen
    # catches up once it is back.
    pg("halt")
    s.expect("the status line says the database is unreachable and being reconnected", t,
             lambda t: re.search(r"database unreachable[:,] reconnecting", t.text()), timeout=LIMIT)
    pg("start")
    s.cli("attest", run, "s/three", "--engineer", "bob", pin="bob")
    s.expect_all(t, [
        ("and after the server was down for a while", passed("Canary looked at")),
        ("the unreachable line is gone", lambda t: "database unreachable" not in t.text()),
    ], timeout=LIMIT)

    t.send("q")
    s.check("q quits", t.wait_exit() == 0, t.text())
finally:
    s.finish()
