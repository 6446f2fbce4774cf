#!/usr/bin/python3
"""Readable network evidence: an HTTP check's attempts (status, latency,
the JSON paths that matched, why an attempt failed) and a Prometheus
check's samples (values against the threshold) are shown as lines, the raw
JSON one key (J) away; the progress line of a retried check stays in view
after it ends; "next in 1m" counts down while a check waits. Against a
small server this test runs on 127.0.0.1."""
import http.server
import json
import re
import threading

from termharness import Suite, run_screen


class Handler(http.server.BaseHTTPRequestHandler):
    health_hits = 0
    samples = iter(["0.004", "0.02", "0.003"])

    def log_message(self, *args):
        pass

    def answer(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/health":
            Handler.health_hits += 1  # the first two attempts find it starting
            if Handler.health_hits <= 2:
                self.answer(503, {"status": "starting"})
            else:
                self.answer(200, {"status": "ok", "checks": {"db": True, "queue": "ready"}})
        elif self.path == "/degraded":
            self.answer(200, {"status": "degraded", "checks": {"db": False}})
        elif self.path.startswith("/api/v1/query"):
            value = next(Handler.samples, "0.001")
            self.answer(200, {"status": "success", "data": {"resultType": "vector", "result": [
                {"metric": {"job": "api"}, "value": [1700000000.0, value]}]}})
        else:
            self.answer(404, {"error": "no such page"})


s = Suite("evidence")
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = "http://127.0.0.1:%d" % server.server_address[1]


def flat(t):
    return " ".join(l.strip(" │") for l in t.screen.display)


try:
    s.engineers("alice")
    path = s.checklist("e2e-evidence", [
        {"id": "net", "title": "Network", "phase": "Pre-Deployment", "items": [
            {"id": "health", "title": "Service is healthy", "kind": "http", "url": base + "/health",
             "expect_json": {"status": "ok", "checks.db": True}, "retries": 2, "interval": "1s"},
            {"id": "degraded", "title": "Service not degraded", "kind": "http", "url": base + "/degraded",
             "expect_json": {"status": "ok", "checks.db": True}, "required": False},
            {"id": "errors", "title": "Error rate low", "kind": "prometheus", "url": base,
             "query": "sum(rate(errors[5m]))", "below": 0.01, "samples": 3, "interval": "1s", "max_failures": 1},
            {"id": "slow", "title": "Error rate over time", "kind": "prometheus", "url": base,
             "query": "sum(rate(errors[1h]))", "below": 0.01, "samples": 2, "interval": "1m", "required": False},
        ]},
        {"id": "ship", "title": "Ship", "phase": "Deployment", "items": [
            {"id": "go", "title": "Go live", "kind": "manual"}]},
    ])
    t, run = s.open_run(path, cols=100, rows=30)
    s.check("the run screen shows", run is not None and run_screen(t), t.text())

    # HTTP: two attempts answered 503, the third passes
    t.send("\t\r")
    s.expect("the retried HTTP check passes", t, lambda t: "pass: net/health" in t.text(), timeout=20)
    t.send("o")
    s.expect("its evidence full screen", t, lambda t: "output (" in t.line(0))
    s.expect_all(t, [
        ("the request", lambda t: "GET %s/health" % base in flat(t)),
        ("each attempt is a line with its verdict", lambda t: re.search(r"attempt 1 of 3 at \S+: fail ✗", flat(t))
         and re.search(r"attempt 3 of 3 at \S+: pass ✓", flat(t))),
        ("the status and latency", lambda t: re.search(r"status 200 in \d+ ms from 127\.0\.0\.1:\d+", flat(t))),
        ("why an attempt failed", lambda t: "✗ status 503, expected 2xx" in flat(t)),
        ("the JSON paths that matched, with their values", lambda t: '✓ $.status is "ok"' in flat(t)
         and "✓ $.checks.db is true" in flat(t)),
        ("the retry progress stays after the check ended",
         lambda t: re.search(r"attempt 2/3: status 503, expected 2xx; retrying in 1s", flat(t))),
    ])
    t.send("J")
    s.expect_all(t, [
        ("J shows the raw JSON", lambda t: '"body_head":' in flat(t) and '"latency_ms":' in flat(t)),
        ("and says so", "raw JSON"),
    ])
    t.send("J")
    s.expect("J again: readable lines", t, lambda t: re.search(r"attempt 3 of 3 at \S+: pass", flat(t)))
    t.send("q")
    s.expect("back on the run screen", t, run_screen)

    # a path that does not match says why
    t.send("j\r")
    s.expect("the degraded service fails", t, lambda t: "fail: net/degraded" in t.text())
    s.expect_all(t, [
        ("a path that does not match says what it is",
         lambda t: '✗ $.status is "degraded", expected "ok"' in flat(t)),
        ("and the other one too", lambda t: "✗ $.checks.db is false, expected true" in flat(t)),
    ])

    # Prometheus: every sample with its value against the threshold
    t.send("j\r")
    s.expect("the Prometheus check passes (one failure allowed)", t, lambda t: "pass: net/errors" in t.text(),
             timeout=20)
    s.expect_all(t, [
        ("the query and the threshold", lambda t: "query sum(rate(errors[5m])) · threshold: below 0.01" in flat(t)),
        ("a sample below it", lambda t: re.search(r"sample 1 of 3 at \S+: ✓ 0\.004 is below 0\.01", flat(t))),
        ("a sample that is not", lambda t: re.search(r"sample 2 of 3 at \S+: ✗ 0\.02 is not below 0\.01", flat(t))),
    ])

    # a sample a minute apart: the wait for the next one counts down
    t.send("j\r")
    s.expect("the slow check took its first sample", t, lambda t: "1/2 samples" in flat(t), timeout=20)
    s.expect("next in 1m counts down", t, lambda t: re.search(r"next in ([1-5]\d|[1-9])s\b", flat(t)), timeout=15)
    t.send("c")
    s.expect("cancelled", t, lambda t: "cancelled" in t.text())
    t.send("q")
    s.check("q quits", t.wait_exit() == 0)
finally:
    server.shutdown()
    s.finish()
