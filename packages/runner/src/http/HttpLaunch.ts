/**
 * The runs `POST /admin/runs` starts, carried out for real: `EnrichmentRun.run`
 * with the runner's settings, in the environment of `leadgraph run` (store,
 * budgets, checkpoints, live vendors) over the server's own database
 * connection. The environment is built on the first kickoff, not at
 * start-up, so `leadgraph serve` starts without vendor keys; a kickoff
 * without them fails, and its run reports the missing variable. The
 * tenant's run lock is taken by the kickoff, through the server's store in
 * context, and handed to the run.
 *
 * @since 0.1.0
 */
import type { SqlClient } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import { EnrichmentRun, Kickoffs, Store } from "@leadgraph/core"
import { Effect, Layer, Option } from "effect"
import * as Environment from "../Environment.js"
import * as EventLog from "../EventLog.js"
import * as Settings from "../Settings.js"
import { Vendors } from "@leadgraph/adapters"

/**
 * The kickoff service over live runs, for the database in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  settings: Settings.Settings
): Layer.Layer<Kickoffs.Kickoffs, never, Store.Store | PgClient.PgClient | SqlClient.SqlClient> =>
  Layer.scoped(
    Kickoffs.Kickoffs,
    Effect.gen(function*() {
      const database = yield* Effect.context<PgClient.PgClient | SqlClient.SqlClient>()
      const scope = yield* Effect.scope
      // the vendor keys are read once; the environment lives as long as the server
      const environment = yield* Effect.cached(
        Effect.flatMap(Effect.all([Vendors.config, Vendors.odooConfig]), ([vendors, odoo]) =>
          Layer.buildWithScope(
            Environment.layer({ settings, vendors, odoo, database: Layer.succeedContext(database) }),
            scope
          ))
      )
      const launch: Kickoffs.Launch = (input) =>
        Effect.flatMap(environment, (context) =>
          Effect.gen(function*() {
            const store = yield* Store.Store
            const tenant = yield* store.forTenant(input.tenantId).tenants.get
            const cap = Option.match(tenant, {
              onNone: () => settings.schedule.dailyCapPerTenant,
              onSome: (t) => t.dailyCap ?? settings.schedule.dailyCapPerTenant
            })
            return yield* EnrichmentRun.run({
              tenantId: input.tenantId,
              runId: input.runId,
              runDay: input.runDay,
              timeZone: input.timeZone,
              cap,
              limit: input.limit,
              rerun: input.rerun,
              concurrency: settings.schedule.companyConcurrency,
              caps: Settings.budgetCaps(settings.caps),
              runCaps: settings.runCaps,
              knobs: { scoreMinExport: settings.scoreMinExport, corpusCharLimit: settings.corpusCharLimit },
              persistCrawlCorpus: settings.persistCrawlCorpus,
              sinks: [input.sink, EventLog.sink({ tenant: input.tenantId })],
              onTargets: input.onTargets,
              lock: input.lock
            })
          }).pipe(Effect.provide(context)))
      return yield* Kickoffs.make({ launch, timeZone: settings.schedule.timeZone })
    })
  )
