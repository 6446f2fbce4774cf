#!/bin/sh
# countersign verify through the real binary: an untouched record verifies;
# each tampering by hand (triggers dropped, on a fresh copy of the database)
# is caught and the event named; the derived run table or --anchor catches a
# run cut short.
. "$(dirname "$0")/lib.sh"

export COUNTERSIGN_TEST_PIN_COST=min
unset COUNTERSIGN_DB
BASE=$(db_new base)
mkdir fx && cp "$SRC"/tests/cli/fixtures/gates.json fx/

by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin"
	run "$CS" --db "$BASE" "$@" --engineer "$who" --pin-stdin <"$T/pin"
}

# A run with evidence, an attestation and a signature:
# 1 run_started, 2-7 check_started/check_finished of build, flag and strict
# (3 names the build output as evidence), 8 attested, 9 signed.
for e in alice bob; do
	printf 'pin-%s-1\n' "$e" | "$CS" --db "$BASE" engineer add "$e" --full-name "$e Example" --pin-stdin >/dev/null
done
by alice start fx/gates.json
R=$(cat "$T/out")
for i in build flag strict; do by alice check "$R" "prep/$i"; done
by alice attest "$R" prep/review
by bob sign "$R" prep
expect_rc 0 "the run to tamper with is recorded"
expect_eq "$(db_sql "$BASE" "select $(sql_agg kind ' ') from (select kind from events where chain = '$R' order by seq) k")" \
	"run_started check_started check_finished check_started check_finished check_started check_finished attested signed" \
	"the events of the run"

# hash_of SEQ: the hash of event SEQ of the run.
hash_of() {
	db_sql "$BASE" "select hash from events where chain = '$R' and seq = $1"
}

# fresh NAME: a copy of the base database with every guard trigger dropped
# (the one that keeps the derived run table stays: verify reports its loss
# by itself); sets DB.
fresh() {
	DB=$(db_clone "$BASE" "$1")
	db_guards_off "$DB"
}

# tampered DESC SEQ SQL: applies SQL to a fresh copy and expects verify (of
# everything, and of the run) to fail naming event SEQ.
tampered() {
	fresh "$(printf '%s' "$1" | tr -c 'a-z' '-')"
	db_sql "$DB" "$3" || fail "the SQL of $1"
	run "$CS" --db "$DB" verify
	expect_rc 1 "verify after $1"
	expect_in err "event $2" "verify after $1 names event $2"
	run "$CS" --db "$DB" verify "$R"
	expect_rc 1 "verify RUN after $1"
	expect_in err "$R: event $2" "verify RUN after $1 names the run and event $2"
}

# --- untouched ------------------------------------------------------------------
run "$CS" --db "$BASE" verify
expect_rc 0 "verify of an untouched database"
expect_in out "ok: 13 events, head " "verify counts the events of the run, the engineers and the registry (opened, the run registered)"
run "$CS" --db "$BASE" verify "$R"
expect_rc 0 "verify RUN"
expect_in out "ok: 9 events, head $(hash_of 9)" "verify RUN prints the run's head"
HEAD=$(hash_of 9)

# The triggers keep the record append-only in the first place.
DB=$(db_clone "$BASE" with_triggers)
if db_sql "$DB" "update events set payload = '{}' where chain = '$R' and seq = 8" 2>/dev/null; then
	fail "the events table refuses an update"
else
	ok
fi
if db_sql "$DB" "delete from events where chain = '$R' and seq = 9" 2>/dev/null; then
	fail "the events table refuses a delete"
else
	ok
fi
if db_sql "$DB" "update evidence set bytes = x'00'" 2>/dev/null; then
	fail "the evidence table refuses an update"
else
	ok
fi
run "$CS" --db "$DB" verify
expect_rc 0 "the refused changes left the record intact"

# --- tamperings -------------------------------------------------------------------
tampered "a changed payload" 8 \
	"update events set payload = replace(payload, '\"pass\"', '\"fail\"') where chain = '$R' and seq = 8"
tampered "a deleted event" 4 "delete from events where chain = '$R' and seq = 4"
tampered "two events swapped" 2 \
	"create temp table old as select seq, payload from events where chain = '$R' and seq in (2, 4);
	 update events set payload = (select payload from old where old.seq = 6 - events.seq)
	 where chain = '$R' and seq in (2, 4)"
payload_of() {
	db_sql "$1" "select payload from events where chain = '$R' and seq = $2"
}
[ "$(payload_of "$DB" 2)" = "$(payload_of "$BASE" 4)" ] && [ "$(payload_of "$DB" 4)" = "$(payload_of "$BASE" 2)" ] &&
	[ "$(payload_of "$BASE" 2)" != "$(payload_of "$BASE" 4)" ] && ok || fail "events 2 and 4 swapped their payloads"
ev=$(db_sql "$BASE" "select $(sql_json payload evidence) from events where chain = '$R' and seq = 3")
[ -n "$ev" ] && ok || fail "event 3 names its evidence"
if [ "$ENGINE" = sqlite ]; then
	bytes="cast('building for production' || char(10) as blob)"
else
	bytes="convert_to('building for production' || chr(10), 'UTF8')"
fi
tampered "changed evidence bytes" 3 "update evidence set bytes = $bytes where sha256 = '$ev'"
tampered "a changed actor" 9 "update events set actor = 'alice' where chain = '$R' and seq = 9"
tampered "a moved attestation" 8 "update events set target = 'prep/strict' where chain = '$R' and seq = 8"

# --- a run cut short at its tail ------------------------------------------------
fresh truncated
db_sql "$DB" "delete from events where chain = '$R' and seq >= 8"
run "$CS" --db "$DB" verify
expect_rc 1 "plain verify sees a run cut short: the derived run table remembers its end"
expect_in err "the derived run table disagrees with the chain of run $R: it counts 9 events (the last 9), the chain has 7" \
	"the cut is named"
run "$CS" --db "$DB" verify "$R"
expect_rc 1 "so does verify RUN"
# Cut by someone who also makes the derived table agree: only an anchor tells.
db_sql "$DB" "update run_index set last_seq = 7, events = 7,
	head = (select hash from events where chain = '$R' and seq = 7),
	last_us = (select time_us from events where chain = '$R' and seq = 7) where run = '$R';
	delete from run_actors where run = '$R' and actor = 'bob'"
run "$CS" --db "$DB" verify
expect_rc 0 "plain verify cannot see a cut hidden in the derived table too"
run "$CS" --db "$DB" verify "$R"
expect_rc 0 "plain verify RUN cannot either"
run "$CS" --db "$DB" verify "$R" --anchor "$HEAD"
expect_rc 1 "verify with the old head as anchor catches the cut"
expect_in err "anchor" "the failure names the anchor"
run "$CS" --db "$DB" verify "$R" --anchor "$(hash_of 7)"
expect_rc 0 "an anchor still in the chain verifies"
run "$CS" --db "$BASE" verify "$R" --anchor "$HEAD"
expect_rc 0 "the untouched run verifies against its head"
run "$CS" --db "$BASE" verify "$R" --anchor "$(hash_of 3)"
expect_rc 0 "the untouched run verifies against an earlier hash"
run "$CS" --db "$BASE" verify --anchor "$HEAD"
expect_rc 0 "--anchor without a run: the anchor is in some chain"
run "$CS" --db "$DB" verify --anchor "$HEAD"
expect_rc 1 "--anchor without a run catches the run cut short too"
run "$CS" --db "$BASE" verify "$R" --anchor not-a-hash
expect_rc 2 "an anchor that is not a hash is invalid input"
expect_in err "not a SHA-256" "the bad anchor message"

finish
