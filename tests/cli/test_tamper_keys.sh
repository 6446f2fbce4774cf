#!/bin/sh
# Signatures against someone who can write the database file but knows no
# PIN (tests/cli/tamper.py does what they would, with Python's standard
# library and libsodium): bob's key columns replaced by carol's, so that
# carol's PIN works as bob's, are caught by verify naming the engineers
# table, also once the columns are put back; a `signed` event appended with
# a correct hash and no signature, or bob's signature of another event,
# fails verify; so do bob's sign-off rewritten from approved to rejected with
# every hash after it recomputed, a signature stripped, a key rotation bob
# never signed, and a sign-off, override, waiver, passing check, interruption
# of a finished check or completion with a gate closed recorded as "system"
# (which signs nothing), or an event of a run appended to the engineers
# chain. Against alice, who also knows her PIN: an override naming her alone
# or twice, naming bob beside her without his signature, or answering bob's
# request for another section, fails verify. A
# PIN change keeps every earlier signature valid, the old PIN is refused
# afterwards, and the old key, derived from the leaked old PIN, signs nothing
# appended after the change whatever time it claims.
. "$(dirname "$0")/lib.sh"

BASE=$(db_new base)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$BASE"
TAMPER=tamper
mkdir fx && cp "$SRC"/tests/cli/fixtures/gates.json fx/

# by NAME [--db FILE] ARGS...: ARGS as NAME with NAME's PIN (pin-NAME-1).
by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin"
}
# fresh NAME: a copy of the base database with every guard trigger
# dropped, as an attacker would first; sets DB.
fresh() {
	DB=$(db_clone "$BASE" "$1")
	$TAMPER "$DB" guards-off
}
# caught DESC WORD...: verify (all, and of the run) fails, naming each WORD.
caught() {
	desc=$1
	shift
	for what in "" "$R"; do
		# shellcheck disable=SC2086
		run "$CS" --db "$DB" verify $what
		expect_rc 1 "verify ${what:+RUN }after $desc"
		for word in "$@"; do
			expect_in err "$word" "verify ${what:+RUN }after $desc names '$word'"
		done
	done
}

# 1 run_started, 2-7 the checks of build, flag and strict, 8 attested, 9
# bob's sign-off of prep.
for e in alice bob carol; do
	printf 'pin-%s-1\n' "$e" | "$CS" engineer add "$e" --full-name "$e Example" --pin-stdin >/dev/null
done
by alice start fx/gates.json
R=$(cat "$T/out")
for i in build flag strict; do by alice check "$R" "prep/$i"; done
by alice attest "$R" prep/review
by bob sign "$R" prep
expect_rc 0 "the run to tamper with is recorded"
expect_eq "$(db_sql "$BASE" "select kind || ' ' || actor from events where chain = '$R' and seq = 9")" \
	"signed bob" "event 9 is bob's sign-off"
run "$CS" verify
expect_rc 0 "the untouched record verifies"
SIGS=$($TAMPER "$BASE" sigs-of "$R" 9)
case $SIGS in
*'"by":"bob"'*) ok ;;
*) fail "bob's sign-off carries bob's signature (got '$SIGS')" ;;
esac
SIGNED=$(db_sql "$BASE" "select payload from events where chain = '$R' and seq = 9")

# --- bob's key columns (and PIN hash) replaced by carol's ------------------------
fresh swap
$TAMPER "$DB" swap-engineer bob carol
run "$CS" --db "$DB" verify
expect_rc 1 "verify after bob's key columns were replaced by carol's"
expect_in err "engineers" "and names the engineers table or chain"
expect_in err "bob" "and bob"
# carol, with her own PIN, as bob: either refused, or caught.
printf 'pin-carol-1\n' >"$T/pin"
run "$CS" --db "$DB" note "$R" "carol writing as bob" --engineer bob --pin-stdin <"$T/pin"
if [ "$rc" -ne 0 ]; then
	ok
