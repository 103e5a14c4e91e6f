import { describe, expect, it } from "@effect/vitest"
import { Budget, Engine, Graph, Report, Step } from "@leadgraph/core"
import { Effect, Schema, Stream, TestClock, Fiber } from "effect"

describe("Report.table", () => {
  it.effect("renders a real run's summary with counts and timings", () =>
    Effect.gen(function*() {
      const step = Step.forTarget<number>()
      const Fetch = step("fetch", { output: Schema.Number, run: ({ target }) => Effect.as(Effect.sleep(`${target * 100} millis`), target) })
      const Pay = step("pay", { needs: { n: Fetch }, output: Schema.Number, budget: { name: "credits", units: 1 }, run: ({ n }) => Effect.succeed(n) })
      const fiber = yield* Effect.fork(
        Engine.run(Graph.unsafeMake(Fetch, Pay), Stream.make(1, 2, 3), { concurrency: 3, runId: "nightly-1" }).pipe(
          Effect.provide(Budget.layerMemory({ credits: 2 }))
        )
      )
      yield* TestClock.adjust("1 second")
      const summary = yield* Fiber.join(fiber)
      expect(Report.table(summary)).toBe([
        "run nightly-1: 3 targets, 2 succeeded, 1 partial, 0 failed in 300ms",
        "step   ok  restored  failed  skip:budget  skip:upstream  skip:other    p50    p90    max",
        "fetch   3         0       0            0              0           0  200ms  300ms  300ms",
        "pay     2         0       0            1              0           0    0ms    0ms    0ms",
        "budgets used: credits=2"
      ].join("\n"))
    }))
})
