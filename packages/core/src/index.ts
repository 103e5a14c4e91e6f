/**
 * `@leadgraph/core`: the step-graph engine (steps, graphs, budgets,
 * checkpoints, events), the enrichment domain, the ports that adapters
 * implement, and the use cases over those ports (a tenant's enrichment run,
 * the nightly run, kickoffs, the Odoo sync, the lead export). No I/O of its
 * own.
 *
 * @since 0.1.0
 */

// engine
/** Budgets for paid work: reserve, commit, release. @since 0.1.0 */
export * as Budget from "./engine/Budget.js"
/** The ledger port behind budgets, with an in-memory ledger. @since 0.1.0 */
export * as BudgetLedger from "./engine/BudgetLedger.js"
/** The checkpoint port, with an in-memory store. @since 0.1.0 */
export * as Checkpoint from "./engine/Checkpoint.js"
/** Retryability as data on errors, and the one retry policy. @since 0.1.0 */
export * as Retry from "./engine/Retry.js"
/** Steps: named, typed units of work with a policy. @since 0.1.0 */
export * as Step from "./engine/Step.js"
/** Graphs of steps, validated at construction; Mermaid rendering. @since 0.1.0 */
export * as Graph from "./engine/Graph.js"
/** Runs graphs over streams of targets. @since 0.1.0 */
export * as Engine from "./engine/Engine.js"
/** Step outcomes and target terminal states. @since 0.1.0 */
export * as Outcome from "./engine/Outcome.js"
/** Engine events and the sinks that receive them. @since 0.1.0 */
export * as Events from "./engine/Events.js"
/** Run summaries: counts and p50/p90/max per step. @since 0.1.0 */
export * as RunSummary from "./engine/RunSummary.js"
/** Errors of the engine: graph validation, time-outs, defects. @since 0.1.0 */
export * as EngineError from "./engine/Errors.js"
/** The metrics leadgraph records (companies done, step durations, vendor calls and errors, budget units). @since 0.1.0 */
export * as Metrics from "./engine/Metrics.js"

// enrichment (ports and domain)
/** The crawler port: pages, corpus and signals of a company website. @since 0.1.0 */
export * as Crawler from "./enrichment/Crawler.js"
/** The LLM port: structured extraction and cached score rationales. @since 0.1.0 */
export * as Llm from "./enrichment/Llm.js"
/** The Odoo CRM port: idempotent company, contact and lead upserts. @since 0.1.0 */
export * as Odoo from "./enrichment/Odoo.js"
/** What every vendor port's error shares: reasons, retryability, message. @since 0.1.0 */
export * as VendorError from "./enrichment/VendorError.js"
/** Tenants and their Odoo connections. @since 0.1.0 */
export * as Tenant from "./enrichment/Tenant.js"
/** Companies: the targets of enrichment. @since 0.1.0 */
export * as Company from "./enrichment/Company.js"
/** Contacts and email addresses. @since 0.1.0 */
export * as Contact from "./enrichment/Contact.js"
/** Lead emails and their verification verdicts. @since 0.1.0 */
export * as LeadEmail from "./enrichment/LeadEmail.js"
/** Lead features: what enrichment learned, for scoring. @since 0.1.0 */
export * as Features from "./enrichment/Features.js"
/** Lead scores and the score export row. @since 0.1.0 */
export * as Score from "./enrichment/Score.js"
/** Ideal customer profile rules. @since 0.1.0 */
export * as IcpRule from "./enrichment/IcpRule.js"
/** Enrichment runs: manifests, outcomes, step stats, summaries. @since 0.1.0 */
export * as Run from "./enrichment/Run.js"
/** The run day: a date in the schedule's time zone, and the instants it spans. @since 0.1.0 */
export * as RunDay from "./enrichment/RunDay.js"
/** A run's companies: those that most need work, within what the daily cap leaves of the run day. @since 0.1.0 */
export * as Targets from "./enrichment/Targets.js"
/** The store port: tenant-scoped repositories. @since 0.1.0 */
export * as Store from "./enrichment/Store.js"
/** The Tavily port: web search and page extraction. @since 0.1.0 */
export * as Tavily from "./enrichment/Tavily.js"
/** The Lusha port: company contacts and person lookups. @since 0.1.0 */
export * as Lusha from "./enrichment/Lusha.js"
/** The ZeroBounce port: single and batch email verification. @since 0.1.0 */
export * as ZeroBounce from "./enrichment/ZeroBounce.js"
/** The email verification cache port, with an in-memory cache. @since 0.1.0 */
export * as VerificationCache from "./enrichment/VerificationCache.js"
/** The paid results port: vendor answers kept as they arrive, with an in-memory store. @since 0.1.0 */
export * as PaidResults from "./enrichment/PaidResults.js"
/** Firmographics: what extraction learns, by LLM or from signals. @since 0.1.0 */
export * as Firmographics from "./enrichment/Firmographics.js"
/** Pure lead scoring against ICP rules, with contributions. @since 0.1.0 */
export * as Scoring from "./enrichment/Scoring.js"
/** The run context every pipeline step reads. @since 0.1.0 */
export * as RunContext from "./enrichment/steps/RunContext.js"
/** The default enrichment graph and its steps. @since 0.1.0 */
export * as Pipeline from "./enrichment/Pipeline.js"
/** What a tenant's history says about a dry run's companies, for the steps' budget estimates. @since 0.1.0 */
export * as History from "./enrichment/History.js"
/** Dry-run forecasts of a run's vendor calls, from its plan and the tenant's history. @since 0.1.0 */
export * as Forecast from "./enrichment/Forecast.js"

