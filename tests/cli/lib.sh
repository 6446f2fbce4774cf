# Helpers for the cli suite: each test script sources this file, runs the real
# binary ($CS) in a temporary folder, and ends with `finish`.
set -u
CS=${1:?usage: test.sh COUNTERSIGN_BINARY SOURCE_ROOT}
SRC=${2:?usage: test.sh COUNTERSIGN_BINARY SOURCE_ROOT}
# COUNTERSIGN_TEST_ENGINE=pg runs the test on PostgreSQL: every location
# db_new gives is an empty database of its own in the cluster that
# tests/pg/with_pg started (COUNTERSIGN_TEST_PG); without one, the test runs
# itself again inside a cluster of its own.
ENGINE=${COUNTERSIGN_TEST_ENGINE:-sqlite}
case "$ENGINE" in
sqlite) ;;
pg)
	if [ -z "${COUNTERSIGN_TEST_PG:-}" ]; then
		exec "$SRC/tests/pg/with_pg" sh "$0" "$@"
	fi
	;;
*)
	echo "COUNTERSIGN_TEST_ENGINE=$ENGINE: sqlite or pg" >&2
	exit 2
	;;
esac
export LANG=C.UTF-8 TERM=xterm-256color
unset COUNTERSIGN_DB
T=$(mktemp -d "${TMPDIR:-/tmp}/countersign-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export HOME="$T/home" XDG_DATA_HOME="$T/data"
mkdir -p "$HOME"
cd "$T" || exit 1

# Under `meson test --setup valgrind`, COUNTERSIGN_WRAPPER (tests/valgrind-wrap)
# runs every countersign of the script; each process's report goes to
# $T/valgrind/PID.log and `finish` fails on any that reports an error (the
# "==PID==" lines; "--PID--" lines are valgrind's own warnings).
if [ -n "${COUNTERSIGN_WRAPPER:-}" ]; then
	export VALGRIND_LOG_DIR="$T/valgrind"
	mkdir -p "$VALGRIND_LOG_DIR"
	printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$COUNTERSIGN_WRAPPER" "$CS" >"$T/countersign-wrapped"
	chmod +x "$T/countersign-wrapped"
	CS="$T/countersign-wrapped"
fi
passed=0
failed=0

# db_new NAME: prints the location of a new, empty record named NAME: the
# file $T/NAME.db (not created) on SQLite; on PostgreSQL a database made for
# this test in the cluster, as a postgresql:// URI.
db_new() {
	if [ "$ENGINE" = sqlite ]; then
		printf '%s/%s.db\n' "$T" "$1"
		return
	fi
	pg_db_name=$(printf 't%s_%s' "$$" "$1" | tr -c 'a-zA-Z0-9_' _)
	db_psql "$COUNTERSIGN_TEST_PG" "CREATE DATABASE $pg_db_name" >/dev/null || return 1
	printf 'postgresql://countersign@/%s?host=%s\n' "$pg_db_name" "$(pg_host)"
}

# pg_host: the socket directory of the cluster (host= in COUNTERSIGN_TEST_PG).
pg_host() {
	printf '%s\n' "$COUNTERSIGN_TEST_PG" | tr ' ' '\n' | sed -n 's/^host=//p'
}

# db_psql CONNINFO [SQL]: SQL (else stdin) through psql, values unaligned,
# stopping at the first error.
db_psql() {
	if [ $# -ge 2 ]; then
		psql -X -q -At -v ON_ERROR_STOP=1 "$1" -c "$2"
	else
		psql -X -q -At -v ON_ERROR_STOP=1 "$1"
	fi
}

# db_sql LOCATION [SQL]: runs SQL (else stdin) on the record at LOCATION as
# its owner would, behind countersign's back: sqlite3 on a file, psql on
# PostgreSQL. Write SQL that differs between the engines twice, choosing
# with $ENGINE.
db_sql() {
	case "$1" in
	postgres://* | postgresql://*)
		if [ -e "$T/guards-off.$(pg_db_of "$1")" ]; then
			PGOPTIONS="-c session_replication_role=replica" db_psql "$@"
		else
			db_psql "$@"
		fi
		;;
	*) sqlite3 -cmd ".timeout 10000" "$@" ;;
	esac
}

# pg_db_of LOCATION: the database name in a location db_new made.
pg_db_of() {
	pg_db=${1#*@/}
	printf '%s\n' "${pg_db%%\?*}"
}

# db_guards_off LOCATION: the owner turns off the guard triggers (not
# run_index_append, which keeps the derived run table) for what db_sql and
# tamper do next: on SQLite they are dropped; on PostgreSQL their sessions
# run with session_replication_role = replica, which fires no trigger and
# leaves the catalog as it was.
db_guards_off() {
	case "$1" in
	postgres://* | postgresql://*) : >"$T/guards-off.$(pg_db_of "$1")" ;;
	*)
		for pg_trig in $(sqlite3 "$1" "select name from sqlite_master where type = 'trigger'
				and name <> 'run_index_append'"); do
			sqlite3 "$1" "drop trigger $pg_trig" || return 1
		done
		;;
	esac
}

# tamper LOCATION ACTION ARGS...: tests/cli/tamper.py (its guards-off also
# holds for db_sql on PostgreSQL).
tamper() {
	if [ "${2:-}" = guards-off ]; then
		case "$1" in postgres://* | postgresql://*) : >"$T/guards-off.$(pg_db_of "$1")" ;; esac
	fi
	/usr/bin/python3 "$SRC/tests/cli/tamper.py" "$@"
}

# db_clone SRC NAME: prints the location of a new record named NAME holding
# what SRC holds (a SQLite file is checkpointed and copied; a PostgreSQL
# database is the template of the new one, once the programs that used it
# have let it go).
db_clone() {
	if [ "$ENGINE" = sqlite ]; then
		sqlite3 "$1" "pragma wal_checkpoint(truncate)" >/dev/null &&
			cp "$1" "$T/$2.db" && printf '%s/%s.db\n' "$T" "$2"
		return
	fi
	pg_src=$(pg_db_of "$1")
	pg_db_name=$(printf 't%s_%s' "$$" "$2" | tr -c 'a-zA-Z0-9_' _)
	pg_deadline=$(($(date +%s) + 20))
	until db_psql "$COUNTERSIGN_TEST_PG" "CREATE DATABASE $pg_db_name TEMPLATE $pg_src" >/dev/null 2>"$T/clone.err"; do
		if [ "$(date +%s)" -ge "$pg_deadline" ] || ! grep -q 'being accessed by other users' "$T/clone.err"; then
			cat "$T/clone.err" >&2
			return 1
		fi
		sleep 0.1
	done
	printf 'postgresql://countersign@/%s?host=%s\n' "$pg_db_name" "$(pg_host)"
}

# sql_json COLUMN KEY[.KEY...]: an SQL expression for the text at that path
# of the JSON in COLUMN: a string's value, a number, or an array or object
# as written (json, not jsonb, keeps countersign's compact text).
sql_json() {
	if [ "$ENGINE" = sqlite ]; then
		printf "json_extract(%s, '\$.%s')" "$1" "$2"
	else
		printf "(%s::json #>> '{%s}')" "$1" "$(printf '%s' "$2" | tr . ,)"
	fi
}

# sql_agg EXPR SEPARATOR: an SQL aggregate joining EXPR's values with
# SEPARATOR in the order of the rows.
sql_agg() {
	if [ "$ENGINE" = sqlite ]; then
		printf "group_concat(%s, '%s')" "$1" "$2"
	else
		printf "string_agg((%s)::text, '%s')" "$1" "$2"
	fi
}

# db_absent LOCATION: nothing was made at LOCATION (no SQLite file; no
# table in the PostgreSQL database).
db_absent() {
	case "$1" in
	postgres://* | postgresql://*) [ "$(db_psql "$1" "select count(*) from pg_tables where schemaname = current_schema()")" = 0 ] ;;
	*) [ ! -e "$1" ] ;;
	esac
}

# db_digest LOCATION: a digest of everything the record holds, to show that
# a command changed nothing (the bytes of the checkpointed SQLite file; a
# dump of the PostgreSQL database less the random key pg_dump writes into
# its \restrict lines).
db_digest() {
	case "$1" in
	postgres://* | postgresql://*) pg_dump --no-sync "$1" | grep -v '^\\\(un\)\{0,1\}restrict ' | sha256sum ;;
	*) sqlite3 "$1" "pragma wal_checkpoint(truncate)" >/dev/null && sha256sum <"$1" ;;
	esac
}

