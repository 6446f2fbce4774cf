#!/bin/sh
# Roles: `engineer role NAME --add|--remove ROLE --by A --by B` needs the PINs
# of two engineers other than NAME; approving one's own role, one approver,
# the same approver twice, a wrong PIN, a role already held (or not held),
# a bad role name or an unknown engineer are refused with nothing recorded
# (a wrong PIN records only itself). A grant or removal is an event of the
# engineers chain signed by both approvers; `engineer list` (and --json)
# shows the roles; `engineer add --role` grants them at registration with
# the same two approvers. A signature records its signer's roles; verify
# passes, and catches the roles column edited, a role event forged (one
# signature, or copied ones) or altered. A role removed by one process while
# another signs: the signature is refused or claims the roles held where it
# stands in the record, and verify passes.
. "$(dirname "$0")/lib.sh"

DB=$(db_new base)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
TAMPER=tamper
mkdir fx && cp "$SRC"/tests/cli/fixtures/gates.json fx/

# by NAME ARGS...: ARGS as NAME with NAME's PIN (pin-NAME-1).
by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin"
}
# role NAME ARGS... <PINS: engineer role NAME ARGS --pin-stdin.
role() {
	run "$CS" engineer role "$@" --pin-stdin
}
# pins A B: their PINs, one a line, into $T/pins.
pins() {
	printf 'pin-%s-1\n' "$@" >"$T/pins"
}
# What the record says of roles: the role events and every roles column.
role_state() {
	db_sql "$DB" "select count(*) from events where kind in ('role_granted', 'role_removed');
		select name || '=' || roles from engineers order by name" | tr '\n' ' '
}
# nothing_recorded DESC: role_state is as it was in $T/state.
nothing_recorded() {
	expect_eq "$(role_state)" "$(cat "$T/state")" "$1: nothing recorded"
}

for e in alice bob carol; do
	printf 'pin-%s-1\n' "$e" | "$CS" engineer add "$e" --full-name "$e Example" --pin-stdin >/dev/null
done

# --- a grant, with two other engineers' PINs ----------------------------------
pins alice bob
role carol --add dba --by alice --by bob <"$T/pins"
expect_rc 0 "carol is granted dba by alice and bob"
expect_in out "granted carol the role dba (approved by alice and bob)" "and says so"
expect_eq "$(db_sql "$DB" "select kind || ' ' || actor || ' ' || target || ' ' || $(sql_json payload role) ||
	' ' || $(sql_json payload by) from events where chain = 'engineers' and kind like 'role%'")" \
	'role_granted alice carol dba ["alice","bob"]' "the grant is an event of the engineers chain"
if [ "$ENGINE" = sqlite ]; then
	heads_type="json_type(payload, '\$.heads.runs')"
else
	heads_type="json_typeof(payload::json -> 'heads' -> 'runs')"
fi
expect_eq "$(db_sql "$DB" "select $heads_type from events where kind = 'role_granted'")" \
	object "it says how far the record went (heads)"
SIGS=$($TAMPER "$DB" sigs-of engineers "$(db_sql "$DB" "select seq from events where kind = 'role_granted'")")
case $SIGS in
*'"by":"alice"'*'"by":"bob"'*) ok ;;
*) fail "the grant is signed by alice and bob (got '$SIGS')" ;;
esac
run "$CS" audit --kind role_granted
expect_rc 0 "audit --kind role_granted"
expect_in out "carol" "audit lists the grant"

# --- refusals: nothing recorded ------------------------------------------------
role_state >"$T/state"
pins carol alice
role carol --add sre --by carol --by alice <"$T/pins"
expect_rc 1 "carol approving her own role"
expect_in err "carol cannot approve a change of their own roles" "says why"
nothing_recorded "self-approval"
role carol --add sre --by alice --by carol <"$T/pins"
expect_rc 1 "carol as the second approver"
nothing_recorded "self-approval as the second"
pins alice
role carol --add sre --by alice <"$T/pins"
expect_rc 2 "a single approver"
expect_in err "two approvers --by A --by B" "says two are needed"
nothing_recorded "a single approver"
pins alice alice
role carol --add sre --by alice --by alice <"$T/pins"
expect_rc 1 "alice named twice"
expect_in err "two different engineers" "says why"
nothing_recorded "the same approver twice"
printf 'pin-alice-1\nnot-bobs-pin\n' >"$T/pins"
role carol --add sre --by alice --by bob <"$T/pins"
expect_rc 2 "a wrong PIN of the second approver"
expect_in err "wrong PIN for bob" "says whose"
nothing_recorded "a wrong PIN"
pins alice bob
role carol --add dba --by alice --by bob <"$T/pins"
expect_rc 1 "a role already held"
expect_in err "carol already holds the role dba" "says so"
role carol --remove sre --by alice --by bob <"$T/pins"
expect_rc 1 "removing a role not held"
expect_in err "carol does not hold the role sre" "says so"
role carol --add DBA --by alice --by bob <"$T/pins"
expect_rc 2 "a bad role name"
expect_in err "not a valid role name" "says why"
role dave --add dba --by alice --by bob <"$T/pins"
expect_rc 2 "an unknown engineer"
expect_in err "unknown engineer \"dave\"" "names them"
role carol --add dba --remove dba --by alice --by bob <"$T/pins"
expect_rc 2 "--add with --remove"
nothing_recorded "the refusals"

