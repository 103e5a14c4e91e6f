/**
 * `@leadgraph/runner`: the thin edge around the library — the CLI, the
 * scheduler and the HTTP server, over the library's use cases. Only the runner reads
 * the environment.
 *
 * @since 0.1.0
 */

/** Run summaries rendered for people. @since 0.1.0 */
export * as Report from "./Report.js"
/** The runner's settings from the environment, validated at start-up. @since 0.1.0 */
export * as Settings from "./Settings.js"
/** Everything a run needs, as one layer. @since 0.1.0 */
export * as Environment from "./Environment.js"
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
export * as HttpApiDefinition from "./http/HttpApiDefinition.js"
/** The HTTP server of `leadgraph serve`: handlers, authentication and the Node server layer. @since 0.1.0 */
export * as HttpServer from "./http/HttpServer.js"
/** Live runs for the HTTP kickoff: `EnrichmentRun.run` in the runner's environment, built at the first kickoff. @since 0.1.0 */
export * as HttpLaunch from "./http/HttpLaunch.js"
