#!/usr/bin/env python3
"""Prints a Markdown report (argv[1]) with what changes from run to run
replaced by words, so that it can be compared with an expected file: the run
id, 64-digit hashes, times, durations, the program's version, the OS user,
host and tty of the signatures (read from the JSON report of the same run,
argv[2]), and the checkpoint's host, record id, time and the sizes of the
chains other than the run's."""
import json
import re
import sys

md = open(sys.argv[1], encoding="utf-8").read()
d = json.load(open(sys.argv[2], encoding="utf-8"))
s = d["sections"][0]["signatures"][0]
u, h, t = s["os_user"], s["host"], s["tty"]
md = md.replace(d["run"]["id"], "RUN")
md = md.replace("| %s | %s | %s |" % (u, h, t), "| USER | HOST | TTY |")
md = md.replace('one OS user "%s" on one tty "%s" of host "%s"' % (u, t, h),
                'one OS user "USER" on one tty "TTY" of host "HOST"')
md = re.sub(r"\b[0-9a-f]{64}\b", "HASH", md)
md = re.sub(r"^origin \S+ record [0-9a-f]{32}$", "origin HOST record RECORD", md, flags=re.M)
md = re.sub(r"^time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", "time ISOTIME", md, flags=re.M)
md = re.sub(r"^(registry|engineers) \d+ HASH$", r"\1 N HASH", md, flags=re.M)
md = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "TIME", md)
md = re.sub(r"\b(\d+(ms|[smhd]))+\b", "DUR", md)
md = re.sub(r"countersign \d+\.\d+\.\d+", "countersign VERSION", md)
sys.stdout.write(md)
