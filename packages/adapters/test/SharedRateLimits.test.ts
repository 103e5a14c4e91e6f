/**
 * Vendor rate limits shared across processes, on PGlite and Postgres: two
 * "processes" (each its own connection pool, its own SharedRateLimits and
 * its own Tavily client) call one fake Tavily at once, and the fake's
 * journal of arrivals conforms to one token bucket of the configured
 * limit: a burst of `limit`, then one call every `interval / limit`. With a
 * limiter per process (the default) the same calls break it.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it, layer } from "@effect/vitest"
import { SharedRateLimits, TavilyLive } from "@leadgraph/adapters"
import { Budget, Tavily } from "@leadgraph/core"
import { Effect, Layer, Redacted } from "effect"
import * as FakeTavilyServer from "../src/tavily/testing/FakeTavilyServer.js"
import { targets } from "./store/harness.js"
import { anotherPool } from "./store/pools.js"

const limit = { limit: 2, interval: "1 second" } as const
const spacing = 500
const perProcess = 4
// Arrivals lag their turns by however long the event loop (PGlite runs on it,
// as does the fake) and the connection take, so they may bunch: half a
// spacing is allowed for that. One call more than the bucket allows at once
// (the control: a burst in each process) is still a failure.
const slack = 250

/**
 * The first pair of arrivals that more calls than the bucket allows lie
 * between (a burst of `limit`, plus one per `spacing` elapsed), if any.
 */
const excess = (arrivals: ReadonlyArray<number>) => {
  const s = [...arrivals].sort((a, b) => a - b)
  for (let i = 0; i < s.length; i++) {
    for (let j = i + 1; j < s.length; j++) {
      if (j - i + 1 > limit.limit + (s[j]! - s[i]! + slack) / spacing) return { from: s[i]!, to: s[j]!, calls: j - i + 1 }
    }
  }
  return undefined
}

const env = Layer.merge(NodeHttpClient.layerUndici, Budget.layerMemory({ [Tavily.budget]: 100 }))

const client = (key: string, url: string) =>
  TavilyLive.make({
    apiKey: Redacted.make(key),
    baseUrl: url,
    timeout: "5 seconds",
    retry: { retries: 0 },
    rateLimit: limit
  })

const calls = (tavily: Tavily.Service, who: string) =>
  Effect.forEach(
    Array.from({ length: perProcess }, (_, i) => `${who} query ${i}`),
    (query) => tavily.search({ query }),
    { concurrency: "unbounded", discard: true }
  )

/**
 * One call per process first (connections opened, code paths warm: a cold
 * first call reaches the fake late, after calls let through later), then
 * an idle interval, so the bucket is full again. Returns the journal's
 * length: the measured calls come after it.
 */
const warmUp = (a: Tavily.Service, b: Tavily.Service) =>
  Effect.gen(function*() {
    yield* Effect.all([a.search({ query: "warm a" }), b.search({ query: "warm b" })], { concurrency: 2 })
    yield* Effect.sleep(limit.interval)
    return 2
  })

for (const target of targets("shared_rate_limits")) {
  describe(`SharedRateLimits across processes (${target.label})`, () => {
    // the live Clock: the database's clock and the fake's journal are real time
    layer(Layer.merge(target.database, env), { timeout: "60 seconds", excludeTestServices: true })((it) => {
      it.scoped("two processes' calls to one vendor keep one limit between them", () =>
        Effect.gen(function*() {
          const key = "tvly-shared-0123456789"
          const server = yield* FakeTavilyServer.make({ apiKey: key, seed: 3 })
          const other = yield* anotherPool
          const a = yield* client(key, server.url).pipe(Effect.provide(SharedRateLimits.layer()))
          const b = yield* client(key, server.url).pipe(Effect.provide(SharedRateLimits.layer()), Effect.provide(other))
          const since = yield* warmUp(a, b)
          yield* Effect.all([calls(a, "a"), calls(b, "b")], { concurrency: 2 })
          const arrivals = (yield* server.billed(since)).map((u) => u.startedAt)
          expect(arrivals).toHaveLength(2 * perProcess)
          expect(excess(arrivals), JSON.stringify([...arrivals].sort((x, y) => x - y).map((t, _, s) => t - s[0]!))).toBeUndefined()
        }))
    })
  })
}

describe("SharedRateLimits: the control", () => {
  it.scopedLive("with a limiter in each process, the same calls exceed the limit", () =>
    Effect.gen(function*() {
      const key = "tvly-local-0123456789"
      const server = yield* FakeTavilyServer.make({ apiKey: key, seed: 3 })
      const a = yield* client(key, server.url)
      const b = yield* client(key, server.url)
      const since = yield* warmUp(a, b)
      yield* Effect.all([calls(a, "a"), calls(b, "b")], { concurrency: 2 })
      const arrivals = (yield* server.billed(since)).map((u) => u.startedAt)
      expect(arrivals).toHaveLength(2 * perProcess)
      expect(excess(arrivals)).toBeDefined()
    }).pipe(Effect.provide(env)))
})
