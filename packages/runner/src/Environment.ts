/**
 * The runner's environment: `@leadgraph/adapters`' `Environment.layer`
 * built from the runner's settings (budget caps, ledger lease, corpus limit,
 * `CRAWLER_*` and `CRAWLER_HOSTS`).
 *
 * @since 0.1.0
 */
import { Environment, type Vendors } from "@leadgraph/adapters"
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
  readonly vendors: Vendors.Options
}

/**
 * The services the environment provides.
 *
 * @since 0.1.0
 * @category models
 */
export type Services = Environment.Services

/**
 * Builds the environment.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = ({ settings, ...options }: Options): Layer.Layer<Services, Environment.Error> =>
  Environment.layer({
    ...options,
    caps: Settings.budgetCaps(settings.caps),
    lease: { ttl: Duration.seconds(settings.budgetLeaseSeconds) },
    crawler: { corpusCharLimit: settings.corpusCharLimit, ...options.crawler, ...settings.crawler },
    hosts: settings.crawlerHosts
  })
