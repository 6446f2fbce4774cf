#!/bin/sh
# The interface with the PostgreSQL server down: a user action is refused,
# a check's result is held and retried until the server is back (recorded
# once), and quitting with a result held asks and says what was lost
# (e2e_unreachable.py, in a pseudo-terminal, on a throwaway cluster).
# usage: test_e2e_unreachable.sh COUNTERSIGN_BINARY SOURCE_ROOT
if [ -z "${COUNTERSIGN_TEST_PG:-}" ]; then
	exec "$2/tests/pg/with_pg" sh "$0" "$@"
fi
COUNTERSIGN_E2E_DB=$COUNTERSIGN_TEST_PG exec /usr/bin/python3 "$2/tests/pg/e2e_unreachable.py" "$1"
