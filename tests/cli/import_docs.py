#!/usr/bin/env python3
"""Checks that docs/importing.md says what the importer does: its examples
are taken from the unit tests' runbooks (tests/unit/import/fixtures), so

  - each "Before (`NAME.md`)" names a runbook there, and every line of the
    Markdown shown under it is a line of that runbook (examples are
    shortened by leaving lines out, never by changing them);
  - each message quoted as NAME.md:LINE: KIND: TEXT is in NAME.stderr, at
    that line, with that text (spaces and line breaks collapsed).

Usage: import_docs.py SOURCE_ROOT
Prints each example that does not match; exits 1 when one does not.
"""
import os
import re
import sys


def collapse(s):
    return ' '.join(s.split())


def main():
    root = sys.argv[1]
    fixtures = os.path.join(root, 'tests', 'unit', 'import', 'fixtures')
    doc = open(os.path.join(root, 'docs', 'importing.md'), encoding='utf-8').read()
    bad, befores, quotes = [], 0, 0
    # a "Before (`NAME.md`):" line, then a fenced block of 3 or 4 fence marks
    for m in re.finditer(r'Before \(`([a-z0-9-]+)\.md`\):\n\n(`{3,4})[a-z]*\n(.*?)\n\2\n', doc, re.S):
        befores += 1
        name, body = m.group(1), m.group(3)
        path = os.path.join(fixtures, name + '.md')
        if not os.path.exists(path):
            bad.append(f'Before ({name}.md): no such runbook in the fixtures')
            continue
        lines = {l.rstrip() for l in open(path, encoding='utf-8').read().splitlines()}
        for line in body.splitlines():
            if line.strip() and line.rstrip() not in lines:
                bad.append(f'Before ({name}.md): line not in the runbook: {line!r}')
    # quoted messages: in `...` wrapped over lines of the document, or one
    # a line in a block
    for m in re.finditer(r'([a-z0-9-]+)\.md:(\d+): (warning|skipped|note): ([^`\n]*(?:\n(?![a-z0-9-]+\.md:)[^`\n]*)*)', doc):
        name = m.group(1)
        path = os.path.join(fixtures, name + '.stderr')
        if name == 'noa-server-deploy':
            continue  # test_import_noa.sh compares the NOA import itself
        quotes += 1
        want = collapse(f'{name}.md:{m.group(2)}: {m.group(3)}: {m.group(4)}')
        have = collapse(open(path, encoding='utf-8').read()) if os.path.exists(path) else ''
        if want not in have:
            bad.append(f'quoted message not in {name}.stderr: {want[:120]}')
    print(f'{befores} examples, {quotes} quoted messages')
    for b in bad:
        print(b)
    return 1 if bad or befores < 10 or quotes < 5 else 0


if __name__ == '__main__':
    sys.exit(main())
