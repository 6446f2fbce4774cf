# What the record holds, for comparing: the events table (count, largest
# rowid, every chain's hashes in order) and the whole database's content.
db=$COUNTERSIGN_DB
sqlite3 "$db" "SELECT 'events', count(*), max(rowid) FROM events"
printf 'hashes '; sqlite3 "$db" "SELECT chain, seq, hash FROM events ORDER BY chain, seq" | sha256sum
printf 'database '; sqlite3 "$db" .dump | sha256sum
