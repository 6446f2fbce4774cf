#!/usr/bin/python3
"""Fault tests: what countersign does when its database is missing, deleted
or replaced while it works, on a full file system, read-only, or held
locked by another writer for longer than the busy timeout. Each case must
end in a clear message and exit status 3 (or, for read-only copies, a
correct read), never a pass that was not recorded, a hang, or a database
created by a command that only reads.

usage: test_faults.py COUNTERSIGN_BINARY
The full-disk and read-only-mount cases mount a small tmpfs and need root;
they are skipped with a message where mounting is not possible.
"""
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torturelib import (Env, Suite, blocked_reading_stdin, count_events, events, pin_of,  # noqa: E402
                        tagged_pids, kill_tagged, wait_until)

NOBODY = 65534
BUSY_TIMEOUT = 10  # docs/record.md: the busy timeout is 10 s


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def remove_db(db):
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(db + suffix)
        except FileNotFoundError:
            pass


def backup(src, dst):
    """A consistent copy of SRC (as an auditor would make one)."""
    s = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    d = sqlite3.connect(dst)
    s.backup(d)
    d.close()
    s.close()


def new_db(suite, env, name, engineers=("alice",)):
    db = env.path(name)
    for n in engineers:
        r = env.run(["engineer", "add", n, "--full-name", n.title(), "--pin-stdin"], [pin_of(n)], db=db)
        suite.check(r.rc == 0, f"register {n} in {name}", r)
    r = env.by("alice", ["start", env.path("faults.json")], db=db)
    suite.check(r.rc == 0, f"start a run in {name}", r)
    return db, r.out.strip()


class Mount:
    """A small tmpfs of our own, unmounted on the way out."""

    def __init__(self, env, name, size):
        self.dir = env.path(name)
        os.makedirs(self.dir)
        self.ok = False
        self.why = ""
        if os.geteuid() != 0:
            self.why = "not root"
            return
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", self.dir],
                           capture_output=True, text=True)
        self.ok = r.returncode == 0
        self.why = r.stderr.strip()

    def remount_ro(self):
        return subprocess.run(["mount", "-o", "remount,ro", self.dir], capture_output=True).returncode == 0

    def close(self):
        if self.ok:
            subprocess.run(["umount", "-l", self.dir], capture_output=True)
            self.ok = False


def missing_database(suite, env):
    """Read commands on a database that does not exist: exit 3 naming the
    path, and nothing created."""
    for where in ("typo/path/cs.db", "emptydir/cs.db"):
        os.makedirs(env.path("emptydir"), exist_ok=True)
        missing = env.path(where)
        top = env.path(where.split("/")[0])
        for args in (["verify"], ["verify", "abcdefghjk"], ["status", "abcdefghjk"], ["status", "abcdefghjk", "--json"],
                     ["runs"], ["runs", "--all", "--json"], ["engineer", "list"]):
            for via in ("env", "flag"):
                if via == "env":
                    r = env.run(args, db=missing)
                else:
                    r = env.run(["--db", missing] + args, db=env.path("unused.db"))
                name = f"COUNTERSIGN_DB={where}" if via == "env" else f"--db {where}"
                created = os.path.exists(missing) or (where.startswith("typo") and os.path.exists(top))
                suite.check(r.rc == 3 and missing in r.err and not created,
                            f"{name} countersign {' '.join(args)}: exit 3 naming the missing database, "
                            "and nothing created", f"{r!r}\n  {missing} created: {created}")
                shutil.rmtree(env.path("typo"), ignore_errors=True)
                if os.path.exists(missing):
                    remove_db(missing)
    suite.check(not os.path.exists(env.path("unused.db")), "--db wins over COUNTERSIGN_DB (nothing created there)")


