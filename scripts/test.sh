#!/usr/bin/env bash
# The whole suite: lint, then every test on SQLite, then every test again on a throw-away
# PostgreSQL. Browser tests run in real headless Chromium. Fails when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
bash scripts/system-deps.sh
mkdir -p test-results
$BIN/ruff check src tests scripts $([ -d bench ] && echo bench)
$BIN/python -m pytest -q -p no:cacheprovider --junitxml=test-results/sqlite.xml "$@"
bash scripts/pg-throwaway.sh \
  $BIN/python -m pytest -q -p no:cacheprovider --junitxml=test-results/postgresql.xml "$@"
$BIN/python scripts/test_summary.py test-results/sqlite.xml test-results/postgresql.xml
