/**
 * A run's tenant-scoped services come from `TenantServices.forRun` and live
 * in the run's context: each tenant gets its own cache and paid results and
 * a ledger of its own per run; and joining a fiber another tenant's run
 * started (like the crawler's one robots.txt fetch per origin) never changes
 * the services a fiber works with.
 */
import { describe, expect, it } from "@effect/vitest"
import { Budget, PaidResults, RunDay, Tenant, TenantServices, VerificationCache, ZeroBounce } from "@leadgraph/core"
import { Deferred, Effect, Fiber, Option } from "effect"

const A = Tenant.TenantId.make("tenant-a")
const B = Tenant.TenantId.make("tenant-b")
const day: RunDay.RunDay = { date: "2026-03-02", timeZone: "Asia/Singapore" }
const caps = { [ZeroBounce.budget]: 5 }

describe("TenantServices.forRun", () => {
  it.scoped("each tenant's run gets the tenant's own cache, paid results and ledger; a run's caps bind its ledger", () =>
    Effect.gen(function*() {
      const a = yield* TenantServices.forRun(A, { runId: "a-1", day })
      const b = yield* TenantServices.forRun(B, { runId: "b-1", day, caps: { [ZeroBounce.budget]: 2 } })
      const verdict = new ZeroBounce.Verdict({
        email: "ada@a.example",
        status: "valid",
        subStatus: "",
        freeEmail: false,
        didYouMean: null,
        mxFound: true,
        processedAt: "2026-03-02 04:00:00.000"
      })
      yield* Effect.flatMap(VerificationCache.VerificationCache, (c) => c.putMany([verdict])).pipe(Effect.provide(a))
      const inA = yield* Effect.flatMap(VerificationCache.VerificationCache, (c) => c.getMany([verdict.email])).pipe(Effect.provide(a))
      const inB = yield* Effect.flatMap(VerificationCache.VerificationCache, (c) => c.getMany([verdict.email])).pipe(Effect.provide(b))
      expect(inA.size).toBe(1)
      expect(inB.size).toBe(0)
      expect(Option.isSome(yield* Effect.serviceOption(PaidResults.PaidResults).pipe(Effect.provide(a)))).toBe(true)
      // a's budget: the day's 5; b's: its run's 2
      const reserve = (units: number) => Effect.flatMap(Budget.Budget, (budget) => Effect.either(budget.reserve(ZeroBounce.budget, units)))
      expect((yield* reserve(5).pipe(Effect.provide(a)))._tag).toBe("Right")
      expect((yield* reserve(3).pipe(Effect.provide(b)))._tag).toBe("Left")
      expect((yield* reserve(2).pipe(Effect.provide(b)))._tag).toBe("Right")
    }).pipe(Effect.provide(TenantServices.layerMemory(caps))))

  it.scoped("joining a fiber another tenant's run started never changes the services a fiber works with", () =>
    Effect.gen(function*() {
      const a = yield* TenantServices.forRun(A, { runId: "a-1", day })
      const b = yield* TenantServices.forRun(B, { runId: "b-1", day })
      const budgetOf = Effect.map(Budget.Budget, (budget) => budget)
      const budgetA = yield* budgetOf.pipe(Effect.provide(a))
      const budgetB = yield* budgetOf.pipe(Effect.provide(b))
      expect(budgetA).not.toBe(budgetB)
      // a shared fiber started by A's run...
      const gate = yield* Deferred.make<void>()
      const shared = yield* Effect.fork(Deferred.await(gate).pipe(Effect.zipRight(budgetOf), Effect.provide(a)))
      // ...and joined by B's work: B's fiber keeps B's services
      const seen = yield* Effect.gen(function*() {
        yield* Deferred.succeed(gate, undefined)
        const sharedSaw = yield* Fiber.join(shared)
        return { sharedSaw, after: yield* budgetOf }
      }).pipe(Effect.provide(b))
      expect(seen.sharedSaw).toBe(budgetA)
      expect(seen.after).toBe(budgetB)
    }).pipe(Effect.provide(TenantServices.layerMemory(caps))))
})
