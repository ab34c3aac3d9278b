#!/usr/bin/env bash
# The whole suite: lint, then every test on SQLite, then every test again on a throw-away
# PostgreSQL. Browser tests run in real headless Chromium. Fails when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
bash scripts/system-deps.sh --test
mkdir -p test-results
$BIN/ruff check src tests scripts $([ -d bench ] && echo bench)
# The layers (docs/architecture.md): core imports no capability, capabilities no web or CLI.
$BIN/lint-imports --no-cache
# The two databases run side by side (one pytest process each, on a 2-core machine); each log is
# printed when both have finished, and the script fails if either failed. Tests that cannot reach
# a database (marked no_db by tests/conftest.py from their fixtures) run the same code on both,
# so they run in the SQLite pass only.
$BIN/python -m pytest -q -p no:cacheprovider --junitxml=test-results/sqlite.xml "$@" \
  > test-results/sqlite.log 2>&1 &
sqlite_pid=$!
pg_status=0
bash scripts/pg-throwaway.sh \
  $BIN/python -m pytest -q -p no:cacheprovider --junitxml=test-results/postgresql.xml \
  -m "not no_db" "$@" \
  > test-results/postgresql.log 2>&1 || pg_status=$?
sqlite_status=0
wait "$sqlite_pid" || sqlite_status=$?
echo "== SQLite (exit $sqlite_status)"; cat test-results/sqlite.log
echo "== PostgreSQL (exit $pg_status)"; cat test-results/postgresql.log
summary_status=0
$BIN/python scripts/test_summary.py test-results/sqlite.xml test-results/postgresql.xml \
  || summary_status=$?
if [ "$sqlite_status" -ne 0 ] || [ "$pg_status" -ne 0 ] || [ "$summary_status" -ne 0 ]; then
  exit 1
fi
