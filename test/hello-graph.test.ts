import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { main } from "../examples/hello-graph.js"

describe("examples/hello-graph", () => {
  it.effect("runs 100 targets; the budget of 90 leaves 10 partial", () =>
    Effect.gen(function*() {
      const summary = yield* main
      expect(summary.targets).toEqual({ total: 100, succeeded: 90, partial: 10, failed: 0 })
      const byStep = Object.fromEntries(summary.steps.map((s) => [s.step, s]))
      expect(byStep.fetch!.succeeded).toBe(90)
      expect(byStep.fetch!.skipped.budget).toBe(10)
      expect(byStep.measure!.succeeded).toBe(100)
      expect(byStep.report!.skipped.upstream).toBe(10)
      expect(summary.budgets).toEqual({ fetch: 90 })
    }))
})