# --- engineer list ---------------------------------------------------------------
run "$CS" engineer list
expect_rc 0 "engineer list"
expect_eq "$(grep '^carol ' "$T/out" | sed 's/.*roles: //')" "dba" "engineer list shows carol's roles"
expect_eq "$(grep -c 'roles:' "$T/out")" 1 "and no roles for the others"
run "$CS" engineer list --json
expect_eq "$(python3 -c 'import json, sys; print(" ".join(e["name"] + "=" + ",".join(e["roles"]) for e in json.load(sys.stdin)))' <"$T/out")" \
	"alice= bob= carol=dba" "engineer list --json gives each engineer's roles"
expect_eq "$(python3 -c 'import json, sys; print(" ".join(str(e["created_us"]) for e in json.load(sys.stdin)))' <"$T/out")" \
	"$(db_sql "$DB" "select created_us from engineers order by name" | tr '\n' ' ' | sed 's/ $//')" \
	"engineer list --json gives each registration time exactly, in microseconds"
TIMES=$(db_clone "$DB" times)
db_guards_off "$TIMES"
db_sql "$TIMES" "update engineers set created_us = 1796087751533160 where name = 'alice'"
run "$CS" --db "$TIMES" engineer list --json
expect_in out '1796087751533160,' "a registration time ending in zeros is an integer, not 1.79608775153316e+15"

# --- engineer add --role --------------------------------------------------------
role_state >"$T/state"
printf 'pin-dave-1\n' >"$T/pins"
run "$CS" engineer add dave --full-name "Dave Example" --role sre --pin-stdin <"$T/pins"
expect_rc 2 "a role at registration without approvers"
expect_in err "--by A --by B" "says they are needed"
printf 'pin-dave-1\npin-alice-1\nnot-bobs-pin\n' >"$T/pins"
run "$CS" engineer add dave --full-name "Dave Example" --role sre --by alice --by bob --pin-stdin <"$T/pins"
expect_rc 2 "a wrong approver PIN at registration"
expect_eq "$(db_sql "$DB" "select count(*) from engineers where name = 'dave'")" 0 "dave is not registered"
printf 'pin-dave-1\npin-alice-1\npin-carol-1\n' >"$T/pins"
run "$CS" engineer add dave --full-name "Dave Example" --role sre --by dave --by carol --pin-stdin <"$T/pins"
expect_rc 1 "dave approving his own roles at registration"
nothing_recorded "the refused registrations"
printf 'pin-dave-1\npin-alice-1\npin-carol-1\n' >"$T/pins"
run "$CS" engineer add dave --full-name "Dave Example" --role sre --role dba --by alice --by carol --pin-stdin \
	<"$T/pins"
expect_rc 0 "dave registered with two roles approved by alice and carol"
expect_eq "$(db_sql "$DB" "select roles from engineers where name = 'dave'")" '["dba","sre"]' "dave holds both"
expect_eq "$(db_sql "$DB" "select count(*) from events where kind = 'role_granted' and target = 'dave'")" 2 \
	"each is an event"
pins alice bob
role dave --remove sre --by alice --by bob <"$T/pins"
expect_rc 0 "a removal"
expect_in out "removed the role sre of dave" "says so"
expect_eq "$(db_sql "$DB" "select roles from engineers where name = 'dave'")" '["dba"]' "dave holds dba alone"
run "$CS" verify
expect_rc 0 "verify passes after the grants and the removal"

# --- a signature carries its signer's roles --------------------------------------
by alice start fx/gates.json
R=$(cat "$T/out")
for i in build flag strict; do by alice check "$R" "prep/$i"; done
by alice attest "$R" prep/review
by carol sign "$R" prep
expect_rc 0 "carol signs prep"
expect_eq "$(db_sql "$DB" "select $(sql_json payload roles) from events where chain = '$R' and
	kind = 'signed' and actor = 'carol'")" '["dba"]' "her signature records her roles"
by bob sign "$R" prep
expect_eq "$(db_sql "$DB" "select $(sql_json payload roles) from events where chain = '$R' and
	kind = 'signed' and actor = 'bob'")" '[]' "bob's records none"
run "$CS" verify
expect_rc 0 "verify passes"
SIGNED=$(db_clone "$DB" signed)

