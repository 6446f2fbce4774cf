#!/usr/bin/env python3
"""Checks that no command of an imported checklist runs with a literal
placeholder: every "<words>" of a runbook's command must have become a
variable (${NAME}), or the block a manual item.

A run is a string or an array of lines (a script): each line is read, the
comment lines excepted (the shell never runs them, and the importer keeps
them as written). The pattern is the importer's idea of a placeholder,
written here apart from it: "<" then a letter or digit (accented ones too),
then letters, digits, spaces and "_-./:@|", then ">" (not right after one
of " /:@|"); a tag closed in the same run ("<name>web</name>", XML in a
here-document) is markup, and words with spaces glued to letters on both
sides ("a<b AND c>d") a comparison.

Usage: import_runs.py CHECKLIST.json
Prints SECTION/ITEM: PLACEHOLDER for each one found; exits 1 when any is.
"""
import json
import re
import sys

PLACEHOLDER = re.compile(r'<([^\W_][\w .:/@|-]*)>')
CLOSING_TAG = re.compile(r'</([A-Za-z0-9_.:-]{1,64})>')


def placeholders(line, tags):
    """The placeholders of LINE, TAGS being the closing tags of its run."""
    found = []
    for m in PLACEHOLDER.finditer(line):
        words, start, end = m.group(1), m.start(), m.end()
        if words[-1] in ' /:@|' or words in tags:
            continue
        glued = start > 0 and line[start - 1].isalnum() and end < len(line) and line[end].isalnum()
        if glued and ' ' in words:
            continue
        found.append(m.group(0))
    return found


def main():
    checklist = json.load(open(sys.argv[1], encoding='utf-8'))
    found = 0
    for sec in checklist.get('sections', []):
        for item in sec.get('items', []):
            run = item.get('run')
            lines = [run] if isinstance(run, str) else run if isinstance(run, list) else []
            tags = set(CLOSING_TAG.findall('\n'.join(x for x in lines if isinstance(x, str))))
            for line in lines:
                if not isinstance(line, str) or line.lstrip().startswith('#'):
                    continue
                for m in placeholders(line, tags):
                    print(f"{sec.get('id')}/{item.get('id')}: {m}")
                    found += 1
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
