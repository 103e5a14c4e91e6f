/**
 * `@leadgraph/runner`: the thin edge around the library — the CLI, the
 * scheduler and the HTTP server, over the library's use cases. Only the runner reads
 * the environment.
 *
 * @since 0.1.0
 */

/** The runner's settings from the environment, validated at start-up. @since 0.1.0 */
export * as Settings from "./Settings.js"
/** Everything a run needs, as one layer. @since 0.1.0 */
export * as Environment from "./Environment.js"
/** The demo: the whole nightly job on fakes and embedded PGlite. @since 0.1.0 */
export * as Demo from "./Demo.js"
/** `leadgraph fakes`: the fake world served, its environment printed. @since 0.1.0 */
export * as Fakes from "./Fakes.js"
/** Log format (JSON lines or pretty, on stderr) and LOG_LEVEL. @since 0.1.0 */
export * as Logging from "./Logging.js"
/** Where output goes and whether it may be coloured (NO_COLOR, terminals). @since 0.1.0 */
export * as Output from "./Output.js"
/** One readable line per error, and the exit code. @since 0.1.0 */
export * as Errors from "./Errors.js"
/** The vendor keys a real run needs, and the error naming those not set. @since 0.1.0 */
export * as VendorKeys from "./VendorKeys.js"
/** The operator's data commands (`companies import`). @since 0.1.0 */
export * as Data from "./Data.js"
/** Run history commands: `runs`, `runs show ID`, `report ID --out FILE`. @since 0.1.0 */
export * as Runs from "./Runs.js"
/** The operator's set-up commands: `tenants`, `icp` and `odoo`. @since 0.1.0 */
export * as Setup from "./Setup.js"
/** `leadgraph worker` and cluster mode: a worker that joins the cluster, and the dispatcher a run in cluster mode hands its companies to. @since 0.1.0 */
export * as Worker from "./Worker.js"
/** The `leadgraph` command line. @since 0.1.0 */
export * as Cli from "./Cli.js"
/** The HTTP server of `leadgraph serve`: handlers, authentication and the Node server layer. @since 0.1.0 */
export * as HttpServer from "./http/HttpServer.js"
/** Live runs for the HTTP kickoff: the adapters' `KickoffsLive` with the runner's settings. @since 0.1.0 */
export * as HttpLaunch from "./http/HttpLaunch.js"
/** The HTTP server's access log: one log line per request, never a token. @since 0.1.0 */
export * as AccessLog from "./http/AccessLog.js"
/** Telemetry: spans and metrics over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. @since 0.1.0 */
export * as Telemetry from "./Telemetry.js"
