import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, TestClock } from "effect"
import * as RateLimit from "../../src/internal/http/RateLimit.js"

describe("RateLimit", () => {
  it.scoped("token bucket: a full bucket first, then one token every interval / limit, in arrival order", () =>
    Effect.gen(function*() {
      const limit = yield* RateLimit.make({ limit: 2, interval: "1 second" })
      const started: Array<readonly [number, number]> = []
      const fibers = yield* Effect.forEach([0, 1, 2, 3, 4], (i) =>
        Effect.fork(limit(Effect.flatMap(Clock.currentTimeMillis, (t) => Effect.sync(() => started.push([i, t]))))))
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.joinAll(fibers)
      expect(started).toEqual([[0, 0], [1, 0], [2, 500], [3, 1000], [4, 1500]])
    }))

  it.scoped("refills to the limit while idle, and no further", () =>
    Effect.gen(function*() {
      const limit = yield* RateLimit.make({ limit: 3, interval: "3 seconds" })
      const at = () => limit(Clock.currentTimeMillis)
      expect(yield* Effect.all([at(), at(), at()])).toEqual([0, 0, 0])
      yield* TestClock.adjust("1 minute")
      const burst = yield* Effect.fork(Effect.all([at(), at(), at(), at()]))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(burst)).toEqual([60_000, 60_000, 60_000, 61_000])
    }))

  it.scoped("an interrupted waiter takes no token", () =>
    Effect.gen(function*() {
      const limit = yield* RateLimit.make({ limit: 1, interval: "1 second" })
      yield* limit(Effect.void)
      const waiter = yield* Effect.fork(limit(Effect.void))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(waiter)
      const next = yield* Effect.fork(limit(Clock.currentTimeMillis))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(next)).toBe(1000)
    }))

  it.scoped("spaced: no burst, one start every (interval + interval / 60) / limit, so no minute holds more than the limit", () =>
    Effect.gen(function*() {
      // Lusha's smallest plan: 40 a minute, 1,525 ms apart
      const limit = yield* RateLimit.make({ limit: 40, interval: "1 minute", algorithm: "spaced" })
      const started: Array<number> = []
      const fibers = yield* Effect.forEach(Array.from({ length: 81 }), () =>
        Effect.fork(limit(Effect.flatMap(Clock.currentTimeMillis, (t) => Effect.sync(() => started.push(t))))))
      yield* TestClock.adjust("3 minutes")
      yield* Fiber.joinAll(fibers)
      expect(started.slice(0, 3)).toEqual([0, 1525, 3050])
      // any 60 s window holds at most 40 starts, with 1 s to spare
      for (let i = 40; i < started.length; i++) expect(started[i]! - started[i - 40]!).toBeGreaterThanOrEqual(61_000)
      // and idle time does not save up a burst
      yield* TestClock.adjust("10 minutes")
      const now = yield* Clock.currentTimeMillis
      const after = yield* Effect.fork(Effect.all([limit(Clock.currentTimeMillis), limit(Clock.currentTimeMillis)]))
      yield* TestClock.adjust("2 seconds")
      expect(yield* Fiber.join(after)).toEqual([now, now + 1525])
    }))
})
