/**
 * Property: across any sequence of runs (each verifying any subset of a pool
 * of addresses, some of them unknown to ZeroBounce, in a batch, one by one,
 * or both at once concurrently, with any time passing between runs), the
 * fake never charges an address twice within the cache TTL. Time is the TestClock; HTTP is real, on 127.0.0.1.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, FastCheck as fc, TestClock } from "effect"
import { addresses, env, setup } from "./harness.js"

const TTL = Duration.hours(1)
const pool = [...addresses(10, "pool.example"), ...addresses(3, "pool.example", true), "valid@example.com"]

const Run = fc.record({
  emails: fc.subarray(pool),
  mode: fc.constantFrom("batch", "single", "both at once"),
  advanceMinutes: fc.integer({ min: 0, max: 90 })
})

describe("ZeroBounce verification cache", () => {
  it.effect.prop(
    "no address is paid for twice within the TTL, across any sequence of runs",
    { runs: fc.array(Run, { minLength: 1, maxLength: 6 }) },
    ({ runs }) =>
      Effect.gen(function*() {
        const { server, zb } = yield* setup({}, { batchSize: 4, concurrency: 2 })
        const lastPaid = new Map<string, number>()
        let before = new Map<string, number>()
        for (const run of runs) {
          yield* TestClock.adjust(Duration.minutes(run.advanceMinutes))
          const singles = Effect.forEach(run.emails, (email) => zb.verify(email), { discard: true, concurrency: 4 })
          if (run.mode === "single") yield* singles
          else if (run.mode === "batch") yield* zb.verifyMany(run.emails)
          else yield* Effect.all([zb.verifyMany(run.emails), singles, zb.verifyMany([...run.emails].reverse())], { concurrency: "unbounded" })
          const now = yield* Clock.currentTimeMillis
          const after = yield* server.charges
          for (const [email, count] of after) {
            const paidNow = count - (before.get(email) ?? 0)
            expect(paidNow).toBeLessThanOrEqual(1)
            if (paidNow === 1) {
              const previous = lastPaid.get(email)
              if (previous !== undefined) expect(now - previous).toBeGreaterThanOrEqual(Duration.toMillis(TTL))
              lastPaid.set(email, now)
            }
          }
          before = new Map(after)
        }
      }).pipe(Effect.provide(env(10_000, TTL)), Effect.scoped),
    { fastCheck: { numRuns: 25 } }
  )
})
