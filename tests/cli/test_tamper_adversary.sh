#!/bin/sh
# More of what someone who can write the database file, and knows no PIN
# (or one engineer's PIN only), tries against the signatures and the chains
# (tests/cli/tamper.py does what they would): each alteration below must
# fail `verify`, or `verify --checkpoint` with a checkpoint taken before it.
. "$(dirname "$0")/lib.sh"

BASE=$(db_new base)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$BASE"
TAMPER=tamper
mkdir fx && cp "$SRC"/tests/cli/fixtures/gates.json fx/

# by NAME ARGS...: ARGS as NAME with NAME's PIN (pin-NAME-1).
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
# caught DESC WORD...: verify fails, naming each WORD.
caught() {
	desc=$1
	shift
	run "$CS" --db "$DB" verify
	expect_rc 1 "verify after $desc"
	for word in "$@"; do
		expect_in err "$word" "verify after $desc names '$word'"
	done
}
# seed_of NAME PIN: the seed PIN derives under NAME's first key.
seed_of() {
	$TAMPER - seed "$2" "$(db_sql "$BASE" "select $(sql_json payload key) from events
		where chain = 'engineers' and kind = 'engineer_added' and target = '$1'")"
}
# resign DB CHAIN SEQ NAME SEED: replaces the signatures of event SEQ by
# NAME's with the key of SEED.
resign() {
	h=$(db_sql "$1" "select hash from events where chain = '$2' and seq = $3")
	$TAMPER "$1" set-sigs "$2" "$3" \
		"[{\"by\":\"$4\",\"key\":\"$($TAMPER - pubkey "$5")\",\"sig\":\"$($TAMPER - sign "$5" "$h")\"}]"
}

# old_heads DB: the engineers' registrations as they were before heads named
# the registry's head, and the run's run_started before it named the
# engineers chain's (each event re-signed by its engineer, whose PIN the
# test knows).
old_heads() {
	p=$(db_sql "$1" "select payload from events where chain = '$R' and seq = 1" |
		sed 's/,"engineers_head":{[^}]*}//')
	$TAMPER "$1" rewrite "$R" 1 "$p"
	for s in $(db_sql "$1" "select seq from events where chain = '$R'"); do
		e=$(db_sql "$1" "select actor from events where chain = '$R' and seq = $s")
		resign "$1" "$R" "$s" "$e" "$(seed_of "$e" "pin-$e-1")"
	done
	for e in alice bob carol; do
		s=$(db_sql "$1" "select seq from events where chain = 'engineers' and target = '$e'")
		p=$(db_sql "$1" "select payload from events where chain = 'engineers' and seq = $s" |
			sed 's/,"registry_head":"[0-9a-f]*"//')
		$TAMPER "$1" rewrite engineers "$s" "$p"
	done
	for e in alice bob carol; do
		s=$(db_sql "$1" "select seq from events where chain = 'engineers' and target = '$e'")
		resign "$1" engineers "$s" "$e" "$(seed_of "$e" "pin-$e-1")"
	done
	run "$CS" --db "$1" verify
	expect_rc 0 "a record whose registrations name no registry head verifies"
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
run "$CS" verify
expect_rc 0 "the untouched record verifies"
SIGNED=$(db_sql "$BASE" "select payload from events where chain = '$R' and seq = 9")
OPENED=$(db_sql "$BASE" "select payload from events where chain = 'registry' and seq = 1")

# --- registry_opened rewritten to call a signed run "recorded before signatures" -----
# The registry chain is unsigned: a writer can rewrite its first event and
# recompute the chain. Within unsigned_through, "system" may record anything
# and an unregistered actor needs no signature; but a chain whose events are
# signed was not recorded before signatures. (Key events now sign the
# registry's head, which catches the rewrite first: old_heads makes the
# record one whose key events did not.)
fresh through-run
old_heads "$DB"
$TAMPER "$DB" rewrite registry 1 "$(printf '%s' "$OPENED" |
	sed "s/\"unsigned_through\":{}/\"unsigned_through\":{\"$R\":1000}/")"
$TAMPER "$DB" append "$R" attested system deploy/approval '{"verdict":"pass"}' >/dev/null
$TAMPER "$DB" append "$R" signed mallory deploy "$SIGNED" >/dev/null
caught "registry_opened claimed the signed run unsigned" "unsigned_through" "$R"
fresh through-engineers
old_heads "$DB"
$TAMPER "$DB" rewrite registry 1 "$(printf '%s' "$OPENED" |
	sed 's/"unsigned_through":{}/"unsigned_through":{"engineers":1000}/')"
caught "registry_opened claimed the signed engineers chain unsigned" "unsigned_through" "engineers"

