#!/usr/bin/python3
"""Tests for data/checklist.schema.json.

Usage: /usr/bin/python3 tests/unit/test_schema.py SCHEMA CHECKLIST_DIR FIXTURE_DIR

- checks SCHEMA against the JSON Schema draft 2020-12 metaschema and that
  every declared property carries a "description";
- validates every *.json in CHECKLIST_DIR (the bundled checklists);
- validates checklists built in memory: a minimal valid one, a full one that
  uses every field, and mutations of the minimal one that must be rejected;
- FIXTURE_DIR (optional, may be empty or missing): every *.json under a
  "valid" subfolder must be accepted, every *.json under a "schema-invalid"
  subfolder must be rejected. Other files are ignored (checklists that only
  lint rejects, such as duplicate ids, may still match the schema).

Exit status 0 when every test passed, 1 otherwise. The last line of output
is "N passed, M failed".

Uses only the standard library and jsonschema (4.10 or later).
"""

import copy
import json
import os
import sys

try:
    import jsonschema
except ImportError:  # pragma: no cover
    print("error: the jsonschema module is not installed (Debian: python3-jsonschema)")
    print("0 passed, 1 failed")
    sys.exit(1)

PASSED = 0
FAILED = 0


def result(ok, name, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print("ok   " + name)
    else:
        FAILED += 1
        print("FAIL " + name + (": " + detail if detail else ""))


def describe_error(err):
    path = "$" + "".join(
        "[%d]" % p if isinstance(p, int) else "." + str(p) for p in err.absolute_path
    )
    return "%s (at %s)" % (err.message, path)


def errors_of(validator, instance):
    return sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))


def expect_valid(validator, name, instance):
    errs = errors_of(validator, instance)
    result(not errs, name, "; ".join(describe_error(e) for e in errs[:5]))


def expect_invalid(validator, name, instance):
    errs = errors_of(validator, instance)
    if errs:
        result(True, name + " (rejected: " + describe_error(errs[0]) + ")")
    else:
        result(False, name, "accepted, but should be rejected")


def missing_descriptions(node, where="#"):
    """Paths of property schemas (anywhere in the schema) without a description."""
    out = []
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for key, sub in props.items():
                # Partial subschemas inside if/then only refine a property
                # already described in the enclosing "properties".
                if set(where.split("/")) & {"if", "then", "else"}:
                    continue
                if isinstance(sub, dict) and "description" not in sub:
                    out.append(where + "/properties/" + key)
        for key, sub in node.items():
            out.extend(missing_descriptions(sub, where + "/" + key))
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            out.extend(missing_descriptions(sub, "%s/%d" % (where, i)))
    return out


def minimal():
    return {
        "countersign": 1,
        "id": "minimal",
        "title": "Minimal",
        "sections": [
            {
                "id": "only",
                "title": "Only section",
                "items": [
                    {"id": "build", "title": "Build", "kind": "command", "run": "make"}
                ],
            }
        ],
    }


def full():
    return {
        "countersign": 1,
        "id": "full-example",
        "title": "Full example",
        "description": "Uses every field.",
        "variables": [
            {"name": "VERSION", "prompt": "Release", "default": "v1.2.3",
             "pattern": "^v[0-9]+\\.[0-9]+\\.[0-9]+$"},
            {"name": "TOKEN", "prompt": "Token", "secret": True},
        ],
        "defaults": {"shell": "/bin/bash", "timeout": "10m", "cwd": "..", "env": {"TAG": "${VERSION}"}},
        "window": {"duration": "2h"},
        "notify": [{"url": "${SLACK_WEBHOOK}", "format": "json", "on": ["gate_passed", "signoff", "note", "checkpoint"]},
                   {"file": "/var/lib/countersign/checkpoints", "on": ["checkpoint"]}],
        "sections": [
            {
                "id": "pre", "title": "Pre", "phase": "Pre-Deployment", "description": "d",
                "estimate": "5-10m", "signoffs": 0, "gate": True,
                "items": [
                    {"id": "tests", "title": "Tests", "kind": "command",
                     "run": ["echo $$HOME ${VERSION}", "for f in *; do echo \"$f\"; done"],
                     "timeout": "30m", "cwd": "src", "env": {"A": "b"}, "interactive": False,
                     "expect_output": "ok", "fail_output": "FAIL", "required": True,
                     "waivable": True, "confirm": True, "details": ["one", "two"],
                     "expect": "passes", "estimate": "1h-1h30m", "description": "d"},
                    {"id": "health", "title": "Health", "kind": "http",
                     "url": "https://example.invalid/health", "method": "POST",
                     "headers": {"Authorization": "Bearer ${TOKEN}"}, "body": {"x": [1, 2]},
                     "expect_status": [200, 204], "expect_json": {"data.items.0.state": "Ready", "n": 3, "ok": True, "z": None},
                     "expect_body": "healthy", "max_latency": "500ms", "retries": 3, "interval": "5s",
                     "timeout": "10s", "insecure": True},
                    {"id": "health-2", "title": "Health 2", "kind": "http", "url": "${BASE}/x",
                     "expect_status": "3xx", "body": "raw ${VERSION}"},
                    {"id": "errors", "title": "Errors", "kind": "prometheus", "url": "${PROMETHEUS_URL}",
                     "query": "sum(rate(x{status=~\"5..\"}[5m]))", "between": [0, 0.5],
                     "samples": 5, "interval": "1m", "max_failures": 1, "no_data": "inconclusive",
                     "reduce": "max", "timeout": "30s"},
                    {"id": "p99", "title": "p99", "kind": "prometheus", "url": "http://prom:9090",
                     "query": "q", "above": 1},
                    {"id": "soak", "title": "Soak", "kind": "wait", "duration": "1h30m"},
                    {"id": "review", "title": "Review", "kind": "manual"},
                ],
            },
            {"id": "blue-green", "title": "Blue-green", "choice": "strategy", "items": []},
            {"id": "canary", "title": "Canary", "choice": "strategy", "always_open": False},
            {"id": "rollback", "title": "Rollback", "phase": "Rollback", "always_open": True,
             "gate": False, "signoffs": 16, "rollback_for": "canary", "items": []},
        ],
    }


