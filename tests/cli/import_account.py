#!/usr/bin/env python3
"""Checks that an import accounts for every heading, checkbox and code block
of a Markdown runbook: each is either in the checklist or named by a message
of the importer at its line.

The runbook is read independently of the importer, with cmark-gfm (the
GitHub dialect's reference parser, `cmark-gfm -t xml -e tasklist
--sourcepos`), so that the two do not share a mistake.

Usage: import_account.py RUNBOOK.md CHECKLIST.json STDERR
Prints the counts and each part not accounted for; exits 1 when one is not.
A part is accounted for when:
  - a message (FILE:LINE: warning|skipped|note: TEXT) names a line it spans;
  - a heading: a title of the output (the checklist's, a phase, a section's,
    an item's) is most of its text, or its text is in the title, or the title
    is its text without what is in parentheses (a time hint: the estimate);
  - a checkbox: an item's title is in its text (or it in the title), or its
    text is in an item's details (a nested checkbox kept as details);
  - a code block: its first command line (the first line that is neither
    blank nor a comment, without a $ or # prompt; else its first line) is in
    an item's run, expect or details.
Text is compared normalised: lower case, placeholders (<NAME>, ${NAME},
$NAME) and punctuation dropped, spaces collapsed.
"""
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

NS = '{http://commonmark.org/xml/1.0}'
MESSAGE = re.compile(r'^.*?:(\d+): (warning|skipped|note): (.*)$')


def norm(s):
    s = s.lower()
    s = re.sub(r'\$\{[^}]*\}|<[^<>\n]*>|\$[a-z_][a-z0-9_]*', ' ', s)
    s = re.sub(r'[\W_]+', ' ', s)  # letters of any script count, as in titles
    return ' '.join(s.split())


def text_of(node, stop_at_lists=True):
    """The text of NODE's inlines (text and code), not of nested lists."""
    out = []
    for child in node:
        tag = child.tag.replace(NS, '')
        if stop_at_lists and tag in ('list', 'tasklist', 'code_block'):
            continue
        if tag in ('text', 'code'):
            out.append(child.text or '')
        elif tag in ('softbreak', 'linebreak'):
            out.append(' ')
        else:
            out.append(text_of(child, stop_at_lists))
    return ''.join(out)


def span(node):
    m = re.match(r'(\d+):\d+-(\d+):\d+', node.get('sourcepos', ''))
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def parts(md_path):
    xml = subprocess.run(['cmark-gfm', '-t', 'xml', '-e', 'tasklist', '-e', 'table', '--sourcepos', md_path],
                         check=True, capture_output=True).stdout
    root = ET.fromstring(xml)
    found = []
    for node in root.iter():
        tag = node.tag.replace(NS, '')
        if tag == 'heading':
            found.append(('heading', span(node), text_of(node)))
        elif tag == 'tasklist':
            para = next((c for c in node if c.tag == NS + 'paragraph'), None)
            found.append(('checkbox', span(node), text_of(para) if para is not None else ''))
        elif tag == 'code_block':
            found.append(('code block', span(node), node.text or ''))
    return found


def first_command(code):
    lines = [l.strip() for l in code.splitlines() if l.strip()]
    for l in lines:
        if l.startswith('$ '):
            return l[2:]
        if not l.startswith('#'):
            return l
    return lines[0].lstrip('#').strip() if lines else ''


def main():
    md_path, json_path, err_path = sys.argv[1:4]
    checklist = json.load(open(json_path, encoding='utf-8'))
    titles, bodies, details = [checklist.get('title', '')], [], []
    for sec in checklist.get('sections', []):
        titles += [sec.get('title', ''), sec.get('phase', '') or '']
        description = sec.get('description', '') or ''
        details.append('\n'.join(description) if isinstance(description, list) else description)
        for item in sec.get('items', []):
            titles.append(item.get('title', ''))
            for key in ('run', 'expect', 'details'):
                v = item.get(key)
                if isinstance(v, list):  # text of several lines, one a string
                    v = '\n'.join(x if isinstance(x, str) else json.dumps(x) for x in v)
                if isinstance(v, str):
                    bodies.append(v)
                    if key == 'details':
                        details.append(v)
                elif isinstance(v, dict):
                    bodies.append(json.dumps(v))
    ntitles = [norm(t) for t in titles if norm(t)]
    nbodies = ' | '.join(norm(b) for b in bodies)
    ndetails = ' | '.join(norm(d) for d in details)
    lines = set()
    for line in open(err_path, encoding='utf-8', errors='replace'):
        m = MESSAGE.match(line.rstrip('\n'))
        if m:
            lines.add(int(m.group(1)))
            fm = re.search(r'front matter \(lines 1-(\d+)\)', line)
            if fm:  # cmark-gfm reads front matter as a rule and a heading
                lines.update(range(1, int(fm.group(1)) + 1))

    def heading_ok(h):
        return any(t in h and len(t) * 2 >= len(h) or h in t for t in ntitles)

    def checkbox_ok(c):
        return any(t in c or c in t for t in ntitles) or c in ndetails

    counts, missing = {}, []
    raw_titles = {t.strip() for t in titles}
    for kind, (first, last), text in parts(md_path):
        counts[kind] = counts.get(kind, 0) + 1
        if any(first <= l <= max(first, last) for l in lines):
            continue
        n = norm(first_command(text) if kind == 'code block' else text)
        if not n and kind != 'code block':
            # only symbols ("???", an emoji) or nothing: the title as written,
            # or the importer's "Line N" for an empty one
            if text.strip() in raw_titles if text.strip() else f'Line {first}' in raw_titles:
                continue
        if kind == 'heading':
            # a time hint in parentheses becomes the estimate, not the title
            bare = norm(re.sub(r'\([^)]*\)', ' ', text))
            ok = bool(n) and (heading_ok(n) or bool(bare) and bare in ntitles)
        elif kind == 'checkbox':
            ok = bool(n) and checkbox_ok(n)
        else:
            ok = n in nbodies
        if not ok:
            missing.append(f'{md_path}:{first}: {kind} not accounted for: {text.strip()[:80]!r}')
    print(', '.join(f"{n} {k}{'es' if k.endswith('x') else 's'}" for k, n in sorted(counts.items())))
    for m in missing:
        print(m)
    return 1 if missing or not counts else 0


if __name__ == '__main__':
    sys.exit(main())
