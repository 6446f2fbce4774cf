#!/bin/sh
# Signing keys through the real binary: every event an engineer records is
# signed; `engineer pin` changes a PIN (old PIN, new PIN twice), refusing a
# wrong old PIN, a short or mismatched new one; afterwards the old PIN is
# useless, the new one works and every earlier signature still verifies. A
# process that had bob's key unlocked while another process changed bob's
# PIN is refused at its next record, with nothing written.
. "$(dirname "$0")/lib.sh"

export COUNTERSIGN_TEST_PIN_COST=min
DB=$(db_new keys)
mkdir fx && cp "$SRC"/tests/cli/fixtures/gates.json fx/

for e in alice bob; do
	printf 'pin-%s-1\n' "$e" | "$CS" --db "$DB" engineer add "$e" --full-name "$e Example" --pin-stdin >/dev/null
done
R=$(printf 'pin-alice-1\n' | "$CS" --db "$DB" start fx/gates.json --engineer alice --pin-stdin)
printf 'pin-alice-1\n' | "$CS" --db "$DB" check "$R" prep/build --engineer alice --pin-stdin >/dev/null
run sh -c "printf 'pin-bob-1\n' | '$CS' --db '$DB' note '$R' --engineer bob 'before the change' --pin-stdin"
expect_rc 0 "bob notes with his first PIN"

# Every engineer's event carries its actor's signature; the program's own carry none.
expect_eq "$(db_sql "$DB" "select count(*) from events where actor <> 'system' and kind not in
	('pin_failed', 'pin_locked') and (sigs = '' or sigs not like '%\"by\":\"' || actor || '\"%')")" 0 \
	"every engineer's event is signed by its actor"
[ "$(db_sql "$DB" "select count(*) from events where actor = 'system'")" -gt 0 ] && ok ||
	fail "the program recorded events of its own (the runs registered)"
expect_eq "$(db_sql "$DB" "select count(*) from events where actor = 'system' and sigs <> ''")" 0 \
	"none of them is signed"
expect_eq "$(db_sql "$DB" "select count(*) from engineers where public_key = '' or pin_hash <> ''")" 0 \
	"the engineers have keys and no PIN hash"

pin_change() {
	printf '%s\n' "$@" >"$T/pins"
	run "$CS" --db "$DB" engineer pin bob --pin-stdin <"$T/pins"
}
KEY1=$(db_sql "$DB" "select public_key from engineers where name = 'bob'")
pin_change pin-bob-9 pin-bob-2 pin-bob-2
expect_rc 2 "a wrong current PIN"
expect_in err "wrong PIN for bob" "a wrong current PIN is said"
pin_change pin-bob-1 short short
expect_rc 2 "a short new PIN"
expect_in err "too short" "a short new PIN is said"
pin_change pin-bob-1 pin-bob-2 pin-bob-3
expect_rc 2 "two new PINs that differ"
expect_in err "the two new PINs differ; the PIN was not changed" "differing PINs are said"
run "$CS" --db "$DB" engineer pin nobody --pin-stdin </dev/null
expect_rc 2 "an unknown engineer"
expect_in err "unknown engineer \"nobody\"" "an unknown engineer is said"
expect_eq "$(db_sql "$DB" "select public_key from engineers where name = 'bob'")" "$KEY1" "nothing changed yet"

pin_change pin-bob-1 pin-bob-2 pin-bob-2
expect_rc 0 "bob's PIN is changed"
expect_in out "changed the PIN of bob" "the change is said"
KEY2=$(db_sql "$DB" "select public_key from engineers where name = 'bob'")
[ -n "$KEY2" ] && [ "$KEY2" != "$KEY1" ] && ok || fail "bob has a new key"
expect_eq "$(db_sql "$DB" "select count(*) from events where chain = 'engineers' and kind = 'key_rotated'
	and target = 'bob' and sigs like '%$KEY1%' and payload like '%$KEY2%'")" 1 \
	"key_rotated is signed with the old key and carries the new one"

run sh -c "printf 'pin-bob-1\n' | '$CS' --db '$DB' note '$R' --engineer bob 'old PIN' --pin-stdin"
expect_rc 2 "the old PIN is refused"
expect_in err "wrong PIN for bob" "the old PIN is wrong now"
run sh -c "printf 'pin-bob-2\n' | '$CS' --db '$DB' note '$R' --engineer bob 'new PIN' --pin-stdin"
expect_rc 0 "the new PIN works"
expect_eq "$(db_sql "$DB" "select count(*) from events where chain = '$R' and actor = 'bob' and sigs like '%$KEY1%'")" 1 \
	"bob's note before the change stays signed with the old key"
expect_eq "$(db_sql "$DB" "select count(*) from events where chain = '$R' and actor = 'bob' and sigs like '%$KEY2%'")" 1 \
	"bob's note after the change is signed with the new key"
run "$CS" --db "$DB" verify
expect_rc 0 "every earlier signature still verifies"
expect_in out "ok: " "verify says ok"
run "$CS" --db "$DB" verify "$R"
expect_rc 0 "the run verifies alone"

