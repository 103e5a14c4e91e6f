/**
 * Property: whatever mix of faults OpenAI shows (5xx, 429, truncated 200s
 * whose `usage` cannot be read, calls hung before or after processing),
 * extracting from a few dozen companies' texts leaves the token ledger
 * never below the tokens OpenAI billed (every completed response's, those
 * it cut or never sent included), no reservation open, and no completion
 * paid twice (a call OpenAI may have billed is never sent again).
 */
import { describe, expect, it } from "@effect/vitest"
import { Budget, Llm, PaidResults } from "@leadgraph/core"
import { Effect, Either, Layer, Redacted, Schema } from "effect"
import * as LlmLive from "../../src/llm/LlmLive.js"
import * as FakeOpenAiServer from "../../src/llm/testing/FakeOpenAiServer.js"
import { fastAdapter, faults, figures } from "../testing/Faults.js"

const KEY = "sk-prop-0123456789abcdef"
const Firmographics = Schema.Struct({
  company: Schema.String,
  industry: Schema.Literal("software", "manufacturing", "retail", "other"),
  locations: Schema.Array(Schema.String)
})
const texts = Array.from({ length: 24 }, (_, i) => `company: Company ${i}\nWe build software in Berlin. Team of ${10 + i}.`)
const seen = figures("OpenAI", "tokens")

describe("OpenAI under random faults", () => {
  it.scopedLive.prop("the token ledger is never below what OpenAI billed; no completion is paid twice", { faults }, ({ faults }) =>
    Effect.gen(function*() {
      const server = yield* FakeOpenAiServer.make({ apiKey: KEY, ...faults })
      const budget = yield* Budget.Budget.pipe(Effect.provide(Budget.layerMemory({ [Llm.tokenBudget]: 10_000_000 })))
      const results = yield* PaidResults.PaidResults.pipe(Effect.provide(PaidResults.layerMemory))
      const llm = yield* LlmLive.make({
        apiKey: Redacted.make(KEY),
        baseURL: server.baseURL,
        ...fastAdapter,
        rateLimit: undefined
      }).pipe(Effect.provideService(Budget.Budget, budget), Effect.provide(Layer.succeed(PaidResults.PaidResults, results)))
      const outcomes = yield* Effect.forEach(texts, (text) =>
        Effect.either(llm.extract({ schema: Firmographics, name: "firmographics", instructions: "Extract.", text })), {
        concurrency: 8
      })
      const usage = yield* budget.usage(Llm.tokenBudget)
      const served = yield* server.served
      expect(usage.reserved).toBe(0)
      expect(usage.committed).toBeGreaterThanOrEqual(served.totalTokens)
      expect(served.completions).toBeLessThanOrEqual(texts.length)
      const succeeded = outcomes.filter(Either.isRight).length
      seen.add({ ledger: usage.committed, charged: served.totalTokens, succeeded, failed: outcomes.length - succeeded })
    }), { timeout: 120_000, fastCheck: { numRuns: 8 } })
})
