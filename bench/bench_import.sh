#!/bin/sh
# Time of `countersign import FILE.md` (the Markdown importer) against
# `cmark-gfm -e tasklist -e table` rendering the same file to /dev/null and
# `cat` of it, best of REPEAT runs each, in the same run of the benchmark.
#   sh bench_import.sh COUNTERSIGN_BINARY SOURCE_ROOT [REPEAT]
# Inputs, all written here:
#   noa      the NOA runbook (SOURCE_ROOT/../shared/runbooks/noa-server-deploy.md;
#            it and noa-1m are skipped when it is absent)
#   noa-1m   the NOA runbook repeated to about 1 MiB
#   short    many short sections of checkboxes with shell blocks, as large as
#            the importer takes: 4 MiB when the checklist made from it stays
#            within the loader's 4 MiB, else 1/8 smaller until it does
# A benchmark reports: it fails (exit 3) only when a command fails.
set -u
CS=${1:?usage: bench_import.sh COUNTERSIGN_BINARY SOURCE_ROOT [REPEAT]}
SRC=${2:?usage: bench_import.sh COUNTERSIGN_BINARY SOURCE_ROOT [REPEAT]}
N=${3:-7}
MIB=1048576
case $CS in /*) ;; */*) CS=$PWD/$CS ;; esac
case $SRC in /*) ;; *) SRC=$PWD/$SRC ;; esac
command -v cmark-gfm >/dev/null || { echo "cmark-gfm is not installed: no baseline"; exit 3; }
T=$(mktemp -d "${TMPDIR:-/tmp}/countersign-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
unset COUNTERSIGN_DB
export LANG=C.UTF-8 HOME="$T/home" XDG_DATA_HOME="$T/data" COUNTERSIGN_DB="$T/cs.db"
mkdir -p "$HOME"

# short_runbook BYTES: sections of a drain, a patch (each a checkbox with a
# shell block) and a manual check, up to BYTES bytes.
short_runbook() {
	awk -v target="$1" 'BEGIN {
		head = "# Fleet patching\n\nEvery node drained, patched and checked, one section each.\n\n"
		printf "%s", head
		bytes = length(head)
		for (n = 1; ; n++) {
			s = sprintf("## Node %05d\n\nDrain, patch and return node-%05d to the pool.\n\n" \
				"- [ ] **Drain node-%05d**\n\n  ```sh\n  kubectl drain node-%05d --ignore-daemonsets\n  ```\n\n" \
				"- [ ] **Patch node-%05d**\n\n  ```bash\n  ssh node-%05d sudo apt-get -y upgrade\n  ```\n\n" \
				"- [ ] Check the dashboard shows node-%05d healthy\n\n", n, n, n, n, n, n, n)
			if (bytes + length(s) > target)
				break
			printf "%s", s
			bytes += length(s)
		}
	}'
}

# best_ms CMD...: runs CMD N times (after one warm-up), output to /dev/null,
# and prints the shortest wall time in milliseconds.
best_ms() {
	"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 3; }
	i=0
	best=
	while [ $i -lt "$N" ]; do
		a=$(date +%s%N)
		"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 3; }
		b=$(date +%s%N)
		t=$(((b - a) / 1000))
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
		i=$((i + 1))
	done
	awk -v t="$best" 'BEGIN { printf "%.1f", t / 1000 }'
}

NOA="$SRC/../shared/runbooks/noa-server-deploy.md"
inputs=
if [ -r "$NOA" ]; then
	cp "$NOA" noa.md
	: >noa-1m.md
	while [ "$(wc -c <noa-1m.md)" -lt $MIB ]; do
		cat noa.md >>noa-1m.md
		echo >>noa-1m.md
	done
	inputs="noa noa-1m"
else
	echo "no $NOA: the noa and noa-1m inputs are skipped"
fi

# The largest short runbook the importer takes; at 4 MiB its checklist is
# over the loader's limit (the importer refuses it, exit 2): that refusal
# is timed too, as it must stop early.
size=$((4 * MIB))
short_runbook $size >short.md
refused_ms=
while :; do
	"$CS" import short.md >/dev/null 2>short.err
	rc=$?
	[ $rc -eq 0 ] && break
	[ $rc -eq 2 ] || { cat short.err >&2; echo "failed: import short.md (exit $rc)" >&2; exit 3; }
	if [ -z "$refused_ms" ]; then
		mv short.md short-refused.md
		a=$(date +%s%N)
		"$CS" import short-refused.md >/dev/null 2>&1
		b=$(date +%s%N)
		refused_ms=$(awk -v t=$(((b - a) / 1000)) 'BEGIN { printf "%.1f", t / 1000 }')
		printf 'short runbook of %d bytes: refused in %s ms (%s)\n' "$(wc -c <short-refused.md)" "$refused_ms" \
			"$(grep -m1 warning short.err | sed 's/^[^ ]* warning: //')"
	fi
	size=$((size - size / 8))
	[ $size -ge $MIB ] || { echo "failed: no short runbook of 1 MiB or more imports" >&2; exit 3; }
	short_runbook $size >short.md
done
inputs="$inputs short"

printf '%-8s %9s %7s %10s %9s %11s %7s  %s\n' input bytes items 'import ms' 'cmark ms' 'import/cmark' 'cat ms' 'peak RSS'
for f in $inputs; do
	bytes=$(wc -c <"$f.md")
	items=$("$CS" import "$f.md" 2>&1 >/dev/null | tail -n 1 | sed -n 's/.*imported [0-9]* sections\{0,1\}, \([0-9]*\) item.*/\1/p')
	imp=$(best_ms "$CS" import "$f.md") || exit 3
	cm=$(best_ms cmark-gfm -e tasklist -e table "$f.md") || exit 3
	ct=$(best_ms cat "$f.md") || exit 3
	rss=
	if [ -x /usr/bin/time ]; then
		rss=$(/usr/bin/time -f %M "$CS" import "$f.md" 2>&1 >/dev/null | tail -n 1)
		rss=$(awk -v k="$rss" 'BEGIN { printf "%.1f MiB", k / 1024 }')
	fi
	awk -v f="$f" -v b="$bytes" -v n="$items" -v i="$imp" -v c="$cm" -v t="$ct" -v r="$rss" \
		'BEGIN { printf "%-8s %9d %7s %10.1f %9.1f %11.1fx %7.1f  %s\n", f, b, n, i, c, i / c, t, r }'
done
printf 'for comparison: countersign --version %s ms (the start of the process)\n' "$(best_ms "$CS" --version)"
printf 'best of %d runs each; import writes the checklist (and its messages) to /dev/null as cmark-gfm does its HTML\n' "$N"