# sqlite_file WHAT: true on SQLite; on PostgreSQL false, saying that WHAT, a
# case about SQLite files themselves, is skipped (wrap the case in
# `if sqlite_file WHAT; then ... fi`).
sqlite_file() {
	[ "$ENGINE" = sqlite ] && return 0
	printf 'skip (SQLite file): %s\n' "$1"
	return 1
}

# sqlite_file_test WHAT: on PostgreSQL the whole test is about SQLite files:
# says so and exits 77 (skipped).
sqlite_file_test() {
	sqlite_file "$1" || exit 77
}

# run CMD...: runs it, keeping stdout in $T/out, stderr in $T/err, status in $rc.
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# as WHO CMD...: CMD as engineer WHO with WHO's test PIN (pin-WHO-1) on
# standard input, kept like run.
as() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" | "$CS" "$@" --engineer "$who" --pin-stdin >"$T/out" 2>"$T/err"
	rc=$?
}

ok() {
	passed=$((passed + 1))
}

fail() {
	failed=$((failed + 1))
	printf 'FAIL: %s\n' "$1" >&2
	printf '  status %s\n  stdout: %s\n  stderr: %s\n' "$rc" "$(head -c 2000 "$T/out")" "$(head -c 2000 "$T/err")" >&2
}

# expect_rc N DESC
expect_rc() {
	if [ "$rc" -eq "$1" ]; then ok; else fail "$2: expected exit $1, got $rc"; fi
}