else
	caught "carol wrote as bob with her PIN" "engineers" "bob"
	# ... and once the attacker puts bob's columns back, the note's key is
	# not one the engineers chain ever gave bob.
	$TAMPER "$DB" swap-engineer bob bob "$BASE"
	N=$(db_sql "$DB" "select max(seq) from events where chain = '$R'")
	caught "carol wrote as bob and bob's columns were put back" "event $N" "bob"
fi

# --- a forged sign-off: correct hash, no signature --------------------------------
fresh forged
N=$($TAMPER "$DB" append "$R" signed bob deploy "$SIGNED")
expect_eq "$N" 10 "the forged sign-off is event 10"
caught "a forged signed event with its hash recomputed" "event $N" "signature"

# --- a forged sign-off carrying bob's signature of event 9 ----------------------
fresh replayed
N=$($TAMPER "$DB" append "$R" signed bob deploy "$SIGNED" "$SIGS")
caught "a forged signed event carrying bob's signature of another event" "event $N" "signature"

# --- bob's approval rewritten to a rejection, hashes recomputed ----------------
fresh rewritten
$TAMPER "$DB" rewrite "$R" 9 "$(printf '%s' "$SIGNED" | sed 's/"approved"/"rejected"/')"
[ "$(db_sql "$DB" "select $(sql_json payload meaning) from events where chain = '$R' and seq = 9")" = rejected ] &&
	ok || fail "the sign-off now says rejected"
caught "bob's approval rewritten and re-hashed" "event 9" "signature"

# --- a signature stripped -------------------------------------------------------
fresh stripped
$TAMPER "$DB" set-sigs "$R" 9 "" 2>/dev/null || fail "the signature column can be emptied"
caught "bob's signature removed" "event 9" "signature"

# --- a key rotation bob never made: the attacker's own key, self-signed ----------
fresh rotated
SEED=$(printf '%064d' 7)
PUB=$($TAMPER - pubkey "$SEED")
SALT=$(db_sql "$BASE" "select key_salt from engineers where name = 'carol'" 2>/dev/null)
N=$($TAMPER "$DB" append engineers key_rotated bob bob \
	"{\"key\":{\"public\":\"$PUB\",\"salt\":\"${SALT:-00000000000000000000000000000000}\",\"ops\":1,\"mem\":8192}}")
H=$(db_sql "$DB" "select hash from events where chain = 'engineers' and seq = $N")
$TAMPER "$DB" set-sigs engineers "$N" "[{\"by\":\"bob\",\"key\":\"$PUB\",\"sig\":\"$($TAMPER - sign "$SEED" "$H")\"}]" \
	2>/dev/null
run "$CS" --db "$DB" verify
expect_rc 1 "verify after a key_rotated bob did not sign"
expect_in err "event $N" "names the event"
expect_in err "engineers" "of the engineers chain"
expect_in err "bob" "and bob"

