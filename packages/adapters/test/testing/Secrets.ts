/**
 * Test helpers for the "no secret leaks" checks: a logger that captures every
 * log line (formatted the way the logfmt and JSON loggers would print it,
 * causes included), and a renderer of an error in every form a log or a
 * report could show it.
 */
import { Cause, Effect, Inspectable, Logger, LogLevel } from "effect"

/** Runs `self` with a logger that appends each formatted line (all levels) to `lines`. */
export const captureLogs = <A, E, R>(self: Effect.Effect<A, E, R>, lines: Array<string>): Effect.Effect<A, E, R> => {
  const capture = Logger.make((options) => {
    lines.push(Logger.logfmtLogger.log(options))
    lines.push(JSON.stringify(Logger.structuredLogger.log(options)))
  })
  return Effect.provide(self, Logger.replace(Logger.defaultLogger, capture)).pipe(
    Logger.withMinimumLogLevel(LogLevel.All)
  )
}

/** Every rendering of an error: message, string, JSON, inspect, and the pretty cause. */
export const renderings = (error: unknown): string =>
  [
    error instanceof Error ? error.message : "",
    String(error),
    Inspectable.format(error),
    JSON.stringify(Inspectable.toJSON(error)),
    Cause.pretty(Cause.fail(error))
  ].join("\n")
