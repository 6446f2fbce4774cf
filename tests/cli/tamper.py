#!/usr/bin/python3
"""What someone who can write the database file, and knows no PIN, can do
to it with Python's standard library and the encoding of docs/record.md:
the cli suite's test_tamper_*.sh scripts call it to alter a record the
real program wrote, then check what `countersign verify` says.

usage: tamper.py DB ACTION ARGS...
  guards-off                    drop every guard trigger (not run_index_append)
  append CHAIN KIND ACTOR TARGET PAYLOAD [SIGS]
                                append an event with a correct seq, prev and hash
                                (SIGS, when given and the schema has the column)
  sigs-of CHAIN SEQ             print the signatures of an event ("" if none)
  rewrite CHAIN SEQ PAYLOAD     replace an event's payload and recompute the
                                hashes from it to the chain's end (the
                                signatures are left as they were)
  truncate CHAIN KEEP           remove the events after KEEP
  delete-run RUN                remove a run's row and every event of it
  set-sigs CHAIN SEQ SIGS       replace an event's signatures (fails before schema 4)
  swap-engineer VICTIM FROM [SOURCE_DB]
                                give VICTIM the PIN hash and key columns FROM has
                                (in SOURCE_DB: default this one)
  unregister RUN                remove RUN's events from the registry chain and
                                recompute it (a registry with no trace of RUN)
  reorder CHAIN SEQ...          put the chain's events in the order of the SEQs
                                given (each once), numbered and hashed again
  pubkey SEED_HEX               the Ed25519 public key of a 32-byte seed
  sign SEED_HEX HASH_HEX        its signature of an event hash (libsodium, ctypes)
  seed PIN KEY_JSON             the seed a PIN derives under a key object's salt and
                                cost (Argon2id, as countersign derives it)
                                (these three read no database: pass - as DB)
Every action that moves a chain's head also makes the derived run table
(run_index, run_actors) agree, as a careful attacker would.

DB may also be a postgresql:// location: the same actions then run through
psql as the tables' owner with the triggers off for its sessions alone
(session_replication_role = replica, which leaves the catalog as it was),
so guards-off changes nothing there.
"""
import ctypes
import ctypes.util
import hashlib
import json
import os
import sqlite3
import struct
import subprocess
import sys

MASK = (1 << 64) - 1


class PsqlRows:
    def __init__(self, rows):
        self.rows = rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def fetchall(self):
        return self.rows

    def __iter__(self):
        return iter(self.rows)


class PsqlDB:
    """The few calls of sqlite3.Connection this script makes, on PostgreSQL
    through psql (one session per statement: nobody else writes meanwhile)."""

    def __init__(self, location):
        self.location = location
        self.env = dict(os.environ, PGOPTIONS="-c session_replication_role=replica")

    @staticmethod
    def literal(v):
        if v is None:
            return "NULL"
        if isinstance(v, int):
            return str(v)
        return "'" + str(v).replace("'", "''") + "'"

    def execute(self, sql, params=()):
        if sql in ("BEGIN IMMEDIATE", "COMMIT"):
            return PsqlRows([])
        if sql.startswith("PRAGMA table_info("):
            table = sql[len("PRAGMA table_info("):-1]
            sql = ("SELECT ordinal_position, column_name FROM information_schema.columns"
                   " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position")
            params = (table,)
        parts = sql.split("?")
        assert len(parts) == len(params) + 1, sql
        text = parts[0] + "".join(self.literal(v) + rest for v, rest in zip(params, parts[1:]))
        select = text.lstrip().upper().startswith("SELECT")
        if select:
            text = f"SELECT coalesce(json_agg(row_to_json(q)), '[]') FROM ({text}) q"
        out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", self.location, "-c", text],
                             env=self.env, check=True, capture_output=True, text=True).stdout
        if not select:
            return PsqlRows([])
        return PsqlRows([tuple(v for _, v in row)
                         for row in json.loads(out, object_pairs_hook=lambda pairs: pairs)])


def connect(location):
    if location.startswith(("postgresql://", "postgres://")):
        return PsqlDB(location)
    return sqlite3.connect(location, isolation_level=None)


def sha(b):
    return hashlib.sha256(b).hexdigest()


def event_hash(seq, prev, time_us, fields):
    """docs/record.md, "The hash chain"."""
    h = hashlib.sha256(b"countersign-event-v1" + struct.pack(">Q", seq) + bytes.fromhex(prev)
                       + struct.pack(">Q", time_us & MASK))
    for f in fields:
        b = f.encode()
        h.update(struct.pack(">Q", len(b)) + b)
    return h.hexdigest()


