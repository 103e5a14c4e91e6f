import { describe, expect, it } from "@effect/vitest"
import { FakeWorld } from "@leadgraph/adapters/testing"
import { Settings } from "@leadgraph/runner"
import { ConfigProvider, Effect } from "effect"

describe("leadgraph fakes", () => {
  it.scopedLive("prints an environment the runner's settings accept", () =>
    Effect.gen(function*() {
      const world = yield* FakeWorld.start({ seed: 3, sites: 4 })
      const settings = yield* Effect.withConfigProvider(Settings.config, ConfigProvider.fromMap(new Map(world.environment)))
      expect(settings.crawler.allowAddresses).toEqual(["127.0.0.1/32"])
      expect(settings.crawlerHosts).toEqual({ "*.test": ["127.0.0.1"] })
    }))
})