# --- events as "system", which signs nothing -------------------------------------------
# The program records as system only a check it found interrupted (verdict
# error), a failed notification and a run's completion. Anything else by
# system was written by someone else: unsigned, it must not pass for a
# sign-off, an override, a waiver or a passing check. Nor may a completion
# be recorded while a gate is closed.
as_system() {
	desc=$1
	shift
	fresh "system-$(printf '%s' "$desc" | tr -c 'a-z' '-')"
	first=
	while [ $# -ge 3 ]; do
		n=$($TAMPER "$DB" append "$R" "$1" system "$2" "$3")
		first=${first:-$n}
		shift 3
	done
	caught "$desc by system" "event $first"
}
as_system "a sign-off of prep" signed prep "$SIGNED"
as_system "an override naming alice and bob" override deploy \
	'{"engineers":["alice","bob"],"reason":"forged","incident":"INC-1"}'
as_system "a waiver" waived deploy/step '{"reason":"forged"}'
as_system "a passing check" check_started rollback/undo '{"command":"echo undone"}' \
	check_finished rollback/undo '{"verdict":"pass","message":"exit 0","duration_ms":1}'
# An interruption is recorded only for a check that started and has no
# result: one by system for prep/build, which passed long before, would
# turn it to an error and undo bob's sign-off.
fresh interrupted
N=$($TAMPER "$DB" append "$R" check_finished system prep/build \
	'{"verdict":"error","message":"interrupted: forged","interrupted_seq":2}')
caught "an interruption of a check that had finished, by system" "event $N"
fresh completed
N=$($TAMPER "$DB" append "$R" run_completed system "" '{}')
H=$(db_sql "$DB" "select hash from events where chain = '$R' and seq = $N")
$TAMPER "$DB" append registry run_ended system "$R" "{\"kind\":\"run_completed\",\"events\":$N,\"head\":\"$H\"}" \
	>/dev/null
caught "a completion recorded while prep's gate is closed" "event $N"

# The engineers chain holds registrations, keys and wrong PINs only: a
# sign-off appended to it as system is not countersign's either (the engine
# never reads it, but the audit trail would show it).
fresh engineers-kind
N=$($TAMPER "$DB" append engineers signed system prep "$SIGNED")
run "$CS" --db "$DB" verify
expect_rc 1 "verify after a signed event appended to the engineers chain by system"
expect_in err "event $N" "names the event"

# --- overrides alice forges with her own PIN -------------------------------------
# alice knows her PIN and can write the file: her signature is genuine, but
# an override needs a second engineer. One naming alice alone, or alice
# twice, or answering bob's request to force another section (with another
# reason), must fail verify.
ASEED=$($TAMPER - seed pin-alice-1 "$(db_sql "$BASE" "select $(sql_json payload key) from events
	where chain = 'engineers' and kind = 'engineer_added' and target = 'alice'")")
APUB=$($TAMPER - pubkey "$ASEED")
# alice_signs SEQ: alice's genuine signature on event SEQ of the run in $DB.
alice_signs() {
	h=$(db_sql "$DB" "select hash from events where chain = '$R' and seq = $1")
	$TAMPER "$DB" set-sigs "$R" "$1" "[{\"by\":\"alice\",\"key\":\"$APUB\",\"sig\":\"$($TAMPER - sign "$ASEED" "$h")\"}]"
}
for who in '"alice"' '"alice","alice"'; do
	fresh "override-$(printf '%s' "$who" | tr -c 'a-z' '-')"
	N=$($TAMPER "$DB" append "$R" override alice deploy "{\"engineers\":[$who],\"reason\":\"x\",\"incident\":\"INC-2\"}")
	alice_signs "$N"
	caught "an override of deploy by alice naming [$who], signed by her" "event $N"
done
# Naming bob beside her is not enough: bob neither signed it nor made a
# signed request it answers.
fresh override-unsigned-by-bob
N=$($TAMPER "$DB" append "$R" override alice deploy '{"engineers":["alice","bob"],"reason":"x","incident":"INC-2"}')
alice_signs "$N"
caught "an override of deploy naming alice and bob, signed by alice alone" "event $N" "no signature by bob"
DB=$(db_clone "$BASE" request)
printf 'pin-bob-1\n' >"$T/pin"
run "$CS" --db "$DB" override "$R" post --request --engineer bob --reason "post only" --incident INC-3 --pin-stdin <"$T/pin"
expect_rc 0 "bob asks for an override of post"
REQ=$(db_sql "$DB" "select max(seq) from events where chain = '$R' and kind = 'override_requested'")
$TAMPER "$DB" guards-off
N=$($TAMPER "$DB" append "$R" override alice deploy \
	"{\"engineers\":[\"bob\",\"alice\"],\"reason\":\"other\",\"incident\":\"INC-9\",\"request_seq\":$REQ}")
alice_signs "$N"
caught "alice's override of deploy answering bob's request for post" "event $N"

# --- a PIN change ----------------------------------------------------------------
DB=$(db_clone "$BASE" pin)
printf 'pin-bob-1\npin-bob-2\npin-bob-2\n' >"$T/pins"
run "$CS" --db "$DB" engineer pin bob --pin-stdin <"$T/pins"
expect_rc 0 "bob changes his PIN"
expect_eq "$(db_sql "$DB" "select kind || ' ' || target from events where chain = 'engineers'
	and seq = (select max(seq) from events where chain = 'engineers')")" "key_rotated bob" \
	"the engineers chain records the rotation"
run "$CS" --db "$DB" verify
expect_rc 0 "every earlier signature still verifies after the PIN change"
run "$CS" --db "$DB" verify "$R"
expect_rc 0 "the run with bob's sign-off verifies"
# The old PIN, leaked, in the hands of someone who can write the file: it
# derives the old key (its salt and cost are in the engineers chain), which
# signs a note appended at the end of the run, timed before the rotation
# as the run's last event was. The old key must not sign anything recorded
# after the rotation: its time is the forger's to choose, what the rotation
# recorded of the record's heads is not.
OLDPIN=$(db_clone "$DB" oldpin)
$TAMPER "$OLDPIN" guards-off
OLDKEY=$(db_sql "$DB" "select $(sql_json payload key) from events where chain = 'engineers'
	and kind = 'engineer_added' and target = 'bob'")
OLDSEED=$($TAMPER - seed pin-bob-1 "$OLDKEY")
N=$($TAMPER "$OLDPIN" append "$R" note bob "" '{"text":"written with the old PIN"}')
H=$(db_sql "$OLDPIN" "select hash from events where chain = '$R' and seq = $N")
$TAMPER "$OLDPIN" set-sigs "$R" "$N" \
	"[{\"by\":\"bob\",\"key\":\"$($TAMPER - pubkey "$OLDSEED")\",\"sig\":\"$($TAMPER - sign "$OLDSEED" "$H")\"}]"
[ "$(db_sql "$OLDPIN" "select time_us from events where chain = '$R' and seq = $N")" -lt \
	"$(db_sql "$DB" "select time_us from events where chain = 'engineers' and kind = 'key_rotated'")" ] &&
	ok || fail "the forged note is timed before the rotation"
run "$CS" --db "$OLDPIN" verify
expect_rc 1 "verify after a note signed with bob's replaced key and appended after the rotation"
expect_in err "event $N" "names the note"

notes() {
	db_sql "$DB" "select count(*) from events where chain = '$R' and kind = 'note'"
}
before=$(notes)
by bob --db "$DB" note "$R" "with the old PIN"
[ "$rc" -ne 0 ] && ok || fail "the old PIN is refused after the change"
expect_eq "$(notes)" "$before" "nothing was recorded with the old PIN"
printf 'pin-bob-2\n' >"$T/pin"
run "$CS" --db "$DB" note "$R" "with the new PIN" --engineer bob --pin-stdin <"$T/pin"
expect_rc 0 "the new PIN works"
run "$CS" --db "$DB" verify
expect_rc 0 "verify after a note signed with the new key"
printf 'pin-bob-1\npin-bob-3\npin-bob-3\n' >"$T/pins"
run "$CS" --db "$DB" engineer pin bob --pin-stdin <"$T/pins"
[ "$rc" -ne 0 ] && ok || fail "the old PIN cannot change the PIN again"
printf 'pin-bob-2\npin-bob-3\npin-bob-4\n' >"$T/pins"
run "$CS" --db "$DB" engineer pin bob --pin-stdin <"$T/pins"
[ "$rc" -ne 0 ] && ok || fail "a new PIN typed differently twice is refused"
expect_eq "$(db_sql "$DB" "select count(*) from events where chain = 'engineers' and kind = 'key_rotated'")" 1 \
	"the refused changes recorded no rotation"

finish
