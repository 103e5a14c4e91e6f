import { describe, expect, it } from "@effect/vitest"
import { Retry } from "@leadgraph/core"
import { Data, Duration, Effect, Fiber, TestClock } from "effect"

class Err extends Data.TaggedError("Err")<{ readonly retryable: boolean; readonly retryAfter?: Duration.Duration }> {}

const failing = (errors: ReadonlyArray<Err>, attempts: { n: number }) =>
  Effect.suspend(() => {
    const e = errors[attempts.n++]
    return e === undefined ? Effect.succeed("ok") : Effect.fail(e)
  })

describe("Retry", () => {
  it("reads retryability from the error", () => {
    expect(Retry.isRetryable(new Err({ retryable: true }))).toBe(true)
    expect(Retry.isRetryable(new Err({ retryable: false }))).toBe(false)
    expect(Retry.isRetryable("retryable")).toBe(false)
    expect(Retry.isRetryable(null)).toBe(false)
  })

  it.effect("backs off exponentially, up to the retry limit", () =>
    Effect.gen(function*() {
      const attempts = { n: 0 }
      const errs = Array.from({ length: 5 }, () => new Err({ retryable: true }))
      const fiber = yield* Effect.fork(failing(errs, attempts).pipe(Retry.retry({ jitter: false, base: "100 millis", retries: 3 })))
      yield* TestClock.adjust("100 millis")
      expect(attempts.n).toBe(2)
      yield* TestClock.adjust("200 millis")
      expect(attempts.n).toBe(3)
      yield* TestClock.adjust("400 millis")
      expect(attempts.n).toBe(4)
      yield* TestClock.adjust("10 seconds")
      const e = yield* Effect.flip(Fiber.join(fiber))
      expect(attempts.n).toBe(4)
      expect(e._tag).toBe("Err")
    }))

  it.effect("does not retry an error that is not retryable", () =>
    Effect.gen(function*() {
      const attempts = { n: 0 }
      yield* Effect.flip(failing([new Err({ retryable: false })], attempts).pipe(Retry.retry()))
      expect(attempts.n).toBe(1)
    }))

  it.effect("honours retryAfter up to maxRetryAfter, and caps backoff at maxDelay", () =>
    Effect.gen(function*() {
      const attempts = { n: 0 }
      const errs = [
        new Err({ retryable: true, retryAfter: Duration.seconds(5) }),
        new Err({ retryable: true, retryAfter: Duration.hours(1) })
      ]
      const fiber = yield* Effect.fork(
        failing(errs, attempts).pipe(Retry.retry({ jitter: false, base: "1 second", maxRetryAfter: "30 seconds" }))
      )
      yield* TestClock.adjust("4999 millis")
      expect(attempts.n).toBe(1)
      yield* TestClock.adjust("1 millis")
      expect(attempts.n).toBe(2)
      yield* TestClock.adjust("29 seconds")
      expect(attempts.n).toBe(2)
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toBe("ok")

      const capped = { n: 0 }
      const f2 = yield* Effect.fork(
        failing([new Err({ retryable: true }), new Err({ retryable: true })], capped).pipe(
          Retry.retry({ jitter: false, base: "8 seconds", factor: 4, maxDelay: "10 seconds" })
        )
      )
      yield* TestClock.adjust("8 seconds")
      expect(capped.n).toBe(2)
      yield* TestClock.adjust("10 seconds")
      expect(yield* Fiber.join(f2)).toBe("ok")
    }))
})