# --- bob's old PIN signs in a run started after his PIN change ------------------------
# Whoever learned bob's old PIN, and can write the file, signs a note and an
# abort with the old key in a run alice started after the change, then
# moves that run's registration and end in front of the rotation's
# heads.registry: the registry chain is unsigned and reads as if the run had
# ended before the change.
ROT=$(db_clone "$BASE" rotated)
by alice --db "$ROT" start fx/gates.json
R0=$(cat "$T/out")
by alice --db "$ROT" abort "$R0" --reason "not needed"
printf 'pin-bob-1\npin-bob-2\npin-bob-2\n' | run "$CS" --db "$ROT" engineer pin bob --pin-stdin
expect_rc 0 "bob changes his PIN"
by alice --db "$ROT" start fx/gates.json
R2=$(cat "$T/out")
expect_eq "$(db_sql "$ROT" "select count(*) from events where chain = 'registry'")" 5 \
	"the registry holds registry_opened, two runs registered, one ended"
OLDSEED=$(seed_of bob pin-bob-1)
DB=$(db_clone "$ROT" old-pin)
$TAMPER "$DB" guards-off
N=$($TAMPER "$DB" append "$R2" note bob "" '{"text":"signed with the old PIN"}')
resign "$DB" "$R2" "$N" bob "$OLDSEED"
N=$($TAMPER "$DB" append "$R2" run_aborted bob "" '{"reason":"signed with the old PIN"}')
resign "$DB" "$R2" "$N" bob "$OLDSEED"
H=$(db_sql "$DB" "select hash from events where chain = '$R2' and seq = $N")
$TAMPER "$DB" append registry run_ended system "$R2" "{\"kind\":\"run_aborted\",\"events\":$N,\"head\":\"$H\"}" >/dev/null
$TAMPER "$DB" reorder registry 1 5 6 2 3 4
caught "the old key signed in a run whose registration was moved before the PIN change" "registry"

# --- bob's PIN change cut off the end of the engineers chain ----------------------------
# The rotation is the last event of the engineers chain: a writer removes it
# and gives bob's row his old key again, so that the old PIN works once
# more. Alice's run started after the change names the engineers chain's
# head in its signed run_started.
DB=$(db_clone "$ROT" unrotated)
$TAMPER "$DB" guards-off
$TAMPER "$DB" truncate engineers 3
$TAMPER "$DB" swap-engineer bob bob "$BASE"
printf 'pin-bob-1\n' >"$T/pin"
run "$CS" --db "$DB" note "$R2" "the old PIN works again" --engineer bob --pin-stdin <"$T/pin"
expect_rc 0 "the old PIN is accepted by a table given the old key again"
caught "the PIN change was cut off the engineers chain" "$R2" "engineers chain"

# --- an engineer registered under a name that only looks like bob's ---------------------
# Registering needs nobody's approval, but countersign registers short
# names only (lowercase ASCII letters, digits, '-', '_', '.'): "bоb" with a
# Cyrillic о, or "bob" with a zero-width space, would show as bob in every
# report. A writer registers one with a key of their own and signs with it.
spoof() {
	desc=$1 name=$2
	fresh "spoof-$3"
	seed=$(printf '%064d' "$3")
	pub=$($TAMPER - pubkey "$seed")
	key="{\"public\":\"$pub\",\"salt\":\"00000000000000000000000000000000\",\"ops\":1,\"mem\":8192}"
	n=$($TAMPER "$DB" append engineers engineer_added "$name" "$name" \
		"{\"full_name\":\"bob Example\",\"key\":$key,\"heads\":{\"registry\":2,\"runs\":{}}}")
	resign "$DB" engineers "$n" "$name" "$seed"
	db_sql "$DB" "insert into engineers (name, full_name, pin_hash, created_us, public_key, key_salt, key_ops,
		key_mem) values ('$name', 'bob Example', '', 1, '$pub', '00000000000000000000000000000000', 1, 8192)"
	n=$($TAMPER "$DB" append "$R" note "$name" "" '{"text":"looks like bob"}')
	resign "$DB" "$R" "$n" "$name" "$seed"
	caught "$desc" "engineers chain" "not a name countersign registers"
}
spoof "an engineer named bob with a Cyrillic o" "bоb" 1
spoof "an engineer named bob with a zero-width space" "bob​" 2
spoof "an engineer named system" "system" 3

# --- an aborted run made open again: its end cut off with its run_ended ----------------
# The run_ended is the registry's last event, past every key event's
# registry_head, so that nothing signed names it: plain verify cannot tell
# (docs/record.md, threat model); a checkpoint taken after the abort can.
ABORTED=$(db_clone "$BASE" aborted)
by alice --db "$ABORTED" abort "$R" --reason "not needed"
run "$CS" --db "$ABORTED" checkpoint -o "$T/aborted.cp"
expect_rc 0 "a checkpoint of the aborted run's record"
DB=$(db_clone "$ABORTED" unaborted)
$TAMPER "$DB" guards-off
$TAMPER "$DB" truncate "$R" 9
$TAMPER "$DB" truncate registry "$(($(db_sql "$DB" "select count(*) from events where chain = 'registry'") - 1))"
run "$CS" --db "$DB" verify --checkpoint "$T/aborted.cp"
expect_rc 1 "verify --checkpoint after the abort and its run_ended were cut off"
expect_in err "registry" "and names the registry chain"

finish

