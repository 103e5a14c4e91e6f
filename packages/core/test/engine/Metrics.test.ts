/**
 * The metrics `Budget` records: every paid call counts as a vendor call, a
 * failed one also as a vendor error with its reason, and what each draw
 * commits as budget units used; `recordTarget` counts a company by outcome
 * and times the steps whose handler ran.
 */
import { describe, expect, it } from "@effect/vitest"
import { Budget, Metrics } from "@leadgraph/core"
import { Cause, Effect, Exit, Metric } from "effect"

const count = (metric: Metric.Metric.Counter<number>) => Effect.map(Metric.value(metric), (s) => s.count)

describe("Metrics", () => {
  it.effect("paid calls, their failures by reason, and the units committed", () =>
    Effect.gen(function*() {
      // a vendor of its own: the registry is global
      const calls = Metric.tagged(Metrics.vendorCalls, "vendor", "metricstest")
      const limited = Metric.tagged(Metric.tagged(Metrics.vendorErrors, "vendor", "metricstest"), "reason", "RateLimited")
      const units = Metric.tagged(Metrics.budgetUnitsUsed, "budget", "metricstest.credits")
      const before = [yield* count(calls), yield* count(limited), yield* count(units)]

      yield* Budget.metered("metricstest.credits", Effect.succeed("ok"), { units: 2 })
      const refused = { _tag: "MetricsTestError", reason: "RateLimited", charged: false }
      yield* Effect.flip(Budget.metered("metricstest.credits", Effect.fail(refused), { units: 2 }))
      const billed = { _tag: "MetricsTestError", reason: "Timeout", charged: true }
      yield* Effect.flip(Budget.metered("metricstest.credits", Effect.fail(billed), { units: 3 }))

      expect([yield* count(calls), yield* count(limited), yield* count(units)]).toEqual([
        before[0]! + 3,
        before[1]! + 1,
        // 2 for the answer, 0 for the certain refusal, 3 for the call that may have been billed
        before[2]! + 5
      ])
      const timeouts = Metric.tagged(Metric.tagged(Metrics.vendorErrors, "vendor", "metricstest"), "reason", "Timeout")
      expect(yield* count(timeouts)).toBeGreaterThanOrEqual(1)
    }).pipe(Effect.provide(Budget.layerMemory({ "metricstest.credits": 100 }))))

  it("vendors and reasons, secret-free", () => {
    expect(Metrics.vendorOf("lusha.lookups")).toBe("lusha")
    expect(Metrics.vendorOf("plain")).toBe("plain")
    expect(Metrics.reasonOf(Exit.fail({ _tag: "LushaError", reason: "Unauthorized", detail: "key abc" }))).toBe("Unauthorized")
    expect(Metrics.reasonOf(Exit.fail({ _tag: "StepTimeout" }))).toBe("StepTimeout")
    expect(Metrics.reasonOf(Exit.failCause(Cause.interrupt(Cause.empty as never)))).toBe("interrupted")
    expect(Metrics.reasonOf(Exit.die(new Error("boom")))).toBe("defect")
  })

  it.effect("recordTarget counts a company by outcome and times the steps whose handler ran", () =>
    Effect.gen(function*() {
      const partial = Metric.tagged(Metrics.companiesDone, "outcome", "partial")
      const ran = Metric.tagged(Metric.tagged(Metrics.stepDuration, "step", "metricstest.ran"), "status", "succeeded")
      const restored = Metric.tagged(Metric.tagged(Metrics.stepDuration, "step", "metricstest.restored"), "status", "succeeded")
      const before = yield* count(partial)
      yield* Metrics.recordTarget({
        state: "partial",
        outcomes: {
          "metricstest.ran": { _tag: "Succeeded", output: 1, restored: false, durationMillis: 12, budget: undefined },
          "metricstest.restored": { _tag: "Succeeded", output: 1, restored: true, durationMillis: 0, budget: undefined },
          "metricstest.skipped": { _tag: "Skipped", reason: "budget", output: undefined, durationMillis: 0 }
        }
      })
      expect(yield* count(partial)).toBe(before + 1)
      const histogram = yield* Metric.value(ran)
      expect([histogram.count, histogram.sum]).toEqual([1, 12])
      expect((yield* Metric.value(restored)).count).toBe(0)
    }))
})
