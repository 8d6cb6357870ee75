#!/usr/bin/env bash
# The one command for a local stack on a fresh machine: installs what is missing (scripts/setup.sh), then starts
# Redis, a worker and the API/pages on the embedded SQLite database, creates demo accounts and submits samples/.
#   bash scripts/stack.sh [--port 8000]      (Ctrl-C stops everything)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m reviewer stack "$@"
