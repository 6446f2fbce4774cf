#!/bin/sh
# Nothing silently ignored: a failed write of the output is exit 3, an option
# given twice is a usage error, "system" cannot be registered, verify
# --anchor works with or without a RUN, and the installed program (third
# argument) honours no test hook.
. "$(dirname "$0")/lib.sh"

CS_USER=${3:?usage: test_strict.sh COUNTERSIGN_TEST_BINARY SOURCE_ROOT COUNTERSIGN_BINARY}
DB=$(db_new cs)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
mkdir fx && cp "$SRC"/tests/cli/fixtures/*.json fx/

by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin"
}

add_engineer() {
	printf 'pin-%s-1\n' "$1" | "$CS" engineer add "$1" --full-name "$2" --pin-stdin >/dev/null
}

events() {
	db_sql "$DB" "select count(*) from events"
}

# to_full COMMAND ARGS...: runs it with standard output on /dev/full.
to_full() {
	"$@" >/dev/full 2>"$T/err"
	rc=$?
	: >"$T/out"
}

add_engineer alice "Alice Example"
add_engineer bob "Bob Example"

# --- a failed write of the output is a failure ----------------------------------------
if [ -w /dev/full ]; then
	printf 'pin-alice-1\n' >"$T/pin"
	to_full "$CS" start fx/gates.json --engineer alice --pin-stdin <"$T/pin"
	expect_rc 3 "start with its output on a full disk"
	R=$(db_sql "$DB" "select id from runs")
	expect_in err "run $R was started, but its id could not be written" "start names the run it started"
	to_full "$CS" status "$R"
	expect_rc 3 "status to a full disk"
	expect_in err "cannot write to standard output" "the message says what failed"
	to_full "$CS" runs --json
	expect_rc 3 "runs --json to a full disk"
	to_full "$CS" engineer list
	expect_rc 3 "engineer list to a full disk"
	to_full "$CS" verify
	expect_rc 3 "verify to a full disk"
	to_full "$CS" --help
	expect_rc 3 "--help to a full disk"
	to_full "$CS" lint fx/gates.json
	expect_rc 3 "lint to a full disk"
else
	fail "/dev/full is not writable here: the output failure tests did not run"
fi
by alice start fx/gates.json
expect_rc 0 "start"
R=$(cat "$T/out")
run "$CS" status "$R"
expect_rc 0 "status to a file still succeeds"

# --- an option given twice is a usage error -------------------------------------------
n=$(events)
printf 'pin-alice-1\npin-bob-1\n' >"$T/pin"
run "$CS" sign "$R" prep --engineer alice --engineer bob --pin-stdin <"$T/pin"
expect_rc 2 "sign with two --engineer"
expect_in err "--engineer is given more than once" "the error names the option"
expect_eq "$(events)" "$n" "nothing was recorded"
by alice start fx/gates.json --title one --title two
expect_rc 2 "start with two --title"
by alice note "$R" "text" --pin-stdin
expect_rc 2 "--pin-stdin twice"
by alice abort "$R" --reason a --reason b
expect_rc 2 "abort with two --reason"
by alice check "$R" prep/build --yes --yes
expect_rc 2 "check with two --yes"
run "$CS" status "$R" --json --json
expect_rc 2 "status with two --json"
run "$CS" --db "$DB" --db "$(db_new other)" status "$R"
expect_rc 2 "two --db"
expect_in err "--db" "the error names --db"
by alice start fx/gates.json --var ENVNAME=a --var ENVNAME=b
expect_rc 2 "the same variable twice"
expect_in err "ENVNAME is given twice" "the error names the variable"
expect_eq "$(events)" "$n" "nothing was recorded by the refused commands"
# what may repeat still does
printf 'pin-alice-1\npin-bob-1\n' >"$T/pin"
run "$CS" override "$R" deploy --engineer alice --engineer bob --reason "hotfix" --incident INC-1 --pin-stdin <"$T/pin"
expect_rc 0 "override takes two --engineer"

# --- "system" is reserved ---------------------------------------------------------------
printf 'pin-system-1\n' >"$T/pin"
run "$CS" engineer add system --full-name "The System" --pin-stdin <"$T/pin"
expect_rc 2 "engineer add system"
expect_in err "reserved" "the refusal says why"
expect_eq "$(db_sql "$DB" "select count(*) from engineers where name = 'system'")" 0 "system is not registered"

# --- verify --anchor with and without a RUN ------------------------------------------
run "$CS" verify
expect_rc 0 "verify"
HEAD=$(sed -n 's/.*head \([0-9a-f]*\).*/\1/p' "$T/out")
run "$CS" verify --anchor "$HEAD"
expect_rc 0 "verify --anchor without a RUN, with the head verify printed"
run "$CS" verify --anchor "$(printf '%064d' 0)"
expect_rc 1 "verify --anchor without a RUN, with a hash in no chain"
expect_in err "not in any chain" "the failure says so"
run "$CS" verify "$R"
RHEAD=$(sed -n 's/.*head \([0-9a-f]*\).*/\1/p' "$T/out")
run "$CS" verify "$R" --anchor "$RHEAD"
expect_rc 0 "verify RUN --anchor"
run "$CS" verify --anchor "$RHEAD"
expect_rc 0 "verify --anchor without the RUN finds the run's head"

# --- test hooks only in the test build --------------------------------------------------
printf 'pin-carol-1\n' >"$T/pin"
run "$CS_USER" engineer add carol --full-name "Carol Example" --pin-stdin <"$T/pin"
expect_rc 0 "the installed program registers an engineer"
# the cost of the key derivation (Argon2id ops and memory) the PIN was registered with
cost=$(db_sql "$DB" "select key_ops || ' ' || key_mem from engineers where name = 'carol'")
expect_eq "$cost" "2 67108864" "the installed program ignores COUNTERSIGN_TEST_PIN_COST (interactive cost)"
cost=$(db_sql "$DB" "select key_ops || ' ' || key_mem from engineers where name = 'alice'")
expect_eq "$cost" "1 8192" "the test program honours COUNTERSIGN_TEST_PIN_COST=min (else the suites are slow)"

for hook in COUNTERSIGN_TEST_PIN_COST COUNTERSIGN_UI_SCRIPT COUNTERSIGN_UI_SIZE COUNTERSIGN_UI_DUMP_DIR; do
	if grep -q "$hook" "$CS_USER"; then fail "the installed program names $hook"; else ok; fi
done

mkdir dumps
printf ':dump 01-home\n' >keys
for prog in "$CS" "$CS_USER"; do
	run env COUNTERSIGN_UI_SCRIPT="$T/keys" COUNTERSIGN_UI_DUMP_DIR="$T/dumps" COUNTERSIGN_UI_SIZE=100x30 \
		"$prog" review </dev/null
	[ "$prog" = "$CS" ] && mv dumps/01-home test-dump 2>/dev/null
done
expect_rc 3 "the installed program drives no key script"
expect_in err "needs a terminal" "it wants a real terminal"
if [ -e dumps/01-home ]; then fail "the installed program wrote a screen dump"; else ok; fi
if [ -s test-dump ]; then ok; else fail "the test program runs the key script"; fi

finish