# Two processes: A (a check waiting on a file) has bob's key unlocked; B
# changes bob's PIN meanwhile; A's result is refused and nothing is written.
cat >fx/slow.json <<'EOF'
{"countersign": 1, "id": "slow", "title": "Slow", "sections": [
 {"id": "s", "title": "S", "items": [
  {"id": "wait", "title": "Waits for go", "kind": "command", "run": "while [ ! -e go ]; do sleep 0.05; done; echo went"}]}]}
EOF
S=$(printf 'pin-alice-1\n' | "$CS" --db "$DB" start fx/slow.json --engineer alice --pin-stdin)
(cd fx && printf 'pin-bob-2\n' | "$CS" --db "$DB" check "$S" s/wait --engineer bob --pin-stdin >"$T/a.out" 2>"$T/a.err"
	echo $? >"$T/a.rc") &
A=$!
wait_until "[ \"\$(db_sql '$DB' \"select count(*) from events where chain = '$S' and kind = 'check_started'\")\" = 1 ]" 20 &&
	ok || fail "process A starts its check"
pin_change pin-bob-2 pin-bob-3 pin-bob-3
expect_rc 0 "process B changes bob's PIN while A waits"
N=$(db_sql "$DB" "select count(*) from events where chain = '$S'")
touch fx/go
wait $A
expect_eq "$(cat "$T/a.rc")" 1 "A's result is refused (exit 1)"
cp "$T/a.err" "$T/err"
expect_in err "the PIN of bob was changed since it was entered; enter it again" "A says why"
expect_eq "$(db_sql "$DB" "select count(*) from events where chain = '$S'")" "$N" "A wrote nothing"
expect_eq "$(db_sql "$DB" "select count(*) from events where chain = '$S' and kind = 'check_finished'")" 0 \
	"no result by the replaced key"
run "$CS" --db "$DB" verify
expect_rc 0 "the record still verifies"
expect_not_in out "unsigned" "a record signed from the start has no unsigned events"

# Key parameters beyond the bounds (a doctored row: an Argon2id of a terabyte)
# are refused before any derivation, naming verify.
DOCTORED=$(db_clone "$DB" doctored)
db_sql "$DOCTORED" "update engineers set key_mem = 1099511627776 where name = 'alice'"
run sh -c "printf 'pin-alice-1\n' | '$CS' --db '$DOCTORED' note '$R' --engineer alice 'doctored' --pin-stdin"
expect_rc 1 "a PIN check with key parameters out of bounds"
expect_in err "the key and its parameters recorded for alice are not valid" "the parameters are refused"
expect_in err "countersign verify" "and verify is named"
# An overlong salt or public key (the right value with more appended) is not
# read as its prefix: the right PIN is refused as a damaged row, not counted
# as a wrong PIN towards the lockout.
for col in key_salt public_key; do
	LONG=$(db_clone "$DB" "long_$col")
	db_sql "$LONG" "update engineers set $col = $col || 'ab' where name = 'alice'"
	run sh -c "printf 'pin-alice-1\n' | '$CS' --db '$LONG' note '$R' --engineer alice 'long' --pin-stdin"
	expect_rc 1 "a PIN check with an overlong $col"
	expect_in err "recorded for alice are not valid" "the $col is refused as damaged"
	expect_eq "$(db_sql "$LONG" "select count(*) from events where kind = 'pin_failed'")" \
		"$(db_sql "$DB" "select count(*) from events where kind = 'pin_failed'")" \
		"no wrong PIN is recorded for the overlong $col"
done

# A record from before signatures (bob has a PIN hash only): bob changes his
# PIN; the old PIN first gives him a key (key_enrolled), with which the change
# (key_rotated) is signed. verify counts the events recorded before
# signatures, per chain, instead of failing.
if sqlite_file "a version 3 record (tests/cli/fixtures/tamper-v3.sql)"; then
	DB=$T/legacy.db
	L=083k8qf9gk
	db_sql "$DB" <"$SRC/tests/cli/fixtures/tamper-v3.sql"
	pin_change pin-bob-1 pin-bob-2 pin-bob-2
	expect_rc 0 "bob changes the PIN he had before keys"
	expect_eq "$(db_sql "$DB" "select group_concat(kind || ' ' || target, ', ') from (select kind, target
		from events where chain = 'engineers' and seq > 3 order by seq)")" "key_enrolled bob, key_rotated bob" \
		"the old PIN enrolled a key, the change rotated it"
	run sh -c "printf 'pin-bob-1\n' | '$CS' --db '$DB' note '$L' --engineer bob 'old PIN' --pin-stdin"
	expect_rc 2 "bob's PIN from before keys is refused after the change"
	run sh -c "printf 'pin-bob-2\n' | '$CS' --db '$DB' note '$L' --engineer bob 'new PIN' --pin-stdin"
	expect_rc 0 "bob's new PIN works"
	run "$CS" --db "$DB" verify
	expect_rc 0 "a migrated record verifies"
	expect_eq "$(grep -c '^ok: ' "$T/out")" 1 "one ok line"
	expect_in out "run $L: 4 of 5 events unsigned (recorded before signatures)" "the run's unsigned events are counted"
	expect_in out "the engineers chain: 3 of " "the engineers chain's unsigned events are counted"
fi
finish
