/**
 * Every OpenAI answer paid for is kept in the tenant's `PaidResults` before
 * the caller goes on: an extraction paid in a run before an interruption is
 * not paid again by the process that resumes that run (another run pays
 * again; in memory, on PGlite, and on Postgres when `DATABASE_URL` is set),
 * and score rationales live in the database, shared by two processes (two
 * stacks of layers over one database) and by later runs, not in one Layer's
 * memory.
 */
import { describe, expect, it } from "@effect/vitest"
import { TestDatabases } from "@leadgraph/adapters/testing"
import { Budget, Llm } from "@leadgraph/core"
import type { Context } from "effect"
import { Effect, Layer, Redacted, Schema } from "effect"
import * as LlmLive from "../../src/llm/LlmLive.js"
import * as FakeOpenAiServer from "../../src/llm/testing/FakeOpenAiServer.js"
import { database, sqlStores, type Stores, storeTargets } from "../store/paidStores.js"
import { inRun, interruptedAfter } from "../testing/Interrupt.js"

const apiKey = "sk-live-0123456789abcdefSECRET"

const extractRequest = {
  schema: Schema.Struct({ company: Schema.String, employees: Schema.optional(Schema.Int), hiring: Schema.Boolean }),
  name: "firmographics",
  instructions: "Extract the company's firmographics.",
  text: "company: Acme GmbH\nemployees: 120\nhiring: yes"
}

const rationaleInput = new Llm.RationaleInput({
  features: { domain: "acme.example", employees: 120, industry: "software", hiring: true },
  score: 82,
  icpRulesVersion: "v3"
})

/** One process: its own budget and adapter, over the shared stores. */
const start = (server: FakeOpenAiServer.FakeOpenAiServer, stores: Context.Context<Stores>) =>
  Effect.gen(function*() {
    const budget = yield* Budget.Budget.pipe(Effect.provide(Budget.layerMemory({ [Llm.tokenBudget]: 1_000_000 })))
    const llm = yield* LlmLive.make({
      apiKey: Redacted.make(apiKey),
      baseURL: server.baseURL,
      timeout: "5 seconds",
      retry: { retries: 0 },
      rateLimit: undefined
    }).pipe(Effect.provideService(Budget.Budget, budget), Effect.provide(stores))
    return { llm, usage: budget.usage(Llm.tokenBudget) }
  })

for (const target of storeTargets("llm_paid")) {
  describe(`OpenAI answers are paid once (${target.label})`, () => {
    it.scopedLive("an extraction paid before an interruption is not paid again on resume", () =>
      Effect.gen(function*() {
        const stores = yield* Layer.build(target.layer())
        const server = yield* FakeOpenAiServer.make({ apiKey })

        const first = yield* start(server, stores)
        const paid = yield* interruptedAfter(inRun("run-1")(first.llm.extract(extractRequest)))
        expect((yield* server.served).completions).toBe(1)
        expect((yield* first.usage).committed).toBe((yield* server.served).totalTokens)

        const second = yield* start(server, stores)
        const again = yield* inRun("run-1")(second.llm.extract(extractRequest))
        expect(again).toEqual(paid)
        expect((yield* server.served).completions).toBe(1)
        expect(yield* second.usage).toMatchObject({ committed: 0, reserved: 0 })
        // another text is another request, and another run pays again
        yield* inRun("run-1")(second.llm.extract({ ...extractRequest, text: `${extractRequest.text}\nfounded: 1999` }))
        expect((yield* server.served).completions).toBe(2)
        yield* inRun("run-2")(second.llm.extract(extractRequest))
        expect((yield* server.served).completions).toBe(3)
      }), 60_000)
  })
}

for (const target of TestDatabases.targets("llm_rationale", process.env.DATABASE_URL, process.env.MIGRATION_DATABASE_URL)) {
  describe(`score rationales live in the database (${target.label})`, () => {
    it.scopedLive("two processes over one database share the rationale cache", () =>
      Effect.gen(function*() {
        const db = yield* Layer.build(database(target))
        // two processes: each its own stores (own service instances) and adapter, one database
        const storesA = yield* Layer.build(Layer.provide(sqlStores(), Layer.succeedContext(db)))
        const storesB = yield* Layer.build(Layer.provide(sqlStores(), Layer.succeedContext(db)))
        const server = yield* FakeOpenAiServer.make({ apiKey })
        const a = yield* start(server, storesA)
        const b = yield* start(server, storesB)

        const written = yield* a.llm.rationale(rationaleInput)
        expect(written.cached).toBe(false)
        const read = yield* b.llm.rationale(rationaleInput)
        expect(read).toEqual(new Llm.Rationale({ ...written, cached: true }))
        expect((yield* server.served).completions).toBe(1)
        expect(yield* b.usage).toMatchObject({ committed: 0, reserved: 0 })

        // a third process, later (a new run), finds it too; new rules are a new rationale
        const c = yield* start(server, yield* Layer.build(Layer.provide(sqlStores(), Layer.succeedContext(db))))
        expect((yield* c.llm.rationale(rationaleInput)).cached).toBe(true)
        const newRules = yield* c.llm.rationale(new Llm.RationaleInput({ ...rationaleInput, icpRulesVersion: "v4" }))
        expect(newRules.cached).toBe(false)
        expect((yield* server.served).completions).toBe(2)
        expect((yield* a.llm.rationale(new Llm.RationaleInput({ ...rationaleInput, icpRulesVersion: "v4" }))).cached).toBe(true)
        expect((yield* server.served).completions).toBe(2)
      }), 60_000)
  })
}
