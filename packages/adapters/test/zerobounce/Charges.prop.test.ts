/**
 * Property: whatever mix of faults ZeroBounce shows (5xx, 429, truncated
 * 200s, calls hung before or after processing), verifying a few dozen
 * companies' addresses (one by one, and a few lists in batches) leaves the
 * budget ledger never below the credits ZeroBounce charged, no reservation
 * open, and no address charged twice.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Budget, VerificationCache, ZeroBounce as ZeroBouncePort } from "@leadgraph/core"
import { Effect, Either, Layer, Redacted } from "effect"
import * as ZeroBounce from "../../src/zerobounce/ZeroBounceLive.js"
import * as FakeZeroBounceServer from "../../src/zerobounce/testing/FakeZeroBounceServer.js"
import { fastAdapter, faults, figures } from "../testing/Faults.js"
import { addresses } from "./harness.js"

const KEY = "zb-prop-key-1a2b3c4d5e6f"
const lists = [
  ...Array.from({ length: 24 }, (_, i) => addresses(3, `prop-company-${i}.example`)),
  ...Array.from({ length: 3 }, (_, i) => addresses(30, `prop-big-${i}.example`))
]
const seen = figures("ZeroBounce", "credits")

describe("ZeroBounce under random faults", () => {
  it.scopedLive.prop("the ledger is never below what ZeroBounce charged; no address is charged twice", { faults }, ({ faults }) =>
    Effect.gen(function*() {
      const server = yield* FakeZeroBounceServer.make({ apiKey: KEY, ...faults })
      const budget = yield* Budget.Budget.pipe(Effect.provide(Budget.layerMemory({ [ZeroBouncePort.budget]: 10_000 })))
      const context = yield* Layer.build(Layer.merge(NodeHttpClient.layerUndici, VerificationCache.layerMemory()))
      const zb = yield* ZeroBounce.make({
        apiKey: Redacted.make(KEY),
        baseUrl: `${server.url}/v2`,
        ...fastAdapter,
        batchTimeout: fastAdapter.timeout,
        batchSize: 10,
        rateLimit: { limit: 10_000, interval: "1 second" },
        batchRateLimit: { limit: 10_000, interval: "1 second" }
      }).pipe(Effect.provide(context), Effect.provideService(Budget.Budget, budget))
      const results = yield* Effect.forEach(lists, (emails) => Effect.either(zb.verifyMany(emails)), { concurrency: 8 })
      const usage = yield* budget.usage(ZeroBouncePort.budget)
      const charged = yield* server.creditsUsed
      expect(usage.reserved).toBe(0)
      expect(usage.committed).toBeGreaterThanOrEqual(charged)
      const charges = yield* server.charges
      expect([...charges.entries()].filter(([, n]) => n > 1)).toEqual([])
      const succeeded = results.filter(Either.isRight).length
      seen.add({ ledger: usage.committed, charged, succeeded, failed: results.length - succeeded })
    }), { timeout: 120_000, fastCheck: { numRuns: 8 } })
})
