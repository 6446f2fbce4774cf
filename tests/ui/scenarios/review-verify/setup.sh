# Two aborted runs with a note each; then the second run's note is changed
# behind countersign's back (the append-only trigger dropped first), as
# someone editing the database file would.
printf '123456\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
as() { printf '123456\n' | "$CS" "$@" --engineer alice --pin-stdin; }
set -e
RUN=$(as start sign.json --title "Untouched")
as note "$RUN" "deploy went fine" >/dev/null
as abort "$RUN" --reason "done for today" >/dev/null
RUN=$(as start sign.json --title "Edited later")
as note "$RUN" "deploy went fine" >/dev/null
as abort "$RUN" --reason "done for today" >/dev/null
sqlite3 "$COUNTERSIGN_DB" "DROP TRIGGER events_no_update;
	UPDATE events SET payload = replace(payload, 'fine', 'badly') WHERE chain = '$RUN' AND kind = 'note';"
