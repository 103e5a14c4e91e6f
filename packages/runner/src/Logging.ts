/**
 * How the runner logs: every log line goes to stderr, so stdout carries
 * only what a command prints as its result (reports, tables, tokens,
 * environments) and `leadgraph run ... > out.txt` keeps just the report.
 * JSON lines (one object per line, for log collectors) when stderr is not a
 * terminal, Effect's pretty logger when it is (coloured unless
 * `NO_COLOR` is set), and a minimum level from `LOG_LEVEL`.
 *
 * @since 0.1.0
 */
import { Config, ConfigError, Either, Layer, Logger, LogLevel } from "effect"

/**
 * The output format: `json` writes one JSON object per line, `pretty` writes
 * text for people.
 *
 * @since 0.1.0
 * @category models
 */
export type Format = "json" | "pretty"

/**
 * A Layer replacing the default logger with the JSON or the pretty logger,
 * both writing to stderr, and setting the minimum level. `colors` (default
 * `false`) colours the pretty logger's output; JSON lines never carry
 * colours.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: { readonly format: Format; readonly level: LogLevel.LogLevel; readonly colors?: boolean | undefined }
): Layer.Layer<never> =>
  Layer.merge(
    Logger.replace(
      Logger.defaultLogger,
      options.format === "json"
        ? Logger.withConsoleError(Logger.jsonLogger)
        : Logger.prettyLogger({ colors: options.colors === true, stderr: true })
    ),
    Logger.minimumLogLevel(options.level)
  )

/**
 * Pretty output for a terminal, JSON lines otherwise (pass
 * `process.stderr.isTTY === true`: logs go to stderr).
 *
 * @since 0.1.0
 * @category constructors
 */
export const formatFor = (isTTY: boolean): Format => (isTTY ? "pretty" : "json")

const levels = new Map<string, LogLevel.LogLevel>([
  ["debug", LogLevel.Debug],
  ["info", LogLevel.Info],
  ["warning", LogLevel.Warning],
  ["warn", LogLevel.Warning],
  ["error", LogLevel.Error]
])

/**
 * `LOG_LEVEL`: `debug`, `info`, `warning` (or `warn`) or `error`, in any
 * case; `info` when not set. Any other value fails naming `LOG_LEVEL`.
 *
 * @since 0.1.0
 * @category config
 */
export const levelConfig: Config.Config<LogLevel.LogLevel> = Config.string("LOG_LEVEL").pipe(
  Config.mapOrFail((raw) => {
    const level = levels.get(raw.trim().toLowerCase())
    return level === undefined
      ? Either.left(ConfigError.InvalidData(["LOG_LEVEL"], `must be one of debug, info, warning, error; got "${raw}"`))
      : Either.right(level)
  }),
  Config.withDescription("the least severe log level written: debug, info, warning or error"),
  Config.withDefault(LogLevel.Info)
)
