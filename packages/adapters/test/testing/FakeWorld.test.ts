import { describe, expect, it } from "@effect/vitest"
import { CrawlerLive, Resolver, Vendors } from "@leadgraph/adapters"
import { FakeWorld } from "@leadgraph/adapters/testing"
import { ConfigProvider, Effect, Option, Redacted } from "effect"

describe("FakeWorld", () => {
  it("reads a latency as MIN-MAX or one value, in milliseconds", () => {
    expect(FakeWorld.parseLatency("50-400")).toEqual(Option.some({ min: 50, max: 400 }))
    expect(FakeWorld.parseLatency("20")).toEqual(Option.some({ min: 20, max: 20 }))
    for (const bad of ["", "400-50", "a-b", "-5", "1-2-3", "5 ms"]) expect(FakeWorld.parseLatency(bad)).toEqual(Option.none())
  })

  it.scopedLive("renders an environment the vendors' and the crawler's config accept, pointing at the running fakes", () =>
    Effect.gen(function*() {
      const world = yield* FakeWorld.start({ seed: 3, sites: 4, latency: { min: 1, max: 2 } })
      const text = FakeWorld.render(world.environment)
      const env = new Map(text.split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]))
      expect(env.size).toBe(world.environment.length)
      const provider = ConfigProvider.fromMap(env)
      const vendors = yield* Effect.withConfigProvider(Vendors.config, provider)
      expect(vendors.lusha.baseUrl).toBe(world.vendors.lusha.url)
      expect(vendors.zeroBounce.baseUrl).toBe(`${world.vendors.zeroBounce.url}/v2`)
      expect(vendors.openAi.baseURL).toBe(world.vendors.openAi.baseURL)
      expect(Redacted.value(vendors.tavily.apiKey)).toBe((yield* world.vendors.tavily.knobs).apiKey)
      const crawler = yield* Effect.withConfigProvider(CrawlerLive.config, provider)
      expect(crawler.allowAddresses).toEqual(["127.0.0.1/32"])
      expect(yield* Effect.withConfigProvider(Resolver.config, provider)).toEqual({ "*.test": ["127.0.0.1"] })
      expect(env.get(FakeWorld.odooPasswordVariable)).toBeDefined()
      expect(world.web.companies.length).toBe(4)
    }))
})
