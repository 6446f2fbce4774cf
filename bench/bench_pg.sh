#!/bin/sh
# The record on PostgreSQL against the record on SQLite, in one run, each
# figure a ratio PostgreSQL / SQLite:
#
#   check    `countersign check RUN s/true` of an item running `true` (two
#            events recorded: check_started, check_finished), PIN cost min,
#            on a fresh record: a SQLite file against a database of a local
#            PostgreSQL reached over its Unix socket
#   record   the reviewer's record of 10,000 finished runs (one million
#            events, bench_record, cached in the build folder) copied to
#            PostgreSQL with `countersign db copy`; then `runs --all`,
#            `audit` and `audit --engineer eng01` on both, output to
#            /dev/null (and the peak resident memory of `audit`)
#
# Each side runs REPEAT times, the two engines taking turns (the check in
# blocks of N/REPEAT calls); the figure is the best of each. The PostgreSQL
# server is a throwaway cluster (tests/pg/with_pg) on a Unix socket with
# fsync turned back on, so that a commit waits for the disk as SQLite's
# synchronous=FULL does; without PostgreSQL's binaries it exits 77 (skipped).
#
#   sh bench_pg.sh COUNTERSIGN SOURCE_ROOT BENCH_RECORD RECORD_DB [N] [REPEAT]
set -u
[ $# -ge 4 ] || { echo "usage: bench_pg.sh COUNTERSIGN SOURCE_ROOT BENCH_RECORD RECORD_DB [N] [REPEAT]" >&2; exit 2; }
if [ -z "${COUNTERSIGN_TEST_PG:-}" ]; then
	exec sh "$2/tests/pg/with_pg" sh "$0" "$@"
fi
CS=$1
BENCH_RECORD=$3
RECORD_DB=$4
N=${5:-30}
REPEAT=${6:-3}
PG=$COUNTERSIGN_TEST_PG
T=$(mktemp -d "${TMPDIR:-/tmp}/countersign-bench-pg.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
unset COUNTERSIGN_DB
export LANG=C.UTF-8 HOME="$T/home" XDG_DATA_HOME="$T/data" COUNTERSIGN_TEST_PIN_COST=min
mkdir -p "$HOME"

now_ns() {
	date +%s%N
}

# psql_do DATABASE SQL: SQL run on the throwaway cluster as its superuser.
psql_do() {
	psql -X -q -v ON_ERROR_STOP=1 "$(printf '%s' "$PG" | sed "s/dbname=[^ ]*/dbname=$1/")" -c "$2" >/dev/null ||
		exit 3
}
psql_do postgres "ALTER SYSTEM SET fsync = on"
psql_do postgres "SELECT pg_reload_conf()"
psql_do postgres "CREATE DATABASE bench_check"
PG_CHECK=$(printf '%s' "$PG" | sed 's/dbname=[^ ]*/dbname=bench_check/')

# ---- 1. a check's two events ----
cat >bench.json <<'EOF'
{"countersign": 1, "id": "bench", "title": "Benchmark",
 "sections": [
  {"id": "s", "title": "Checks", "items": [{"id": "true", "title": "Does nothing", "kind": "command", "run": "true"}]},
  {"id": "t", "title": "Later", "items": [{"id": "x", "title": "X", "kind": "command", "run": "true"}]}
 ]}
EOF
printf 'pin-bench-1\n' >pin
# setup DB: an engineer and a run on DB; prints the run's id.
setup() {
	COUNTERSIGN_DB=$1 "$CS" engineer add bench --full-name "Bench Mark" --pin-stdin <pin >/dev/null || exit 3
	COUNTERSIGN_DB=$1 "$CS" start bench.json --engineer bench --pin-stdin <pin || exit 3
}
R_SQLITE=$(setup "$T/cs.db") || exit 3
R_PG=$(setup "$PG_CHECK") || exit 3

# checks DB RUN COUNT: COUNT checks of s/true; prints the nanoseconds taken.
checks() {
	t0=$(now_ns)
	i=0
	while [ "$i" -lt "$3" ]; do
		COUNTERSIGN_DB=$1 "$CS" check "$2" s/true --engineer bench --pin-stdin <pin >/dev/null || exit 3
		i=$((i + 1))
	done
	t1=$(now_ns)
	echo $((t1 - t0))
}
checks "$T/cs.db" "$R_SQLITE" 1 >/dev/null # warm the page cache
checks "$PG_CHECK" "$R_PG" 1 >/dev/null
block=$(((N + REPEAT - 1) / REPEAT))
best_s='' best_p=''
r=0
while [ $r -lt "$REPEAT" ]; do
	s=$(checks "$T/cs.db" "$R_SQLITE" $block) || exit 3
	p=$(checks "$PG_CHECK" "$R_PG" $block) || exit 3
	[ -z "$best_s" ] || [ "$s" -lt "$best_s" ] && best_s=$s
	[ -z "$best_p" ] || [ "$p" -lt "$best_p" ] && best_p=$p
	r=$((r + 1))
done
printf 'check of an item running true (two events recorded), %d blocks of %d calls, best block (PIN cost min):\n' \
	"$REPEAT" "$block"
awk -v s="$best_s" -v p="$best_p" -v n="$block" 'BEGIN {
	printf "  SQLite       %8.2f ms per call\n", s / 1e6 / n
	printf "  PostgreSQL   %8.2f ms per call\n", p / 1e6 / n
	printf "  ratio        %8.2f x as long on PostgreSQL\n", p / s }'
COUNTERSIGN_DB=$PG_CHECK "$CS" verify >/dev/null || { echo "verify failed on PostgreSQL" >&2; exit 1; }

# ---- 2. the reviewer's record of 10,000 runs ----
t0=$(now_ns)
"$BENCH_RECORD" "$RECORD_DB" 10000 || exit 3
t1=$(now_ns)
printf 'record: ready in %.1f s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e9 }')"
t0=$(now_ns)
"$CS" db copy "$RECORD_DB" "$PG" >/dev/null || exit 3
t1=$(now_ns)
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "db copy of the record to PostgreSQL: %.1f s\n", (b - a) / 1e9 }'
psql_do countersign "VACUUM ANALYZE"

