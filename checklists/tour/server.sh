#!/bin/sh
# The tour's small web server: python3 -m http.server on 127.0.0.1:PORT,
# serving tour/site. It is started detached (setsid), so that it outlives the
# check that starts it and the http check after it can reach it; the tour's
# last section (or its rollback) stops it, and it stops by itself after an
# hour in case the tour is left half-way.
#
# usage: server.sh start|stop|log PORT
#
# Its pid and log live in ${TMPDIR:-/tmp}/countersign-tour-UID/, one pair per
# port, so that a stop finds exactly the server a start made.
set -u

cmd=${1:-}
port=${2:-}
case "$port" in
'' | *[!0-9]*)
	echo "tour: the port must be a number (TOUR_PORT), not \"$port\"" >&2
	exit 2
	;;
esac
site=$(cd "$(dirname "$0")/site" && pwd) || exit 2
state="${TMPDIR:-/tmp}/countersign-tour-$(id -u)"
pidfile="$state/server-$port.pid"
logfile="$state/server-$port.log"

# Is PID the tour's server (and not a process that reused its number)?
ours() {
	[ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q "http.server --bind 127.0.0.1"
}

# Does something answer on the port? (exit status 0: yes)
answers() {
	python3 -c 'import socket, sys
s = socket.socket()
s.settimeout(0.5)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$port"
}

# Is the answer the tour's own health page? (a busy port may answer too)
healthy() {
	python3 -c 'import json, sys, urllib.request
try:
    body = urllib.request.urlopen("http://127.0.0.1:%s/health.json" % sys.argv[1], timeout=1).read()
    sys.exit(0 if json.loads(body).get("served_by") == "countersign tour" else 1)
except Exception:
    sys.exit(1)' "$port"
}

stop() {
	[ -f "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	if ours "$pid"; then
		# the server leads its own session and process group (setsid)
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
		i=0
		while ours "$pid" && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if ours "$pid"; then
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
		fi
		echo "tour: stopped the web server (pid $pid) on 127.0.0.1:$port"
	fi
	rm -f "$pidfile"
}

case "$cmd" in
start)
	command -v python3 >/dev/null || { echo "tour: python3 is needed for the tour's web server" >&2; exit 1; }
	mkdir -p "$state" || exit 1
	stop # a server a half-finished tour left on this port
	: >"$logfile"
	# shellcheck disable=SC2016 # expanded by the inner shell
	setsid sh -c 'echo $$ >"$0"; exec timeout 1h python3 -m http.server --bind 127.0.0.1 --directory "$1" "$2"' \
		"$pidfile" "$site" "$port" </dev/null >>"$logfile" 2>&1 &
	i=0
	while [ $i -lt 100 ]; do
		pid=$(cat "$pidfile" 2>/dev/null)
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			tail -n 1 "$logfile"
			rm -f "$pidfile"
			if grep -q "Address already in use" "$logfile"; then
				echo "tour: port $port on 127.0.0.1 is busy (another program listens there)."
				echo "tour: start a new run of the tour with another TOUR_PORT (the new-run form asks for it)."
			else
				echo "tour: the web server did not start (see above)."
			fi
			exit 1
		fi
		if [ -n "$pid" ] && healthy; then
			echo "tour: a web server (pid $pid) answers on http://127.0.0.1:$port/ (log: $logfile)"
			echo "tour: it stops at the end of the tour, or by itself within an hour."
			exit 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "tour: the web server did not answer within 10 seconds; its log:"
	cat "$logfile"
	stop
	exit 1
	;;
stop)
	stop
	if answers; then
		echo "tour: something still answers on 127.0.0.1:$port"
		exit 1
	fi
	echo "tour: nothing answers on 127.0.0.1:$port any more"
	;;
log)
	if [ ! -s "$logfile" ]; then
		echo "tour: no request was logged on port $port"
		exit 1
	fi
	echo "tour: the web server's log (requests the checks made):"
	cat "$logfile"
	;;
*)
	echo "usage: server.sh start|stop|log PORT" >&2
	exit 2
	;;
esac
