#!/bin/sh
# The interface on a PostgreSQL record: what another process records (an
# attestation, a check, an approval, a rejection, a note) shows on the open
# screen within a second without a key, as on SQLite: the e2e live test
# (tests/e2e/test_live.py) run on a throwaway cluster.
# usage: test_e2e_live.sh COUNTERSIGN_BINARY SOURCE_ROOT
if [ -z "${COUNTERSIGN_TEST_PG:-}" ]; then
	exec "$2/tests/pg/with_pg" sh "$0" "$@"
fi
COUNTERSIGN_E2E_DB=$COUNTERSIGN_TEST_PG exec /usr/bin/python3 "$2/tests/e2e/test_live.py" "$1"
