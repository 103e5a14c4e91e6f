/**
 * `Vendors.connector`: what belongs to an API key (the HTTP clients, their
 * rate limits and key latches, the OpenAI client) is built once, and each
 * run's `connect` builds services over that run's own budget, paid results
 * and verification cache. Two runs against the fake vendors: each draws
 * only on its own budget, an answer one run kept is not seen by the other
 * (which pays for it again), and the Tavily rate limit is one for both.
 * Time is the `TestClock`: the call over the limit waits until the clock
 * moves, and nothing here waits on the wall clock.
 */
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Vendors } from "@leadgraph/adapters"
import { FakeVendors } from "@leadgraph/adapters/testing"
import {
  Budget,
  BudgetLedger,
  Llm,
  Lusha,
  PaidResults,
  Tavily,
  VendorConnector,
  VerificationCache,
  ZeroBounce
} from "@leadgraph/core"
import { Context, Effect, Fiber, Layer, Option, TestClock } from "effect"
import * as LushaData from "../src/lusha/testing/LushaData.js"
import { inRun } from "./testing/Interrupt.js"
import { addresses } from "./zerobounce/harness.js"

const SEED = 7

const caps = {
  [Tavily.budget]: 10,
  [Lusha.budget]: 10,
  [ZeroBounce.budget]: 10,
  [Llm.tokenBudget]: 1_000_000
}

/** One run's services: its own in-memory budget, paid results and verification cache. */
const runServices = Effect.gen(function*() {
  const budget = yield* Budget.make.pipe(
    Effect.provideServiceEffect(BudgetLedger.BudgetLedger, BudgetLedger.makeMemory({ caps }))
  )
  const paidResults = yield* PaidResults.makeMemory
  const verificationCache = yield* VerificationCache.makeMemory()
  const context = Context.make(Budget.Budget, budget).pipe(
    Context.add(PaidResults.PaidResults, paidResults),
    Context.add(VerificationCache.VerificationCache, verificationCache)
  )
  return { context, budget, paidResults, verificationCache }
})

/** Builds the connector's `connect` for one run, in the test's scope, as a run does. */
const connectRun = (connector: VendorConnector.Service, services: Context.Context<VendorConnector.RunServices>) =>
  Effect.map(
    Layer.build(connector.connect.pipe(Layer.provide(Layer.succeedContext(services)))),
    (vendors) => ({
      tavily: Context.get(vendors, Tavily.Tavily),
      lusha: Context.get(vendors, Lusha.Lusha),
      zeroBounce: Context.get(vendors, ZeroBounce.ZeroBounce),
      llm: Context.get(vendors, Llm.Llm)
    })
  )

/**
 * The real HTTP client, counting each request to a path when it is handed
 * to the client (synchronously, before anything goes on the wire): a
 * request held by the client-side rate limiter is not counted.
 */
const countingClient = () => {
  const sent = new Map<string, number>()
  const layer = Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      HttpClient.transform(client, (response, request) =>
        Effect.suspend(() => {
          const path = new URL(request.url).pathname
          sent.set(path, (sent.get(path) ?? 0) + 1)
          return response
        })))
  ).pipe(Layer.provide(NodeHttpClient.layerUndici))
  return { layer, sent: (path: string) => sent.get(path) ?? 0 }
}

const usage = (budget: Budget.Service, name: string) => Effect.map(budget.usage(name), (u) => u.committed)

/** Lets a forked fiber run until it waits on something (the limiter, the network). */
const untilSuspended = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1_000; i++) {
      yield* Effect.yieldNow()
      const status = yield* Fiber.status(fiber)
      if (status._tag !== "Running") return
    }
    return yield* Effect.dieMessage("the fiber never waited")
  })

