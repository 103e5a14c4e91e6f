/**
 * A run's budgets across a crash: each run opens its tenant's ledger for its
 * own day (`TenantServices.forRun`); when its process dies with calls in
 * flight, the resumed run finds those units spent once the dead run's lease
 * lapses — never given back — and the nightly report says how many were in
 * flight at a crash.
 */
import { describe, expect, it } from "@effect/vitest"
import { Budget, Report, RunDay, RunSummary, Tenant, TenantServices } from "@leadgraph/core"
import { Effect, Exit, Layer, Scope, TestClock } from "effect"

const tenantId = Tenant.TenantId.make("crashy")
const lookups = "lusha.lookups"

describe("budgets across a crash and a resume", () => {
  it.effect("a run killed with calls in flight: the resume counts them as spent and the report says so", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(TenantServices.layerMemory({ [lookups]: 10 }))
      // 00:30 on 2 March in Singapore, the evening before in UTC
      yield* TestClock.setTime(Date.parse("2026-03-01T16:30:00Z"))
      const day = yield* RunDay.current("Asia/Singapore")
      expect(day.date).toBe("2026-03-02")
      const run = { runId: "crashy-2026-03-02-abc123", day }
      const inRun = <A, E>(effect: Effect.Effect<A, E, Budget.Budget>) =>
        Effect.flatMap(TenantServices.forRun(tenantId, run), (services) => Effect.provide(effect, services)).pipe(
          Effect.provide(context)
        )

      // the first process: one call finishes, one is in flight when it is killed
      const killed = yield* Scope.make()
      yield* inRun(Effect.gen(function*() {
        const budget = yield* Budget.Budget
        yield* budget.reserve(lookups, 3)
        yield* budget.commit(yield* budget.reserve(lookups, 2))
      })).pipe(Scope.extend(killed))
      yield* Scope.close(killed, Exit.void)

      // the resume, after midnight: the run's day is still the 2nd, and the dead lease has lapsed
      yield* TestClock.adjust("8 hours")
      const usage = yield* Effect.scoped(inRun(Effect.flatMap(Budget.Budget, (b) => b.usage(lookups))))
      expect(usage).toEqual({ budget: lookups, cap: 10, reserved: 0, committed: 5, inFlightAtCrash: 1 })

      const summary = RunSummary.accumulator(run.runId, [], 0).finish(0)
      const report = Report.nightly({
        runDay: day.date,
        timeZone: day.timeZone,
        wallMillis: 0,
        tenants: [{
          _tag: "Ran",
          tenant: { id: tenantId, name: "Crashy", dailyCap: null },
          result: {
            _tag: "Finished",
            tenantId,
            runId: run.runId,
            status: "succeeded",
            resumed: true,
            summary,
            budgets: {
              [lookups]: { used: usage.committed, cap: 10, inFlightAtCrash: usage.inFlightAtCrash },
              "tavily.queries": { used: 4, cap: 50 }
            }
          }
        }]
      })
      expect(report).toContain("budgets today (used/cap): lusha.lookups 5/10 (in flight at a crash: 1), tavily.queries 4/50")
    }).pipe(Effect.scoped))
})