# once DB ARGS...: one command on DB, output to /dev/null; prints nanoseconds.
once() {
	db=$1
	shift
	t0=$(now_ns)
	"$CS" --db "$db" "$@" >/dev/null 2>"$T/err" || { cat "$T/err" >&2; exit 3; }
	t1=$(now_ns)
	echo $((t1 - t0))
}
# compare NAME ARGS...: ARGS on both engines REPEAT times, taking turns.
compare() {
	name=$1
	shift
	once "$RECORD_DB" "$@" >/dev/null || exit 3 # warm both
	once "$PG" "$@" >/dev/null || exit 3
	bs='' bp=''
	r=0
	while [ $r -lt "$REPEAT" ]; do
		s=$(once "$RECORD_DB" "$@") || exit 3
		p=$(once "$PG" "$@") || exit 3
		[ -z "$bs" ] || [ "$s" -lt "$bs" ] && bs=$s
		[ -z "$bp" ] || [ "$p" -lt "$bp" ] && bp=$p
		r=$((r + 1))
	done
	awk -v n="$name" -v s="$bs" -v p="$bp" 'BEGIN {
		printf "%-26s SQLite %8.0f ms, PostgreSQL %8.0f ms: ratio %.2f\n", n, s / 1e6, p / 1e6, p / s }'
}
echo "on the record of 10,000 runs (1,000,000 events), best of $REPEAT, output to /dev/null:"
compare "runs --all" runs --all || exit 3
compare "audit --engineer eng01" audit --engineer eng01 || exit 3
compare "audit" audit || exit 3

# peak DB ARGS...: the peak resident memory of one command on DB.
peak() {
	db=$1
	shift
	/usr/bin/time -f '%M' -o "$T/rss" "$CS" --db "$db" "$@" >/dev/null || exit 3
	tail -n 1 "$T/rss"
}
if [ -x /usr/bin/time ]; then
	printf 'peak RSS of audit: SQLite %s KiB, PostgreSQL %s KiB\n' "$(peak "$RECORD_DB" audit)" "$(peak "$PG" audit)"
fi
