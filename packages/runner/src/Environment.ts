/**
 * Everything a run needs, as one layer: the database (Postgres at
 * `DATABASE_URL`, or embedded PGlite), the store with its row-level
 * security check, each tenant's budgets, verification cache and checkpoints
 * in Postgres, the live vendor adapters, the crawler and an HTTP client.
 *
 * @since 0.1.0
 */
import { CrawlerLive, Database, Resolver, StoreLive, type Tenancy, TenantServicesLive, Vendors } from "@leadgraph/adapters"
import type { Store } from "@leadgraph/core"
import type { SqlClient } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import { NodeHttpClient } from "@effect/platform-node"
import { Duration, Layer } from "effect"
import * as Settings from "./Settings.js"
import { type EnrichmentRun, TenantServices } from "@leadgraph/core"

/**
 * What to build the environment from.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly settings: Settings.Settings
  readonly vendors: Vendors.Options
  /** Crawler options over its defaults (`EXTRACT_CORPUS_CHAR_LIMIT` comes from the settings); the `CRAWLER_*` settings win. */
  readonly crawler?: Partial<CrawlerLive.Options> | undefined
  /** Odoo client options over the adapter's defaults (for example its rate limit). */
  readonly odoo?: Vendors.OdooOverrides | undefined
  /** How host names resolve (default: the system's resolver, with the settings' `CRAWLER_HOSTS` pinned). */
  readonly resolver?: Layer.Layer<Resolver.Resolver> | undefined
  /** The database (default {@link Database.layer}: `DATABASE_URL`, else embedded PGlite). */
  readonly database?: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, Store.StoreError> | undefined
}

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
export const layer = (options: Options): Layer.Layer<Services, Store.StoreError> => {
  const database = options.database ?? Database.layer()
  const store = StoreLive.layer().pipe(Layer.provideMerge(database))
  const perTenant = TenantServicesLive.layer({
    caps: Settings.budgetCaps(options.settings.caps),
    timeZone: options.settings.schedule.timeZone,
    lease: { ttl: Duration.seconds(options.settings.budgetLeaseSeconds) }
  })
  const routed = TenantServices.layerRouted.pipe(Layer.provideMerge(perTenant))
  const vendors = Vendors.layer(options.vendors).pipe(Layer.provideMerge(routed))
  const crawler = CrawlerLive.layer({
    corpusCharLimit: options.settings.corpusCharLimit,
    ...options.crawler,
    ...options.settings.crawler
  }).pipe(
    Layer.provide(options.resolver ?? Resolver.layerHosts(options.settings.crawlerHosts))
  )
  return Layer.mergeAll(vendors, crawler, Vendors.layerOdoo(options.odoo)).pipe(
    Layer.provideMerge(NodeHttpClient.layerUndici),
    Layer.provideMerge(store)
  )
}
