#!/usr/bin/env python3
"""Checks that every #include in src/ and include/countersign/ goes down the
layers (CONTRIBUTING.md, "The layers"):

    core  <  store, net  <  run  <  report  <  ui  <  cli
    core  <  import  <  ui  <  cli

A file may include a public header (include/countersign/) of its own layer or
of a layer below it, and a header of its own folder. Above src/run the record
is reached through session_* only: report, ui and cli never include store.h
(session.h gives them the record's types, store_types.h), and ui and cli
never include pin.h. A layer's private header (src/LAYER/x.h) is its own,
but for the few named in SHARED. A system library's header stays in its
layer: sqlite3.h in store, curl in net, curses in ui.

SHA-256 is computed in one place, src/core/sha256.c (countersign/sha256.h):
no other file of src/, include/, tests/ or bench/ calls libsodium's or
libcrypto's SHA-256 or includes an OpenSSL header, but for the unit test
that compares the module with libsodium's (SHA256_REFERENCE).

The link checks (layer-check-LAYER in src/LAYER/meson.build) do the same for
calls; this script is the layer-includes target of the build and a test of
the layers suite.

Usage: check_layers.py [--stamp FILE] [--depfile FILE] SOURCE_ROOT
Prints each wrong-way include as FILE:LINE: message and exits 1; with
--stamp, writes FILE when all is well, with --depfile a Makefile rule naming
every file read (so that the build runs it again when one changes).
"""
import argparse
import os
import re
import sys

BELOW = {
    'core': set(),
    'store': {'core'},
    'net': {'core'},
    'run': {'core', 'store', 'net'},
    'report': {'core', 'store', 'net', 'run'},
    'import': {'core'},
    'ui': {'core', 'store', 'net', 'run', 'report', 'import'},
    'cli': {'core', 'store', 'net', 'run', 'report', 'import', 'ui'},
}

# The layer of each public header; a new header must be placed here.
PUBLIC = {
    'core': ['checklist', 'clock', 'diag', 'duration', 'dynlib', 'engine', 'event', 'exitcode', 'expand', 'outline',
             'pin', 'redact', 'regex_check', 'reporter', 'sanitize', 'sha256', 'sign', 'checkpoint', 'utf8', 'util',
             'wrap'],
    'store': ['store', 'store_copy', 'store_types'],
    'net': ['net'],
    'run': ['exec', 'runner', 'session', 'vars'],
    'report': ['audit', 'report'],
    'import': ['import'],
}
HEADER_LAYER = {f'countersign/{h}.h': layer for layer, names in PUBLIC.items() for h in names}

FRONT_ENDS = 'the front ends talk to session_* (session.h), never to the store or PINs directly'
BANNED = {
    'report': {'countersign/store.h': 'the report reads the record through session_* (session.h)',
               'countersign/store_copy.h': 'the report reads the record through session_* (session.h)'},
    'ui': {'countersign/store.h': FRONT_ENDS, 'countersign/store_copy.h': FRONT_ENDS, 'countersign/pin.h': FRONT_ENDS},
    'cli': {'countersign/store.h': FRONT_ENDS, 'countersign/store_copy.h': FRONT_ENDS, 'countersign/pin.h': FRONT_ENDS},
}

# Private headers of a lower layer that a higher one may include, and why.
SHARED = {
    ('cli', 'ui/ui.h'): 'open and review start the interface',
    ('ui', 'net/http_judge.h'): 'the evidence view judges a response as the check did (pure functions)',
}

SYSTEM = [(re.compile(r'^sqlite3\.h$'), 'store'), (re.compile(r'^curl/'), 'net'),
          (re.compile(r'^n?curses'), 'ui'), (re.compile(r'^md4c'), 'import')]

# Files of src/ outside a layer folder.
SRC_ROOT_FILES = {'main.c': 'cli', 'layer_check.c': 'core'}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')

SHA256_HOME = 'src/core/sha256.c'
SHA256_REFERENCE = 'tests/unit/core/test_sha256.c'
SHA256_OTHER = re.compile(r'\b(crypto_hash_sha256\w*|EVP_sha256|SHA256(?:_Init|_Update|_Final)?\s*\()|<openssl/')


