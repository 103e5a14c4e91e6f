/**
 * Everything a tenant's run needs (`EnrichmentRun.Requirements` of
 * `@leadgraph/core`), live, as one layer: the database (Postgres at
 * `DATABASE_URL`, or embedded PGlite), the store with its row-level
 * security check, each tenant's budgets, verification cache, paid results
 * and checkpoints in Postgres, the live vendor adapters, the crawler, the
 * connector to each tenant's Odoo, and an HTTP client.
 *
 * A service that runs a tenant's night needs this layer and core's
 * `EnrichmentRun.run` (or `Nightly.run` for every tenant).
 *
 * With `coordination: "database"` (for many processes on one Postgres,
 * such as cluster workers) the vendors' rate limits and the crawler's
 * per-host politeness are kept in the database, shared by every process
 * (`SharedRateLimits`, `SharedPoliteness`); by default (`"process"`) each
 * process keeps its own, in memory.
 *
 * @example
 * ```ts
 * import { Environment, Vendors } from "@leadgraph/adapters"
 * import { EnrichmentRun, Lusha, RunDay, Tenant } from "@leadgraph/core"
 * import { Effect } from "effect"
 *
 * const caps = { [Lusha.budget]: 400 }
 * const night = Effect.gen(function*() {
 *   const vendors = yield* Vendors.config
 *   const { date, timeZone } = yield* RunDay.current("Asia/Singapore")
 *   return yield* EnrichmentRun.run({
 *     tenantId: Tenant.TenantId.make("acme"),
 *     runDay: date,
 *     timeZone,
 *     cap: 500,
 *     concurrency: 20,
 *     caps
 *   }).pipe(Effect.provide(Environment.layer({ vendors, caps })))
 * })
 * ```
 *
 * @since 0.1.0
 */
import { NodeHttpClient } from "@effect/platform-node"
import type { SqlClient } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import type { EnrichmentRun, Store, TenantServices } from "@leadgraph/core"
import { Crawler } from "@leadgraph/core"
import { Layer } from "effect"
import * as CrawlerLive from "./crawler/CrawlerLive.js"
import * as Resolver from "./crawler/Resolver.js"
import * as SharedPoliteness from "./crawler/SharedPoliteness.js"
import * as SharedRateLimits from "./SharedRateLimits.js"
import type * as RateLimiterStoreSql from "./store/RateLimiterStoreSql.js"
import * as Database from "./store/Database.js"
import * as StoreLive from "./store/StoreLive.js"
import type * as Tenancy from "./store/Tenancy.js"
import * as TenantServicesLive from "./store/TenantServicesLive.js"
import * as Vendors from "./Vendors.js"

/**
 * What to build the environment from.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The vendors' keys and client-side limits (`Vendors.config` reads them
   * from the environment); none for a process that only plans (dry runs):
   * see `Vendors.unconfigured`.
   */
  readonly vendors: Vendors.Options | undefined
  /** Each tenant's daily budget caps, by budget name (`Lusha.budget`, `Tavily.budget`, ...). */
  readonly caps: Readonly<Record<string, number>>
  /** The ledger owners' lease (default `BudgetLedger.defaultLease`). */
  readonly lease?: TenantServices.Options["lease"]
  /** How long a verification verdict is reused (default the cache's). */
  readonly verificationTtl?: TenantServices.Options["verificationTtl"]
  /** Crawler options over its defaults. */
  readonly crawler?: Partial<CrawlerLive.Options> | undefined
  /** Host names pinned to addresses for the crawler (`CRAWLER_HOSTS`); the rest resolve through the system. */
  readonly hosts?: Readonly<Record<string, ReadonlyArray<string>>> | undefined
  /** How host names resolve (default: the system's resolver, with `hosts` pinned). */
  readonly resolver?: Layer.Layer<Resolver.Resolver> | undefined
  /** Odoo client options over the adapter's defaults (for example its rate limit). */
  readonly odoo?: Vendors.OdooOverrides | undefined
  /** The database (default `Database.layer()`: `DATABASE_URL`, else embedded PGlite). */
  readonly database?: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, Store.StoreError> | undefined
  /**
   * Where the vendors' rate limits and the crawler's per-host politeness
   * are kept: `"process"` (the default) in this process's memory;
   * `"database"` in the database, shared by every process that uses it
   * (cluster workers), see `SharedRateLimits` and `SharedPoliteness`.
   */
  readonly coordination?: "process" | "database" | undefined
  /** Options of the shared politeness (`coordination: "database"`) besides `minDelay`, which is the crawler's. */
  readonly politeness?: Partial<Omit<SharedPoliteness.Options, "minDelay">> | undefined
  /** Options of the shared rate limits' store (`coordination: "database"`), such as whose clock refills the buckets. */
  readonly rateLimits?: RateLimiterStoreSql.Options | undefined
}

/**
 * Why the environment could not be built: the database could not be
 * reached or migrated.
 *
 * @since 0.1.0
 * @category models
 */
export type Error = Store.StoreError

/**
 * The services the environment provides.
 *
 * @since 0.1.0
 * @category models
 */
export type Services = EnrichmentRun.Requirements | Tenancy.Tenancy | SqlClient.SqlClient | PgClient.PgClient

/**
 * Builds the environment.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Services, Error> => {
  const store = StoreLive.layer().pipe(Layer.provideMerge(options.database ?? Database.layer()))
  const perTenant = TenantServicesLive.layer({
    caps: options.caps,
    lease: options.lease,
    verificationTtl: options.verificationTtl
  })
  const shared = options.coordination === "database"
  // the vendors' clients and rate limits once per process; each run builds its
  // vendors over its own budget and caches (core's VendorConnector)
  const vendors = options.vendors === undefined ? Vendors.unconfigured : Vendors.connector(options.vendors)
  const odoo = Vendors.layerOdoo(options.odoo)
  const crawler = (shared
    ? Layer.scoped(Crawler.Crawler, CrawlerLive.make(options.crawler)).pipe(
      Layer.provide(SharedPoliteness.layer({
        ...options.politeness,
        minDelay: options.crawler?.minDelay ?? CrawlerLive.defaults.minDelay
      }))
    )
    : CrawlerLive.layer(options.crawler)).pipe(
      Layer.provide(options.resolver ?? Resolver.layerHosts(options.hosts ?? {}))
    )
  const limited = shared
    ? Layer.merge(vendors, odoo).pipe(Layer.provide(SharedRateLimits.layer(options.rateLimits)))
    : Layer.merge(vendors, odoo)
  return Layer.mergeAll(limited, perTenant, crawler).pipe(
    Layer.provideMerge(NodeHttpClient.layerUndici),
    Layer.provideMerge(store)
  )
}
