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