def file_layer(rel):
    parts = rel.split('/')
    if parts[0] == 'include' and len(parts) == 3 and parts[1] == 'countersign':
        return HEADER_LAYER.get('countersign/' + parts[2])
    if parts[0] == 'src' and len(parts) == 2:
        return SRC_ROOT_FILES.get(parts[1])
    if parts[0] == 'src' and parts[1] in BELOW:
        return parts[1]
    return None


def check_include(rel, layer, quote, name):
    """Returns why including NAME from REL (of LAYER) goes the wrong way, or None."""
    if quote == '<':
        for pattern, owner in SYSTEM:
            if pattern.search(name) and owner != layer:
                return f'<{name}> belongs to {owner}'
        return None
    if name in BANNED.get(layer, {}):
        return f'{layer} includes {name}: {BANNED[layer][name]}'
    if name.startswith('countersign/'):
        owner = HEADER_LAYER.get(name)
        if owner is None:
            return f'{name} has no layer: place it in PUBLIC in scripts/check_layers.py'
        if owner != layer and owner not in BELOW[layer]:
            return f'{layer} includes {name} of {owner}, which is not below it'
        return None
    folder = name.split('/')[0] if '/' in name else None
    if folder in BELOW and folder != layer and (layer, name) not in SHARED:
        return f'{layer} includes {name}, a header of {folder} that is not its public one'
    return None


def sha256_problems(rel, text):
    """Each line of REL that computes SHA-256 without the module, as FILE:LINE: message."""
    if rel in (SHA256_HOME, SHA256_REFERENCE):
        return []
    return [f'{rel}:{lineno}: {m.group(0).strip()}: SHA-256 goes through countersign/sha256.h ({SHA256_HOME})'
            for lineno, line in enumerate(text.splitlines(), 1) for m in [SHA256_OTHER.search(line)] if m]


def source_files(root, tops=('src', 'include/countersign')):
    for top in tops:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith(('.c', '.h')):
                    yield os.path.relpath(os.path.join(dirpath, f), root)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--stamp')
    ap.add_argument('--depfile')
    ap.add_argument('root')
    args = ap.parse_args()
    problems, read, checked = [], [], 0
    for rel in source_files(args.root):
        read.append(os.path.join(args.root, rel))
        layer = file_layer(rel)
        if layer is None:
            problems.append(f'{rel}:1: in no layer: place it in a layer folder, or its header in PUBLIC')
            continue
        with open(os.path.join(args.root, rel), encoding='utf-8', errors='replace') as f:
            text = f.read()
        problems.extend(sha256_problems(rel, text))
        for lineno, line in enumerate(text.splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            checked += 1
            why = check_include(rel, layer, m.group(1), m.group(2))
            if why:
                problems.append(f'{rel}:{lineno}: {why}')
    # The tests and benchmarks are in no layer, but hash through the module
    # too (a copy of the tree without them is checked as it is).
    for rel in source_files(args.root, ('tests', 'bench')):
        read.append(os.path.join(args.root, rel))
        with open(os.path.join(args.root, rel), encoding='utf-8', errors='replace') as f:
            problems.extend(sha256_problems(rel, f.read()))
    for p in problems:
        print(p, file=sys.stderr)
    if checked == 0:
        print('check_layers: no #include found: wrong source root?', file=sys.stderr)
        return 1
    if args.depfile:
        with open(args.depfile, 'w') as f:
            f.write((args.stamp or 'layer-includes') + ': ' + ' '.join(read) + '\n')
    if problems:
        print(f'check_layers: {len(problems)} include(s) or SHA-256 call(s) go the wrong way'
              ' (CONTRIBUTING.md, "The layers")',
              file=sys.stderr)
        return 1
    if args.stamp:
        with open(args.stamp, 'w') as f:
            f.write(f'{checked} includes checked\n')
    print(f'check_layers: {checked} includes go down the layers; of {len(read)} files, only {SHA256_HOME}'
          ' computes SHA-256')
    return 0


if __name__ == '__main__':
    sys.exit(main())
