/**
 * Budget's charge policy: a paid call counts as its measured use when it
 * answered, as its reserved units when the vendor may have billed it (an
 * error with `charged: true`, or an interruption after a billable request
 * left), and as nothing when the vendor certainly refused it or nothing was
 * sent. `withReservation` and `metered` (inside a draw or on its own) apply it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Budget, BudgetLedger, VendorError } from "@leadgraph/core"
import { Deferred, Effect, Exit, Fiber, FiberId, Layer, Schema } from "effect"

class ToyError extends Schema.TaggedError<ToyError>()("ToyError", VendorError.fields) {}

const billed = new ToyError({ reason: "BadResponse", status: 200, charged: true })
const refused = new ToyError({ reason: "Unauthorized", status: 401, charged: false })

const withLedger = Effect.map(BudgetLedger.makeMemory({ caps: { q: 1000 } }), (ledger) => ({
  ledger,
  provide: Effect.provide(Budget.layer.pipe(Layer.provide(Layer.succeed(BudgetLedger.BudgetLedger, ledger))))
}))

/** Forks `self`, waits until `started` is done, then interrupts it. */
const interruptedOnce = <A, E, R>(self: (started: Deferred.Deferred<void>) => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const started = yield* Deferred.make<void>()
    const fiber = yield* Effect.fork(self(started))
    yield* Deferred.await(started)
    return yield* Fiber.interrupt(fiber)
  })

describe("Budget.chargeOf", () => {
  it("reads the error first, then whether a billable request left", () => {
    const options = { units: 5, sent: true }
    expect(Budget.chargeOf(Exit.succeed(2), { ...options, used: (n: number) => n })).toBe(2)
    expect(Budget.chargeOf(Exit.succeed(2), options)).toBe(5)
    expect(Budget.chargeOf(Exit.fail(billed), options)).toBe(5)
    expect(Budget.chargeOf(Exit.fail(refused), options)).toBe(0)
    expect(Budget.chargeOf(Exit.fail("not a vendor error"), options)).toBe(5)
    expect(Budget.chargeOf(Exit.fail("not a vendor error"), { ...options, sent: false })).toBe(0)
    expect(Budget.chargeOf(Exit.interrupt(FiberId.none), options)).toBe(5)
    expect(Budget.chargeOf(Exit.interrupt(FiberId.none), { ...options, sent: false })).toBe(0)
    expect(Budget.chargedBy(billed)).toBe(true)
    expect(Budget.chargedBy(refused)).toBe(false)
    expect(Budget.chargedBy(new Error("x"))).toBeUndefined()
  })
})

describe("Budget.withReservation", () => {
  it.effect("commits the measured use, and the reservation when the vendor may have billed the call", () =>
    Effect.gen(function*() {
      const { ledger, provide } = yield* withLedger
      yield* Budget.withReservation("q", 4, () => Effect.succeed(3), (n) => n).pipe(provide)
      yield* Effect.exit(Budget.withReservation("q", 5, () => Effect.fail(billed)).pipe(provide))
      yield* Effect.exit(Budget.withReservation("q", 6, () => Effect.fail(refused)).pipe(provide))
      expect(yield* ledger.usage("q")).toMatchObject({ reserved: 0, committed: 3 + 5 })
    }))

  it.effect("an interruption commits when a billable request had left, and releases when none had", () =>
    Effect.gen(function*() {
      const { ledger, provide } = yield* withLedger
      yield* interruptedOnce((started) =>
        Budget.withReservation("q", 7, () => Effect.zipRight(Deferred.succeed(started, undefined), Effect.never)).pipe(provide)
      )
      expect(yield* ledger.usage("q")).toMatchObject({ reserved: 0, committed: 0 })
      yield* interruptedOnce((started) =>
        Budget.withReservation("q", 9, () => Budget.billable(Effect.zipRight(Deferred.succeed(started, undefined), Effect.never)))
          .pipe(provide)
      )
      expect(yield* ledger.usage("q")).toMatchObject({ reserved: 0, committed: 9 })
    }))

  it.effect("a billable request refused for sure does not count, one that may have been billed does", () =>
    Effect.gen(function*() {
      const { ledger, provide } = yield* withLedger
      // refused, then the caller fails with an error of its own: nothing was billed
      yield* Effect.exit(
        Budget.withReservation("q", 3, () => Effect.zipRight(Effect.ignore(Budget.billable(Effect.fail(refused))), Effect.fail("own")))
          .pipe(provide)
      )
      expect(yield* ledger.usage("q")).toMatchObject({ reserved: 0, committed: 0 })
      yield* Effect.exit(
        Budget.withReservation("q", 4, () => Effect.zipRight(Effect.ignore(Budget.billable(Effect.fail(billed))), Effect.fail("own")))
          .pipe(provide)
      )
      expect(yield* ledger.usage("q")).toMatchObject({ reserved: 0, committed: 4 })
    }))
})

describe("Budget.metered inside a draw", () => {
  it.effect("counts each call by the policy: answered, billed without an answer, refused; the draw commits them on failure", () =>
    Effect.gen(function*() {
      const { ledger, provide } = yield* withLedger
      const kept: Array<number> = []
      yield* Effect.exit(Budget.drawing("q", 10,
        Effect.gen(function*() {
          yield* Budget.metered("q", Effect.succeed(2), { units: 3, used: (n) => n, keep: (n) => Effect.sync(() => void kept.push(n)) })
          yield* Effect.either(Budget.metered("q", Effect.fail(billed), { units: 3, used: () => 0 }))
          yield* Effect.either(Budget.metered("q", Effect.fail(refused), { units: 4, used: () => 0 }))
          return yield* Effect.fail("the step fails afterwards")
        })).pipe(provide))
      expect(kept).toEqual([2])
      expect(yield* ledger.usage("q")).toMatchObject({ reserved: 0, committed: 2 + 3 })
    }))

  it.effect("a call interrupted after its request left counts its units", () =>
    Effect.gen(function*() {
      const { ledger, provide } = yield* withLedger
      yield* interruptedOnce((started) =>
        Budget.drawing("q", 10,
          Budget.metered("q", Budget.billable(Effect.zipRight(Deferred.succeed(started, undefined), Effect.never)), { units: 6, used: () => 0 })
        ).pipe(provide)
      )
      expect(yield* ledger.usage("q")).toMatchObject({ reserved: 0, committed: 6 })
    }))

  it.effect("inside a draw a call reserves nothing of its own; outside one it draws its own units", () =>
    Effect.gen(function*() {
      const { ledger, provide } = yield* withLedger
      const seen: Array<number> = []
      const reservedNow = Effect.map(ledger.usage("q"), (u) => u.reserved)
      yield* Budget.drawing("q", 10,
        Budget.metered("q", Effect.flatMap(reservedNow, (r) => Effect.sync(() => seen.push(r))), { units: 4, used: () => 1 })
      ).pipe(provide)
      yield* Budget.metered("q", Effect.flatMap(reservedNow, (r) => Effect.sync(() => seen.push(r))), { units: 4, used: () => 1 }).pipe(provide)
      // the draw's 10 units only, then the call's own 4
      expect(seen).toEqual([10, 4])
      expect(yield* ledger.usage("q")).toMatchObject({ reserved: 0, committed: 2 })
    }))
})