def genesis(db, chain):
    if chain == "engineers":
        return sha(b"countersign-engineers-v1")
    if chain == "registry":
        return sha(b"countersign-registry-v1")
    row = db.execute("SELECT id, checklist_sha, started_us, nonce FROM runs WHERE id = ?", (chain,)).fetchone()
    return sha(b"\0".join(str(x).encode() for x in row) + b"\0")


def columns(db, table):
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


def head(db, chain):
    row = db.execute("SELECT seq, hash, time_us, os_user, host, tty FROM events WHERE chain = ?"
                     " ORDER BY seq DESC LIMIT 1", (chain,)).fetchone()
    return row if row else (0, genesis(db, chain), 0, "root", "localhost", "none")


def fix_derived(db, chain):
    """Makes the derived run table agree with CHAIN's events again."""
    if not db.execute("SELECT 1 FROM run_index WHERE run = ?", (chain,)).fetchone():
        return
    n = db.execute("SELECT count(*) FROM events WHERE chain = ?", (chain,)).fetchone()[0]
    if n == 0:
        db.execute("DELETE FROM run_index WHERE run = ?", (chain,))
        db.execute("DELETE FROM run_actors WHERE run = ?", (chain,))
        return
    seq, h, t = db.execute("SELECT seq, hash, time_us FROM events WHERE chain = ? ORDER BY seq DESC LIMIT 1",
                           (chain,)).fetchone()
    end = db.execute("SELECT kind, time_us FROM events WHERE chain = ? AND kind IN ('run_completed', 'run_aborted')"
                     " ORDER BY seq LIMIT 1", (chain,)).fetchone()
    state = {"run_completed": "completed", "run_aborted": "aborted"}.get(end[0], "open") if end else "open"
    db.execute("UPDATE run_index SET state = ?, ended_us = ?, last_seq = ?, head = ?, last_us = ?, events = ?"
               " WHERE run = ?", (state, end[1] if end else None, seq, h, t, n, chain))
    db.execute("DELETE FROM run_actors WHERE run = ? AND actor NOT IN (SELECT actor FROM events WHERE chain = ?)",
               (chain, chain))


def sodium():
    lib = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
    assert lib.sodium_init() >= 0
    return lib


def keypair(seed_hex):
    lib = sodium()
    pk, sk = ctypes.create_string_buffer(32), ctypes.create_string_buffer(64)
    lib.crypto_sign_seed_keypair(pk, sk, bytes.fromhex(seed_hex))
    return lib, pk.raw, sk.raw


def sign(seed_hex, hash_hex):
    lib, _, sk = keypair(seed_hex)
    sig = ctypes.create_string_buffer(64)
    lib.crypto_sign_detached(sig, None, bytes.fromhex(hash_hex), ctypes.c_ulonglong(32), sk)
    return sig.raw.hex()


def seed(pin, key_json):
    key = json.loads(key_json)
    lib = sodium()
    out = ctypes.create_string_buffer(32)
    pin = pin.encode()
    rc = lib.crypto_pwhash(out, ctypes.c_ulonglong(32), pin, ctypes.c_ulonglong(len(pin)), bytes.fromhex(key["salt"]),
                           ctypes.c_ulonglong(key["ops"]), ctypes.c_size_t(key["mem"]), ctypes.c_int(2))
    assert rc == 0
    return out.raw.hex()


def unregister(db, run):
    rows = db.execute("SELECT seq FROM events WHERE chain = 'registry' AND target = ? ORDER BY seq", (run,)).fetchall()
    if not rows:
        return
    first = rows[0][0]
    db.execute("DELETE FROM events WHERE chain = 'registry' AND target = ?", (run,))
    seqs = [r[0] for r in db.execute("SELECT seq FROM events WHERE chain = 'registry' AND seq > ? ORDER BY seq",
                                     (first,))]
    for new, old in enumerate(seqs, first):
        db.execute("UPDATE events SET seq = ? WHERE chain = 'registry' AND seq = ?", (new, old))
    prev = db.execute("SELECT payload FROM events WHERE chain = 'registry' AND seq = ?", (first,)).fetchone()
    if prev:
        rewrite(db, "registry", first, prev[0])


