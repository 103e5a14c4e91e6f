/**
 * A process killed in the middle of a company's address list keeps what it
 * paid for: every verdict is in the verification cache as soon as its call
 * returns (per address one by one, per batch in batches), and the units of
 * the calls that returned are committed, as are those of the calls in
 * flight when it died (ZeroBounce may have billed them). A second process
 * (a resume) verifying the same list pays only for the rest. The first
 * process "dies" after k calls: its HTTP client sends k requests and holds
 * every later one forever, and the fiber is then interrupted. In memory, on
 * PGlite, and on Postgres when `DATABASE_URL` is set.
 */
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Budget, VerificationCache, ZeroBounce as ZeroBouncePort } from "@leadgraph/core"
import type { Context } from "effect"
import { Effect, Fiber, Layer, Redacted } from "effect"
import * as ZeroBounce from "../../src/zerobounce/ZeroBounceLive.js"
import * as FakeZeroBounceServer from "../../src/zerobounce/testing/FakeZeroBounceServer.js"
import { type Stores, storeTargets } from "../store/paidStores.js"
import { dyingAfter, until } from "../testing/Interrupt.js"
import { addresses, KEY, SEED } from "./harness.js"

/** One process: its own HTTP client, budget and adapter, over the shared stores. */
const start = (
  server: FakeZeroBounceServer.FakeZeroBounceServer,
  stores: Context.Context<Stores>,
  http: Layer.Layer<HttpClient.HttpClient>,
  options: Partial<ZeroBounce.Options> = {}
) =>
  Effect.gen(function*() {
    const budget = yield* Budget.Budget.pipe(Effect.provide(Budget.layerMemory({ [ZeroBouncePort.budget]: 1000 })))
    // built in the test's scope: the client's connection pool lives as long as the process
    const client = yield* Layer.build(http)
    const zb = yield* ZeroBounce.make({
      apiKey: Redacted.make(KEY),
      baseUrl: `${server.url}/v2`,
      timeout: "5 seconds",
      batchTimeout: "5 seconds",
      retry: { retries: 0 },
      rateLimit: { limit: 1000, interval: "1 second" },
      batchRateLimit: { limit: 1000, interval: "1 second" },
      ...options
    }).pipe(Effect.provide(client), Effect.provideService(Budget.Budget, budget), Effect.provide(stores))
    return { zb, usage: budget.usage(ZeroBouncePort.budget) }
  })

const cachedCount = (stores: Context.Context<Stores>, emails: ReadonlyArray<string>) =>
  Effect.flatMap(VerificationCache.VerificationCache, (cache) => cache.getMany(emails)).pipe(
    Effect.map((hits) => hits.size),
    Effect.provide(stores)
  )

for (const target of storeTargets("zb_kill")) {
  describe(`ZeroBounce killed mid-list (${target.label})`, () => {
    it.scopedLive("one by one: killed after k of n calls, the resume pays only the n - k others", () =>
      Effect.gen(function*() {
        const stores = yield* Layer.build(target.layer())
        const server = yield* FakeZeroBounceServer.make({ apiKey: KEY, seed: SEED })
        const emails = addresses(12, "kill-singles.example")
        const k = 5

        const dying = dyingAfter(k, "/v2/validate")
        const first = yield* start(server, stores, dying.layer)
        const fiber = yield* Effect.fork(first.zb.verifyMany(emails))
        // each of the k answers is cached as it arrives, long before the list ends
        yield* until(Effect.map(cachedCount(stores, emails), (n) => n === k))
        yield* Fiber.interrupt(fiber)
        expect(yield* server.callsOf("GET /v2/validate")).toBe(k)
        // the k that returned, and the calls in flight at the kill (at most 4 at a time): never fewer than were billed
        const firstUse = yield* first.usage
        expect(firstUse.reserved).toBe(0)
        expect(firstUse.committed).toBeGreaterThanOrEqual(k + dying.held())
        expect(firstUse.committed).toBeLessThanOrEqual(k + 4)

        const second = yield* start(server, stores, NodeHttpClient.layerUndici)
        const result = yield* second.zb.verifyMany(emails)
        expect(result.verdicts.map((v) => v.email)).toEqual(emails)
        expect(yield* server.callsOf("GET /v2/validate")).toBe(emails.length)
        expect(yield* second.usage).toMatchObject({ committed: emails.length - k, reserved: 0 })
        const charges = yield* server.charges
        expect(emails.map((email) => charges.get(email))).toEqual(emails.map(() => 1))
      }), 60_000)

    it.scopedLive("in batches: killed after the first batch, the resume pays only for the other batches", () =>
      Effect.gen(function*() {
        const stores = yield* Layer.build(target.layer())
        const server = yield* FakeZeroBounceServer.make({ apiKey: KEY, seed: SEED })
        const emails = addresses(75, "kill-batches.example")
        const options = { batchSize: 25, concurrency: 2 }

        const dying = dyingAfter(1, "/v2/validatebatch")
        const first = yield* start(server, stores, dying.layer, options)
        const fiber = yield* Effect.fork(first.zb.verifyMany(emails))
        yield* until(Effect.map(cachedCount(stores, emails), (n) => n === 25))
        yield* Fiber.interrupt(fiber)
        expect(yield* server.callsOf("POST /v2/validatebatch")).toBe(1)
        expect(yield* server.creditsUsed).toBe(25)
        // the batch that returned, and each batch in flight at the kill, whole
        const firstUse = yield* first.usage
        expect(firstUse.reserved).toBe(0)
        expect(firstUse.committed).toBeGreaterThanOrEqual(25 + 25 * dying.held())
        expect([50, 75]).toContain(firstUse.committed)

        const second = yield* start(server, stores, NodeHttpClient.layerUndici, options)
        const result = yield* second.zb.verifyMany(emails)
        expect(result.verdicts.map((v) => v.email)).toEqual(emails)
        expect(yield* server.callsOf("POST /v2/validatebatch")).toBe(3)
        expect(yield* server.creditsUsed).toBe(75)
        expect(yield* second.usage).toMatchObject({ committed: 50, reserved: 0 })
        const charges = yield* server.charges
        expect(emails.filter((email) => charges.get(email) !== 1)).toEqual([])
      }), 60_000)
  })
}
