/**
 * `@leadgraph/runner`: the thin edge around the library — the CLI, the
 * scheduler, the nightly runner and the HTTP server. Only the runner reads
 * the environment.
 *
 * @since 0.1.0
 */

/** Run summaries rendered for people. @since 0.1.0 */
export * as Report from "./Report.js"
/** The runner's settings from the environment, validated at start-up. @since 0.1.0 */
export * as Settings from "./Settings.js"
/** Tenant-scoped budgets, verification caches and checkpoints behind shared services. @since 0.1.0 */
export * as TenantServices from "./TenantServices.js"
/** The live vendor adapters as one set, and each tenant's Odoo. @since 0.1.0 */
export * as Vendors from "./Vendors.js"
/** Everything a run needs, as one layer. @since 0.1.0 */
export * as Environment from "./Environment.js"
/** One tenant's enrichment run (or dry run). @since 0.1.0 */
export * as TenantRun from "./TenantRun.js"
/** How a run records its companies: stable, secret-free failure codes, grouped; the run's status. @since 0.1.0 */
export * as RunOutcome from "./RunOutcome.js"
/** The nightly run over every active tenant. @since 0.1.0 */
export * as Nightly from "./Nightly.js"
/** Score exports as streamed CSV and JSON. @since 0.1.0 */
export * as Exports from "./Exports.js"
/** The demo: the whole nightly job on fakes and embedded PGlite. @since 0.1.0 */
export * as Demo from "./Demo.js"
/** A fake world anyone can run: the fake vendors, the fixture sites and the environment that uses them. @since 0.1.0 */
export * as Fakes from "./Fakes.js"
/** Structured log lines from engine events. @since 0.1.0 */
export * as EventLog from "./EventLog.js"
/** Log format (JSON lines or pretty) and LOG_LEVEL. @since 0.1.0 */
export * as Logging from "./Logging.js"
/** A terminal progress bar fed by engine events. @since 0.1.0 */
export * as Progress from "./Progress.js"
/** Cron scheduling with catch-up and no overlapping runs. @since 0.1.0 */
export * as Scheduler from "./Scheduler.js"
/** The `leadgraph` command line. @since 0.1.0 */
export * as Cli from "./Cli.js"
/** The HTTP API of `leadgraph serve`: endpoints, errors and security, as an `HttpApi`. @since 0.1.0 */
export * as HttpApiDefinition from "./http/Api.js"
/** The HTTP server of `leadgraph serve`: handlers, authentication and the Node server layer. @since 0.1.0 */
export * as HttpServer from "./http/Server.js"
/** Runs started over HTTP, one at a time per tenant, with their progress. @since 0.1.0 */
export * as Kickoffs from "./http/Kickoffs.js"
/** The Odoo sync of the HTTP API: stored qualifying leads to the tenant's Odoo. @since 0.1.0 */
export * as OdooSync from "./http/OdooSync.js"
/** Live runs for the HTTP kickoff: `TenantRun.run` in the runner's environment, built at the first kickoff. @since 0.1.0 */
export * as HttpLaunch from "./http/Launch.js"
