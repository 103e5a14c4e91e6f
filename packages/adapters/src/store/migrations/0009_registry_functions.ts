/**
 * Migration 9: a transaction's tenant is bound, and cross-tenant reads go
 * through narrow functions of the owner.
 *
 * Binding. `leadgraph_bind_tenant(tenant)` (SECURITY DEFINER, owned by the
 * migrating role, the owner) records the tenant of the calling transaction in
 * `leadgraph_tenant_bindings` (one row per backend: its pid, the
 * transaction's id and the tenant) and sets `app.tenant_id` for the
 * transaction. A second call in the same transaction with another tenant
 * fails (42501). `leadgraph_current_tenant()` returns the bound tenant only
 * while `app.tenant_id` still names it, NULL otherwise; every
 * `tenant_isolation` policy compares the row's tenant with it. The runtime
 * role has no privilege on the bindings table, so changing `app.tenant_id`
 * mid-transaction (`set_config`, `SET LOCAL`) hides every row instead of
 * showing another tenant's, and rebinding is refused. The table is UNLOGGED
 * (a binding never outlives its transaction, so a crash loses nothing) and
 * keeps one row per backend process, replaced by its next transaction.
 *
 * Registry. `leadgraph_active_tenants()` (tenants with an active Odoo
 * connection: id, name, daily cap) and `leadgraph_resolve_token(hash)` (the
 * tenant of a live API token, by its SHA-256) are the only cross-tenant
 * reads. They run as the owner, who may read `tenants`, `odoo_connections`
 * and `api_tokens` through `registry_read` policies granted to the owner
 * alone; the `app.scope` setting that used to open those policies to any
 * transaction is gone. Every function has a fixed `search_path`
 * (`pg_catalog`, this schema, then `pg_temp`), and only the application role
 * may execute them.
 *
 * Also: the application role may read `leadgraph_migrations` (to tell
 * whether migrations are pending), and when the migrating role owns the
 * database, `PUBLIC` loses `TEMPORARY` on it: a temporary table named like a
 * store table would otherwise shadow it, for the rest of the pooled session,
 * in every later tenant's statements.
 *
 * @since 0.1.0
 * @internal
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** @internal */
export const bindingsTable = "leadgraph_tenant_bindings"

/** @internal */
export const functions = [
  "leadgraph_bind_tenant(text)",
  "leadgraph_current_tenant()",
  "leadgraph_active_tenants()",
  "leadgraph_resolve_token(text)"
] as const

const ident = (name: string): string => `"${name.replace(/"/g, "\"\"")}"`

/** The tenant the policies compare with: evaluated once per statement (an InitPlan). */
const bound = `(SELECT leadgraph_current_tenant())`

/**
 * Puts a table with a `tenant_id` under forced row-level security bound to
 * the transaction's tenant, and grants `appRole` its use: what later
 * migrations call for a new tenant table (0002's `isolate` compares with
 * the bare setting).
 *
 * @internal
 */
