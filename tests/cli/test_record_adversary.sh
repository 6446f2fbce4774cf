#!/bin/sh
# The record's edges through the real binary: a path to another program's
# SQLite database is refused by every command and left byte for byte as it
# was; an empty file is named as such; a file the user cannot read says
# so; a database whose -wal holds changes, in a folder where no -shm can be
# made, says what to do instead of "unable to open database file"; a
# version 2 copy in a read-only folder is read and left unchanged; verify
# reports the derived run table's trigger dropped, and after an event
# recorded without it names the trigger instead of a cut chain.
. "$(dirname "$0")/lib.sh"

DB=$(db_new cs)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
PY=/usr/bin/python3
mkdir fx && cp "$SRC"/tests/cli/fixtures/gates.json fx/

by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin-$who"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin-$who"
}
sum() {
	cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1
}

for e in alice bob; do
	printf 'pin-%s-1\n' "$e" | "$CS" engineer add "$e" --full-name "$e Example" --pin-stdin >/dev/null
done
by alice start fx/gates.json
R=$(cat "$T/out")
by alice check "$R" prep/build
expect_rc 0 "a check"
by bob note "$R" "first note"
expect_rc 0 "a note"

# --- another program's SQLite database ------------------------------------------
if sqlite_file "another program's SQLite database file"; then
	"$PY" -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("create table moz_places (id integer primary key, url text)")
c.execute("insert into moz_places (url) values (?)", ("https://example.org/",))
c.commit()' "$T/places.sqlite"
	before=$(sum "$T/places.sqlite")
	printf 'pin-carol-1\n' >"$T/pin-carol"
	run "$CS" --db "$T/places.sqlite" engineer add carol --full-name Carol --pin-stdin <"$T/pin-carol"
	expect_rc 3 "a command that records refuses another program's database"
	expect_in err "$T/places.sqlite: it is not a countersign database but some other SQLite database" \
		"and says what it is"
	expect_in err "check --db or COUNTERSIGN_DB" "and what to check"
	expect_eq "$(sum "$T/places.sqlite")" "$before" "the other program's database is unchanged"
	[ ! -e "$T/places.sqlite-wal" ] && ok || fail "no -wal was made next to it (it was not switched to WAL)"
	for cmd in "runs --all" "audit" "verify" "status $R"; do
		# shellcheck disable=SC2086
		run "$CS" --db "$T/places.sqlite" $cmd
		expect_rc 3 "$cmd on another program's database"
		expect_in err "is not a countersign database" "$cmd: says what it is"
		expect_not_in err "brings it up to date" "$cmd: does not advise recording into it"
	done
	expect_eq "$(sum "$T/places.sqlite")" "$before" "still unchanged after reading"
fi

# --- an empty file --------------------------------------------------------------
if sqlite_file "an empty file"; then
	: >"$T/empty.db"
	run "$CS" --db "$T/empty.db" runs
	expect_rc 3 "runs on an empty file"
	expect_in err "$T/empty.db: nothing has been recorded in it yet" "an empty file is named as such"
	[ ! -s "$T/empty.db" ] && ok || fail "reading leaves the empty file empty"
fi

# --- verify and the derived run table's trigger ------------------------------------
TRIG=$(db_clone "$DB" trig)
if [ "$ENGINE" = sqlite ]; then
	db_sql "$TRIG" "drop trigger run_index_append"
else
	db_sql "$TRIG" "drop trigger run_index_append on events"
fi
run "$CS" --db "$TRIG" verify
expect_rc 1 "verify fails when the derived run table's trigger was dropped"
expect_in err "the chains verify, but the derived run table that lists runs is no longer kept up to date: its trigger run_index_append was dropped" \
	"and says what was dropped"
expect_not_in err "?:" "the failure names no chain it does not belong to"
by bob --db "$TRIG" note "$R" "recorded without the trigger"
expect_rc 0 "a note recorded without the trigger"
run "$CS" --db "$TRIG" verify "$R"
expect_rc 1 "verify RUN sees the table behind the chain"
expect_in err "its trigger run_index_append was dropped from the schema, so the events recorded since did not update it" \
	"the trigger is named as the cause"
expect_not_in err "removed from the end" "a longer chain is not called a cut one"

# --- read-only copies, as a user who cannot write the folder -------------------------
# As root, file modes do not apply: the cases run as nobody through setpriv.
NOBODY=65534
if ! sqlite_file "read-only copies of the database file"; then
	:
