#!/bin/sh
# Two front ends on two hosts (each its own host name: a UTS namespace) and
# one PostgreSQL record co-sign one section at the same moment: both
# signatures land, the gate opens, and the report shows both hosts. The
# host names need unshare -u (root); without it the two sign from this host
# and the host part is skipped.
. "$2/tests/pg/lib_pg.sh"

export COUNTERSIGN_DB="$PG"
cp "$SRC"/tests/cli/fixtures/gates.json .
add_engineer alice
add_engineer bob
by alice start gates.json --title "two hosts"
R=$(cat "$T/out")
for item in build flag strict; do
	by alice check "$R" "prep/$item"
done
by alice attest "$R" prep/review --yes
expect_rc 0 "the section's items are done"

hosts=false
if can_rename_host; then
	hosts=true
else
	echo "skipped: two host names need unshare -u (root); both sign from this host" >&2
fi
sign_as() { # WHO HOST
	printf 'pin-%s-1\n' "$1" >"$T/pin-$1"
	if $hosts; then
		on_host "$2" "$CS" sign "$R" prep --engineer "$1" --pin-stdin <"$T/pin-$1" >"$T/$1.out" 2>"$T/$1.err"
	else
		"$CS" sign "$R" prep --engineer "$1" --pin-stdin <"$T/pin-$1" >"$T/$1.out" 2>"$T/$1.err"
	fi
}
sign_as alice countersign-host-a &
pa=$!
sign_as bob countersign-host-b &
pb=$!
wait "$pa"
ra=$?
wait "$pb"
rb=$?
rc=$ra
expect_eq "$ra" 0 "alice's sign-off from host a ($(cat "$T/alice.err"))"
expect_eq "$rb" 0 "bob's sign-off from host b ($(cat "$T/bob.err"))"

run "$CS" status "$R"
expect_in out "[passed] prep" "the gate opens"
expect_in out "sign-offs 2/2" "both signatures count"
run "$CS" audit --run "$R" --kind signed
expect_eq "$(grep -c 'signed: approved' "$T/out")" 2 "both signatures are recorded once each"
run "$CS" export "$R" --format md
expect_rc 0 "export md"
if $hosts; then
	expect_in out "countersign-host-a" "the report shows host a"
	expect_in out "countersign-host-b" "the report shows host b"
	run "$CS" audit --run "$R" --kind signed --json
	expect_in out "countersign-host-a" "the audit shows host a"
	expect_in out "countersign-host-b" "the audit shows host b"
fi
run "$CS" verify
expect_rc 0 "the record verifies"

finish
