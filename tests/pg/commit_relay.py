#!/usr/bin/python3
"""commit_relay.py SOCKET TRIGGER: relays TCP connections on 127.0.0.1 (a
free port, printed as "ready PORT") to the PostgreSQL server's Unix socket
SOCKET. Once the file TRIGGER exists, the first client message holding a
COMMIT is forwarded, and from then on the server's answers on that
connection are dropped: a commit that takes effect whose answer is lost."""
import os, select, socket, sys
path, trigger = sys.argv[1], sys.argv[2]
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0)); ls.listen(16); print("ready", ls.getsockname()[1], flush=True)
peer = {}; client = set(); black = set(); fired = False
while True:
    ready, _, _ = select.select([ls] + list(peer), [], [])
    for s in ready:
        if s is ls:
            c, _ = ls.accept(); u = socket.socket(socket.AF_UNIX); u.connect(path)
            peer[c], peer[u] = u, c; client.add(c); continue
        if s not in peer: continue
        try: data = s.recv(65536)
        except OSError: data = b""
        other = peer[s]
        if data:
            if s in client and not fired and os.path.exists(trigger) and b"COMMIT" in data:
                fired = True; black.add(other); print("swallowing", flush=True)
            if s in black: continue
            try: other.sendall(data)
            except OSError: pass
            continue
        for x in (s, other):
            peer.pop(x, None); client.discard(x); black.discard(x); x.close()
