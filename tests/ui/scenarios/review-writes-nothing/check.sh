# Every key (generate.py) on every screen of review: the list, a run's
# sections and items (an unsigned section, a failed waivable item, items
# waiting for an attestation, an always-open rollback, a choice to make),
# the audit view and the export form; and on a completed run opened with
# open --run. After each script the record must be as setup.sh left it
# (snapshot.sh). First with COUNTERSIGN_TEST_REVIEW_WRITABLE=1, so that only
# the interface's own refusals stand between the keys and the record; then
# as shipped, where review reads through a connection that cannot write.
fail=0
gen() { python3 "$SCENARIO/generate.py" "$@"; }
gen list >list.keys
gen audit >audit.keys
gen export >export.keys
# positions: the first section, the manual item that passed (Space)
gen run "g j j <Enter>" "g j j <Enter>" "" "l g j" >unsigned.keys
# the failed waivable item (w), the item asking for a value (Space), the
# rollback check (Enter)
gen run "g j <Enter>" "g j <Enter>" "l g j" "l g j j" "G l g" >failed.keys
# the alternative to choose (C)
gen run "g <Enter>" "g <Enter>" "j" >choice.keys
gen run "" "" "" "l g j" >done.keys
# each key that would record says why it does not
gen refused "g j j <Enter>" "" "l g j" >refused.keys
gen refused "" "" "l g j" >refused-done.keys

# Compares the record with the snapshot; on a change, says which events are
# new and takes the record as it is now as the next script's snapshot.
unchanged() {
	sh "$SCENARIO/snapshot.sh" >after
	if ! cmp -s before after; then
		echo "$1: the record changed; new events:"
		last=$(sed -n 's/^events|[0-9]*|//p' before)
		sqlite3 "$COUNTERSIGN_DB" "SELECT chain, seq, actor, kind, target, payload FROM events WHERE rowid > ${last:-0}"
		diff before after
		cp after before
		fail=1
	fi
}

press() {
	script=$1
	shift
	COUNTERSIGN_UI_SCRIPT=$script.keys "$CS" "$@" 2>err
	rc=$?
	if [ $rc != 0 ]; then
		echo "$how, $script: countersign exited $rc: $(cat err)"
		fail=1
	fi
	unchanged "$how, $script"
}

every_screen() {
	for s in refused list audit export unsigned failed choice; do
		press $s review
	done
	press refused-done open --run "$(cat done-run)"
	press done open --run "$(cat done-run)"
}

how="the interface alone"
export COUNTERSIGN_TEST_REVIEW_WRITABLE=1
every_screen
unset COUNTERSIGN_TEST_REVIEW_WRITABLE
# as shipped, review reads through a connection that cannot write: every
# screen once more (the run screen at one place, for time's sake)
how="as shipped"
for s in refused list audit export unsigned; do
	press $s review
done
press refused-done open --run "$(cat done-run)"
press done open --run "$(cat done-run)"

# review opens the database read-only: it never creates one
COUNTERSIGN_DB=$PWD/none.db COUNTERSIGN_UI_SCRIPT=list.keys "$CS" review 2>err
rc=$?
if [ $rc != 3 ] || [ -e none.db ] || ! grep -q "no database at" err; then
	echo "review with no database: exit $rc, $(ls none.db 2>/dev/null) $(cat err)"
	fail=1
fi
exit $fail