describe("Vendors.connector", () => {
  it.scoped("builds per-key parts once and per-run parts per run: own budgets, own stores, one rate limit", () =>
    Effect.gen(function*() {
      const fakes = yield* FakeVendors.make({ seed: SEED })
      const open = FakeVendors.vendorOptions(fakes)
      const options: Vendors.Options = { ...open, tavily: { ...open.tavily, rateLimit: { limit: 3, interval: "1 minute" } } }
      const http = countingClient()
      const connector = Context.get(
        yield* Layer.build(Vendors.connector(options).pipe(Layer.provide(http.layer))),
        VendorConnector.VendorConnector
      )

      const a = yield* runServices
      const b = yield* runServices
      const runA = yield* connectRun(connector, a.context)
      const runB = yield* connectRun(connector, b.context)
      // Both runs use one run id: what keeps their answers apart is their stores, not their ids.
      const inTheRun = inRun("run-1")

      // Tavily: each run draws on its own budget; the limit is 3 a minute across both.
      yield* inTheRun(runA.tavily.search({ query: "acme.example logistics" }))
      yield* inTheRun(runA.tavily.search({ query: "acme.example hiring" }))
      yield* inTheRun(runB.tavily.search({ query: "acme.example funding" }))
      expect(yield* usage(a.budget, Tavily.budget)).toBe(2)
      expect(yield* usage(b.budget, Tavily.budget)).toBe(1)
      expect(http.sent("/search")).toBe(3)

      // The fourth call (run B's second) waits for the limiter that run A spent on.
      const fourth = yield* Effect.fork(inTheRun(runB.tavily.search({ query: "acme.example customers" })))
      yield* untilSuspended(fourth)
      expect(yield* Fiber.poll(fourth)).toEqual(Option.none())
      expect(http.sent("/search")).toBe(3)
      expect((yield* b.budget.usage(Tavily.budget)).reserved).toBe(1)
      // One token comes back every 20 seconds (a minute over 3).
      yield* TestClock.adjust("19 seconds")
      yield* untilSuspended(fourth)
      expect(http.sent("/search")).toBe(3)
      yield* TestClock.adjust("1 second")
      const answer = yield* Fiber.join(fourth)
      expect(answer.query).toBe("acme.example customers")
      expect(http.sent("/search")).toBe(4)
      expect(yield* usage(a.budget, Tavily.budget)).toBe(2)
      expect(yield* usage(b.budget, Tavily.budget)).toBe(2)
      expect(yield* fakes.tavily.callsOf("POST /search")).toBe(4)

      // Lusha: an answer kept in run A's paid results is A's alone; B pays for it again.
      const person = { email: LushaData.contactsAt(SEED, "acme.example")[0]!.emailAddresses[0]!.email }
      const found = yield* inTheRun(runA.lusha.lookupPerson(person))
      expect(Option.isSome(found)).toBe(true)
      expect(yield* inTheRun(runA.lusha.lookupPerson(person))).toEqual(found)
      expect(yield* fakes.lusha.callsOf("GET /v2/person")).toBe(1)
      expect(yield* inTheRun(runB.lusha.lookupPerson(person))).toEqual(found)
      expect(yield* fakes.lusha.callsOf("GET /v2/person")).toBe(2)
      expect(yield* inTheRun(runB.lusha.lookupPerson(person))).toEqual(found)
      expect(yield* fakes.lusha.callsOf("GET /v2/person")).toBe(2)
      expect(yield* usage(a.budget, Lusha.budget)).toBe(1)
      expect(yield* usage(b.budget, Lusha.budget)).toBe(1)

      // ZeroBounce: a verdict cached in run A's verification cache is not in B's.
      const [email] = addresses(1, "acme.example")
      const verdict = yield* inTheRun(runA.zeroBounce.verify(email!))
      expect(yield* inTheRun(runA.zeroBounce.verify(email!))).toEqual(verdict)
      expect(yield* fakes.zeroBounce.callsOf("GET /v2/validate")).toBe(1)
      expect((yield* b.verificationCache.getMany([email!])).size).toBe(0)
      expect((yield* inTheRun(runB.zeroBounce.verify(email!))).status).toBe(verdict.status)
      expect(yield* fakes.zeroBounce.callsOf("GET /v2/validate")).toBe(2)
      expect(yield* usage(a.budget, ZeroBounce.budget)).toBe(1)
      expect(yield* usage(b.budget, ZeroBounce.budget)).toBe(1)

      // OpenAI: a rationale kept in A's paid results (shared by A's runs) is not B's.
      const input = new Llm.RationaleInput({ features: { domain: "acme.example", employees: 120 }, score: 82, icpRulesVersion: "v3" })
      expect((yield* inTheRun(runA.llm.rationale(input))).cached).toBe(false)
      expect((yield* inTheRun(runA.llm.rationale(input))).cached).toBe(true)
      expect((yield* fakes.openAi.served).completions).toBe(1)
      const tokensA = yield* usage(a.budget, Llm.tokenBudget)
      expect(tokensA).toBeGreaterThan(0)
      expect(yield* usage(b.budget, Llm.tokenBudget)).toBe(0)
      expect((yield* inTheRun(runB.llm.rationale(input))).cached).toBe(false)
      expect((yield* fakes.openAi.served).completions).toBe(2)
      expect(yield* usage(b.budget, Llm.tokenBudget)).toBeGreaterThan(0)
      expect(yield* usage(a.budget, Llm.tokenBudget)).toBe(tokensA)
    }))

  it.scoped("gives each run its own services when runs are built in one memo map", () =>
    Effect.gen(function*() {
      const fakes = yield* FakeVendors.make({ seed: SEED })
      const connector = Context.get(
        yield* Layer.build(Vendors.connector(FakeVendors.vendorOptions(fakes)).pipe(Layer.provide(NodeHttpClient.layerUndici))),
        VendorConnector.VendorConnector
      )
      const a = yield* runServices
      const b = yield* runServices
      const memoMap = yield* Layer.makeMemoMap
      const scope = yield* Effect.scope
      const build = (services: Context.Context<VendorConnector.RunServices>) =>
        Layer.buildWithMemoMap(connector.connect.pipe(Layer.provide(Layer.succeedContext(services))), memoMap, scope)
      yield* build(a.context)
      const runB = Context.get(yield* build(b.context), Tavily.Tavily)
      yield* inRun("run-b")(runB.search({ query: "acme.example" }))
      expect(yield* usage(a.budget, Tavily.budget)).toBe(0)
      expect(yield* usage(b.budget, Tavily.budget)).toBe(1)
    }))
})