def deleted_during_check(suite, env, replace):
    what = "replaced" if replace else "deleted"
    db, run = new_db(suite, env, f"{what}.db")
    spare = env.path(f"{what}-spare.db")
    if replace:
        backup(db, spare)
    tag = env.new_tag()
    args = ["check", run, "work/pause", "--engineer", "alice", "--pin-stdin"]
    p, o, e, t0 = env.spawn(args, [pin_of("alice")], tag=tag, db=db)
    started = wait_until(lambda: os.path.exists(env.path(f"started.{tag}")), 15)
    suite.check(started, f"the check started before the database was {what}")
    if replace:
        os.replace(spare, db)
    else:
        remove_db(db)
    r = env.collect(p, o, e, t0, args, timeout=30)
    suite.check(r.rc == 3, f"a database {what} while a check runs: exit 3", r)
    suite.check("pass:" not in r.out, f"a database {what} while a check runs: no pass is reported", r)
    suite.check(db in r.err, f"a database {what} while a check runs: the message names {db}", r)
    if not replace:
        s = env.run(["status", run], db=db)
        suite.check(s.rc == 3 and not os.path.exists(db),
                    "status after the database was deleted: exit 3, and no empty database created", s)
    kill_tagged(tag, prefix=False)


def deleted_while_asking_pin(suite, env):
    db, run = new_db(suite, env, "deleted-pin.db")
    args = ["note", run, "written into a deleted file", "--engineer", "alice", "--pin-stdin"]
    p, o, e, t0 = env.spawn(args, stdin_pipe=True, db=db)
    suite.check(wait_until(lambda: blocked_reading_stdin(p.pid), 15), "note waits for its PIN")
    remove_db(db)
    p.stdin.write(f"{pin_of('alice')}\n".encode())
    p.stdin.close()
    r = env.collect(p, o, e, t0, args, timeout=30)
    suite.check(r.rc == 3 and "noted" not in r.out, "a note whose database was deleted before it recorded: exit 3, "
                "not noted", r)


def fill(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)


def verified_events(suite, env, db, desc):
    """The event count that countersign verify reports (countersign, not
    sqlite3 here: a closing read-only connection would leave -wal and -shm
    files behind and change the case under test)."""
    v = env.run(["verify"], db=db)
    suite.check(v.rc == 0 and v.out.startswith("ok:"), f"verify {desc}", v)
    try:
        return int(v.out.split()[1])
    except (IndexError, ValueError):
        return -1


def full_disk(suite, env):
    m = Mount(env, "tiny", "1m")
    if not m.ok:
        suite.skip(f"full file system: cannot mount a tmpfs ({m.why})")
        return
    try:
        db = os.path.join(m.dir, "cs.db")
        r = env.run(["engineer", "add", "alice", "--full-name", "Alice", "--pin-stdin"], [pin_of("alice")], db=db)
        suite.check(r.rc == 0, "register on the small file system", r)
        r = env.by("alice", ["start", env.path("faults.json")], db=db)
        suite.check(r.rc == 0, "start a run on the small file system", r)
        run = r.out.strip()
        r = env.by("alice", ["check", run, "work/quick"], db=db)
        suite.check(r.rc == 0, "a check before the disk is full", r)
        before = verified_events(suite, env, db, "before the disk is full")
        filler = os.path.join(m.dir, "filler")
        # A command that opens the database on a full disk.
        fill(filler)
        st = os.statvfs(m.dir)
        suite.check(st.f_bavail == 0, f"the file system is full ({st.f_bavail} blocks free)")
        for args, desc in ((["note", run, "on a full disk"], "note"), (["check", run, "work/quick"], "check")):
            r = env.by("alice", args, db=db)
            suite.check(r.rc == 3, f"{desc} on a full disk: exit 3", r)
            suite.check("full" in r.err.lower() and db in r.err,
                        f"{desc} on a full disk: the message says the disk is full and names {db}", r)
        os.unlink(filler)
        after = verified_events(suite, env, db, "once space is free again")
        suite.check(after == before, f"nothing half-written while the disk was full ({before} -> {after} events)")
        # The disk fills up while a check runs: its end cannot be recorded.
        tag = env.new_tag()
        args = ["check", run, "work/pause", "--engineer", "alice", "--pin-stdin"]
        p, o, e, t0 = env.spawn(args, [pin_of("alice")], tag=tag, db=db)
        started = wait_until(lambda: os.path.exists(env.path(f"started.{tag}")), 15)
        suite.check(started, "the check started before the disk filled up")
        fill(filler)
        r = env.collect(p, o, e, t0, args, timeout=30)
        suite.check(r.rc == 3 and "pass:" not in r.out, "a check whose end cannot be recorded on a full disk: "
                    "exit 3, no pass reported", r)
        suite.check("full" in r.err.lower() and db in r.err,
                    f"a check on a disk that filled up: the message says the disk is full and names {db}", r)
        os.unlink(filler)
        verified_events(suite, env, db, "after the check on a full disk")
        r = env.by("alice", ["note", run, "space again"], db=db)
        suite.check(r.rc == 0, "a note once space is free again", r)
        # The disk is full while no -wal or -shm file exists yet (every
        # writer has closed): opening, not writing, meets the full disk.
        for extra in ("-wal", "-shm"):
            if os.path.exists(db + extra):
                os.unlink(db + extra)
        fill(filler)
        r = env.by("alice", ["note", run, "on a full disk, opened anew"], db=db)
        suite.check(r.rc == 3 and "full" in r.err.lower() and db in r.err,
                    f"opening on a full disk: exit 3, the message says the disk is full and names {db}", r)
        os.unlink(filler)
    finally:
        m.close()


