#!/bin/sh
# libpq is loaded when the first PostgreSQL location is opened, not when the
# program starts (src/store/db_pq.c):
# - the program does not link libpq (ldd), and commands on a SQLite record
#   never map it (LD_DEBUG=files lists every library loaded, also by dlopen);
# - a PostgreSQL location, as a keyword string, a postgresql:// URL or
#   service=NAME, maps it on first use and works;
# - with COUNTERSIGN_LIBPQ (a hook of the test program) naming a file that
#   does not exist, or a library that is not libpq, a command on a
#   PostgreSQL location exits 3 with "PostgreSQL locations need libpq
#   (PATH): REASON", and SQLite records still work.
. "$2/tests/pg/lib_pg.sh"

cp "$SRC"/tests/cli/fixtures/gates.json .
SQLITE_DB=$T/cs.db
missing=$T/nowhere/libpq.so.5

# --- The program as built.
if wrapped "ldd and LD_DEBUG of the program"; then
	:
elif command -v ldd >/dev/null 2>&1; then
	run ldd "$CS"
	expect_rc 0 "ldd reads the program"
	expect_not_in out "libpq" "the program does not link libpq"
else
	printf 'skip: ldd is not installed\n' >&2
fi

# --- A SQLite record: libpq is never loaded, and is not needed.
printf 'pin-alice-1\n' >"$T/pin"
run "$CS" --db "$SQLITE_DB" engineer add alice --full-name "Alice Example" --pin-stdin <"$T/pin"
expect_rc 0 "engineer add on SQLite"
run "$CS" --db "$SQLITE_DB" start gates.json --engineer alice --pin-stdin <"$T/pin"
expect_rc 0 "start on SQLite"
R=$(cat "$T/out")
if ! wrapped "LD_DEBUG of a SQLite check"; then
	LD_DEBUG=files run "$CS" --db "$SQLITE_DB" check "$R" prep/build --engineer alice --pin-stdin <"$T/pin"
	expect_rc 0 "check on SQLite"
	expect_in err "file=libsqlite3" "LD_DEBUG=files lists the libraries loaded"
	expect_not_in err "libpq" "a check on SQLite does not load libpq"
	LD_DEBUG=files run "$CS" --db "$SQLITE_DB" status "$R"
	expect_rc 0 "status on SQLite"
	expect_not_in err "libpq" "status on SQLite does not load libpq"
fi
COUNTERSIGN_LIBPQ=$missing run "$CS" --db "$SQLITE_DB" check "$R" prep/flag --engineer alice --pin-stdin <"$T/pin"
expect_rc 0 "without libpq: a check on SQLite passes"
COUNTERSIGN_LIBPQ=$missing run "$CS" --db "$SQLITE_DB" verify
expect_rc 0 "without libpq: verify of a SQLite record passes"

# --- PostgreSQL locations load libpq on first use.
dir=$COUNTERSIGN_TEST_PG_DIR
user=$(printf '%s\n' "$PG" | sed -n 's/.*user=\([^ ]*\).*/\1/p')
url="postgresql:///countersign?host=$dir&user=$user"
printf '[cs]\nhost=%s\ndbname=countersign\nuser=%s\n' "$dir" "$user" >"$T/pg_service.conf"
export PGSERVICEFILE="$T/pg_service.conf"
run "$CS" --db "$PG" engineer add alice --full-name "Alice Example" --pin-stdin <"$T/pin"
expect_rc 0 "engineer add on PostgreSQL"
run "$CS" --db "$url" start gates.json --engineer alice --pin-stdin <"$T/pin"
expect_rc 0 "start on PostgreSQL (postgresql:// URL)"
P=$(cat "$T/out")
if wrapped "LD_DEBUG of a PostgreSQL check"; then
	run "$CS" --db "service=cs" check "$P" prep/build --engineer alice --pin-stdin <"$T/pin"
	expect_rc 0 "check on PostgreSQL (service=NAME)"
else
	LD_DEBUG=files run "$CS" --db "service=cs" check "$P" prep/build --engineer alice --pin-stdin <"$T/pin"
	expect_rc 0 "check on PostgreSQL (service=NAME)"
	expect_in err "file=libpq.so.5" "a check on PostgreSQL loads libpq"
fi

# --- libpq cannot be loaded.
for location in "$PG" "$url" "service=cs"; do
	COUNTERSIGN_LIBPQ=$missing run "$CS" --db "$location" check "$P" prep/flag --engineer alice --pin-stdin <"$T/pin"
	expect_rc 3 "without libpq: a check on $location exits 3"
	expect_in err "PostgreSQL locations need libpq ($missing): $missing: cannot open shared object file" \
		"without libpq: the message on $location names the library and why"
	if [ "$(wc -l <"$T/err")" -eq 1 ]; then ok; else fail "without libpq: one line on $location"; fi
done
COUNTERSIGN_LIBPQ=$missing run "$CS" --db "$PG" runs
expect_rc 3 "without libpq: runs on PostgreSQL exits 3"
expect_in err "PostgreSQL locations need libpq ($missing)" "without libpq: runs says why"

# A library that is there but is not libpq.
notpq=$(ldconfig -p 2>/dev/null | sed -n 's/^[[:space:]]*\(libz\.so\.1\) .*/\1/p' | head -n 1)
if [ -n "$notpq" ]; then
	COUNTERSIGN_LIBPQ=$notpq run "$CS" --db "$PG" status "$P"
	expect_rc 3 "another library as libpq: status exits 3"
	expect_in err "PostgreSQL locations need libpq (libz.so.1): " "another library as libpq: the message names it"
	expect_in err "undefined symbol: PQ" "another library as libpq: the message names the missing function"
else
	printf 'skip: libz.so.1 not found by ldconfig\n' >&2
fi

# Nothing was recorded by the refused commands: prep/flag is still pending;
# with libpq the same check passes, and both records verify.
run "$CS" --db "$PG" status "$P"
expect_rc 0 "status on PostgreSQL"
if grep -Eq '^ *pass +command +build ' "$T/out"; then ok; else fail "status on PostgreSQL: prep/build passed"; fi
if grep -Eq '^ *pending +command +flag ' "$T/out"; then ok; else fail "without libpq: nothing was recorded for prep/flag"; fi
run "$CS" --db "$PG" check "$P" prep/flag --engineer alice --pin-stdin <"$T/pin"
expect_rc 0 "with libpq again: the same check passes"
run "$CS" --db "$PG" verify
expect_rc 0 "verify of the PostgreSQL record"
run "$CS" --db "$SQLITE_DB" verify
expect_rc 0 "verify of the SQLite record"
finish
