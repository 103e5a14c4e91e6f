/**
 * The other process of PgliteLock.test.ts: opens the embedded database in
 * the directory given as the first argument. With `hold`, prints `ready`
 * and keeps it open until its stdin ends (or it is killed); with `try`,
 * prints the outcome as one JSON line and exits (code 1 when it failed).
 */
import { Cause, Effect, Exit, Layer, Option } from "effect"
import { Database } from "../../../src/index.js"

const [dataDir, mode] = process.argv.slice(2)

const stdinEnds = Effect.async<void>((resume) => {
  process.stdin.on("end", () => resume(Effect.void))
  process.stdin.resume()
})

const program = Effect.scoped(Effect.gen(function*() {
  yield* Layer.build(Database.layerEmbedded({ dataDir }))
  if (mode === "hold") {
    process.stdout.write("ready\n")
    yield* stdinEnds
  } else {
    process.stdout.write(`${JSON.stringify({ ok: true })}\n`)
  }
}))

void Effect.runPromiseExit(program).then((exit) => {
  if (Exit.isSuccess(exit)) return
  const failure = Cause.failureOption(exit.cause)
  const error = Option.getOrUndefined(failure)
  const holder = error === undefined ? undefined : Option.getOrUndefined(Database.lockedBy(error))
  process.stdout.write(`${
    JSON.stringify({
      ok: false,
      reason: error?.reason,
      message: error?.message ?? Cause.pretty(exit.cause),
      holder: holder === undefined ? undefined : { pid: holder.pid, command: holder.command }
    })
  }\n`)
  process.exitCode = 1
})
