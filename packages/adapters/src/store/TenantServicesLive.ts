/**
 * Each tenant's budget ledger, verification cache, paid results and
 * checkpoints in Postgres: core's `TenantServices` port over the SQL ledger
 * (shared by every process), the SQL verification cache, the SQL paid
 * results store and the SQL checkpoint store.
 *
 * @since 0.1.0
 */
import type { SqlClient } from "@effect/sql"
import { TenantServices } from "@leadgraph/core"
import type { Scope } from "effect"
import { Context, Effect, Layer } from "effect"
import * as BudgetLedgerLive from "./BudgetLedgerLive.js"
import * as CheckpointLive from "./CheckpointLive.js"
import * as PaidResultsLive from "./PaidResultsLive.js"
import type * as Tenancy from "./Tenancy.js"
import * as VerificationCacheLive from "./VerificationCacheLive.js"

/**
 * Per-tenant services in Postgres: the SQL ledger (shared by every process),
 * the SQL verification cache, the SQL paid results store (shared by every
 * process and run) and the SQL checkpoint store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: TenantServices.Options
): Layer.Layer<TenantServices.TenantServices, never, Tenancy.Tenancy | SqlClient.SqlClient> =>
  Layer.effect(
    TenantServices.TenantServices,
    Effect.map(Effect.context<Tenancy.Tenancy | SqlClient.SqlClient>(), (context) => ({
      // the run's scope over the captured one: the owner's lease ends with the run
      ledger: (tenantId, run) =>
        BudgetLedgerLive.make({
          tenantId,
          caps: options.caps,
          day: run.day,
          runId: run.runId,
          runCaps: run.caps,
          lease: options.lease
        }).pipe(
          Effect.mapInputContext((scope: Context.Context<Scope.Scope>) => Context.merge(context, scope))
        ),
      verificationCache: (tenantId) =>
        VerificationCacheLive.make({ tenantId, ttl: options.verificationTtl }).pipe(Effect.provide(context)),
      paidResults: (tenantId) => PaidResultsLive.make({ tenantId }).pipe(Effect.provide(context)),
      checkpoint: (tenantId) => CheckpointLive.make(tenantId).pipe(Effect.provide(context))
    }))
  )