def read_only(suite, env):
    """A read-only copy (file mode 0444, a read-only folder, a read-only
    mount) can be read and verified, and is not changed."""
    src, run = new_db(suite, env, "ro-src.db", ("alice", "bob"))
    r = env.by("alice", ["check", run, "work/quick"], db=src)
    suite.check(r.rc == 0, "a check in the source database", r)
    r = env.by("bob", ["note", run, "for the auditor"], db=src)
    suite.check(r.rc == 0, "a note in the source database", r)
    # A second run whose check was killed: an auditor's copy may hold one.
    r = env.by("alice", ["start", env.path("faults.json")], db=src)
    run2 = r.out.strip()
    tag = env.new_tag()
    args = ["check", run2, "work/hold", "--engineer", "alice", "--pin-stdin"]
    p, o, e, t0 = env.spawn(args, [pin_of("alice")], tag=tag, db=src)
    suite.check(wait_until(lambda: [x for x in events(src, run2) if x["kind"] == "check_started"], 15),
                "the second run's check started")
    p.send_signal(signal.SIGKILL)
    env.collect(p, o, e, t0, args)
    kill_tagged(tag, prefix=False)
    n_events = count_events(src)

    as_user = None
    if os.geteuid() == 0:
        if shutil.which("setpriv"):
            as_user = NOBODY
        else:
            suite.skip("read-only copies as an unprivileged user: setpriv is missing (root ignores file modes)")
            return
    cases = []
    d1 = env.path("ro-file")
    os.makedirs(d1)
    backup(src, os.path.join(d1, "cs.db"))
    os.chmod(os.path.join(d1, "cs.db"), 0o444)
    if as_user is not None:
        os.chown(d1, as_user, as_user)
    cases.append(("a 0444 file in a writable folder", os.path.join(d1, "cs.db"), as_user))
    d2 = env.path("ro-dir")
    os.makedirs(d2)
    backup(src, os.path.join(d2, "cs.db"))
    os.chmod(os.path.join(d2, "cs.db"), 0o444)
    os.chmod(d2, 0o555)
    cases.append(("a 0444 file in a 0555 folder", os.path.join(d2, "cs.db"), as_user))
    m = Mount(env, "ro-mount", "4m")
    if m.ok:
        backup(src, os.path.join(m.dir, "cs.db"))
        if m.remount_ro():
            cases.append(("a read-only mount, as root", os.path.join(m.dir, "cs.db"), None))
        else:
            suite.skip("read-only mount: remount,ro failed")
    else:
        suite.skip(f"read-only mount: cannot mount a tmpfs ({m.why})")
    try:
        for desc, db, user in cases:
            who = f" (as uid {user})" if user is not None else ""
            before = sha(db)
            for args in (["status", run], ["status", run, "--json"], ["status", run2], ["runs", "--all"],
                         ["engineer", "list"], ["verify", run], ["verify"]):
                r = env.run(args, db=db, user=user)
                ok = r.rc == 0 and (args[0] != "verify" or r.out.startswith("ok:"))
                suite.check(ok, f"{desc}{who}: countersign {' '.join(args)}", r)
            r = env.run(["verify"], db=db, user=user)
            suite.check(f"ok: {n_events} events" in r.out, f"{desc}: verify checks all {n_events} events", r)
            suite.check(sha(db) == before, f"{desc}: reading does not change the file")
    finally:
        os.chmod(d2, 0o755)
        m.close()


