/**
 * The runner's environment: `@leadgraph/adapters`' `Environment.layer`
 * built from the runner's settings (budget caps, ledger lease, corpus limit,
 * `CRAWLER_*` and `CRAWLER_HOSTS`).
 *
 * @since 0.1.0
 */
import { type CrawlerLive, Environment, type Vendors } from "@leadgraph/adapters"
import type { Layer } from "effect"
import { Duration } from "effect"
import * as Settings from "./Settings.js"

/**
 * What to build the environment from: the settings and the vendors, with
 * the library's other options as overrides (`CRAWLER_*` settings win over
 * `crawler`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Omit<Environment.Options, "caps" | "lease" | "hosts"> {
  readonly settings: Settings.Settings
  readonly vendors: Vendors.Options | undefined
}

/**
 * The services the environment provides.
 *
 * @since 0.1.0
 * @category models
 */
export type Services = Environment.Services

/**
 * The environment's options that the settings decide: the daily caps, the
 * ledger lease, the crawler's options (`CRAWLER_*` over `crawler`, over the
 * corpus limit) and its pinned hosts.
 *
 * @since 0.1.0
 * @category options
 */
export const optionsOf = (
  settings: Settings.Settings,
  crawler?: Partial<CrawlerLive.Options>
): Pick<Environment.Options, "caps" | "lease" | "crawler" | "hosts"> => ({
  caps: Settings.budgetCaps(settings.caps),
  lease: { ttl: Duration.seconds(settings.budgetLeaseSeconds) },
  crawler: { corpusCharLimit: settings.corpusCharLimit, ...crawler, ...settings.crawler },
  hosts: settings.crawlerHosts
})

/**
 * Builds the environment.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = ({ settings, ...options }: Options): Layer.Layer<Services, Environment.Error> =>
  Environment.layer({ ...options, ...optionsOf(settings, options.crawler) })
