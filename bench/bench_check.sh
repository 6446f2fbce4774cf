#!/bin/sh
# Cost of `countersign check` against the bare shell, and the throughput and
# peak memory of capturing 1 GiB of output.
#   sh bench_check.sh COUNTERSIGN_BINARY SOURCE_ROOT [N]
# The check figures use COUNTERSIGN_TEST_PIN_COST=min (the cheapest Argon2id):
# at the real cost the PIN check dominates every call, and it is shown apart.
set -u
CS=${1:?usage: bench_check.sh COUNTERSIGN_BINARY SOURCE_ROOT [N]}
N=${3:-50}
T=$(mktemp -d "${TMPDIR:-/tmp}/countersign-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
unset COUNTERSIGN_DB
export LANG=C.UTF-8 HOME="$T/home" XDG_DATA_HOME="$T/data" COUNTERSIGN_DB="$T/cs.db"
mkdir -p "$HOME"

cat >bench.json <<'EOF'
{"countersign": 1, "id": "bench", "title": "Benchmark",
 "sections": [
  {"id": "s", "title": "Checks", "items": [
   {"id": "true", "title": "Does nothing", "kind": "command", "run": "true"},
   {"id": "flood", "title": "Prints 1 GiB", "kind": "command", "run": "head -c 1073741824 /dev/zero"}
  ]},
  {"id": "t", "title": "Later", "items": [{"id": "x", "title": "X", "kind": "command", "run": "true"}]}
 ]}
EOF

now_ns() {
	date +%s%N
}

# ms_between START_NS END_NS [DIVISOR]: milliseconds (per DIVISOR calls), 2 decimals.
ms_between() {
	awk -v a="$1" -v b="$2" -v n="${3:-1}" 'BEGIN { printf "%.2f", (b - a) / 1e6 / n }'
}

printf 'pin-bench-1\n' >pin
COUNTERSIGN_TEST_PIN_COST=min "$CS" engineer add bench --full-name "Bench Mark" --pin-stdin <pin >/dev/null || exit 3
printf 'pin-real-1\n' >pin-real
"$CS" engineer add real --full-name "Real Cost" --pin-stdin <pin-real >/dev/null || exit 3
R=$("$CS" start bench.json --engineer bench --pin-stdin <pin) || exit 3

# Warm the page cache and the database once.
"$CS" check "$R" s/true --engineer bench --pin-stdin <pin >/dev/null || exit 3
sh -c true

t0=$(now_ns)
i=0
while [ $i -lt "$N" ]; do
	"$CS" check "$R" s/true --engineer bench --pin-stdin <pin >/dev/null || exit 3
	i=$((i + 1))
done
t1=$(now_ns)
i=0
while [ $i -lt "$N" ]; do
	sh -c true
	i=$((i + 1))
done
t2=$(now_ns)

cs_ms=$(ms_between "$t0" "$t1" "$N")
sh_ms=$(ms_between "$t1" "$t2" "$N")
ratio=$(awk -v a="$(ms_between "$t0" "$t1")" -v b="$(ms_between "$t1" "$t2")" 'BEGIN { printf "%.1f", a / b }')
printf 'check of an item running true, %d calls (COUNTERSIGN_TEST_PIN_COST=min):\n' "$N"
printf '  countersign check  %8s ms per call\n' "$cs_ms"
printf '  sh -c true         %8s ms per call\n' "$sh_ms"
printf '  ratio              %8s x as long\n' "$ratio"

# The same check with a PIN hashed at the real (interactive) Argon2id cost.
M=3
t0=$(now_ns)
i=0
while [ $i -lt $M ]; do
	"$CS" check "$R" s/true --engineer real --pin-stdin <pin-real >/dev/null || exit 3
	i=$((i + 1))
done
t1=$(now_ns)
printf '  with the real PIN cost: %s ms per call (%d calls; the Argon2id PIN check dominates)\n' \
	"$(ms_between "$t0" "$t1" $M)" $M

# 1 GiB of output through the capture.
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f '%e %M' -o flood.time "$CS" check "$R" s/flood --engineer bench --pin-stdin <pin >/dev/null ||
		exit 3
	read -r cs_s cs_kb <flood.time
	/usr/bin/time -f '%e %M' -o bare.time sh -c 'head -c 1073741824 /dev/zero > /dev/null'
	read -r sh_s sh_kb <bare.time
else
	t0=$(now_ns)
	"$CS" check "$R" s/flood --engineer bench --pin-stdin <pin >/dev/null || exit 3
	t1=$(now_ns)
	sh -c 'head -c 1073741824 /dev/zero > /dev/null'
	t2=$(now_ns)
	cs_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	sh_s=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	cs_kb='?' sh_kb='?'
fi
printf 'capture of 1 GiB (head -c 1073741824 /dev/zero):\n'
# line LABEL SECONDS PEAK_KIB
line() {
	awk -v l="$1" -v s="$2" -v kb="$3" \
		'BEGIN { printf "  %-22s %7.2f s %8.0f MiB/s   peak RSS %s KiB\n", l, s, 1024 / (s > 0 ? s : 0.01), kb }'
}
line "countersign check" "$cs_s" "$cs_kb"
line "sh -c 'head >/dev/null'" "$sh_s" "$sh_kb"