elif [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	printf 'skipped: read-only copies as another user (needs root and setpriv)\n' >&2
elif wrapped "read-only copies as another user"; then
	:
else
	as_nobody() {
		run setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups -- env LANG=C.UTF-8 TERM="$TERM" "$CS" "$@"
	}
	chmod 755 "$T"
	# A file that cannot be read at all.
	mkdir "$T/noread"
	cp "$DB" "$T/noread/cs.db"
	chmod 000 "$T/noread/cs.db"
	as_nobody --db "$T/noread/cs.db" runs --all
	expect_rc 3 "an unreadable file"
	expect_in err "cannot read $T/noread/cs.db: Permission denied" "says why it cannot be read"

	# A copy whose -wal holds a note not yet in the main file, in a folder
	# where no -shm can be made.
	"$PY" -c 'import os, shutil, sqlite3, subprocess, sys
db, cs, run, dest = sys.argv[1:5]
hold = sqlite3.connect(db)   # keeps the closing writer from folding the -wal back
hold.execute("select count(*) from events").fetchone()
r = subprocess.run([cs, "--db", db, "note", run, "in the wal only", "--engineer", "bob", "--pin-stdin"],
                   input="pin-bob-1\n", text=True, capture_output=True)
assert r.returncode == 0, r.stderr
os.makedirs(dest)
for x in ("", "-wal"):
    shutil.copy(db + x, os.path.join(dest, "cs.db" + x))
hold.close()' "$DB" "$CS" "$R" "$T/walcopy"
	[ -s "$T/walcopy/cs.db-wal" ] && [ ! -e "$T/walcopy/cs.db-shm" ] && ok || fail "a copy with -wal content and no -shm"
	chmod 644 "$T/walcopy/cs.db" "$T/walcopy/cs.db-wal"
	chmod 555 "$T/walcopy"
	before=$(sum "$T/walcopy/cs.db" "$T/walcopy/cs.db-wal")
	for cmd in "runs --all" "verify" "audit --run $R" "status $R"; do
		# shellcheck disable=SC2086
		as_nobody --db "$T/walcopy/cs.db" $cmd
		expect_rc 3 "$cmd: -wal content without a -shm"
		expect_in err "$T/walcopy/cs.db-wal holds changes not yet written into it" "$cmd: says what is in the way"
		expect_in err "copy $T/walcopy/cs.db and $T/walcopy/cs.db-wal together into a folder you can write" \
			"$cmd: and what to do"
	done
	expect_eq "$(sum "$T/walcopy/cs.db" "$T/walcopy/cs.db-wal")" "$before" "the copy is unchanged"
	[ ! -e "$T/walcopy/cs.db-shm" ] && ok || fail "no -shm was made"

	# A version 2 copy (before the derived run table) in a read-only folder:
	# read through views, verified, unchanged. A real one: the version 3
	# record of the fixture without its derived run table (run 083k8qf9gk,
	# with bob's note).
	mkdir "$T/v2"
	sqlite3 "$T/v2/cs.db" <"$SRC/tests/cli/fixtures/tamper-v3.sql"
	sqlite3 "$T/v2/cs.db" "drop trigger run_index_append; drop table run_index; drop table run_actors;
		drop index runs_by_checklist; pragma user_version = 2; pragma wal_checkpoint(truncate)" >/dev/null
	rm -f "$T/v2/cs.db-wal" "$T/v2/cs.db-shm"
	chmod 644 "$T/v2/cs.db"
	chmod 555 "$T/v2"
	before=$(sum "$T/v2/cs.db")
	as_nobody --db "$T/v2/cs.db" runs --all
	expect_rc 0 "runs --all on a version 2 copy in a read-only folder"
	expect_in out "083k8qf9gk" "lists the run"
	as_nobody --db "$T/v2/cs.db" verify
	expect_rc 0 "verify on the version 2 copy"
	as_nobody --db "$T/v2/cs.db" audit --run 083k8qf9gk
	expect_rc 0 "audit on the version 2 copy"
	expect_in out "legacy note" "the trail holds the note"
	expect_eq "$(sum "$T/v2/cs.db")" "$before" "the version 2 copy is unchanged"
	chmod 755 "$T/walcopy" "$T/v2"
	chmod 600 "$T/noread/cs.db"
fi

finish
