#!/usr/bin/env bash
# Starts the distribution's PostgreSQL cluster (if needed) and makes a role and database for the tests.
# Prints the database URL on the last line.
set -euo pipefail
ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main"' | grep -q .; then
  pg_createcluster "$ver" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $4}' | grep -q online; then
  pg_ctlcluster "$ver" main start
fi
port=$(pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $3}')
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi; }
for i in $(seq 1 30); do as_pg "psql -p $port -qtAc 'select 1'" >/dev/null 2>&1 && break; sleep 0.5; done
as_pg "psql -p $port -qtAc \"select 1 from pg_roles where rolname='reviewer'\"" | grep -q 1 \
  || as_pg "psql -p $port -qc \"create role reviewer login password 'reviewer' createdb\""
as_pg "psql -p $port -qtAc \"select 1 from pg_database where datname='reviewer_test'\"" | grep -q 1 \
  || as_pg "psql -p $port -qc 'create database reviewer_test owner reviewer'"
echo "postgresql+psycopg://reviewer:reviewer@127.0.0.1:$port/reviewer_test"
