/**
 * Migration 2: the application role and row-level security.
 *
 * The role tenant work runs as (default `leadgraph_app`) logs in never, owns
 * nothing and cannot bypass row-level security; the migrating role becomes a
 * member so a transaction can `SET LOCAL ROLE` to it. Every table with a
 * `tenant_id` gets RLS enabled and FORCED, with a policy comparing the row's
 * tenant with `current_setting('app.tenant_id', true)`: with no tenant set
 * that is NULL (or empty) and no row matches, so a missing tenant fails
 * closed. `tenants` and `odoo_connections` may also be read (never written)
 * in the registry scope (`app.scope = 'registry'`) that lists active tenants.
 *
 * @since 0.1.0
 * @internal
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** @internal */
export const tenantTables = [
  "tenant_users",
  "odoo_connections",
  "onboarding_status",
  "companies",
  "contacts",
  "lead_emails",
  "lead_features",
  "lead_scores",
  "icp_rules",
  "enrichment_runs",
  "run_manifests",
  "company_enrichment_runs",
  "email_verification_cache",
  "staging_companies",
  "step_checkpoints",
  "step_cache",
  "budget_ledger",
  "budget_reservations"
] as const

const tenantSetting = `current_setting('app.tenant_id', true)`

/**
 * Grants `appRole` the use of a table with a `tenant_id` and puts it under
 * forced row-level security, for this and later migrations.
 *
 * @internal
 */
export const isolate = (table: string, appRole: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO ${appRole}`)
    yield* sql.unsafe(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`)
    yield* sql.unsafe(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`)
    yield* sql.unsafe(`DROP POLICY IF EXISTS tenant_isolation ON ${table}`)
    yield* sql.unsafe(
      `CREATE POLICY tenant_isolation ON ${table}
        USING (tenant_id = ${tenantSetting}) WITH CHECK (tenant_id = ${tenantSetting})`
    )
  })

/** @internal */
export const make = (appRole: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // roles are cluster-wide: serialise their creation and membership grants
    // between migrators of the same database, and tolerate a racing creator
    // of another database
    yield* sql.unsafe(`SELECT pg_advisory_xact_lock(hashtext('leadgraph.roles'))`)
    yield* sql.unsafe(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${appRole}') THEN
        CREATE ROLE ${appRole} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`)
    yield* sql.unsafe(`DO $$ BEGIN
      IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
         AND NOT pg_has_role(current_user, '${appRole}', 'MEMBER') THEN
        EXECUTE format('GRANT %I TO %I', '${appRole}', current_user);
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`)
    yield* sql.unsafe(`DO $$ BEGIN
      EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), '${appRole}');
    END $$`)
    yield* sql.unsafe(`GRANT SELECT ON ssic_ref TO ${appRole}`)
    yield* sql.unsafe(`GRANT SELECT, INSERT, UPDATE, DELETE ON tenants TO ${appRole}`)
    yield* sql.unsafe(`ALTER TABLE tenants ENABLE ROW LEVEL SECURITY`)
    yield* sql.unsafe(`ALTER TABLE tenants FORCE ROW LEVEL SECURITY`)
    yield* sql.unsafe(`DROP POLICY IF EXISTS tenant_isolation ON tenants`)
    yield* sql.unsafe(
      `CREATE POLICY tenant_isolation ON tenants USING (id = ${tenantSetting}) WITH CHECK (id = ${tenantSetting})`
    )
    for (const table of tenantTables) yield* isolate(table, appRole)
    for (const table of ["tenants", "odoo_connections"]) {
      yield* sql.unsafe(`DROP POLICY IF EXISTS registry_read ON ${table}`)
      yield* sql.unsafe(
        `CREATE POLICY registry_read ON ${table} FOR SELECT
          USING (current_setting('app.scope', true) = 'registry')`
      )
    }
  })