def reorder(db, chain, order):
    n = db.execute("SELECT count(*) FROM events WHERE chain = ?", (chain,)).fetchone()[0]
    assert sorted(order) == list(range(1, n + 1)), "reorder: give every seq once"
    for old in order:
        db.execute("UPDATE events SET seq = ? WHERE chain = ? AND seq = ?", (n + old, chain, old))
    for new, old in enumerate(order, 1):
        db.execute("UPDATE events SET seq = ? WHERE chain = ? AND seq = ?", (new, chain, n + old))
    rewrite(db, chain, 1, db.execute("SELECT payload FROM events WHERE chain = ? AND seq = 1",
                                     (chain,)).fetchone()[0])


def guards_off(db):
    if isinstance(db, PsqlDB):
        return
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                              " AND name <> 'run_index_append'").fetchall():
        db.execute(f"DROP TRIGGER {name}")


def append(db, chain, kind, actor, target, payload, sigs=None):
    seq, prev, t, os_user, host, tty = head(db, chain)
    t += 1000
    seq += 1
    h = event_hash(seq, prev, t, [actor, os_user, host, tty, kind, target, payload])
    cols = ["chain", "seq", "time_us", "actor", "os_user", "host", "tty", "kind", "target", "payload", "prev", "hash"]
    vals = [chain, seq, t, actor, os_user, host, tty, kind, target, payload, prev, h]
    if sigs is not None and "sigs" in columns(db, "events"):
        cols.append("sigs")
        vals.append(sigs)
    db.execute(f"INSERT INTO events ({', '.join(cols)}) VALUES ({', '.join('?' * len(vals))})", vals)
    fix_derived(db, chain)
    print(seq)


def rewrite(db, chain, seq, payload):
    db.execute("UPDATE events SET payload = ? WHERE chain = ? AND seq = ?", (payload, chain, seq))
    prev = genesis(db, chain) if seq == 1 else \
        db.execute("SELECT hash FROM events WHERE chain = ? AND seq = ?", (chain, seq - 1)).fetchone()[0]
    rows = db.execute("SELECT seq, time_us, actor, os_user, host, tty, kind, target, payload FROM events"
                      " WHERE chain = ? AND seq >= ? ORDER BY seq", (chain, seq)).fetchall()
    for s, t, *fields in rows:
        h = event_hash(s, prev, t, fields)
        db.execute("UPDATE events SET prev = ?, hash = ? WHERE chain = ? AND seq = ?", (prev, h, chain, s))
        prev = h
    fix_derived(db, chain)


def main():
    action, args = sys.argv[2], sys.argv[3:]
    if action == "pubkey":
        print(keypair(args[0])[1].hex())
        return
    if action == "sign":
        print(sign(args[0], args[1]))
        return
    if action == "seed":
        print(seed(args[0], args[1]))
        return
    db = connect(sys.argv[1])
    db.execute("BEGIN IMMEDIATE")
    if action == "guards-off":
        guards_off(db)
    elif action == "append":
        append(db, *args)
    elif action == "sigs-of":
        cols = columns(db, "events")
        row = db.execute("SELECT sigs FROM events WHERE chain = ? AND seq = ?", (args[0], int(args[1]))).fetchone() \
            if "sigs" in cols else None
        print(row[0] if row else "")
    elif action == "rewrite":
        rewrite(db, args[0], int(args[1]), args[2])
    elif action == "truncate":
        db.execute("DELETE FROM events WHERE chain = ? AND seq > ?", (args[0], int(args[1])))
        fix_derived(db, args[0])
    elif action == "delete-run":
        db.execute("DELETE FROM events WHERE chain = ?", (args[0],))
        db.execute("DELETE FROM runs WHERE id = ?", (args[0],))
        fix_derived(db, args[0])
    elif action == "set-sigs":
        db.execute("UPDATE events SET sigs = ? WHERE chain = ? AND seq = ?", (args[2], args[0], int(args[1])))
    elif action == "swap-engineer":
        victim, source = args[:2]
        src = connect(args[2]) if len(args) > 2 else db
        cols = [c for c in ("pin_hash", "public_key", "key_salt", "key_ops", "key_mem") if c in columns(db, "engineers")]
        row = src.execute(f"SELECT {', '.join(cols)} FROM engineers WHERE name = ?", (source,)).fetchone()
        db.execute(f"UPDATE engineers SET {', '.join(c + ' = ?' for c in cols)} WHERE name = ?", (*row, victim))
    elif action == "unregister":
        unregister(db, args[0])
    elif action == "reorder":
        reorder(db, args[0], [int(a) for a in args[1:]])
    else:
        sys.exit(f"unknown action {action}")
    db.execute("COMMIT")


if __name__ == "__main__":
    main()
