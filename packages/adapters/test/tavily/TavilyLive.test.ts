import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Budget, Tavily as TavilyPort } from "@leadgraph/core"
import { ConfigProvider, Effect, Either, Layer, Redacted } from "effect"
import * as Tavily from "../../src/tavily/TavilyLive.js"
import * as FakeTavilyServer from "../../src/tavily/testing/FakeTavilyServer.js"
import { rateLimitedThenRecovered } from "../testing/RateLimited.js"
import { captureLogs, renderings } from "../testing/Secrets.js"
import * as TavilyFake from "../../src/tavily/testing/TavilyFake.js"

const KEY = "tvly-test-0123456789abcdef"
const fastRetry = { base: "10 millis", maxDelay: "40 millis", retries: 3, jitter: false } as const

const setup = (
  knobs: Partial<FakeTavilyServer.Knobs> = {},
  options: Partial<Tavily.Options> = {}
) =>
  Effect.gen(function*() {
    const server = yield* FakeTavilyServer.make({ apiKey: KEY, seed: 7, ...knobs })
    const tavily = yield* Tavily.make({
      apiKey: Redacted.make(KEY),
      baseUrl: server.url,
      timeout: "1 second",
      retry: fastRetry,
      ...options
    })
    return { server, tavily }
  })

const env = (cap = 100) => Layer.merge(NodeHttpClient.layerUndici, Budget.layerMemory({ [TavilyPort.budget]: cap }))

const usage = Effect.flatMap(Budget.Budget, (b) => b.usage(TavilyPort.budget))

