/**
 * The turns of a shared limit, on `TestClock` and the memory store: callers
 * start one spacing apart, and a caller that wakes late for its turn takes
 * a new one instead of starting next to the following turn's call, and is
 * counted in `leadgraph_rate_limit_late_retakes`.
 */
import { RateLimiter } from "@effect/experimental"
import { describe, expect, it } from "@effect/vitest"
import { SharedRateLimits } from "@leadgraph/adapters"
import { Metrics } from "@leadgraph/core"
import { Clock, Duration, Effect, Fiber, Layer, Metric, TestClock } from "effect"

const limit = { limit: 1, interval: "200 millis" } as const
const key = "vendor:Test:0000000000000000"

const shared = SharedRateLimits.layerStore.pipe(Layer.provide(RateLimiter.layerStoreMemory))

/** The clock of a process that wakes `lateBy` late from its first sleep only. */
const wakesLateOnce = (clock: Clock.Clock, lateBy: number): Clock.Clock => {
  let late = true
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => clock.unsafeCurrentTimeMillis(),
    unsafeCurrentTimeNanos: () => clock.unsafeCurrentTimeNanos(),
    currentTimeMillis: clock.currentTimeMillis,
    currentTimeNanos: clock.currentTimeNanos,
    sleep: (duration) => {
      const extra = late ? lateBy : 0
      late = false
      return clock.sleep(Duration.sum(duration, Duration.millis(extra)))
    }
  }
}

/**
 * The turns let go under `key` since the last call (the metric is
 * process-wide and counts up; each test reads its own increase).
 */
let seen = 0
const retakes = Effect.map(Metric.value(Metric.tagged(Metrics.rateLimitLateRetakes, "key", key)), ({ count }) => {
  const delta = count - seen
  seen = count
  return delta
})

/** Takes a turn and returns the time the call would start. */
const start = (limits: SharedRateLimits.Service) =>
  Effect.zipRight(limits.take(key, limit), Clock.currentTimeMillis)

describe("SharedRateLimits: turns", () => {
  it.effect("callers start one spacing apart", () =>
    Effect.gen(function*() {
      const limits = yield* SharedRateLimits.SharedRateLimits
      const fibers = yield* Effect.forEach([0, 1, 2], () => Effect.fork(start(limits)))
      yield* TestClock.adjust("1 second")
      expect(yield* Effect.forEach(fibers, Fiber.join)).toEqual([0, 200, 400])
    }).pipe(Effect.provide(shared)))

  it.effect("a caller that wakes late for its turn takes a new one", () =>
    Effect.gen(function*() {
      const limits = yield* SharedRateLimits.SharedRateLimits
      const clock = yield* Effect.clock
      const a = yield* Effect.fork(start(limits))
      // b's turn is at 200 ms, but it wakes at 390 ms, next to c's turn at 400
      const b = yield* Effect.fork(Effect.withClock(start(limits), wakesLateOnce(clock, 190)))
      const c = yield* Effect.fork(start(limits))
      yield* TestClock.adjust("2 seconds")
      const [at, bt, ct] = [yield* Fiber.join(a), yield* Fiber.join(b), yield* Fiber.join(c)]
      expect([at, ct]).toEqual([0, 400])
      expect(yield* retakes).toBe(1)
      // b let its turn go and took the next free one: after c's, one spacing on
      expect(bt).toBeGreaterThanOrEqual(ct + 200)
      const starts = [at, bt, ct].sort((x, y) => x - y)
      for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(200)
    }).pipe(Effect.provide(shared)))

  it.effect("a caller late by less than half the spacing keeps its turn", () =>
    Effect.gen(function*() {
      const limits = yield* SharedRateLimits.SharedRateLimits
      const clock = yield* Effect.clock
      yield* start(limits)
      const b = yield* Effect.fork(Effect.withClock(start(limits), wakesLateOnce(clock, 90)))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(b)).toBe(290)
      expect(yield* retakes).toBe(0)
    }).pipe(Effect.provide(shared)))

  it.effect("a spaced limit: turns one spacing apart, and a caller late by more than a quarter of the jitter allowance takes a new one", () =>
    Effect.gen(function*() {
      const limits = yield* SharedRateLimits.SharedRateLimits
      const clock = yield* Effect.clock
      // 40 a minute: turns 1,525 ms apart; the allowance is 1 s a minute, so
      // a caller may be 250 ms late (a quarter of the spacing would be 381)
      const spaced = { limit: 40, interval: "1 minute", algorithm: "spaced" } as const
      const at = (c?: Clock.Clock) =>
        Effect.zipRight(c === undefined ? limits.take(key, spaced) : Effect.withClock(limits.take(key, spaced), c), Clock.currentTimeMillis)
      expect(Duration.toMillis(SharedRateLimits.spacing(spaced))).toBe(1525)
      const a = yield* Effect.fork(at())
      const b = yield* Effect.fork(at(wakesLateOnce(clock, 240)))
      const c = yield* Effect.fork(at(wakesLateOnce(clock, 300)))
      yield* TestClock.adjust("10 seconds")
      expect([yield* Fiber.join(a), yield* Fiber.join(b)]).toEqual([0, 1525 + 240])
      // c's turn was at 3,050 ms; woken at 3,350 it let it go for a later one
      expect(yield* Fiber.join(c)).toBeGreaterThanOrEqual(3050 + 1525)
      expect(yield* retakes).toBe(1)
    }).pipe(Effect.provide(shared)))
})
