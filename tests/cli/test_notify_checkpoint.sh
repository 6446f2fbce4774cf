#!/bin/sh
# A notify entry with "file": the command that completes a run appends the
# record's checkpoint to the file (one checkpoint per completed run, an empty
# line after each), and verify --checkpoint accepts what was appended; a file
# that cannot be written is reported and recorded as notify_failed (naming
# the file) without failing the command; a run that ends aborted appends
# nothing. The checkpoint's run line is the run's chain as it completed.
. "$(dirname "$0")/lib.sh"

DB=$(db_new cs)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
KEPT=$T/kept/checkpoints.txt
BROKEN=$T/no-such-dir/checkpoints.txt
mkdir -p "$T/kept"
cat >"$T/cp.json" <<JSON
{
  "countersign": 1,
  "id": "cp-notify",
  "title": "Checkpoints kept in a file",
  "notify": [
    {"file": "$KEPT"},
    {"file": "$BROKEN", "on": ["checkpoint"]}
  ],
  "sections": [
    {"id": "only", "title": "Only", "items": [{"id": "ok", "title": "OK", "kind": "command", "run": "true"}]}
  ]
}
JSON
run "$CS" lint "$T/cp.json"
expect_rc 0 "a checklist with file entries lints"

for e in alice bob; do
	printf 'pin-%s-1\n' "$e" | "$CS" engineer add "$e" --full-name "$e Example" --pin-stdin >/dev/null
done
# run_to_sign: a run whose gate only waits for bob's signature; prints its id
run_to_sign() {
	r=$(printf 'pin-alice-1\n' | "$CS" start "$T/cp.json" --engineer alice --pin-stdin) || return 1
	printf 'pin-alice-1\n' | "$CS" check "$r" only/ok --engineer alice --pin-stdin >/dev/null || return 1
	printf 'pin-alice-1\n' | "$CS" sign "$r" only --engineer alice --pin-stdin >/dev/null || return 1
	printf '%s\n' "$r"
}
R1=$(run_to_sign)
expect_eq "$(test -e "$KEPT" && echo there)" "" "nothing is appended before the run completes"

run sh -c "printf 'pin-bob-1\n' | '$CS' sign '$R1' only --engineer bob --pin-stdin"
expect_rc 0 "the signature that completes the run succeeds, though one file cannot be written"
expect_in err "$BROKEN" "the file that could not be written is named"
expect_eq "$(db_sql "$DB" "select state from run_index where run = '$R1'")" completed "the run completed"

cp "$KEPT" "$T/out"
expect_eq "$(grep -c '^countersign checkpoint v1$' "$KEPT")" 1 "one checkpoint appended"
done_line=$(db_sql "$DB" "select seq || ' ' || hash from events where chain = '$R1' and kind = 'run_completed'")
expect_in out "run $R1 $done_line" "its run line is the run's chain as it completed"
expect_in out "registry " "it names the registry chain"
expect_in out "engineers " "it names the engineers chain"
expect_eq "$(tail -c 2 "$KEPT" | od -An -c | tr -d ' ')" '\n\n' "an empty line follows it"
run "$CS" verify --checkpoint "$KEPT"
expect_rc 0 "verify --checkpoint accepts the appended checkpoint"

failed_row=$(db_sql "$DB" "select $(sql_json payload event) || ' ' || $(sql_json payload file)
	from events where chain = '$R1' and kind = 'notify_failed'")
expect_eq "$failed_row" "checkpoint $BROKEN" "the failed write is recorded as notify_failed naming the file"
run "$CS" verify
expect_rc 0 "the record verifies with the failure recorded"

# A second completed run appends a second checkpoint after the first.
R2=$(run_to_sign)
printf 'pin-bob-1\n' | "$CS" sign "$R2" only --engineer bob --pin-stdin >/dev/null 2>&1
expect_eq "$(grep -c '^countersign checkpoint v1$' "$KEPT")" 2 "a second run appends a second checkpoint"
awk -v n=2 '/^countersign checkpoint v1$/ { k++ } k == n' "$KEPT" >"$T/second.cp"
cp "$T/second.cp" "$T/out"
expect_in out "run $R2 " "the second names the second run"
run "$CS" verify --checkpoint "$T/second.cp"
expect_rc 0 "verify --checkpoint accepts the second"
run "$CS" verify --checkpoint "$KEPT"
expect_rc 0 "verify --checkpoint checks the whole file, both checkpoints"
# The first of the two changed: the file is refused, naming it.
awk '/^run / && !done { sub(/ [0-9]+ /, " 1 "); done = 1 } { print }' "$KEPT" >"$T/changed.cp"
run "$CS" verify --checkpoint "$T/changed.cp"
expect_rc 2 "a file with a changed checkpoint is refused"
expect_in err "checkpoint 1 of 2 (line 1)" "naming which one"

# An aborted run appends nothing.
R3=$(printf 'pin-alice-1\n' | "$CS" start "$T/cp.json" --engineer alice --pin-stdin)
printf 'pin-alice-1\n' | "$CS" abort "$R3" --engineer alice --reason "not today" --pin-stdin >/dev/null 2>&1
expect_eq "$(db_sql "$DB" "select state from run_index where run = '$R3'")" aborted "the third run was aborted"
expect_eq "$(grep -c '^countersign checkpoint v1$' "$KEPT")" 2 "an aborted run appends no checkpoint"

finish
