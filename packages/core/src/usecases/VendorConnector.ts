/**
 * How a tenant's run gets its paid vendors: a layer the run builds for
 * itself, over the run's own budget, verification cache and paid results.
 * What belongs to an API key (rate limits, retries, the client) is built
 * once by whoever provides the connector and shared by every run; what
 * belongs to a tenant comes from the run. The live connector is
 * `@leadgraph/adapters`' `Vendors.connector`; tests and fakes give a layer
 * with {@link fromLayer}.
 *
 * @since 0.1.0
 */
import { Context, Layer } from "effect"
import type * as Budget from "../engine/Budget.js"
import type * as Llm from "../enrichment/Llm.js"
import type * as Lusha from "../enrichment/Lusha.js"
import type * as PaidResults from "../enrichment/PaidResults.js"
import type * as Tavily from "../enrichment/Tavily.js"
import type * as VerificationCache from "../enrichment/VerificationCache.js"
import type * as ZeroBounce from "../enrichment/ZeroBounce.js"

/**
 * The paid vendors a run's steps call.
 *
 * @since 0.1.0
 * @category models
 */
export type Vendors = Tavily.Tavily | Lusha.Lusha | ZeroBounce.ZeroBounce | Llm.Llm

/**
 * What a run gives its vendors: its budget (the tenant's ledger for the
 * run's day), and the tenant's verification cache and paid results.
 *
 * @since 0.1.0
 * @category models
 */
export type RunServices = Budget.Budget | VerificationCache.VerificationCache | PaidResults.PaidResults

/**
 * The connector: the vendors of one run, built by the run in its scope.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly connect: Layer.Layer<Vendors, never, RunServices>
}

/**
 * The connector tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class VendorConnector extends Context.Tag("@leadgraph/core/VendorConnector")<VendorConnector, Service>() {}

/**
 * A connector that builds the given layer for each run.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromLayer = (vendors: Layer.Layer<Vendors, never, RunServices>): Layer.Layer<VendorConnector> =>
  Layer.succeed(VendorConnector, { connect: vendors })
