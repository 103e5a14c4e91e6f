import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Redacted } from "effect"
import { Vendors } from "@leadgraph/adapters"

const keys = {
  TAVILY_API_KEY: "tvly-secret",
  LUSHA_API_KEY: "lusha-secret",
  ZEROBOUNCE_API_KEY: "zb-secret",
  OPENAI_API_KEY: "sk-secret"
}
const read = <A, E>(config: Effect.Effect<A, E>, env: Record<string, string>) =>
  Effect.withConfigProvider(config, ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("Vendors.config", () => {
  it.effect("reads the keys redacted and leaves the adapters' default rate limits alone", () =>
    Effect.gen(function*() {
      const options = yield* read(Vendors.config, keys)
      expect(Redacted.value(options.lusha.apiKey)).toBe("lusha-secret")
      expect(String(options.lusha.apiKey)).not.toContain("lusha-secret")
      expect(options.lusha.rateLimit).toBeUndefined()
      expect(yield* read(Vendors.odooConfig, {})).toEqual({})
    }))

  it.effect("takes each plan's rate limit from its variable, spaced (no burst)", () =>
    Effect.gen(function*() {
      const options = yield* read(Vendors.config, { ...keys, LUSHA_REQUESTS_PER_MINUTE: "300", OPENAI_REQUESTS_PER_MINUTE: "5000" })
      expect(options.lusha.rateLimit).toEqual({ limit: 300, interval: "1 minute", algorithm: "spaced" })
      expect(options.openAi.rateLimit).toEqual({ limit: 5000, interval: "1 minute", algorithm: "spaced" })
      expect(options.tavily.rateLimit).toBeUndefined()
      expect(yield* read(Vendors.odooConfig, { ODOO_CALLS_PER_SECOND: "50" })).toEqual({
        rateLimit: { limit: 50, interval: "1 second" }
      })
    }))

  it.effect("a bad limit fails naming its variable", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(read(Vendors.config, { ...keys, LUSHA_REQUESTS_PER_MINUTE: "0" }))
      expect(String(error)).toContain("LUSHA_REQUESTS_PER_MINUTE")
    }))

  it.effect("takes each vendor's base URL from its variable, trailing slashes dropped", () =>
    Effect.gen(function*() {
      const options = yield* read(Vendors.config, {
        ...keys,
        TAVILY_BASE_URL: "http://127.0.0.1:4001/",
        LUSHA_BASE_URL: "https://lusha.example",
        ZEROBOUNCE_BASE_URL: " https://api-eu.zerobounce.net/v2// ",
        OPENAI_BASE_URL: "http://127.0.0.1:4004/v1"
      })
      expect(options.tavily.baseUrl).toBe("http://127.0.0.1:4001")
      expect(options.lusha.baseUrl).toBe("https://lusha.example")
      expect(options.zeroBounce.baseUrl).toBe("https://api-eu.zerobounce.net/v2")
      expect(options.openAi.baseURL).toBe("http://127.0.0.1:4004/v1")
      const unset = yield* read(Vendors.config, keys)
      expect([unset.tavily.baseUrl, unset.lusha.baseUrl, unset.zeroBounce.baseUrl, unset.openAi.baseURL]).toEqual([
        undefined,
        undefined,
        undefined,
        undefined
      ])
    }))

  it.effect("a bad base URL fails at start-up naming its variable, never repeating a credential", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [string, string, string]> = [
        ["TAVILY_BASE_URL", "api.tavily.com", "absolute"],
        ["LUSHA_BASE_URL", "ftp://lusha.example", "http or https"],
        ["ZEROBOUNCE_BASE_URL", "https://user:hunter2@api.zerobounce.net/v2", "credentials"],
        ["OPENAI_BASE_URL", "https://api.openai.com/v1?key=sk-leak", "query"]
      ]
      for (const [variable, value, problem] of cases) {
        const error = yield* Effect.flip(read(Vendors.config, { ...keys, [variable]: value }))
        const text = String(error)
        expect(text).toContain(variable)
        expect(text).toContain(problem)
        expect(text).not.toContain("hunter2")
        expect(text).not.toContain("sk-leak")
      }
    }))

  it("reads a connection's secret reference as a variable name", () => {
    expect(Vendors.secretVariable("env:ODOO_PASSWORD_ACME")).toEqual(Either.right("ODOO_PASSWORD_ACME"))
    expect(Vendors.secretVariable("ODOO_PASSWORD")).toEqual(Either.right("ODOO_PASSWORD"))
    expect(Either.isLeft(Vendors.secretVariable("env:not a name; rm -rf"))).toBe(true)
  })
})
