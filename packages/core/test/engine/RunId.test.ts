/**
 * The engine runs every step with `Checkpoint.currentRunId` set to its run's
 * id (what a step pays for is kept under it): the same in every step and
 * branch of a run, none outside a run, and unchanged when a step joins a
 * fiber that a step of another run started (a long-lived fiber in a shared
 * service).
 */
import { describe, expect, it } from "@effect/vitest"
import { Checkpoint, Engine, Graph, Step } from "@leadgraph/core"
import { Chunk, Effect, Fiber, FiberRef, Option, Schema, Stream } from "effect"

const step = Step.forTarget<string>()
const runIdHere = Effect.map(FiberRef.get(Checkpoint.currentRunId), Option.getOrElse(() => "none"))

describe("Engine: the current run id", () => {
  it.effect("every step sees its own run's id, also after joining a fiber another run started", () =>
    Effect.gen(function*() {
      let shared: Fiber.RuntimeFiber<void> | undefined
      const First = step("first", { output: Schema.String, run: () => runIdHere })
      const Joins = step("joins", {
        needs: { first: First },
        output: Schema.String,
        run: () =>
          Effect.gen(function*() {
            // the first run starts a long-lived fiber; the second one joins it
            if (shared === undefined) shared = yield* Effect.forkDaemon(Effect.void)
            else yield* Fiber.join(shared)
            return yield* runIdHere
          })
      })
      const Other = step("other", { needs: { first: First }, output: Schema.String, run: () => runIdHere })
      const graph = Graph.unsafeMake(First, Joins, Other)
      const outputsOf = (runId: string) =>
        Effect.map(Stream.runCollect(Engine.stream(graph, Stream.make("a", "b"), { runId, concurrency: 2 })), (results) =>
          Chunk.toReadonlyArray(results).flatMap((r) =>
            Object.values(r.outcomes).map((o) => (o._tag === "Succeeded" ? o.output : o._tag))
          ))
      expect(yield* outputsOf("run-1")).toEqual(Array.from({ length: 6 }, () => "run-1"))
      expect(yield* outputsOf("run-2")).toEqual(Array.from({ length: 6 }, () => "run-2"))
      expect(yield* runIdHere).toBe("none")
    }))
})