def mutated(fn):
    doc = minimal()
    fn(doc)
    return doc


def item0(doc):
    return doc["sections"][0]["items"][0]


def set_item(**fields):
    def fn(doc):
        item = item0(doc)
        item.clear()
        item.update({"id": "x", "title": "X"})
        item.update(fields)
    return fn


NEGATIVE = [
    ("missing sections", lambda d: d.pop("sections")),
    ("empty sections", lambda d: d.update(sections=[])),
    ("missing id", lambda d: d.pop("id")),
    ("empty title", lambda d: d.update(title="")),
    ("countersign 2", lambda d: d.update(countersign=2)),
    ("countersign as string", lambda d: d.update(countersign="1")),
    ("bad checklist id Bad_Id", lambda d: d.update(id="Bad_Id")),
    ("bad section id Bad_Id", lambda d: d["sections"][0].update(id="Bad_Id")),
    ("bad item id Bad_Id", lambda d: item0(d).update(id="Bad_Id")),
    ("section without title", lambda d: d["sections"][0].pop("title")),
    ("bad duration '5 minutes'", lambda d: item0(d).update(timeout="5 minutes")),
    ("zero duration '0s'", lambda d: item0(d).update(timeout="0s")),
    ("units out of order '30s1m'", lambda d: item0(d).update(timeout="30s1m")),
    ("bad window duration", lambda d: d.update(window={"duration": "2 hours"})),
    ("window without duration", lambda d: d.update(window={})),
    ("range as timeout '5-10m'", lambda d: item0(d).update(timeout="5-10m")),
    ("bad estimate '10m-'", lambda d: d["sections"][0].update(estimate="10m-")),
    ("signoffs 17", lambda d: d["sections"][0].update(signoffs=17)),
    ("signoffs -1", lambda d: d["sections"][0].update(signoffs=-1)),
    ("choice with always_open", lambda d: d["sections"][0].update(choice="strategy", always_open=True)),
    ("unknown kind", lambda d: item0(d).update(kind="script")),
    ("item without kind", lambda d: item0(d).pop("kind")),
    ("command item without run", lambda d: item0(d).pop("run")),
    ("run with unterminated ${", lambda d: item0(d).update(run="echo ${VERSION")),
    ("run with invalid name in ${...}", lambda d: item0(d).update(run="echo ${1}")),
    ("run array with a number", lambda d: item0(d).update(run=["ls", 3])),
    ("http item without url", set_item(kind="http")),
    ("http url without scheme", set_item(kind="http", url="localhost:8080/health")),
    ("http bad method", set_item(kind="http", url="http://x", method="FETCH")),
    ("http expect_status 600", set_item(kind="http", url="http://x", expect_status=600)),
    ("http expect_status '2XX'", set_item(kind="http", url="http://x", expect_status="2XX")),
    ("http expect_json non-scalar", set_item(kind="http", url="http://x", expect_json={"a": {"b": 1}})),
    ("http retries -1", set_item(kind="http", url="http://x", retries=-1)),
    ("prometheus item with below and above", set_item(kind="prometheus", url="http://p", query="q", below=1, above=0)),
    ("prometheus item without threshold", set_item(kind="prometheus", url="http://p", query="q")),
    ("prometheus item without query", set_item(kind="prometheus", url="http://p", below=1)),
    ("prometheus between with one number", set_item(kind="prometheus", url="http://p", query="q", between=[1])),
    ("prometheus samples 0", set_item(kind="prometheus", url="http://p", query="q", below=1, samples=0)),
    ("prometheus bad no_data", set_item(kind="prometheus", url="http://p", query="q", below=1, no_data="skip")),
    ("wait item without duration", set_item(kind="wait")),
    ("variable with bad name", lambda d: d.update(variables=[{"name": "1X"}])),
    ("variable without name", lambda d: d.update(variables=[{"prompt": "p"}])),
    ("notify without url", lambda d: d.update(notify=[{"format": "slack"}])),
    ("notify unknown event", lambda d: d.update(notify=[{"url": "http://x", "on": ["deploy"]}])),
    ("notify bad format", lambda d: d.update(notify=[{"url": "http://x", "format": "teams"}])),
    ("notify file relative", lambda d: d.update(notify=[{"file": "checkpoints.txt"}])),
    ("notify file and url", lambda d: d.update(notify=[{"file": "/c", "url": "http://x"}])),
    ("notify file with format", lambda d: d.update(notify=[{"file": "/c", "format": "json"}])),
    ("notify file on run_completed", lambda d: d.update(notify=[{"file": "/c", "on": ["checkpoint", "run_completed"]}])),
]


