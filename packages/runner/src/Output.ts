/**
 * Where the CLI writes and whether it may colour: stdout holds a command's
 * result (reports, tables, tokens, environments, `--help`), stderr its
 * logs, progress bars and errors. Colour (ANSI codes) only on a terminal
 * and only when `NO_COLOR` is unset or empty (https://no-color.org); the
 * rest of the time {@link plainConsole} strips the codes that libraries
 * write on their own (`@effect/cli` renders `--help` and its messages with
 * `@effect/printer-ansi`, which always colours).
 *
 * @since 0.1.0
 */
import { Config, Console } from "effect"

/**
 * Whether each stream may carry colour.
 *
 * @since 0.1.0
 * @category models
 */
export interface Colors {
  readonly stdout: boolean
  readonly stderr: boolean
}

/**
 * `NO_COLOR`: any non-empty value turns colour off everywhere.
 *
 * @since 0.1.0
 * @category config
 */
export const noColorConfig: Config.Config<boolean> = Config.string("NO_COLOR").pipe(
  Config.map((value) => value !== ""),
  Config.withDescription("any non-empty value: no ANSI colours, even on a terminal"),
  Config.withDefault(false)
)

/**
 * Colour for each stream that is a terminal, unless `noColor`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const colorsFor = (
  options: { readonly stdoutIsTTY: boolean; readonly stderrIsTTY: boolean; readonly noColor: boolean }
): Colors => ({
  stdout: options.stdoutIsTTY && !options.noColor,
  stderr: options.stderrIsTTY && !options.noColor
})

// CSI sequences (colours, cursor moves) and OSC sequences (hyperlinks, titles)
const ansi = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g

/**
 * `text` without ANSI escape sequences.
 *
 * @since 0.1.0
 * @category rendering
 */
export const stripAnsi = (text: string): string => text.replace(ansi, "")

const plain = (keep: boolean) => (args: ReadonlyArray<unknown>): Array<unknown> =>
  keep ? [...args] : args.map((a) => (typeof a === "string" ? stripAnsi(a) : a))

// a message printed with a trailing newline would leave a blank line on stderr
const trimmed = (args: Array<unknown>): Array<unknown> => {
  const last = args.at(-1)
  return typeof last === "string" ? [...args.slice(0, -1), last.replace(/\s+$/, "")] : args
}

/**
 * `base` with the ANSI codes removed from what it writes to each stream
 * that may not be coloured (`log`, `info`, `debug`, `table` and `dir` to
 * stdout; `error`, `warn` and `trace` to stderr), and without trailing
 * blank lines on stderr.
 *
 * @since 0.1.0
 * @category constructors
 */
export const plainConsole = (base: Console.Console, colors: Colors): Console.Console => {
  const out = plain(colors.stdout)
  const err = (args: ReadonlyArray<unknown>) => trimmed(plain(colors.stderr)(args))
  return {
    ...base,
    debug: (...args) => base.debug(...out(args)),
    info: (...args) => base.info(...out(args)),
    log: (...args) => base.log(...out(args)),
    error: (...args) => base.error(...err(args)),
    warn: (...args) => base.warn(...err(args)),
    trace: (...args) => base.trace(...err(args)),
    unsafe: {
      ...base.unsafe,
      assert: (condition, ...args) => base.unsafe.assert(condition, ...err(args)),
      clear: () => base.unsafe.clear(),
      count: (label) => base.unsafe.count(label),
      countReset: (label) => base.unsafe.countReset(label),
      debug: (...args) => base.unsafe.debug(...out(args)),
      dir: (item, options) => base.unsafe.dir(item, options),
      dirxml: (...args) => base.unsafe.dirxml(...out(args)),
      error: (...args) => base.unsafe.error(...err(args)),
      group: (...args) => base.unsafe.group(...out(args)),
      groupCollapsed: (...args) => base.unsafe.groupCollapsed(...out(args)),
      groupEnd: () => base.unsafe.groupEnd(),
      info: (...args) => base.unsafe.info(...out(args)),
      log: (...args) => base.unsafe.log(...out(args)),
      table: (data, properties) => base.unsafe.table(data, properties),
      time: (label) => base.unsafe.time(label),
      timeEnd: (label) => base.unsafe.timeEnd(label),
      timeLog: (label, ...args) => base.unsafe.timeLog(label, ...out(args)),
      trace: (...args) => base.unsafe.trace(...err(args)),
      warn: (...args) => base.unsafe.warn(...err(args))
    }
  }
}
