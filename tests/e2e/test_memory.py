#!/usr/bin/python3
"""PINs do not stay in the interface's memory: after a PIN is typed into a
dialog (registering, signing in, signing a section, a wrong PIN that is
refused) and the dialog is done with it, the stopped process's writable
memory (heap, stack, anonymous mappings, read through /proc/PID/mem) holds
no piece of it, neither as UTF-8 nor as the wide characters the dialog
fields keep.

The PINs are long on purpose: free() overwrites the first 16 bytes of a
small block with its own bookkeeping, so a short PIN left in a freed block
would go unnoticed; pieces of 12 characters of these are searched for."""
import os
import signal

import termharness
from termharness import Suite, Term

PINS = {"carol": "zicsuqdhrmQk3ZvmV2MmTGmrwmsmAvw81A1BJMFt",
        "dave": "nI44s8RfiFU5mmvWEZeCgtYCZQPVuANSxg9agoZ0"}
WRONG = "pri6K6ESHsUj9fWgPcvEmtNF0uCdyAc2c5aDAJq8"
termharness.PIN.update(PINS)
PIECE, STRIDE = 12, 4
BIG = 1 << 30


def needles(pins):
    """Pieces of PIECE characters of each PIN, one every STRIDE, as UTF-8
    and as wchar_t: any run of PIECE + STRIDE - 1 of its characters left in
    memory holds one of them."""
    out = {}
    for label, pin in pins.items():
        for k in range(0, len(pin) - PIECE + 1, STRIDE):
            out[pin[k:k + PIECE].encode()] = "%s (UTF-8)" % label
            out[pin[k:k + PIECE].encode("utf-32-le")] = "%s (wide)" % label
    return out


def resident(pid, lo, hi):
    """The runs [start, end) of pages of lo..hi that are in memory or swapped
    out (/proc/PID/pagemap): the rest was never written and reads as zeros."""
    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/%d/pagemap" % pid, "rb") as f:
        f.seek(lo // page * 8)
        entries = f.read((hi - lo) // page * 8)
    runs, start = [], None
    for i in range(len(entries) // 8):
        flags = int.from_bytes(entries[i * 8:i * 8 + 8], "little") >> 62
        if flags and start is None:
            start = lo + i * page
        elif not flags and start is not None:
            runs.append((start, lo + i * page))
            start = None
    if start is not None:
        runs.append((start, hi))
    return runs


def leftovers(pid, pins):
    """Stops PID, reads the pages of its writable mappings and lists where
    pieces of a PIN show; None when the memory cannot be read. Mappings of
    BIG bytes or more are reservations (AddressSanitizer's shadow memory),
    not data."""
    found = {}
    look_for = needles(pins)
    os.kill(pid, signal.SIGSTOP)
    try:
        with open("/proc/%d/maps" % pid) as f:
            maps = [line.split() for line in f]
        try:
            mem = os.open("/proc/%d/mem" % pid, os.O_RDONLY)
        except OSError:
            return None
        try:
            scanned = 0
            for m in maps:
                lo, hi = (int(x, 16) for x in m[0].split("-"))
                if "w" not in m[1] or "r" not in m[1] or hi - lo >= BIG:
                    continue
                try:
                    runs = resident(pid, lo, hi)
                except OSError:
                    return None
                for start, end in runs:
                    try:
                        data = os.pread(mem, end - start, start)
                    except OSError:
                        continue
                    scanned += len(data)
                    for needle, label in look_for.items():
                        at = data.find(needle)
                        while at >= 0:
                            where = "%s in %s" % (label, m[5] if len(m) > 5 else "[anon]")
                            found.setdefault(where, set()).add(start + at)
                            at = data.find(needle, at + 1)
        finally:
            os.close(mem)
        if scanned == 0:
            return None
    finally:
        os.kill(pid, signal.SIGCONT)
    return ["%s: %d pieces, the first at %#x" % (where, len(at), min(at)) for where, at in sorted(found.items())]


def no_pin_in_memory(name, t, pins):
    found = leftovers(t.proc.pid, pins)
    s.check(name, found == [], "the memory could not be read" if found is None else "\n".join(found))


s = Suite("memory")
try:
    path = s.checklist("e2e-memory", [
        {"id": "prep", "title": "Preparation", "phase": "Pre-Deployment", "items": [
            {"id": "look", "title": "Look at it", "kind": "manual"}]},
        {"id": "ship", "title": "Ship", "phase": "Deployment", "items": [
            {"id": "go", "title": "Go live", "kind": "manual"}]},
    ])
    # registering the first engineer: the PIN and its repetition
    t = Term(s, ["open", path])
    s.expect("an empty database asks to register", t, "Register the first engineer")
    t.send("carol\tCarol Example\t%s\t%s\r" % (PINS["carol"], PINS["carol"]))
    s.expect("carol is registered and signed in", t, "Run title")
    t.send("\r")
    s.expect("the run starts", t, "items 0/1 · sign-offs 0/2")
    if leftovers(t.proc.pid, {}) is None:
        s.skip("this system does not let a test read its child's memory (/proc/PID/mem)")
    no_pin_in_memory("after registering, no piece of the PIN is left in memory", t, {"carol's PIN": PINS["carol"]})

    # signing a section: a wrong PIN is refused and wiped from its field, then the right one
    s.cli("engineer", "add", "dave", "--full-name", "Dave Example", pin="dave")
    t.send("\t \r\r")
    s.expect("the item is attested", t, "prep/look attested by carol")
    t.send("s")
    s.expect("s opens the sign-off dialog", t, "Sign section")
    t.send("dave\t%s\r\r\r" % WRONG)
    s.expect("a wrong PIN is refused and its field emptied",
             t, lambda t: "wrong PIN for dave" in t.text() and "> PIN: _" in t.text())
    no_pin_in_memory("with the dialog still open, no piece of the refused PIN is left in memory",
                     t, {"the wrong PIN": WRONG})
    t.send("%s\r\r\r" % PINS["dave"])
    s.expect("dave's PIN signs", t, "dave approved prep")
    no_pin_in_memory("after signing, no piece of any PIN is left in memory",
                     t, {"dave's PIN": PINS["dave"], "the wrong PIN": WRONG, "carol's PIN": PINS["carol"]})
    t.send("q")
    s.check("q quits", t.wait_exit() == 0)

    # signing in to resume the run
    t = Term(s, ["open", path])
    s.expect("reopening asks to sign in", t, "Sign in")
    t.send("carol\t%s\r" % PINS["carol"])
    s.expect("carol signs in and is offered the open run", t, "start a new run of")
    t.send("\r")
    s.expect("the run is resumed", t, "items 1/1 · sign-offs 1/2")
    no_pin_in_memory("after signing in, no piece of the PIN is left in memory", t, {"carol's PIN": PINS["carol"]})
    t.send("q")
    s.check("q quits", t.wait_exit() == 0)
finally:
    s.finish()
