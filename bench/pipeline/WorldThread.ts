/**
 * Starts the world (bench/pipeline/world.ts: the fixture web and the fakes)
 * in a worker thread of this process, on the same scaled clock as the run,
 * and asks it for its counters. Shared by `bench/pipeline.ts` and
 * `bench/cluster.ts`.
 */
import { Worker } from "node:worker_threads"
import { Effect } from "effect"
import type * as World from "./world.js"

/** Starts the world in a worker thread; it is terminated with the scope. */
export const start = (options: World.WorldOptions) =>
  Effect.acquireRelease(
    Effect.async<{ readonly worker: Worker; readonly ready: World.Ready }, Error>((resume) => {
      // a worker does not inherit tsx's loader: register it, then load the world
      const entry = new URL("./world.ts", import.meta.url).href
      const boot = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}) })`
      const worker = new Worker(boot, { eval: true, workerData: options })
      worker.once("error", (e) => resume(Effect.fail(e)))
      worker.once("message", (ready: World.Ready) => resume(Effect.succeed({ worker, ready })))
    }),
    ({ worker }) => Effect.promise(() => worker.terminate())
  )

/** The world's counters and logs so far. */
export const stats = (worker: Worker) =>
  Effect.async<World.Stats>((resume) => {
    worker.once("message", (stats: World.Stats) => resume(Effect.succeed(stats)))
    worker.postMessage("stats")
  })
