import { describe, expect, it } from "@effect/vitest"
import { Vendors } from "@leadgraph/runner"
import { ConfigProvider, Effect, Either, Redacted } from "effect"

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

  it.effect("takes each plan's rate limit from its variable", () =>
    Effect.gen(function*() {
      const options = yield* read(Vendors.config, { ...keys, LUSHA_REQUESTS_PER_MINUTE: "300", OPENAI_REQUESTS_PER_MINUTE: "5000" })
      expect(options.lusha.rateLimit).toEqual({ limit: 300, interval: "1 minute" })
      expect(options.openAi.rateLimit).toEqual({ limit: 5000, interval: "1 minute" })
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

  it("reads a connection's secret reference as a variable name", () => {
    expect(Vendors.secretVariable("env:ODOO_PASSWORD_ACME")).toEqual(Either.right("ODOO_PASSWORD_ACME"))
    expect(Vendors.secretVariable("ODOO_PASSWORD")).toEqual(Either.right("ODOO_PASSWORD"))
    expect(Either.isLeft(Vendors.secretVariable("env:not a name; rm -rf"))).toBe(true)
  })
})
