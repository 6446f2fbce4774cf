# A finished run of tests/cli/fixtures/report.json for the export tests:
# source after lib.sh ($CS, $SRC, $T), then
#   R=$(report_fixture_run "$T/cs.db")
# It has a passing command (run again after a signature, which made that
# signature stale), a failing command waived with a reason, a manual item,
# a rejection (made stale by the waiver), a chosen and a not-chosen
# alternative, an override (FORCED) by two engineers with an incident, a
# note, a wrong PIN, a secret variable ($REPORT_SECRET, never recorded) and
# an always-open rollback; every gate passes, so the run is completed.
# Engineers alice, bob and carol ("Alice Example", ...) have PINs
# pin-NAME-1. Prints the run id; exits the script on any unexpected outcome.

REPORT_SECRET=s3cr3t-Fixture-Token-9f2c

# report_fixture_by DB WHO CMD...: CMD as WHO with WHO's PIN on stdin; the
# output goes to $T/rf-out, the status to $rf_rc.
report_fixture_by() {
	rf_db=$1
	rf_who=$2
	shift 2
	printf 'pin-%s-1\n' "$rf_who" | API_TOKEN=$REPORT_SECRET COUNTERSIGN_TEST_PIN_COST=min \
		"$CS" --db "$rf_db" "$@" --engineer "$rf_who" --pin-stdin >"$T/rf-out" 2>"$T/rf-err"
	rf_rc=$?
}

# report_fixture_step WANT DB WHO CMD...: report_fixture_by, which must exit WANT.
report_fixture_step() {
	rf_want=$1
	shift
	report_fixture_by "$@"
	if [ "$rf_rc" -ne "$rf_want" ]; then
		printf 'report fixture: "%s" exited %s, not %s:\n' "$*" "$rf_rc" "$rf_want" >&2
		cat "$T/rf-out" "$T/rf-err" >&2
		exit 1
	fi
}

# report_fixture_run DB: builds the run in DB (created when missing) and prints its id.
report_fixture_run() {
	rf_base=$1
	mkdir -p "$T/rf" && cp "$SRC/tests/cli/fixtures/report.json" "$T/rf/"
	for rf_e in alice bob carol; do
		rf_full="$(printf '%s' "$rf_e" | sed 's/^./\U&/') Example"
		printf 'pin-%s-1\n' "$rf_e" | COUNTERSIGN_TEST_PIN_COST=min "$CS" --db "$rf_base" engineer add "$rf_e" \
			--full-name "$rf_full" --pin-stdin >/dev/null 2>&1
	done
	report_fixture_step 0 "$rf_base" alice start "$T/rf/report.json" --title "Release 1.4 | staging"
	rf_run=$(cat "$T/rf-out")
	report_fixture_step 0 "$rf_base" alice check "$rf_run" prep/build
	report_fixture_step 1 "$rf_base" alice check "$rf_run" prep/lint
	report_fixture_step 0 "$rf_base" alice attest "$rf_run" prep/review --note "diff read twice"
	report_fixture_step 0 "$rf_base" bob sign "$rf_run" prep --reject --comment "$(printf 'lint failed:\nwaive it or fix it')"
	report_fixture_step 0 "$rf_base" carol waive "$rf_run" prep/lint --reason "warnings only | fixed in 1.5"
	report_fixture_step 0 "$rf_base" alice sign "$rf_run" prep
	report_fixture_step 0 "$rf_base" alice check "$rf_run" prep/build
	report_fixture_step 0 "$rf_base" alice sign "$rf_run" prep --comment "build re-run, same result"
	report_fixture_step 0 "$rf_base" bob sign "$rf_run" prep
	report_fixture_step 0 "$rf_base" alice choose "$rf_run" canary
	report_fixture_step 0 "$rf_base" alice check "$rf_run" canary/shift
	report_fixture_step 0 "$rf_base" alice note "$rf_run" canary "error rate flat after the shift"
	# a wrong PIN, recorded in the engineers chain
	printf 'not-carols-pin\n' | COUNTERSIGN_TEST_PIN_COST=min "$CS" --db "$rf_base" note "$rf_run" \
		--engineer carol --pin-stdin "carol was here" >/dev/null 2>&1
	printf 'pin-alice-1\npin-bob-1\n' | COUNTERSIGN_TEST_PIN_COST=min "$CS" --db "$rf_base" override "$rf_run" canary \
		--engineer alice --engineer bob --reason "watch dashboard down; error rate checked by hand" \
		--incident INC-4711 --pin-stdin >"$T/rf-out" 2>"$T/rf-err" || {
		printf 'report fixture: override failed:\n' >&2
		cat "$T/rf-out" "$T/rf-err" >&2
		exit 1
	}
	report_fixture_step 0 "$rf_base" bob check "$rf_run" post/smoke
	report_fixture_step 0 "$rf_base" carol sign "$rf_run" post
	printf '%s\n' "$rf_run"
}
