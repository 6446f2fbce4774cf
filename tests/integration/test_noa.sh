#!/bin/sh
# The NOA checklist's health and metric items against local servers: every
# URL variable of checklists/noa-server-deploy.json points at testserver.py's
# stand-ins for the NOA services (/noa/SERVICE/...), PROMETHEUS_URL at a real
# Prometheus scraping noa-metrics.txt (healthy values for every query), and
# each http and prometheus item is run through `countersign check`. Command
# items need kubectl, so gates are passed by override (two engineers, a
# reason and an incident) or by signing where the items can all be done.
# Then one metric is made unhealthy (5xx above 1%) and one health endpoint
# answers 503: the matching items fail, saying why.
#
# The prometheus items take 3 to 15 samples 1 to 5 minutes apart. On the
# checklist as shipped, one of them is started, shows its first sample and
# is cancelled with SIGINT (never a pass). The full walk uses a copy of the
# checklist that this script makes with python3, in which the only change is
# the "interval" of prometheus items with more than one sample: 1s instead
# of 1m/5m (the copy is compared with the original to show it).
#
#   with_servers.sh --prometheus -- sh test_noa.sh COUNTERSIGN_BINARY
set -u
CS=${1:?usage: test_noa.sh COUNTERSIGN_BINARY (run through with_servers.sh --prometheus)}
here=$(cd "$(dirname "$0")" && pwd)
NOA=$here/../../checklists/noa-server-deploy.json
PY=${PYTHON:-/usr/bin/python3}
: "${TEST_HTTP_URL:?run through with_servers.sh}"
if [ -z "${TEST_PROM_URL:-}" ]; then
	echo "test_noa.sh: no Prometheus (run through with_servers.sh --prometheus)" >&2
	exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/countersign-noa.XXXXXX")
