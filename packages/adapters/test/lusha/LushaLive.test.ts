import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Budget, Lusha as LushaPort, PaidResults } from "@leadgraph/core"
import { ConfigProvider, Effect, Either, Layer, Option, Redacted } from "effect"
import * as Lusha from "../../src/lusha/LushaLive.js"
import * as FakeLushaServer from "../../src/lusha/testing/FakeLushaServer.js"
import * as LushaData from "../../src/lusha/testing/LushaData.js"
import { rateLimitedThenRecovered } from "../testing/RateLimited.js"
import { captureLogs, renderings } from "../testing/Secrets.js"
import * as LushaFake from "../../src/lusha/testing/LushaFake.js"

const KEY = "lusha-test-key-99aa88bb77cc"
const SEED = 7

const setup = (knobs: Partial<FakeLushaServer.Knobs> = {}, options: Partial<Lusha.Options> = {}) =>
  Effect.gen(function*() {
    const server = yield* FakeLushaServer.make({ apiKey: KEY, seed: SEED, ...knobs })
    const lusha = yield* Lusha.make({
      apiKey: Redacted.make(KEY),
      baseUrl: server.url,
      timeout: "1 second",
      retry: { base: "10 millis", maxDelay: "40 millis", retries: 3, jitter: false },
      rateLimit: { limit: 1000, interval: "1 second" },
      ...options
    })
    return { server, lusha }
  })

const env = (cap = 1000) =>
  Layer.mergeAll(NodeHttpClient.layerUndici, Budget.layerMemory({ [LushaPort.budget]: cap }), PaidResults.layerMemory)
const usage = Effect.flatMap(Budget.Budget, (b) => b.usage(LushaPort.budget))