LOCKER = r"""
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
c.execute("ROLLBACK")
c.close()
"""


def locked(suite, env):
    """Another writer holds the database for longer than the busy timeout."""
    db, run = new_db(suite, env, "locked.db")
    before = count_events(db)
    holder = subprocess.Popen([sys.executable, "-c", LOCKER, db], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        suite.check(holder.stdout.readline().strip() == "locked", "another process holds the write lock")
        tag = env.new_tag()
        t0 = time.monotonic()
        note = env.spawn(["note", run, "while locked", "--engineer", "alice", "--pin-stdin"], [pin_of("alice")], db=db)
        check = env.spawn(["check", run, "work/mark", "--engineer", "alice", "--pin-stdin"], [pin_of("alice")],
                          db=db, tag=tag)
        r = env.run(["status", run], db=db, timeout=30)
        suite.check(r.rc == 0 and time.monotonic() - t0 < BUSY_TIMEOUT / 2,
                    "status reads while another process holds the write lock", r)
        limit = BUSY_TIMEOUT * 3
        for (p, o, e, ts), desc in ((note, "note"), (check, "check")):
            r = env.collect(p, o, e, ts, [desc], timeout=limit)
            took = time.monotonic() - t0
            suite.check(r.rc != "hung", f"{desc} while locked ends within {limit} s (took {took:.1f} s)", r)
            suite.check(r.rc == 3, f"{desc} while locked for longer than the busy timeout: exit 3", r)
            low = r.err.lower()
            suite.check("lock" in low or "busy" in low, f"{desc} while locked: the message says the database is "
                        "locked", r)
        suite.check(not os.path.exists(env.path(f"ran.{tag}")), "the check's command did not run when its start "
                    "could not be recorded")
    finally:
        try:
            holder.stdin.write("\n")
            holder.stdin.close()
        except BrokenPipeError:
            pass
        holder.wait(timeout=30)
    suite.check(count_events(db) == before, "nothing was recorded while locked")
    v = env.run(["verify"], db=db)
    suite.check(v.rc == 0, "verify after the lock is released", v)
    r = env.by("alice", ["note", run, "after the lock"], db=db)
    suite.check(r.rc == 0, "a note after the lock is released", r)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: test_faults.py COUNTERSIGN_BINARY")
    suite = Suite("faults")
    env = Env(sys.argv[1], "faults")
    try:
        for name, fn in (("missing database", missing_database),
                         ("deleted during a check", lambda s, e: deleted_during_check(s, e, False)),
                         ("replaced during a check", lambda s, e: deleted_during_check(s, e, True)),
                         ("deleted while asking the PIN", deleted_while_asking_pin),
                         ("full disk", full_disk), ("read-only copies", read_only), ("locked", locked)):
            t = time.monotonic()
            fn(suite, env)
            suite.note(f"{name}: {time.monotonic() - t:.1f} s")
        left = tagged_pids(env.tag_prefix, prefix=True)
        suite.check(not left, "no check process is left")
    finally:
        env.cleanup()
    suite.finish()


if __name__ == "__main__":
    main()
