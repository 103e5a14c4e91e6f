/**
 * Property: whatever mix of faults Tavily shows (5xx, 429, truncated 200s,
 * calls hung before or after processing), the budget ledger never counts
 * less than Tavily billed, no reservation is left open, and no search is
 * paid twice (a call Tavily may have billed is never sent again).
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Budget, Tavily as TavilyPort } from "@leadgraph/core"
import { Effect, Either, Layer, Redacted } from "effect"
import * as Tavily from "../../src/tavily/TavilyLive.js"
import * as FakeTavilyServer from "../../src/tavily/testing/FakeTavilyServer.js"
import { fastAdapter, faults, figures } from "../testing/Faults.js"

const KEY = "tvly-prop-0123456789abcdef"
const queries = Array.from({ length: 30 }, (_, i) => `company ${i} profile`)
const seen = figures("Tavily", "calls")

describe("Tavily under random faults", () => {
  it.scopedLive.prop("the ledger is never below what Tavily billed; no search is paid twice", { faults }, ({ faults }) =>
    Effect.gen(function*() {
      const server = yield* FakeTavilyServer.make({ apiKey: KEY, ...faults })
      const budget = yield* Budget.Budget.pipe(Effect.provide(Budget.layerMemory({ [TavilyPort.budget]: 1000 })))
      const http = yield* Layer.build(NodeHttpClient.layerUndici)
      const tavily = yield* Tavily.make({
        apiKey: Redacted.make(KEY),
        baseUrl: server.url,
        ...fastAdapter,
        rateLimit: { limit: 10_000, interval: "1 second" }
      }).pipe(
        Effect.provide(http),
        Effect.provideService(Budget.Budget, budget)
      )
      const results = yield* Effect.forEach(queries, (query) => Effect.either(tavily.search({ query })), { concurrency: 8 })
      const usage = yield* budget.usage(TavilyPort.budget)
      const billed = yield* server.billedCalls
      expect(usage.reserved).toBe(0)
      expect(usage.committed).toBeGreaterThanOrEqual(billed)
      expect(yield* server.creditsUsed).toBe(billed) // basic searches: one credit a call
      expect(billed).toBeLessThanOrEqual(queries.length)
      const succeeded = results.filter(Either.isRight).length
      expect(usage.committed).toBeGreaterThanOrEqual(succeeded)
      seen.add({ ledger: usage.committed, charged: billed, succeeded, failed: results.length - succeeded })
    }), { timeout: 120_000, fastCheck: { numRuns: 8 } })
})