export const isolate = (table: string, appRole: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${ident(table)} TO ${ident(appRole)}`)
    yield* protect(table, "tenant_id")
  })

const protect = (table: string, column: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(`ALTER TABLE ${ident(table)} ENABLE ROW LEVEL SECURITY`)
    yield* sql.unsafe(`ALTER TABLE ${ident(table)} FORCE ROW LEVEL SECURITY`)
    yield* sql.unsafe(`DROP POLICY IF EXISTS tenant_isolation ON ${ident(table)}`)
    yield* sql.unsafe(
      `CREATE POLICY tenant_isolation ON ${ident(table)}
        USING (${column} = ${bound}) WITH CHECK (${column} = ${bound})`
    )
  })

const definer = (schema: string) =>
  `SECURITY DEFINER PARALLEL RESTRICTED SET search_path = pg_catalog, ${ident(schema)}, pg_temp`

/** @internal */
export const make = (options: { readonly appRole: string; readonly migrationsTable: string }) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const app = ident(options.appRole)
    const [here] = yield* sql<{ schema: string; owner: string }>`SELECT current_schema() AS schema,
      current_user AS owner`
    const schema = here!.schema
    const fn = definer(schema)

    yield* sql.unsafe(`CREATE UNLOGGED TABLE IF NOT EXISTS ${bindingsTable} (
      pid integer PRIMARY KEY,
      xact xid8 NOT NULL,
      tenant text NOT NULL
    )`)
    yield* sql.unsafe(`REVOKE ALL ON ${bindingsTable} FROM PUBLIC`)
    yield* sql.unsafe(`CREATE OR REPLACE FUNCTION leadgraph_bind_tenant(p_tenant text) RETURNS void
      LANGUAGE plpgsql VOLATILE ${fn} AS $$
      DECLARE
        v_xact xid8 := pg_current_xact_id();
        v_held text;
      BEGIN
        IF p_tenant IS NULL OR p_tenant = '' THEN
          RAISE EXCEPTION 'leadgraph: no tenant to bind' USING ERRCODE = '22023';
        END IF;
        INSERT INTO ${bindingsTable} AS b (pid, xact, tenant) VALUES (pg_backend_pid(), v_xact, p_tenant)
          ON CONFLICT (pid) DO UPDATE SET xact = excluded.xact, tenant = excluded.tenant
          WHERE b.xact <> excluded.xact;
        SELECT b.tenant INTO v_held FROM ${bindingsTable} b WHERE b.pid = pg_backend_pid() AND b.xact = v_xact;
        IF v_held IS DISTINCT FROM p_tenant THEN
          RAISE EXCEPTION 'leadgraph: this transaction is bound to another tenant' USING ERRCODE = '42501';
        END IF;
        PERFORM set_config('app.tenant_id', p_tenant, true);
      END $$`)
    yield* sql.unsafe(`CREATE OR REPLACE FUNCTION leadgraph_current_tenant() RETURNS text
      LANGUAGE sql STABLE ${fn} AS $$
        SELECT b.tenant FROM ${bindingsTable} b
        WHERE b.pid = pg_backend_pid() AND b.xact = pg_current_xact_id_if_assigned()
          AND b.tenant = current_setting('app.tenant_id', true)
      $$`)
    yield* sql.unsafe(`CREATE OR REPLACE FUNCTION leadgraph_active_tenants()
      RETURNS TABLE (id text, name text, daily_cap integer)
      LANGUAGE sql STABLE ${fn} AS $$
        SELECT t.id, t.name, t.daily_cap FROM tenants t
        WHERE EXISTS (SELECT 1 FROM odoo_connections o WHERE o.tenant_id = t.id AND o.active)
        ORDER BY t.id
      $$`)
    yield* sql.unsafe(`CREATE OR REPLACE FUNCTION leadgraph_resolve_token(p_token_hash text) RETURNS text
      LANGUAGE sql STABLE ${fn} AS $$
        SELECT a.tenant_id FROM api_tokens a WHERE a.token_hash = p_token_hash AND a.revoked_at IS NULL
      $$`)
    for (const f of functions) {
      yield* sql.unsafe(`REVOKE ALL ON FUNCTION ${f} FROM PUBLIC`)
      yield* sql.unsafe(`GRANT EXECUTE ON FUNCTION ${f} TO ${app}`)
    }

    // every table with a tenant (whichever migration made it) compares with the binding
    yield* protect("tenants", "id")
    const tables = yield* sql<{ table: string }>`SELECT c.relname AS table FROM pg_class c
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
        AND EXISTS (SELECT 1 FROM pg_attribute a
          WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
      ORDER BY c.relname`
    for (const { table } of tables) yield* protect(table, "tenant_id")

    // the registry reads: the owner (the functions' owner) alone, no setting
    for (const table of ["tenants", "odoo_connections", "api_tokens"]) {
      yield* sql.unsafe(`DROP POLICY IF EXISTS registry_read ON ${table}`)
      yield* sql.unsafe(`CREATE POLICY registry_read ON ${table} FOR SELECT TO ${ident(here!.owner)} USING (true)`)
    }

    yield* sql.unsafe(`GRANT SELECT ON ${ident(options.migrationsTable)} TO ${app}`)
    yield* sql.unsafe(`DO $$ BEGIN
      IF pg_has_role(current_user, (SELECT datdba FROM pg_database WHERE datname = current_database()), 'USAGE') THEN
        EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
        EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM %I', current_database(), '${options.appRole}');
      END IF;
    END $$`)
  })
