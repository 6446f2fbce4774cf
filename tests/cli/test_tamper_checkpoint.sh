#!/bin/sh
# Checkpoints kept outside the database against someone who can write it:
# `countersign checkpoint` prints the record's id and every chain's size and
# head; `verify --checkpoint FILE` passes on the same record grown since,
# and fails on a run cut short (the derived run table made to agree), a
# chain rewritten with its hashes recomputed, the engineers chain's wrong
# PINs rewritten or cut off, and a whole run removed with the registry
# chain rewritten to match, which plain verify cannot see. A changed
# checkpoint, or one of another record, is refused.
. "$(dirname "$0")/lib.sh"

BASE=$(db_new base)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$BASE"
TAMPER=tamper
mkdir fx && cp "$SRC"/tests/cli/fixtures/gates.json fx/

by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin"
}
fresh() {
	DB=$(db_clone "$BASE" "$1")
	$TAMPER "$DB" guards-off
}
# against DESC CP WORD...: verify --checkpoint CP fails naming each WORD.
against() {
	desc=$1
	cp=$2
	shift 2
	run "$CS" --db "$DB" verify --checkpoint "$cp"
	expect_rc 1 "verify --checkpoint after $desc"
	for word in "$@"; do
		expect_in err "$word" "verify --checkpoint after $desc names '$word'"
	done
}
# plain DESC: verify without a checkpoint passes (what it cannot see).
plain() {
	run "$CS" --db "$DB" verify
	expect_rc 0 "plain verify cannot see $1"
}
events_of() {
	db_sql "$BASE" "select count(*) from events where chain = '$1'"
}

for e in alice bob; do
	printf 'pin-%s-1\n' "$e" | "$CS" engineer add "$e" --full-name "$e Example" --pin-stdin >/dev/null
done
# R: open, 9 events. R2: aborted.
by alice start fx/gates.json
R=$(cat "$T/out")
for i in build flag strict; do by alice check "$R" "prep/$i"; done
by alice attest "$R" prep/review
by bob sign "$R" prep
by alice start fx/gates.json
R2=$(cat "$T/out")
by bob note "$R2" "a run someone wants forgotten"
by alice abort "$R2" --reason "not today"
expect_rc 0 "the runs are recorded"
# Two wrong PINs: unsigned pin_failed events at the engineers chain's end.
for i in 1 2; do
	printf 'not-the-pin\n' | "$CS" note "$R" "guess $i" --engineer bob --pin-stdin >/dev/null 2>&1
done
expect_eq "$(db_sql "$BASE" "select $(sql_agg kind ' ') from (select kind from events
	where chain = 'engineers' order by seq desc limit 2) k")" "pin_failed pin_failed" \
	"the engineers chain ends with the wrong PINs"

CP=$T/checkpoint.txt
run "$CS" checkpoint
expect_rc 0 "countersign checkpoint"
cp "$T/out" "$CP"
expect_eq "$(head -n 1 "$CP")" "countersign checkpoint v1" "the checkpoint's first line"
expect_in out "engineers $(events_of engineers) " "it gives the engineers chain's size"
expect_in out "run $R $(events_of "$R") $(db_sql "$BASE" "select hash from events where chain = '$R' order by seq desc limit 1")" \
	"and the open run's size and head"
expect_in out "registry " "and the registry chain's"
expect_not_in out "run $R2 " "an ended run is covered by the registry, not listed"
grep -q '^— sha256 [0-9a-f]\{64\}$' "$CP" && ok || fail "it ends with its checksum line"
run "$CS" checkpoint "$R" -o "$T/run-checkpoint.txt"
expect_rc 0 "checkpoint RUN -o FILE"
grep -q "^run $R " "$T/run-checkpoint.txt" && ok || fail "checkpoint RUN names the run"

run "$CS" verify --checkpoint "$CP"
expect_rc 0 "the untouched record verifies against its checkpoint"
run "$CS" verify --checkpoint - <"$CP"
expect_rc 0 "the checkpoint read from standard input"
# The record grows; the checkpoint still holds.
by bob note "$R" "after the checkpoint"
expect_rc 0 "a note after the checkpoint"
run "$CS" verify --checkpoint "$CP"
expect_rc 0 "a record grown since still extends its checkpoint"
run "$CS" verify --checkpoint "$T/run-checkpoint.txt"
expect_rc 0 "and its run checkpoint"

# --- a run cut short ------------------------------------------------------------------
fresh truncated
$TAMPER "$DB" truncate "$R" 6
plain "a run cut short whose derived row was made to agree"
against "run $R was cut to 6 events" "$CP" "$R" "removed"
against "run $R was cut to 6 events (run checkpoint)" "$T/run-checkpoint.txt" "$R" "removed"

# --- a chain rewritten and re-hashed ------------------------------------------------
fresh rewritten
$TAMPER "$DB" rewrite "$R" 4 "$(db_sql "$BASE" "select payload from events where chain = '$R' and seq = 4" |
	sed 's/"flag-fail"/"flag-failx"/; s/test ! -e/test -n/')"
against "run $R was rewritten from event 4" "$CP" "$R" "rewritten"

# --- the wrong PINs rewritten away, or cut off ----------------------------------------
fresh pins-rewritten
N=$(events_of engineers)
$TAMPER "$DB" rewrite engineers "$N" '{"command":"status"}'
plain "an unsigned event of the engineers chain rewritten"
against "the engineers chain's last wrong PIN was rewritten" "$CP" "engineers" "rewritten"
fresh pins-cut
$TAMPER "$DB" truncate engineers "$((N - 2))"
plain "the engineers chain's unsigned tail cut off"
against "the engineers chain's wrong PINs were removed" "$CP" "engineers" "removed"

# --- a whole run removed, and the registry rewritten to forget it ----------------------
fresh forgotten
$TAMPER "$DB" delete-run "$R2"
run "$CS" --db "$DB" verify
expect_rc 1 "plain verify sees a removed run while the registry remembers it"
$TAMPER "$DB" unregister "$R2"
plain "a run removed with the registry rewritten"
against "run $R2 was removed and the registry rewritten" "$CP" "registry"

# --- a head that is not a hash ---------------------------------------------------------------
# A doctored last event of a chain: checkpoint and export say what is wrong
# instead of aborting on an assertion (exit 134).
for chain in engineers registry "$R"; do
	fresh "bad-head-$chain"
	db_sql "$DB" "update events set hash = 'not a hash' where chain = '$chain'
		and seq = (select max(seq) from events where chain = '$chain')"
	run "$CS" --db "$DB" checkpoint
	[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && ok || fail "checkpoint with the $chain chain's head doctored fails cleanly"
	run "$CS" --db "$DB" export "$R" --format md
	[ "$rc" -lt 128 ] && ok || fail "export with the $chain chain's head doctored does not abort"
done

# --- the checkpoint itself ------------------------------------------------------------------
sed "s/^engineers [0-9]*/engineers 1/" "$CP" >"$T/changed.txt"
run "$CS" verify --checkpoint "$T/changed.txt"
[ "$rc" -ne 0 ] && ok || fail "a changed checkpoint is refused"
expect_in err "checksum" "and its checksum named"
OTHER=$(db_new other)
"$CS" --db "$OTHER" engineer add carol --full-name Carol --pin-stdin <"$T/pin" >/dev/null 2>&1
run "$CS" --db "$OTHER" verify --checkpoint "$CP"
expect_rc 1 "a checkpoint of another record fails"
expect_in err "another record" "and says so"
run "$CS" verify --checkpoint "$T/missing.txt"
[ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && ok || fail "a missing checkpoint file is an error, not a verdict"

finish
