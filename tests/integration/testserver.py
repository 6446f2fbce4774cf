#!/usr/bin/python3
"""Servers for the integration tests, on 127.0.0.1 only.

  testserver.py serve PORT_FILE [--metrics FILE] [--tls CERT KEY]
      An HTTP(S) server on a free port (written to PORT_FILE once listening)
      with the routes the network checks are tested against, a webhook
      receiver that records deliveries, a forward-proxy stand-in, and
      /metrics (the text of FILE, read on every scrape) for Prometheus.
      In FILE, a sample written "NAME{LABELS} +RATE/s" is a counter that
      grows by RATE a second (its value kept between scrapes, so it only
      grows when RATE is changed). /noa/SERVICE/... stands in for the NOA
      Server services the NOA checklist checks (see noa_route), and
      /noa-state sets how they answer.
  testserver.py freeport
      Prints a port that was free a moment ago.
  testserver.py wait URL SECONDS [SUBSTRING]
      Waits until URL answers 200 (and its body contains SUBSTRING).
"""
import http.server
import json
import os
import re
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import urllib.request

HEALTH = {
    "status": "healthy",
    "version": "1.2.3",
    "data": {"items": [{"name": "api", "state": "Ready"}, {"name": "worker", "state": "Ready"}]},
    "checks": {"db": True, "latency_ms": 12, "note": None},
}
BIG_BYTES = 10 * 1024 * 1024
BIG_UNIT = b"0123456789abcdef"


class State:
    lock = threading.Lock()
    hits = {}
    deliveries = []
    metrics_file = None
    counters = {}       # series -> [value, monotonic time of the last scrape]
    noa_status = {}     # service -> status every request of it answers
    noa_token = {}      # service -> the bearer token chat completions need
    noa_requests = []


COUNTER_RATE = re.compile(r"^(\S.*?)\s+\+([0-9.eE+-]+)/s\s*$")


