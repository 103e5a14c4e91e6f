/**
 * The Postgres RateLimiterStore on PGlite and Postgres, on the TestClock
 * (the store's `clock: "effect"`): it answers as @effect/experimental's
 * memory store does for the same calls at the same times, keeps the
 * fraction of a token the memory store rounds away, and two pools taking
 * tokens at once get distinct places in the queue.
 */
import { RateLimiter } from "@effect/experimental"
import { describe, expect, it } from "@effect/vitest"
import { RateLimiterStoreSql } from "@leadgraph/adapters"
import { Context, Duration, Effect, Layer, TestClock } from "effect"
import { targets } from "./harness.js"
import { anotherPool } from "./pools.js"

type Store = typeof RateLimiter.RateLimiterStore.Service

interface Step {
  readonly advance: number
  readonly algorithm: "token-bucket" | "fixed-window"
  readonly onExceeded: "delay" | "fail"
}

// calls at chosen times, each step's answer as RateLimiter.consume gives it
const script: ReadonlyArray<Step> = [
  ...Array.from({ length: 5 }, () => ({ advance: 0, algorithm: "token-bucket", onExceeded: "delay" }) as const),
  { advance: 60_000, algorithm: "token-bucket", onExceeded: "delay" },
  { advance: 0, algorithm: "token-bucket", onExceeded: "delay" },
  { advance: 0, algorithm: "token-bucket", onExceeded: "fail" },
  { advance: 1_000, algorithm: "token-bucket", onExceeded: "fail" },
  ...Array.from({ length: 4 }, () => ({ advance: 0, algorithm: "fixed-window", onExceeded: "delay" }) as const),
  { advance: 1_500, algorithm: "fixed-window", onExceeded: "fail" },
  { advance: 0, algorithm: "fixed-window", onExceeded: "fail" },
  { advance: 0, algorithm: "fixed-window", onExceeded: "fail" },
  { advance: 10_000, algorithm: "fixed-window", onExceeded: "fail" }
]

const play = (store: Store, key: string) =>
  Effect.gen(function*() {
    const limiter = yield* RateLimiter.make.pipe(Effect.provideService(RateLimiter.RateLimiterStore, store))
    const answers: Array<unknown> = []
    for (const step of script) {
      if (step.advance > 0) yield* TestClock.adjust(step.advance)
      const result = yield* Effect.either(limiter.consume({
        key: `${key}:${step.algorithm}`,
        limit: 2,
        window: "1 second",
        algorithm: step.algorithm,
        onExceeded: step.onExceeded
      }))
      answers.push(result._tag === "Right"
        ? { delay: Duration.toMillis(result.right.delay), remaining: result.right.remaining }
        : { failed: result.left.reason, retryAfter: result.left._tag === "RateLimiterError" && "retryAfter" in result.left ? Duration.toMillis(result.left.retryAfter) : undefined })
    }
    return answers
  })

for (const target of targets("rate_limiter_store")) {
  describe(`RateLimiterStoreSql (${target.label})`, () => {
    it.layer(target.database, { timeout: "60 seconds" })((it) => {
      it.effect("answers as the memory store does, call for call", () =>
        Effect.gen(function*() {
          const sqlStore = yield* RateLimiterStoreSql.make({ clock: "effect" })
          const memory = yield* Layer.build(RateLimiter.layerStoreMemory).pipe(
            Effect.map(Context.get(RateLimiter.RateLimiterStore))
          )
          const start = yield* TestClock.currentTimeMillis
          const fromMemory = yield* play(memory, "same")
          yield* TestClock.setTime(start)
          const fromSql = yield* play(sqlStore, "same")
          expect(fromSql).toEqual(fromMemory)
          // the token bucket's burst and spacing, as the in-process limiter's
          expect(fromSql.slice(0, 5).map((a) => (a as { delay: number }).delay)).toEqual([0, 0, 500, 1000, 1500])
        }).pipe(Effect.scoped))

      it.effect("keeps the fraction of a token: a caller waits exactly until its turn", () =>
        Effect.gen(function*() {
          const limiter = yield* RateLimiter.make.pipe(
            Effect.provide(RateLimiter.RateLimiterStore.context(yield* RateLimiterStoreSql.make({ clock: "effect" })))
          )
          const take = limiter.consume({ key: "fraction", limit: 1, window: "1 second", algorithm: "token-bucket", onExceeded: "delay" })
          expect(Duration.toMillis((yield* take).delay)).toBe(0)
          yield* TestClock.adjust("250 millis")
          // the memory store counts whole tokens only and would say 1000
          expect(Duration.toMillis((yield* take).delay)).toBe(750)
          yield* TestClock.adjust("250 millis")
          expect(Duration.toMillis((yield* take).delay)).toBe(1500)
        }))

      it.effect("two pools taking at once get one place each in the queue", () =>
        Effect.gen(function*() {
          const other = yield* anotherPool
          const a = yield* RateLimiterStoreSql.make({ clock: "effect" })
          const b = yield* RateLimiterStoreSql.make({ clock: "effect" }).pipe(Effect.provide(other))
          const limiterOf = (store: Store) => RateLimiter.make.pipe(Effect.provideService(RateLimiter.RateLimiterStore, store))
          const [la, lb] = [yield* limiterOf(a), yield* limiterOf(b)]
          const take = (limiter: RateLimiter.RateLimiter) =>
            Effect.map(
              limiter.consume({ key: "two-pools", limit: 5, window: "1 second", algorithm: "token-bucket", onExceeded: "delay" }),
              (r) => Duration.toMillis(r.delay)
            )
          const delays = yield* Effect.all(
            Array.from({ length: 20 }, (_, i) => take(i % 2 === 0 ? la : lb)),
            { concurrency: "unbounded" }
          )
          // five at once (the burst), then one place every 200 ms, none given twice
          const expected = [0, 0, 0, 0, 0, ...Array.from({ length: 15 }, (_, i) => (i + 1) * 200)]
          expect([...delays].sort((x, y) => x - y)).toEqual(expected)
        }).pipe(Effect.scoped))
    })
  })
}
