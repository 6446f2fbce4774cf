#!/bin/sh
# Time of `countersign export RUN --format html -o FILE` for a finished run of
# a 1,000-item checklist (10 sections of 100 command items, two sign-offs
# each) with 10 MiB of recorded output, against sqlite3 reading the same
# run's events and evidence, in the same run of the benchmark.
#   sh bench_export.sh COUNTERSIGN_BINARY SOURCE_ROOT [REPEAT]
# The run is built by the real program (PIN cost min), two checks at a
# time: about 30-60 s on a 2-core machine before the timing starts.
# KEEP_DB=FILE keeps a copy of the database (to profile an export).
set -u
CS=${1:?usage: bench_export.sh COUNTERSIGN_BINARY SOURCE_ROOT [REPEAT]}
N=${3:-7}
SECTIONS=10
ITEMS=100
BYTES=10486 # per item: 10 MiB over 1,000 items
T=$(mktemp -d "${TMPDIR:-/tmp}/countersign-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
unset COUNTERSIGN_DB
export LANG=C.UTF-8 HOME="$T/home" XDG_DATA_HOME="$T/data" COUNTERSIGN_DB="$T/cs.db" \
	COUNTERSIGN_TEST_PIN_COST=min
mkdir -p "$HOME"

# A log-like text to print: each item prints its own first line, then the
# text up to BYTES, so that no two items' evidence is the same blob.
awk 'BEGIN { for (i = 0; i < 400; i++)
	printf "2026-11-30T12:%02d:%02dZ INFO rollout: replica %03d of 400 ready, checksum %08x ok\n",
		i / 60, i % 60, i, i * 2654435761 % 4294967296 }' >lines.txt
awk -v s="$SECTIONS" -v n="$ITEMS" -v bytes="$BYTES" -v lines="$T/lines.txt" 'BEGIN {
	printf "{\"countersign\": 1, \"id\": \"bench-export\", \"title\": \"Export benchmark\",\n \"sections\": [\n"
	for (i = 1; i <= s; i++) {
		printf "  {\"id\": \"s%02d\", \"title\": \"Section %d\", \"phase\": \"Deployment\", \"estimate\": \"5-10m\", \"items\": [\n", i, i
		for (k = 1; k <= n; k++)
			printf "   {\"id\": \"i%03d\", \"title\": \"Item %d of section %d\", \"kind\": \"command\", " \
				"\"run\": \"printf '\''item s%02d/i%03d\\\\n'\''; head -c %d %s\"}%s\n", \
				k, k, i, i, k, bytes - 14, lines, k < n ? "," : ""
		printf "  ]}%s\n", i < s ? "," : ""
	}
	printf " ]}\n"
}' >bench.json

for e in alice bob; do
	printf 'pin-%s-1\n' "$e" >"pin-$e"
	"$CS" engineer add "$e" --full-name "$e Bench" --pin-stdin <"pin-$e" >/dev/null || exit 3
done
t0=$(date +%s)
R=$("$CS" start bench.json --engineer alice --pin-stdin <pin-alice) || exit 3
# two checks at a time (the record takes concurrent writers), a section's
# sign-offs once its items are done
s=1
while [ $s -le $SECTIONS ]; do
	sec=$(printf 's%02d' $s)
	seq -f "$sec/i%03g" 1 $ITEMS | xargs -P 2 -I{} sh -c \
		'"$0" check "$1" "$2" --engineer alice --pin-stdin <pin-alice >/dev/null' "$CS" "$R" {} || exit 3
	"$CS" sign "$R" "$sec" --engineer alice --pin-stdin <pin-alice >/dev/null || exit 3
	"$CS" sign "$R" "$sec" --engineer bob --pin-stdin <pin-bob >/dev/null || exit 3
	s=$((s + 1))
done
built=$(($(date +%s) - t0))
state=$("$CS" status "$R" --json | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["state"])')
events=$(sqlite3 "$T/cs.db" "select count(*) from events where chain = '$R'")
evidence=$(sqlite3 "$T/cs.db" "select sum(length(bytes)) from evidence")
printf 'built run %s (%s) in %d s: %d items, %s events, %s bytes of evidence\n' "$R" "$state" "$built" \
	$((SECTIONS * ITEMS)) "$events" "$evidence"

[ -n "${KEEP_DB:-}" ] && cp "$T/cs.db" "$KEEP_DB" && echo "$R" >"$KEEP_DB.run"

# The baseline reads what the report needs: the run's events and each
# finished check's evidence blob.
baseline_sql="select * from events where chain = '$R' order by seq;
select e.bytes from events v join evidence e on e.sha256 = json_extract(v.payload, '\$.evidence')
 where v.chain = '$R' and v.kind = 'check_finished';"

# median_ms CMD...: runs CMD N times (after one warm-up) and prints the
# median wall time in milliseconds.
median_ms() {
	"$@" >/dev/null || exit 3
	i=0
	: >times
	while [ $i -lt "$N" ]; do
		a=$(date +%s%N)
		"$@" >/dev/null || exit 3
		b=$(date +%s%N)
		echo $(((b - a) / 1000)) >>times
		i=$((i + 1))
	done
	sort -n times | awk '{ t[NR] = $1 } END { printf "%.1f", t[int((NR + 1) / 2)] / 1000 }'
}

export_ms=$(median_ms "$CS" export "$R" --format html -o "$T/report.html")
sqlite_ms=$(median_ms sqlite3 "$T/cs.db" "$baseline_sql")
# export verifies the chain, which hashes every event and evidence blob:
# the same reading with a SHA-256 over all of it
hash_ms=$(median_ms sh -c 'sqlite3 "$1" "$2" | sha256sum' sh "$T/cs.db" "$baseline_sql")
json_ms=$(median_ms "$CS" export "$R" --format json -o "$T/report.json")
junit_ms=$(median_ms "$CS" export "$R" --format junit -o "$T/report.xml")
version_ms=$(median_ms "$CS" --version)
size=$(wc -c <"$T/report.html")
printf 'export --format html: median %s ms of %d (report %d bytes; target: under 300 ms)\n' "$export_ms" "$N" "$size"
printf 'sqlite3 reading the run'"'"'s events and evidence: median %s ms\n' "$sqlite_ms"
printf 'sqlite3 reading them piped to sha256sum: median %s ms\n' "$hash_ms"
awk -v a="$export_ms" -v b="$sqlite_ms" -v c="$hash_ms" \
	'BEGIN { printf "ratio export html / sqlite3: %.1f; / sqlite3 | sha256sum: %.1f\n", a / b, a / c }'
printf 'for comparison: export --format json %s ms, --format junit %s ms, countersign --version %s ms\n' \
	"$json_ms" "$junit_ms" "$version_ms"
awk -v a="$export_ms" 'BEGIN { exit !(a < 300) }' || echo "export html took $export_ms ms: over the 300 ms target"