describe("Lusha against the fake server", () => {
  it.scopedLive("finds a company's contacts: free search, then paid enrich", () =>
    Effect.gen(function*() {
      const { server, lusha } = yield* setup()
      const contacts = yield* lusha.findContacts({ domain: "acme.example", limit: 3 })
      const expected = LushaData.contactsAt(SEED, "acme.example").slice(0, 3)
      expect(contacts.map((c) => c.fullName)).toEqual(expected.map((p) => p.fullName))
      expect(contacts[0]!.emails[0]!.email).toBe(expected[0]!.emailAddresses[0]!.email)
      expect(contacts[0]!.companyDomain).toBe("acme.example")
      expect(yield* server.calls).toEqual({ "POST /prospecting/contact/search": 1, "POST /prospecting/contact/enrich": 1 })
      expect(yield* server.creditsUsed).toBe(3)
      expect((yield* usage).committed).toBe(3)
      const again = yield* lusha.findContacts({ domain: "acme.example", limit: 3 })
      expect(again).toEqual(contacts)
    }).pipe(Effect.provide(env())))

  it.scopedLive("looks a person up; a miss is None and free, whether Lusha answers 200 or 404", () =>
    Effect.gen(function*() {
      for (const emptyDataStatus of [200, 404] as const) {
        const { server, lusha } = yield* setup({ emptyDataStatus })
        const known = LushaData.contactsAt(SEED, "acme.example")[0]!
        const hit = yield* lusha.lookupPerson({ email: known.emailAddresses[0]!.email })
        expect(Option.map(hit, (c) => c.lushaId)).toEqual(Option.some(String(known.personId)))
        const miss = yield* lusha.lookupPerson({ email: "nobody@acme.example" })
        expect(Option.isNone(miss)).toBe(true)
        expect(yield* server.creditsUsed).toBe(1)
      }
      expect((yield* usage).committed).toBe(2)
    }).pipe(Effect.provide(env())))

  it.scopedLive("looks many people up in bulk calls of at most 100, in order, paying only for hits", () =>
    Effect.gen(function*() {
      const { server, lusha } = yield* setup()
      const domains = Array.from({ length: 30 }, (_, i) => `bulk${i}.example`)
      const queries: Array<LushaPort.PersonQuery> = domains.flatMap((domain) => {
        const [first] = LushaData.contactsAt(SEED, domain)
        return [
          { email: first!.emailAddresses[0]!.email },
          { email: `nobody@${domain}` },
          { firstName: first!.firstName, lastName: first!.lastName, companyDomain: domain },
          { firstName: "Zed", lastName: "Quux", companyDomain: domain },
          { linkedinUrl: `https://www.linkedin.com/in/unknown-${domain}` }
        ]
      })
      const answers = yield* lusha.lookupPeople(queries)
      expect(answers).toHaveLength(150)
      expect(yield* server.callsOf("POST /v2/person")).toBe(2)
      domains.forEach((domain, i) => {
        const first = LushaData.contactsAt(SEED, domain)[0]!
        expect(Option.map(answers[i * 5]!, (c) => c.lushaId)).toEqual(Option.some(String(first.personId)))
        expect(Option.isNone(answers[i * 5 + 1]!)).toBe(true)
        expect(Option.map(answers[i * 5 + 2]!, (c) => c.companyDomain)).toEqual(Option.some(domain))
        expect(Option.isNone(answers[i * 5 + 4]!)).toBe(true)
      })
      const hits = answers.filter(Option.isSome).length
      expect(yield* server.creditsUsed).toBe(hits)
      expect((yield* usage).committed).toBe(hits)
      const fake = yield* Effect.provide(
        Effect.flatMap(LushaPort.Lusha, (l) => l.lookupPeople(queries)),
        LushaFake.layer({ seed: SEED })
      )
      expect(fake).toEqual(answers)
    }).pipe(Effect.provide(env())))

  it.scopedLive("rejects a query outside Lusha's identifier rules before sending it", () =>
    Effect.gen(function*() {
      const { server, lusha } = yield* setup()
      const error = yield* Effect.flip(lusha.lookupPerson({ firstName: "Jane" } as unknown as LushaPort.PersonQuery))
      expect(error._tag === "LushaError" && error.reason).toBe("BadRequest")
      expect(yield* server.calls).toEqual({})
    }).pipe(Effect.provide(env())))

  it.scopedLive("honours 429 and retries", () =>
    Effect.gen(function*() {
      const { server, lusha } = yield* setup({}, { retry: { base: "10 millis", maxDelay: "20 millis", retries: 100, jitter: false } })
      const run = yield* rateLimitedThenRecovered(
        server,
        lusha.lookupPerson({ email: "jane@acme.example" }),
        lusha.findContacts({ domain: "acme.example", limit: 2 }),
        (calls) => (calls["GET /v2/person"] ?? 0) + (calls["POST /prospecting/contact/search"] ?? 0)
      )
      expect(run.result).toHaveLength(2)
      expect(run.calls).toBeGreaterThan(run.baseline + 1)
    }).pipe(Effect.provide(env())))

  it.scopedLive("retries 5xx, then gives up with ServerError", () =>
    Effect.gen(function*() {
      const { server, lusha } = yield* setup({ serverErrorRate: 1 })
      const error = yield* Effect.flip(lusha.lookupPerson({ email: "jane@acme.example" }))
      expect(error._tag === "LushaError" && [error.reason, error.status]).toEqual(["ServerError", 500])
      expect(yield* server.callsOf("GET /v2/person")).toBe(4)
      expect((yield* usage).committed).toBe(0)
    }).pipe(Effect.provide(env())))

  it.scopedLive("turns a malformed body into BadResponse: the free search is asked again, a paid lookup is not", () =>
    Effect.gen(function*() {
      const { server, lusha } = yield* setup({ malformedRate: 1 })
      const error = yield* Effect.flip(lusha.findContacts({ domain: "acme.example" }))
      expect(error._tag === "LushaError" && [error.reason, error.charged]).toEqual(["BadResponse", false])
      // the search is free: retried within the policy (3 retries), and nothing was paid
      expect(yield* server.calls).toEqual({ "POST /prospecting/contact/search": 4 })
      expect((yield* usage).committed).toBe(0)
      const known = LushaData.contactsAt(SEED, "acme.example")[0]!
      const paid = yield* Effect.flip(lusha.lookupPerson({ email: known.emailAddresses[0]!.email }))
      expect(paid._tag === "LushaError" && [paid.reason, paid.charged, paid.retryable]).toEqual(["BadResponse", true, false])
      // the lookup was billed, its body cut: sent once, and its unit committed
      expect(yield* server.callsOf("GET /v2/person")).toBe(1)
      expect(yield* server.creditsUsed).toBe(1)
      expect(yield* usage).toMatchObject({ committed: 1, reserved: 0 })
    }).pipe(Effect.provide(env())))

  it.scopedLive("does not retry a wrong key", () =>
    Effect.gen(function*() {
      const { server, lusha } = yield* setup({ apiKey: "someone-elses-key" })
      const error = yield* Effect.flip(lusha.findContacts({ domain: "acme.example" }))
      expect(error._tag === "LushaError" && [error.reason, error.status, error.detail]).toEqual(["Unauthorized", 401, "Invalid API key"])
      expect(yield* server.callsOf("POST /prospecting/contact/search")).toBe(1)
    }).pipe(Effect.provide(env())))

  it.scopedLive("stops paying once Lusha answers 402", () =>
    Effect.gen(function*() {
      const { server, lusha } = yield* setup({ credits: 4 })
      yield* lusha.findContacts({ domain: "acme.example", limit: 3 })
      const error = yield* Effect.flip(lusha.findContacts({ domain: "beta.example", limit: 3 }))
      expect(error._tag === "LushaError" && [error.reason, error.status]).toEqual(["OutOfCredits", 402])
      const calls = yield* server.calls
      const later = yield* Effect.flip(lusha.lookupPerson({ email: "jane@gamma.example" }))
      expect(later._tag === "LushaError" && later.reason).toBe("OutOfCredits")
      expect(yield* server.calls).toEqual(calls)
      expect(yield* server.creditsUsed).toBe(3)
      expect((yield* usage).committed).toBe(3)
    }).pipe(Effect.provide(env())))

  it.scopedLive("ends a hung connection at the timeout; a paid lookup that may have been billed is not sent again", () =>
    Effect.gen(function*() {
      const { server, lusha } = yield* setup({ hangRate: 1 }, { timeout: "150 millis", retry: { retries: 1, base: "10 millis" } })
      const error = yield* Effect.flip(lusha.lookupPerson({ email: "jane@acme.example" }))
      expect(error._tag === "LushaError" && [error.reason, error.charged]).toEqual(["Timeout", true])
      expect(yield* server.callsOf("GET /v2/person")).toBe(1)
      expect(yield* usage).toMatchObject({ committed: 1, reserved: 0 })
    }).pipe(Effect.provide(env())))

  it.scopedLive("never enriches beyond the budget cap, under concurrency", () =>
    Effect.gen(function*() {
      const { server, lusha } = yield* setup({ latency: { min: "1 millis", max: "10 millis" } })
      const domains = Array.from({ length: 12 }, (_, i) => `company${i}.example`)
      const results = yield* Effect.forEach(domains, (domain) => Effect.either(lusha.findContacts({ domain, limit: 3 })), {
        concurrency: 12
      })
      expect(results.filter((r) => Either.isLeft(r) && r.left._tag === "BudgetExhausted").length).toBeGreaterThan(0)
      expect(yield* server.creditsUsed).toBeLessThanOrEqual(20)
      expect((yield* usage).committed).toBe(yield* server.creditsUsed)
    }).pipe(Effect.provide(env(20))))

  it.scopedLive("never shows the key in error messages or captured logs", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const failures: Array<unknown> = []
      const cases: Array<[Partial<FakeLushaServer.Knobs>, Partial<Lusha.Options>]> = [
        [{ apiKey: "other" }, {}],
        // the tail of the key, echoed back (unconfirmed for the real API)
        [{ apiKey: "other", echoKey: true }, {}],
        [{ serverErrorRate: 1 }, {}],
        [{ malformedRate: 1 }, {}],
        [{ credits: 0 }, {}],
        [{ hangRate: 1 }, {}],
        [{}, { baseUrl: "http://127.0.0.1:9" }]
      ]
      for (const [knobs, options] of cases) {
        const { lusha } = yield* setup(knobs, { timeout: "100 millis", retry: { retries: 1, base: "5 millis" }, ...options })
        const error = yield* Effect.flip(lusha.findContacts({ domain: "acme.example" })).pipe(
          Effect.tap((e) => Effect.logError("lusha failed", e)),
          (self) => captureLogs(self, lines)
        )
        failures.push(error)
      }
      const text = [...lines, ...failures.map(renderings)].join("\n")
      expect(text).toContain("LushaError")
      expect(lines.some((line) => line.includes("call failed"))).toBe(true)
      expect(text).not.toContain(KEY)
      expect(text).not.toContain(KEY.slice(-4))
    }).pipe(Effect.provide(env())))
})

