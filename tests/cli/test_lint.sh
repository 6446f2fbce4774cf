#!/bin/sh
# countersign lint, --help and --version, through the real binary.
. "$(dirname "$0")/lib.sh"

run "$CS" --version
expect_rc 0 "--version"
expect_in out "countersign 0." "--version prints the version"

run "$CS" --help
expect_rc 0 "--help"
expect_in out "usage: countersign" "--help has usage"
expect_in out "lint" "--help lists lint"

run "$CS" help lint
expect_rc 0 "help lint"
expect_in out "--outline" "help lint explains --outline"

run "$CS" lint --help
expect_rc 0 "lint --help"

run "$CS" frobnicate
expect_rc 2 "unknown command"
expect_in err "countersign: frobnicate: unknown command" "unknown command message"

run "$CS" lint
expect_rc 2 "lint without files"
expect_in err "no file given" "lint without files says so"

run "$CS" lint --bogus x.json
expect_rc 2 "lint with a bad option"

run "$CS" lint "$SRC/checklists/noa-server-deploy.json" "$SRC/checklists/countersign-release.json"
expect_rc 0 "bundled checklists lint clean"
expect_in out "noa-server-deploy.json: ok" "NOA summary"
expect_in out "countersign-release.json: ok" "release summary"
expect_not_in err "error:" "no errors in bundled checklists"

run "$CS" lint --outline "$SRC/checklists/noa-server-deploy.json"
expect_rc 0 "outline"
expect_in out "Pre-Deployment" "outline shows phases"
expect_in out "alternative of \"strategy\"" "outline shows the choice group"
expect_in out "always open, no gate" "outline shows rollback sections"

run "$CS" lint missing.json
expect_rc 2 "missing file"
expect_in err "missing.json: error: cannot open the file: No such file or directory (check the path)" "missing file message"

printf '{"countersign": 1, "id": "x", "title": "X", "sections": [{"id": "a", "title": "A", "items": [{"id": "i", "title": "I", "kind": "wait", "duration": "5 minutes"}]}]}\n' > bad.json
run "$CS" lint bad.json
expect_rc 2 "bad duration"
expect_in err "bad.json:1:148: error: \"5 minutes\" is not a duration" "bad duration at its column"
expect_in err "(at sections[0].items[0].duration)" "bad duration names the JSON path"
expect_in out "bad.json: 1 error, 0 warnings" "summary counts errors"

printf '{"countersign": 1, "id": "x", "title": "X", "extra": true, "sections": [{"id": "a", "title": "A"}]}\n' > warn.json
run "$CS" lint warn.json
expect_rc 0 "warnings only"
expect_in err "warn.json:1:45: warning: unknown field \"extra\" (ignored)" "unknown field warning"

run "$CS" lint warn.json bad.json
expect_rc 2 "any error makes the status 2"

finish
