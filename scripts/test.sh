#!/usr/bin/env bash
# The one test command: sets everything up on a fresh machine and runs the suite.
#   scripts/test.sh            default suite (unit + integration with real Redis, Celery workers,
#                              SQLite and PostgreSQL, and Chromium browser tests)
#   scripts/test.sh --all      also the heavy suites marked `slow` (long fuzzing, load)
#   scripts/test.sh -k NAME    any further arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export REVIEWER_TEST_POSTGRES_URL=${REVIEWER_TEST_POSTGRES_URL:-$(bash scripts/postgres.sh | tail -1)}
echo "== ruff"
.venv/bin/ruff check reviewer workers tests bench scripts
echo "== mypy"
.venv/bin/mypy
marker=(-m "not slow")
if [ "${1:-}" = "--all" ]; then marker=(); shift; fi
set +e
.venv/bin/python -m pytest "${marker[@]}" "$@"
rc=$?
set -e
exit $rc
