/**
 * A deterministic "429 honoured and retried" scenario for any fake server:
 * the fake's window is long (one call per minute), the second call starts in
 * a fiber, and once the fake has answered it with 429 at least once the limit
 * is lifted, so the retry must succeed. No timing assumption about the
 * machine's speed.
 */
import { Effect, Fiber, Schedule } from "effect"
import type * as FakeServer from "../../src/internal/testing/FakeServer.js"

export const rateLimitedThenRecovered = <A, E>(
  server: FakeServer.FakeServer,
  first: Effect.Effect<unknown, E>,
  second: Effect.Effect<A, E>,
  callsAfterFirst: (calls: Readonly<Record<string, number>>) => number
) =>
  Effect.gen(function*() {
    yield* server.setKnobs({ rateLimit: { limit: 1, interval: "1 minute" } })
    yield* first
    const baseline = callsAfterFirst(yield* server.calls)
    const fiber = yield* Effect.fork(second)
    // Wait until the fake has refused at least one attempt of the second call...
    yield* server.calls.pipe(
      Effect.repeat({ schedule: Schedule.spaced("5 millis"), until: (calls) => callsAfterFirst(calls) >= baseline + 1 })
    )
    // ...then open the window: only a retry can succeed now.
    yield* server.setKnobs({ rateLimit: undefined })
    const result = yield* Fiber.join(fiber)
    return { result, baseline, calls: callsAfterFirst(yield* server.calls) }
  })