def validate_dir_files(validator, folder, label):
    names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    return [(os.path.join(folder, n), label + "/" + n) for n in names]


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(argv):
    if len(argv) != 4:
        print("usage: test_schema.py SCHEMA CHECKLIST_DIR FIXTURE_DIR")
        print("0 passed, 1 failed")
        return 1
    schema_path, checklist_dir, fixture_dir = argv[1:]

    try:
        schema = load_json(schema_path)
    except (OSError, ValueError) as e:
        result(False, "load schema " + schema_path, str(e))
        print("%d passed, %d failed" % (PASSED, FAILED))
        return 1
    result(True, "load schema " + schema_path)

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        result(True, "schema conforms to the draft 2020-12 metaschema")
    except jsonschema.exceptions.SchemaError as e:
        result(False, "schema conforms to the draft 2020-12 metaschema", str(e.message))
        print("%d passed, %d failed" % (PASSED, FAILED))
        return 1

    result(schema.get("$schema") == "https://json-schema.org/draft/2020-12/schema",
           "schema declares draft 2020-12", repr(schema.get("$schema")))
    missing = missing_descriptions(schema)
    result(not missing, "every property has a description", ", ".join(missing))
    result(schema.get("additionalProperties") is not False
           and '"additionalProperties": false' not in json.dumps(schema),
           "unknown fields are not rejected")

    validator = jsonschema.Draft202012Validator(schema)

    # Bundled checklists.
    if os.path.isdir(checklist_dir):
        files = validate_dir_files(validator, checklist_dir, os.path.basename(checklist_dir.rstrip("/")))
        if not files:
            print("note: no *.json in " + checklist_dir)
        for path, name in files:
            try:
                doc = load_json(path)
            except (OSError, ValueError) as e:
                result(False, "bundled " + name, "not readable JSON: " + str(e))
                continue
            expect_valid(validator, "bundled " + name, doc)
    else:
        print("note: checklist folder %s does not exist; no bundled checklists checked" % checklist_dir)

    # In-memory checklists.
    expect_valid(validator, "minimal checklist accepted", minimal())
    expect_valid(validator, "full checklist (every field) accepted", full())
    expect_valid(validator, "unknown fields accepted (lint warns)",
                 mutated(lambda d: (d.update({"$schema": "x", "x-owner": "ops"}),
                                    item0(d).update(future_field=True))))
    expect_valid(validator, "field of another kind accepted (lint warns)",
                 mutated(lambda d: item0(d).update(url="http://x", duration="5m")))
    for name, fn in NEGATIVE:
        expect_invalid(validator, name, mutated(fn))

    # Fixtures.
    if fixture_dir and os.path.isdir(fixture_dir):
        for sub, want_valid in (("valid", True), ("schema-invalid", False)):
            folder = os.path.join(fixture_dir, sub)
            if not os.path.isdir(folder):
                continue
            for path, name in validate_dir_files(validator, folder, sub):
                try:
                    doc = load_json(path)
                except (OSError, ValueError) as e:
                    result(False, "fixture " + name, "not readable JSON: " + str(e))
                    continue
                if want_valid:
                    expect_valid(validator, "fixture " + name, doc)
                else:
                    expect_invalid(validator, "fixture " + name, doc)

    print("%d passed, %d failed" % (PASSED, FAILED))
    return 0 if FAILED == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
