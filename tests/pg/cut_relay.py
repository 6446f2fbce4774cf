#!/usr/bin/python3
"""Relay TCP PORT -> unix socket; once TRIGGER exists, the first client message
containing pg_advisory_xact_lock is forwarded, then that connection is
partitioned: nothing more is forwarded either way and its close is not passed
on (a network cut: the server never learns the client went)."""
import os, select, socket, sys
port, path, trigger = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port)); ls.listen(16); print("ready", flush=True)
peer = {}; client = set(); cut = set(); fired = False; zombies = []
while True:
    ready, _, _ = select.select([ls] + [s for s in peer if s not in cut], [], [])
    for s in ready:
        if s is ls:
            c, _ = ls.accept(); u = socket.socket(socket.AF_UNIX); u.connect(path)
            peer[c], peer[u] = u, c; client.add(c); continue
        if s not in peer: continue
        try: data = s.recv(65536)
        except OSError: data = b""
        other = peer[s]
        if data:
            fire = s in client and not fired and os.path.exists(trigger) and b"pg_advisory_xact_lock" in data
            try: other.sendall(data)
            except OSError: pass
            if fire:
                fired = True; cut.add(s); cut.add(other); print("cut", flush=True)
            continue
        for x in (s, other):
            peer.pop(x, None); client.discard(x); x.close()
