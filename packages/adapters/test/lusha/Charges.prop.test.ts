/**
 * Property: whatever mix of faults Lusha shows (5xx, 429, truncated 200s,
 * calls hung before or after processing), finding a few dozen companies'
 * contacts leaves the budget ledger never below the credits Lusha charged,
 * no reservation open, and no contact charged twice (an enrich Lusha may
 * have billed is never sent again; the free search is).
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Budget, Lusha as LushaPort, PaidResults } from "@leadgraph/core"
import { Effect, Either, Layer, Redacted } from "effect"
import * as Lusha from "../../src/lusha/LushaLive.js"
import * as FakeLushaServer from "../../src/lusha/testing/FakeLushaServer.js"
import { fastAdapter, faults, figures } from "../testing/Faults.js"

const KEY = "lusha-prop-key-5e6f7a8b9c"
const domains = Array.from({ length: 24 }, (_, i) => `prop-company-${i}.example`)
const seen = figures("Lusha", "credits")

describe("Lusha under random faults", () => {
  it.scopedLive.prop("the ledger is never below what Lusha charged; no contact is charged twice", { faults }, ({ faults }) =>
    Effect.gen(function*() {
      const server = yield* FakeLushaServer.make({ apiKey: KEY, ...faults })
      const budget = yield* Budget.Budget.pipe(Effect.provide(Budget.layerMemory({ [LushaPort.budget]: 10_000 })))
      const context = yield* Layer.build(Layer.merge(NodeHttpClient.layerUndici, PaidResults.layerMemory))
      const lusha = yield* Lusha.make({
        apiKey: Redacted.make(KEY),
        baseUrl: server.url,
        ...fastAdapter,
        rateLimit: { limit: 10_000, interval: "1 second" }
      }).pipe(
        Effect.provide(context),
        Effect.provideService(Budget.Budget, budget)
      )
      const results = yield* Effect.forEach(domains, (domain) => Effect.either(lusha.findContacts({ domain, limit: 3 })), {
        concurrency: 8
      })
      const usage = yield* budget.usage(LushaPort.budget)
      const charged = yield* server.creditsUsed
      expect(usage.reserved).toBe(0)
      expect(usage.committed).toBeGreaterThanOrEqual(charged)
      const charges = yield* server.charges
      expect([...charges.values()].filter((n) => n > 1)).toEqual([])
      // a billed enrich is never sent again: at most one billed call per company
      expect(yield* server.billedCalls).toBeLessThanOrEqual(domains.length)
      const succeeded = results.filter(Either.isRight).length
      seen.add({ ledger: usage.committed, charged, succeeded, failed: results.length - succeeded })
    }), { timeout: 120_000, fastCheck: { numRuns: 8 } })
})