live=""
cleanup() {
	for p in $live; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $live; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

for v in $(env | sed -n 's/^\(COUNTERSIGN_[A-Z_]*\)=.*/\1/p'); do
	unset "$v"
done
unset SLACK_WEBHOOK TOKEN
export COUNTERSIGN_DB="$T/cs.db" COUNTERSIGN_TEST_PIN_COST=min LANG=C.UTF-8 HOME="$T"
DB=$T/cs.db
printf '123456\n' >"$T/pin.alice"
printf '654321\n' >"$T/pin.bob"
printf '123456\n654321\n' >"$T/pin.both"
TOKEN_VALUE=noa-smoke-token-7f3a9c
HOOK_PATH=/hook/ok/T0KEN-noa-9d2e
N=$TEST_HTTP_URL/noa
VARS="--var PROMETHEUS_URL=$TEST_PROM_URL --var GREEN_URL=$N/green --var STAGING_URL=$N/staging
 --var API_URL=$N/api --var DASHBOARD_URL=$N/dashboard --var GRAFANA_URL=$N/grafana
 --var ANTHROPIC_API_URL=$N/anthropic --var OPENAI_API_URL=$N/openai --var TOKEN=$TOKEN_VALUE"

passed=0
failed=0
ok() {
	passed=$((passed + 1))
	[ "${CS_TEST_VERBOSE:-0}" = 0 ] || printf 'ok   %s\n' "$1"
}
bad() {
	failed=$((failed + 1))
	printf 'FAIL %s\n' "$1"
	[ $# -lt 2 ] || printf '%s\n' "$2" | head -c 3000 | sed 's/^/  /'
}
# expect DESC COMMAND...: the command succeeds.
expect() {
	d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
# has FILE TEXT: FILE contains the fixed string TEXT.
has() {
	grep -qF -- "$2" "$1"
}

# wait_until SECONDS COMMAND...: polls until COMMAND succeeds; false when
# SECONDS pass first.
wait_until() {
	deadline=$(($(date +%s) + $1 + 1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# await PID SECONDS: waits for a background command with a deadline (then
# stops it); its exit status is returned.
await() {
	if ! wait_until "$2" gone "$1"; then
		echo "test_noa.sh: process $1 still running after $2 s; stopping it" >&2
		kill -TERM "$1" 2>/dev/null
	fi
	wait "$1"
	rc=$?
	live=$(echo "$live" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
	return $rc
}
gone() {
	case $(ps -o stat= -p "$1") in
	"" | Z*) true ;;
	*) false ;;
	esac
}

# as WHO COMMAND ARG...: countersign COMMAND as WHO, the PIN on stdin; output
# in $T/out and $T/err, exit status in $rc.
as() {
	who=$1
	shift
	"$CS" "$@" --engineer "$who" --pin-stdin <"$T/pin.$who" >"$T/out" 2>"$T/err"
	rc=$?
	cat "$T/err" >>"$T/stderr.all"
}
override() {
	"$CS" override "$1" "$2" --engineer alice --engineer bob --reason "$3" --incident DEPLOY-TEST-1 \
		--pin-stdin <"$T/pin.both" >"$T/out" 2>"$T/err"
	rc=$?
	cat "$T/err" >>"$T/stderr.all"
	if [ $rc -eq 0 ] && has "$T/out" "FORCED: $2"; then ok "override $2"; else
		bad "override $2: exit $rc" "$(cat "$T/out" "$T/err")"; fi
}
# sign_performed RUN SECTION: a production gate (the NOA policy: a performed
# signature by who ran its steps, an approval by one who did not): alice,
# who ran them, cannot approve; she signs performed and bob approves.
sign_performed() {
	as alice sign "$1" "$2"
	if [ $rc -eq 1 ] && has "$T/err" "who did not run, attest or waive items of \"$2\"" && has "$T/err" "bob"; then
		ok "alice, who ran $2, is refused as its approver, and bob is named"
	else bad "alice's approval of $2 should be refused naming bob: exit $rc" "$(cat "$T/out" "$T/err")"; fi
	as alice sign "$1" "$2" --meaning performed
	[ $rc -eq 0 ] || bad "alice signs $2 performed: exit $rc" "$(cat "$T/out" "$T/err")"
	as bob sign "$1" "$2"
	[ $rc -eq 0 ] || bad "bob approves $2: exit $rc" "$(cat "$T/out" "$T/err")"
	if has "$T/out" "gate passed"; then ok "gate of $2 passed by a performed signature and an approval"; else
		bad "gate of $2 should have passed" "$(cat "$T/out" "$T/err")"; fi
}
sign_both() {
	for who in alice bob; do
		as "$who" sign "$1" "$2"
		[ $rc -eq 0 ] || bad "$who signs $2: exit $rc" "$(cat "$T/out" "$T/err")"
	done
	if has "$T/out" "gate passed"; then ok "gate of $2 passed by signatures"; else
		bad "gate of $2 should have passed" "$(cat "$T/out" "$T/err")"; fi
}

# start_check RUN SECTION/ITEM [ARG]...: the check runs in the background as
# alice; its output goes to $T/RUN.SECTION.ITEM.{out,err}.
start_check() {
	f=$T/$1.$(echo "$2" | tr / .)
	"$CS" check "$@" --engineer alice --pin-stdin <"$T/pin.alice" >"$f.out" 2>"$f.err" &
	echo $! >"$f.pid"
	live="$live $!"
}
# end_check RUN SECTION/ITEM [SECONDS]: waits for it; its exit status in $f.rc.
end_check() {
	f=$T/$1.$(echo "$2" | tr / .)
	await "$(cat "$f.pid")" "${3:-120}"
	echo $? >"$f.rc"
	cat "$f.err" >>"$T/stderr.all"
}
# expect_verdict RUN SECTION/ITEM VERDICT [MESSAGE-PART]: the check printed
# "VERDICT: SECTION/ITEM: ..." (with MESSAGE-PART) and exited 0 only on pass.
expect_verdict() {
	f=$T/$1.$(echo "$2" | tr / .)
	want_rc=1
	[ "$3" != pass ] || want_rc=0
	line=$(grep -F -- "$3: $2: " "$f.out" | tail -n 1)
	if [ "$(cat "$f.rc")" = "$want_rc" ] && [ -n "$line" ] && { [ $# -lt 4 ] || has "$f.out" "$4"; }; then
		ok "$2 $3 (${line#*: *: })"
	else
		bad "$2: expected $3${4:+ with '$4'} (exit $want_rc), got exit $(cat "$f.rc")" \
			"$(cat "$f.out" "$f.err")"
	fi
}
# checks RUN SECTION/ITEM...: runs the checks at once and expects each to pass.
checks() {
	run=$1
	shift
	for i in "$@"; do
		start_check "$run" "$i"
	done
	for i in "$@"; do
		end_check "$run" "$i"
	done
	for i in "$@"; do
		expect_verdict "$run" "$i" pass
	done
}

# start_run CHECKLIST TITLE: a run with every URL variable set; its id in $run.
start_run() {
	# shellcheck disable=SC2086
	"$CS" start "$1" --engineer alice --title "$2" --pin-stdin $VARS <"$T/pin.alice" >"$T/out" 2>"$T/err"
	rc=$?
	cat "$T/err" >>"$T/stderr.all"
	if [ $rc -eq 0 ]; then ok "start $2"; else bad "start $2: exit $rc" "$(cat "$T/err")"; fi
	run=$(cat "$T/out")
}

# status_items RUN: "SECTION/ITEM KIND VERDICT" for each http and prometheus item.
status_items() {
	"$CS" status "$1" --json | "$PY" -c '
import json, sys
for s in json.load(sys.stdin)["sections"]:
    for i in s["items"]:
        if i["kind"] in ("http", "prometheus") or (i["kind"] == "wait" and len(sys.argv) > 1):
            print("%s/%s %s %s" % (s["id"], i["id"], i["kind"], i.get("verdict") or "none"))' ${2:+waits}
}
# item_is RUN SECTION/ITEM VERDICT: status --json shows that verdict.
item_is() {
	status_items "$1" waits >"$T/items"
	grep -q "^$2 [a-z_]* $3\$" "$T/items"
}
run_state() {
	"$CS" status "$1" --json | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["state"])'
}

# prom_above QUERY LIMIT: Prometheus answers QUERY with a value above LIMIT.
prom_above() {
	"$PY" - "$TEST_PROM_URL" "$1" "$2" <<'EOF'
import json, sys, urllib.parse, urllib.request
url = sys.argv[1] + "/api/v1/query?query=" + urllib.parse.quote(sys.argv[2])
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
result = json.load(opener.open(url, timeout=5))["data"]["result"]
sys.exit(0 if result and float(result[0]["value"][1]) > float(sys.argv[3]) else 1)
EOF
}
get() {
	"$PY" -c 'import sys, urllib.request
urllib.request.build_opener(urllib.request.ProxyHandler({})).open(sys.argv[1], timeout=5).read()' "$1"
}
# deliveries PATH: the text of each Slack message the receiver got on PATH,
# one a line.
deliveries() {
	"$PY" - "$TEST_HTTP_URL/deliveries" "$1" <<'EOF'
import json, sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
for d in json.load(opener.open(sys.argv[1], timeout=5)):
    if d["path"] == sys.argv[2]:
        print(json.loads(d["body"])["text"].replace("\n", " "))
EOF
}

# --- the servers: metrics of a healthy deployment, NOA service stand-ins ---
cp "$here/noa-metrics.txt" "$TEST_METRICS_FILE"
ERROR_RATIO='(sum(rate(http_requests_total{namespace="noa-server",status=~"5.."}[5m])) or vector(0)) / sum(rate(http_requests_total{namespace="noa-server"}[5m]))'
# rate() needs two scrapes of the new series.
expect "Prometheus has scraped the NOA metrics" wait_until 60 prom_above "$ERROR_RATIO" 0.001
expect "the API checks the bearer token" get "$TEST_HTTP_URL/noa-state?service=api&token=$TOKEN_VALUE"

"$CS" engineer add alice --full-name "Alice Example" --pin-stdin <"$T/pin.alice" >/dev/null &&
	"$CS" engineer add bob --full-name "Bob Example" --pin-stdin <"$T/pin.bob" >/dev/null
expect "two engineers registered" test $? -eq 0

# --- the checklist as shipped: always-open items, one long check cancelled ---
start_run "$NOA" "NOA as shipped"
A=$run
checks "$A" staging/staging-health post-rollback-verification/critical-paths \
	emergency-error-spike/anthropic-health emergency-error-spike/openai-health
start_check "$A" when-to-rollback/trigger-error-rate
f=$T/$A.when-to-rollback.trigger-error-rate
expect "trigger-error-rate reports its first sample (5 samples 1m apart)" \
	wait_until 30 grep -qE '^1/5 samples, last: 0\.00[0-9]* is below 0\.05; next in 1m' "$f.err"
kill -INT "$(cat "$f.pid")"
end_check "$A" when-to-rollback/trigger-error-rate 30
expect_verdict "$A" when-to-rollback/trigger-error-rate cancelled \
	"cancelled after 1 of 5 samples; a check stopped early is never a pass"
expect "status shows trigger-error-rate cancelled" item_is "$A" when-to-rollback/trigger-error-rate cancelled

# --- the copy with short sample intervals ---
FAST=$T/noa-server-deploy-fast.json
"$PY" - "$NOA" "$FAST" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
for s in doc["sections"]:
    for i in s["items"]:
        if i["kind"] == "prometheus" and i.get("samples", 1) > 1:
            i["interval"] = "1s"
        if i["id"] == "canary-monitor":
            i["duration"] = "1s"
            i["after"] = []
json.dump(doc, open(sys.argv[2], "w"), indent=2, ensure_ascii=False)
EOF
expect "the copy differs from the checklist only in prometheus sample intervals and the canary's first wait" "$PY" - "$NOA" "$FAST" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
changed = 0
for sa, sb in zip(a["sections"], b["sections"]):
    for ia, ib in zip(sa["items"], sb["items"]):
        if ia != ib and ib["id"] == "canary-monitor":
            if dict(ia, duration="1s", after=[]) != ib:
                sys.exit("canary-monitor differs in more than its duration and after")
        elif ia != ib:
            ia = dict(ia, interval=ib.get("interval"))
            changed += 1
            if ia != ib or ib["kind"] != "prometheus":
                sys.exit("%s differs in more than its interval" % ib["id"])
    sa, sb = dict(sa, items=None), dict(sb, items=None)
    if sa != sb:
        sys.exit("section %s differs" % sa["id"])
if dict(a, sections=None) != dict(b, sections=None) or changed != 14:
    sys.exit("the checklist differs elsewhere, or %d intervals changed" % changed)
EOF

# --- the full walk, notifications to the test receiver ---
export SLACK_WEBHOOK="$TEST_HTTP_URL$HOOK_PATH"
start_run "$FAST" "NOA walk"
B=$run
override "$B" code-quality "integration test: no repository checkout"
override "$B" infrastructure "integration test: no database-optimizer"
override "$B" backup-recovery "integration test: no kubectl"
checks "$B" communication/grafana-health
override "$B" communication "integration test: no kubectl for the alert rules"
override "$B" artifacts "integration test: no docker"
as alice choose "$B" blue-green
expect "blue-green chosen" test $rc -eq 0

# green answers 503 at first: the check retries (5 s apart) and passes once
# green is up.
get "$TEST_HTTP_URL/noa-state?service=green&status=503"
start_check "$B" blue-green/green-health
f=$T/$B.blue-green.green-health
expect "green-health retries a 503" wait_until 30 has "$f.err" "attempt 1/4: status 503, expected 200; retrying in 5s"
get "$TEST_HTTP_URL/noa-state?service=green&status=0"
end_check "$B" blue-green/green-health
expect_verdict "$B" blue-green/green-health pass "(attempt 2 of 4)"
checks "$B" blue-green/green-providers blue-green/green-chat \
	blue-green/green-error-rate blue-green/green-p95 blue-green/green-no-5xx
f=$T/$B.blue-green.green-p95
expect "green-p95 took its 15 samples" has "$f.out" "15/15 samples passed; last: 0.458"
override "$B" blue-green "integration test: no kubectl for the deployment steps"
checks "$B" staging/staging-health
override "$B" health-checks "integration test: no kubectl"

# Secrets are not stored: the token is given again to the check that uses it.
start_check "$B" smoke-tests/chat-completion --var "TOKEN=$TOKEN_VALUE"
checks "$B" smoke-tests/auth-login smoke-tests/providers smoke-tests/dashboard
end_check "$B" smoke-tests/chat-completion
expect_verdict "$B" smoke-tests/chat-completion pass
sign_both "$B" smoke-tests

checks "$B" performance/p95-latency performance/error-rate performance/db-connection-pool \
	performance/cache-hit-rate performance/cpu-usage performance/memory-usage
as alice attest "$B" performance/request-rate --note "steady at about 55 requests a second"
expect "request-rate attested" test $rc -eq 0
sign_both "$B" performance

checks "$B" error-monitoring/error-rate-alert
override "$B" error-monitoring "integration test: error-logs follows kubectl logs"
override "$B" database-validation "integration test: no kubectl"
override "$B" user-acceptance "integration test: nobody to click through the UI"
checks "$B" post-deploy-signoff/error-rate-first-hour post-deploy-signoff/no-critical-alerts
as alice attest "$B" post-deploy-signoff/deployment-log --note "logged"
expect "deployment-log attested" test $rc -eq 0
sign_performed "$B" post-deploy-signoff

checks "$B" when-to-rollback/trigger-error-rate when-to-rollback/trigger-p95 \
	post-rollback-verification/error-rate-normal post-rollback-verification/critical-paths \
	emergency-error-spike/anthropic-health emergency-error-spike/openai-health

status_items "$B" >"$T/verdicts"
expect "every http and prometheus item outside canary passed (status --json)" \
	sh -c "! grep -v '^canary/' '$T/verdicts' | grep -qv ' pass\$'"
expect "27 http and prometheus items passed (all but canary's)" test "$(grep -c ' pass$' "$T/verdicts")" -eq 27

# The API saw the real token, and the chat bodies as JSON.
"$PY" - "$TEST_HTTP_URL/noa-requests" "$TOKEN_VALUE" <<'EOF' >"$T/requests"
import json, sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
for r in json.load(opener.open(sys.argv[1], timeout=5)):
    if r["path"] == "/api/v1/chat/completions":
        body = json.loads(r["body"])
        print(r["service"], r["method"], r["content_type"], r["authorization"] == "Bearer " + sys.argv[2],
              body["messages"][0]["content"])
EOF
expect "chat completion sent the token and its JSON body" \
	grep -qx "api POST application/json True Hello, test message" "$T/requests"

# --- canary instead of blue-green (a run without notifications) ---
unset SLACK_WEBHOOK
start_run "$FAST" "NOA canary"
C=$run
for s in code-quality infrastructure backup-recovery communication artifacts; do
	override "$C" $s "integration test: straight to the canary"
done
as alice choose "$C" canary
expect "canary chosen" test $rc -eq 0
# The canary's error rate is measured after its monitoring wait (1 s in the
# copy, which follows nothing there: there is no kubectl to deploy with).
as alice check "$C" canary/canary-error-rate
expect "the canary's error rate is locked until its monitoring wait passes" has "$T/err" \
	"comes after the wait canary/canary-monitor"
as alice check "$C" canary/canary-monitor
expect "the wait starts" test $rc -eq 1
expect "and says when it passes" has "$T/out" "passes at"
expect "the wait passes" wait_until 10 item_is "$C" canary/canary-monitor pass
# The canary answers no 5xx, the stable pods 0.4%: the canary is no worse.
checks "$C" canary/canary-error-rate
as alice abort "$C" --reason "integration test done"
expect "canary run aborted" test $rc -eq 0

export SLACK_WEBHOOK="$TEST_HTTP_URL$HOOK_PATH"

# --- unhealthy: 5xx above 1% in production, staging answers 503 ---
sed 's/^\(http_requests_total{namespace="noa-server",version="stable",status="500"}\) .*/\1 +30\/s/' \
	"$here/noa-metrics.txt" >"$TEST_METRICS_FILE.new" && mv "$TEST_METRICS_FILE.new" "$TEST_METRICS_FILE"
expect "Prometheus sees the 5xx ratio above 1%" wait_until 60 prom_above "$ERROR_RATIO" 0.01
get "$TEST_HTTP_URL/noa-state?service=staging&status=503"
start_check "$B" post-rollback-verification/error-rate-normal
start_check "$B" staging/staging-health
end_check "$B" post-rollback-verification/error-rate-normal
end_check "$B" staging/staging-health
expect_verdict "$B" post-rollback-verification/error-rate-normal fail "is not below 0.01 (sample 2/5; 2 failed, 1 allowed)"
expect_verdict "$B" staging/staging-health fail "status 503, expected 200 (attempt 4 of 4)"
f=$T/$B.staging.staging-health
expect "staging-health said it retried" has "$f.err" "attempt 3/4: status 503, expected 200; retrying in 5s"

override "$B" post-deploy-24h "integration test: not waiting a day"
expect "the walk's run is completed" test "$(run_state "$B")" = completed
"$CS" verify "$B" >"$T/out" 2>&1
expect "verify passes" has "$T/out" "ok: "

# Notifications of the NOA notify entry (on: gate_passed, signoff, override, gate_waiting (watch and the interface send those: none here),
# check_failed, run_completed, run_aborted).
deliveries "$HOOK_PATH" >"$T/hook"
count() { grep -c -- "$1" "$T/hook"; }
expect "11 override messages" test "$(count ': FORCED ')" -eq 11
expect "5 approval messages" test "$(count ' approved ')" -eq 5
expect "1 performed message" test "$(count 'alice performed post-deploy-signoff')" -eq 1
expect "3 gate messages (signed gates)" test "$(count ': gate of ')" -eq 3
expect "2 failed-check messages, naming the items" test "$(count ': post-rollback-verification/error-rate-normal: fail (\|: staging/staging-health: fail (')" -eq 2
expect "1 completed message" test "$(count 'completed: every gate has passed')" -eq 1
expect "nothing else: 23 messages, each naming the run" test "$(grep -c "· run $B: " "$T/hook")" -eq 23 -a "$(wc -l <"$T/hook")" -eq 23
expect "neither the token nor the webhook path is in the database" \
	sh -c "! sqlite3 '$DB' .dump | grep -q -e '$TOKEN_VALUE' -e 'T0KEN-noa'"

# Under -Db_sanitize a report may hide behind an expected exit status 1.
expect "no sanitizer report from any command" sh -c "! grep -E 'Sanitizer|runtime error:' '$T/stderr.all'"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
