import { describe, expect, it } from "@effect/vitest"
import { Resolver, CrawlerLive } from "@leadgraph/adapters"
import { ConfigProvider, Effect, Either } from "effect"

const read = <A, E>(config: Effect.Effect<A, E>, env: Record<string, string>) =>
  Effect.withConfigProvider(config, ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("CRAWLER_HOSTS and CRAWLER_ALLOW_ADDRESSES", () => {
  it.effect("pin names (exact or *.suffix, the most specific first) and leave the rest to the system resolver", () =>
    Effect.gen(function*() {
      const table = yield* read(Resolver.config, {
        CRAWLER_HOSTS: "*.test=127.0.0.1, intranet.test=127.0.0.2,intranet.test=::1,*.b.test=127.0.0.3"
      })
      expect(table).toEqual({
        "*.test": ["127.0.0.1"],
        "intranet.test": ["127.0.0.2", "::1"],
        "*.b.test": ["127.0.0.3"]
      })
      const resolve = (host: string) =>
        Effect.flatMap(Resolver.Resolver, (r) => r.resolve(host)).pipe(Effect.provide(Resolver.layerHosts(table)))
      expect(yield* resolve("acme.test")).toEqual(["127.0.0.1"])
      expect(yield* resolve("Intranet.test.")).toEqual(["127.0.0.2", "::1"])
      expect(yield* resolve("www.a.b.test")).toEqual(["127.0.0.3"])
      // not in the table: the system resolver answers (localhost is in every hosts file)
      const local = yield* resolve("localhost")
      expect(local.some((a) => a === "127.0.0.1" || a === "::1")).toBe(true)
      expect(yield* read(Resolver.config, {})).toEqual({})
    }))

  it.effect("a malformed entry fails naming the variable", () =>
    Effect.gen(function*() {
      for (const bad of ["acme.test", "=127.0.0.1", "acme.test=not-an-ip", "a b.test=127.0.0.1", "*.*.test=127.0.0.1"]) {
        const error = yield* Effect.flip(read(Resolver.config, { CRAWLER_HOSTS: bad }))
        expect(String(error)).toContain("CRAWLER_HOSTS")
      }
    }))

  it.effect("CRAWLER_ALLOW_ADDRESSES takes addresses and CIDRs and refuses anything else", () =>
    Effect.gen(function*() {
      const options = yield* read(CrawlerLive.config, { CRAWLER_ALLOW_ADDRESSES: "127.0.0.1/32, ::1,10.0.0.0/8" })
      expect(options.allowAddresses).toEqual(["127.0.0.1/32", "::1", "10.0.0.0/8"])
      expect((yield* read(CrawlerLive.config, {})).allowAddresses).toBeUndefined()
      const error = yield* Effect.either(read(CrawlerLive.config, { CRAWLER_ALLOW_ADDRESSES: "127.0.0.1/33" }))
      expect(Either.isLeft(error) && String(error.left)).toContain("CRAWLER_ALLOW_ADDRESSES")
    }))
})
