import { describe, expect, it } from "@effect/vitest"
import { Budget, BudgetLedger } from "@leadgraph/core"
import { Effect, Exit, FastCheck as fc, Fiber, Layer, Option, TestClock } from "effect"

describe("Budget (memory ledger)", () => {
  it.effect("reserve, commit more or less than reserved, release", () =>
    Effect.gen(function*() {
      const budget = yield* Budget.Budget
      const r1 = yield* budget.reserve("tokens", 400)
      expect(yield* budget.usage("tokens")).toEqual({ budget: "tokens", cap: 1000, reserved: 400, committed: 0 })
      yield* budget.commit(r1, 250)
      const r2 = yield* budget.reserve("tokens", 500)
      yield* budget.commit(r2, 600)
      const r3 = yield* budget.reserve("tokens", 100)
      yield* budget.release(r3)
      yield* budget.release(r3) // settling twice changes nothing
      expect(yield* budget.usage("tokens")).toEqual({ budget: "tokens", cap: 1000, reserved: 0, committed: 850 })
      const e = yield* Effect.flip(budget.reserve("tokens", 151))
      expect(e).toMatchObject({ _tag: "BudgetExhausted", budget: "tokens", requested: 151, reason: "exhausted", retryable: false })
      expect(e.message).toBe("budget \"tokens\" cannot cover 151 more unit(s)")
    }).pipe(Effect.provide(Budget.layerMemory({ tokens: 1000 }))))

  it.effect("a budget with no cap is denied by default and free when unlisted budgets are unlimited", () =>
    Effect.gen(function*() {
      const denied = yield* Effect.flip(Budget.withReservation("other", 1, () => Effect.void)).pipe(
        Effect.provide(Budget.layerMemory({}))
      )
      expect(denied.reason).toBe("exhausted")
      const ok = yield* Budget.withReservation("other", 1e9, () => Effect.succeed("ok")).pipe(
        Effect.provide(Budget.layerMemory({}, { unlisted: "unlimited" }))
      )
      expect(ok).toBe("ok")
    }))

  it.effect("withReservation commits the measured use on success and releases on failure or interruption", () =>
    Effect.gen(function*() {
      const ledger = yield* BudgetLedger.makeMemory({ caps: { q: 10 } })
      const provide = Effect.provide(Budget.layer.pipe(Layer.provide(Layer.succeed(BudgetLedger.BudgetLedger, ledger))))
      yield* Budget.withReservation("q", 4, () => Effect.succeed(3), (n) => n).pipe(provide)
      yield* Effect.exit(Budget.withReservation("q", 4, () => Effect.fail("no")).pipe(provide))
      const fiber = yield* Effect.fork(Budget.withReservation("q", 5, () => Effect.never).pipe(provide))
      yield* TestClock.adjust("1 second")
      expect((yield* ledger.usage("q")).reserved).toBe(5)
      expect(Exit.isInterrupted(yield* Fiber.interrupt(fiber))).toBe(true)
      expect(yield* ledger.usage("q")).toMatchObject({ reserved: 0, committed: 3 })
    }))

  it.effect("a draw commits what its metered calls cost: on success, on failure, and when interrupted half-way", () =>
    Effect.gen(function*() {
      const ledger = yield* BudgetLedger.makeMemory({ caps: { q: 100 } })
      const provide = Effect.provide(Budget.layer.pipe(Layer.provide(Layer.succeed(BudgetLedger.BudgetLedger, ledger))))
      const call = (n: number) => Budget.metered("q", Effect.succeed(n), { units: 5, used: (a) => a })
      const committed = Effect.map(ledger.usage("q"), (u) => u.committed)
      // two calls answered: 2 + 3, not the 20 drawn
      yield* Budget.drawing("q", 20, Effect.zipRight(call(2), call(3))).pipe(provide)
      expect(yield* committed).toBe(5)
      // one answered, then the step fails: what it cost stays counted
      yield* Effect.exit(Budget.drawing("q", 20, Effect.zipRight(call(4), Effect.fail("no"))).pipe(provide))
      expect(yield* committed).toBe(9)
      // one answered, then the run is interrupted
      const fiber = yield* Effect.fork(Budget.drawing("q", 20, Effect.zipRight(call(1), Effect.never)).pipe(provide))
      yield* TestClock.adjust("1 second")
      expect((yield* ledger.usage("q")).reserved).toBe(20)
      yield* Fiber.interrupt(fiber)
      expect(yield* ledger.usage("q")).toMatchObject({ reserved: 0, committed: 10 })
      // nothing metered: the units drawn, or nothing when the draw says every call is metered
      yield* Budget.drawing("q", 7, Effect.void).pipe(provide)
      expect(yield* committed).toBe(17)
      const service = yield* Budget.Budget.pipe(provide)
      yield* Budget.drawFrom(service, "q", 7, Effect.void, { metered: true })
      expect(yield* committed).toBe(17)
      // `used` overrides the meter
      yield* Budget.drawFrom(service, "q", 7, call(2), { used: () => 6 }).pipe(provide)
      expect(yield* ledger.usage("q")).toMatchObject({ reserved: 0, committed: 23 })
    }))

  it.effect("a ledger that fails makes the budget unavailable, never free", () =>
    Effect.gen(function*() {
      const broken: BudgetLedger.Service = {
        tryReserve: (budget) => Effect.fail(new BudgetLedger.LedgerError({ budget })),
        settle: (r) => Effect.fail(new BudgetLedger.LedgerError({ budget: r.budget })),
        usage: (budget) => Effect.fail(new BudgetLedger.LedgerError({ budget }))
      }
      const e = yield* Effect.flip(Budget.withReservation("q", 1, () => Effect.void)).pipe(
        Effect.provide(Budget.layer.pipe(Layer.provide(Layer.succeed(BudgetLedger.BudgetLedger, broken))))
      )
      expect(e.reason).toBe("unavailable")
    }))

  it.effect("a commit that fails for a retryable cause is tried again; one that cannot be retried is not", () =>
    Effect.gen(function*() {
      const ledger = yield* BudgetLedger.makeMemory({ caps: { q: 10 } })
      // the first `failures` settles fail with `cause`, then the memory ledger settles
      const flaky = (failures: number, cause: { readonly retryable: boolean }) => {
        let attempts = 0
        const service: BudgetLedger.Service = {
          ...ledger,
          settle: (r, used) =>
            Effect.suspend(() =>
              ++attempts <= failures ? Effect.fail(new BudgetLedger.LedgerError({ budget: r.budget, cause })) : ledger.settle(r, used)
            )
        }
        return { service, attempts: () => attempts }
      }
      const commit = (service: BudgetLedger.Service) =>
        Effect.gen(function*() {
          const budget = yield* Budget.Budget
          const r = yield* budget.reserve("q", 2)
          const fiber = yield* Effect.fork(budget.commit(r, 1))
          yield* TestClock.adjust("10 seconds")
          yield* Fiber.join(fiber)
        }).pipe(Effect.provide(Budget.layer.pipe(Layer.provide(Layer.succeed(BudgetLedger.BudgetLedger, service)))))
      // a deadlock twice: settled on the third attempt
      const conflict = flaky(2, { retryable: true })
      yield* commit(conflict.service)
      expect(conflict.attempts()).toBe(3)
      expect(yield* ledger.usage("q")).toMatchObject({ reserved: 0, committed: 1 })
      // more failures than the schedule's 4 retries: given up, the reservation stays held
      const down = flaky(9, { retryable: true })
      yield* commit(down.service)
      expect(down.attempts()).toBe(5)
      expect(yield* ledger.usage("q")).toMatchObject({ reserved: 2, committed: 1 })
      // not retryable: one attempt
      const forbidden = flaky(1, { retryable: false })
      yield* commit(forbidden.service)
      expect(forbidden.attempts()).toBe(1)
      expect(yield* ledger.usage("q")).toMatchObject({ reserved: 4, committed: 1 })
    }))

  it.effect.prop(
    "reservations racing from many fibers never pass the cap",
    { cap: fc.integer({ min: 0, max: 50 }), units: fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 40 }) },
    ({ cap, units }) =>
      Effect.gen(function*() {
        const ledger = yield* BudgetLedger.makeMemory({ caps: { b: cap } })
        const granted = yield* Effect.forEach(units, (u) => ledger.tryReserve("b", u), { concurrency: "unbounded" })
        const total = granted.reduce((sum, r) => sum + Option.match(r, { onNone: () => 0, onSome: (x) => x.units }), 0)
        expect(total).toBeLessThanOrEqual(cap)
        yield* Effect.forEach(granted, (r) => Option.isSome(r) ? ledger.settle(r.value, r.value.units) : Effect.void, {
          concurrency: "unbounded"
        })
        expect(yield* ledger.usage("b")).toMatchObject({ reserved: 0, committed: total })
      })
  )
})
