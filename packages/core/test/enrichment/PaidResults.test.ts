/**
 * The paid results port: its contract on the memory store, and the helpers
 * adapters pay through: a run-scoped answer is found again by its run only
 * (nothing is kept outside a run), a shared one by everyone; an answer is
 * kept as soon as it arrives, even when the caller is interrupted while it
 * is being kept; a store that fails is a miss on read and a logged, retried
 * write; a reservation commits what was spent, also when the calls are
 * interrupted half-way.
 */
import { describe, expect, it } from "@effect/vitest"
import { Checkpoint, PaidResults } from "@leadgraph/core"
import { Effect, Fiber, Option, Schema, TestClock } from "effect"
import { suite } from "../PaidResultsContract.js"

suite("memory", PaidResults.layerMemory)

const Answer = Schema.Struct({ n: Schema.NumberFromString })
/** Kept for the run that paid (the default scope). */
const perRun = PaidResults.kind("vendor.answer/v1", Answer)
/** Kept for everyone (as score rationales are). */
const shared = PaidResults.kind("vendor.shared/v1", Answer, { scope: "shared" })
const key = "what-was-asked"
const inRun = (runId: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.locally(effect, Checkpoint.currentRunId, Option.some(runId))

/** A memory store whose writes take a second (on the Clock) and are counted. */
const slowStore = Effect.map(PaidResults.makeMemory, (inner) => {
  const writes = { n: 0 }
  const store: PaidResults.Service = {
    getMany: inner.getMany,
    putMany: (kind, entries, ttl) =>
      Effect.zipRight(Effect.sync(() => writes.n++), Effect.zipRight(Effect.sleep("1 second"), inner.putMany(kind, entries, ttl)))
  }
  return { store, writes, inner }
})

const failing = (operation: "get" | "put") => new PaidResults.PaidResultsError({ reason: "Unavailable", operation })

describe("PaidResults helpers", () => {
  it.effect("cached: a miss pays once and keeps the answer, a hit pays nothing", () =>
    Effect.gen(function*() {
      const store = yield* PaidResults.makeMemory
      let paid = 0
      const call = (remember: <E, R>(c: Effect.Effect<{ readonly n: number }, E, R>) => Effect.Effect<{ readonly n: number }, E, R>) =>
        remember(Effect.sync(() => ({ n: ++paid })))
      expect(yield* PaidResults.cached(store, shared, key, call)).toEqual({ value: { n: 1 }, cached: false })
      expect(yield* PaidResults.cached(store, shared, key, call)).toEqual({ value: { n: 1 }, cached: true })
      expect(paid).toBe(1)
      // stored encoded, by its Schema
      expect(yield* store.getMany(shared.name, [key])).toEqual(new Map([[key, { n: "1" }]]))
      // its lifetime (default 24 hours) ends
      yield* TestClock.adjust("24 hours")
      expect(yield* PaidResults.cached(store, shared, key, call)).toEqual({ value: { n: 2 }, cached: false })
    }))

  it.effect("a run-scoped answer is found by its own run only, and nothing is kept outside a run", () =>
    Effect.gen(function*() {
      const store = yield* PaidResults.makeMemory
      let paid = 0
      const ask = PaidResults.cached(store, perRun, key, (remember) => remember(Effect.sync(() => ({ n: ++paid }))))
      expect((yield* ask).cached).toBe(false)
      expect((yield* ask).cached).toBe(false)
      expect(paid).toBe(2)
      expect((yield* inRun("run-1")(ask)).value).toEqual({ n: 3 })
      // the resume of run-1 finds it; run-2 (another night, a rerun) pays
      expect(yield* inRun("run-1")(ask)).toEqual({ value: { n: 3 }, cached: true })
      expect(yield* inRun("run-2")(ask)).toEqual({ value: { n: 4 }, cached: false })
      expect(paid).toBe(4)
    }))

  it.effect("an interruption while the answer is being kept does not lose it", () =>
    Effect.gen(function*() {
      const { inner, store } = yield* slowStore
      const fiber = yield* Effect.fork(
        PaidResults.cached(store, shared, key, (remember) => Effect.zipRight(remember(Effect.succeed({ n: 7 })), Effect.never))
      )
      yield* TestClock.adjust("10 millis") // the answer has arrived; its write is under way
      const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(interrupting)
      expect(yield* PaidResults.lookup(inner, shared, [key])).toEqual(new Map([[key, { n: 7 }]]))
    }))

  it.effect("an interruption before the answer arrives keeps nothing", () =>
    Effect.gen(function*() {
      const { store, writes } = yield* slowStore
      const fiber = yield* Effect.fork(PaidResults.cached(store, shared, key, (remember) => remember(Effect.never)))
      yield* TestClock.adjust("10 millis")
      yield* Fiber.interrupt(fiber)
      expect(writes.n).toBe(0)
    }))

  it.effect("a store that cannot be read is a miss, and an entry that no longer decodes is one too", () =>
    Effect.gen(function*() {
      const down: PaidResults.Service = { getMany: () => Effect.fail(failing("get")), putMany: () => Effect.void }
      expect((yield* PaidResults.lookup(down, shared, ["a"])).size).toBe(0)
      const store = yield* PaidResults.makeMemory
      yield* store.putMany(shared.name, [["a", { n: "not a number" }], ["b", { n: "2" }]], "1 hour")
      expect(yield* PaidResults.lookup(store, shared, ["a", "b"])).toEqual(new Map([["b", { n: 2 }]]))
    }))

  it.effect("a write that fails is retried, then logged; the answer is still returned", () =>
    Effect.gen(function*() {
      let attempts = 0
      const down: PaidResults.Service = {
        getMany: () => Effect.succeed(new Map()),
        putMany: () => Effect.suspend(() => (attempts++, Effect.fail(failing("put"))))
      }
      const fiber = yield* Effect.fork(PaidResults.cached(down, shared, key, (remember) => remember(Effect.succeed({ n: 3 }))))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toEqual({ value: { n: 3 }, cached: false })
      expect(attempts).toBe(4)
    }))
})
