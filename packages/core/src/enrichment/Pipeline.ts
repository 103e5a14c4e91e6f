/**
 * The default enrichment graph: per company, crawl the website; search the
 * web when the crawl is thin; extract firmographics; find contacts; verify
 * new emails; score against the tenant's ICP rules; write a rationale;
 * persist; export qualifying leads to Odoo.
 *
 * ```mermaid
 * graph LR
 *   crawl --> search --> extract --> score
 *   crawl --> extract
 *   contacts --> verify --> score --> rationale --> persist --> export
 * ```
 *
 * Vendor calls are retried inside their adapters (core's one `Retry`
 * policy, honouring `Retry-After`), so the vendor steps add no retry of their
 * own; `crawl`, `verify` (its cache) and `persist` (the store) retry
 * retryable errors. Every step requires only ports (and the {@link RunContext.RunContext});
 * the runner provides live adapters, tests provide fakes. Steps are exported
 * one by one too, for graphs of your own.
 *
 * @since 0.1.0
 */
import type * as Engine from "../engine/Engine.js"
import * as Graph from "../engine/Graph.js"
import type { Company } from "./Company.js"
import * as Llm from "./Llm.js"
import * as Lusha from "./Lusha.js"
import { Contacts, siteAddresses, Verify } from "./steps/People.js"
import { Export, Persist, Rationale, Score } from "./steps/Lead.js"
import { Crawl, Extract, Search, searchCallsWhenThin } from "./steps/Research.js"
import * as RunContext from "./steps/RunContext.js"
import * as Tavily from "./Tavily.js"
import * as ZeroBounce from "./ZeroBounce.js"

export * from "./steps/Lead.js"
export * from "./steps/People.js"
export * from "./steps/Research.js"

/**
 * The enrichment graph.
 *
 * @since 0.1.0
 * @category graphs
 */
export const graph = Graph.unsafeMake(Crawl, Search, Extract, Contacts, Verify, Score, Rationale, Persist, Export)

/**
 * The graph's type.
 *
 * @since 0.1.0
 * @category models
 */
export type Pipeline = typeof graph

/**
 * The step names, in graph order (for `--skip` and `--only`).
 *
 * @since 0.1.0
 * @category constants
 */
export const stepNames: ReadonlyArray<string> = graph.steps.map((s) => s.name)

/**
 * The paid vendors a run spends on.
 *
 * @since 0.1.0
 * @category models
 */
export type Vendor = "tavily" | "openai" | "lusha" | "zerobounce"

/**
 * A vendor's forecast: expected calls, and the budget units they may draw at
 * most (tokens for OpenAI, lookups for Lusha, verifications for ZeroBounce,
 * queries for Tavily).
 *
 * @since 0.1.0
 * @category models
 */
export interface VendorForecast {
  readonly budget: string
  readonly calls: number
  readonly maxUnits: number
}

/**
 * What a forecast needs to know of the run's knobs.
 *
 * @since 0.1.0
 * @category models
 */
export type ForecastOptions = Pick<RunContext.Service, "contactsPerCompany" | "corpusCharLimit">

const rationaleTokens = 900
const extractOverheadTokens = 900

/**
 * The spend a dry run predicts, per vendor, from the engine's plan (steps
 * restored from checkpoints or disabled spend nothing):
 *
 * - Tavily: {@link searchCallsWhenThin} calls for a company without a
 *   website; a site that turns out thin when crawled adds as many.
 * - OpenAI: one extraction and one rationale per company (cached rationales
 *   make the real count lower on later runs); tokens at most the corpus
 *   limit's worth plus the answers.
 * - Lusha: one contact search per company (the adapter makes it as a
 *   prospecting search and an enrich request), at most `contactsPerCompany`
 *   lookups.
 * - ZeroBounce: one verification per address at most (one per contact
 *   plus {@link siteAddresses} for the site's own addresses); cached
 *   verdicts and companies with fewer contacts make the real count lower,
 *   so this forecast is an upper bound.
 *
 * @since 0.1.0
 * @category forecasts
 */
export const forecast = (
  plans: Iterable<Engine.TargetPlan<Company>>,
  options?: Partial<ForecastOptions>
): Record<Vendor, VendorForecast> => {
  const o = { ...RunContext.defaults, ...options }
  const out: Record<Vendor, { budget: string; calls: number; maxUnits: number }> = {
    tavily: { budget: Tavily.budget, calls: 0, maxUnits: 0 },
    openai: { budget: Llm.tokenBudget, calls: 0, maxUnits: 0 },
    lusha: { budget: Lusha.budget, calls: 0, maxUnits: 0 },
    zerobounce: { budget: ZeroBounce.budget, calls: 0, maxUnits: 0 }
  }
  for (const plan of plans) {
    for (const s of plan.steps) {
      if (s.action !== "run") continue
      switch (s.step) {
        case "search":
          if (plan.target.website === null) {
            out.tavily.calls += searchCallsWhenThin
            out.tavily.maxUnits += searchCallsWhenThin
          }
          break
        case "extract":
          out.openai.calls++
          out.openai.maxUnits += Math.ceil(o.corpusCharLimit / 4) + extractOverheadTokens
          break
        case "rationale":
          out.openai.calls++
          out.openai.maxUnits += rationaleTokens
          break
        case "contacts":
          out.lusha.calls++
          out.lusha.maxUnits += o.contactsPerCompany
          break
        case "verify":
          out.zerobounce.calls += o.contactsPerCompany + siteAddresses
          out.zerobounce.maxUnits += o.contactsPerCompany + siteAddresses
          break
      }
    }
  }
  return out
}
