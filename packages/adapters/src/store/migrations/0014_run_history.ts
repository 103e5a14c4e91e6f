/**
 * Migration 14: run history. `enrichment_runs.spend` holds the units a
 * run's budget draws committed, by budget (a JSON object, written when the
 * run finishes and summed over the attempts of a resumed run; `NULL` for
 * runs recorded before). `leadgraph_run_tenants()` (SECURITY DEFINER, like
 * the registry functions of migration 9) lists the ids of the tenants that
 * have runs, and nothing else: the runs themselves are read per tenant,
 * under row-level security. The owner reads `enrichment_runs` through a
 * `registry_read` policy of its own; an index serves the newest-first list.
 *
 * @since 0.1.0
 * @internal
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

const ident = (name: string): string => `"${name.replace(/"/g, "\"\"")}"`

/** @internal */
export const make = (appRole: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [here] = yield* sql<{ schema: string; owner: string }>`SELECT current_schema() AS schema,
      current_user AS owner`
    yield* sql.unsafe(`ALTER TABLE enrichment_runs ADD COLUMN IF NOT EXISTS spend jsonb`)
    yield* sql.unsafe(`CREATE INDEX IF NOT EXISTS enrichment_runs_newest
      ON enrichment_runs (tenant_id, started_at DESC, run_id DESC)`)
    yield* sql.unsafe(`DROP POLICY IF EXISTS registry_read ON enrichment_runs`)
    yield* sql.unsafe(`CREATE POLICY registry_read ON enrichment_runs FOR SELECT TO ${ident(here!.owner)} USING (true)`)
    yield* sql.unsafe(`CREATE OR REPLACE FUNCTION leadgraph_run_tenants() RETURNS TABLE (id text)
      LANGUAGE sql STABLE SECURITY DEFINER PARALLEL RESTRICTED
      SET search_path = pg_catalog, ${ident(here!.schema)}, pg_temp AS $$
        SELECT DISTINCT r.tenant_id FROM enrichment_runs r ORDER BY 1
      $$`)
    yield* sql.unsafe(`REVOKE ALL ON FUNCTION leadgraph_run_tenants() FROM PUBLIC`)
    yield* sql.unsafe(`GRANT EXECUTE ON FUNCTION leadgraph_run_tenants() TO ${ident(appRole)}`)
  })
