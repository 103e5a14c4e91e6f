/**
 * Migration 13: what operators set up per tenant.
 *
 * - `tenants.disabled_at`: a disabled tenant (non-NULL) is left out of
 *   nightly runs; every other tenant is active, with or without an Odoo
 *   connection (a tenant without one runs without its export step).
 * - `tenants.time_zone`: the IANA zone the tenant's run day is taken in,
 *   instead of `SCHED_TZ`, when set.
 * - `icp_rule_versions`: each rule set made active by `icp set`, numbered
 *   1, 2, 3, ... per tenant; the latest is the active one (its rules are
 *   also what `icp_rules` holds). A tenant table under row-level security
 *   bound to the transaction's tenant, like the others.
 * - `leadgraph_active_tenants()` now lists the tenants not disabled (and
 *   returns their time zone); `leadgraph_list_tenants()` lists every tenant
 *   with its status, whether it has an active Odoo connection and its number
 *   of companies. Both are owner functions executable by the application
 *   role only, like 0009's; the owner (alone) may count `companies` rows for
 *   the second through a `registry_read` policy.
 *
 * @since 0.1.0
 * @internal
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { isolate } from "./0009_registry_functions.js"

/**
 * The tenant tables this migration adds.
 *
 * @internal
 */
export const tenantTables = ["icp_rule_versions"] as const

/**
 * The registry functions this migration (re)creates.
 *
 * @internal
 */
export const functions = ["leadgraph_active_tenants()", "leadgraph_list_tenants()"] as const

const ident = (name: string): string => `"${name.replace(/"/g, "\"\"")}"`

/** @internal */
export const make = (appRole: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [here] = yield* sql<{ schema: string; owner: string }>`SELECT current_schema() AS schema,
      current_user AS owner`
    const fn = `SECURITY DEFINER PARALLEL RESTRICTED SET search_path = pg_catalog, ${ident(here!.schema)}, pg_temp`

    yield* sql.unsafe(`ALTER TABLE tenants ADD COLUMN IF NOT EXISTS disabled_at timestamptz NULL`)
    yield* sql.unsafe(`ALTER TABLE tenants ADD COLUMN IF NOT EXISTS time_zone text NULL
      CONSTRAINT tenants_time_zone_check CHECK (time_zone IS NULL OR time_zone <> '')`)
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS icp_rule_versions (
      tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
      version integer NOT NULL CHECK (version >= 1),
      rules jsonb NOT NULL CHECK (jsonb_typeof(rules) = 'array'),
      set_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, version)
    )`)
    for (const table of tenantTables) yield* isolate(table, appRole)

    // a function's result columns cannot change in place
    yield* sql.unsafe(`DROP FUNCTION IF EXISTS leadgraph_active_tenants()`)
    yield* sql.unsafe(`CREATE FUNCTION leadgraph_active_tenants()
      RETURNS TABLE (id text, name text, daily_cap integer, time_zone text)
      LANGUAGE sql STABLE ${fn} AS $$
        SELECT t.id, t.name, t.daily_cap, t.time_zone FROM tenants t
        WHERE t.disabled_at IS NULL
        ORDER BY t.id
      $$`)
    yield* sql.unsafe(`DROP POLICY IF EXISTS registry_read ON companies`)
    yield* sql.unsafe(`CREATE POLICY registry_read ON companies FOR SELECT TO ${ident(here!.owner)} USING (true)`)
    yield* sql.unsafe(`CREATE OR REPLACE FUNCTION leadgraph_list_tenants()
      RETURNS TABLE (id text, name text, daily_cap integer, time_zone text, disabled boolean,
        odoo_connected boolean, companies integer)
      LANGUAGE sql STABLE ${fn} AS $$
        SELECT t.id, t.name, t.daily_cap, t.time_zone, t.disabled_at IS NOT NULL,
          EXISTS (SELECT 1 FROM odoo_connections o WHERE o.tenant_id = t.id AND o.active),
          (SELECT count(*)::int FROM companies c WHERE c.tenant_id = t.id)
        FROM tenants t
        ORDER BY t.id
      $$`)
    for (const f of functions) {
      yield* sql.unsafe(`REVOKE ALL ON FUNCTION ${f} FROM PUBLIC`)
      yield* sql.unsafe(`GRANT EXECUTE ON FUNCTION ${f} TO ${ident(appRole)}`)
    }
  })
