"""Shared pieces of the end-to-end suite: the real countersign binary runs in
a pseudo-terminal whose output feeds a pyte screen, keys are bytes written to
the terminal, and every wait polls the screen until a deadline.

Each test script builds a Suite (a temporary folder with its own database),
spawns one or more Terms, checks what a person would see, and ends with
suite.finish(), which stops what is left, removes the folder and prints
"N passed, M failed".

Waiting: a test never waits for a particular frame, a quiet spell or a
clock value, which a busy machine may skip or stretch; it waits until the
state it expects holds, with a deadline (DEADLINE seconds unless it says
otherwise), and checks what it sees then: Suite.expect and Suite.expect_all
for the screen, until() for anything else (processes, files).
"""
import fcntl
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
import traceback

import pyte

PIN = {"alice": "123456", "bob": "654321"}
DEADLINE = 10.0  # seconds; a state that has not come by then is a failure
# E2E_CHUNK=N feeds the screen at most N bytes at a time, so that every frame
# arrives in pieces the way a busy machine may deliver it: a test that holds
# with it does not depend on reading a frame whole.
CHUNK = int(os.environ.get("E2E_CHUNK", "0") or 0)

KEYS = {
    "Enter": b"\r", "Tab": b"\t", "Esc": b"\x1b", "BS": b"\x7f", "C-c": b"\x03",
    "Up": b"\x1b[A", "Down": b"\x1b[B", "Right": b"\x1b[C", "Left": b"\x1b[D",
}


class Screen(pyte.Screen):
    """A pyte screen that also knows what ncurses sends to xterm-256color and
    pyte 0.8 lacks: REP (CSI n b, repeat the last character) and SU / SD
    (CSI n S / CSI n T, scroll the region up / down)."""

    last = " "

    def draw(self, data):
        if data:
            self.last = data[-1]
        super().draw(data)

    def repeat_last(self, count=1, *args, **kwargs):
        super().draw(self.last * max(count, 1))

    def _region(self):
        if self.margins:
            return self.margins.top, self.margins.bottom
        return 0, self.lines - 1

    def scroll_up(self, count=1, *args, **kwargs):
        top, bottom = self._region()
        self.dirty.update(range(self.lines))
        for _ in range(max(count, 1)):
            for y in range(top, bottom):
                self.buffer[y] = self.buffer[y + 1]
            self.buffer.pop(bottom, None)

    def scroll_down(self, count=1, *args, **kwargs):
        top, bottom = self._region()
        self.dirty.update(range(self.lines))
        for _ in range(max(count, 1)):
            for y in range(bottom, top, -1):
                self.buffer[y] = self.buffer[y - 1]
            self.buffer.pop(top, None)


class Stream(pyte.ByteStream):
    csi = dict(pyte.ByteStream.csi, b="repeat_last", S="scroll_up", T="scroll_down")
    events = pyte.ByteStream.events | {"repeat_last", "scroll_up", "scroll_down"}


