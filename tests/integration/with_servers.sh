#!/bin/sh
# Starts the integration test servers on 127.0.0.1 (free ports), runs a
# command with their addresses in the environment, and stops every process
# it started (by process id) however the command ends.
#
#   with_servers.sh [--tls] [--prometheus] -- COMMAND [ARG]...
#
# The command sees:
#   TEST_HTTP_URL      http://127.0.0.1:PORT of testserver.py (routes in that file)
#   TEST_CLOSED_PORT   a port nothing listens on
#   TEST_HTTPS_URL     (--tls) the same server over TLS with a self-signed certificate
#                      (unset when openssl is missing)
#   TEST_PROM_URL      (--prometheus) a real Prometheus scraping the test server's
#   TEST_PROM_PID      /metrics every second; its process id;
#   TEST_METRICS_FILE  the file /metrics serves (rewrite it to change values)
# PYTHON (default /usr/bin/python3) and PROMETHEUS (default: prometheus on
# PATH) choose the programs. Exit status: the command's; 77 (skipped) when
# Prometheus is needed but missing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
server="$here/testserver.py"
tls=false
prom=false
while [ $# -gt 0 ]; do
	case "$1" in
	--tls) tls=true ;;
	--prometheus) prom=true ;;
	--) shift; break ;;
	*) echo "with_servers.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ $# -gt 0 ] || { echo "with_servers.sh: no command given" >&2; exit 2; }

if $prom; then
	PROMETHEUS=${PROMETHEUS:-$(command -v prometheus || true)}
	if [ -z "$PROMETHEUS" ]; then
		echo "with_servers.sh: prometheus is not installed (scripts/bootstrap installs it); skipping" >&2
		exit 77
	fi
fi
if $tls && ! command -v openssl >/dev/null 2>&1; then
	echo "with_servers.sh: openssl is not installed: no TLS server (TEST_HTTPS_URL unset)" >&2
	tls=false
fi

# Only 127.0.0.1 is used: proxies from the caller's environment must not
# take part (the tests set their own).
unset http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cs-integration.XXXXXX")
pids=""

stop() {
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $pids; do
		# A grace of 5 s, then SIGKILL.
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap 'stop' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits for a server's port file; fails when its process died first.
wait_port() {
	i=0
	while [ ! -s "$1" ]; do
		if ! kill -0 "$2" 2>/dev/null || [ $i -ge 200 ]; then
			echo "with_servers.sh: server did not start ($1)" >&2
			exit 3
		fi
		sleep 0.05
		i=$((i + 1))
	done
	cat "$1"
}

cp "$here/metrics.txt" "$tmp/metrics.txt"
"$PYTHON" "$server" serve "$tmp/http.port" --metrics "$tmp/metrics.txt" &
pids="$pids $!"
http_port=$(wait_port "$tmp/http.port" $!)
export TEST_HTTP_URL="http://127.0.0.1:$http_port"
export TEST_METRICS_FILE="$tmp/metrics.txt"
TEST_CLOSED_PORT=$("$PYTHON" "$server" freeport)
export TEST_CLOSED_PORT

if $tls; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
	"$PYTHON" "$server" serve "$tmp/https.port" --tls "$tmp/cert.pem" "$tmp/key.pem" &
	pids="$pids $!"
	https_port=$(wait_port "$tmp/https.port" $!)
	export TEST_HTTPS_URL="https://127.0.0.1:$https_port"
fi

if $prom; then
	prom_port=$("$PYTHON" "$server" freeport)
	cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: exporter
    static_configs:
      - targets: ['127.0.0.1:$http_port']
EOF
	"$PROMETHEUS" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
		--web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$tmp/prometheus.log" 2>&1 &
	TEST_PROM_PID=$!
	pids="$pids $TEST_PROM_PID"
	export TEST_PROM_PID TEST_PROM_URL="http://127.0.0.1:$prom_port"
	# Ready, and the first scrape of the test server is in.
	if ! "$PYTHON" "$server" wait "$TEST_PROM_URL/api/v1/query?query=cs_error_ratio" 60 '"result":[{'; then
		cat "$tmp/prometheus.log" >&2
		exit 3
	fi
fi

# Not exec: the trap must outlive the command to stop the servers.
status=0
"$@" || status=$?
exit $status
