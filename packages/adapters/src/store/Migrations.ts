/**
 * The store's migrations: ordered files under `migrations/`, applied with
 * `@effect/sql-pg`'s `PgMigrator` and recorded in `leadgraph_migrations`.
 * Running them again is a no-op, and two processes starting at once are
 * safe: the migrations table is created under an advisory lock, and the
 * migrator holds an exclusive lock on it while it applies migrations, so
 * the second process waits and then finds nothing to do.
 *
 * Migrations run as the role that owns the tables (on Postgres the owner's
 * URL: `MIGRATION_DATABASE_URL`, or `leadgraph migrate --database-url`),
 * never as the runtime role tenant work connects with. {@link run} first
 * reads, without writing anything, whether every migration is applied: then
 * it returns at once, so the runtime role may call it at start-up. When
 * some are pending and the connected role cannot create tables in the
 * schema, it fails with reason `Forbidden` and says how to migrate.
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { PgMigrator } from "@effect/sql-pg"
import { Store } from "@leadgraph/core"
import { Effect } from "effect"
import { mapErrors } from "./internal/errors.js"
import schema from "./migrations/0001_schema.js"
import * as Security from "./migrations/0002_security.js"
import tenantDailyCap from "./migrations/0003_tenant_daily_cap.js"
import * as CompanyTargets from "./migrations/0004_company_targets.js"
import reservationExpiry from "./migrations/0005_reservation_expiry.js"
import * as ApiTokens from "./migrations/0006_api_tokens.js"
import * as ReservationOwners from "./migrations/0007_reservation_owners.js"
import * as PaidResults from "./migrations/0008_paid_results.js"
import * as RegistryFunctions from "./migrations/0009_registry_functions.js"
import dropCompaniesLastSeen from "./migrations/0010_drop_companies_last_seen.js"
import odooCreateLeads from "./migrations/0011_odoo_create_leads.js"
import companyAttributes from "./migrations/0012_company_attributes.js"
import * as TenantSetup from "./migrations/0013_tenant_setup.js"
import * as RunHistory from "./migrations/0014_run_history.js"
import outcomeScores from "./migrations/0015_outcome_scores.js"
import * as SchedulerTicks from "./migrations/0016_scheduler_ticks.js"
import * as ClusterTables from "./migrations/0017_cluster.js"
import * as Coordination from "./migrations/0018_coordination.js"

/**
 * Options of the migrations.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The application role: what the tables are granted to, and what the
   * runtime login role is (or inherits from). Created, without LOGIN, when
   * missing. Default `leadgraph_app`.
   */
  readonly appRole?: string | undefined
}

/**
 * The default application role.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultAppRole = "leadgraph_app"

/**
 * The table that records applied migrations.
 *
 * @since 0.1.0
 * @category constants
 */
export const table = "leadgraph_migrations"

/** @internal */
export const validRole = (role: string): boolean => /^[a-z_][a-z0-9_]{0,62}$/.test(role)

/**
 * The migrations, in order, for a loader.
 *
 * @since 0.1.0
 * @category loaders
 */
export const loader = (options?: Options): PgMigrator.Loader =>
  Effect.succeed([
    [1, "schema", Effect.succeed(schema)],
    [2, "security", Effect.succeed(Security.make(options?.appRole ?? defaultAppRole))],
    [3, "tenant_daily_cap", Effect.succeed(tenantDailyCap)],
    [4, "company_targets", Effect.succeed(CompanyTargets.make(options?.appRole ?? defaultAppRole))],
    [5, "reservation_expiry", Effect.succeed(reservationExpiry)],
    [6, "api_tokens", Effect.succeed(ApiTokens.make(options?.appRole ?? defaultAppRole))],
    [7, "reservation_owners", Effect.succeed(ReservationOwners.make(options?.appRole ?? defaultAppRole))],
    [8, "paid_results", Effect.succeed(PaidResults.make(options?.appRole ?? defaultAppRole))],
    [
      9,
      "registry_functions",
      Effect.succeed(RegistryFunctions.make({ appRole: options?.appRole ?? defaultAppRole, migrationsTable: table }))
    ],
    [10, "drop_companies_last_seen", Effect.succeed(dropCompaniesLastSeen)],
    [11, "odoo_create_leads", Effect.succeed(odooCreateLeads)],
    [12, "company_attributes", Effect.succeed(companyAttributes)],
    [13, "tenant_setup", Effect.succeed(TenantSetup.make(options?.appRole ?? defaultAppRole))],
    [14, "run_history", Effect.succeed(RunHistory.make(options?.appRole ?? defaultAppRole))],
    [15, "outcome_scores", Effect.succeed(outcomeScores)],
    [16, "scheduler_ticks", Effect.succeed(SchedulerTicks.make(options?.appRole ?? defaultAppRole))],
    [17, "cluster", Effect.succeed(ClusterTables.make(options?.appRole ?? defaultAppRole))],
    [18, "coordination", Effect.succeed(Coordination.make(options?.appRole ?? defaultAppRole))]
  ])

