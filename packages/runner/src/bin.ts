#!/usr/bin/env node
/**
 * The `leadgraph` executable. The first SIGINT or SIGTERM asks the running
 * command to stop: no new company starts, those in flight finish and
 * checkpoint (a re-run of the same run id resumes). A second signal, or
 * `LEADGRAPH_STOP_GRACE_SECONDS` (default 60) later, interrupts at once;
 * succeeded steps are checkpointed either way.
 *
 * Output: a command's result on stdout; logs (JSON lines, or pretty text on
 * a terminal), progress bars (on a terminal only) and errors on stderr. No
 * colour unless the stream is a terminal and `NO_COLOR` is unset. Each
 * error is one line, `leadgraph: <what went wrong>` (with `LOG_LEVEL=debug`,
 * a defect's stack follows). Exit codes: 0 ok, 1 failure, 2 usage error
 * (bad command line or environment), 130 interrupted.
 *
 * @since 0.1.0
 */
import { NodeContext } from "@effect/platform-node"
import { Config, Console, Deferred, Effect, Exit, Fiber, Layer, LogLevel, Runtime } from "effect"
import * as Cli from "./Cli.js"
import * as Errors from "./Errors.js"
import * as Logging from "./Logging.js"
import * as Output from "./Output.js"
import * as Telemetry from "./Telemetry.js"

const stderrIsTTY = process.stderr.isTTY === true
let code = 0
let debug = false

const main = Effect.gen(function*() {
  const stop = yield* Deferred.make<void>()
  const noColor = yield* Output.noColorConfig
  const colors = Output.colorsFor({ stdoutIsTTY: process.stdout.isTTY === true, stderrIsTTY, noColor })
  const console = Output.plainConsole(yield* Effect.console, colors)
  const level = yield* Logging.levelConfig.pipe(Effect.withConsole(console))
  debug = LogLevel.lessThanEqual(level, LogLevel.Debug)
  const grace = yield* Config.integer("LEADGRAPH_STOP_GRACE_SECONDS").pipe(
    Config.validate({ message: "must be a whole number of seconds, 0 or more", validation: (n) => n >= 0 }),
    Config.withDefault(60)
  )
  const self = yield* Effect.fork(
    Cli.cli(process.argv).pipe(
      Effect.provideService(Cli.Shutdown, { requested: stop, isTTY: stderrIsTTY }),
      Effect.provideService(Cli.ExitCode, { set: (c) => Effect.sync(() => void (code = Math.max(code, c))) }),
      // OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set, flushed as the command ends
      Effect.provide(Telemetry.layerConfig.pipe(
        Layer.provideMerge(Layer.mergeAll(
          NodeContext.layer,
          Logging.layer({ format: Logging.formatFor(stderrIsTTY), level, colors: colors.stderr }),
          Console.setConsole(console)
        ))
      ))
    )
  )
  // signal handlers run outside any fiber: they fork into this runtime
  const fork = Runtime.runFork(yield* Effect.runtime<never>())
  let signals = 0
  const onSignal = (signal: string) => {
    signals++
    if (signals === 1) {
      process.stderr.write(`\n${signal}: stopping — no new company starts; signal again to stop at once\n`)
      fork(Deferred.succeed(stop, undefined))
      setTimeout(() => fork(Fiber.interrupt(self)), grace * 1000).unref()
    } else {
      fork(Fiber.interrupt(self))
    }
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  const exit = yield* Fiber.await(self)
  process.off("SIGINT", onSignal)
  process.off("SIGTERM", onSignal)
  return exit
})

Effect.runPromise(Effect.map(Effect.exit(main), Exit.flatten)).then(
  (exit) => {
    if (Exit.isFailure(exit)) {
      for (const line of Errors.describeCause(exit.cause, { debug })) process.stderr.write(`leadgraph: ${line}\n`)
      process.exitCode = Errors.exitCode(exit.cause)
    } else {
      process.exitCode = code
    }
  },
  (error) => {
    process.stderr.write(`leadgraph: unexpected error: ${Errors.describe(error)}\n`)
    process.exitCode = 1
  }
)
