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
import * as Graph from "../engine/Graph.js"
import { Contacts, Verify } from "./steps/People.js"
import { Export, Persist, Rationale, Score } from "./steps/Lead.js"
import { Crawl, Extract, Search } from "./steps/Research.js"

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