class Term:
    """COUNTERSIGN ARGS... running in a pseudo-terminal of COLS x ROWS."""

    def __init__(self, suite, args, cols=80, rows=24, env=None):
        self.suite = suite
        self.master, self.slave = os.openpty()
        self._winsize(self.slave, cols, rows)
        self.screen = Screen(cols, rows)
        self.stream = Stream(self.screen)
        self.raw = bytearray()
        self.cols, self.rows = cols, rows
        environ = dict(suite.env)
        environ.update(env or {})
        self.proc = subprocess.Popen(
            [suite.binary] + list(args), cwd=suite.dir, env=environ,
            stdin=self.slave, stdout=self.slave, stderr=self.slave,
            start_new_session=True, preexec_fn=_take_terminal, close_fds=True)
        os.set_blocking(self.master, False)
        self.exit_code = None
        suite.terms.append(self)

    @staticmethod
    def _winsize(fd, cols, rows):
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    # --- output ---
    def pump(self, timeout=0.02):
        """Feeds what the program wrote within TIMEOUT seconds to the screen."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        while True:
            try:
                data = os.read(self.master, CHUNK or 65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:  # EIO: every writer has gone
                time.sleep(timeout)
                return False
            if not data:
                break
            self.raw += data
            self.stream.feed(data)
            if CHUNK:
                break
        return True

    def text(self):
        return "\n".join(self.screen.display)

    def line(self, y):
        return self.screen.display[y]

    def contains(self, needle):
        return needle in self.text()

    def wait_for(self, what, timeout=DEADLINE):
        """Polls until WHAT (text on the screen, or a function of this Term)
        holds; returns the seconds it took, or None at the deadline."""
        start = time.monotonic()
        deadline = start + timeout
        test = what if callable(what) else (lambda t: what in t.text())
        while True:
            self.pump()
            if test(self):
                return time.monotonic() - start
            if time.monotonic() >= deadline:
                return None

    def settle(self, quiet=0.15, timeout=5.0):
        """Reads until the program has written nothing for QUIET seconds. Not a
        state: only for reading what has come before a check of what must
        NOT show, after the state was waited for."""
        deadline = time.monotonic() + timeout
        last = time.monotonic()
        while time.monotonic() < deadline:
            if self.pump(0.02):
                last = time.monotonic()
            elif time.monotonic() - last >= quiet:
                return True
        return False

    # --- input ---
    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        os.write(self.master, data)

    def keys(self, *names):
        for n in names:
            self.send(KEYS[n] if n in KEYS else n)

    def resize(self, cols, rows):
        self._winsize(self.master, cols, rows)
        self.screen.resize(rows, cols)
        self.cols, self.rows = cols, rows
        if self.alive():
            os.kill(self.proc.pid, signal.SIGWINCH)

    # --- lifetime ---
    def alive(self):
        return self.proc.poll() is None

    def wait_exit(self, timeout=DEADLINE):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            if self.proc.poll() is not None:
                self.pump(0.05)
                self.exit_code = self.proc.returncode
                return self.exit_code
        return None

    def slave_attrs(self):
        return termios.tcgetattr(self.slave)

    def close(self):
        keep = os.environ.get("E2E_KEEP_OUTPUT")
        if keep:  # for debugging: what the program wrote, byte for byte
            with open(os.path.join(keep, "%s.%d.raw" % (self.suite.name, self.proc.pid)), "wb") as f:
                f.write(self.raw)
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self.master = self.slave = -1


def _take_terminal():
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Skip(Exception):
    """Raised by Suite.skip: the test cannot run here."""


class Suite:
    """A temporary folder with a database, the binary, and the checks made."""

    def __init__(self, name):
        if len(sys.argv) < 2:
            print("usage: %s COUNTERSIGN_BINARY" % sys.argv[0])
            sys.exit(2)
        self.name = name
        self.binary = os.path.abspath(sys.argv[1])
        self.dir = tempfile.mkdtemp(prefix="countersign-e2e.")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "COUNTERSIGN_"))}
        self.env.pop("NO_COLOR", None)
        self.env.update({
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "xterm-256color",
            # COUNTERSIGN_E2E_DB: another record location (the pg suite's PostgreSQL)
            "COUNTERSIGN_DB": os.environ.get("COUNTERSIGN_E2E_DB") or os.path.join(self.dir, "cs.db"),
            "COUNTERSIGN_TEST_PIN_COST": "min",
            "HOME": self.dir, "XDG_DATA_HOME": os.path.join(self.dir, "data"),
        })
        self.terms = []
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   %s" % name)
        else:
            self.failed += 1
            print("FAIL %s%s" % (name, ("\n  " + str(detail).replace("\n", "\n  ")) if detail else ""))
        return ok

    def expect(self, name, term, test, timeout=DEADLINE):
        """Waits until TEST (text on the screen, or a function of TERM) holds,
        then records the check NAME; shows the screen when it never does."""
        return self.check(name, term.wait_for(test, timeout) is not None, term.text())

    def expect_all(self, term, checks, timeout=DEADLINE):
        """Waits until every (NAME, TEST) of CHECKS holds at once (the whole
        frame has arrived), then records each of them on that screen."""
        tests = [t if callable(t) else (lambda term, text=t: text in term.text()) for _, t in checks]
        term.wait_for(lambda term: all(t(term) for t in tests), timeout)
        return all([self.check(name, bool(t(term)), term.text()) for (name, _), t in zip(checks, tests)])

    def skip(self, reason):
        """Ends the test as skipped (exit status 77) when it cannot run here."""
        raise Skip(reason)

    def cli(self, *args, pin=None, check=True):
        """Runs a headless command; PIN names the engineer(s) whose PINs go to stdin."""
        pins = [pin] if isinstance(pin, str) else (pin or [])
        stdin = "".join(PIN[p] + "\n" for p in pins)
        args = [str(a) for a in args]
        if pins:
            args.append("--pin-stdin")
        r = subprocess.run([self.binary] + args, cwd=self.dir, env=self.env, input=stdin,
                           capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError("countersign %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr))
        return r

    def engineers(self, *names):
        for n in names:
            self.cli("engineer", "add", n, "--full-name", n.capitalize() + " Example", pin=n)

    def checklist(self, name, sections, title="E2E deploy", **extra):
        doc = {"countersign": 1, "id": name, "title": title, "sections": sections}
        doc.update(extra)
        path = os.path.join(self.dir, name + ".json")
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
        return path

    def run_ids(self):
        runs = json.loads(self.cli("runs", "--all", "--json").stdout)
        return [r["id"] for r in sorted(runs, key=lambda r: r["started_us"])]

    def open_run(self, checklist, who="alice", cols=80, rows=24, env=None):
        """Opens CHECKLIST in the interface, signed in as WHO, on a new run;
        returns the Term once the run screen shows (None when it does not)."""
        t = Term(self, ["open", checklist], cols, rows, env)
        if t.wait_for("Sign in") is None:
            return t, None
        t.send(who + "\t" + PIN[who] + "\r")
        if t.wait_for("Run title") is None:
            return t, None
        t.send("\r")
        if t.wait_for(run_screen) is None:
            return t, None
        return t, self.run_ids()[-1]

    def finish(self):
        """Stops what is left, removes the folder, prints the counts and exits;
        called from a finally clause, an exception in flight counts as a failure."""
        error = sys.exc_info()[1]
        if isinstance(error, Skip):
            for t in self.terms:
                t.close()
            shutil.rmtree(self.dir, ignore_errors=True)
            print("SKIP %s" % error)
            sys.exit(77)
        if error is not None:
            self.failed += 1
            print("FAIL the test stopped early:")
            traceback.print_exception(type(error), error, error.__traceback__, file=sys.stdout)
        for t in self.terms:
            t.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed else 0)


def run_screen(term):
    """True when the run screen shows whole: the boxes, a gate line and the
    key hint line at the bottom."""
    text = term.text()
    return (term.line(1).startswith(("┌", "+")) and ("sign-offs" in text or "no gate" in text)
            and "Enter run" in term.line(term.rows - 1))


def until(test, timeout=DEADLINE):
    """Polls TEST (a function) until it returns true or the deadline passes;
    returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = test()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(0.02)


def rows_with(term, needle):
    return [l for l in term.screen.display if needle in l]


def process_running(marker):
    """True when a process whose command line contains MARKER is alive."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open("/proc/%s/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmd and state != "Z":
            return True
    return False


ANSI_COLOUR = re.compile(rb"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|4[0-7]|9[0-7]|10[0-7]|[34]8;5;\d+|[34]8;2;[\d;]+)(?:;[0-9;]*)?m")
