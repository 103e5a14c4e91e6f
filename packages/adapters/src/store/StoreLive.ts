/**
 * The Postgres store: core's `Store` port over {@link Tenancy}. Each
 * repository call runs through `Tenancy.withTenant` (a transaction as the
 * application role with the tenant set); upserts are multi-row statements
 * of up to 5,000 rows that write nothing when the same batch comes twice.
 * The score export is one statement streamed through a database cursor
 * (`pg-cursor`, 128 rows a fetch) inside one transaction of the tenant, held
 * from the first pull to the last, so row-level security applies to every
 * fetch and memory stays bounded by a few fetches. On a database whose
 * connections share one session (PGlite behind `pglite-socket`), a
 * transaction held open would stall every other connection, and a consumer
 * that calls the store while it streams would wait forever; there the export
 * reads keyset pages of {@link exportPageSize} rows in index order instead,
 * each page its own short transaction resuming after the last (score,
 * company) seen. So it does too inside `withTenant`, where the cursor would
 * hold the connection the transaction's other statements need.
 *
 * A tenant's run lock (`tryLockRun`) is a session-level advisory lock, so
 * processes sharing the database exclude each other and a process that dies
 * frees its locks with its connection; every lock of the store is held on
 * one connection reserved from the pool while any is held. On PGlite, whose
 * connections share one session, the store's own set of held tenants
 * excludes instead (within the process, which is the only one). When that
 * connection drops under a live process (Postgres restarting), the store
 * takes its locks again on a new one (checking it every 5 seconds while any
 * lock is held); a lock another process took meanwhile is lost, logged as
 * an error and signalled through `runLockLost`.
 *
 * @example
 * ```ts
 * import { Database, StoreLive } from "@leadgraph/adapters"
 * import { Layer } from "effect"
 *
 * const store = StoreLive.layer().pipe(Layer.provide(Database.layer()))
 * ```
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { Store } from "@leadgraph/core"
import type { Tenant } from "@leadgraph/core"
import { Chunk, Effect, Layer, Option, Stream } from "effect"
import {
  companies,
  type ExportKey,
  exportStatement,
  listActiveTenants,
  listTenants,
  tenants
} from "./internal/companies.js"
import { fromSqlError, isSqlError, mapErrors } from "./internal/errors.js"
import { icpRules } from "./internal/icpRules.js"
import { leads } from "./internal/leads.js"
import * as RunLocks from "./internal/runLocks.js"
import { runs } from "./internal/runs.js"
import type { Context, Run } from "./internal/shared.js"
import * as Tenancy from "./Tenancy.js"

/**
 * Rows per page of the score export on a database whose connections share
 * one session (PGlite).
 *
 * @since 0.1.0
 * @category constants
 */
export const exportPageSize = 1000

/**
 * Builds the store over the tenancy service and the `SqlClient` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Store.Service, never, Tenancy.Tenancy | SqlClient.SqlClient> = Effect.gen(
  function*() {
    const tenancy = yield* Tenancy.Tenancy
    const sql = yield* SqlClient.SqlClient
    const { runLockLost, tryLockRun } = yield* RunLocks.make(sql, tenancy.sharedSession)

    const forTenant = (tenantId: Tenant.TenantId): Store.TenantStore => {
      const run: Run = (operation, effect) =>
        tenancy.withTenant(tenantId, effect).pipe(
          mapErrors(operation),
          Effect.withSpan(`StoreLive.${operation}`, { attributes: { tenant: tenantId } })
        )
      const context: Context = { sql, tenantId, run }
      const exportPages = (minScore: number) =>
        Stream.paginateChunkEffect(undefined as ExportKey | undefined, (after) =>
          run("exportScores", exportStatement(sql, tenantId, minScore, { after, limit: exportPageSize })).pipe(
            Effect.map((rows) => {
              const last = rows[rows.length - 1]
              return [
                Chunk.unsafeFromArray(rows.slice()),
                rows.length < exportPageSize || last === undefined
                  ? Option.none()
                  : Option.some<ExportKey | undefined>([last.score, last.companyId])
              ] as const
            })
          ))
      return {
        tenantId,
        tenants: tenants(context),
        companies: companies(context),
        leads: leads(context),
        icpRules: icpRules(context),
        runs: runs(context),
        exportScores: (minScore) =>
          Stream.unwrap(Effect.map(tenancy.inTransaction, (joined) =>
            // the cursor would hold the connection the joined transaction's
            // other statements need, and PGlite's only session
            joined || tenancy.sharedSession
              ? exportPages(minScore)
              : tenancy.withTenantStream(tenantId, exportStatement(sql, tenantId, minScore).stream).pipe(
                Stream.mapError((e) => isSqlError(e) ? fromSqlError("exportScores", e) : e),
                Stream.withSpan("StoreLive.exportScores", { attributes: { tenant: tenantId } })
              )))
      }
    }

    return {
      listActiveTenants: (filter) =>
        tenancy.registry(listActiveTenants({ sql }, filter)).pipe(
          mapErrors("listActiveTenants"),
          Effect.withSpan("StoreLive.listActiveTenants")
        ),
      listTenants: tenancy.registry(listTenants({ sql })).pipe(
        mapErrors("listTenants"),
        Effect.withSpan("StoreLive.listTenants")
      ),
      tenantsWithRuns: tenancy.registry(
        sql<{ id: Tenant.TenantId }>`SELECT id FROM leadgraph_run_tenants() ORDER BY id`
      ).pipe(
        Effect.map((rows) => rows.map((r) => r.id)),
        mapErrors("tenantsWithRuns"),
        Effect.withSpan("StoreLive.tenantsWithRuns")
      ),
      forTenant,
      // @effect-diagnostics-next-line missingEffectError:off -- a false positive: the generic E of `f` is in the result type
      withTenant: (tenantId, f) => tenancy.withTenant(tenantId, Effect.suspend(() => f(forTenant(tenantId)))),
      tryLockRun,
      runLockLost
    } satisfies Store.Service
  }
)

/**
 * The store over a {@link Tenancy.Tenancy} in context. A function, not a
 * constant: layers are memoised by reference, and a shared constant would
 * hand every database the store built for the first one.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromTenancy = (): Layer.Layer<Store.Store, never, Tenancy.Tenancy | SqlClient.SqlClient> =>
  Layer.effect(Store.Store, make)

/**
 * The store with its tenancy (migrations, then the row-level security
 * check) over the `SqlClient` in context. Provides the tenancy too, for the
 * SQL budget ledger and checkpoint store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: Tenancy.Options
): Layer.Layer<Store.Store | Tenancy.Tenancy, Store.StoreError, SqlClient.SqlClient> =>
  layerFromTenancy().pipe(Layer.provideMerge(Tenancy.layer(options)))
