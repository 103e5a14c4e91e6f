/**
 * The services that belong to one tenant — its budgets, its verification
 * cache and its checkpoints — behind one shared instance each, so vendor
 * adapters (and their rate limits, which are per API key) are built once
 * for all tenants. Which tenant a call belongs to comes from
 * {@link currentTenant}, which {@link withTenant} sets for a tenant's run;
 * engine fibers inherit it.
 *
 * @since 0.1.0
 */
import { PgBudgetLedger, PgCheckpoint, PgVerificationCache, type Tenancy } from "@leadgraph/adapters"
import { Budget, BudgetLedger, Checkpoint, type Tenant, VerificationCache } from "@leadgraph/core"
import type { SqlClient } from "@effect/sql"
import { Context, Effect, FiberRef, Layer, Option, SynchronizedRef } from "effect"

/**
 * The tenant the current fiber works for.
 *
 * @since 0.1.0
 * @category fiber refs
 */
export const currentTenant: FiberRef.FiberRef<Option.Option<Tenant.TenantId>> = FiberRef.unsafeMake(
  Option.none<Tenant.TenantId>()
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
 * How to build one tenant's ledger, verification cache and checkpoint store.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly ledger: (tenantId: Tenant.TenantId) => Effect.Effect<BudgetLedger.Service>
  readonly verificationCache: (tenantId: Tenant.TenantId) => Effect.Effect<VerificationCache.Service>
  readonly checkpoint: (tenantId: Tenant.TenantId) => Effect.Effect<Checkpoint.Service>
}

/**
 * The per-tenant factory tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class TenantServices extends Context.Tag("@leadgraph/runner/TenantServices")<TenantServices, Service>() {}

/**
 * Options: each tenant's daily budget caps, the time zone their days start
 * in, and how long a verification verdict is reused.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly caps: Readonly<Record<string, number>>
  readonly timeZone: string
  readonly verificationTtl?: string | undefined
}

/**
 * Per-tenant services in Postgres: the SQL ledger (shared by every process),
 * the SQL verification cache and the SQL checkpoint store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerPg = (
  options: Options
): Layer.Layer<TenantServices, never, Tenancy.Tenancy | SqlClient.SqlClient> =>
  Layer.effect(
    TenantServices,
    Effect.map(Effect.context<Tenancy.Tenancy | SqlClient.SqlClient>(), (context) => ({
      ledger: (tenantId) =>
        PgBudgetLedger.make({ tenantId, caps: options.caps, timeZone: options.timeZone }).pipe(Effect.provide(context)),
      verificationCache: (tenantId) =>
        PgVerificationCache.make({
          tenantId,
          ...(options.verificationTtl === undefined ? {} : { ttl: options.verificationTtl as never })
        }).pipe(Effect.provide(context)),
      checkpoint: (tenantId) => PgCheckpoint.make(tenantId).pipe(Effect.provide(context))
    }))
  )

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
      ledger: memoByTenant(() => BudgetLedger.makeMemory({ caps })),
      verificationCache: memoByTenant(() => VerificationCache.makeMemory()),
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

/**
 * One `Budget` and one `VerificationCache` for all tenants, each call routed
 * to the current tenant's own (built on first use and kept). A call outside
 * {@link withTenant} is a defect.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRouted: Layer.Layer<Budget.Budget | VerificationCache.VerificationCache, never, TenantServices> =
  Layer.effectContext(Effect.gen(function*() {
    const services = yield* TenantServices
    const budget = ofCurrentTenant(
      yield* memoByTenant((t) =>
        Effect.flatMap(services.ledger(t), (ledger) => Budget.make.pipe(Effect.provideService(BudgetLedger.BudgetLedger, ledger)))
      )
    )
    const cache = ofCurrentTenant(yield* memoByTenant(services.verificationCache))
    return Context.make(Budget.Budget, {
      reserve: (name, units) => Effect.flatMap(budget, (b) => b.reserve(name, units)),
      commit: (reservation, used) => Effect.flatMap(budget, (b) => b.commit(reservation, used)),
      release: (reservation) => Effect.flatMap(budget, (b) => b.release(reservation)),
      usage: (name) => Effect.flatMap(budget, (b) => b.usage(name))
    }).pipe(Context.add(VerificationCache.VerificationCache, {
      getMany: (emails) => Effect.flatMap(cache, (c) => c.getMany(emails)),
      putMany: (verdicts) => Effect.flatMap(cache, (c) => c.putMany(verdicts))
    }))
  }))
