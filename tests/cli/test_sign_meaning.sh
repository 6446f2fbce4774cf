#!/bin/sh
# What a signature means (21 CFR Part 11 section 11.50): `sign --meaning
# performed|reviewed|approved|rejected` records the word in the signed event,
# status shows it, only the section's counted meaning counts toward the gate,
# a performed signature needs one who did the work, the default is approved
# and --reject is --meaning rejected; the signer's roles and the section's policy in
# status and the reports, and a review gate counting reviews.
. "$(dirname "$0")/lib.sh"

DB=$(db_new cs)
export COUNTERSIGN_TEST_PIN_COST=min COUNTERSIGN_DB="$DB"
PY=$(command -v /usr/bin/python3 || command -v python3)

by() {
	who=$1
	shift
	printf 'pin-%s-1\n' "$who" >"$T/pin"
	run "$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin"
}

events() {
	db_sql "$DB" "select count(*) from events"
}

# meanings RUN SECTION: the meaning words of the section's signed events, in order.
meanings() {
	db_sql "$DB" "select $(sql_agg m ' ') from (select $(sql_json payload meaning) as m from events
		where chain = '$1' and kind = 'signed' and target = '$2' order by seq) m"
}

# js RUN EXPR: the Python expression EXPR on `status RUN --json` (sec(ID): a section).
js() {
	"$CS" status "$1" --json >"$T/status.json" || return 1
	"$PY" - "$T/status.json" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
def sec(i): return next(s for s in d["sections"] if s["id"] == i)
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

expect_js() {
	got=$(js "$1" "$2")
	if [ "$got" = "$3" ]; then ok; else fail "$4: $2 is '$got', want '$3'"; fi
}

for e in alice bob carol dave; do
	printf 'pin-%s-1\n' "$e" | "$CS" engineer add "$e" --full-name "$e Example" --pin-stdin >/dev/null
done

cat >"$T/meaning.json" <<'EOF'
{
  "countersign": 1,
  "id": "cli-meaning",
  "title": "Signature meanings",
  "sections": [
    {"id": "build", "title": "Build", "items": [{"id": "make", "title": "Build it", "kind": "command", "run": "true"}]},
    {"id": "ship", "title": "Ship", "items": [{"id": "push", "title": "Push it", "kind": "command", "run": "true"}]}
  ]
}
EOF

by alice start "$T/meaning.json"
R=$(cat "$T/out")
by alice check "$R" build/make
expect_rc 0 "alice runs the build"

# --- bad options, refused before any PIN --------------------------------------
before=$(events)
by bob sign "$R" build --meaning signed
expect_rc 2 "an unknown meaning"
expect_in err 'unknown meaning "signed": give performed, reviewed, approved or rejected' "the meanings are named"
by bob sign "$R" build --reject --meaning approved
expect_rc 2 "--reject with another meaning"
expect_in err "--reject is --meaning rejected" "--reject and --meaning disagree"
by bob sign "$R" build --meaning rejected
expect_rc 2 "a rejection without a comment"
expect_in err "a rejection needs --comment TEXT" "--meaning rejected needs a comment as --reject does"
by bob sign "$R" build --reject
expect_rc 2 "--reject without a comment"

# --- performed: only by one who did the work --------------------------------
by bob sign "$R" build --meaning performed
expect_rc 1 "performed by one who did no work"
expect_in err 'bob did not run, attest or waive any item of "build"' "the refusal says why"
expect_eq "$(events)" "$before" "nothing recorded by the refusals"

by alice sign "$R" build --meaning performed
expect_rc 0 "alice signs what she did"
expect_in out "performed: alice signed evidence" "the output names the meaning"
expect_eq "$(meanings "$R" build)" "performed" "the event says performed"
expect_js "$R" 'sec("build")["signoffs"]' 0 "a performed signature is no approval"
expect_js "$R" 'sec("build")["signatures"][0]["meaning"]' performed "status --json shows the meaning"
by alice sign "$R" build --meaning performed
expect_rc 1 "the same meaning twice on the same evidence"

# --- reviewed, the default (approved), and the gate counting only approvals -----
by bob sign "$R" build --meaning reviewed
expect_rc 0 "bob reviews"
expect_js "$R" 'sec("build")["signoffs"]' 0 "a review is no approval under the default policy"
by carol sign "$R" build
expect_rc 0 "carol signs without --meaning"
expect_in out "approved: carol signed evidence" "the default is approved"
expect_eq "$(meanings "$R" build)" "performed reviewed approved" "each meaning recorded as its word"
expect_js "$R" 'sec("build")["signoffs"]' 1 "one approval counts"
expect_js "$R" '[s["counted"] for s in sec("build")["signatures"]]' "[false, false, true]" "status says which count"
"$CS" status "$R" >"$T/out" 2>"$T/err"
rc=$?
expect_rc 0 "text status"
expect_in out "performed by alice" "text status shows performed"
expect_in out "reviewed  by bob" "text status shows reviewed"
expect_in out "approved  by carol" "text status shows approved"

# --- --reject is --meaning rejected -------------------------------------------
by dave sign "$R" build --reject --comment "wrong branch"
expect_rc 0 "--reject still works"
expect_in out "rejected: dave signed evidence" "the output says rejected"
expect_js "$R" 'sec("build")["rejected"]' true "the rejection stands"
expect_eq "$(meanings "$R" build)" "performed reviewed approved rejected" "recorded as rejected"
by dave sign "$R" build --meaning approved
expect_rc 0 "dave approves after all"
expect_js "$R" 'sec("build")["gate_passed"]' true "two approvals and no rejection: the gate passes"

# --- --meaning rejected with a comment -----------------------------------------
by bob check "$R" ship/push
by carol sign "$R" ship --meaning rejected --comment "not today"
expect_rc 0 "--meaning rejected"
expect_eq "$(meanings "$R" ship)" "rejected" "recorded as rejected"
expect_js "$R" 'sec("ship")["rejected"]' true "the rejection stands"

# --- roles and policies in status and the reports ----------------------------
printf 'pin-alice-1\npin-bob-1\n' | "$CS" engineer role dave --add dba --by alice --by bob --pin-stdin >/dev/null
cat >"$T/policy.json" <<'EOF'
{
  "countersign": 1,
  "id": "cli-policy",
  "title": "Policies",
  "sections": [
    {"id": "migrate", "title": "Migrate", "signoffs": {"count": 1, "roles": ["dba"], "independent": true},
     "items": [{"id": "apply", "title": "Apply", "kind": "command", "run": "true"}]},
    {"id": "review", "title": "Review", "signoffs": {"count": 1, "meaning": "reviewed"},
     "items": [{"id": "read", "title": "Read it", "kind": "command", "run": "true"}]}
  ]
}
EOF
by alice start "$T/policy.json"
P=$(cat "$T/out")
by alice check "$P" migrate/apply
"$CS" status "$P" >"$T/out" 2>"$T/err"
rc=$?
expect_in out "policy: needs 1 approval · role dba · independent" "text status shows the policy"
expect_in out "the gate still needs 1 more approval, by an engineer with role dba who did not run its items: dave" \
	"text status says what the gate still needs and who could give it"
expect_js "$P" 'sec("migrate")["policy"]["roles"], sec("migrate")["policy"]["independent"]' '[["dba"], true]' \
	"status --json has the policy"
by carol sign "$P" migrate
expect_rc 1 "an approver without the role is refused"
expect_in err "needs an approver with role dba who did not run items of this section: dave" "the refusal names dave"
by dave sign "$P" migrate
expect_rc 0 "dave (dba) approves"
expect_eq "$(db_sql "$DB" "select $(sql_json payload roles) from events where chain = '$P' and kind = 'signed'")" \
	'["dba"]' "the signature records the signer's roles"
expect_js "$P" '[(x["roles"], x["counted"]) for x in sec("migrate")["signatures"]]' '[[["dba"], true]]' \
	"status --json: the roles and that it counts"
"$CS" status "$P" >"$T/out" 2>"$T/err"
rc=$?
expect_in out "approved  by dave         " "text status: the meaning"
expect_in out "(roles dba)  [counts]" "text status: the roles and that it counts"

# a review gate counts reviewed signatures, not approvals
by alice check "$P" review/read
by bob sign "$P" review
expect_rc 0 "an approval of a review gate is recorded"
expect_js "$P" 'sec("review")["signoffs"], sec("review")["gate_passed"]' '[0, false]' "an approval is no review"
by carol sign "$P" review --meaning reviewed
expect_rc 0 "carol reviews"
expect_js "$P" 'sec("review")["signoffs"], sec("review")["gate_passed"]' '[1, true]' "the review counts"

run "$CS" export "$P" --format md
expect_rc 0 "the Markdown report"
expect_in out "Policy: needs 1 approval · role dba · independent" "the report shows the policy"
expect_in out "Policy: needs 1 review" "and the review gate's"
expect_in out "| dave | dave Example | dba | approved |" "the signer's roles and meaning"
expect_in out "| bob | bob Example | - | approved |" "the approval of the review gate"
expect_in out "| recorded |" "which is on the record, not counted"
expect_in out "| carol | carol Example | - | reviewed |" "the review"
run "$CS" export "$P" --format json
expect_rc 0 "the JSON report"
"$PY" - "$T/out" >"$T/facts" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["id"]: x for x in d["sections"]}
print(d["format_version"], s["migrate"]["policy"]["roles"], s["review"]["policy"]["meaning"],
      [(g["meaning"], g["roles"], g["counted"]) for g in s["review"]["signatures"] + s["migrate"]["signatures"]])
EOF
expect_eq "$(cat "$T/facts")" "2 ['dba'] reviewed [('approved', [], False), ('reviewed', [], True), ('approved', ['dba'], True)]" \
	"the JSON report: policies, meanings, roles, counted"

run "$CS" verify "$R"
expect_rc 0 "the record verifies"
run "$CS" verify "$P"
expect_rc 0 "the record with roles verifies"
finish