// use cases (over the ports only)
/** Each tenant's budgets, verification cache, paid results and checkpoints, behind one instance each. @since 0.1.0 */
export * as TenantServices from "./usecases/TenantServices.js"
/** How a run gets its paid vendors: a layer per run over the run's budget and caches. @since 0.1.0 */
export * as VendorConnector from "./usecases/VendorConnector.js"
/** How a run reaches its tenant's Odoo: a layer per connection. @since 0.1.0 */
export * as OdooConnector from "./usecases/OdooConnector.js"
/** How a run records its companies: stable, secret-free failure codes, grouped; the run's status. @since 0.1.0 */
export * as RunOutcome from "./usecases/RunOutcome.js"
/** One tenant's enrichment run (or dry run). @since 0.1.0 */
export * as EnrichmentRun from "./usecases/EnrichmentRun.js"
/** One company of a run as a unit of work for a cluster of workers: the job, the report, the worker. @since 0.1.0 */
export * as CompanyEnrichment from "./usecases/CompanyEnrichment.js"
/** The nightly run over every active tenant. @since 0.1.0 */
export * as Nightly from "./usecases/Nightly.js"
/** Runs started on demand, one at a time per tenant, with their progress. @since 0.1.0 */
export * as Kickoffs from "./usecases/Kickoffs.js"
/** The Odoo sync: stored qualifying leads to the tenant's Odoo. @since 0.1.0 */
export * as OdooSync from "./usecases/OdooSync.js"
/** The lead export as streamed CSV and JSON text. @since 0.1.0 */
export * as LeadExport from "./usecases/LeadExport.js"
/** Companies imported from an operator's file, row by row, with rejected rows and their reasons. @since 0.1.0 */
export * as CompanyImport from "./usecases/CompanyImport.js"
/** Operator input that cannot be used, with one readable line per problem. @since 0.1.0 */
export * as Invalid from "./usecases/Invalid.js"
/** Tenants added, updated, listed, disabled and enabled. @since 0.1.0 */
export * as TenantSetup from "./usecases/TenantSetup.js"
/** A tenant's ICP rules set from a file or request, as numbered versions. @since 0.1.0 */
export * as IcpSetup from "./usecases/IcpSetup.js"
/** A tenant's Odoo connection stored and tested. @since 0.1.0 */
export * as OdooSetup from "./usecases/OdooSetup.js"
/** Runs rendered for people: nightly results, run summaries, failures by code, dry-run forecasts. @since 0.1.0 */
export * as Report from "./usecases/Report.js"
/** Recorded runs of every tenant or one, newest first, a page at a time; one run by its id. @since 0.1.0 */
export * as RunHistory from "./usecases/RunHistory.js"
/** A run's report: one self-contained HTML page with inline SVG charts, or plain text. @since 0.1.0 */
export * as RunReport from "./usecases/RunReport.js"
/** A terminal progress bar fed by engine events. @since 0.1.0 */
export * as Progress from "./usecases/Progress.js"
/** Structured log lines from engine events. @since 0.1.0 */
export * as EventLog from "./usecases/EventLog.js"
