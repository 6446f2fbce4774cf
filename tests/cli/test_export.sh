#!/bin/sh
# export of the shared finished run (report_fixture.sh): the JSON read with
# Python's json module and validated against data/report.schema.json, the
# Markdown against an expected file (run id, times, durations, hashes, OS
# user, host and tty normalised), the secret's value in no format, the head
# hash a report prints as a verify anchor (passes untouched, fails once the
# run's tail is cut), a tampered record, usage errors, and -o written whole
# or not at all; the record's checkpoint each report carries (the same in
# every format, accepted by verify --checkpoint, refused once the run's tail is
# cut). test_export_live.sh: runs in progress.
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/cli/report_fixture.sh"

PY=/usr/bin/python3
SCHEMA=$SRC/data/report.schema.json
DB=$(db_new cs)
R=$(report_fixture_run "$DB") || exit 1
export COUNTERSIGN_DB="$DB" COUNTERSIGN_TEST_PIN_COST=min

# py SCRIPT ARGS...: a Python check that prints "ok" on success.
py() {
	script=$1
	shift
	"$PY" -c "$script" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# --- it only reads --------------------------------------------------------------
before=$(db_digest "$DB")
for f in md json html junit; do
	run "$CS" export "$R" --format "$f"
	expect_rc 0 "export --format $f to standard output"
	cp "$T/out" "$T/report.$f"
	expect_not_in out "$REPORT_SECRET" "the secret's value is not in the $f report"
	# no terminal control byte (ESC, BEL, CR...) in any report
	if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$T/report.$f"; then
		fail "the $f report holds a control byte"
	else
		ok
	fi
done
expect_eq "$(db_digest "$DB")" "$before" "export does not change the database"
expect_eq "$(db_sql "$DB" "select count(*) from events where payload like '%$REPORT_SECRET%'")" 0 \
	"the record itself never held the secret"

# --- JSON: parsed, validated, and what it says ----------------------------------
py '
import json, sys, jsonschema
d = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator(json.load(open(sys.argv[2]))).validate(d)
print("ok")' "$T/report.json" "$SCHEMA"
expect_rc 0 "the JSON report parses and validates against data/report.schema.json"
expect_in out ok "the schema check ran"

# jq-like: fact EXPR WANT DESC, EXPR evaluated with d the report
fact() {
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
sec = {s["id"]: s for s in d["sections"]}
item = lambda s, i: next(x for x in sec[s]["items"] if x["id"] == i)
print(eval(sys.argv[2]))' "$T/report.json" "$1" >"$T/fact" 2>&1
	expect_eq "$(cat "$T/fact")" "$2" "$3"
}
fact 'd["run"]["id"]' "$R" "the run id"
fact 'd["run"]["state"], d["run"]["ended"] is not None' "('completed', True)" "a completed run has an end"
fact '[(v["name"], v["value"], v["secret"]) for v in d["run"]["variables"]]' \
	"[('ENVNAME', 'staging', False), ('API_TOKEN', '***', True)]" "variables, the secret as ***"
fact '[s["gate"] for s in d["sections"]]' "['passed', 'FORCED', 'not chosen', 'passed', 'ungated']" \
	"each section's gate result"
fact 'item("prep", "lint")["verdict"], item("prep", "lint")["checked"], item("prep", "lint")["exit_status"]' \
	"('waived', 'fail', 3)" "the waived item: what it waived and the exit status of the failed check"
fact 'item("prep", "lint")["message"], item("prep", "lint")["by"]' "('warnings only | fixed in 1.5', 'carol')" \
	"the waiver's reason and who waived it"
fact 'item("prep", "build")["attempts"], item("prep", "build")["output"]["excerpt"]' \
	"(2, 'compiling for staging\\nlinking with token ***\\nbuild ok')" "attempts and the output excerpt (secret redacted)"
fact 'item("prep", "review")["kind"], item("prep", "review")["message"], item("prep", "review")["exit_status"]' \
	"('manual', 'diff read twice', None)" "a manual item: its note, no exit status"
fact '[(s["engineer"], s["full_name"], s["meaning"], s["stale"], s["superseded"]) for s in sec["prep"]["signatures"]]' \
	"[('bob', 'Bob Example', 'rejected', True, False), ('alice', 'Alice Example', 'approved', True, False), ('alice', 'Alice Example', 'approved', False, False), ('bob', 'Bob Example', 'approved', False, False)]" \
	"signatures with full names, the rejection and alice's first approval stale"
fact '[(s["counted"], s["roles"]) for s in sec["prep"]["signatures"]]' \
	"[(False, []), (False, []), (True, []), (True, [])]" "the two current approvals count; nobody holds a role"
fact 'sec["prep"]["policy"]["text"], sec["prep"]["policy"]["meaning"], sec["rollback"]["policy"]' \
	"('needs 2 approvals', 'approved', None)" "each gated section's policy; none for the ungated one"
fact 'sec["prep"]["signatures"][0]["comment"]' "lint failed:
waive it or fix it" "a comment keeps its newline"
fact '[(r["section"], r["engineer"], r["stale"]) for r in d["rejections"]]' "[('prep', 'bob', True)]" "the rejection"
fact '[(w["target"], w["engineer"], w["reason"]) for w in d["waivers"]]' \
	"[('prep/lint', 'carol', 'warnings only | fixed in 1.5')]" "the waiver"
fact '[(o["section"], o["engineers"], o["incident"]) for o in d["overrides"]]' \
	"[('canary', ['alice', 'bob'], 'INC-4711')]" "the override with both engineers"
fact '[(n["target"], n["engineer"], n["text"]) for n in d["notes"]]' \
	"[('canary', 'alice', 'error rate flat after the shift')]" "the note"
fact '[(p["engineer"], p["command"], p["lockout"]) for p in d["pin_failures"]]' "[('carol', 'note', False)]" \
	"the wrong PIN"
fact 'sec["prep"]["same_origin_warning"] is not None, sec["post"]["same_origin_warning"]' "(True, None)" \
	"the same-OS-user-and-tty warning where two approvals share both, not where one engineer signed"
fact 'sec["prep"]["signatures"][0]["os_user"] == sec["prep"]["signatures"][3]["os_user"] != ""' True \
	"signatures carry their OS user"
fact 'd["audit"]["events"], d["audit"]["verified"]' \
	"($(db_sql "$DB" "select count(*) from events where chain = '$R'"), True)" "the anchor counts the run's events"
fact 'd["audit"]["head"]' "$(db_sql "$DB" "select hash from events where chain = '$R' order by seq desc limit 1")" \
	"the anchor is the run's head"

# --- Markdown against the expected file -----------------------------------------
# normalise_report_md.py: the run id, times, durations, hashes, the version
# and the OS user, host and tty replaced by words
"$PY" "$SRC/tests/cli/normalise_report_md.py" "$T/report.md" "$T/report.json" >"$T/report.md.norm"
if diff -u "$SRC/tests/cli/fixtures/report-expected.md" "$T/report.md.norm" >"$T/md.diff"; then
	ok
else
	rc=1
	fail "the Markdown report differs from tests/cli/fixtures/report-expected.md"
	head -c 6000 "$T/md.diff" >&2
fi
cp "$T/report.md" "$T/out"
expect_in out "| \`canary\` Canary | Deployment | **FORCED** |" "Markdown: FORCED in the sections table"
expect_in out "**STALE**" "Markdown: stale signatures marked"
expect_in out "**WAIVED** (was fail)" "Markdown: the waiver marked"
expect_in out "Release 1.4 \\| staging" "Markdown: a | in a cell is escaped"
expect_in out "lint failed:<br>waive it or fix it" "Markdown: a newline in a cell is a <br>"

# --- the head a report prints is an anchor ---------------------------------------
HEAD=$(sed -n 's/^| Head hash | `\([0-9a-f]*\)` |$/\1/p' "$T/report.md")
expect_eq "${#HEAD}" 64 "the Markdown report prints the head hash"
expect_in out "countersign verify $R --anchor $HEAD" "and the command that checks it"
run "$CS" verify "$R" --anchor "$HEAD"
expect_rc 0 "verify RUN --anchor HEAD-from-the-report passes on the untouched database"
CUT=$(db_clone "$DB" cut)
db_guards_off "$CUT"
db_sql "$CUT" "delete from events where chain = '$R' and seq >= (select max(seq) - 1 from events where chain = '$R')"
run "$CS" --db "$CUT" verify "$R" --anchor "$HEAD"
expect_rc 1 "verify RUN --anchor HEAD fails once the run's tail is cut"

# --- the record's checkpoint, in every format --------------------------------------
"$PY" -c 'import json, sys; sys.stdout.write(json.load(open(sys.argv[1]))["audit"]["checkpoint"])' \
	"$T/report.json" >"$T/checkpoint.json.txt"
cp "$T/checkpoint.json.txt" "$T/out"
expect_in out "countersign checkpoint v1" "the JSON report carries the checkpoint"
expect_in out "run $R $(db_sql "$DB" "select count(*) from events where chain = '$R'") $HEAD" \
	"its run line: the run's events and head, as the anchor says"
expect_in out "registry " "its registry line"
expect_in out "engineers " "its engineers line"
# the Markdown block, from its first line to the checksum line: the same
# checkpoint but for the time it was taken (another export)
sed -n '/^countersign checkpoint v1$/,/^— sha256 /p' "$T/report.md" >"$T/checkpoint.md.txt"
expect_eq "$(grep -v '^time \|^— ' "$T/checkpoint.md.txt")" "$(grep -v '^time \|^— ' "$T/checkpoint.json.txt")" \
	"the Markdown report prints the same checkpoint"
run "$CS" verify --checkpoint "$T/checkpoint.md.txt"
expect_rc 0 "verify --checkpoint accepts the checkpoint copied from the Markdown report"
run "$CS" verify --checkpoint "$T/checkpoint.json.txt"
expect_rc 0 "verify --checkpoint accepts the checkpoint of the JSON report"
run "$CS" --db "$CUT" verify --checkpoint "$T/checkpoint.json.txt"
expect_rc 1 "verify --checkpoint refuses the record once the run's tail is cut"

# --- a tampered record: the report is written and says so, exit 1 -----------------
TAMPERED=$(db_clone "$DB" tampered)
db_guards_off "$TAMPERED"
db_sql "$TAMPERED" "update events set actor = 'mallory' where chain = '$R' and seq = 6"
run "$CS" --db "$TAMPERED" export "$R" --format md
expect_rc 1 "export of a record that does not verify exits 1"
expect_in out "**DOES NOT VERIFY**" "and the report says so"
expect_in err "does not verify" "stderr says so too"
expect_not_in out "countersign checkpoint v1" "and carries no checkpoint to keep"
run "$CS" --db "$TAMPERED" export "$R" --format json
"$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["audit"]["checkpoint"])' "$T/out" >"$T/fact" 2>&1
expect_eq "$(cat "$T/fact")" None "the JSON report's checkpoint is null"

# --- usage -----------------------------------------------------------------------
run "$CS" export --format md
expect_rc 2 "no run"
expect_in err "which run?" "no run: the message"
run "$CS" export nosuchrun --format md
expect_rc 2 "an unknown run"
expect_in err 'no run "nosuchrun"' "the unknown run is named"
run "$CS" export "$R"
expect_rc 2 "no --format"
expect_in err "--format is needed" "no --format: the message"
run "$CS" export "$R" --format pdf
expect_rc 2 "an unknown format"
expect_in err 'unknown format "pdf"' "the unknown format is named"
run "$CS" export "$R" --format md --format json
expect_rc 2 "--format twice"
run "$CS" export "$R" --format md --reason x
expect_rc 2 "an option export does not take"
if sqlite_file "export of a missing database file"; then
	run "$CS" --db "$T/none.db" export "$R" --format md
	expect_rc 3 "a missing database"
	expect_eq "$(ls "$T/none.db" 2>/dev/null)" "" "export creates no database"
else
	run "$CS" --db "postgresql://countersign@/none?host=$(pg_host)" export "$R" --format md
	expect_rc 3 "a database that does not exist"
fi
run "$CS" help export
expect_in out "-o, --output F" "help export"

# --- -o: whole or not at all ------------------------------------------------------
run "$CS" export "$R" --format json -o "$T/r.json"
expect_rc 0 "export -o FILE"
expect_eq "$(wc -c <"$T/out")" 0 "nothing on stdout with -o"
expect_eq "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["id"])' "$T/r.json")" "$R" \
	"the file holds the report"
run "$CS" export "$R" --format md -o -
expect_rc 0 "-o - is standard output"
expect_in out "## Audit anchor" "-o -: the report on stdout"
mkdir "$T/reports"
printf 'the old report\n' >"$T/reports/old.md"
# a write that fails half-way (the file size limit; SIGXFSZ ignored, so the
# write returns EFBIG): exit 3, the old report untouched, no temporary file
(trap '' XFSZ; ulimit -f 1; "$CS" export "$R" --format md -o "$T/reports/old.md" >"$T/out" 2>"$T/err")
rc=$?
expect_rc 3 "a write that fails half-way exits 3"
expect_in err "cannot write $T/reports/old.md" "the message names the path"
expect_eq "$(cat "$T/reports/old.md")" "the old report" "the old report is untouched"
expect_eq "$(ls -A "$T/reports")" "old.md" "no temporary file is left"
run "$CS" export "$R" --format md -o "$T/no/such/folder/r.md"
expect_rc 3 "a folder that does not exist"
expect_in err "cannot write $T/no/such/folder/r.md" "the message names the path"
if [ "$(id -u)" -ne 0 ]; then
	chmod 555 "$T/reports"
	run "$CS" export "$R" --format md -o "$T/reports/old.md"
	expect_rc 3 "an unwritable folder"
	expect_in err "cannot write $T/reports/old.md" "the message names the path"
	expect_eq "$(cat "$T/reports/old.md")" "the old report" "the old report is untouched"
	chmod 755 "$T/reports"
else
	# root writes any folder: one no one can create files in
	run "$CS" export "$R" --format md -o /proc/countersign-report.md
	expect_rc 3 "an unwritable folder (as root: /proc)"
	expect_in err "cannot write /proc/countersign-report.md" "the message names the path"
fi
run "$CS" export "$R" --format md -o "$T/reports/old.md"
expect_rc 0 "the same export succeeds when it can be written"
expect_eq "$(cat "$T/err")" "" "no message"
cp "$T/reports/old.md" "$T/out"
expect_in out "## Audit anchor" "the old report was replaced whole"
finish
