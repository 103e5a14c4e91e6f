#!/usr/bin/env node
/**
 * The `leadgraph` executable. The first SIGINT or SIGTERM asks the running
 * command to stop: no new company starts, those in flight finish and
 * checkpoint (a re-run of the same run id resumes). A second signal, or
 * `LEADGRAPH_STOP_GRACE_SECONDS` (default 60) later, interrupts at once;
 * succeeded steps are checkpointed either way.
 *
 * @since 0.1.0
 */
import { NodeContext } from "@effect/platform-node"
import { Cause, Config, ConfigError, Deferred, Effect, Exit, Fiber, Layer, Option, Runtime } from "effect"
import * as Cli from "./Cli.js"
import * as Logging from "./Logging.js"
import * as Telemetry from "./Telemetry.js"

const isTTY = process.stdout.isTTY === true
let code = 0

const main = Effect.gen(function*() {
  const stop = yield* Deferred.make<void>()
  const level = yield* Logging.levelConfig
  const grace = yield* Config.integer("LEADGRAPH_STOP_GRACE_SECONDS").pipe(
    Config.validate({ message: "must be a whole number of seconds, 0 or more", validation: (n) => n >= 0 }),
    Config.withDefault(60)
  )
  const self = yield* Effect.fork(
    Cli.cli(process.argv).pipe(
      Effect.provideService(Cli.Shutdown, { requested: stop, isTTY }),
      Effect.provideService(Cli.ExitCode, { set: (c) => Effect.sync(() => void (code = Math.max(code, c))) }),
      // OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set, flushed as the command ends
      Effect.provide(Telemetry.layerConfig.pipe(
        Layer.provideMerge(Layer.mergeAll(NodeContext.layer, Logging.layer({ format: Logging.formatFor(isTTY), level })))
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
      const failure = Cause.failureOption(exit.cause)
      const interrupted = Cause.isInterruptedOnly(exit.cause)
      if (!interrupted) {
        const text = Option.match(failure, {
          onNone: () => Cause.pretty(exit.cause),
          onSome: (e) =>
            ConfigError.isConfigError(e)
              ? String(e)
              : (e instanceof Error || (typeof e === "object" && e !== null && "message" in e))
              ? String((e as Error).message)
              : String(e)
        })
        // @effect/cli has already printed its own validation errors
        if (!(typeof Option.getOrUndefined(failure) === "object" && (Option.getOrUndefined(failure) as { _tag?: string })?._tag === "ValidationError" )) {
          process.stderr.write(`leadgraph: ${text}\n`)
        }
      }
      process.exitCode = interrupted ? 130 : 1
    } else {
      process.exitCode = code
    }
  },
  (error) => {
    process.stderr.write(`leadgraph: ${String(error)}\n`)
    process.exitCode = 1
  }
)
