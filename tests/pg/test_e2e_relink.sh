#!/bin/sh
# An idle interface learns of what others record after the PostgreSQL
# server restarts, without a key (e2e_relink.py, in a pseudo-terminal, on a
# throwaway cluster).
# usage: test_e2e_relink.sh COUNTERSIGN_BINARY SOURCE_ROOT
if [ -z "${COUNTERSIGN_TEST_PG:-}" ]; then
	exec "$2/tests/pg/with_pg" sh "$0" "$@"
fi
COUNTERSIGN_E2E_DB=$COUNTERSIGN_TEST_PG exec /usr/bin/python3 "$2/tests/pg/e2e_relink.py" "$1"
