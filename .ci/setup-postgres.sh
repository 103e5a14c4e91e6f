#!/usr/bin/env bash
# Starts the local Postgres 15 cluster and creates the two roles and the
# database the tests use. Safe to run twice. Prints two URLs, one a line:
#   the owner's (export it as MIGRATION_DATABASE_URL; second-to-last line)
#   the runtime role's (export it as DATABASE_URL; the last line)
#
# The owner (PGROLE) owns the database and, through the migrations, every
# table, and runs the migrations. The runtime role (APPROLE, the store's
# application role) logs in, owns nothing, is a member of no role, is no
# superuser and has no BYPASSRLS: row-level security applies to it, and it
# has no role to switch back to. Neither role is a superuser, so the
# row-level security tests mean something.
set -euo pipefail

PGROLE=${PGROLE:-leadgraph}
PGPASS=${PGPASS:-leadgraph}
APPROLE=${APPROLE:-leadgraph_app}
APPPASS=${APPPASS:-leadgraph}
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

# roles are cluster-wide: (re)state their attributes each time, so a role
# left by an older setup (the owner had CREATEROLE) is brought in line
psql_admin >/dev/null <<SQL
DO \$\$
DECLARE r text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${PGROLE}') THEN
    CREATE ROLE ${PGROLE} LOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APPROLE}') THEN
    CREATE ROLE ${APPROLE} LOGIN;
  END IF;
  ALTER ROLE ${PGROLE} LOGIN PASSWORD '${PGPASS}' NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB NOREPLICATION;
  ALTER ROLE ${APPROLE} LOGIN PASSWORD '${APPPASS}' NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB NOREPLICATION
    INHERIT;
  -- the runtime role is a member of nothing: no SET ROLE leads anywhere
  FOR r IN SELECT m.roleid::regrole::text FROM pg_auth_members m WHERE m.member = '${APPROLE}'::regrole LOOP
    EXECUTE format('REVOKE %s FROM %I', r, '${APPROLE}');
  END LOOP;
  -- the owner may grant to (and act as) the runtime role; never the reverse
  IF NOT pg_has_role('${PGROLE}', '${APPROLE}', 'MEMBER') THEN
    GRANT ${APPROLE} TO ${PGROLE};
  END IF;
END
\$\$;
SQL
psql_admin "-c \"DROP DATABASE IF EXISTS ${PGDB} WITH (FORCE)\""
psql_admin "-c \"CREATE DATABASE ${PGDB} OWNER ${PGROLE}\""
# no temporary tables: one named like a store table would shadow it
psql_admin "-d ${PGDB} -c \"REVOKE TEMPORARY ON DATABASE ${PGDB} FROM PUBLIC\""

echo "postgres://${PGROLE}:${PGPASS}@127.0.0.1:5432/${PGDB}"
echo "postgres://${APPROLE}:${APPPASS}@127.0.0.1:5432/${PGDB}"
