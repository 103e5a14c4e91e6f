import { describe, expect, it } from "@effect/vitest"
import { Fakes, Settings } from "@leadgraph/runner"
import { ConfigProvider, Effect, Option, Redacted } from "effect"
import { Vendors } from "@leadgraph/adapters"

describe("leadgraph fakes", () => {
  it("reads --latency as MIN-MAX or one value, in milliseconds", () => {
    expect(Fakes.parseLatency("50-400")).toEqual(Option.some({ min: 50, max: 400 }))
    expect(Fakes.parseLatency("20")).toEqual(Option.some({ min: 20, max: 20 }))
    for (const bad of ["", "400-50", "a-b", "-5", "1-2-3", "5 ms"]) expect(Fakes.parseLatency(bad)).toEqual(Option.none())
  })

  it.scopedLive("prints an environment the settings and the vendors' config accept, pointing at the running fakes", () =>
    Effect.gen(function*() {
      const fakes = yield* Fakes.start({ seed: 3, sites: 4, latency: { min: 1, max: 2 } })
      const text = Fakes.render(fakes.environment)
      const env = new Map(text.split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]))
      expect(env.size).toBe(fakes.environment.length)
      const provider = ConfigProvider.fromMap(env)
      const vendors = yield* Effect.withConfigProvider(Vendors.config, provider)
      expect(vendors.lusha.baseUrl).toBe(fakes.vendors.lusha.url)
      expect(vendors.zeroBounce.baseUrl).toBe(`${fakes.vendors.zeroBounce.url}/v2`)
      expect(vendors.openAi.baseURL).toBe(fakes.vendors.openAi.baseURL)
      expect(Redacted.value(vendors.tavily.apiKey)).toBe((yield* fakes.vendors.tavily.knobs).apiKey)
      const settings = yield* Effect.withConfigProvider(Settings.config, provider)
      expect(settings.crawler.allowAddresses).toEqual(["127.0.0.1/32"])
      expect(settings.crawlerHosts).toEqual({ "*.test": ["127.0.0.1"] })
      expect(env.get(Fakes.odooPasswordVariable)).toBeDefined()
      expect(fakes.web.companies.length).toBe(4)
    }))
})
