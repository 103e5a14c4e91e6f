/**
 * The services that belong to one tenant — its budgets, its verification
 * cache, its paid results and its checkpoints — behind one shared instance
 * each, so vendor
 * adapters (and their rate limits, which are per API key) are built once
 * for all tenants. Which tenant a call belongs to comes from
 * {@link currentTenant}, which {@link withTenant} sets for a tenant's run;
 * engine fibers inherit it. Budgets are per run: {@link openRun} opens the
 * tenant's ledger for the run's id and day, held by the run (its owner)
 * for the life of the run's scope, and the routed `Budget` draws on it.
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
import { Context, Effect, FiberRef, Layer, Option, SynchronizedRef } from "effect"

/**
 * The tenant the current fiber works for. Forked fibers inherit it; joining
 * a fiber never changes it: a crawl that joins a robots.txt fetch another
 * tenant's run started (one per origin, shared) must not come back working
 * for that tenant.
 *
 * @since 0.1.0
 * @category fiber refs
 */
export const currentTenant: FiberRef.FiberRef<Option.Option<Tenant.TenantId>> = FiberRef.unsafeMake(
  Option.none<Tenant.TenantId>(),
  { join: (parent) => parent }
)

/**
 * Runs an effect on behalf of a tenant.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withTenant = <A, E, R>(tenantId: Tenant.TenantId, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locally(effect, currentTenant, Option.some(tenantId))

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
  readonly verificationTtl?: string | undefined
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

/** The current tenant's `A`; a defect outside {@link withTenant}. */
const ofCurrentTenant = <A>(get: (tenantId: Tenant.TenantId) => Effect.Effect<A>): Effect.Effect<A> =>
  Effect.flatMap(FiberRef.get(currentTenant), Option.match({
    onNone: () => Effect.dieMessage("a tenant-scoped service was used outside a tenant's run (no current tenant)"),
    onSome: get
  }))

/** The budget of the current run, from {@link openRun} (kept across joins, as {@link currentTenant}). */
const currentBudget = FiberRef.unsafeMake(Option.none<Budget.Service>(), { join: (parent) => parent })

/**
 * Opens a tenant's ledger for a run — held by the run, as its owner, for
 * the life of the scope — and routes the `Budget` of the current fiber (and
 * of the fibers it forks) to it until the scope closes. What the run still
 * holds when its process dies is settled as spent once its lease lapses.
 *
 * @since 0.1.0
 * @category combinators
 */
export const openRun = (
  tenantId: Tenant.TenantId,
  run: RunLedger
): Effect.Effect<void, never, TenantServices | Scope.Scope> =>
  Effect.gen(function*() {
    const services = yield* TenantServices
    const ledger = yield* services.ledger(tenantId, run)
    const budget = yield* Budget.make.pipe(Effect.provideService(BudgetLedger.BudgetLedger, ledger))
    yield* Effect.locallyScoped(currentBudget, Option.some(budget))
  }).pipe(Effect.withSpan("TenantServices.openRun", { attributes: { tenant: tenantId, run: run.runId, day: run.day.date } }))

/**
 * One `Budget`, one `VerificationCache` and one `PaidResults` for all
 * tenants: the budget routed to the current run's ({@link openRun}; drawing
 * on it outside a run is a defect), the cache and the paid results to the
 * current tenant's own (built on first use and kept; a call outside
 * {@link withTenant} is a defect).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRouted: Layer.Layer<
  Budget.Budget | VerificationCache.VerificationCache | PaidResults.PaidResults,
  never,
  TenantServices
> =
  Layer.effectContext(Effect.gen(function*() {
    const services = yield* TenantServices
    const budget = Effect.flatMap(FiberRef.get(currentBudget), Option.match({
      onNone: () => Effect.dieMessage("a budget was drawn outside a tenant's run (no TenantServices.openRun)"),
      onSome: Effect.succeed
    }))
    const cache = ofCurrentTenant(yield* memoByTenant(services.verificationCache))
    const paid = ofCurrentTenant(yield* memoByTenant(services.paidResults))
    return Context.make(Budget.Budget, {
      reserve: (name, units) => Effect.flatMap(budget, (b) => b.reserve(name, units)),
      commit: (reservation, used) => Effect.flatMap(budget, (b) => b.commit(reservation, used)),
      release: (reservation) => Effect.flatMap(budget, (b) => b.release(reservation)),
      usage: (name) => Effect.flatMap(budget, (b) => b.usage(name))
    }).pipe(Context.add(VerificationCache.VerificationCache, {
      getMany: (emails) => Effect.flatMap(cache, (c) => c.getMany(emails)),
      putMany: (verdicts) => Effect.flatMap(cache, (c) => c.putMany(verdicts))
    }), Context.add(PaidResults.PaidResults, {
      getMany: (kind, keys) => Effect.flatMap(paid, (p) => p.getMany(kind, keys)),
      putMany: (kind, entries, ttl) => Effect.flatMap(paid, (p) => p.putMany(kind, entries, ttl))
    }))
  }))
