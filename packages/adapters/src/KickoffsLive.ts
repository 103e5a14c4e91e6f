/**
 * Core's `Kickoffs` carried out for real: each kickoff runs
 * `EnrichmentRun.run` in the live environment ({@link Environment.layer})
 * over the database in context, with the tenant's own daily cap over
 * `dailyCap`, and logs the run's events (core's `EventLog.sink`). The
 * environment is built at the first kickoff, not with the layer, so a server
 * starts without vendor keys; a kickoff without them fails, and its run
 * reports the missing variable. The tenant's run lock is taken by the
 * kickoff, through the store in context, and handed to the run.
 *
 * @since 0.1.0
 */
import type { SqlClient } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import { EnrichmentRun, EventLog, Kickoffs, Store } from "@leadgraph/core"
import { Effect, Layer, Option } from "effect"
import * as Environment from "./Environment.js"
import * as Vendors from "./Vendors.js"

/**
 * What the kickoffs run with.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The environment's options besides the vendors (read with `Vendors.config`
   * and `Vendors.odooConfig` at the first kickoff) and the database (the one
   * in context).
   */
  readonly environment: Omit<Environment.Options, "vendors" | "odoo" | "database">
  /** What every run takes besides what the kickoff decides (`SCHED_COMPANY_CONCURRENCY`, caps, knobs). */
  readonly run: Omit<
    EnrichmentRun.Options,
    "tenantId" | "runId" | "runDay" | "timeZone" | "cap" | "limit" | "rerun" | "lock" | "onTargets" | "sinks" | "stop"
  >
  /** Companies per tenant per day unless the tenant has its own cap (`SCHED_DAILY_CAP_PER_TENANT`). */
  readonly dailyCap: number
  /** The zone of the run day (`SCHED_TZ`). */
  readonly timeZone: string
}

/**
 * The kickoff service over live runs, for the database in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<Kickoffs.Kickoffs, never, Store.Store | PgClient.PgClient | SqlClient.SqlClient> =>
  Layer.scoped(
    Kickoffs.Kickoffs,
    Effect.gen(function*() {
      const database = yield* Effect.context<PgClient.PgClient | SqlClient.SqlClient>()
      const scope = yield* Effect.scope
      // the vendor keys are read once; the environment lives as long as the service
      const environment = yield* Effect.cached(
        Effect.flatMap(Effect.all([Vendors.config, Vendors.odooConfig]), ([vendors, odoo]) =>
          Layer.buildWithScope(
            Environment.layer({ ...options.environment, vendors, odoo, database: Layer.succeedContext(database) }),
            scope
          ))
      )
      const launch: Kickoffs.Launch = (input) =>
        Effect.flatMap(environment, (context) =>
          Effect.gen(function*() {
            const store = yield* Store.Store
            const tenant = yield* store.forTenant(input.tenantId).tenants.get
            return yield* EnrichmentRun.run({
              ...options.run,
              tenantId: input.tenantId,
              runId: input.runId,
              runDay: input.runDay,
              timeZone: input.timeZone,
              cap: Option.match(tenant, { onNone: () => options.dailyCap, onSome: (t) => t.dailyCap ?? options.dailyCap }),
              limit: input.limit,
              rerun: input.rerun,
              sinks: [input.sink, EventLog.sink({ tenant: input.tenantId })],
              onTargets: input.onTargets,
              lock: input.lock
            })
          }).pipe(Effect.provide(context)))
      return yield* Kickoffs.make({ launch, timeZone: options.timeZone })
    })
  )
