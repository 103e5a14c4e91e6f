/**
 * Every Lusha answer paid for in a run is kept (in the tenant's
 * `PaidResults`, under the run's id) before the caller goes on, so a process
 * interrupted after paying, and a second process resuming the same run,
 * does not pay for it again: an enrich (the free search runs again, the
 * enrich does not), a person lookup, and a bulk lookup killed after its
 * first call (the resume sends only the rest). Another run pays again. In
 * memory, on PGlite, and on Postgres when `DATABASE_URL` is set.
 */
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Budget, Lusha as LushaPort, PaidResults } from "@leadgraph/core"
import type { Context } from "effect"
import { Effect, Fiber, Layer, Option, Redacted } from "effect"
import * as Lusha from "../../src/lusha/LushaLive.js"
import * as Paid from "../../src/lusha/internal/paid.js"
import * as FakeLushaServer from "../../src/lusha/testing/FakeLushaServer.js"
import * as LushaData from "../../src/lusha/testing/LushaData.js"
import { type Stores, storeTargets } from "../store/paidStores.js"
import { dyingAfter, inRun, interruptedAfter, until } from "../testing/Interrupt.js"
import * as LushaFake from "../../src/lusha/testing/LushaFake.js"

const KEY = "lusha-test-key-99aa88bb77cc"
const SEED = 7

/** One process: its own HTTP client, budget and adapter, over the shared stores. */
const start = (
  server: FakeLushaServer.FakeLushaServer,
  stores: Context.Context<Stores>,
  http: Layer.Layer<HttpClient.HttpClient> = NodeHttpClient.layerUndici
) =>
  Effect.gen(function*() {
    const budget = yield* Budget.Budget.pipe(Effect.provide(Budget.layerMemory({ [LushaPort.budget]: 1000 })))
    const client = yield* Layer.build(http)
    const lusha = yield* Lusha.make({
      apiKey: Redacted.make(KEY),
      baseUrl: server.url,
      timeout: "5 seconds",
      retry: { retries: 0 },
      rateLimit: { limit: 1000, interval: "1 second" }
    }).pipe(Effect.provide(client), Effect.provideService(Budget.Budget, budget), Effect.provide(stores))
    return { lusha, usage: budget.usage(LushaPort.budget) }
  })

const run1 = inRun("run-1")

for (const target of storeTargets("lusha_paid")) {
  describe(`Lusha answers are paid once (${target.label})`, () => {
    it.scopedLive("an enrich paid before an interruption is not paid again on resume; the free search is", () =>
      Effect.gen(function*() {
        const stores = yield* Layer.build(target.layer())
        const server = yield* FakeLushaServer.make({ apiKey: KEY, seed: SEED })
        const search = { domain: "acme.example", limit: 3 }

        const first = yield* start(server, stores)
        const paid = yield* interruptedAfter(run1(first.lusha.findContacts(search)))
        expect(yield* server.creditsUsed).toBe(3)
        expect((yield* first.usage).committed).toBe(3)

        const second = yield* start(server, stores)
        const again = yield* run1(second.lusha.findContacts(search))
        expect(again).toEqual(paid)
        expect(yield* server.calls).toEqual({ "POST /prospecting/contact/search": 2, "POST /prospecting/contact/enrich": 1 })
        expect(yield* server.creditsUsed).toBe(3)
        expect(yield* second.usage).toMatchObject({ committed: 0, reserved: 0 })
        // another run (the next night, a rerun) pays again
        yield* inRun("run-2")(second.lusha.findContacts(search))
        expect(yield* server.callsOf("POST /prospecting/contact/enrich")).toBe(2)
      }), 60_000)

    it.scopedLive("a person looked up before an interruption is not looked up again, hit or miss", () =>
      Effect.gen(function*() {
        const stores = yield* Layer.build(target.layer())
        const server = yield* FakeLushaServer.make({ apiKey: KEY, seed: SEED })
        const known = LushaData.contactsAt(SEED, "acme.example")[0]!
        const hit = { email: known.emailAddresses[0]!.email }
        const miss = { email: "nobody@acme.example" }

        const first = yield* start(server, stores)
        const found = yield* interruptedAfter(run1(first.lusha.lookupPerson(hit)))
        yield* interruptedAfter(run1(first.lusha.lookupPerson(miss)))

        const second = yield* start(server, stores)
        expect(yield* run1(second.lusha.lookupPerson(hit))).toEqual(found)
        expect(Option.isNone(yield* run1(second.lusha.lookupPerson(miss)))).toBe(true)
        expect(yield* server.callsOf("GET /v2/person")).toBe(2)
        expect(yield* server.creditsUsed).toBe(1)
      }), 60_000)

    it.scopedLive("a bulk lookup killed after its first call: the resume sends only the rest", () =>
      Effect.gen(function*() {
        const stores = yield* Layer.build(target.layer())
        const server = yield* FakeLushaServer.make({ apiKey: KEY, seed: SEED })
        const queries: Array<LushaPort.PersonQuery> = Array.from({ length: 30 }, (_, i) => `bulk${i}.example`).flatMap(
          (domain) => {
            const [first] = LushaData.contactsAt(SEED, domain)
            return [
              { email: first!.emailAddresses[0]!.email },
              { email: `nobody@${domain}` },
              { firstName: first!.firstName, lastName: first!.lastName, companyDomain: domain },
              { firstName: "Zed", lastName: "Quux", companyDomain: domain },
              { linkedinUrl: `https://www.linkedin.com/in/unknown-${domain}` }
            ]
          }
        )
        const keys = queries.map(Paid.queryKey)
        const kept = Effect.flatMap(PaidResults.PaidResults, (store) => PaidResults.lookup(store, Paid.kinds().people, keys)).pipe(
          Effect.provide(stores),
          run1
        )

        const dying = dyingAfter(1, "/v2/person")
        const first = yield* start(server, stores, dying.layer)
        const fiber = yield* Effect.fork(run1(first.lusha.lookupPeople(queries)))
        // the first call's hundred answers are kept as soon as it returns
        yield* until(Effect.map(kept, (m) => m.size === 100))
        // the second call (the other 50 queries) is in flight when the process dies
        yield* until(Effect.sync(() => dying.held() === 1))
        yield* Fiber.interrupt(fiber)
        const paidFirst = yield* server.creditsUsed
        expect(yield* server.callsOf("POST /v2/person")).toBe(1)
        // what the first call charged, and the whole reservation of the call in flight (Lusha may have billed it)
        expect((yield* first.usage).committed).toBe(paidFirst + 50)

        const second = yield* start(server, stores)
        const answers = yield* run1(second.lusha.lookupPeople(queries))
        expect(yield* server.callsOf("POST /v2/person")).toBe(2)
        const reference = yield* Effect.provide(
          Effect.flatMap(LushaPort.Lusha, (l) => l.lookupPeople(queries)),
          LushaFake.layer({ seed: SEED })
        )
        expect(answers).toEqual(reference)
        const hits = answers.filter(Option.isSome).length
        expect(yield* server.creditsUsed).toBe(hits)
        expect((yield* second.usage).committed).toBe(hits - paidFirst)
      }), 60_000)
  })
}
