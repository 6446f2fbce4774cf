# The interface recorded notice 1 once, as system, and verify accepts it.
n=$(sqlite3 cs.db "select count(*) from events where kind = 'gate_waiting' and actor = 'system'
	and target = 'review' and json_extract(payload, '$.notice') = 1")
[ "$n" = 1 ] || { echo "notice 1 recorded $n times"; exit 1; }
"$CS" verify >/dev/null || { echo "verify fails"; exit 1; }
