#!/bin/sh
# libcurl is loaded when a network check or a webhook first needs it, not when
# the program starts (src/net/net_curl.c). Against testserver.py:
# - the program does not link libcurl (ldd), and a command check never maps
#   it (LD_DEBUG=files lists every library loaded, also by dlopen);
# - an http check maps it on first use and passes; a webhook is delivered;
# - with COUNTERSIGN_LIBCURL (a hook of the test program) naming a file that
#   does not exist, or a library that is not libcurl, an http check fails
#   with "network checks need libcurl (PATH): REASON", nothing is recorded for
#   it, a webhook is skipped with a note saying why, and command checks, the
#   run and verify still work.
#
#   with_servers.sh -- sh test_libcurl_late.sh COUNTERSIGN_BINARY
set -u
CS=${1:?usage: test_libcurl_late.sh COUNTERSIGN_BINARY (run through with_servers.sh)}
PY=${PYTHON:-/usr/bin/python3}
: "${TEST_HTTP_URL:?run through with_servers.sh}"

T=$(mktemp -d "${TMPDIR:-/tmp}/countersign-libcurl.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

for v in $(env | sed -n 's/^\(COUNTERSIGN_[A-Z_]*\)=.*/\1/p'); do
	unset "$v"
done
export COUNTERSIGN_DB="$T/cs.db" COUNTERSIGN_TEST_PIN_COST=min LANG=C.UTF-8 HOME="$T" TERM=dumb
printf '123456\n' >"$T/pin"

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
# cs COMMAND ARG...: with alice's PIN on stdin; output in $T/out and $T/err,
# exit status in $rc.
cs() {
	"$CS" "$@" --engineer alice --pin-stdin <"$T/pin" >"$T/out" 2>"$T/err"
	rc=$?
}
expect_rc() {
	if [ "$rc" -eq "$1" ]; then ok "$2"; else bad "$2: exit $rc, expected $1" "$(cat "$T/out" "$T/err")"; fi
}
# err_has TEXT DESC / err_lacks TEXT DESC: about the last command's stderr.
err_has() {
	if grep -qF -- "$1" "$T/err"; then ok "$2"; else bad "$2: no '$1' in stderr" "$(cat "$T/err")"; fi
}
err_lacks() {
	if grep -qF -- "$1" "$T/err"; then bad "$2: '$1' in stderr" "$(grep -F -- "$1" "$T/err")"; else ok "$2"; fi
}
# deliveries: how many webhook posts the receiver has got.
deliveries() {
	"$PY" - "$TEST_HTTP_URL/deliveries" <<'EOF'
import json, sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
print(len(json.load(opener.open(sys.argv[1], timeout=5))))
EOF
}

cat >"$T/net.json" <<EOF
{"countersign": 1, "id": "late", "title": "libcurl late",
 "sections": [{"id": "s", "title": "Checks", "items": [
  {"id": "cmd", "title": "A command", "kind": "command", "run": "true"},
  {"id": "web", "title": "The service", "kind": "http", "url": "$TEST_HTTP_URL/health",
   "expect_json": {"status": "healthy"}}]}]}
EOF
cat >"$T/hook.json" <<EOF
{"countersign": 1, "id": "hooked", "title": "libcurl late, with a webhook",
 "notify": [{"url": "$TEST_HTTP_URL/hook/ok/late", "format": "json", "on": ["run_started"]}],
 "sections": [{"id": "s", "title": "Checks", "items": [
  {"id": "cmd", "title": "A command", "kind": "command", "run": "true"}]}]}
EOF

"$CS" engineer add alice --full-name "Alice Example" --pin-stdin <"$T/pin" >"$T/out" 2>"$T/err"
rc=$?
expect_rc 0 "engineer registered"

# --- The program as built.
if command -v ldd >/dev/null 2>&1; then
	if ldd "$CS" >"$T/ldd" 2>&1 && ! grep -q libcurl "$T/ldd"; then ok "the program does not link libcurl"; else
		bad "the program does not link libcurl" "$(cat "$T/ldd")"
	fi
else
	echo "skip: ldd is not installed"
fi

cs start "$T/net.json"
expect_rc 0 "run started"
RUN=$(cat "$T/out")
LD_DEBUG=files cs check "$RUN" s/cmd
expect_rc 0 "command check passes"
err_lacks "libcurl" "a command check does not load libcurl"
LD_DEBUG=files cs check "$RUN" s/web
expect_rc 0 "http check passes with libcurl loaded on first use"
err_has "file=libcurl.so.4" "the http check loaded libcurl"

before=$(deliveries)
cs start "$T/hook.json"
expect_rc 0 "run with a webhook started"
after=$(deliveries)
if [ "$after" -eq $((before + 1)) ]; then ok "the webhook got run_started"; else
	bad "the webhook got run_started: $before deliveries before, $after after" "$(cat "$T/err")"
fi

# --- libcurl cannot be loaded.
missing=$T/nowhere/libcurl.so.4
cs start "$T/net.json"
RUN=$(cat "$T/out")
COUNTERSIGN_LIBCURL=$missing cs check "$RUN" s/cmd
expect_rc 0 "without libcurl: command check passes"
COUNTERSIGN_LIBCURL=$missing cs check "$RUN" s/web
expect_rc 3 "without libcurl: http check fails (exit 3)"
err_has "network checks need libcurl ($missing): $missing: cannot open shared object file" \
	"without libcurl: the message names the library and why"
"$CS" status "$RUN" >"$T/out" 2>"$T/err"
if grep -Eq '^ *pending +http +web ' "$T/out"; then
	ok "without libcurl: nothing was recorded for the http check"
else
	bad "without libcurl: nothing was recorded for the http check" "$(cat "$T/out")"
fi
cs check "$RUN" s/web
expect_rc 0 "with libcurl again: the same http check passes"

before=$(deliveries)
COUNTERSIGN_LIBCURL=$missing cs start "$T/hook.json"
expect_rc 0 "without libcurl: a run with a webhook starts"
err_has "note: run_started was not notified: webhooks need libcurl ($missing): $missing: cannot open" \
	"without libcurl: the webhook is skipped with a note saying why"
after=$(deliveries)
if [ "$after" -eq "$before" ]; then ok "without libcurl: nothing was posted"; else
	bad "without libcurl: nothing was posted: $before deliveries before, $after after"
fi

# A library that is there but is not libcurl.
notcurl=$(ldconfig -p 2>/dev/null | sed -n 's/^[[:space:]]*\(libz\.so\.1\) .*/\1/p' | head -n 1)
if [ -n "$notcurl" ]; then
	cs start "$T/net.json"
	RUN=$(cat "$T/out")
	COUNTERSIGN_LIBCURL=$notcurl cs check "$RUN" s/web
	expect_rc 3 "another library as libcurl: http check fails"
	err_has "network checks need libcurl (libz.so.1): " "another library as libcurl: the message names it"
	err_has "undefined symbol: curl_" "another library as libcurl: the message names the missing function"
else
	echo "skip: libz.so.1 not found by ldconfig"
fi

"$CS" verify >"$T/out" 2>"$T/err"
rc=$?
expect_rc 0 "verify passes"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