def metrics_text(raw):
    """The metrics file with every "+RATE/s" counter replaced by its value
    now: each grows by RATE times the seconds since the previous scrape."""
    now = time.monotonic()
    out = []
    with State.lock:
        for line in raw.decode().splitlines():
            m = COUNTER_RATE.match(line) if not line.startswith("#") else None
            if m:
                series, rate = m.group(1), float(m.group(2))
                value, last = State.counters.get(series, [0.0, now])
                value += rate * (now - last)
                State.counters[series] = [value, now]
                line = "%s %.6f" % (series, value)
            out.append(line)
    return ("\n".join(out) + "\n").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "countersign-testserver"
    # Headers and body go out in separate writes: without this, Nagle and
    # delayed ACKs add 40 ms to every answer.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, ctype="application/json", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def count(self, key):
        with State.lock:
            State.hits[key] = State.hits.get(key, 0) + 1
            return State.hits[key]

    def handle_any(self):
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any

    def route(self):
        body = self.read_body()
        if self.path.startswith("http://"):
            # Asked as a forward proxy: answer for the target ourselves.
            return self.send(200, {"proxied": True, "target": self.path})
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        path = url.path
        if path == "/health":
            return self.send(200, HEALTH)
        if path == "/degraded":
            return self.send(200, dict(HEALTH, status="degraded"))
        if path == "/unavailable":
            return self.send(503, "Service Unavailable\n", "text/plain", [("Retry-After", "30")])
        if path == "/slow":
            time.sleep(int(q.get("ms", "1000")) / 1000)
            return self.send(200, HEALTH)
        if path == "/invalid-json":
            return self.send(200, '{"status": "healthy",, "version": 1}')
        if path == "/big":
            data = BIG_UNIT * (BIG_BYTES // len(BIG_UNIT))
            return self.send(200, data, "text/plain")
        if path == "/redirect":
            return self.send(302, "", "text/plain", [("Location", "/health")])
        if path == "/echo":
            return self.send(200, {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            })
        if path == "/flaky":
            n = self.count("flaky:" + q.get("key", ""))
            if n <= int(q.get("fail", "1")):
                return self.send(503, "not yet\n", "text/plain")
            return self.send(200, HEALTH)
        if path == "/count":
            with State.lock:
                return self.send(200, {"hits": State.hits.get("flaky:" + q.get("key", ""), 0)})
        if path.startswith("/hook/"):
            record = {"path": path, "method": self.command,
                      "content_type": self.headers.get("Content-Type"),
                      "body": body.decode("utf-8", "replace")}
            with State.lock:
                State.deliveries.append(record)
            if path.startswith("/hook/fail/"):
                return self.send(500, "receiver broke\n", "text/plain")
            if path.startswith("/hook/missing/"):
                return self.send(404, "no such hook\n", "text/plain")
            if path.startswith("/hook/slow/"):
                time.sleep(int(q.get("ms", "1000")) / 1000)
            return self.send(200, "ok", "text/plain")
        if path == "/deliveries":
            with State.lock:
                return self.send(200, State.deliveries)
        if path == "/metrics" and State.metrics_file:
            with open(State.metrics_file, "rb") as f:
                return self.send(200, metrics_text(f.read()), "text/plain; version=0.0.4")
        if path.startswith("/noa/"):
            return self.noa_route(path[len("/noa/"):], body)
        if path == "/noa-state":
            # ?service=S&status=503 makes every request of S answer 503
            # (status=0: normal again); &token=T makes S's chat completions
            # need "Authorization: Bearer T".
            svc = q.get("service", "")
            with State.lock:
                if "status" in q:
                    State.noa_status[svc] = int(q["status"])
                if "token" in q:
                    State.noa_token[svc] = q["token"]
            return self.send(200, {"service": svc})
        if path == "/noa-requests":
            with State.lock:
                return self.send(200, State.noa_requests)
        return self.send(404, {"error": "no such route", "path": path})


    def noa_route(self, rest, body):
        """The NOA Server services: /noa/SERVICE/PATH answers what the NOA
        checklist's http items expect of PATH, for any SERVICE (green,
        staging, api, grafana, dashboard, ...), and records the request."""
        svc, _, sub = rest.partition("/")
        with State.lock:
            State.noa_requests.append({
                "service": svc, "path": "/" + sub, "method": self.command,
                "content_type": self.headers.get("Content-Type"),
                "authorization": self.headers.get("Authorization"),
                "body": body.decode("utf-8", "replace")})
            status = State.noa_status.get(svc, 0)
            token = State.noa_token.get(svc)
        if status:
            return self.send(status, "NOA %s: status %d\n" % (svc, status), "text/plain")
        try:
            doc = json.loads(body) if body else None
        except ValueError:
            doc = None
        if sub == "health":
            return self.send(200, {"status": "healthy", "service": svc, "uptime": 12345,
                                   "checks": {"database": "ok", "redis": "ok"}})
        if sub == "api/health":  # Grafana's answer
            return self.send(200, {"commit": "03f502a94d", "database": "ok", "version": "10.4.2"})
        if sub == "v1/health":
            return self.send(200, {"status": "ok"})
        if sub == "api/v1/providers" and self.command == "GET":
            return self.send(200, {"providers": [{"id": "anthropic", "status": "up"},
                                                 {"id": "openai", "status": "up"}]})
        if sub == "api/v1/auth/login" and self.command == "POST":
            if not isinstance(doc, dict) or not doc.get("email") or not doc.get("password"):
                return self.send(400, {"error": "email and password are required"})
            return self.send(200, {"token": "session-for-" + doc["email"]})
        if sub == "api/v1/chat/completions" and self.command == "POST":
            if token is not None and self.headers.get("Authorization") != "Bearer " + token:
                return self.send(401, {"error": "invalid bearer token"})
            if not isinstance(doc, dict) or not doc.get("model") or not doc.get("messages"):
                return self.send(400, {"error": "model and messages are required"})
            return self.send(200, {"id": "chatcmpl-1", "model": doc["model"],
                                   "choices": [{"message": {"role": "assistant", "content": "ok"}}]})
        if sub == "":  # the dashboard's page
            return self.send(200, "<!doctype html><title>NOA Dashboard</title>\n", "text/html")
        return self.send(404, {"error": "no such NOA route", "path": "/" + sub})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512


def serve(args):
    port_file = args[0]
    tls = None
    i = 1
    while i < len(args):
        if args[i] == "--metrics":
            State.metrics_file = args[i + 1]
            i += 2
        elif args[i] == "--tls":
            tls = (args[i + 1], args[i + 2])
            i += 3
        else:
            sys.exit("testserver: unknown option " + args[i])
    srv = Server(("127.0.0.1", 0), Handler)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls[0], tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, port_file)
    srv.serve_forever()


def freeport():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def wait(url, seconds, needle=None):
    end = time.monotonic() + float(seconds)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < end:
        try:
            with opener.open(url, timeout=2) as r:
                text = r.read().decode("utf-8", "replace")
                if r.status == 200 and (needle is None or needle in text):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit("testserver: %s not ready within %ss" % (url, seconds))


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "serve":
        serve(sys.argv[2:])
    elif cmd == "freeport":
        freeport()
    elif cmd == "wait":
        wait(*sys.argv[2:5])
    else:
        sys.exit(__doc__)