/** The id of the newest migration there is (the loader is a constant list: its failure would be a bug). */
const newestOf = (options?: Options) =>
  Effect.map(Effect.orDie(loader(options)), (all) => Math.max(0, ...all.map(([id]) => id)))

/**
 * How far the database is migrated, read without writing: the latest
 * migration applied (0 for none) and the newest there is. A database that
 * is not reachable, or whose migrations table cannot be read, fails.
 *
 * @since 0.1.0
 * @category migrations
 */
export const status = (
  options?: Options
): Effect.Effect<{ readonly applied: number; readonly newest: number }, Store.StoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ n: number }>`SELECT coalesce(max(migration_id), 0)::int AS n FROM ${sql(table)}`
    return { applied: rows[0]?.n ?? 0, newest: yield* newestOf(options) }
  }).pipe(mapErrors("migrations.status"), Effect.withSpan("Migrations.status"))

interface Probe {
  readonly readable: boolean
  readonly creatable: boolean
  readonly role: string
}

/**
 * The latest applied migration, read without writing (`undefined` when the
 * table is missing or unreadable), and whether the role may create tables.
 */
const probe = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const [p] = yield* sql<Probe>`SELECT current_user AS role,
    has_schema_privilege(current_schema(), 'CREATE') AS creatable,
    coalesce(to_regclass(${table}) IS NOT NULL AND has_table_privilege(${table}, 'SELECT'), false) AS readable`
  if (p === undefined || !p.readable) return { latest: undefined, role: p?.role, creatable: p?.creatable === true }
  const [row] = yield* sql<{ latest: number | null }>`SELECT max(migration_id)::int AS latest FROM ${sql(table)}`
  return { latest: row?.latest ?? undefined, role: p.role, creatable: p.creatable }
})

/**
 * Applies the migrations not applied yet; returns those it applied.
 *
 * @since 0.1.0
 * @category migrations
 */
export const run = (
  options?: Options
): Effect.Effect<ReadonlyArray<readonly [id: number, name: string]>, Store.StoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const role = options?.appRole ?? defaultAppRole
    if (!validRole(role)) {
      return yield* new Store.StoreError({ reason: "Invalid", operation: "migrate", detail: `bad role name "${role}"` })
    }
    const sql = yield* SqlClient.SqlClient
    const newest = yield* newestOf(options)
    const state = yield* probe
    if (state.latest !== undefined && state.latest >= newest) return []
    if (!state.creatable) {
      return yield* new Store.StoreError({
        reason: "Forbidden",
        operation: "migrate",
        detail: `migrations are pending (applied up to ${state.latest ?? "none"} of ${newest}) and role ${
          state.role ?? "?"
        } cannot apply them: run \`leadgraph migrate\` with the owner's URL (--database-url, or MIGRATION_DATABASE_URL)`
      })
    }
    // the migrator creates its table outside any lock: create it first, under
    // a transaction-scoped advisory lock, so concurrent start-ups never race
    yield* sql.withTransaction(
      sql`SELECT pg_advisory_xact_lock(hashtext('leadgraph.migrations'))`.pipe(
        Effect.zipRight(sql.unsafe(`CREATE TABLE IF NOT EXISTS ${table} (
          migration_id integer PRIMARY KEY,
          created_at timestamptz NOT NULL DEFAULT now(),
          name text NOT NULL
        )`))
      )
    )
    return yield* PgMigrator.make({})({ loader: loader(options), table })
  }).pipe(
    Effect.catchTag("MigrationError", (e) =>
      Effect.fail(new Store.StoreError({ reason: "Query", operation: "migrate", detail: e.message, cause: e }))),
    mapErrors("migrate"),
    Effect.withSpan("Migrations.run")
  )