# --- tampering -----------------------------------------------------------------
# caught DB DESC WORD...: verify of DB fails naming each WORD.
caught() {
	db=$1 desc=$2
	shift 2
	run "$CS" --db "$db" verify
	expect_rc 1 "verify after $desc"
	for word in "$@"; do
		expect_in err "$word" "verify after $desc names '$word'"
	done
}
COLUMN=$(db_clone "$SIGNED" column)
db_sql "$COLUMN" "update engineers set roles = '[\"dba\",\"sre\"]' where name = 'carol'"
caught "$COLUMN" "carol's roles column edited" "carol's roles are [\"dba\",\"sre\"]" "the table was edited"
COLUMN2=$(db_clone "$SIGNED" column2)
db_sql "$COLUMN2" "update engineers set roles = '[\"dba\"]' where name = 'bob'"
caught "$COLUMN2" "bob given a role in the table alone" "bob's roles are [\"dba\"], the chain gives bob []"

HEADS='"heads":{"registry":1,"runs":{}}'
FORGED=$(db_clone "$SIGNED" forged)
$TAMPER "$FORGED" guards-off
N=$($TAMPER "$FORGED" append engineers role_granted alice bob "{\"role\":\"dba\",\"by\":[\"alice\",\"carol\"],$HEADS}")
db_sql "$FORGED" "update engineers set roles = '[\"dba\"]' where name = 'bob'"
caught "$FORGED" "an unsigned role_granted forged" "event $N of the engineers chain" "no signature by alice"
COPIED=$(db_clone "$SIGNED" copied)
$TAMPER "$COPIED" guards-off
GRANT=$(db_sql "$COPIED" "select seq from events where kind = 'role_granted' and target = 'carol'")
N=$($TAMPER "$COPIED" append engineers role_granted alice bob "{\"role\":\"dba\",\"by\":[\"alice\",\"carol\"],$HEADS}" \
	"$($TAMPER "$COPIED" sigs-of engineers "$GRANT")")
db_sql "$COPIED" "update engineers set roles = '[\"dba\"]' where name = 'bob'"
caught "$COPIED" "a role_granted carrying the signatures of another" "event $N of the engineers chain" \
	"signature does not verify"
ALTERED=$(db_clone "$SIGNED" altered)
$TAMPER "$ALTERED" guards-off
PAYLOAD=$(db_sql "$ALTERED" "select payload from events where chain = 'engineers' and seq = $GRANT")
$TAMPER "$ALTERED" rewrite engineers "$GRANT" "$(printf '%s' "$PAYLOAD" | sed 's/"dba"/"sre"/')"
db_sql "$ALTERED" "update engineers set roles = '[\"sre\"]' where name = 'carol'"
caught "$ALTERED" "carol's grant rewritten to another role, hashes recomputed" "event $GRANT of the engineers chain" \
	"signature does not verify"

# --- two processes: a role removed while its holder signs -----------------------
# Both wait on a write lock held by a third connection, then race; whichever
# lands first, the signature is refused or claims the roles carol held where
# it stands in the record, and the record verifies.
by alice start fx/gates.json
R2=$(cat "$T/out")
for i in build flag strict; do by alice check "$R2" "prep/$i"; done
by alice attest "$R2" prep/review
mkfifo "$T/lock"
(db_sql "$DB" <"$T/lock" >/dev/null 2>&1) &
LOCKER=$!
exec 7>"$T/lock"
if [ "$ENGINE" = sqlite ]; then
	printf 'pragma busy_timeout = 10000;\nbegin immediate;\nselect 1;\n' >&7
	wait_until "! sqlite3 '$DB' 'begin immediate; rollback'" 10 || fail "the third connection holds the write lock"
else
	printf 'begin;\nlock table events in exclusive mode;\n' >&7
	wait_until "[ \"\$(db_sql '$DB' \"select count(*) from pg_locks where relation = 'events'::regclass
		and mode = 'ExclusiveLock' and granted\")\" = 1 ]" 10 || fail "the third connection holds the write lock"
fi
printf 'pin-carol-1\n' >"$T/pin-carol"
"$CS" sign "$R2" prep --engineer carol --pin-stdin <"$T/pin-carol" >"$T/sign.out" 2>"$T/sign.err" &
SIGNER=$!
printf 'pin-alice-1\npin-bob-1\n' >"$T/pins"
"$CS" engineer role carol --remove dba --by alice --by bob --pin-stdin <"$T/pins" >"$T/remove.out" 2>"$T/remove.err" &
REMOVER=$!
printf 'commit;\n' >&7
exec 7>&-
wait "$LOCKER"
wait "$SIGNER"
SIGN_RC=$?
wait "$REMOVER"
REMOVE_RC=$?
rc=$REMOVE_RC
expect_eq "$REMOVE_RC" 0 "the removal is recorded ($(cat "$T/remove.err"))"
expect_eq "$(db_sql "$DB" "select roles from engineers where name = 'carol'")" '[]' "carol holds no role now"
if [ "$ENGINE" = sqlite ]; then
	removal_seq="json_extract(payload, '\$.heads.runs.\"$R2\"')"