# expect_out FILE(out|err) FIXED-STRING DESC
expect_in() {
	if grep -qF -- "$2" "$T/$1"; then ok; else fail "$3: $1 lacks '$2'"; fi
}

expect_not_in() {
	if grep -qF -- "$2" "$T/$1"; then fail "$3: $1 has '$2'"; else ok; fi
}

# expect_eq GOT WANT DESC
expect_eq() {
	if [ "$1" = "$2" ]; then ok; else fail "$3: got '$1', want '$2'"; fi
}

# wait_until COMMAND SECONDS: true once COMMAND (a string for eval) succeeds,
# false when SECONDS pass first.
wait_until() {
	deadline=$(($(date +%s) + $2 + 1))
	until eval "$1" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# group_alive PGID: some process of the group exists and is not a zombie
# (zombies wait for a parent that may be slow to reap them; they run nothing).
group_alive() {
	ps -A -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^[ZX]/ { found = 1 } END { exit !found }'
}

# wrapped WHAT: true, saying WHAT is skipped, when countersign runs under
# COUNTERSIGN_WRAPPER: its memory, speed and /proc command line are then the
# wrapper's (valgrind's), so a check of them would measure the wrapper.
wrapped() {
	[ -n "${COUNTERSIGN_WRAPPER:-}" ] || return 1
	printf 'skipped under %s: %s\n' "${COUNTERSIGN_WRAPPER##*/}" "$1" >&2
}

finish() {
	if [ -n "${VALGRIND_LOG_DIR:-}" ]; then
		for log in "$VALGRIND_LOG_DIR"/*.log; do
			grep -q '^==[0-9]*==' "$log" 2>/dev/null || continue
			failed=$((failed + 1))
			printf 'FAIL: valgrind reports errors (%s):\n' "${log##*/}" >&2
			cat "$log" >&2
		done
	fi
	printf '%d passed, %d failed\n' "$passed" "$failed"
	[ "$failed" -eq 0 ]
	exit $?
}