describe("LushaFake.layer", () => {
  it.scopedLive("gives the fake server's contacts for the same seed", () =>
    Effect.gen(function*() {
      const { lusha } = yield* setup()
      const live = yield* lusha.findContacts({ domain: "acme.example", limit: 4, seniorities: ["C-Level", "VP"] })
      const fake = yield* Effect.provide(
        Effect.flatMap(LushaPort.Lusha, (l) => l.findContacts({ domain: "acme.example", limit: 4, seniorities: ["C-Level", "VP"] })),
        LushaFake.layer({ seed: SEED })
      )
      expect(fake).toEqual(live)
    }).pipe(Effect.provide(env())))
})

describe("LushaLive.layerConfig", () => {
  it.effect("reads LUSHA_API_KEY as a redacted secret, and fails with a ConfigError without it", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(Layer.build(Lusha.layerConfig()).pipe(Effect.scoped))
      expect(missing._tag).toBe("ConfigError")
      expect(String(missing)).toContain("LUSHA_API_KEY")
      const service = yield* LushaPort.Lusha.pipe(
        Effect.provide(Lusha.layerConfig()),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["LUSHA_API_KEY", "secret-value-123"]])))
      )
      expect(Object.keys(service).length).toBeGreaterThan(0)
    }).pipe(Effect.provide(env()), Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))))
})
