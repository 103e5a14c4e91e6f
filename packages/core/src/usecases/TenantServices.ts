/**
 * The services that belong to one tenant — its budget ledger, its
 * verification cache, its paid results and its checkpoints — built per
 * tenant (and, for the ledger, per run). A run asks for them once, with
 * {@link forRun}, and provides them to its steps and to its vendors (see
 * `VendorConnector`): the tenant is in the run's context, nowhere else.
 *
 * @since 0.1.0
 */
import * as Budget from "../engine/Budget.js"
import * as BudgetLedger from "../engine/BudgetLedger.js"
import * as Checkpoint from "../engine/Checkpoint.js"
import * as PaidResults from "../enrichment/PaidResults.js"
import type * as RunDay from "../enrichment/RunDay.js"
import type * as Tenant from "../enrichment/Tenant.js"
import * as VerificationCache from "../enrichment/VerificationCache.js"
import type { Duration, Scope } from "effect"
import { Context, Effect, Layer, SynchronizedRef } from "effect"

/**
 * How to build one tenant's ledger, verification cache, paid results store
 * and checkpoint store.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The tenant's ledger for one run, held by the run for the life of the scope. */
  readonly ledger: (tenantId: Tenant.TenantId, run: RunLedger) => Effect.Effect<BudgetLedger.Service, never, Scope.Scope>
  readonly verificationCache: (tenantId: Tenant.TenantId) => Effect.Effect<VerificationCache.Service>
  /** The tenant's store of paid vendor answers (see `PaidResults`). */
  readonly paidResults: (tenantId: Tenant.TenantId) => Effect.Effect<PaidResults.Service>
  readonly checkpoint: (tenantId: Tenant.TenantId) => Effect.Effect<Checkpoint.Service>
}

/**
 * The per-tenant factory tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class TenantServices extends Context.Tag("@leadgraph/core/TenantServices")<TenantServices, Service>() {}

/**
 * The run a ledger is opened for: its id (recorded with the ledger's
 * owner) and its day, the one every reservation of the run counts against.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunLedger {
  readonly runId: string
  readonly day: RunDay.RunDay
  /** Caps of the run itself, by budget, besides each day's (see `BudgetLedger.OwnerOptions.runCaps`). */
  readonly caps?: Readonly<Record<string, number>> | undefined
}

/**
 * Options: each tenant's daily budget caps, how long a verification
 * verdict is reused, and the ledger owners' lease.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly caps: Readonly<Record<string, number>>
  /** @deprecated Unused: each ledger counts its run's day ({@link RunLedger}). */
  readonly timeZone?: string | undefined
  readonly verificationTtl?: Duration.DurationInput | undefined
  /** Each ledger owner's lease (default `BudgetLedger.defaultLease`: 2 minutes, renewed every 30 s). */
  readonly lease?: { readonly ttl?: Duration.DurationInput; readonly renewEvery?: Duration.DurationInput } | undefined
}

/**
 * Per-tenant services in memory, each tenant its own (kept for the layer's
 * life, so a second run of a tenant sees its checkpoints and caches), for
 * tests.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (caps: Readonly<Record<string, number>>): Layer.Layer<TenantServices> =>
  Layer.effect(
    TenantServices,
    Effect.all({
      ledger: Effect.map(memoByTenant(() => BudgetLedger.makeMemoryStore({ caps })), (stores) =>
        (tenantId: Tenant.TenantId, run: RunLedger) =>
          Effect.flatMap(stores(tenantId), (store) => store.open({ day: run.day, runId: run.runId, runCaps: run.caps }))),
      verificationCache: memoByTenant(() => VerificationCache.makeMemory()),
      paidResults: memoByTenant(() => PaidResults.makeMemory),
      checkpoint: memoByTenant(() => Checkpoint.makeMemory)
    })
  )

/** One `A` per tenant, built on first use and kept; concurrent first uses share one build. */
const memoByTenant = <A>(build: (tenantId: Tenant.TenantId) => Effect.Effect<A>) =>
  Effect.map(SynchronizedRef.make(new Map<Tenant.TenantId, A>()), (ref) => (tenantId: Tenant.TenantId) =>
    SynchronizedRef.modifyEffect(ref, (map) => {
      const found = map.get(tenantId)
      return found === undefined
        ? Effect.map(build(tenantId), (a) => [a, new Map(map).set(tenantId, a)] as const)
        : Effect.succeed([found, map] as const)
    }))

/**
 * A run's tenant-scoped services, as a context to provide to its steps and
 * vendors: the tenant's ledger for the run (held by the run, as its owner,
 * for the life of the scope: what it still holds when its process dies is
 * settled as spent once its lease lapses) behind a `Budget`, the tenant's
 * verification cache and its paid results.
 *
 * @since 0.1.0
 * @category running
 */
export const forRun = (
  tenantId: Tenant.TenantId,
  run: RunLedger
): Effect.Effect<
  Context.Context<Budget.Budget | VerificationCache.VerificationCache | PaidResults.PaidResults>,
  never,
  TenantServices | Scope.Scope
> =>
  Effect.gen(function*() {
    const services = yield* TenantServices
    const ledger = yield* services.ledger(tenantId, run)
    const budget = yield* Budget.make.pipe(Effect.provideService(BudgetLedger.BudgetLedger, ledger))
    return Context.make(Budget.Budget, budget).pipe(
      Context.add(VerificationCache.VerificationCache, yield* services.verificationCache(tenantId)),
      Context.add(PaidResults.PaidResults, yield* services.paidResults(tenantId))
    )
  }).pipe(Effect.withSpan("TenantServices.forRun", { attributes: { tenant: tenantId, run: run.runId, day: run.day.date } }))
