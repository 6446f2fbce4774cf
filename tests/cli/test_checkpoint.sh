#!/bin/sh
# countersign checkpoint and verify --checkpoint through the real binary: the
# text names the record and each chain (registry, engineers, every open run,
# or one run), -o writes a file whole, verify --checkpoint accepts the
# record it was taken of (also from standard input, and after the record
# grew), refuses a changed checkpoint, and the options that do not combine.
. "$(dirname "$0")/lib.sh"

export COUNTERSIGN_TEST_PIN_COST=min
DB=$(db_new cp)
mkdir fx && cp "$SRC"/tests/cli/fixtures/gates.json fx/

for e in alice bob; do
	printf 'pin-%s-1\n' "$e" | "$CS" --db "$DB" engineer add "$e" --full-name "$e Example" --pin-stdin >/dev/null
done
R1=$(printf 'pin-alice-1\n' | "$CS" --db "$DB" start fx/gates.json --engineer alice --pin-stdin)
R2=$(printf 'pin-alice-1\n' | "$CS" --db "$DB" start fx/gates.json --engineer alice --pin-stdin)
printf 'pin-alice-1\n' | "$CS" --db "$DB" check "$R1" prep/build --engineer alice --pin-stdin >/dev/null
RECORD=$(db_sql "$DB" "select $(sql_json payload record) from events where chain = 'registry' and seq = 1")
HEAD1=$(db_sql "$DB" "select hash from events where chain = '$R1' order by seq desc limit 1")

run "$CS" --db "$DB" checkpoint
expect_rc 0 "checkpoint"
cp "$T/out" "$T/all.cp"
expect_eq "$(head -n 1 "$T/all.cp")" "countersign checkpoint v1" "the first line"
expect_eq "$(sed -n 2p "$T/all.cp")" "origin $(hostname) record $RECORD" "the origin line"
expect_in out "run $R1 3 $HEAD1" "the first run's size and head"
expect_in out "run $R2 1 " "the second run"
expect_eq "$(grep -c '^registry [0-9]* [0-9a-f]\{64\}$' "$T/all.cp")" 1 "the registry line"
expect_eq "$(grep -c '^engineers [0-9]* [0-9a-f]\{64\}$' "$T/all.cp")" 1 "the engineers line"
expect_eq "$(tail -n 1 "$T/all.cp" | cut -d' ' -f2)" sha256 "the checksum line"

run "$CS" --db "$DB" checkpoint "$R2"
expect_rc 0 "checkpoint RUN"
expect_eq "$(grep -c '^run ' "$T/out")" 1 "one run alone"
expect_in out "run $R2 1 " "that run"
run "$CS" --db "$DB" checkpoint nosuchrun
expect_rc 2 "an unknown run"
expect_in err "no run \"nosuchrun\"" "an unknown run is said"

# A record from before the registry chain (not yet brought up to date) has no id to name.
if sqlite_file "a version 3 database file"; then
	sqlite3 "$T/v3.db" <"$SRC/tests/cli/fixtures/tamper-v3.sql"
	for which in "" 083k8qf9gk; do
		run "$CS" --db "$T/v3.db" checkpoint $which
		expect_rc 2 "checkpoint $which of a version 3 record"
		expect_in err "cannot take a checkpoint" "checkpoint $which of a version 3 record says why"
		expect_not_in err "no run" "checkpoint $which of a version 3 record does not blame the run"
	done
fi

run "$CS" --db "$DB" checkpoint -o "$T/kept.cp"
expect_rc 0 "checkpoint -o FILE"
expect_eq "$(cat "$T/out")" "" "nothing on standard output with -o"
expect_eq "$(grep -v '^time\|^—' "$T/kept.cp")" "$(grep -v '^time\|^—' "$T/all.cp")" "the file holds the checkpoint"
run "$CS" --db "$DB" checkpoint -o "$T/kept.cp"
expect_rc 0 "an older file is replaced"
expect_eq "$(ls -a "$T" | grep -c '^\.kept\.cp\.')" 0 "no temporary file is left"
if sqlite_file "checkpoint -o naming an SQLite database file"; then
	cp "$DB" "$T/copy.db"
	run "$CS" --db "$DB" checkpoint -o "$T/copy.db"
	expect_rc 2 "never over a database"
	expect_in err "is an SQLite database" "a database is not written over"
	cmp -s "$DB" "$T/copy.db" && ok || fail "the database copy is left as it was"
fi

run "$CS" --db "$DB" verify --checkpoint "$T/all.cp"
expect_rc 0 "verify --checkpoint of the record now"
expect_in out "ok: " "verify --checkpoint says ok"
run sh -c "'$CS' --db '$DB' verify --checkpoint - <'$T/all.cp'"
expect_rc 0 "the checkpoint from standard input"

# The record grows: every chain still extends the checkpoint.
printf 'pin-alice-1\n' | "$CS" --db "$DB" check "$R1" prep/flag --engineer alice --pin-stdin >/dev/null
printf 'pin-bob-1\n' | "$CS" --db "$DB" note "$R2" --engineer bob "later" --pin-stdin >/dev/null
run "$CS" --db "$DB" verify --checkpoint "$T/all.cp"
expect_rc 0 "an older checkpoint of a record that grew"

# A changed checkpoint is refused, not misread.
sed "s/^run $R1 3 /run $R1 2 /" "$T/all.cp" >"$T/changed.cp"
run "$CS" --db "$DB" verify --checkpoint "$T/changed.cp"
expect_rc 2 "a changed checkpoint"
expect_in err "checksum" "a changed checkpoint is said"
printf 'not a checkpoint\n' >"$T/junk.cp"
run "$CS" --db "$DB" verify --checkpoint "$T/junk.cp"
expect_rc 2 "not a checkpoint"
run "$CS" --db "$DB" verify --checkpoint "$T/missing.cp"
expect_rc 3 "a checkpoint that cannot be read"
run "$CS" --db "$DB" verify "$R1" --checkpoint "$T/all.cp"
expect_rc 2 "--checkpoint with RUN"
expect_in err "--checkpoint verifies the whole record" "--checkpoint with RUN is said"

finish
