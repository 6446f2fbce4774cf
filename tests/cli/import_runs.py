#!/usr/bin/env python3
"""Checks that no command of an imported checklist runs with a literal
placeholder: every "<words>" of a runbook's command must have become a
variable (${NAME}), or the block a manual item.

A run is a string or an array of lines (a script): each line is read, the
comment lines excepted (the shell never runs them, and the importer keeps
them as written). The pattern is the importer's idea of a placeholder,
written here apart from it: "<" then a letter or digit, then letters,
digits, spaces, "_", "-" or ".", then ">".

Usage: import_runs.py CHECKLIST.json
Prints SECTION/ITEM: PLACEHOLDER for each one found; exits 1 when any is.
"""
import json
import re
import sys

PLACEHOLDER = re.compile(r'<[A-Za-z0-9][A-Za-z0-9 _.-]*>')


def main():
    checklist = json.load(open(sys.argv[1], encoding='utf-8'))
    found = 0
    for sec in checklist.get('sections', []):
        for item in sec.get('items', []):
            run = item.get('run')
            lines = [run] if isinstance(run, str) else run if isinstance(run, list) else []
            for line in lines:
                if not isinstance(line, str) or line.lstrip().startswith('#'):
                    continue
                for m in PLACEHOLDER.findall(line):
                    print(f"{sec.get('id')}/{item.get('id')}: {m}")
                    found += 1
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