describe("Tavily against the fake server", () => {
  it.scopedLive("searches, decodes and draws one unit of budget", () =>
    Effect.gen(function*() {
      const { server, tavily } = yield* setup()
      const response = yield* tavily.search({ query: "acme.example logistics software", maxResults: 3 })
      expect(response.results.length).toBe(3)
      expect(response.results[0]!.url).toBe("https://acme.example/")
      expect(response.results.every((r) => r.rawContent === null)).toBe(true)
      expect(response.credits).toBe(1)
      expect(response.requestId).toMatch(/^[0-9a-f-]{36}$/)
      expect(yield* server.calls).toEqual({ "POST /search": 1 })
      expect((yield* usage).committed).toBe(1)
      const again = yield* tavily.search({ query: "acme.example logistics software", maxResults: 3 })
      expect(again.results).toEqual(response.results)
    }).pipe(Effect.provide(env())))

  it.scopedLive("extracts pages, reporting failed URLs in a 200", () =>
    Effect.gen(function*() {
      const { tavily } = yield* setup()
      const response = yield* tavily.extract({ urls: ["https://acme.example/team", "https://acme.example/private"] })
      expect(response.results.map((r) => r.url)).toContain("https://acme.example/team")
      expect(response.failed).toEqual([{ url: "https://acme.example/private", error: "Failed to fetch url" }])
    }).pipe(Effect.provide(env())))

  it.scopedLive("rejects a request outside Tavily's limits before sending it", () =>
    Effect.gen(function*() {
      const { server, tavily } = yield* setup()
      const error = yield* Effect.flip(tavily.search({ query: "acme", maxResults: 30 }))
      expect(error._tag === "TavilyError" && error.reason).toBe("BadRequest")
      const tooMany = yield* Effect.flip(tavily.extract({ urls: Array.from({ length: 21 }, (_, i) => `https://a.example/${i}`) }))
      expect(tooMany._tag === "TavilyError" && tooMany.reason).toBe("BadRequest")
      expect(yield* server.calls).toEqual({})
      expect((yield* usage).committed).toBe(0)
    }).pipe(Effect.provide(env())))

  it.scopedLive("honours 429 and retries until the window opens", () =>
    Effect.gen(function*() {
      const { server, tavily } = yield* setup({}, { retry: { base: "10 millis", maxDelay: "20 millis", retries: 100, jitter: false } })
      const run = yield* rateLimitedThenRecovered(
        server,
        tavily.search({ query: "first" }),
        tavily.search({ query: "second" }),
        (calls) => calls["POST /search"] ?? 0
      )
      expect(run.result.query).toBe("second")
      expect(run.calls).toBeGreaterThan(run.baseline + 1)
      expect((yield* usage).committed).toBe(2)
    }).pipe(Effect.provide(env())))

  it.scopedLive("retries 5xx, then gives up with ServerError and releases the budget", () =>
    Effect.gen(function*() {
      const { server, tavily } = yield* setup({ serverErrorRate: 1 })
      const error = yield* Effect.flip(tavily.search({ query: "acme" }))
      expect(error._tag === "TavilyError" && [error.reason, error.status]).toEqual(["ServerError", 500])
      expect(yield* server.callsOf("POST /search")).toBe(1 + fastRetry.retries)
      expect((yield* usage).committed).toBe(0)
    }).pipe(Effect.provide(env())))

  it.scopedLive("turns a malformed body into BadResponse, without retrying", () =>
    Effect.gen(function*() {
      const { server, tavily } = yield* setup({ malformedRate: 1 })
      const error = yield* Effect.flip(tavily.search({ query: "acme" }))
      expect(error._tag === "TavilyError" && error.reason).toBe("BadResponse")
      expect(yield* server.callsOf("POST /search")).toBe(1)
    }).pipe(Effect.provide(env())))

  it.scopedLive("does not retry a wrong key", () =>
    Effect.gen(function*() {
      const { server, tavily } = yield* setup({ apiKey: "tvly-some-other-key" })
      const error = yield* Effect.flip(tavily.search({ query: "acme" }))
      expect(error._tag === "TavilyError" && [error.reason, error.retryable]).toEqual(["Unauthorized", false])
      expect(yield* server.callsOf("POST /search")).toBe(1)
    }).pipe(Effect.provide(env())))

  it.scopedLive("stops paying once Tavily says the credits are spent (432)", () =>
    Effect.gen(function*() {
      const { server, tavily } = yield* setup({ credits: 3 })
      yield* tavily.search({ query: "one", depth: "advanced" })
      yield* tavily.search({ query: "two" })
      const spent = yield* Effect.flip(tavily.search({ query: "three" }))
      expect(spent._tag === "TavilyError" && [spent.reason, spent.status]).toEqual(["OutOfCredits", 432])
      const after = yield* Effect.flip(tavily.search({ query: "four" }))
      expect(after._tag === "TavilyError" && after.reason).toBe("OutOfCredits")
      expect(yield* server.callsOf("POST /search")).toBe(3)
      expect(yield* server.creditsUsed).toBe(3)
      const payg = yield* setup({ credits: 0, payAsYouGo: true })
      const limit = yield* Effect.flip(payg.tavily.search({ query: "five" }))
      expect(limit._tag === "TavilyError" && [limit.reason, limit.status]).toEqual(["OutOfCredits", 433])
    }).pipe(Effect.provide(env())))

  it.scopedLive("ends a hung connection at the timeout; Tavily may have billed it, so it is paid and not sent again", () =>
    Effect.gen(function*() {
      const { server, tavily } = yield* setup({ hangRate: 1 }, { timeout: "150 millis", retry: { retries: 1, base: "10 millis" } })
      const error = yield* Effect.flip(tavily.search({ query: "acme" }))
      expect(error._tag === "TavilyError" && [error.reason, error.charged, error.retryable]).toEqual(["Timeout", true, false])
      expect(yield* server.callsOf("POST /search")).toBe(1)
      expect(yield* usage).toMatchObject({ committed: 1, reserved: 0 })
    }).pipe(Effect.provide(env())))

  it.scopedLive("never sends more calls than the budget allows, under concurrency", () =>
    Effect.gen(function*() {
      const { server, tavily } = yield* setup({ latency: { min: "1 millis", max: "15 millis" } })
      const results = yield* Effect.forEach(
        Array.from({ length: 40 }, (_, i) => `query ${i}`),
        (query) => Effect.either(tavily.search({ query })),
        { concurrency: 16 }
      )
      const ok = results.filter(Either.isRight).length
      const exhausted = results.filter((r) => Either.isLeft(r) && r.left._tag === "BudgetExhausted").length
      expect([ok, exhausted]).toEqual([12, 28])
      expect(yield* server.callsOf("POST /search")).toBeLessThanOrEqual(12)
    }).pipe(Effect.provide(env(12))))

  it.scopedLive("never shows the key in error messages or captured logs", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const failures: Array<unknown> = []
      for (const knobs of [{ apiKey: "tvly-other" }, { serverErrorRate: 1 }, { malformedRate: 1 }, { credits: 0 }, { hangRate: 1 }]) {
        const { tavily } = yield* setup(knobs, { timeout: "100 millis", retry: { retries: 1, base: "5 millis" } })
        const error = yield* Effect.flip(tavily.search({ query: "acme" })).pipe(
          Effect.tap((e) => Effect.logError("search failed", e)),
          (self) => captureLogs(self, lines)
        )
        failures.push(error)
      }
      expect(failures).toHaveLength(5)
      const text = [...lines, ...failures.map(renderings)].join("\n")
      expect(text).toContain("TavilyError")
      expect(lines.some((line) => line.includes("call failed"))).toBe(true)
      expect(text).not.toContain(KEY)
    }).pipe(Effect.provide(env())))
})

describe("TavilyFake.layer", () => {
  it.scopedLive("answers with the fake server's data for the same seed", () =>
    Effect.gen(function*() {
      const { tavily } = yield* setup()
      const live = yield* tavily.search({ query: "acme.example" })
      const fake = yield* Effect.provide(
        Effect.flatMap(TavilyPort.Tavily, (t) => t.search({ query: "acme.example" })),
        TavilyFake.layer({ seed: 7 })
      )
      expect(fake.results).toEqual(live.results)
    }).pipe(Effect.provide(env())))
})

describe("TavilyLive.layerConfig", () => {
  it.effect("reads TAVILY_API_KEY as a redacted secret, and fails with a ConfigError without it", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(Layer.build(Tavily.layerConfig()).pipe(Effect.scoped))
      expect(missing._tag).toBe("ConfigError")
      expect(String(missing)).toContain("TAVILY_API_KEY")
      const service = yield* TavilyPort.Tavily.pipe(
        Effect.provide(Tavily.layerConfig()),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["TAVILY_API_KEY", "secret-value-123"]])))
      )
      expect(Object.keys(service).length).toBeGreaterThan(0)
    }).pipe(Effect.provide(env()), Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))))
})