else
	removal_seq="payload::json #>> '{heads,runs,$R2}'"
fi
REMOVAL_RUN_SEQ=$(db_sql "$DB" "select coalesce($removal_seq, '-1') from events
	where kind = 'role_removed' and target = 'carol'")
CLAIM=$(db_sql "$DB" "select seq || ' ' || $(sql_json payload roles) from events where chain = '$R2' and
	kind = 'signed' and actor = 'carol'")
if [ "$SIGN_RC" -ne 0 ]; then
	expect_eq "$CLAIM" "" "a refused signature is not recorded ($(cat "$T/sign.err"))"
else
	case $CLAIM in
	*' ["dba"]') [ "${CLAIM%% *}" -le "$REMOVAL_RUN_SEQ" ] && ok ||
		fail "carol's signature claims dba only if recorded before the removal (claim $CLAIM, removal at $REMOVAL_RUN_SEQ)" ;;
	*' []') [ "${CLAIM%% *}" -gt "$REMOVAL_RUN_SEQ" ] && ok ||
		fail "carol's signature claims no role only if recorded after the removal (claim $CLAIM, removal at $REMOVAL_RUN_SEQ)" ;;
	*) fail "carol's signature is recorded with her roles (got '$CLAIM')" ;;
	esac
fi
run "$CS" verify
expect_rc 0 "verify passes after the race"

# --- a section whose sign-off needs a role: the roster as it is now ------------
cat >fx/dba.json <<'JSON'
{"countersign": 1, "id": "dba-gate", "title": "DBA gate", "sections": [
  {"id": "migrate", "title": "Migrate", "signoffs": {"count": 1, "roles": ["dba"]},
   "items": [{"id": "run", "title": "Run the migration", "kind": "command", "run": "true"}]}]}
JSON
by alice start fx/dba.json
R3=$(cat "$T/out")
by alice check "$R3" migrate/run
by bob sign "$R3" migrate
expect_rc 1 "bob, who holds no dba, cannot give the last approval"
expect_in err "dave" "the refusal names dave, who holds dba"
printf 'pin-alice-1\npin-carol-1\n' >"$T/pins"
role bob --add dba --by alice --by carol <"$T/pins"
expect_rc 0 "bob is granted dba"
by bob sign "$R3" migrate
expect_rc 0 "bob signs once he holds dba (the roles are read afresh)"
expect_eq "$(db_sql "$DB" "select $(sql_json payload roles) from events where chain = '$R3' and
	kind = 'signed'")" '["dba"]' "and his signature says so"
run "$CS" verify
expect_rc 0 "verify passes"

# --- a record of schema version 4 ----------------------------------------------
# As a countersign before roles left it: read as it is (no roles) by
# commands that only read, brought to version 5 by one that records.
if sqlite_file "a schema version 4 database file"; then
	V4=$T/v4.db
	for e in alice bob; do
		printf 'pin-%s-1\n' "$e" | "$CS" --db "$V4" engineer add "$e" --full-name "$e Example" --pin-stdin >/dev/null
	done
	sqlite3 "$V4" "alter table engineers drop column roles; drop trigger engineers_no_rename;
		create trigger engineers_no_rename before update of name, full_name, created_us on engineers
		  begin select raise(abort, 'only an engineer''s PIN can be changed'); end;
		pragma user_version = 4; pragma wal_checkpoint(truncate)" >/dev/null
	run "$CS" --db "$V4" engineer list --json
	expect_rc 0 "engineer list reads a version 4 record"
	expect_eq "$(python3 -c 'import json, sys; print(" ".join(e["name"] + "=" + ",".join(e["roles"]) for e in json.load(sys.stdin)))' <"$T/out")" \
		"alice= bob=" "its engineers hold no role"
	run "$CS" --db "$V4" verify
	expect_rc 0 "verify reads a version 4 record"
	expect_eq "$(sqlite3 "$V4" "pragma user_version")" 4 "reading changed nothing"
	printf 'pin-carol-1\n' | "$CS" --db "$V4" engineer add carol --full-name "carol Example" --pin-stdin >/dev/null
	expect_eq "$(sqlite3 "$V4" "pragma user_version")" 5 "a command that records brings it to version 5"
	pins alice bob
	run "$CS" --db "$V4" engineer role carol --add dba --by alice --by bob --pin-stdin <"$T/pins"
	expect_rc 0 "a role is granted in the migrated record"
	run "$CS" --db "$V4" verify
	expect_rc 0 "the migrated record verifies"
fi
finish
