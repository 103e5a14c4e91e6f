#!/usr/bin/env bash
# Starts the local Postgres 15 cluster and creates the role and database the
# tests use. Prints the DATABASE_URL to export. Safe to run twice.
set -euo pipefail

PGROLE=${PGROLE:-leadgraph}
PGPASS=${PGPASS:-leadgraph}
PGDB=${PGDB:-leadgraph_test}

if ! pg_lsclusters -h 2>/dev/null | grep -q '^15 \+main'; then
  pg_createcluster 15 main >/dev/null
fi
if ! pg_lsclusters -h | awk '$1==15 && $2=="main" {print $4}' | grep -q online; then
  pg_ctlcluster --skip-systemctl-redirect 15 main start
fi
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p 5432 -q && break
  sleep 1
done

psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -qAt $*"; }

# The test role owns the test database and may create the application role the
# store uses for tenant work; it is not a superuser, so row-level security
# tests mean something.
psql_admin "-c \"DO \\\$\\\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${PGROLE}') THEN
    CREATE ROLE ${PGROLE} LOGIN PASSWORD '${PGPASS}' CREATEROLE NOSUPERUSER;
  END IF;
END \\\$\\\$;\""
psql_admin "-c \"DROP DATABASE IF EXISTS ${PGDB} WITH (FORCE)\""
psql_admin "-c \"CREATE DATABASE ${PGDB} OWNER ${PGROLE}\""

echo "postgres://${PGROLE}:${PGPASS}@127.0.0.1:5432/${PGDB}"
