#!/usr/bin/python3
"""tcp_relay.py PORT UNIX_SOCKET: relays TCP connections to 127.0.0.1:PORT
to the Unix socket, so that a cluster listening only on a Unix socket can be
reached over TCP (test_partition.sh). Prints "ready" once it listens."""
import select
import socket
import sys

port, path = int(sys.argv[1]), sys.argv[2]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(16)
print("ready", flush=True)
peer = {}
while True:
    ready, _, _ = select.select([ls] + list(peer), [], [])
    for s in ready:
        if s is ls:
            c, _ = ls.accept()
            u = socket.socket(socket.AF_UNIX)
            u.connect(path)
            peer[c], peer[u] = u, c
            continue
        if s not in peer:
            continue
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        other = peer[s]
        if data:
            other.sendall(data)
            continue
        for x in (s, other):
            peer.pop(x, None)
            x.close()
