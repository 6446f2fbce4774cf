#!/bin/sh
# verify on a PostgreSQL record changed behind countersign's back by the
# tables' owner (who can disable or drop the guard triggers): an event
# edited, a run cut short, the derived run table's trigger disabled or
# replaced, a guard trigger dropped or its function replaced. The chain
# checks say what they say on SQLite; the triggers are read from the
# catalog (SQLite compares their text).
. "$2/tests/pg/lib_pg.sh"

psql=""
for b in ${PG_BINDIR:-} $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n -r); do
	if [ -x "$b/psql" ]; then psql="$b/psql"; break; fi
done
[ -n "$psql" ] || psql=$(command -v psql || true)
if [ -z "$psql" ]; then
	echo "skipped: no psql (install postgresql-client)"
	exit 77
fi
# owner SQL: runs SQL as the cluster's superuser, who owns the tables.
owner() {
	"$psql" -X -q -At -v ON_ERROR_STOP=1 "$PG" -c "$1" >"$T/psql" 2>&1 || fail "psql: $1: $(cat "$T/psql")"
}

export COUNTERSIGN_DB="$PG"
cp "$SRC"/tests/cli/fixtures/gates.json .
add_engineer alice
add_engineer bob
by alice start gates.json --title "Friday deploy"
expect_rc 0 "start"
R=$(cat "$T/out")
for item in build flag strict; do
	by alice check "$R" "prep/$item"
	expect_rc 0 "check prep/$item"
done

run "$CS" verify
expect_rc 0 "verify of a record nobody changed"
expect_in out "ok: " "verify says ok"

# The derived run table's trigger, disabled and enabled again.
owner "ALTER TABLE events DISABLE TRIGGER run_index_append"
run "$CS" verify
expect_rc 1 "verify with run_index_append disabled"
expect_in err "its trigger run_index_append was disabled" "names the disabled trigger"
owner "ALTER TABLE events ENABLE TRIGGER run_index_append"
run "$CS" verify
expect_rc 0 "verify once it is enabled again"

# Replaced by one without its condition (it would count the engineers
# chain as a run).
owner "DROP TRIGGER run_index_append ON events; CREATE TRIGGER run_index_append AFTER INSERT ON events
	FOR EACH ROW EXECUTE FUNCTION countersign_run_index_append()"
run "$CS" verify
expect_rc 1 "verify with run_index_append replaced"
expect_in err "its trigger run_index_append was replaced by one countersign did not make" "names the replaced trigger"
owner "DROP TRIGGER run_index_append ON events"
run "$CS" verify
expect_rc 1 "verify with run_index_append dropped"
expect_in err "its trigger run_index_append was dropped from the schema" "names the dropped trigger"
owner "CREATE TRIGGER run_index_append AFTER INSERT ON events FOR EACH ROW
	WHEN (NEW.chain NOT IN ('engineers', 'registry')) EXECUTE FUNCTION countersign_run_index_append()"
run "$CS" verify
expect_rc 0 "verify with the schema's trigger made again"

# A guard dropped, then the guards' function replaced.
owner "DROP TRIGGER events_no_delete ON events"
run "$CS" verify
expect_rc 1 "verify with a guard trigger dropped"
expect_in err "the trigger events_no_delete on events that countersign made was dropped" "names the guard"
owner "CREATE TRIGGER events_no_delete BEFORE DELETE ON events FOR EACH ROW
	EXECUTE FUNCTION countersign_refuse('events are append-only: an event cannot be deleted')"
run "$CS" verify
expect_rc 0 "verify with the guard made again"
owner "CREATE OR REPLACE FUNCTION countersign_refuse() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
  RETURN NEW;
END
\$\$"
run "$CS" verify
expect_rc 1 "verify with the guards' function replaced"
expect_in err "the trigger events_no_update on events that countersign made was replaced by one countersign did not make" \
	"names the first guard that no longer refuses"

# With the guards gone, the owner edits an event: the chain says so, as on SQLite.
owner "UPDATE events SET payload = replace(payload, 'build', 'bu1ld') WHERE chain = '$R' AND seq = 2"
run "$CS" verify "$R"
expect_rc 1 "verify of an edited event"
expect_in err "event 2 (check_started by alice): hash does not match its contents (the record was altered)" \
	"the edited event is named"
finish
