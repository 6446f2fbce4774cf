#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal (its stdin, stdout and stderr), so
that it sees a terminal: pty_run.py INPUT OUTPUT CMD [ARGS...].

INPUT is typed into the terminal (echo off), everything the command prints
is written to OUTPUT with the terminal's CR LF turned back into LF, and the
exit status is the command's (124 when it did not end within 60 s)."""
import os
import pty
import select
import sys
import termios
import time


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: pty_run.py INPUT OUTPUT CMD [ARGS...]")
    typed = open(sys.argv[1], "rb").read()
    pid, fd = pty.fork()
    if pid == 0:
        attrs = termios.tcgetattr(0)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(0, termios.TCSANOW, attrs)
        os.execv(sys.argv[3], sys.argv[3:])
    os.write(fd, typed)
    out = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the command closed the terminal
            break
        if not data:
            break
        out += data
    finished, status = os.waitpid(pid, os.WNOHANG)
    while not finished and time.monotonic() < deadline:
        time.sleep(0.01)
        finished, status = os.waitpid(pid, os.WNOHANG)
    if not finished:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        code = 124
    else:
        code = os.waitstatus_to_exitcode(status)
    with open(sys.argv[2], "wb") as f:
        f.write(out.replace(b"\r\n", b"\n"))
    sys.exit(code)


main()
